//! The checks every catalog passes against the source (`en.ftl`): the same
//! message ids, no variable dropped or invented, no syntax the page's own
//! interpreter does not support, only plural categories the language has,
//! no unreadable text (Junk), and one catalog for each entry of
//! `LANGUAGES`, no more.

use super::CATALOGS;
use fluent_syntax::ast::{
    Entry, Expression, InlineExpression, Pattern, PatternElement, VariantKey,
};
use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};
use otp_api::locale::{LANGUAGES, SOURCE};
use std::collections::{BTreeMap, BTreeSet};

/// The CLDR plural categories, the only variant keys a catalog may use.
const PLURAL_CATEGORIES: &[&str] = &["zero", "one", "two", "few", "many", "other"];

/// What a catalog says about each of its messages: the variables it prints
/// (in any variant).
type Messages = BTreeMap<String, BTreeSet<String>>;

/// The plural categories whole numbers take in the language `tag` (CLDR
/// cardinal rules, as fluent-bundle applies them: `pt-BR` by `pt`'s);
/// `None` for a tag without rules.
fn categories(tag: &str) -> Option<BTreeSet<&'static str>> {
    let primary = tag.split('-').next().unwrap_or(tag);
    let rules = [tag, primary].into_iter().find_map(|t| {
        PluralRules::create(
            t.parse::<unic_langid::LanguageIdentifier>().ok()?,
            PluralRuleType::CARDINAL,
        )
        .ok()
    })?;
    let name = |category| match category {
        PluralCategory::ZERO => "zero",
        PluralCategory::ONE => "one",
        PluralCategory::TWO => "two",
        PluralCategory::FEW => "few",
        PluralCategory::MANY => "many",
        PluralCategory::OTHER => "other",
    };
    // Every category a language has shows in 0–1000, except where newer
    // CLDR data gives French, Spanish and Portuguese a "many" (a million).
    let numbers = (0..=1000u64).chain([1_000_000]);
    Some(
        numbers
            .map(|n| name(rules.select(n).expect("a whole number")))
            .collect(),
    )
}

/// Reads one catalog; what is wrong with it goes to `problems`.
fn read(name: &str, text: &str, problems: &mut Vec<String>) -> Messages {
    let resource = match fluent_syntax::parser::parse(text) {
        Ok(resource) => resource,
        Err((resource, errors)) => {
            for e in errors {
                problems.push(format!("{name}: syntax error {:?} at {:?}", e.kind, e.pos));
            }
            resource
        }
    };
    let mut messages = Messages::new();
    let mut group = "";
    for entry in resource.body {
        match entry {
            Entry::GroupComment(c) => group = c.content.first().copied().unwrap_or_default(),
            Entry::Junk { content } => {
                problems.push(format!("{name}: unreadable text {:?}", content.trim()));
            }
            Entry::Term(t) => problems.push(format!("{name}: term -{} (not supported)", t.id.name)),
            Entry::Message(m) => {
                let id = m.id.name;
                let mail = id.starts_with("mail-");
                if (group == "Mail") != mail {
                    problems.push(format!(
                        "{name}: {id} under `## {group}` (mail ids start with `mail-`, \
                         under `## Mail`; page ids do not)"
                    ));
                }
                if !m.attributes.is_empty() {
                    problems.push(format!("{name}: {id} has attributes (not supported)"));
                }
                let mut variables = BTreeSet::new();
                match &m.value {
                    Some(pattern) => {
                        let mut unsupported = Vec::new();
                        let mut keys = BTreeSet::new();
                        walk(pattern, &mut variables, &mut keys, &mut unsupported);
                        for what in unsupported {
                            problems.push(format!("{name}: {id} uses {what} (not supported)"));
                        }
                        if let Some(has) = categories(name) {
                            for key in keys.iter().filter(|k| !has.contains(k.as_str())) {
                                problems.push(format!(
                                    "{name}: {id} has a [{key}] form, a plural category the language does not have"
                                ));
                            }
                        }
                    }
                    None => problems.push(format!("{name}: {id} has no value")),
                }
                if messages.insert(id.to_owned(), variables).is_some() {
                    problems.push(format!("{name}: {id} defined twice"));
                }
            }
            Entry::Comment(_) | Entry::ResourceComment(_) => {}
        }
    }
    messages
}

/// Collects the variables `pattern` prints, the plural categories its
/// variants name, and what it uses beyond the supported subset (text,
/// variables, a plural select on a variable).
fn walk(
    pattern: &Pattern<&str>,
    variables: &mut BTreeSet<String>,
    keys: &mut BTreeSet<String>,
    unsupported: &mut Vec<String>,
) {
    for element in &pattern.elements {
        let PatternElement::Placeable { expression } = element else {
            continue;
        };
        match expression {
            Expression::Inline(InlineExpression::VariableReference { id }) => {
                variables.insert(id.name.to_owned());
            }
            Expression::Inline(other) => unsupported.push(describe(other)),
            Expression::Select { selector, variants } => {
                if !matches!(selector, InlineExpression::VariableReference { .. }) {
                    unsupported.push(format!("a select on {}", describe(selector)));
                }
                for variant in variants {
                    match &variant.key {
                        VariantKey::Identifier { name } if PLURAL_CATEGORIES.contains(name) => {
                            keys.insert((*name).to_owned());
                        }
                        VariantKey::Identifier { name } => {
                            unsupported.push(format!("the variant [{name}]"));
                        }
                        VariantKey::NumberLiteral { value } => {
                            unsupported.push(format!("the exact-number variant [{value}]"));
                        }
                    }
                    walk(&variant.value, variables, keys, unsupported);
                }
            }
        }
    }
}

fn describe(expression: &InlineExpression<&str>) -> String {
    match expression {
        InlineExpression::StringLiteral { value } => format!("the string literal {value:?}"),
        InlineExpression::NumberLiteral { value } => format!("the number literal {value}"),
        InlineExpression::FunctionReference { id, .. } => format!("the function {}()", id.name),
        InlineExpression::MessageReference { id, .. } => format!("a reference to {}", id.name),
        InlineExpression::TermReference { id, .. } => format!("the term -{}", id.name),
        InlineExpression::VariableReference { id } => format!("${}", id.name),
        InlineExpression::Placeable { .. } => "a nested placeable".to_owned(),
    }
}

/// Everything wrong with the catalog `name` as a translation of `source`
/// (which is checked too); empty when it is sound.
fn problems(source: &str, name: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let expected = read(SOURCE.tag, source, &mut problems);
    let found = read(name, text, &mut problems);
    for (id, variables) in &expected {
        let Some(translated) = found.get(id) else {
            problems.push(format!("{name}: {id} missing"));
            continue;
        };
        for dropped in variables.difference(translated) {
            problems.push(format!("{name}: {id} drops ${dropped}"));
        }
        for invented in translated.difference(variables) {
            problems.push(format!(
                "{name}: {id} uses ${invented}, which the source does not"
            ));
        }
    }
    for id in found.keys().filter(|id| !expected.contains_key(*id)) {
        problems.push(format!("{name}: {id} is not in the source"));
    }
    problems
}

fn text_of(tag: &str) -> &'static str {
    CATALOGS
        .iter()
        .find(|(t, _)| *t == tag)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("no catalog for {tag}"))
}

#[test]
fn every_language_has_a_catalog_and_every_catalog_a_language() {
    let files: BTreeSet<&str> = CATALOGS.iter().map(|(tag, _)| *tag).collect();
    let tags: BTreeSet<&str> = LANGUAGES.iter().map(|l| l.tag).collect();
    assert_eq!(files, tags, "locales/*.ftl against LANGUAGES");
}

#[test]
fn shipped_catalogs_are_sound() {
    let source = text_of(SOURCE.tag);
    let mut all = Vec::new();
    for language in LANGUAGES {
        all.extend(problems(source, language.tag, text_of(language.tag)));
    }
    // The source's own problems come once per language.
    all.sort();
    all.dedup();
    assert!(all.is_empty(), "\n{}", all.join("\n"));
    // The source speaks at all: the checks above pass trivially on empty files.
    let mut none = Vec::new();
    assert!(read(SOURCE.tag, source, &mut none).len() >= 6);
}

const SOURCE_FTL: &str = "\
## Page

greeting = Hello, { $name }!
# $minutes: how long the code stays valid.
expiry = { $minutes ->
    [one] One minute
   *[other] { $minutes } minutes
}

## Mail

mail-subject = is your { $product } code
";

fn check(text: &str) -> Vec<String> {
    problems(SOURCE_FTL, "xx", text)
}

#[test]
fn a_faithful_translation_passes() {
    assert_eq!(check(SOURCE_FTL), Vec::<String>::new());
    // A variable printed in only one variant counts as used.
    let arabic_like = SOURCE_FTL.replace("[one] One minute", "[one] Eine\n    [two] Zwei");
    assert_eq!(check(&arabic_like), Vec::<String>::new());
}

#[test]
fn a_missing_message_fails() {
    let text = SOURCE_FTL.replace("greeting = Hello, { $name }!\n", "");
    assert_eq!(check(&text), ["xx: greeting missing"]);
}

#[test]
fn an_extra_message_fails() {
    let text = format!("{SOURCE_FTL}mail-footer = Bye\n");
    assert_eq!(check(&text), ["xx: mail-footer is not in the source"]);
}

#[test]
fn a_dropped_or_invented_variable_fails() {
    let dropped = SOURCE_FTL.replace("Hello, { $name }!", "Hello!");
    assert_eq!(check(&dropped), ["xx: greeting drops $name"]);
    let invented = SOURCE_FTL.replace("{ $product }", "{ $product } { $email }");
    assert_eq!(
        check(&invented),
        ["xx: mail-subject uses $email, which the source does not"]
    );
    let renamed = SOURCE_FTL.replace("*[other] { $minutes }", "*[other] { $minute }");
    assert_eq!(
        check(&renamed),
        [
            "xx: expiry drops $minutes",
            "xx: expiry uses $minute, which the source does not"
        ]
    );
}

#[test]
fn junk_fails() {
    let text = SOURCE_FTL.replace(
        "greeting = Hello, { $name }!",
        "greeting = Hello, { $name !",
    );
    let found = check(&text);
    assert!(
        found.iter().any(|p| p.starts_with("xx: syntax error")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.starts_with("xx: unreadable text")),
        "{found:?}"
    );
    assert!(
        found.contains(&"xx: greeting missing".to_owned()),
        "{found:?}"
    );
}

#[test]
fn syntax_beyond_the_shared_subset_fails() {
    let text = format!(
        "{SOURCE_FTL}-brand = Example\nmail-a = {{ -brand }}\nmail-b = {{ NUMBER($n) }}\n\
         mail-c = {{ greeting }}\nmail-d = {{ $n ->\n    [0] none\n   *[other] some {{ $n }}\n}}\n\
         mail-e = x\n    .title = y\n"
    );
    let found = problems(&text, "xx", &text);
    let expected = [
        "term -brand",
        "the term -brand",
        "the function NUMBER()",
        "a reference to greeting",
        "the exact-number variant [0]",
        "has attributes",
    ];
    for what in expected {
        assert!(found.iter().any(|p| p.contains(what)), "{what}: {found:?}");
    }
}

#[test]
fn plural_forms_are_those_of_the_language() {
    // German has one and other; Arabic all six; Japanese only other.
    let german = SOURCE_FTL.replace("[one] One minute", "[one] Eine\n    [few] Wenige");
    assert_eq!(
        problems(SOURCE_FTL, "de", &german),
        ["de: expiry has a [few] form, a plural category the language does not have"]
    );
    let arabic = SOURCE_FTL.replace(
        "[one] One minute",
        "[zero] 0\n    [one] 1\n    [two] 2\n    [few] 3\n    [many] 11",
    );
    assert_eq!(problems(SOURCE_FTL, "ar", &arabic), Vec::<String>::new());
    let japanese = problems(SOURCE_FTL, "ja", SOURCE_FTL);
    assert_eq!(
        japanese,
        ["ja: expiry has a [one] form, a plural category the language does not have"]
    );
    assert_eq!(
        categories("pt-BR").unwrap(),
        BTreeSet::from(["one", "other"])
    );
    assert_eq!(categories("ar").unwrap().len(), PLURAL_CATEGORIES.len());
    assert_eq!(categories("xx"), None);
}

#[test]
fn ids_stay_in_their_section() {
    let text = SOURCE_FTL.replace("greeting", "mail-greeting");
    let found = problems(&text, "xx", &text);
    assert!(
        found
            .iter()
            .any(|p| p.contains("mail-greeting under `## Page`")),
        "{found:?}"
    );
}
