//! The page's language in the browser: which one it speaks, its catalog,
//! and how a [`Text`] becomes words.
//!
//! The language is the flow's ([`Flow::language`]), and changes only once
//! the new language's catalog is here: until then, and for good if it
//! cannot be fetched, the page keeps speaking the one it speaks.
//! What only the browser knows (its languages, the person's pick kept on
//! the device, the document) is read and written by small functions of
//! `boot.js`: lighter in the download than the same through `web-sys`.

use crate::flow::Flow;
use crate::i18n::{EN, Msg, Text, choose, file_of, fill, variant};
use js_sys::{Promise, Reflect};
use leptos::prelude::*;
use leptos::task::spawn_local;
use otp_api::locale::{Language, SOURCE, exact};
use std::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Set by `boot.js`: the page's languages, most preferred first and
    /// space-separated: the person's pick kept on this device, the
    /// browser's languages, the service's default (`<html lang>` as served).
    #[wasm_bindgen(js_name = otpLanguages)]
    fn preferences() -> String;

    /// Set by `boot.js`: keeps the person's pick on this device.
    #[wasm_bindgen(js_name = otpPick)]
    fn keep_pick(tag: &str);

    /// Set by `boot.js`: fetches a catalog file of `dist/` and resolves to
    /// its `JSON.parse`d content, or to `null` when it could not be had.
    #[wasm_bindgen(js_name = otpCatalog)]
    fn fetch_catalog(file: &str) -> Promise;

    /// Set by `boot.js`: `<html lang dir>`, the document's title, and the
    /// language menu's choice.
    #[wasm_bindgen(js_name = otpMark)]
    fn mark(tag: &str, dir: &str, title: &str);

    /// The browser's CLDR plural rules.
    #[wasm_bindgen(js_namespace = Intl)]
    type PluralRules;
    #[wasm_bindgen(constructor, js_namespace = Intl)]
    fn new(locale: &str) -> PluralRules;
    #[wasm_bindgen(method)]
    fn select(this: &PluralRules, n: f64) -> String;

    /// The browser's number formatting (digits and grouping of the locale).
    #[wasm_bindgen(js_namespace = Intl)]
    type NumberFormat;
    #[wasm_bindgen(constructor, js_namespace = Intl)]
    fn new(locale: &str) -> NumberFormat;
    #[wasm_bindgen(method)]
    fn format(this: &NumberFormat, n: f64) -> String;
}

thread_local! {
    /// The catalog of the language spoken (none for English, compiled in).
    static CATALOG: RefCell<JsValue> = const { RefCell::new(JsValue::NULL) };
    /// The language last asked for: a catalog that arrives after another
    /// pick is not shown.
    static WANTED: Cell<&'static str> = const { Cell::new("en") };
}

/// The language for the app's `ui_locales` (space-separated tags), else
/// the page's own (see [`preferences`]).
pub fn chosen(ui_locales: Option<&str>) -> &'static Language {
    choose(ui_locales, &preferences())
}

/// The person picked `tag` in the menu: kept on the device, spoken once
/// its catalog is here.
pub fn pick(flow: RwSignal<Flow>, tag: &str) {
    if let Some(language) = exact(tag) {
        keep_pick(language.tag);
        switch(flow, language);
    }
}

/// Speaks `to` once its catalog is here: at once for English. `boot.js`
/// fetches each catalog once.
pub fn switch(flow: RwSignal<Flow>, to: &'static Language) {
    WANTED.set(to.tag);
    let Some(file) = file_of(to.tag) else {
        CATALOG.set(JsValue::NULL);
        flow.update(|f| f.set_language(to));
        return;
    };
    spawn_local(async move {
        let catalog = fetch_catalog(file)
            .await
            .ok()
            .filter(js_sys::Array::is_array);
        if WANTED.get() != to.tag {
            return;
        }
        match catalog {
            Some(catalog) => {
                CATALOG.set(catalog);
                flow.update(|f| f.set_language(to));
            }
            // Not to be had: the menu goes back to the language spoken.
            None => mark_document(flow.with_untracked(Flow::language), ""),
        }
    });
}

/// `text` in `language`, the language spoken.
pub fn say(language: &Language, text: &Text) -> String {
    let (count, value) = match text {
        Text::Plain(_) => (None, String::new()),
        Text::Count(_, n) => {
            let n = *n as f64;
            (Some(n), NumberFormat::new(language.tag).format(n))
        }
        Text::Named(_, s) => (None, s.clone()),
    };
    fill(&pattern(language, text.id(), count), &[&value])
}

/// Message `id` in `language`, the language spoken, before its value is
/// put in; for a message about a number, the variant for `count`. English
/// where the catalog lacks it.
fn pattern(language: &Language, id: usize, count: Option<f64>) -> String {
    let category = |tag: &str| match count {
        Some(n) => PluralRules::new(tag).select(n),
        None => String::from("other"),
    };
    let message = CATALOG.with_borrow(|c| Reflect::get_u32(c, id as u32).ok());
    if let Some(message) = message.filter(|_| language != SOURCE) {
        if let Some(text) = message.as_string() {
            return text;
        }
        let get = |key: &str| {
            Reflect::get(&message, &JsValue::from_str(key))
                .ok()
                .and_then(|t| t.as_string())
        };
        if message.is_object()
            && let Some(text) = get(&category(language.tag)).or_else(|| get("other"))
        {
            return text;
        }
    }
    match EN.get(id) {
        Some(Msg::Text(text)) => (*text).to_owned(),
        Some(Msg::Plural(variants)) => variant(variants, &category(SOURCE.tag)).to_owned(),
        None => String::new(),
    }
}

/// Marks the document as written in `language` (its `lang` and `dir`, the
/// menu's choice) and titles it `title` (kept when empty).
pub fn mark_document(language: &Language, title: &str) {
    mark(language.tag, language.dir(), title);
}
