//! The languages' catalogs (`locales/<tag>.ftl`, Project Fluent), embedded
//! at build time, from which the code mail is written.
//!
//! A catalog is parsed on its first use, not at start: a cold start pays for
//! none of them, and a process that only mails in German parses German (and
//! English only if German lacks a message). A message missing from a
//! language falls back to English, the source; the catalog checks
//! (`checks.rs` beside this module) keep that from happening with the catalogs shipped.

#[cfg(test)]
mod checks;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use otp_api::locale::{LANGUAGES, Language, SOURCE};
use std::sync::OnceLock;

/// `(tag, text)` of every `locales/*.ftl`, sorted by tag (see `build.rs`).
static CATALOGS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/catalogs.rs"));

type Bundle = FluentBundle<FluentResource>;

/// One bundle per entry of [`LANGUAGES`], in its order, each parsed once.
static BUNDLES: [OnceLock<Bundle>; LANGUAGES.len()] = [const { OnceLock::new() }; LANGUAGES.len()];

/// What one language says.
#[derive(Clone, Copy)]
pub struct Catalog {
    language: &'static Language,
    bundle: &'static Bundle,
}

impl Catalog {
    /// The catalog of `language`, parsed now if this is its first use.
    pub fn of(language: &'static Language) -> Catalog {
        let index = LANGUAGES
            .iter()
            .position(|l| l.tag == language.tag)
            .unwrap_or(0);
        let language = &LANGUAGES[index];
        Catalog {
            language,
            bundle: BUNDLES[index].get_or_init(|| parse(language)),
        }
    }

    pub fn language(&self) -> &'static Language {
        self.language
    }

    /// The message `id` with `args` in this language, or in English if this
    /// language lacks it; the id itself if no catalog has it.
    pub fn message(&self, id: &str, args: Option<&FluentArgs>) -> String {
        if let Some(text) = format(self.language, self.bundle, id, args) {
            return text;
        }
        if self.language != SOURCE {
            tracing::warn!(
                language = self.language.tag,
                id,
                "message missing: written in English"
            );
            let source = Catalog::of(SOURCE);
            if let Some(text) = format(source.language, source.bundle, id, args) {
                return text;
            }
        }
        tracing::error!(id, "message missing from the source catalog");
        id.to_owned()
    }
}

/// The text of the catalog `tag`; empty if there is none (then every
/// message falls back to English).
fn source_text(tag: &str) -> &'static str {
    CATALOGS
        .iter()
        .find(|(t, _)| *t == tag)
        .map_or("", |(_, text)| text)
}

fn parse(language: &Language) -> Bundle {
    bundle(language, source_text(language.tag))
}

fn bundle(language: &Language, text: &str) -> Bundle {
    let resource = FluentResource::try_new(text.to_owned()).unwrap_or_else(|(readable, errors)| {
        tracing::error!(
            language = language.tag,
            errors = errors.len(),
            "catalog has syntax errors: only the messages it could read are used"
        );
        readable
    });
    let id = language.tag.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No FSI/PDI marks around placeables: invisible characters in a subject
    // look like phishing, and they would stand between a reader and the code.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(
            language = language.tag,
            errors = errors.len(),
            "catalog defines a message twice: the first definition is used"
        );
    }
    bundle
}

fn format(
    language: &Language,
    bundle: &Bundle,
    id: &str,
    args: Option<&FluentArgs>,
) -> Option<String> {
    let pattern = bundle.get_message(id)?.value()?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, args, &mut errors);
    if !errors.is_empty() {
        tracing::error!(
            language = language.tag,
            id,
            errors = errors.len(),
            "message refers to something it was not given"
        );
    }
    Some(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use otp_api::locale::exact;

    fn expiry(tag: &str, minutes: u64) -> String {
        let mut args = FluentArgs::new();
        args.set("minutes", minutes);
        Catalog::of(exact(tag).unwrap()).message("mail-expiry", Some(&args))
    }

    #[test]
    fn plurals_follow_each_language() {
        assert!(expiry("en", 1).ends_with("It expires in 1 minute."));
        assert!(expiry("en", 10).ends_with("It expires in 10 minutes."));
        assert!(expiry("de", 1).ends_with("Er ist 1 Minute lang gültig."));
        assert!(expiry("de", 10).ends_with("Er ist 10 Minuten lang gültig."));
        // Arabic: one, two, few (3–10) and many (11–99) are different words.
        assert!(expiry("ar", 1).contains("دقيقة واحدة"));
        assert!(expiry("ar", 2).contains("دقيقتين"));
        assert!(expiry("ar", 10).contains("10 دقائق"));
        assert!(expiry("ar", 11).contains("11 دقيقة"));
        assert!(expiry("ja", 1).contains("1分"));
    }

    #[test]
    fn placeables_carry_no_isolation_marks() {
        let mut args = FluentArgs::new();
        args.set("product", "Example");
        for language in LANGUAGES {
            let subject = Catalog::of(language).message("mail-subject", Some(&args));
            assert!(subject.contains("Example"), "{subject}");
            assert!(
                !subject.contains(['\u{2068}', '\u{2069}']),
                "{}: {subject:?}",
                language.tag
            );
        }
    }

    #[test]
    fn every_language_has_a_catalog_and_a_bundle() {
        assert_eq!(BUNDLES.len(), LANGUAGES.len());
        for language in LANGUAGES {
            assert!(!source_text(language.tag).is_empty(), "{}", language.tag);
            assert_eq!(Catalog::of(language).language(), language);
        }
    }

    #[test]
    fn a_missing_message_falls_back_to_english_then_to_its_id() {
        let german = exact("de").unwrap();
        let partial = Catalog {
            language: german,
            bundle: Box::leak(Box::new(bundle(german, "mail-secret = Geheim.\n"))),
        };
        assert_eq!(partial.message("mail-secret", None), "Geheim.");
        assert_eq!(
            partial.message("mail-unasked", None),
            Catalog::of(SOURCE).message("mail-unasked", None)
        );
        assert_eq!(partial.message("no-such-message", None), "no-such-message");
    }
}
