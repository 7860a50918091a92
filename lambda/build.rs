//! Embeds the built page (`frontend/dist`, made by `scripts/build-frontend.sh`)
//! into the binary, so one deployment serves the page and the API from one origin,
//! and the language catalogs (`locales/*.ftl`) that the code mail is written from.
//!
//! Writes `$OUT_DIR/assets.rs`: an array expression of `Asset` values (defined in
//! `src/http/assets.rs`) with each file's bytes and its `.br` / `.gz` siblings.
//! Without a built page the table holds a short index.html that says how to
//! build it, so `cargo build` and `cargo test` never need the WebAssembly tools.
//!
//! Writes `$OUT_DIR/catalogs.rs`: an array expression of `(tag, text)` pairs,
//! one per `locales/<tag>.ftl`, read by `src/i18n/mod.rs`.
//! Standard library only, to keep the backend's build lean.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

const PLACEHOLDER: &str = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>Verify your email</title>\n</head>\n<body>\n<h1>Verify your email</h1>\n\
<p>The page is not built; run <code>scripts/build-frontend.sh</code> and rebuild the server.</p>\n\
</body>\n</html>\n";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=OTP_ASSETS_DIR");
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let dist = env::var_os("OTP_ASSETS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("../frontend/dist"));

    let mut files = match dist.canonicalize() {
        Ok(dir) if dir.is_dir() => {
            watch(&dir);
            read_dist(&dir)
        }
        // Cargo reruns on every build for a missing path, so watch the folder
        // that would hold dist/ instead: creating dist/ inside it is noticed.
        // Without that folder only a change of OTP_ASSETS_DIR reruns this.
        _ => {
            if let Some(parent) = dist.parent().filter(|p| p.is_dir()) {
                watch(parent);
            }
            Vec::new()
        }
    };
    if !files.iter().any(|f| f.name == "index.html") {
        let path = out_dir.join("placeholder-index.html");
        fs::write(&path, PLACEHOLDER).expect("write placeholder index.html");
        files.push(File {
            name: "index.html".to_owned(),
            etag: fnv1a64(PLACEHOLDER.as_bytes()),
            path,
            br: None,
            gz: None,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));

    let mut table = String::from("&[\n");
    for f in &files {
        let hashed = content_hash(&f.name);
        let etag = hashed.map_or_else(|| f.etag.clone(), str::to_owned);
        let _ = writeln!(
            table,
            "    Asset {{ path: {path:?}, content_type: {ct:?}, immutable: {imm}, \
             etag: {e:?}, etag_br: {ebr:?}, etag_gz: {egz:?}, \
             raw: include_bytes!({raw:?}), br: {br}, gz: {gz} }},",
            path = format!("/{}", f.name),
            ct = content_type(&f.name),
            imm = hashed.is_some(),
            e = format!("\"{etag}\""),
            ebr = format!("\"{etag}-br\""),
            egz = format!("\"{etag}-gz\""),
            raw = utf8(&f.path),
            br = include_opt(f.br.as_deref()),
            gz = include_opt(f.gz.as_deref()),
        );
    }
    table.push(']');
    fs::write(out_dir.join("assets.rs"), table).expect("write assets.rs");

    embed_catalogs(&manifest_dir.join("../locales"), &out_dir);
}

/// Every `<tag>.ftl` of `locales/`, sorted by tag; parsed at run time, each
/// on its first use.
fn embed_catalogs(dir: &Path, out_dir: &Path) {
    println!("cargo:rerun-if-changed=../locales");
    let dir = dir
        .canonicalize()
        .unwrap_or_else(|e| panic!("the language catalogs {}: {e}", dir.display()));
    let mut catalogs: Vec<(String, PathBuf)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("read locales entry").path())
        .filter_map(|path| {
            let tag = path.file_name()?.to_str()?.strip_suffix(".ftl")?.to_owned();
            Some((tag, path))
        })
        .collect();
    catalogs.sort();
    let mut table = String::from("&[\n");
    for (tag, path) in &catalogs {
        let _ = writeln!(table, "    ({tag:?}, include_str!({:?})),", utf8(path));
    }
    table.push(']');
    fs::write(out_dir.join("catalogs.rs"), table).expect("write catalogs.rs");
}

struct File {
    /// Name inside dist/, which is also the URL path without its leading `/`.
    name: String,
    path: PathBuf,
    /// Hex FNV-1a of the bytes: the ETag of files whose name carries no hash.
    etag: String,
    br: Option<PathBuf>,
    gz: Option<PathBuf>,
}

fn watch(path: &Path) {
    println!("cargo:rerun-if-changed={}", utf8(path));
}

/// Every file at the top of dist/ except the compressed siblings, which ride along.
fn read_dist(dist: &Path) -> Vec<File> {
    let entries = fs::read_dir(dist).unwrap_or_else(|e| panic!("read {}: {e}", dist.display()));
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.expect("read dist entry").path();
        if !path.is_file() {
            continue;
        }
        watch(&path);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file name")
            .to_owned();
        if name.ends_with(".br") || name.ends_with(".gz") || name.starts_with('.') {
            continue;
        }
        let sibling = |ext: &str| {
            let p = dist.join(format!("{name}.{ext}"));
            p.is_file().then_some(p)
        };
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        files.push(File {
            etag: fnv1a64(&bytes),
            br: sibling("br"),
            gz: sibling("gz"),
            name,
            path,
        });
    }
    files
}

fn include_opt(path: Option<&Path>) -> String {
    match path {
        Some(p) => format!("Some(include_bytes!({:?}))", utf8(p)),
        None => "None".to_owned(),
    }
}

fn utf8(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("not UTF-8: {}", path.display()))
}

/// The 8 hex digits in `name-0123abcd.ext`: such a file never changes under
/// its name, so it may be cached for a year.
fn content_hash(name: &str) -> Option<&str> {
    let stem = &name[..name.find('.')?];
    let hash = &stem[stem.rfind('-')? + 1..];
    (hash.len() == 8
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(hash)
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "webmanifest" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A stable fingerprint for ETags; not a security boundary.
fn fnv1a64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}
