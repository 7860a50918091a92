use super::*;
use otp_api::{ErrorDetail, ResendResponse, SendResponse, VerifyResponse, VerifyStatus};

const EMAIL: &str = "ada@example.com";

fn refused(code: ErrorCode, attempts_left: Option<u32>, retry_after: Option<u64>) -> Reply {
    Reply::Refused(ErrorDetail {
        code,
        message: code.message().to_owned(),
        attempts_left,
        retry_after,
        challenge: None,
    })
}

fn sent(resend_in: u64) -> Reply {
    Reply::Sent(SendResponse {
        flow_id: "flow-1".to_owned(),
        expires_in: 600,
        resend_in,
    })
}

/// A flow on the Code screen at t = 0 with a 60 s resend wait.
fn on_code_screen() -> Flow {
    let mut f = Flow::new();
    f.set_email(EMAIL);
    f.submit_email(|| Some("id-1".to_owned())).expect("send");
    f.finish(sent(60), 0.0);
    assert_eq!(f.screen(), Screen::Code);
    f
}

fn error_text(f: &Flow) -> &str {
    match f.notice() {
        Some(Notice::Error(s)) => s,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn happy_path_email_code_verified() {
    let mut f = Flow::new();
    f.set_email("  ada@example.com ");
    let call = f.submit_email(|| Some("id-1".to_owned())).unwrap();
    assert_eq!(
        call,
        Call::Send(SendRequest {
            email: EMAIL.to_owned(),
            request_id: Some("id-1".to_owned()),
            proof: None,
        })
    );
    assert!(f.busy());
    f.finish(sent(60), 0.0);
    assert_eq!(f.screen(), Screen::Code);
    assert_eq!(f.sent_to(), EMAIL);
    assert!(!f.busy());

    let call = f
        .set_code("123 456")
        .expect("six digits submit by themselves");
    assert_eq!(
        call,
        Call::Verify(VerifyRequest {
            flow_id: "flow-1".to_owned(),
            code: "123456".to_owned()
        })
    );
    f.finish(
        Reply::Verified(VerifyResponse {
            status: VerifyStatus::Approved,
            email: EMAIL.to_owned(),
        }),
        1.0,
    );
    assert_eq!(f.screen(), Screen::Verified);
    assert_eq!(f.verified_email(), Some(EMAIL));
    assert_eq!(f.notice(), None, "the screen itself says it");
}

#[test]
fn nothing_starts_while_a_request_is_in_flight() {
    let mut f = Flow::new();
    f.set_email(EMAIL);
    assert!(f.submit_email(|| Some("id-1".to_owned())).is_some());
    assert!(f.submit_email(|| Some("id-2".to_owned())).is_none());
    assert!(f.retry().is_none());
}

#[test]
fn empty_address_is_not_sent() {
    let mut f = Flow::new();
    f.set_email("   ");
    assert!(f.submit_email(|| Some("id".to_owned())).is_none());
    assert!(!f.busy());
    assert_eq!(error_text(&f), ErrorCode::InvalidEmail.message());
}

#[test]
fn lost_answer_offers_a_retry_of_the_same_request() {
    let mut f = Flow::new();
    f.set_email(EMAIL);
    let first = f.submit_email(|| Some("id-1".to_owned())).unwrap();
    f.finish(Reply::Unreachable, 0.0);
    assert_eq!(f.screen(), Screen::Email);
    assert!(f.can_retry());
    assert_eq!(error_text(&f), messages::UNREACHABLE);
    assert_eq!(f.retry(), Some(first.clone()));
    assert!(!f.can_retry());
    // A plain resubmit on the same visit reuses the key too.
    f.finish(Reply::Unreachable, 0.0);
    assert_eq!(f.submit_email(|| Some("id-2".to_owned())), Some(first));
}

#[test]
fn service_failures_offer_a_retry_too() {
    let mut f = on_code_screen();
    f.set_code("111111").unwrap();
    f.finish(refused(ErrorCode::Unavailable, None, Some(2)), 1.0);
    assert_eq!(f.screen(), Screen::Code);
    assert!(f.can_retry());
}

#[test]
fn wrong_code_says_how_many_tries_are_left_and_clears_the_box() {
    let mut f = on_code_screen();
    f.set_code("111111").unwrap();
    f.finish(refused(ErrorCode::WrongCode, Some(2), None), 1.0);
    assert_eq!(f.screen(), Screen::Code);
    assert_eq!(f.attempts_left(), Some(2));
    assert_eq!(f.code(), "");
    assert_eq!(error_text(&f), "That code is not right. 2 tries left.");
    assert_eq!(f.status(), f.notice().cloned(), "the count is said once");
    assert!(!f.can_retry(), "a wrong code is not retried as is");
    // The error stays while the next code is typed; once that is sent, the
    // count stands alone.
    f.set_code("22222");
    assert_eq!(error_text(&f), "That code is not right. 2 tries left.");
    f.set_code("222222").expect("six digits submit");
    assert_eq!(f.status(), Some(Notice::Info("2 tries left".to_owned())));
}

#[test]
fn dead_codes_lead_back_to_email_with_the_address_kept() {
    for reply in [
        refused(ErrorCode::Expired, None, None),
        refused(ErrorCode::TooManyAttempts, None, None),
        refused(ErrorCode::AlreadyUsed, None, None),
        refused(ErrorCode::UnknownFlow, None, None),
        refused(ErrorCode::WrongCode, Some(0), None),
    ] {
        let mut f = on_code_screen();
        f.set_code("111111").unwrap();
        f.finish(reply.clone(), 1.0);
        assert_eq!(f.screen(), Screen::Email, "{reply:?}");
        assert_eq!(f.email(), EMAIL);
        assert!(matches!(f.notice(), Some(Notice::Error(_))));
        // The next send is a new flow, not the dead one replayed.
        match f.submit_email(|| Some("id-2".to_owned())) {
            Some(Call::Send(s)) => assert_eq!(s.request_id.as_deref(), Some("id-2")),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn change_address_keeps_it_and_starts_a_new_flow() {
    let mut f = on_code_screen();
    f.change_email();
    assert_eq!(f.screen(), Screen::Email);
    assert_eq!(f.email(), EMAIL);
    assert_eq!(f.notice(), None);
    f.set_email("ada@example.org");
    match f.submit_email(|| Some("id-2".to_owned())) {
        Some(Call::Send(s)) => {
            assert_eq!(s.email, "ada@example.org");
            assert_eq!(s.request_id.as_deref(), Some("id-2"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn resend_waits_for_the_countdown() {
    let mut f = on_code_screen();
    assert_eq!(f.resend_label(18_000.0), "Resend code in 42 s");
    assert!(f.resend(59_999.0).is_none());
    let call = f.resend(60_000.0).expect("the wait is over");
    assert_eq!(
        call,
        Call::Resend(ResendRequest {
            flow_id: "flow-1".to_owned(),
            proof: None,
        })
    );
    f.finish(
        Reply::Resent(ResendResponse {
            expires_in: 600,
            resend_in: 60,
        }),
        60_000.0,
    );
    assert!(matches!(f.notice(), Some(Notice::Info(_))));
    assert_eq!(f.resend_label(60_000.0), "Resend code in 60 s");
}

#[test]
fn resend_too_soon_restarts_the_countdown_from_retry_after() {
    let mut f = on_code_screen();
    f.resend(60_000.0).unwrap();
    f.finish(refused(ErrorCode::ResendTooSoon, None, Some(30)), 60_000.0);
    assert_eq!(f.resend_label(60_000.0), "Resend code in 30 s");
    assert_eq!(f.screen(), Screen::Code);
}

#[test]
fn partial_or_bad_codes_do_not_submit() {
    let mut f = on_code_screen();
    assert!(f.set_code("123").is_none());
    assert!(!f.can_verify());
    assert!(f.set_code("12a456").is_none());
    assert!(f.submit_code().is_none());
    assert_eq!(error_text(&f), ErrorCode::InvalidCodeFormat.message());
    assert!(f.set_code("123-456").is_some());
}

#[test]
fn code_box_drops_spaces_and_dashes_and_stays_short() {
    let mut f = on_code_screen();
    f.set_code(" 12 3");
    assert_eq!(f.code(), "123");
    f.set_code(&"9".repeat(40));
    assert_eq!(f.code().len(), CODE_INPUT_MAX);
}

#[test]
fn a_late_answer_with_nothing_in_flight_is_ignored() {
    let mut f = Flow::new();
    f.finish(sent(60), 0.0);
    assert_eq!(f, Flow::new());
}
