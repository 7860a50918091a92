//! Turns the page's messages in `locales/*.ftl` (the `## Page` group: ids
//! without the `mail-` prefix) into what the page reads at run time:
//!
//! - `$OUT_DIR/catalog.rs`: one constant per message id (`id::SEND_CODE`,
//!   its index), English as statics (the source language is in the first
//!   load), and the file name of every other language's catalog;
//! - `$OUT_DIR/i18n-<tag>-<hash>.json`: each other language, an array in the
//!   order of the English messages, each a string or, for a message that
//!   depends on a number, an object of CLDR plural category → string. The
//!   name carries a hash of the content, so it is served as immutable;
//!   `scripts/build-frontend.sh` copies these files into `dist/`.
//!
//! Variables become positions (`{0}`, `{1}`) in the order English first uses
//! them. Only the subset the page interprets is accepted (text, variables,
//! one select on the first variable by plural category); anything else
//! fails the build with the file and the message named.

use fluent_syntax::ast::{
    Entry, Expression, InlineExpression, Pattern, PatternElement, VariantKey,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

/// The CLDR plural categories, the only variant keys the page selects by.
const CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// The source language, compiled into the page.
const SOURCE: &str = "en";

/// A message: plain text, or text per plural category of its first variable.
#[derive(Debug, PartialEq)]
enum Message {
    Text(String),
    Plural(BTreeMap<String, String>),
}

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let locales = manifest.join("../locales");
    println!("cargo:rerun-if-changed={}", locales.display());

    let mut tags: Vec<String> = fs::read_dir(&locales)
        .unwrap_or_else(|e| panic!("{}: {e}", locales.display()))
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".ftl").map(str::to_owned)
        })
        .collect();
    tags.sort();
    for tag in &tags {
        println!(
            "cargo:rerun-if-changed={}",
            locales.join(format!("{tag}.ftl")).display()
        );
    }

    // English fixes the ids, their order and each message's variables.
    let source = read(&locales, SOURCE);
    let mut ids = Vec::new();
    let mut vars: Vec<Vec<String>> = Vec::new();
    let mut english = Vec::new();
    for (id, pattern) in &source {
        let mut names = Vec::new();
        collect_vars(pattern, &mut names);
        let message = convert(SOURCE, id, pattern, &names);
        ids.push(id.clone());
        vars.push(names);
        english.push(message);
    }

    // Only this build's catalogs: scripts/build-frontend.sh copies them all.
    for old in fs::read_dir(&out).expect("read OUT_DIR").flatten() {
        let name = old.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("i18n-") && name.ends_with(".json") {
            fs::remove_file(old.path()).expect("remove an old catalog");
        }
    }

    let mut rust = String::new();
    rust.push_str("/// Each message of the page: its index in every catalog.\npub mod id {\n");
    for (i, id) in ids.iter().enumerate() {
        let _ = writeln!(
            rust,
            "    pub const {}: usize = {i};",
            id.to_uppercase().replace('-', "_")
        );
    }
    rust.push_str("}\n\n/// The source language's messages, in `id` order.\npub static EN: [Msg; ");
    let _ = writeln!(rust, "{}] = [", ids.len());
    for m in &english {
        match m {
            Message::Text(t) => {
                let _ = writeln!(rust, "    Msg::Text({t:?}),");
            }
            Message::Plural(v) => {
                let _ = writeln!(
                    rust,
                    "    Msg::Plural(&{:?}),",
                    v.iter().collect::<Vec<_>>()
                );
            }
        }
    }
    rust.push_str("];\n\n/// Every other language's catalog: its tag and file name.\npub static FILES: &[(&str, &str)] = &[\n");

    let mut texts = Vec::new();
    for tag in tags.iter().filter(|t| *t != SOURCE) {
        let messages = read(&locales, tag);
        let mut json = String::from("[");
        for (i, id) in ids.iter().enumerate() {
            let pattern = messages
                .iter()
                .find(|(m, _)| m == id)
                .map(|(_, p)| p)
                .unwrap_or_else(|| {
                    fail(
                        tag,
                        id,
                        "missing (every language has the messages of en.ftl)",
                    )
                });
            let mut used = Vec::new();
            collect_vars(pattern, &mut used);
            if let Some(v) = used.iter().find(|v| !vars[i].contains(v)) {
                fail(tag, id, &format!("uses ${v}, which English does not"));
            }
            if i > 0 {
                json.push(',');
            }
            match convert(tag, id, pattern, &vars[i]) {
                Message::Text(t) => json_str(&mut json, &t),
                Message::Plural(v) => {
                    json.push('{');
                    for (k, (cat, text)) in v.iter().enumerate() {
                        if k > 0 {
                            json.push(',');
                        }
                        json_str(&mut json, cat);
                        json.push(':');
                        json_str(&mut json, text);
                    }
                    json.push('}');
                }
            }
        }
        if let Some((extra, _)) = messages.iter().find(|(m, _)| !ids.contains(m)) {
            fail(tag, extra, "not in en.ftl");
        }
        json.push(']');
        // The first 8 hex digits of SHA-256, as the page's other files are named.
        let digest = format!("{:x}", Sha256::digest(json.as_bytes()));
        let name = format!("i18n-{tag}-{}.json", &digest[..8]);
        fs::write(out.join(&name), &json).expect("write a catalog");
        let _ = writeln!(rust, "    ({tag:?}, {name:?}),");
        texts.push((tag.clone(), out.join(&name)));
    }
    rust.push_str("];\n");
    rust.push_str("\n/// Each catalog's content, for the host tests.\n#[cfg(test)]\npub static CATALOGS: &[(&str, &str)] = &[\n");
    for (tag, path) in &texts {
        let _ = writeln!(
            rust,
            "    ({tag:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    rust.push_str("];\n");
    fs::write(out.join("catalog.rs"), rust).expect("write catalog.rs");
}

/// The `## Page` messages of `<tag>.ftl`, in file order.
fn read(dir: &Path, tag: &str) -> Vec<(String, Pattern<&'static str>)> {
    let path = dir.join(format!("{tag}.ftl"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // The build script's life is short: the text lives as long as it.
    let text: &'static str = Box::leak(text.into_boxed_str());
    let resource = fluent_syntax::parser::parse(text)
        .unwrap_or_else(|(_, errors)| panic!("{}: {errors:?}", path.display()));
    let mut in_page = false;
    let mut messages = Vec::new();
    for entry in resource.body {
        match entry {
            Entry::GroupComment(c) => {
                in_page = c.content.first().is_some_and(|l| l.trim() == "Page");
            }
            Entry::Message(m) if in_page => {
                let id = m.id.name.to_owned();
                if id.starts_with("mail-") {
                    fail(tag, &id, "a mail- message in the Page group");
                }
                if !m.attributes.is_empty() {
                    fail(tag, &id, "attributes are not supported");
                }
                let value = m.value.unwrap_or_else(|| fail(tag, &id, "no value"));
                messages.push((id, value));
            }
            Entry::Term(t) if in_page => fail(tag, t.id.name, "terms are not supported"),
            Entry::Junk { content } => panic!("{}: cannot parse {content:?}", path.display()),
            _ => {}
        }
    }
    messages
}

/// The variables `pattern` uses, in order of first use, added to `names`.
fn collect_vars(pattern: &Pattern<&'static str>, names: &mut Vec<String>) {
    for e in &pattern.elements {
        if let PatternElement::Placeable { expression } = e {
            collect_expr(expression, names);
        }
    }
}

fn collect_expr(e: &Expression<&'static str>, names: &mut Vec<String>) {
    match e {
        Expression::Inline(i) => collect_inline(i, names),
        Expression::Select { selector, variants } => {
            collect_inline(selector, names);
            for v in variants {
                collect_vars(&v.value, names);
            }
        }
    }
}

fn collect_inline(i: &InlineExpression<&'static str>, names: &mut Vec<String>) {
    match i {
        InlineExpression::VariableReference { id } if !names.iter().any(|n| n == id.name) => {
            names.push(id.name.to_owned())
        }
        InlineExpression::Placeable { expression } => collect_expr(expression, names),
        _ => {}
    }
}

/// The message in the page's form; `vars` are English's variables, whose
/// positions the placeholders take.
fn convert(tag: &str, id: &str, pattern: &Pattern<&'static str>, vars: &[String]) -> Message {
    let mut select = None;
    let mut before = String::new();
    let mut after = String::new();
    for e in &pattern.elements {
        let text = if select.is_some() {
            &mut after
        } else {
            &mut before
        };
        match e {
            PatternElement::Placeable {
                expression: Expression::Select { selector, variants },
            } => {
                if select.is_some() {
                    fail(tag, id, "only one select per message");
                }
                match selector {
                    InlineExpression::VariableReference { id: v }
                        if vars.first().is_some_and(|f| f == v.name) => {}
                    _ => fail(
                        tag,
                        id,
                        "a select must be on the message's first variable (as English uses them)",
                    ),
                }
                select = Some(variants);
            }
            _ => flat(tag, id, e, vars, text),
        }
    }
    let Some(variants) = select else {
        return Message::Text(before);
    };
    let mut out = BTreeMap::new();
    for v in variants {
        let key = match &v.key {
            VariantKey::Identifier { name } if CATEGORIES.contains(name) => (*name).to_owned(),
            _ => fail(
                tag,
                id,
                "variant keys are plural categories (zero, one, two, few, many, other)",
            ),
        };
        let mut text = before.clone();
        for e in &v.value.elements {
            if let PatternElement::Placeable {
                expression: Expression::Select { .. },
            } = e
            {
                fail(tag, id, "selects cannot be nested");
            }
            flat(tag, id, e, vars, &mut text);
        }
        text.push_str(&after);
        if v.default && key != "other" {
            fail(tag, id, "the default variant is *[other]");
        }
        out.insert(key, text);
    }
    Message::Plural(out)
}

/// Appends a text element or a variable's placeholder to `out`.
fn flat(tag: &str, id: &str, e: &PatternElement<&'static str>, vars: &[String], out: &mut String) {
    match e {
        PatternElement::TextElement { value } => {
            if value.contains(['{', '}']) {
                fail(tag, id, "braces in text");
            }
            out.push_str(value);
        }
        PatternElement::Placeable {
            expression: Expression::Inline(InlineExpression::VariableReference { id: v }),
        } => {
            let at = vars.iter().position(|n| n == v.name).unwrap_or_else(|| {
                fail(
                    tag,
                    id,
                    &format!("uses ${}, which English does not", v.name),
                )
            });
            let _ = write!(out, "{{{at}}}");
        }
        _ => fail(
            tag,
            id,
            "only text, variables and a plural select are supported",
        ),
    }
}

fn fail(tag: &str, id: &str, why: &str) -> ! {
    panic!("locales/{tag}.ftl, message {id}: {why}")
}

/// Appends `s` as a JSON string.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
