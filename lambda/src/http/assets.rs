//! The page's files, embedded at build time by `build.rs` from `frontend/dist`.
//!
//! Each file comes pre-compressed (brotli and gzip, made once at build time
//! rather than per request). Content-hashed names (`otp-0123abcd.wasm`) never
//! change meaning, so browsers keep them for a year; `index.html` names them
//! and is revalidated on every load, cheaply, with its ETag.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

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

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// The embedded file at `path` (`/` is `index.html`) as a complete response,
/// or `None` when there is no such file and the caller answers 404.
pub(crate) fn response(path: &str, headers: &HeaderMap) -> Option<Response> {
    let path = if path == "/" { "/index.html" } else { path };
    let asset = ASSETS.iter().find(|a| a.path == path)?;
    Some(respond(asset, headers))
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

    #[test]
    fn the_embedded_table_serves_the_index_and_nothing_unknown() {
        for path in ["/", "/index.html"] {
            let r = response(path, &HeaderMap::new()).expect("index.html is always embedded");
            assert_eq!(
                get(&r, header::CONTENT_TYPE),
                Some("text/html; charset=utf-8")
            );
            assert_eq!(get(&r, header::CACHE_CONTROL), Some("no-cache"));
        }
        assert!(response("/nope.js", &HeaderMap::new()).is_none());
        assert!(response("/index.html/", &HeaderMap::new()).is_none());
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
            let r = response(asset.path, &brotli).expect("embedded");
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
