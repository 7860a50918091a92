//! The languages the page and the code mail speak, and how a requested
//! language finds one of them.
//!
//! Each language has a catalog `locales/<tag>.ftl` (Fluent); adding a
//! language is that file and one line in [`LANGUAGES`].

/// A language the service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language {
    /// The BCP 47 tag, as written in `lang` attributes and in `locale` fields.
    pub tag: &'static str,
    /// Its name in itself, as the language selector lists it.
    pub name: &'static str,
    /// Written right to left.
    pub rtl: bool,
}

impl Language {
    /// The value of an HTML `dir` attribute.
    pub fn dir(&self) -> &'static str {
        if self.rtl { "rtl" } else { "ltr" }
    }
}

/// Every supported language; the first is the source of every catalog and
/// the default when nothing else is configured.
pub const LANGUAGES: &[Language] = &[
    Language {
        tag: "en",
        name: "English",
        rtl: false,
    },
    Language {
        tag: "de",
        name: "Deutsch",
        rtl: false,
    },
    Language {
        tag: "fr",
        name: "Français",
        rtl: false,
    },
    Language {
        tag: "es",
        name: "Español",
        rtl: false,
    },
    Language {
        tag: "pt-BR",
        name: "Português (Brasil)",
        rtl: false,
    },
    Language {
        tag: "ja",
        name: "日本語",
        rtl: false,
    },
    Language {
        tag: "ar",
        name: "العربية",
        rtl: true,
    },
];

/// The source language.
pub const SOURCE: &Language = &LANGUAGES[0];

/// The longest language tag a request may carry (RFC 5646 §4.4.1 advises
/// at least 35 characters of buffer; anything longer is not a tag we match).
pub const MAX_TAG_LEN: usize = 35;

/// The supported language written exactly `tag` (ASCII case ignored, as
/// BCP 47 tags are compared), for a `locale` field.
pub fn exact(tag: &str) -> Option<&'static Language> {
    LANGUAGES.iter().find(|l| l.tag.eq_ignore_ascii_case(tag))
}

/// The supported language for one requested tag: the tag itself, then the
/// tag with subtags removed from the end (RFC 4647 §3.4 lookup: `de-AT` →
/// `de`, `fr-CA` → `fr`), then the first supported region of the same
/// language (`pt` and `pt-PT` → `pt-BR`). `None` for `*`, for a malformed
/// tag and for a language we do not speak.
pub fn lookup(tag: &str) -> Option<&'static Language> {
    if !well_formed(tag) {
        return None;
    }
    let mut range = tag;
    loop {
        if let Some(language) = exact(range) {
            return Some(language);
        }
        // `rsplit_once` rather than slicing: no panic path (and its
        // formatting) in the page's WebAssembly, which negotiates too.
        match range.rsplit_once('-') {
            Some((head, _)) => range = head,
            None => break,
        }
        // A single-letter subtag (an extension or private-use singleton) is
        // removed together with the subtag after it.
        if let Some((head, singleton)) = range.rsplit_once('-')
            && singleton.len() == 1
        {
            range = head;
        }
    }
    LANGUAGES.iter().find(|l| {
        let primary = l.tag.split('-').next().unwrap_or(l.tag);
        primary.eq_ignore_ascii_case(range)
    })
}

/// The first of `preferences` (most preferred first) that [`lookup`] finds.
pub fn negotiate<'a>(preferences: impl IntoIterator<Item = &'a str>) -> Option<&'static Language> {
    preferences.into_iter().find_map(lookup)
}

/// `1*8alphanum *("-" 1*8alphanum)`, the shape of every BCP 47 tag, with a
/// primary language subtag of letters.
fn well_formed(tag: &str) -> bool {
    tag.len() <= MAX_TAG_LEN
        && tag
            .split('-')
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
        && tag
            .split('-')
            .next()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(t: &str) -> Option<&'static str> {
        lookup(t).map(|l| l.tag)
    }

    #[test]
    fn exact_tags_match_in_any_case() {
        for l in LANGUAGES {
            assert_eq!(tag(l.tag), Some(l.tag));
            assert_eq!(tag(&l.tag.to_ascii_uppercase()), Some(l.tag));
            assert_eq!(
                exact(&l.tag.to_ascii_lowercase()).map(|l| l.tag),
                Some(l.tag)
            );
        }
    }

    #[test]
    fn regions_and_scripts_fall_back_to_the_language() {
        assert_eq!(tag("de-AT"), Some("de"));
        assert_eq!(tag("fr-CA"), Some("fr"));
        assert_eq!(tag("es-419"), Some("es"));
        assert_eq!(tag("en-GB"), Some("en"));
        assert_eq!(tag("ja-JP"), Some("ja"));
        assert_eq!(tag("ar-EG"), Some("ar"));
        assert_eq!(tag("de-Latn-CH-x-foo"), Some("de"));
        assert_eq!(tag("de-CH-u-co-phonebk"), Some("de"));
    }

    #[test]
    fn a_language_finds_its_supported_region() {
        assert_eq!(tag("pt"), Some("pt-BR"));
        assert_eq!(tag("pt-PT"), Some("pt-BR"));
        assert_eq!(tag("PT-br"), Some("pt-BR"));
    }

    #[test]
    fn unknown_and_malformed_tags_find_nothing() {
        for t in [
            "",
            "*",
            "zh",
            "zh-Hant-TW",
            "x-klingon",
            "de_AT",
            "de--AT",
            "d3",
            "de-",
            "-de",
        ] {
            assert_eq!(tag(t), None, "{t:?}");
        }
        assert_eq!(tag(&format!("de-{}", "a".repeat(40))), None);
    }

    #[test]
    fn negotiation_takes_the_first_supported_preference() {
        assert_eq!(negotiate(["fr-CA", "en"]).map(|l| l.tag), Some("fr"));
        assert_eq!(negotiate(["zh-TW", "ja", "en"]).map(|l| l.tag), Some("ja"));
        assert_eq!(negotiate(["zh-TW", "ko"]), None);
        assert_eq!(negotiate([]), None);
    }

    #[test]
    fn the_list_is_sound() {
        assert_eq!(SOURCE.tag, "en");
        for (i, l) in LANGUAGES.iter().enumerate() {
            assert!(well_formed(l.tag), "{}", l.tag);
            assert!(!l.name.is_empty());
            assert!(
                LANGUAGES[..i]
                    .iter()
                    .all(|o| !o.tag.eq_ignore_ascii_case(l.tag)),
                "{} twice",
                l.tag
            );
        }
        assert_eq!(exact("ar").map(Language::dir), Some("rtl"));
        assert_eq!(exact("de").map(Language::dir), Some("ltr"));
    }
}
