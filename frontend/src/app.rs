//! The page: renders a [`Flow`] and performs the calls it asks for.
//!
//! Deliberately thin; every decision lives in [`crate::flow`]. Nothing here
//! sets inline styles or injects script, so the page runs under the strict
//! Content-Security-Policy the service sends.

use crate::browser::{self, new_request_id, now_ms};
use crate::flow::{CODE_INPUT_MAX, Flow, Notice, Screen, sign_in_param};
use crate::i18n::{Text, id};
use crate::language::{self, say};
use crate::wire::{Call, Reply};
use leptos::either::EitherOf4;
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
    // Opened by an app's sign-in: learn which app before asking anything.
    let mut start = Flow::new();
    let ask = browser::query()
        .as_deref()
        .and_then(sign_in_param)
        .and_then(|id| start.start_sign_in(id));
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
                    Screen::Email { .. } => EitherOf4::A(view! { <EmailScreen page=page /> }),
                    Screen::Code(sent) => EitherOf4::B(view! { <CodeScreen page=page sent_to=sent.to /> }),
                    Screen::Verified { email } => EitherOf4::C(view! { <VerifiedScreen page=page email=email /> }),
                    Screen::SignIn => EitherOf4::D(view! { <StatusRegion page=page /> }),
                };
                // Back to the app without signing in; it learns that the
                // person declined. Of the very type of "Try again", whose
                // code it shares.
                let cancel = can_cancel.then(|| {
                    view! {
                        <button type="button" class="secondary" data-testid="cancel-button" on:click=page.on_click(|f, _| f.cancel())>
                            {page.t(id::CANCEL)}
                        </button>
                    }
                });
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
                // The app's languages come first.
                if let Reply::SignIn(r) = &reply {
                    language::switch(flow, language::chosen(r.ui_locales.as_deref()));
                }
                let at = now_ms();
                let Some(challenge) = flow.try_update(|f| f.finish(reply, at)).flatten() else {
                    // Done or cancelled: back to the app, in place of this
                    // page in the history (its sign-in is over).
                    let to = flow.try_with_untracked(|f| f.leaving().map(str::to_owned));
                    if let Some(to) = to.flatten() {
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
                autocomplete="email"
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

/// The service approved a code for `email`.
#[component]
fn VerifiedScreen(page: Page, email: String) -> impl IntoView {
    // The heading takes the focus, so a screen reader reads the outcome.
    view! {
        <section class="verified" data-testid="verified">
            <h2 tabindex="-1" autofocus>{page.t(id::VERIFIED_HEADING)}</h2>
            <p class="confirmed">{page.say(&Text::Named(id::VERIFIED_TEXT, email))}</p>
        </section>
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
                    .then(|| {
                        view! {
                            <button type="button" class="secondary" data-testid="retry-button" on:click=page.on_click(|f, _| f.retry())>
                                {page.t(id::TRY_AGAIN)}
                            </button>
                        }
                    })
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
