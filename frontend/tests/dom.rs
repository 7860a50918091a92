//! The page in a real browser, with `fetch` answered by a scripted service.
//!
//! Run: see the crate README (`cargo test -p otp-frontend --target
//! wasm32-unknown-unknown` with `wasm-bindgen-test-runner` and chromedriver).
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use otp_frontend::App;
use otp_frontend::i18n::{EN, id};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlButtonElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// What the scripted service saw: `(path, body)` per request.
type Seen = Rc<RefCell<Vec<(String, String)>>>;

/// Replaces `fetch`: every request gets the next `(status, body)` answer;
/// one that is not a JSON `POST` is refused, as a network failure.
fn script_service(answers: Vec<(u16, &'static str)>) -> Seen {
    let seen: Seen = Rc::default();
    let answers = Rc::new(RefCell::new(answers.into_iter()));
    let log = seen.clone();
    let fake = Closure::<dyn FnMut(JsValue, JsValue) -> js_sys::Promise>::new(
        move |input: JsValue, init: JsValue| {
            let (status, body) = answers.borrow_mut().next().expect("an unexpected request");
            let log = log.clone();
            future_to_promise(async move {
                // `fetch(url, options)`, read as the browser reads it.
                let url = input.as_string().ok_or("the page fetches a URL")?;
                let req = web_sys::Request::new_with_str_and_init(&url, init.unchecked_ref())?;
                let json = req.headers().get("content-type")?;
                if req.method() != "POST" || json.as_deref() != Some("application/json") {
                    return Err("the page posts JSON".into());
                }
                let sent = JsFuture::from(req.text()?)
                    .await?
                    .as_string()
                    .unwrap_or_default();
                let path = web_sys::Url::new(&req.url())?.pathname();
                log.borrow_mut().push((path, sent));
                let init = web_sys::ResponseInit::new();
                init.set_status(status);
                Ok(web_sys::Response::new_with_opt_str_and_init(Some(body), &init)?.into())
            })
        },
    );
    js_sys::Reflect::set(&js_sys::global(), &"fetch".into(), fake.as_ref()).unwrap();
    fake.forget();
    seen
}

/// Stands in for `boot.js`'s language functions: the page's languages are
/// `languages`, and every catalog is `catalog` (JavaScript; `null` when it
/// cannot be had). Marking the document and moving the focus do what
/// `boot.js` does.
fn stand_in_for_boot(languages: &str, catalog: &str) {
    let set = |name: &str, args: &str, body: &str| {
        let f = js_sys::Function::new_with_args(args, body);
        js_sys::Reflect::set(&js_sys::global(), &name.into(), &f).unwrap();
    };
    set("otpLanguages", "", &format!("return {languages:?};"));
    set("otpPick", "tag", "globalThis.otpPicked = tag;");
    set(
        "otpCatalog",
        "file",
        &format!("globalThis.otpFetched = file; return Promise.resolve({catalog});"),
    );
    set(
        "otpMark",
        "lang, dir",
        "Object.assign(document.documentElement, { lang, dir }); \
         const menu = document.getElementById('language'); if (menu) menu.value = lang;",
    );
    set(
        "otpFocus",
        "",
        "setTimeout(() => { if (document.activeElement?.id !== 'language') \
         document.querySelector('main [autofocus]')?.focus(); });",
    );
}

/// A fresh container with the page mounted in it, in English.
fn mount() -> (Element, impl Drop) {
    stand_in_for_boot("en", "null");
    mount_as_is()
}

/// A fresh container with the page mounted in it.
fn mount_as_is() -> (Element, impl Drop) {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let handle = leptos::mount::mount_to(root.clone().unchecked_into(), App);
    (root, handle)
}

fn by_test_id(root: &Element, id: &str) -> Option<Element> {
    root.query_selector(&format!("[data-testid={id}]")).unwrap()
}

fn get(root: &Element, id: &str) -> Element {
    by_test_id(root, id).unwrap_or_else(|| panic!("no [data-testid={id}]"))
}

/// Polls until `cond` holds; fails after two seconds.
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        gloo_timers::future::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Types (or pastes) `text` into an input the way a browser reports it.
fn fill(input: &Element, text: &str) {
    let input: &HtmlInputElement = input.unchecked_ref();
    input.set_value(text);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    input.dispatch_event(&event).unwrap();
}

fn click(root: &Element, id: &str) {
    get(root, id).unchecked_into::<HtmlButtonElement>().click();
}

fn disabled(root: &Element, id: &str) -> bool {
    get(root, id)
        .unchecked_into::<HtmlButtonElement>()
        .disabled()
}

const SENT: (u16, &str) = (
    202,
    r#"{"flow_id":"flow-1","expires_in":600,"resend_in":60}"#,
);

/// What a plain visit asks first, answered for a browser where nobody is
/// signed in.
const NO_SESSION: (u16, &str) = (200, r#"{"session":null}"#);

/// Waits for the Email screen, which a plain visit shows once the service
/// has said who is signed in.
async fn email_screen(root: &Element) {
    until("the email screen", || {
        by_test_id(root, "email-input").is_some()
    })
    .await;
}

/// From a fresh page to the Code screen for ada@example.com.
async fn to_code_screen(root: &Element) {
    email_screen(root).await;
    fill(&get(root, "email-input"), "ada@example.com");
    click(root, "send-button");
    until("the code screen", || {
        by_test_id(root, "code-input").is_some()
    })
    .await;
}

#[wasm_bindgen_test]
async fn email_screen_has_a_labelled_email_input() {
    script_service(vec![NO_SESSION]);
    let (root, _page) = mount();
    email_screen(&root).await;
    let input = get(&root, "email-input");
    assert_eq!(input.get_attribute("type").as_deref(), Some("email"));
    // The browser's suggestions: addresses, and passkeys where it has them.
    assert_eq!(
        input.get_attribute("autocomplete").as_deref(),
        Some("email webauthn")
    );
    assert!(input.has_attribute("required"));
    let label = root
        .query_selector("label[for=email]")
        .unwrap()
        .expect("a label");
    assert_eq!(label.text_content().as_deref(), Some("Email address"));
    assert_eq!(input.id(), "email");
    assert!(!disabled(&root, "send-button"));
    assert!(by_test_id(&root, "code-input").is_none());
}

#[wasm_bindgen_test]
async fn a_pasted_spaced_code_enables_verify_and_verifies() {
    let seen = script_service(vec![
        NO_SESSION,
        SENT,
        (200, r#"{"status":"approved","email":"ada@example.com"}"#),
    ]);
    let (root, _page) = mount();
    to_code_screen(&root).await;

    let sent_to = root.query_selector(".sent-to").unwrap().unwrap();
    assert_eq!(
        sent_to.text_content().as_deref(),
        Some("We sent a code to ada@example.com")
    );
    let code = get(&root, "code-input");
    assert_eq!(
        code.get_attribute("autocomplete").as_deref(),
        Some("one-time-code")
    );
    assert_eq!(code.get_attribute("inputmode").as_deref(), Some("numeric"));
    assert!(disabled(&root, "verify-button"), "nothing typed yet");
    assert!(
        get(&root, "resend-button")
            .text_content()
            .unwrap()
            .starts_with("Resend code in "),
        "the resend countdown is visible"
    );

    fill(&code, "123 45");
    let box_value = || code.unchecked_ref::<HtmlInputElement>().value();
    until("the space to be dropped", || box_value() == "12345").await;
    assert!(
        disabled(&root, "verify-button"),
        "five digits are not a code"
    );

    fill(&code, "123 456");
    until("the verified screen", || {
        by_test_id(&root, "verified").is_some()
    })
    .await;
    let verified = get(&root, "verified").text_content().unwrap();
    assert!(verified.contains("ada@example.com"), "{verified}");

    let seen = seen.borrow();
    assert_eq!(seen[1].0, "/api/otp/send");
    assert!(
        seen[1].1.contains(r#""email":"ada@example.com""#),
        "{}",
        seen[1].1
    );
    assert!(seen[1].1.contains(r#""request_id":""#), "{}", seen[1].1);
    assert_eq!(
        seen[2],
        (
            "/api/otp/verify".to_owned(),
            r#"{"flow_id":"flow-1","code":"123456"}"#.to_owned()
        )
    );
}

/// Whether the element matching `selector` has the focus.
fn has_focus(root: &Element, selector: &str) -> bool {
    let document = web_sys::window().unwrap().document().unwrap();
    document.active_element() == root.query_selector(selector).unwrap()
}

#[wasm_bindgen_test]
async fn each_screen_puts_the_focus_where_the_person_goes_next() {
    script_service(vec![
        NO_SESSION,
        SENT,
        (200, r#"{"status":"approved","email":"ada@example.com"}"#),
    ]);
    let (root, _page) = mount();
    let focus = |selector| has_focus(&root, selector);
    until("the focus in the address field", || focus("#email")).await;
    to_code_screen(&root).await;
    until("the focus in the code field", || focus("#code")).await;
    fill(&get(&root, "code-input"), "123456");
    until("the focus on the outcome", || {
        focus("[data-testid=verified] h2")
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_wrong_code_says_how_many_tries_are_left() {
    script_service(vec![
        NO_SESSION,
        SENT,
        (
            422,
            r#"{"error":{"code":"wrong_code","message":"x","attempts_left":2}}"#,
        ),
    ]);
    let (root, _page) = mount();
    to_code_screen(&root).await;
    fill(&get(&root, "code-input"), "111-111");
    until("the error", || by_test_id(&root, "error").is_some()).await;
    let error = get(&root, "error");
    assert_eq!(
        error.text_content().as_deref(),
        Some("That code is not right. 2 tries left.")
    );
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    // In the status region, which is the field's description, and said once.
    let status = get(&root, "status");
    assert_eq!(status.id(), "status");
    assert_eq!(
        status.text_content().as_deref(),
        Some("That code is not right. 2 tries left.")
    );
    assert_eq!(
        get(&root, "code-input")
            .get_attribute("aria-describedby")
            .as_deref(),
        Some("status")
    );
    assert_eq!(
        get(&root, "status").get_attribute("aria-live").as_deref(),
        Some("polite")
    );
    assert!(
        get(&root, "code-input").is_connected(),
        "still on the code screen"
    );
}

#[wasm_bindgen_test]
async fn change_address_goes_back_with_the_address_kept() {
    script_service(vec![NO_SESSION, SENT]);
    let (root, _page) = mount();
    to_code_screen(&root).await;
    click(&root, "change-email-button");
    until("the email screen", || {
        by_test_id(&root, "email-input").is_some()
    })
    .await;
    let input = get(&root, "email-input");
    assert_eq!(
        input.unchecked_ref::<HtmlInputElement>().value(),
        "ada@example.com"
    );
}

/// Stands in for `boot.js`'s `otpSolve`: reports a quarter of the expected
/// tries at once, then answers `nonce` a moment later. Returns what it was
/// asked to solve, as `(token, difficulty)`.
fn script_solver(nonce: f64) -> Rc<RefCell<Vec<(String, f64)>>> {
    let asked: Rc<RefCell<Vec<(String, f64)>>> = Rc::default();
    let log = asked.clone();
    let fake = Closure::<dyn FnMut(JsValue, JsValue, js_sys::Function) -> js_sys::Promise>::new(
        move |token: JsValue, difficulty: JsValue, progress: js_sys::Function| {
            let difficulty = difficulty.as_f64().unwrap();
            log.borrow_mut()
                .push((token.as_string().unwrap(), difficulty));
            let tries = 2f64.powf(difficulty) / 4.0;
            progress.call1(&JsValue::NULL, &tries.into()).unwrap();
            future_to_promise(async move {
                gloo_timers::future::sleep(Duration::from_millis(300)).await;
                Ok(nonce.into())
            })
        },
    );
    js_sys::Reflect::set(&js_sys::global(), &"otpSolve".into(), fake.as_ref()).unwrap();
    fake.forget();
    asked
}

#[wasm_bindgen_test]
async fn a_proof_of_work_shows_progress_and_sends_the_same_request_with_the_proof() {
    let seen = script_service(vec![
        NO_SESSION,
        (
            429,
            r#"{"error":{"code":"proof_of_work_required","message":"x","challenge":{"token":"v1.tok","difficulty":18}}}"#,
        ),
        SENT,
    ]);
    let asked = script_solver(4242.0);
    let (root, _page) = mount();
    email_screen(&root).await;
    fill(&get(&root, "email-input"), "ada@example.com");
    click(&root, "send-button");

    until("the progress bar", || {
        by_test_id(&root, "check-progress").is_some()
    })
    .await;
    let bar = get(&root, "check-progress");
    assert_eq!(
        bar.tag_name(),
        "PROGRESS",
        "a progressbar to assistive technology"
    );
    assert_eq!(
        bar.get_attribute("aria-label").as_deref(),
        Some("Checking your device")
    );
    assert_eq!(bar.get_attribute("max").as_deref(), Some("100"));
    assert_eq!(bar.get_attribute("value").as_deref(), Some("25"));
    assert!(
        disabled(&root, "send-button"),
        "nothing else starts meanwhile"
    );
    assert!(
        get(&root, "send-button").has_attribute("data-busy"),
        "the send button shows its spinner"
    );
    assert_eq!(
        get(&root, "status").text_content().as_deref(),
        Some(otp_api::ErrorCode::ProofOfWorkRequired.message())
    );
    assert_eq!(*asked.borrow(), [("v1.tok".to_owned(), 18.0)]);

    until("the code screen", || {
        by_test_id(&root, "code-input").is_some()
    })
    .await;
    assert!(by_test_id(&root, "check-progress").is_none());
    let seen = seen.borrow();
    assert_eq!(seen.len(), 3);
    let first = &seen[1].1;
    let again = &seen[2].1;
    assert_eq!(seen[2].0, "/api/otp/send");
    assert_eq!(
        again,
        &format!(
            r#"{},"proof":{{"challenge":"v1.tok","nonce":4242}},"locale":"en"}}"#,
            first.strip_suffix(r#","locale":"en"}"#).unwrap()
        ),
        "the same send, with its proof (and the page's language)"
    );
}

const SIGN_IN: &str = "AbC-_0123456789abcdefgh";

/// Mounts the page as `/authorize` opens it for an app (`?sign_in=<id>`).
fn mount_for_sign_in() -> (Element, impl Drop) {
    mount_at(&format!("?sign_in={SIGN_IN}"))
}

/// Mounts the page opened at `/` with `query`; the test page's own address
/// is back as it was once the page has read it.
fn mount_at(query: &str) -> (Element, impl Drop + use<>) {
    let window = web_sys::window().unwrap();
    let history = window.history().unwrap();
    let before = window.location().href().unwrap();
    history
        .replace_state_with_url(&JsValue::NULL, "", Some(query))
        .unwrap();
    let page = mount();
    history
        .replace_state_with_url(&JsValue::NULL, "", Some(&before))
        .unwrap();
    page
}

fn text(root: &Element, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

fn cancel_offered(root: &Element) -> bool {
    by_test_id(root, "cancel-button").is_some()
}

#[wasm_bindgen_test]
async fn a_sign_in_names_the_app_and_sends_bound_to_it() {
    let seen = script_service(vec![
        (
            200,
            r#"{"client_name":"Example Shop","login_hint":"ada@example.com"}"#,
        ),
        SENT,
    ]);
    let (root, _page) = mount_for_sign_in();
    assert!(
        by_test_id(&root, "email-input").is_none(),
        "no form until the app is known"
    );
    assert!(!cancel_offered(&root));
    until("the app's name", || {
        text(&root, "h1") == "Continue to Example Shop"
    })
    .await;
    let input: HtmlInputElement = get(&root, "email-input").unchecked_into();
    assert_eq!(input.value(), "ada@example.com", "the app's login_hint");
    assert!(cancel_offered(&root));
    assert_eq!(get(&root, "cancel-button").tag_name(), "BUTTON");

    click(&root, "send-button");
    until("the code screen", || {
        by_test_id(&root, "code-input").is_some()
    })
    .await;
    assert!(cancel_offered(&root), "Cancel stays");
    assert_eq!(text(&root, "h1"), "Continue to Example Shop");
    let seen = seen.borrow();
    assert_eq!(
        seen[0],
        (
            "/api/sign-in".to_owned(),
            format!(r#"{{"sign_in":"{SIGN_IN}"}}"#)
        )
    );
    assert_eq!(seen[1].0, "/api/otp/send");
    assert!(
        seen[1]
            .1
            .ends_with(&format!(r#","sign_in":"{SIGN_IN}","locale":"en"}}"#)),
        "{}",
        seen[1].1
    );
}

#[wasm_bindgen_test]
async fn a_sign_in_that_is_over_says_so_with_no_form() {
    script_service(vec![(
        410,
        r#"{"error":{"code":"sign_in_expired","message":"x"}}"#,
    )]);
    let (root, _page) = mount_for_sign_in();
    until("the error", || by_test_id(&root, "error").is_some()).await;
    let error = get(&root, "error");
    assert_eq!(
        error.text_content().as_deref(),
        Some(otp_api::ErrorCode::SignInExpired.message())
    );
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert!(by_test_id(&root, "email-input").is_none());
    assert!(by_test_id(&root, "send-button").is_none());
    assert!(!cancel_offered(&root));
    assert_eq!(text(&root, "h1"), "Verify your email");
}

/// A catalog as `build.rs` writes them: message `i` of a language is
/// "xx <i>", but "Code sent" has one text per plural category.
fn fake_catalog() -> String {
    format!(
        "Array.from({{ length: {} }}, (_, i) => i === {} \
         ? {{ one: 'xx one {{0}}', other: 'xx other {{0}}' }} : `xx ${{i}}`)",
        EN.len(),
        id::CODE_SENT
    )
}

#[wasm_bindgen_test]
async fn the_page_speaks_the_preferred_language_once_its_catalog_is_here() {
    let _service = script_service(vec![NO_SESSION, SENT]);
    stand_in_for_boot("zz de-AT en", &fake_catalog());
    let (root, _page) = mount_as_is();
    let heading = format!("xx {}", id::PAGE_TITLE);
    until("the German catalog", || text(&root, "h1") == heading).await;
    let html = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .document_element()
        .unwrap();
    assert_eq!(html.get_attribute("lang").as_deref(), Some("de"));
    assert_eq!(html.get_attribute("dir").as_deref(), Some("ltr"));
    let fetched = js_sys::Reflect::get(&js_sys::global(), &"otpFetched".into()).unwrap();
    let file = fetched.as_string().unwrap();
    assert!(
        file.starts_with("i18n-de-") && file.ends_with(".json"),
        "{file}"
    );

    to_code_screen(&root).await;
    // "Code sent. It works for 10 minutes.": the plural message, in the
    // category the browser's rules give 10 in German.
    until("the code screen's status", || {
        text(&root, "[data-testid=status]") == "xx other 10"
    })
    .await;
    assert_eq!(text(&root, ".sent-to"), format!("xx {}", id::SENT_TO));
    stand_in_for_boot("en", "null");
}

#[wasm_bindgen_test]
async fn the_menu_switches_the_language_and_keeps_the_typed_address() {
    script_service(vec![NO_SESSION]);
    stand_in_for_boot("en", &fake_catalog());
    let (root, _page) = mount_as_is();
    email_screen(&root).await;
    fill(&get(&root, "email-input"), "ada@example.com");
    let menu: web_sys::HtmlSelectElement = get(&root, "language-select").unchecked_into();
    menu.set_value("ar");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    menu.dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
    let heading = format!("xx {}", id::PAGE_TITLE);
    until("Arabic", || text(&root, "h1") == heading).await;
    let html = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .document_element()
        .unwrap();
    assert_eq!(html.get_attribute("dir").as_deref(), Some("rtl"));
    let picked = js_sys::Reflect::get(&js_sys::global(), &"otpPicked".into()).unwrap();
    assert_eq!(picked.as_string().as_deref(), Some("ar"));
    let input: HtmlInputElement = get(&root, "email-input").unchecked_into();
    assert_eq!(input.value(), "ada@example.com");
    assert_eq!(menu.value(), "ar");
    stand_in_for_boot("en", "null");
}

const SIGNED_IN: (u16, &str) = (200, r#"{"session":{"email":"ada@example.com"}}"#);

/// The page of a browser where ada@example.com is signed in.
async fn signed_in_page(answers: Vec<(u16, &'static str)>) -> (Seen, Element, impl Drop) {
    let seen = script_service([vec![SIGNED_IN], answers].concat());
    let (root, page) = mount();
    until("the signed-in screen", || {
        by_test_id(&root, "signed-in").is_some()
    })
    .await;
    (seen, root, page)
}

#[wasm_bindgen_test]
async fn a_plain_visit_asks_who_is_signed_in_before_showing_a_form() {
    let seen = script_service(vec![NO_SESSION]);
    let (root, _page) = mount();
    assert!(
        by_test_id(&root, "email-input").is_none(),
        "no form until the service has answered"
    );
    email_screen(&root).await;
    assert_eq!(
        seen.borrow()[0],
        ("/api/session".to_owned(), "{}".to_owned())
    );
    assert_eq!(text(&root, "[data-testid=status]"), "", "nothing to say");
    assert!(by_test_id(&root, "sign-out-button").is_none());
}

#[wasm_bindgen_test]
async fn a_service_that_does_not_know_sessions_leaves_the_email_screen_as_it_was() {
    // Today's service answers 404 in its error shape; a proxy may answer
    // with a page of its own.
    for answer in [
        (404, r#"{"error":{"code":"not_found","message":"x"}}"#),
        (404, "<h1>Not Found</h1>"),
    ] {
        script_service(vec![answer, SENT]);
        let (root, _page) = mount();
        email_screen(&root).await;
        assert!(by_test_id(&root, "error").is_none(), "{answer:?}");
        assert!(by_test_id(&root, "retry-button").is_none(), "{answer:?}");
        to_code_screen(&root).await;
    }
}

#[wasm_bindgen_test]
async fn a_signed_in_visit_says_who_and_offers_the_choices() {
    let (_seen, root, _page) = signed_in_page(vec![]).await;
    let heading = root
        .query_selector("[data-testid=signed-in] h2")
        .unwrap()
        .unwrap();
    assert_eq!(
        heading.text_content().as_deref(),
        Some("Signed in as ada@example.com")
    );
    until("the focus on the heading", || {
        has_focus(&root, "[data-testid=signed-in] h2")
    })
    .await;
    for (id, label) in [
        ("sign-out-button", "Sign out"),
        ("another-address-button", "Use another address"),
        ("sign-out-everywhere-button", "Sign out everywhere"),
    ] {
        let button = get(&root, id);
        assert_eq!(button.tag_name(), "BUTTON", "{id}");
        assert_eq!(button.get_attribute("type").as_deref(), Some("button"));
        assert_eq!(button.text_content().as_deref(), Some(label));
    }
    assert!(by_test_id(&root, "email-input").is_none());
    assert_eq!(text(&root, "h1"), "Verify your email");
}

#[wasm_bindgen_test]
async fn signing_out_ends_on_the_email_screen_saying_so() {
    for (id, body) in [
        ("sign-out-button", r#"{"everywhere":false}"#),
        ("sign-out-everywhere-button", r#"{"everywhere":true}"#),
    ] {
        let (seen, root, _page) = signed_in_page(vec![(200, r#"{"sessions_ended":1}"#)]).await;
        click(&root, id);
        email_screen(&root).await;
        assert_eq!(
            seen.borrow()[1],
            ("/api/session/end".to_owned(), body.to_owned())
        );
        assert_eq!(
            text(&root, "[data-testid=status]"),
            "You are signed out.",
            "in the live region"
        );
        let input: HtmlInputElement = get(&root, "email-input").unchecked_into();
        assert_eq!(input.value(), "", "the address is not left on the page");
    }
}

#[wasm_bindgen_test]
async fn another_address_shows_the_email_screen_empty_without_a_request() {
    let (seen, root, _page) = signed_in_page(vec![SENT]).await;
    click(&root, "another-address-button");
    email_screen(&root).await;
    let input: HtmlInputElement = get(&root, "email-input").unchecked_into();
    assert_eq!(input.value(), "");
    fill(&input, "grace@example.com");
    click(&root, "send-button");
    until("the code screen", || {
        by_test_id(&root, "code-input").is_some()
    })
    .await;
    let seen = seen.borrow();
    assert_eq!(seen.len(), 2, "no request for the choice itself");
    assert_eq!(seen[1].0, "/api/otp/send");
}

#[wasm_bindgen_test]
async fn the_verified_screen_says_so_and_who_is_signed_in() {
    script_service(vec![
        NO_SESSION,
        SENT,
        (200, r#"{"status":"approved","email":"ada@example.com"}"#),
    ]);
    let (root, _page) = mount();
    to_code_screen(&root).await;
    fill(&get(&root, "code-input"), "123456");
    until("the verified screen", || {
        by_test_id(&root, "verified").is_some()
    })
    .await;
    assert_eq!(text(&root, "[data-testid=verified] h2"), "Email verified");
    assert_eq!(
        text(&root, "[data-testid=verified] p"),
        "Signed in as ada@example.com"
    );
    assert!(by_test_id(&root, "sign-out-button").is_some());
    assert!(by_test_id(&root, "sign-out-everywhere-button").is_some());
}

#[wasm_bindgen_test]
async fn a_sign_in_with_a_session_offers_continue_in_one_press() {
    let seen = script_service(vec![
        (
            200,
            r#"{"client_name":"Example Shop","session":{"email":"ada@example.com","can_continue":true}}"#,
        ),
        (
            401,
            r#"{"error":{"code":"session_required","message":"x"}}"#,
        ),
    ]);
    let (root, _page) = mount_for_sign_in();
    until("the continue screen", || {
        by_test_id(&root, "continue-button").is_some()
    })
    .await;
    assert_eq!(text(&root, "h1"), "Continue to Example Shop");
    assert_eq!(text(&root, "#who"), "as ada@example.com");
    let button = get(&root, "continue-button");
    assert_eq!(button.tag_name(), "BUTTON");
    assert_eq!(button.text_content().as_deref(), Some("Continue"));
    assert_eq!(
        button.get_attribute("aria-describedby").as_deref(),
        Some("who")
    );
    until("the focus on Continue", || {
        has_focus(&root, "[data-testid=continue-button]")
    })
    .await;
    assert!(by_test_id(&root, "another-address-button").is_some());
    assert!(cancel_offered(&root));
    assert!(by_test_id(&root, "email-input").is_none());

    // The session may not finish it after all: a code, then.
    click(&root, "continue-button");
    email_screen(&root).await;
    assert_eq!(
        seen.borrow()[1],
        (
            "/api/sign-in/continue".to_owned(),
            format!(r#"{{"sign_in":"{SIGN_IN}"}}"#)
        )
    );
    let input: HtmlInputElement = get(&root, "email-input").unchecked_into();
    assert_eq!(input.value(), "ada@example.com");
    assert_eq!(
        text(&root, "[data-testid=status]"),
        "Example Shop asks you to confirm with a new code."
    );
    assert!(cancel_offered(&root));
}

#[wasm_bindgen_test]
async fn a_sign_in_that_wants_a_new_code_fills_in_the_address_and_says_why() {
    script_service(vec![(
        200,
        r#"{"client_name":"Example Shop","session":{"email":"ada@example.com","can_continue":false}}"#,
    )]);
    let (root, _page) = mount_for_sign_in();
    email_screen(&root).await;
    let input: HtmlInputElement = get(&root, "email-input").unchecked_into();
    assert_eq!(input.value(), "ada@example.com");
    let status = get(&root, "status");
    assert_eq!(
        status.text_content().as_deref(),
        Some("Example Shop asks you to confirm with a new code.")
    );
    assert_eq!(
        input.get_attribute("aria-describedby").as_deref(),
        Some("status"),
        "read with the field"
    );
    assert!(by_test_id(&root, "continue-button").is_none());
}

const LOGOUT: &str = "LoGoUt_0123456789abcde";

/// Mounts the page as `/logout` opens it when it asks first.
async fn logout_page(answers: Vec<(u16, &'static str)>) -> (Seen, Element, impl Drop) {
    let seen = script_service(
        [
            vec![(
                200,
                r#"{"email":"ada@example.com","client_name":"Example Shop"}"#,
            )],
            answers,
        ]
        .concat(),
    );
    let (root, page) = mount_at(&format!("?logout={LOGOUT}"));
    until("the question", || {
        by_test_id(&root, "confirm-logout-button").is_some()
    })
    .await;
    (seen, root, page)
}

#[wasm_bindgen_test]
async fn a_logout_an_app_asked_for_is_confirmed_first() {
    let (seen, root, _page) = logout_page(vec![(200, r#"{"redirect_to":null}"#)]).await;
    assert_eq!(
        seen.borrow()[0],
        (
            "/api/logout".to_owned(),
            format!(r#"{{"logout":"{LOGOUT}"}}"#)
        )
    );
    assert_eq!(text(&root, "h1"), "Sign out of Example Shop?");
    assert_eq!(text(&root, "#who"), "Signed in as ada@example.com");
    let sign_out = get(&root, "confirm-logout-button");
    assert_eq!(sign_out.text_content().as_deref(), Some("Sign out"));
    assert_eq!(
        get(&root, "stay-signed-in-button")
            .text_content()
            .as_deref(),
        Some("Stay signed in")
    );
    until("the focus on Sign out", || {
        has_focus(&root, "[data-testid=confirm-logout-button]")
    })
    .await;

    click(&root, "confirm-logout-button");
    email_screen(&root).await;
    assert_eq!(
        seen.borrow()[1],
        (
            "/api/logout/confirm".to_owned(),
            format!(r#"{{"logout":"{LOGOUT}"}}"#)
        )
    );
    assert_eq!(text(&root, "[data-testid=status]"), "You are signed out.");
    assert_eq!(text(&root, "h1"), "Verify your email");
}

#[wasm_bindgen_test]
async fn staying_signed_in_shows_who_is_without_a_request() {
    let (seen, root, _page) = logout_page(vec![]).await;
    click(&root, "stay-signed-in-button");
    until("the signed-in screen", || {
        by_test_id(&root, "signed-in").is_some()
    })
    .await;
    assert_eq!(
        text(&root, "[data-testid=signed-in] h2"),
        "Signed in as ada@example.com"
    );
    assert_eq!(text(&root, "h1"), "Verify your email");
    assert_eq!(seen.borrow().len(), 1);
}

#[wasm_bindgen_test]
async fn a_finished_logout_says_so_and_asks_nothing() {
    let seen = script_service(vec![SENT]);
    let (root, _page) = mount_at("?logout=done");
    email_screen(&root).await;
    assert_eq!(text(&root, "[data-testid=status]"), "You are signed out.");
    // The first request the page makes is the person's own send.
    to_code_screen(&root).await;
    assert_eq!(seen.borrow()[0].0, "/api/otp/send");
}
