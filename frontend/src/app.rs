//! The page: renders a [`Flow`] and performs the calls it asks for.
//!
//! Deliberately thin; every decision lives in [`crate::flow`]. Nothing here
//! sets inline styles or injects script, so the page runs under the strict
//! Content-Security-Policy the service sends.

use crate::browser::{self, new_request_id, now_ms};
use crate::flow::{CODE_INPUT_MAX, Flow, Notice, Screen};
use crate::i18n::{Text, id};
use crate::language::{self, say};
use crate::wire::{Call, Reply};
use leptos::either::EitherOf6;
use leptos::ev::{Event, MouseEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;
use otp_api::locale::LANGUAGES;
use std::mem::discriminant;
use std::time::Duration;

/// How often the countdown label refreshes; well under a second so the
/// number never looks stuck.
const TICK: Duration = Duration::from_millis(250);

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    // Learn what to show before asking anything: who is signed in, which
    // app asks for a sign-in, or what the logout an app asked for is about.
    let mut start = Flow::new();
    let ask = start.open(&browser::query().unwrap_or_default());
    let flow = RwSignal::new(start);
    let tick = Trigger::new();
    if let Ok(timer) = set_interval_with_handle(move || tick.notify(), TICK) {
        on_cleanup(move || timer.clear());
    }
    // What is drawn anew: the screen (which one, not what it holds), in
    // the page's language (English until another language's catalog is here).
    let screen = Memo::new(move |_| flow.with(|f| (discriminant(f.screen()), f.language())));
    language::switch(flow, language::chosen(None));
    let page = Page { flow, tick };
    if let Some(call) = ask {
        page.perform(call);
    }

    view! {
        <main class="card">
            {move || {
                // Drawn anew with each screen and in each language (lighter
                // than reactive parts): the heading names the app once the
                // service has, and Cancel is there while the app's sign-in
                // can still be cancelled. The document's language, direction
                // and title follow, and the code mail is asked for in it.
                let (_, l) = screen.get();
                let (title, can_cancel, shown) = flow.with_untracked(|f| (say(l, &f.title()), f.can_cancel(), f.screen().clone()));
                language::mark_document(l, &title);
                // Each screen starts where the person goes next: its
                // `autofocus` element.
                browser::focus_next();
                let shown = match shown {
                    Screen::Email { .. } => EitherOf6::A(view! { <EmailScreen page=page /> }),
                    Screen::Code(sent) => EitherOf6::B(view! { <CodeScreen page=page sent_to=sent.to /> }),
                    Screen::SignedIn { email, verified } => {
                        EitherOf6::C(view! { <SignedInScreen page=page email=email verified=verified /> })
                    }
                    Screen::Status => EitherOf6::D(view! { <StatusRegion page=page /> }),
                    Screen::Continue { email } => EitherOf6::E(view! {
                        <Question page=page line=page.say(&Text::Named(id::CONTINUE_AS, email)) answers=CONTINUE />
                    }),
                    Screen::Logout { email, .. } => EitherOf6::F(view! {
                        <Question
                            page=page
                            line=email.map(|email| page.say(&Text::Named(id::SIGNED_IN_AS, email))).unwrap_or_default()
                            answers=LOGOUT
                        />
                    }),
                };
                // Back to the app without signing in; it learns that the
                // person declined.
                let cancel = can_cancel.then(|| choice(page, "secondary", "cancel-button", id::CANCEL, |f, _| f.cancel()));
                view! {
                    <h1>{title}</h1>
                    {shown}
                    {cancel}
                    <label for="language" class="language">{say(l, &Text::Plain(id::LANGUAGE))}</label>
                }
            }}
            <LanguageMenu flow=flow />
        </main>
    }
}

/// The language menu: each language named in itself, the choice kept on
/// the device. Outside the part drawn anew, so it keeps the focus; its
/// label is drawn with the screen, and it shows the language spoken
/// ([`language::mark_document`]).
#[component]
fn LanguageMenu(flow: RwSignal<Flow>) -> impl IntoView {
    view! {
        <select
            id="language"
            data-testid="language-select"
            on:change=move |ev| language::pick(flow, &event_target_value(&ev))
        >
            {LANGUAGES
                .iter()
                .map(|l| view! { <option value=l.tag lang=l.tag>{l.name}</option> })
                .collect_view()}
        </select>
    }
}

/// What a button or a form does: a change to the flow at the page's clock,
/// and the call it makes, if any.
type Action = fn(&mut Flow, f64) -> Option<Call>;

/// One of a screen's choices: its `data-testid`, its label, what it does.
type Answer = (&'static str, usize, Action);

/// "Use another address": the Email screen with an empty box.
const ANOTHER_ADDRESS: Answer = ("another-address-button", id::USE_ANOTHER_ADDRESS, |f, _| {
    f.use_another_address();
    None
});

/// An app's sign-in that the person signed in here may finish in one
/// press: "Continue", or another address.
const CONTINUE: [Answer; 2] = [
    ("continue-button", id::CONTINUE, |f, _| f.continue_sign_in()),
    ANOTHER_ADDRESS,
];

/// The logout an app asked for: "Sign out", or "Stay signed in".
const LOGOUT: [Answer; 2] = [
    ("confirm-logout-button", id::SIGN_OUT, |f, _| {
        f.confirm_logout()
    }),
    ("stay-signed-in-button", id::STAY_SIGNED_IN, |f, _| {
        f.stay_signed_in();
        None
    }),
];

/// The offer of a passkey after an approved code: its line, create, not now.
const OFFER: [usize; 3] = [id::PASSKEY_OFFER, id::PASSKEY_CREATE, id::NOT_NOW];

/// The words of the list of passkeys (`{0}`: a date the browser writes).
const MANAGE: [usize; 6] = [
    id::PASSKEYS,
    id::PASSKEY_CREATE,
    id::PASSKEY_REMOVE,
    id::PASSKEY_ADDED,
    id::PASSKEY_LAST_USED,
    id::CLOSE,
];

/// What typing in a field does: a change to the flow with the field's
/// text, and the call it makes, if any.
type Typed = fn(&mut Flow, &str) -> Option<Call>;

/// What every screen needs: the state (with the language) and the clock.
#[derive(Clone, Copy)]
struct Page {
    flow: RwSignal<Flow>,
    /// Notified every [`TICK`], so what reads [`Page::now`] is redrawn.
    tick: Trigger,
}

impl Page {
    /// The page's clock, read so that the reader is redrawn as it moves.
    fn now(self) -> f64 {
        self.tick.track();
        now_ms()
    }

    /// Message `id` (one without a value) in the page's language.
    fn t(self, id: usize) -> String {
        self.say(&Text::Plain(id))
    }

    fn say(self, text: &Text) -> String {
        say(self.flow.with_untracked(Flow::language), text)
    }

    /// Applies a change to the flow and performs the call it produces, if any.
    /// A click handler doing `action`: one type for every button, so the
    /// event plumbing is in the download once rather than once per button.
    fn on_click(self, action: Action) -> impl Fn(MouseEvent) + Copy + 'static {
        move |_| self.act(action)
    }

    /// A form's submit handler doing `action`, likewise one type for both forms.
    fn on_submit(self, action: Action) -> impl Fn(SubmitEvent) + Copy + 'static {
        move |ev: SubmitEvent| {
            ev.prevent_default();
            self.act(action)
        }
    }

    /// A field's input handler doing `typed`, likewise one type for both fields.
    fn on_input(self, typed: Typed) -> impl Fn(Event) + Copy + 'static {
        move |ev: Event| {
            let text = event_target_value(&ev);
            self.act(move |f, _| typed(f, &text))
        }
    }

    fn act(self, change: impl FnOnce(&mut Flow, f64) -> Option<Call>) {
        let now = now_ms();
        if let Some(call) = self.flow.try_update(|f| change(f, now)).flatten() {
            self.perform(call);
        }
    }

    /// Kept apart from the generic `act` so the request code exists once.
    /// A call asked for a proof of work is solved and sent again.
    fn perform(self, mut call: Call) {
        let flow = self.flow;
        spawn_local(async move {
            loop {
                let reply = browser::post(&call).await;
                let verified = matches!(reply, Reply::Verified(_));
                // The app's languages come first, in its sign-in and in
                // the logout it asked for.
                let asked = match &reply {
                    Reply::SignIn(r) => Some(&r.ui_locales),
                    Reply::Logout(r) => Some(&r.ui_locales),
                    _ => None,
                };
                if let Some(ui_locales) = asked {
                    language::switch(flow, language::chosen(ui_locales.as_deref()));
                }
                let at = now_ms();
                let Some(challenge) = flow.try_update(|f| f.finish(reply, at)).flatten() else {
                    // Done or cancelled: back to the app, in place of this
                    // page in the history (its sign-in is over). After an
                    // approved code, `boot.js` first offers a passkey.
                    let to = flow
                        .try_with_untracked(|f| f.leaving().map(str::to_owned))
                        .flatten();
                    if verified {
                        browser::offer_passkey(
                            to.as_deref().unwrap_or_default(),
                            &self.texts(&OFFER),
                        );
                    } else if let Some(to) = to {
                        browser::leave_for(&to);
                    }
                    return;
                };
                let progress = move |tries| _ = flow.try_update(|f| f.progress(tries));
                let nonce = browser::solve(&challenge, progress).await;
                match flow.try_update(|f| f.solved(nonce)).flatten() {
                    Some(again) => call = again,
                    None => return,
                }
            }
        });
    }

    /// Messages `ids`, one a line: the words `boot.js` and `passkey.js`
    /// show, in the page's language; a value stays `{0}`, for the script.
    fn texts(self, ids: &[usize]) -> String {
        let mut texts = String::new();
        for &id in ids {
            texts += &self.say(&Text::Named(id, "{0}".into()));
            texts += "\n";
        }
        texts
    }

    fn busy(self) -> Memo<bool> {
        let flow = self.flow;
        Memo::new(move |_| flow.with(Flow::busy))
    }
}

#[component]
fn EmailScreen(page: Page) -> impl IntoView {
    let flow = page.flow;
    let busy = page.busy();
    // The box starts with the kept address; while shown, the box leads.
    let email = flow.with_untracked(|f| f.email().to_owned());
    let submit = page.on_submit(|f, _| f.submit_email(new_request_id));

    view! {
        <p class="lead">{page.t(id::INTRO)}</p>
        <form class="stack" on:submit=submit>
            <label for="email">{page.t(id::EMAIL_LABEL)}</label>
            <input
                id="email"
                name="email"
                type="email"
                dir="ltr"
                autocomplete="email webauthn"
                inputmode="email"
                required
                aria-describedby="status"
                data-testid="email-input"
                autofocus
                prop:value=email
                on:input=page.on_input(|f, text| {
                    f.set_email(text);
                    None
                })
            />
            <StatusRegion page=page />
            <button type="submit" data-testid="send-button" disabled=move || busy.get() data-busy=move || busy.get()>
                <span class="spinner" aria-hidden="true"></span>
                {page.t(id::SEND_CODE)}
            </button>
        </form>
        // Shown by `boot.js` where the browser has passkeys.
        <button type="button" class="secondary" hidden data-passkey="sign-in" data-testid="passkey-button">
            {page.t(id::PASSKEY_SIGN_IN)}
        </button>
    }
}

/// The code sent to `sent_to` is asked for.
#[component]
fn CodeScreen(page: Page, sent_to: String) -> impl IntoView {
    let flow = page.flow;
    let busy = page.busy();
    // A memo, so the box is only rewritten when the kept code really changes.
    let code = Memo::new(move |_| flow.with(|f| f.code().to_owned()));
    let sent_to = page.say(&Text::Named(id::SENT_TO, sent_to));
    let pending = move |verify: bool| {
        flow.with(|f| match f.pending() {
            Some(Call::Verify(_)) => verify,
            Some(Call::Resend(_)) => !verify,
            _ => false,
        })
    };
    let submit = page.on_submit(|f, _| f.submit_code());

    view! {
        <p class="sent-to">{sent_to}</p>
        <button type="button" class="link" data-testid="change-email-button" disabled=move || busy.get() on:click=page.on_click(|f, _| {
            f.change_email();
            None
        })>
            {page.t(id::CHANGE_ADDRESS)}
        </button>
        <form class="stack" on:submit=submit>
            <label for="code">{page.t(id::CODE_LABEL)}</label>
            <input
                id="code"
                name="code"
                type="text"
                dir="ltr"
                autocomplete="one-time-code"
                inputmode="numeric"
                pattern="[0-9]*"
                maxlength=CODE_INPUT_MAX
                aria-describedby="status"
                data-testid="code-input"
                autofocus
                prop:value=move || code.get()
                on:input=page.on_input(Flow::set_code)
            />
            <StatusRegion page=page />
            <button type="submit" data-testid="verify-button" disabled=move || !flow.with(Flow::can_verify) data-busy=move || pending(true)>
                <span class="spinner" aria-hidden="true"></span>
                {page.t(id::VERIFY)}
            </button>
        </form>
        <button
            type="button"
            class="secondary"
            data-testid="resend-button"
            disabled=move || !flow.with(|f| f.can_resend(page.now()))
            data-busy=move || pending(false)
            on:click=page.on_click(Flow::resend)
        >
            <span class="spinner" aria-hidden="true"></span>
            {move || flow.with(|f| page.say(&f.resend_label(page.now())))}
        </button>
    }
}

/// `email` is signed in here. Right after their code was approved on this
/// page (`verified`) the heading says so and the line under it who is
/// signed in; on a visit the heading says who. The heading takes the
/// focus, so a screen reader reads the outcome.
#[component]
fn SignedInScreen(page: Page, email: String, verified: bool) -> impl IntoView {
    let who = page.say(&Text::Named(id::SIGNED_IN_AS, email));
    let (heading, line) = match verified {
        true => (page.t(id::VERIFIED_HEADING), Some(who)),
        false => (who, None),
    };
    let (id, label, action) = ANOTHER_ADDRESS;
    view! {
        <section data-testid=if verified { "verified" } else { "signed-in" }>
            <h2 tabindex="-1" autofocus>{heading}</h2>
            {line.map(|line| view! { <p class="confirmed">{line}</p> })}
        </section>
        <StatusRegion page=page />
        <div class="stack">
            {choice(page, "secondary", "sign-out-button", id::SIGN_OUT, |f, _| f.sign_out(false))}
            {choice(page, "secondary", id, label, action)}
            {choice(page, "link", "sign-out-everywhere-button", id::SIGN_OUT_EVERYWHERE, |f, _| f.sign_out(true))}
            // The list of passkeys, drawn by `passkey.js` (fetched then) in
            // these words.
            <button type="button" class="link" hidden data-passkey="manage" data-testid="passkeys-button" data-texts=page.texts(&MANAGE)>
                {page.t(id::PASSKEYS)}
            </button>
        </div>
    }
}

/// A question with two answers: `line` says who is signed in, and the
/// first answer, the primary one, takes the focus with the line as its
/// description. "Continue" to an app as the person signed in here, and
/// the logout an app asked for.
#[component]
fn Question(page: Page, line: String, answers: [Answer; 2]) -> impl IntoView {
    let [(test_id, label, action), (other_id, other_label, other)] = answers;
    view! {
        <p id="who" class="confirmed">{line}</p>
        <StatusRegion page=page />
        <div class="stack">
            <button type="button" autofocus aria-describedby="who" data-testid=test_id on:click=page.on_click(action)>
                {page.t(label)}
            </button>
            {choice(page, "secondary", other_id, other_label, other)}
        </div>
    }
}

/// A button of class `class` doing `action`: one type for Cancel, "Try
/// again" and the session's other choices, so its code is in the download
/// once.
fn choice(
    page: Page,
    class: &'static str,
    test_id: &'static str,
    label: usize,
    action: Action,
) -> impl IntoView + use<> {
    view! {
        <button type="button" class=class data-testid=test_id on:click=page.on_click(action)>
            {page.t(label)}
        </button>
    }
}

/// Right under the field: status and errors, announced politely by screen
/// readers, errors also as alerts. The field names it in `aria-describedby`,
/// so it is also read when the field takes the focus.
/// While the device works on a proof, a progress bar follows it, outside
/// the live region so that its updates are not read out one by one (drawn
/// anew at each update: lighter in the download than a reactive value).
#[component]
fn StatusRegion(page: Page) -> impl IntoView {
    let flow = page.flow;
    view! {
        <div id="status" class="status" data-testid="status" aria-live="polite">
            {move || {
                flow.with(Flow::status)
                    .map(|n| {
                        let (error, text) = match n {
                            Notice::Info(text) => (false, page.say(&text)),
                            Notice::Error(text) => (true, page.say(&text)),
                        };
                        view! {
                            <p
                                class=if error { "error" } else { "info" }
                                role=error.then_some("alert")
                                data-testid=error.then_some("error")
                            >
                                {text}
                            </p>
                        }
                    })
            }}
            {move || {
                flow.with(Flow::can_retry)
                    .then(|| choice(page, "secondary", "retry-button", id::TRY_AGAIN, |f, _| f.retry()))
            }}
        </div>
        {move || {
            flow.with(Flow::check_progress)
                .map(|percent| {
                    view! {
                        <progress
                            max="100"
                            value=percent
                            aria-label=page.t(id::CHECKING_DEVICE)
                            data-testid="check-progress"
                        ></progress>
                    }
                })
        }}
    }
}
