//! The page's files, embedded at build time by `build.rs` from `frontend/dist`.
//!
//! Each file comes pre-compressed (brotli and gzip, made once at build time
//! rather than per request). Content-hashed names (`otp-0123abcd.wasm`) never
//! change meaning, so browsers keep them for a year; `index.html` names them
//! and is revalidated on every load, cheaply, with its ETag.
//!
//! `index.html` declares the default language (`OTP_DEFAULT_LOCALE`) on its
//! root element, `<html lang dir>`, which the page takes as its last
//! fallback. For a default other than the one the built file declares, the
//! file is rewritten once and served uncompressed (it is a few hundred
//! bytes, and the binary carries no compressor), under an ETag of its own.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use otp_api::locale::{LANGUAGES, Language};
use std::sync::OnceLock;

/// One embedded file.
pub(crate) struct Asset {
    /// URL path, starting with `/`.
    path: &'static str,
    content_type: &'static str,
    /// The name carries a content hash, so the bytes behind it never change.
    immutable: bool,
    /// Quoted ETags of the identity, brotli and gzip representations; each
    /// encoding is a different byte sequence and so gets its own tag.
    etag: &'static str,
    etag_br: &'static str,
    etag_gz: &'static str,
    raw: &'static [u8],
    br: Option<&'static [u8]>,
    gz: Option<&'static [u8]>,
}

static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/assets.rs"));

const INDEX: &str = "/index.html";

/// `index.html` for each default language, made on first use: `None` when
/// the embedded file already declares that language.
static INDEXES: [OnceLock<Option<Rewritten>>; LANGUAGES.len()] =
    [const { OnceLock::new() }; LANGUAGES.len()];

struct Rewritten {
    html: String,
    /// The embedded file's tag with the language appended, quoted.
    etag: String,
}

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// The embedded file at `path` (`/` is `index.html`, declaring `language`)
/// as a complete response, or `None` when there is no such file and the
/// caller answers 404.
pub(crate) fn response(
    path: &str,
    headers: &HeaderMap,
    language: &'static Language,
) -> Option<Response> {
    let path = if path == "/" { INDEX } else { path };
    let asset = ASSETS.iter().find(|a| a.path == path)?;
    if path == INDEX
        && let Some(index) = index_for(language)
    {
        return Some(respond(&index, headers));
    }
    Some(respond(asset, headers))
}

/// Makes the `index.html` of `language` now, so no request pays for it.
pub(crate) fn prepare(language: &'static Language) {
    index_for(language);
}

/// `index.html` rewritten to declare `language`, or `None` when the
/// embedded file already does.
fn index_for(language: &'static Language) -> Option<Asset> {
    let slot = LANGUAGES.iter().position(|l| l.tag == language.tag)?;
    let rewritten = INDEXES[slot]
        .get_or_init(|| {
            let embedded = ASSETS.iter().find(|a| a.path == INDEX)?;
            let html = std::str::from_utf8(embedded.raw).ok()?;
            let html = with_language(html, language)?;
            let etag = format!("\"{}-{}\"", embedded.etag.trim_matches('"'), language.tag);
            Some(Rewritten { html, etag })
        })
        .as_ref()?;
    Some(Asset {
        path: INDEX,
        content_type: "text/html; charset=utf-8",
        immutable: false,
        etag: &rewritten.etag,
        etag_br: &rewritten.etag,
        etag_gz: &rewritten.etag,
        raw: rewritten.html.as_bytes(),
        br: None,
        gz: None,
    })
}

/// `html` with its `<html>` start tag declaring `language` and its
/// direction; `None` when it does already (a missing `dir` is `ltr`) or
/// has no such tag. The tag's other attributes are kept; the built page's
/// values carry no spaces.
fn with_language(html: &str, language: &Language) -> Option<String> {
    let start = html.find("<html")?;
    let end = start + html[start..].find('>')?;
    let tag = &html[start + "<html".len()..end];
    let attributes: Vec<&str> = tag.split_whitespace().collect();
    let value = |name: &str| {
        attributes.iter().find_map(|a| {
            a.strip_prefix(name)
                .and_then(|v| v.strip_prefix('='))
                .map(|v| v.trim_matches('"'))
        })
    };
    if value("lang") == Some(language.tag) && value("dir").unwrap_or("ltr") == language.dir() {
        return None;
    }
    let mut rewritten = format!(
        "{}<html lang=\"{}\" dir=\"{}\"",
        &html[..start],
        language.tag,
        language.dir()
    );
    for attribute in attributes {
        if !attribute.starts_with("lang=") && !attribute.starts_with("dir=") {
            rewritten.push(' ');
            rewritten.push_str(attribute);
        }
    }
    rewritten.push_str(&html[end..]);
    Some(rewritten)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

fn respond(asset: &Asset, headers: &HeaderMap) -> Response {
    let encoding = negotiate(headers, asset.br.is_some(), asset.gz.is_some());
    let (body, etag, content_encoding) = match (encoding, asset.br, asset.gz) {
        (Encoding::Brotli, Some(br), _) => (br, asset.etag_br, Some("br")),
        (Encoding::Gzip, _, Some(gz)) => (gz, asset.etag_gz, Some("gzip")),
        _ => (asset.raw, asset.etag, None),
    };

    let mut response = if matches_etag(headers, etag) {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(body));
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        if let Some(coding) = content_encoding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        r
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_static(etag));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::CACHE_CONTROL,
        if asset.immutable {
            IMMUTABLE
        } else {
            REVALIDATE
        },
    );
    response
}

/// Brotli over gzip over identity, among what the client accepts
/// (`q=0` refuses a coding; `*` stands for any coding not named).
fn negotiate(headers: &HeaderMap, have_br: bool, have_gz: bool) -> Encoding {
    let mut br = None;
    let mut gzip = None;
    let mut any = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let accepted = parts.all(|p| !is_zero_quality(p));
            if coding.eq_ignore_ascii_case("br") {
                br = Some(accepted);
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                gzip = Some(accepted);
            } else if coding == "*" {
                any = Some(accepted);
            }
        }
    }
    let any = any.unwrap_or(false);
    if have_br && br.unwrap_or(any) {
        Encoding::Brotli
    } else if have_gz && gzip.unwrap_or(any) {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// `q=0`, `q=0.0`, `q=0.000`: the coding is refused.
fn is_zero_quality(param: &str) -> bool {
    param.split_once('=').is_some_and(|(name, value)| {
        name.trim().eq_ignore_ascii_case("q") && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
    })
}

/// `If-None-Match` holds `etag` (weak comparison, as RFC 9110 asks for it) or `*`.
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    static HASHED: Asset = Asset {
        path: "/otp-0123abcd.wasm",
        content_type: "application/wasm",
        immutable: true,
        etag: "\"0123abcd\"",
        etag_br: "\"0123abcd-br\"",
        etag_gz: "\"0123abcd-gz\"",
        raw: b"raw bytes",
        br: Some(b"br bytes"),
        gz: Some(b"gz bytes"),
    };

    static PLAIN: Asset = Asset {
        path: "/index.html",
        content_type: "text/html; charset=utf-8",
        immutable: false,
        etag: "\"feed\"",
        etag_br: "\"feed-br\"",
        etag_gz: "\"feed-gz\"",
        raw: b"<!doctype html>",
        br: None,
        gz: Some(b"gz html"),
    };

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| (n.clone(), HeaderValue::from_static(v)))
            .collect()
    }

    fn accept(value: &'static str) -> Encoding {
        negotiate(&headers(&[(header::ACCEPT_ENCODING, value)]), true, true)
    }

    async fn body(r: Response) -> Vec<u8> {
        axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    fn get(r: &Response, name: header::HeaderName) -> Option<&str> {
        r.headers().get(name).map(|v| v.to_str().unwrap())
    }

    #[test]
    fn negotiation_prefers_brotli_then_gzip_then_identity() {
        assert_eq!(accept("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(accept("gzip, deflate"), Encoding::Gzip);
        assert_eq!(accept("deflate"), Encoding::Identity);
        assert_eq!(negotiate(&HeaderMap::new(), true, true), Encoding::Identity);
        assert_eq!(accept("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(accept("br;q=0.0, gzip;q=0.000"), Encoding::Identity);
        assert_eq!(accept("br;q=0.01"), Encoding::Brotli);
        assert_eq!(accept("*"), Encoding::Brotli);
        assert_eq!(accept("*, br;q=0"), Encoding::Gzip);
        assert_eq!(accept("BR"), Encoding::Brotli);
    }

    #[test]
    fn negotiation_only_offers_what_exists() {
        let h = headers(&[(header::ACCEPT_ENCODING, "br, gzip")]);
        assert_eq!(negotiate(&h, false, true), Encoding::Gzip);
        assert_eq!(negotiate(&h, false, false), Encoding::Identity);
    }

    #[tokio::test]
    async fn serves_the_preferred_encoding_with_its_own_etag() {
        let r = respond(&HASHED, &headers(&[(header::ACCEPT_ENCODING, "gzip, br")]));
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(get(&r, header::CONTENT_ENCODING), Some("br"));
        assert_eq!(get(&r, header::CONTENT_TYPE), Some("application/wasm"));
        assert_eq!(get(&r, header::VARY), Some("Accept-Encoding"));
        assert_eq!(get(&r, header::ETAG), Some("\"0123abcd-br\""));
        assert_eq!(body(r).await, b"br bytes");

        let r = respond(&HASHED, &HeaderMap::new());
        assert_eq!(get(&r, header::CONTENT_ENCODING), None);
        assert_eq!(get(&r, header::ETAG), Some("\"0123abcd\""));
        assert_eq!(body(r).await, b"raw bytes");
    }

    #[test]
    fn hashed_files_are_immutable_and_the_index_revalidates() {
        let r = respond(&HASHED, &HeaderMap::new());
        assert_eq!(
            get(&r, header::CACHE_CONTROL),
            Some("public, max-age=31536000, immutable")
        );
        let r = respond(&PLAIN, &HeaderMap::new());
        assert_eq!(get(&r, header::CACHE_CONTROL), Some("no-cache"));
        assert_eq!(
            get(&r, header::CONTENT_TYPE),
            Some("text/html; charset=utf-8")
        );
    }

    #[tokio::test]
    async fn a_matching_if_none_match_answers_304_without_a_body() {
        let h = headers(&[
            (header::ACCEPT_ENCODING, "gzip"),
            (header::IF_NONE_MATCH, "\"other\", W/\"feed-gz\""),
        ]);
        let r = respond(&PLAIN, &h);
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(get(&r, header::ETAG), Some("\"feed-gz\""));
        assert_eq!(get(&r, header::CACHE_CONTROL), Some("no-cache"));
        assert_eq!(get(&r, header::VARY), Some("Accept-Encoding"));
        assert!(body(r).await.is_empty());
    }

    #[test]
    fn a_stale_or_other_encoding_etag_gets_the_full_file() {
        // The identity tag does not match the gzip representation.
        let h = headers(&[
            (header::ACCEPT_ENCODING, "gzip"),
            (header::IF_NONE_MATCH, "\"feed\""),
        ]);
        assert_eq!(respond(&PLAIN, &h).status(), StatusCode::OK);
        let h = headers(&[(header::IF_NONE_MATCH, "\"old\"")]);
        assert_eq!(respond(&PLAIN, &h).status(), StatusCode::OK);
    }

    fn language(tag: &str) -> &'static Language {
        otp_api::locale::exact(tag).unwrap()
    }

    #[test]
    fn the_root_element_declares_the_language_and_direction() {
        let page = "<!doctype html>\n<html lang=\"en\">\n<head></head>\n</html>\n";
        assert_eq!(with_language(page, language("en")), None);
        assert_eq!(
            with_language(page, language("de")).unwrap(),
            "<!doctype html>\n<html lang=\"de\" dir=\"ltr\">\n<head></head>\n</html>\n"
        );
        assert_eq!(
            with_language(page, language("ar")).unwrap(),
            "<!doctype html>\n<html lang=\"ar\" dir=\"rtl\">\n<head></head>\n</html>\n"
        );
        let other = "<html dir=\"rtl\" class=\"x\" lang=\"ar\"><body></body></html>";
        assert_eq!(with_language(other, language("ar")), None);
        assert_eq!(
            with_language(other, language("ja")).unwrap(),
            "<html lang=\"ja\" dir=\"ltr\" class=\"x\"><body></body></html>"
        );
        assert_eq!(with_language("<p>no root</p>", language("de")), None);
    }

    /// The embedded index declares English; any other default is served
    /// from a rewritten copy, uncompressed, under another ETag, and an
    /// ETag of one language never validates another's copy.
    #[tokio::test]
    async fn the_index_declares_the_default_language() {
        let br = headers(&[(header::ACCEPT_ENCODING, "br, gzip")]);
        let english = response("/", &br, language("en")).unwrap();
        let english_etag = get(&english, header::ETAG).unwrap().to_owned();
        for tag in ["de", "ar", "pt-BR"] {
            let l = language(tag);
            prepare(l);
            let r = response("/", &br, l).unwrap();
            assert_eq!(get(&r, header::CONTENT_ENCODING), None, "{tag}");
            assert_eq!(get(&r, header::CACHE_CONTROL), Some("no-cache"));
            let etag = get(&r, header::ETAG).unwrap().to_owned();
            assert_ne!(etag, english_etag);
            assert!(etag.ends_with(&format!("-{tag}\"")), "{etag}");
            let html = String::from_utf8(body(r).await).unwrap();
            let root = format!("<html lang=\"{tag}\" dir=\"{}\"", l.dir());
            assert!(html.contains(&root), "{html}");
            assert!(!html.contains("lang=\"en\""), "{html}");

            let again = headers(&[(header::IF_NONE_MATCH, "*")]);
            let mut same = again.clone();
            same.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&etag).unwrap());
            let r = response("/index.html", &same, l).unwrap();
            assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
            let mut stale = again;
            stale.insert(
                header::IF_NONE_MATCH,
                HeaderValue::from_str(&english_etag).unwrap(),
            );
            assert_eq!(response("/", &stale, l).unwrap().status(), StatusCode::OK);
        }
        // Other files are the same whatever the language.
        for a in ASSETS.iter().filter(|a| a.path != INDEX) {
            let r = response(a.path, &HeaderMap::new(), language("ar")).unwrap();
            assert_eq!(get(&r, header::ETAG), Some(a.etag));
        }
    }

    #[test]
    fn the_embedded_table_serves_the_index_and_nothing_unknown() {
        for path in ["/", "/index.html"] {
            let r = response(path, &HeaderMap::new(), language("en"))
                .expect("index.html is always embedded");
            assert_eq!(
                get(&r, header::CONTENT_TYPE),
                Some("text/html; charset=utf-8")
            );
            assert_eq!(get(&r, header::CACHE_CONTROL), Some("no-cache"));
        }
        assert!(response("/nope.js", &HeaderMap::new(), language("en")).is_none());
        assert!(response("/index.html/", &HeaderMap::new(), language("en")).is_none());
        assert!(ASSETS.iter().all(|a| a.path.starts_with('/')));
    }

    /// The page's language catalogs (`i18n-<tag>-<hash>.json`, when the page
    /// is built): JSON, kept for a year, brotli as every other file.
    #[test]
    fn language_catalogs_are_json_and_immutable() {
        let brotli = headers(&[(header::ACCEPT_ENCODING, "br")]);
        let catalogs: Vec<&Asset> = ASSETS
            .iter()
            .filter(|a| a.path.starts_with("/i18n-"))
            .collect();
        if ASSETS.iter().any(|a| a.path.ends_with(".wasm")) {
            // A built page: every language but English has its catalog.
            assert_eq!(catalogs.len(), otp_api::locale::LANGUAGES.len() - 1);
        }
        for asset in catalogs {
            let r = response(asset.path, &brotli, language("en")).expect("embedded");
            assert_eq!(get(&r, header::CONTENT_TYPE), Some("application/json"));
            assert_eq!(
                get(&r, header::CACHE_CONTROL),
                Some("public, max-age=31536000, immutable"),
                "{}",
                asset.path
            );
            assert_eq!(get(&r, header::CONTENT_ENCODING), Some("br"));
        }
    }
}
