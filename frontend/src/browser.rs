//! What the page asks of the browser: the service's calls (`fetch`, with
//! answers read by `JSON.parse`), the proof-of-work solver and the focus
//! `boot.js` offers, the clock, random request ids, and the page's own
//! address.
//! Browser only; every decision about what to call and what an answer
//! means stays in [`crate::flow`] and [`crate::wire`].

use crate::wire::{Call, Json, Reply, decode, whole_number};
use js_sys::{Function, JSON, Object, Promise, Reflect};
use otp_api::Challenge;
use wasm_bindgen::prelude::*;
use web_sys::{RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    /// Set by `boot.js`: solves a challenge in Web Workers, calling
    /// `progress` with the nonces tried so far; resolves to the nonce.
    #[wasm_bindgen(catch, js_name = otpSolve)]
    fn solve_in_workers(
        token: &str,
        difficulty: u32,
        progress: &Function,
    ) -> Result<Promise, JsValue>;

    /// Set by `boot.js`: once the screen just drawn is on the page, puts
    /// the focus on its `autofocus` element (unless the person is choosing
    /// a language: the screen is then drawn anew in it, and the focus stays).
    #[wasm_bindgen(js_name = otpFocus)]
    pub fn focus_next();

    /// Set by `boot.js`: after an approved code, offers a passkey (once per
    /// device, where the browser has them) in `texts` (its line, create,
    /// not now: one a line), then goes to `to`, if not empty.
    #[wasm_bindgen(js_name = otpOffer)]
    pub fn offer_passkey(to: &str, texts: &str);
}

/// Sends `call` to the service on this page's own origin; an answer that
/// never came, or cannot be read, is [`Reply::Unreachable`].
pub async fn post(call: &Call) -> Reply {
    fetch(call).await.unwrap_or(Reply::Unreachable)
}

/// `fetch` as the browser has it, rather than through a wrapper such as
/// `gloo-net`, whose request building (query strings, URL parsing) and
/// error conversions would be in the download for nothing. The body is
/// written by [`Call::body`] and the answer read with `JSON.parse`, so no
/// `serde_json` either.
async fn fetch(call: &Call) -> Option<Reply> {
    let headers = Object::new();
    Reflect::set(&headers, &"content-type".into(), &"application/json".into()).ok()?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&call.body().into());
    let answer = web_sys::window()?.fetch_with_str_and_init(call.path(), &init);
    let response: Response = answer.await.ok()?.unchecked_into();
    let text = response.text().ok()?.await.ok()?.as_string()?;
    let body = JSON::parse(&text).ok();
    Some(decode(call, response.status(), body.as_ref()))
}

/// The browser's `JSON.parse` result, read field by field.
impl Json for JsValue {
    fn member(&self, key: &str) -> Option<Self> {
        if !self.is_object() {
            return None;
        }
        Reflect::get(self, &JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }
    fn string(&self) -> Option<String> {
        self.as_string()
    }
    fn number(&self) -> Option<f64> {
        self.as_f64()
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
}

/// Solves `challenge`, telling `progress` the nonces tried so far; `None`
/// when the solver could not be loaded or run.
pub async fn solve(challenge: &Challenge, mut progress: impl FnMut(f64) + 'static) -> Option<u64> {
    // Of the very type the browser's futures already use: a closure of a new
    // type gets a describe function that wasm-opt -Oz (binaryen 108, its
    // merge-similar-functions) merges with another, which wasm-bindgen then
    // cannot read.
    let progress =
        Closure::<dyn FnMut(JsValue) -> Result<(), JsError>>::new(move |tries: JsValue| {
            progress(tries.as_f64().unwrap_or_default());
            Ok(())
        });
    let solving = solve_in_workers(
        &challenge.token,
        challenge.difficulty,
        progress.as_ref().unchecked_ref(),
    )
    .ok()?;
    whole_number(solving.await.ok()?.as_f64()?)
}

/// The page's monotonic clock in milliseconds.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// 128 random bits as hex: the idempotency key of one send. `None` rather
/// than a guessable key when the browser offers no random source.
pub fn new_request_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    let crypto = web_sys::window()?.crypto().ok()?;
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(32);
    for b in bytes {
        id.push(HEX[usize::from(b >> 4)] as char);
        id.push(HEX[usize::from(b & 15)] as char);
    }
    Some(id)
}

/// The query of the page's address (`?sign_in=…`, `?logout=…`), if any.
pub fn query() -> Option<String> {
    web_sys::window()?.location().search().ok()
}

/// Goes to `to` in place of this page in the history, so Back does not
/// return to a sign-in that is over.
pub fn leave_for(to: &str) {
    if let Some(window) = web_sys::window() {
        _ = window.location().replace(to);
    }
}
