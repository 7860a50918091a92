//! The page: renders a [`Flow`] and performs the calls it asks for.
//!
//! Deliberately thin; every decision lives in [`crate::flow`]. Nothing here
//! sets inline styles or injects script, so the page runs under the strict
//! Content-Security-Policy the service sends.

use crate::flow::{CODE_INPUT_MAX, Flow, Notice, Screen};
use crate::messages;
use crate::wire::{Call, Reply, decode};
use gloo_net::http::Request;
use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// How often the countdown label refreshes; well under a second so the
/// number never looks stuck.
const TICK: Duration = Duration::from_millis(250);

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let flow = RwSignal::new(Flow::new());
    let now = RwSignal::new(now_ms());
    if let Ok(tick) = set_interval_with_handle(move || { now.try_set(now_ms()); }, TICK) {
        on_cleanup(move || tick.clear());
    }
    let screen = Memo::new(move |_| flow.with(Flow::screen));
    let page = Page { flow, now };

    view! {
        <main class="card">
            <h1>"Verify your email"</h1>
            {move || match screen.get() {
                Screen::Email => view! { <EmailScreen page=page /> }.into_any(),
                Screen::Code => view! { <CodeScreen page=page /> }.into_any(),
                Screen::Verified => view! { <VerifiedScreen page=page /> }.into_any(),
            }}
            <StatusRegion page=page />
        </main>
    }
}

/// What every screen needs: the state and the clock.
#[derive(Clone, Copy)]
struct Page {
    flow: RwSignal<Flow>,
    now: RwSignal<f64>,
}

impl Page {
    /// Applies a change to the flow and performs the call it produces, if any.
    fn act(self, change: impl FnOnce(&mut Flow, f64) -> Option<Call>) {
        let now = now_ms();
        let call = self.flow.try_update(|f| change(f, now)).flatten();
        if let Some(call) = call {
            let flow = self.flow;
            spawn_local(async move {
                let reply = perform(&call).await;
                flow.try_update(|f| f.finish(reply, now_ms()));
            });
        }
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
    let email = Memo::new(move |_| flow.with(|f| f.email().to_owned()));
    let input = NodeRef::<Input>::new();
    input.on_load(|el| _ = el.focus());
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        page.act(|f, _| f.submit_email(new_request_id));
    };

    view! {
        <form class="stack" on:submit=submit>
            <label for="email">"Email address"</label>
            <input
                id="email"
                name="email"
                type="email"
                autocomplete="email"
                inputmode="email"
                required
                data-testid="email-input"
                node_ref=input
                prop:value=move || email.get()
                on:input=move |ev| flow.update(|f| f.set_email(&event_target_value(&ev)))
            />
            <button type="submit" data-testid="send-button" disabled=move || busy.get() class:busy=move || busy.get()>
                <span class="spinner" aria-hidden="true"></span>
                "Send code"
            </button>
        </form>
    }
}

#[component]
fn CodeScreen(page: Page) -> impl IntoView {
    let flow = page.flow;
    let busy = page.busy();
    let code = Memo::new(move |_| flow.with(|f| f.code().to_owned()));
    let sent_to = Memo::new(move |_| flow.with(|f| f.sent_to().to_owned()));
    let can_verify = Memo::new(move |_| flow.with(Flow::can_verify));
    let can_resend = Memo::new(move |_| page.now.with(|&now| flow.with(|f| f.can_resend(now))));
    let resend_label = Memo::new(move |_| page.now.with(|&now| flow.with(|f| f.resend_label(now))));
    let hint = Memo::new(move |_| flow.with(|f| f.attempts_left().map(messages::tries_left)));
    let verifying = Memo::new(move |_| flow.with(|f| matches!(f.pending(), Some(Call::Verify(_)))));
    let resending = Memo::new(move |_| flow.with(|f| matches!(f.pending(), Some(Call::Resend(_)))));
    let input = NodeRef::<Input>::new();
    input.on_load(|el| _ = el.focus());
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        page.act(|f, _| f.submit_code());
    };

    view! {
        <p class="sent-to">"We sent a code to " <strong>{move || sent_to.get()}</strong></p>
        <button type="button" class="link" data-testid="change-email-button" disabled=move || busy.get() on:click=move |_| flow.update(Flow::change_email)>
            "Change address"
        </button>
        <form class="stack" on:submit=submit>
            <label for="code">"6-digit code"</label>
            <input
                id="code"
                name="code"
                type="text"
                autocomplete="one-time-code"
                inputmode="numeric"
                pattern="[0-9]*"
                maxlength=CODE_INPUT_MAX
                aria-describedby="code-hint"
                data-testid="code-input"
                node_ref=input
                prop:value=move || code.get()
                on:input=move |ev| {
                    let raw = event_target_value(&ev);
                    page.act(move |f, _| f.set_code(&raw));
                }
            />
            <p id="code-hint" class="hint">{move || hint.get()}</p>
            <button type="submit" data-testid="verify-button" disabled=move || !can_verify.get() class:busy=move || verifying.get()>
                <span class="spinner" aria-hidden="true"></span>
                "Verify"
            </button>
        </form>
        <button
            type="button"
            class="secondary"
            data-testid="resend-button"
            disabled=move || !can_resend.get()
            class:busy=move || resending.get()
            on:click=move |_| page.act(|f, now| f.resend(now))
        >
            <span class="spinner" aria-hidden="true"></span>
            {move || resend_label.get()}
        </button>
    }
}

#[component]
fn VerifiedScreen(page: Page) -> impl IntoView {
    let email = page.flow.with_untracked(|f| f.verified_email().unwrap_or_default().to_owned());
    view! {
        <section class="verified" data-testid="verified">
            <h2>"Email verified"</h2>
            <p><strong>{email}</strong>" is confirmed. You can close this page."</p>
        </section>
    }
}

/// Status and errors, announced politely by screen readers; errors also as alerts.
#[component]
fn StatusRegion(page: Page) -> impl IntoView {
    let flow = page.flow;
    let notice = Memo::new(move |_| flow.with(|f| f.notice().cloned()));
    let can_retry = Memo::new(move |_| flow.with(Flow::can_retry));
    view! {
        <div class="status" data-testid="status" aria-live="polite">
            {move || notice.get().map(|n| match n {
                Notice::Info(text) => view! { <p class="info">{text}</p> }.into_any(),
                Notice::Error(text) => {
                    view! { <p class="error" role="alert" data-testid="error">{text}</p> }.into_any()
                }
            })}
            <Show when=move || can_retry.get()>
                <button type="button" class="secondary" data-testid="retry-button" on:click=move |_| page.act(|f, _| f.retry())>
                    "Try again"
                </button>
            </Show>
        </div>
    }
}

/// Sends `call` to the service on this page's own origin.
async fn perform(call: &Call) -> Reply {
    let request = match call {
        Call::Send(body) => Request::post(call.path()).json(body),
        Call::Resend(body) => Request::post(call.path()).json(body),
        Call::Verify(body) => Request::post(call.path()).json(body),
    };
    let Ok(response) = (match request {
        Ok(r) => r.send().await,
        Err(e) => Err(e),
    }) else {
        return Reply::Unreachable;
    };
    match response.text().await {
        Ok(body) => decode(call, response.status(), &body),
        Err(_) => Reply::Unreachable,
    }
}

/// The page's monotonic clock in milliseconds.
fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// 128 random bits as hex: the idempotency key of one send. `None` rather
/// than a guessable key when the browser offers no random source.
fn new_request_id() -> Option<String> {
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
