//! The crate's walls, read from its sources: the top-level modules import
//! one another without a circle (each can be understood, and moved, with
//! only what it stands on), and every module with parts is a folder with a
//! `mod.rs`.
//!
//! An import is any `crate::<module>` (including `$crate::` in macros and
//! `use crate::{a, b}` groups) and any `super::` that climbs to the crate
//! root, in code outside comments, so doc links do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with its module path (`["store", "memory"]`
/// for `store/memory/mod.rs` and for `store/memory.rs`).
fn sources(dir: &Path, path: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_stem().unwrap().to_string_lossy().into_owned();
        if entry.is_dir() {
            let mut inner = path.to_vec();
            inner.push(name);
            sources(&entry, &inner, out);
        } else if entry.extension().is_some_and(|e| e == "rs") {
            let mut module = path.to_vec();
            if name != "mod" {
                module.push(name);
            }
            out.push((module, entry));
        }
    }
}

/// `source` without its comments: line comments (doc comments included)
/// and block comments. A `//` inside a string ends nothing here but the
/// rest of that line, which holds no import.
fn code_of(source: &str) -> String {
    let mut code = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find('/') {
        code.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with("//") {
            rest = tail.find('\n').map_or("", |end| &tail[end..]);
        } else if tail.starts_with("/*") {
            rest = tail.find("*/").map_or("", |end| &tail[end + 2..]);
        } else {
            code.push('/');
            rest = &tail[1..];
        }
    }
    code.push_str(rest);
    code
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The first segment of every path in a `use` group's body (`a::B, c, d::{e, f}`).
fn group_heads(body: &str) -> Vec<&str> {
    let mut heads = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                heads.push(identifier(body[start..i].trim()));
                start = i + 1;
            }
            _ => {}
        }
    }
    heads.push(identifier(body[start..].trim()));
    heads.retain(|h| !h.is_empty());
    heads
}

/// The text of a `{…}` group at the start of `text`, without its braces.
fn group(text: &str) -> &str {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[1..i];
                }
            }
            _ => {}
        }
    }
    &text[1..]
}

/// The top-level modules `code` (of the module at `path`) names.
fn imports(code: &str, path: &[String]) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    let bytes = code.as_bytes();
    for (at, _) in code.match_indices("crate::") {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let after = &code[at + "crate::".len()..];
        if after.starts_with('{') {
            named.extend(group_heads(group(after)).into_iter().map(str::to_owned));
        } else {
            named.insert(identifier(after).to_owned());
        }
    }
    for (at, _) in code.match_indices("super::") {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let starts_chain = before.is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
            && !code[..at].ends_with("super::");
        if !starts_chain {
            continue;
        }
        let mut after = &code[at..];
        let mut depth = path.len();
        while let Some(rest) = after.strip_prefix("super::") {
            depth = depth.saturating_sub(1);
            after = rest;
        }
        if depth == 0 {
            if after.starts_with('{') {
                named.extend(group_heads(group(after)).into_iter().map(str::to_owned));
            } else {
                named.insert(identifier(after).to_owned());
            }
        }
    }
    named
}

/// For each top-level module, the others it imports, each with a file that does.
fn graph() -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let mut files = Vec::new();
    sources(&src(), &[], &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|(path, _)| path.first().cloned())
        .filter(|m| !["lib", "main", "tests"].contains(&m.as_str()))
        .collect();
    let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for (path, file) in &files {
        let Some(from) = path.first().filter(|m| modules.contains(*m)) else {
            continue;
        };
        let code = code_of(&fs::read_to_string(file).unwrap());
        let edges = graph.entry(from.clone()).or_default();
        for to in imports(&code, path) {
            if to != *from && modules.contains(&to) {
                edges.entry(to).or_insert_with(|| file.clone());
            }
        }
    }
    graph
}

/// Every circle of the graph, each as the modules along it, first repeated
/// at the end; one circle per set of modules that reach each other.
fn circles(graph: &BTreeMap<String, BTreeMap<String, PathBuf>>) -> Vec<Vec<String>> {
    let reaches = |from: &str, to: &str| -> Option<Vec<String>> {
        // Breadth first, so the circle reported is a shortest one.
        let mut seen = BTreeSet::from([from.to_owned()]);
        let mut paths = vec![vec![from.to_owned()]];
        while !paths.is_empty() {
            let mut next = Vec::new();
            for path in paths {
                let last = path.last().unwrap();
                for hop in graph.get(last).into_iter().flat_map(|e| e.keys()) {
                    let mut longer = path.clone();
                    longer.push(hop.clone());
                    if hop == to {
                        return Some(longer);
                    }
                    if seen.insert(hop.clone()) {
                        next.push(longer);
                    }
                }
            }
            paths = next;
        }
        None
    };
    let mut found: Vec<Vec<String>> = Vec::new();
    let mut covered = BTreeSet::new();
    for module in graph.keys() {
        if covered.contains(module) {
            continue;
        }
        if let Some(circle) = reaches(module, module) {
            // Everything on a circle through `module` reaches it back: the
            // whole set is one circle's worth.
            let set = graph.keys().filter(|other| {
                reaches(module, other).is_some() && reaches(other, module).is_some()
            });
            covered.extend(set.cloned());
            found.push(circle);
        }
    }
    found
}

#[test]
fn the_top_level_modules_import_one_another_without_a_circle() {
    let graph = graph();
    assert!(
        graph.len() >= 10,
        "the sources were not read: {:?}",
        graph.keys()
    );
    for (from, to) in &graph {
        let to: Vec<&String> = to.keys().collect();
        println!("{from} -> {to:?}");
    }
    let circles = circles(&graph);
    let described: Vec<String> = circles
        .iter()
        .map(|circle| {
            let hops: Vec<String> = circle
                .windows(2)
                .map(|hop| {
                    let file = &graph[&hop[0]][&hop[1]];
                    let file = file.strip_prefix(src()).unwrap_or(file).display();
                    format!("{} -> {} ({file})", hop[0], hop[1])
                })
                .collect();
            hops.join(", ")
        })
        .collect();
    assert!(described.is_empty(), "import circles: {described:#?}");
}

/// The check itself: a circle through a group import, a `$crate` path and
/// a `super::` that climbs to the root is found; a doc link is not an import.
#[test]
fn the_check_finds_circles_and_ignores_doc_links() {
    let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let code = code_of(
        "//! See [`crate::http`].\nuse crate::{domain::X, store::{a, b}};\n\
         fn f() { $crate::metrics::record(); super::super::oidc::f(); let _ = \"http://x\"; }",
    );
    let named = imports(&code, &path(&["service", "send"]));
    assert_eq!(
        named,
        BTreeSet::from(["domain", "metrics", "oidc", "store"].map(String::from))
    );
    let edge = |to: &str| (to.to_owned(), PathBuf::from("f.rs"));
    let graph = BTreeMap::from([
        ("a".to_owned(), BTreeMap::from([edge("b")])),
        ("b".to_owned(), BTreeMap::from([edge("c")])),
        ("c".to_owned(), BTreeMap::from([edge("a"), edge("d")])),
        ("d".to_owned(), BTreeMap::new()),
    ]);
    assert_eq!(circles(&graph), vec![path(&["a", "b", "c", "a"])]);
}

#[test]
fn every_module_with_parts_is_a_folder_with_mod_rs() {
    let mut files = Vec::new();
    sources(&src(), &[], &mut files);
    let beside: Vec<&PathBuf> = files
        .iter()
        .map(|(_, file)| file)
        .filter(|file| file.file_name().is_some_and(|n| n != "mod.rs"))
        .filter(|file| file.with_extension("").is_dir())
        .collect();
    assert!(beside.is_empty(), "modules beside their folder: {beside:?}");
}
