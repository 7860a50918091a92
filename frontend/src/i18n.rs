//! The page's words in the person's language.
//!
//! The messages come from `locales/*.ftl` through `build.rs`: English, the
//! source language, is compiled in ([`EN`]); every other language is a small
//! JSON file ([`FILES`]) fetched when it is chosen and read with the
//! browser's `JSON.parse`. A message is text with numbered placeholders
//! (`{0}`), or, when it depends on a number, one such text per CLDR plural
//! category, chosen with the browser's `Intl.PluralRules`; numbers are
//! written with `Intl.NumberFormat`. No bidi isolation marks are added
//! around values, as in the code mail.
//!
//! What the flow says is a [`Text`]: a message and its value, put into
//! words only when drawn, so a change of language redraws every sentence.

#[cfg(test)]
use otp_api::locale::LANGUAGES;
use otp_api::locale::{Language, SOURCE, negotiate};

include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

/// An English message as compiled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    Text(&'static str),
    /// `(category, text)`, sorted by category; `other` is always there.
    Plural(&'static [(&'static str, &'static str)]),
}

/// Something the page says, in no language yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// A message without a value.
    Plain(usize),
    /// A message about a number (its first variable), e.g. seconds left.
    Count(usize, u64),
    /// A message with a text value, e.g. the app's name.
    Named(usize, String),
}

impl Text {
    pub fn id(&self) -> usize {
        match self {
            Text::Plain(id) | Text::Count(id, _) | Text::Named(id, _) => *id,
        }
    }
}

/// `pattern` with each placeholder `{i}` replaced by `args[i]` (by nothing
/// for a missing one); everything else is kept as it is.
pub fn fill(pattern: &str, args: &[&str]) -> String {
    // `split_once` rather than slicing by index: no panic path, whose
    // message formatting would weigh on the page's download.
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut rest = pattern;
    while let Some((text, after)) = rest.split_once('{') {
        out.push_str(text);
        let placeholder = after
            .split_once('}')
            .and_then(|(i, tail)| Some((i.parse::<usize>().ok()?, tail)));
        match placeholder {
            Some((i, tail)) => {
                out.push_str(args.get(i).copied().unwrap_or_default());
                rest = tail;
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The variant for plural `category`, else `other`.
pub fn variant<'a>(variants: &[(&str, &'a str)], category: &str) -> &'a str {
    let find = |c: &str| variants.iter().find(|(k, _)| *k == c).map(|(_, t)| *t);
    find(category).or_else(|| find("other")).unwrap_or_default()
}

/// The language to speak: the first that [`negotiate`] finds of the
/// app's `ui_locales` (space-separated tags, preferred first), then of the
/// page's own `preferences` (likewise: the person's pick on this device,
/// the browser's languages, the service's default); else English.
pub fn choose(ui_locales: Option<&str>, preferences: &str) -> &'static Language {
    let app = ui_locales.unwrap_or_default().split_ascii_whitespace();
    negotiate(app.chain(preferences.split_ascii_whitespace())).unwrap_or(SOURCE)
}

/// The catalog file of the language `tag`; `None` for English.
pub fn file_of(tag: &str) -> Option<&'static str> {
    FILES.iter().find(|(t, _)| *t == tag).map(|(_, f)| *f)
}

/// A code typed with an Arabic keyboard: Arabic-Indic (٠-٩) and Eastern
/// Arabic-Indic (۰-۹) digits read as the ASCII digits they are.
pub fn ascii_digit(c: char) -> char {
    match c {
        '\u{660}'..='\u{669}' => char::from(b'0' + (c as u32 - 0x660) as u8),
        '\u{6f0}'..='\u{6f9}' => char::from(b'0' + (c as u32 - 0x6f0) as u8),
        c => c,
    }
}

/// `text` in English, with English plural rules and plain digits: what the
/// page shows when it speaks English, for tests on the host.
#[cfg(test)]
pub fn english(text: &Text) -> String {
    let (id, arg) = match text {
        Text::Plain(id) => (*id, String::new()),
        Text::Count(id, n) => (*id, n.to_string()),
        Text::Named(id, s) => (*id, s.clone()),
    };
    let pattern = match EN[id] {
        Msg::Text(t) => t,
        Msg::Plural(v) => variant(v, if arg == "1" { "one" } else { "other" }),
    };
    fill(pattern, &[&arg])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_take_their_values() {
        assert_eq!(fill("Continue to {0}", &["Shop"]), "Continue to Shop");
        assert_eq!(fill("{0} ist bestätigt.", &["a@b"]), "a@b ist bestätigt.");
        assert_eq!(fill("{1} and {0}", &["a", "b"]), "b and a");
        assert_eq!(fill("no values", &[]), "no values");
        assert_eq!(fill("missing {3}.", &["a"]), "missing .");
        assert_eq!(
            fill("{not a placeholder} {", &["a"]),
            "{not a placeholder} {"
        );
        assert_eq!(fill("{0}{0}", &["٤٢"]), "٤٢٤٢");
    }

    #[test]
    fn a_plural_category_picks_its_variant_else_other() {
        let v = [
            ("few", "{0} محاولات"),
            ("one", "محاولة واحدة"),
            ("other", "{0} محاولة"),
        ];
        assert_eq!(variant(&v, "one"), "محاولة واحدة");
        assert_eq!(variant(&v, "few"), "{0} محاولات");
        assert_eq!(variant(&v, "many"), "{0} محاولة");
        assert_eq!(variant(&[], "one"), "");
    }

    #[test]
    fn english_is_compiled_in_with_the_messages_of_en_ftl() {
        assert_eq!(english(&Text::Plain(id::SEND_CODE)), "Send code");
        assert_eq!(
            english(&Text::Count(id::RESEND_IN, 42)),
            "Resend code in 42 s"
        );
        assert_eq!(english(&Text::Count(id::TRIES_LEFT, 1)), "1 try left");
        assert_eq!(english(&Text::Count(id::TRIES_LEFT, 3)), "3 tries left");
        assert_eq!(
            english(&Text::Named(id::CONTINUE_TO, "Example Shop".into())),
            "Continue to Example Shop"
        );
        for m in EN {
            if let Msg::Plural(v) = m {
                assert!(v.iter().any(|(c, _)| *c == "other"), "{v:?}");
            }
        }
    }

    #[test]
    fn every_other_language_has_a_hashed_catalog_file() {
        for l in &LANGUAGES[1..] {
            let file = file_of(l.tag).unwrap_or_else(|| panic!("{}", l.tag));
            let hash = file
                .strip_prefix(&format!("i18n-{}-", l.tag))
                .and_then(|f| f.strip_suffix(".json"))
                .unwrap();
            assert_eq!(hash.len(), 8);
            assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_eq!(file_of("en"), None);
        assert_eq!(FILES.len(), LANGUAGES.len() - 1);
    }

    #[cfg(not(target_arch = "wasm32"))]
    /// The placeholders of `texts` together: `{0}`, `{1}`, ...
    fn placeholders<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
        let mut found: Vec<usize> = texts
            .into_iter()
            .flat_map(|t| t.split('{').skip(1))
            .filter_map(|rest| rest.split_once('}')?.0.parse().ok())
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn every_catalog_has_each_message_with_the_values_of_english() {
        use serde_json::Value;
        assert_eq!(CATALOGS.len(), FILES.len());
        for (tag, json) in CATALOGS {
            let catalog: Value = serde_json::from_str(json).unwrap();
            let messages = catalog.as_array().unwrap();
            assert_eq!(messages.len(), EN.len(), "{tag}");
            for (i, message) in messages.iter().enumerate() {
                let texts: Vec<&str> = match message {
                    Value::String(text) => vec![text],
                    Value::Object(variants) => {
                        assert!(variants.contains_key("other"), "{tag} #{i}");
                        for category in variants.keys() {
                            let known = ["zero", "one", "two", "few", "many", "other"];
                            assert!(known.contains(&category.as_str()), "{tag} #{i}");
                        }
                        variants.values().map(|v| v.as_str().unwrap()).collect()
                    }
                    other => panic!("{tag} #{i}: {other}"),
                };
                let english = match EN[i] {
                    Msg::Text(t) => vec![t],
                    Msg::Plural(v) => v.iter().map(|(_, t)| *t).collect(),
                };
                assert_eq!(
                    placeholders(texts.iter().copied()),
                    placeholders(english),
                    "{tag} #{i}: {texts:?}"
                );
                // No bidi isolation marks around values, as in the mail.
                assert!(
                    texts
                        .iter()
                        .all(|t| !t.contains(['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'])),
                    "{tag} #{i}"
                );
            }
        }
    }

    #[test]
    fn the_language_is_chosen_in_order() {
        let tag = |u, p| choose(u, p).tag;
        assert_eq!(tag(Some("xx de-AT"), "ja fr-CA en es"), "de");
        assert_eq!(tag(Some("xx"), "ja fr-CA en es"), "ja");
        assert_eq!(tag(None, "nope fr-CA en es"), "fr");
        assert_eq!(tag(Some(""), "ar"), "ar");
        assert_eq!(tag(None, "zz"), "en");
        assert_eq!(tag(None, ""), "en");
        assert_eq!(tag(None, "PT-br en"), "pt-BR");
        assert_eq!(tag(None, "pt-PT"), "pt-BR");
    }

    #[test]
    fn arabic_digits_read_as_ascii() {
        let typed: String = "١٢٣۴۵۶ 7".chars().map(ascii_digit).collect();
        assert_eq!(typed, "123456 7");
    }
}
