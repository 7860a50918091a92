//! What is counted: each event, its metric name and its one dimension, and
//! the fixed set of routes whose latency is measured.

use crate::mailer::MailFailure;

/// How a verify that reached a flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyOutcome {
    Approved,
    /// The right code again after its approval (a retry after a lost answer).
    Replayed,
    Wrong,
    Expired,
    /// The flow's tries are spent.
    TooManyAttempts,
    AlreadyUsed,
    UnknownFlow,
}

/// The budget or rule that refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusedBy {
    /// Sends per client (in memory or in the store).
    ClientSends,
    /// Verifies per client (in memory or in the store).
    ClientVerifies,
    /// Sends per address and client per day.
    Pair,
    /// Sends per address per day, at its absolute cap.
    Address,
    /// A proof of work asked for: the address's free budget is spent, it is
    /// locked out, or a spent proof came again.
    ProofRequired,
    /// Sends per flow.
    FlowSends,
    /// A resend within the cooldown.
    ResendCooldown,
    /// Failed client authentications at `/token`, per app or client address.
    TokenFailures,
    /// Failed logouts (links that are not valid, confirmations that are
    /// not open) per app or client address.
    LogoutFailures,
    /// Sends per device and identity per day: a device that proved the
    /// address, sending beyond its own budget.
    DeviceSends,
    /// `/authorize` requests per client (in memory).
    ClientAuthorizes,
    /// `/api/sign-in` requests per client (in memory).
    ClientSignInReads,
    /// `/api/sign-in/cancel` requests per client (in memory).
    ClientSignInCancels,
    /// `/userinfo` requests without claims per client (in memory).
    ClientUserinfoFailures,
    /// Passkey sign-in options and failed answers per client (in memory).
    ClientPasskeySteps,
    /// Failed passkey sign-ins per client address or per passkey.
    PasskeyFailures,
    /// The mailbox is on the suppression list (a hard bounce or a complaint).
    Suppressed,
}

/// What an SES notification (bounce, complaint, …) amounted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// A permanent bounce suppressed a mailbox.
    Bounce,
    /// A complaint suppressed a mailbox.
    Complaint,
    /// Nothing to do: a transient bounce, a delivery, another event.
    Ignored,
    /// Could not be read (or a recipient was not an address).
    Malformed,
}

/// A step of an app's sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInStage {
    /// `/authorize` stored a request.
    Started,
    /// An approving verify granted its code.
    Completed,
    /// The person continued with the browser's session: a code, no mail.
    Continued,
    /// A passkey signed the person in: a code, no mail.
    Passkey,
    /// `prompt=none` answered with a code from the session.
    Silent,
    /// The person went back to the app.
    Cancelled,
    /// `/authorize` refused the request (error page or error redirect).
    Refused,
}

/// How a `/token` request ended (RFC 6749 §5.2's codes, and ours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOutcome {
    Ok,
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    InvalidScope,
    RateLimited,
    Unavailable,
}

/// How a back-channel logout POST to an app ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The app answered 2xx.
    Delivered,
    /// No answer within the timeout, an error, or another status.
    Failed,
}

/// One counted event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A message with a code went out (a first send or a resend).
    CodeSent,
    DeliveryFailed(MailFailure),
    Verify(VerifyOutcome),
    /// A new message was held by a lockout of its address (its wrong codes
    /// across flows): a proof of work was asked for.
    LockedOut,
    Refused(RefusedBy),
    SignIn(SignInStage),
    Token(TokenOutcome),
    Notification(NotificationKind),
    /// A back-channel logout POST to an app.
    Backchannel(Delivery),
    /// A session started (a code approved in a browser without one).
    SessionStarted,
}

impl Metric {
    /// The metric's name and its one dimension, if any.
    pub fn parts(self) -> (&'static str, Option<(&'static str, &'static str)>) {
        match self {
            Metric::CodeSent => ("CodesSent", None),
            Metric::DeliveryFailed(class) => (
                "DeliveryFailures",
                Some((
                    "Class",
                    match class {
                        MailFailure::Undeliverable => "undeliverable",
                        MailFailure::Operator => "operator",
                        MailFailure::Transient => "transient",
                    },
                )),
            ),
            Metric::Verify(outcome) => (
                "Verifies",
                Some((
                    "Outcome",
                    match outcome {
                        VerifyOutcome::Approved => "approved",
                        VerifyOutcome::Replayed => "replayed",
                        VerifyOutcome::Wrong => "wrong",
                        VerifyOutcome::Expired => "expired",
                        VerifyOutcome::TooManyAttempts => "too_many_attempts",
                        VerifyOutcome::AlreadyUsed => "already_used",
                        VerifyOutcome::UnknownFlow => "unknown_flow",
                    },
                )),
            ),
            Metric::LockedOut => ("Lockouts", None),
            Metric::Refused(budget) => (
                "Refusals",
                Some((
                    "Budget",
                    match budget {
                        RefusedBy::ClientSends => "client_sends",
                        RefusedBy::ClientVerifies => "client_verifies",
                        RefusedBy::Pair => "pair",
                        RefusedBy::Address => "address",
                        RefusedBy::ProofRequired => "proof_required",
                        RefusedBy::FlowSends => "flow_sends",
                        RefusedBy::ResendCooldown => "resend_cooldown",
                        RefusedBy::TokenFailures => "token_failures",
                        RefusedBy::LogoutFailures => "logout_failures",
                        RefusedBy::DeviceSends => "device_sends",
                        RefusedBy::ClientAuthorizes => "client_authorizes",
                        RefusedBy::ClientSignInReads => "client_sign_in_reads",
                        RefusedBy::ClientSignInCancels => "client_sign_in_cancels",
                        RefusedBy::ClientUserinfoFailures => "client_userinfo_failures",
                        RefusedBy::ClientPasskeySteps => "client_passkey_steps",
                        RefusedBy::PasskeyFailures => "passkey_failures",
                        RefusedBy::Suppressed => "suppressed",
                    },
                )),
            ),
            Metric::Notification(kind) => (
                "Notifications",
                Some((
                    "Kind",
                    match kind {
                        NotificationKind::Bounce => "bounce",
                        NotificationKind::Complaint => "complaint",
                        NotificationKind::Ignored => "ignored",
                        NotificationKind::Malformed => "malformed",
                    },
                )),
            ),
            Metric::SignIn(stage) => (
                "SignIns",
                Some((
                    "Stage",
                    match stage {
                        SignInStage::Started => "started",
                        SignInStage::Completed => "completed",
                        SignInStage::Continued => "continued",
                        SignInStage::Passkey => "passkey",
                        SignInStage::Silent => "silent",
                        SignInStage::Cancelled => "cancelled",
                        SignInStage::Refused => "refused",
                    },
                )),
            ),
            Metric::Token(outcome) => (
                "TokenExchanges",
                Some((
                    "Outcome",
                    match outcome {
                        TokenOutcome::Ok => "ok",
                        TokenOutcome::InvalidRequest => "invalid_request",
                        TokenOutcome::InvalidClient => "invalid_client",
                        TokenOutcome::InvalidGrant => "invalid_grant",
                        TokenOutcome::UnsupportedGrantType => "unsupported_grant_type",
                        TokenOutcome::InvalidScope => "invalid_scope",
                        TokenOutcome::RateLimited => "rate_limited",
                        TokenOutcome::Unavailable => "unavailable",
                    },
                )),
            ),
            Metric::Backchannel(delivery) => (
                "BackchannelLogouts",
                Some((
                    "Outcome",
                    match delivery {
                        Delivery::Delivered => "delivered",
                        Delivery::Failed => "failed",
                    },
                )),
            ),
            Metric::SessionStarted => ("SessionsStarted", None),
        }
    }
}

/// The route templates whose latency is measured; anything else (page
/// assets, unknown paths) is `other`, so the dimension stays a fixed set.
pub const ROUTES: [&str; 24] = [
    "/api/otp/send",
    "/api/otp/resend",
    "/api/otp/verify",
    "/api/sign-in",
    "/api/sign-in/continue",
    "/api/sign-in/cancel",
    "/api/session",
    "/api/session/end",
    "/api/logout",
    "/api/logout/confirm",
    "/api/passkey/register/options",
    "/api/passkey/register",
    "/api/passkey/sign-in/options",
    "/api/passkey/sign-in",
    "/api/passkeys",
    "/api/passkeys/remove",
    "/api/health",
    "/api/openapi.json",
    "/.well-known/openid-configuration",
    "/.well-known/jwks.json",
    "/authorize",
    "/token",
    "/userinfo",
    "/logout",
];

/// The `Route` dimension of a request: its route template if it is one of
/// [`ROUTES`], else `other`.
pub fn route(template: Option<&str>) -> &'static str {
    template
        .and_then(|t| ROUTES.iter().find(|r| **r == t))
        .copied()
        .unwrap_or("other")
}
