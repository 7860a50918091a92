use super::*;
use crate::i18n::english;
use otp_api::{Challenge, ErrorDetail, ResendResponse, SendResponse, VerifyResponse, VerifyStatus};

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
    assert!(matches!(f.screen(), Screen::Code(_)));
    f
}

/// The error on show, in English.
fn error_text(f: &Flow) -> String {
    match f.notice() {
        Some(Notice::Error(t)) => english(t),
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
            sign_in: None,
            locale: Some("en".to_owned()),
        })
    );
    assert!(f.busy());
    f.finish(sent(60), 0.0);
    assert!(matches!(f.screen(), Screen::Code(sent) if sent.to == EMAIL));
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
            redirect_to: None,
        }),
        1.0,
    );
    assert_eq!(
        f.screen(),
        &Screen::SignedIn {
            email: EMAIL.to_owned(),
            verified: true,
        }
    );
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
    assert!(matches!(f.screen(), Screen::Email { .. }));
    assert!(f.can_retry());
    assert_eq!(error_text(&f), english(&messages::UNREACHABLE));
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
    assert!(matches!(f.screen(), Screen::Code(_)));
    assert!(f.can_retry());
}

#[test]
fn wrong_code_says_how_many_tries_are_left_and_clears_the_box() {
    let mut f = on_code_screen();
    f.set_code("111111").unwrap();
    f.finish(refused(ErrorCode::WrongCode, Some(2), None), 1.0);
    assert!(matches!(f.screen(), Screen::Code(sent) if sent.attempts_left == Some(2)));
    assert_eq!(f.code(), "");
    assert_eq!(error_text(&f), "That code is not right. 2 tries left.");
    assert_eq!(f.status(), f.notice().cloned(), "the count is said once");
    assert!(!f.can_retry(), "a wrong code is not retried as is");
    // The error stays while the next code is typed; once that is sent, the
    // count stands alone.
    f.set_code("22222");
    assert_eq!(error_text(&f), "That code is not right. 2 tries left.");
    f.set_code("222222").expect("six digits submit");
    assert_eq!(f.status(), Some(Notice::Info(messages::tries_left(2))));
    assert_eq!(english(&messages::tries_left(2)), "2 tries left");
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
        assert!(matches!(f.screen(), Screen::Email { .. }), "{reply:?}");
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
    assert!(matches!(f.screen(), Screen::Email { .. }));
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
    assert_eq!(english(&f.resend_label(18_000.0)), "Resend code in 42 s");
    assert!(f.resend(59_999.0).is_none());
    let call = f.resend(60_000.0).expect("the wait is over");
    assert_eq!(
        call,
        Call::Resend(ResendRequest {
            flow_id: "flow-1".to_owned(),
            proof: None,
            locale: Some("en".to_owned()),
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
    assert_eq!(english(&f.resend_label(60_000.0)), "Resend code in 60 s");
}

#[test]
fn resend_too_soon_restarts_the_countdown_from_retry_after() {
    let mut f = on_code_screen();
    f.resend(60_000.0).unwrap();
    f.finish(refused(ErrorCode::ResendTooSoon, None, Some(30)), 60_000.0);
    assert_eq!(english(&f.resend_label(60_000.0)), "Resend code in 30 s");
    assert!(matches!(f.screen(), Screen::Code(_)));
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

fn challenge(token: &str, difficulty: u32) -> Challenge {
    Challenge {
        token: token.to_owned(),
        difficulty,
    }
}

fn proof_required(challenge: Challenge) -> Reply {
    Reply::Refused(ErrorDetail {
        code: ErrorCode::ProofOfWorkRequired,
        message: String::new(),
        attempts_left: None,
        retry_after: None,
        challenge: Some(challenge),
    })
}

fn send_with_proof(token: &str, nonce: u64) -> Call {
    Call::Send(SendRequest {
        email: EMAIL.to_owned(),
        request_id: Some("id-1".to_owned()),
        proof: Some(Proof {
            challenge: token.to_owned(),
            nonce,
        }),
        sign_in: None,
        locale: Some("en".to_owned()),
    })
}

#[test]
fn a_send_asked_for_proof_of_work_is_solved_and_sent_again_the_same() {
    let mut f = Flow::new();
    f.set_email(EMAIL);
    f.submit_email(|| Some("id-1".to_owned())).unwrap();
    let asked = f.finish(proof_required(challenge("tok", 20)), 0.0);
    assert_eq!(asked, Some(challenge("tok", 20)));
    assert!(f.busy(), "every button waits while the device works");
    assert!(matches!(f.pending(), Some(Call::Send(_))));
    assert_eq!(
        f.status(),
        Some(Notice::Info(messages::error(
            ErrorCode::ProofOfWorkRequired
        )))
    );
    assert_eq!(f.check_progress(), Some(0));

    f.progress(f64::from(1u32 << 19));
    assert_eq!(f.check_progress(), Some(50));
    f.progress(f64::from(1u32 << 22));
    assert_eq!(
        f.check_progress(),
        Some(99),
        "never 100 % before it is done"
    );

    let again = f
        .solved(Some(12_345))
        .expect("the same send, with its proof");
    assert_eq!(again, send_with_proof("tok", 12_345));
    assert!(f.busy());
    assert_eq!(f.check_progress(), None);
    f.finish(sent(60), 1.0);
    assert!(matches!(f.screen(), Screen::Code(_)));
    assert!(!f.busy());
}

#[test]
fn a_new_challenge_in_answer_to_a_proof_is_solved_in_turn() {
    let mut f = Flow::new();
    f.set_email(EMAIL);
    f.submit_email(|| Some("id-1".to_owned())).unwrap();
    f.finish(proof_required(challenge("old", 18)), 0.0);
    f.progress(1000.0);
    f.solved(Some(1)).unwrap();
    // The first challenge expired while the device worked on it.
    let asked = f.finish(proof_required(challenge("new", 19)), 1.0);
    assert_eq!(asked, Some(challenge("new", 19)));
    assert_eq!(
        f.check_progress(),
        Some(0),
        "a new puzzle starts from nothing"
    );
    assert_eq!(f.solved(Some(2)), Some(send_with_proof("new", 2)));
}

#[test]
fn the_page_stops_solving_after_a_few_puzzles_in_a_row() {
    let mut f = Flow::new();
    f.set_email(EMAIL);
    f.submit_email(|| Some("id-1".to_owned())).unwrap();
    for n in 0..3 {
        assert!(f.finish(proof_required(challenge("t", 18)), 0.0).is_some());
        f.solved(Some(n)).unwrap();
    }
    assert_eq!(f.finish(proof_required(challenge("t", 18)), 0.0), None);
    assert!(!f.busy());
    assert!(f.can_retry(), "the person may ask again");
    assert_eq!(error_text(&f), ErrorCode::ProofOfWorkRequired.message());
    // Asking again is a new start: the device may solve again.
    f.retry().unwrap();
    assert!(f.finish(proof_required(challenge("t", 18)), 0.0).is_some());
}

#[test]
fn a_solver_that_cannot_run_offers_a_retry() {
    let mut f = Flow::new();
    f.set_email(EMAIL);
    let first = f.submit_email(|| Some("id-1".to_owned())).unwrap();
    f.finish(proof_required(challenge("t", 18)), 0.0);
    assert_eq!(f.solved(None), None);
    assert!(!f.busy());
    assert_eq!(f.check_progress(), None);
    assert_eq!(error_text(&f), english(&messages::UNREACHABLE));
    assert_eq!(f.retry(), Some(first));
}

#[test]
fn a_resend_asked_for_proof_of_work_carries_it() {
    let mut f = on_code_screen();
    f.resend(60_000.0).unwrap();
    assert!(
        f.finish(proof_required(challenge("r", 18)), 60_000.0)
            .is_some()
    );
    assert!(matches!(f.screen(), Screen::Code(_)));
    assert!(!f.can_resend(60_000.0), "no second resend while solving");
    assert!(!f.can_verify());
    assert_eq!(
        f.solved(Some(7)),
        Some(Call::Resend(ResendRequest {
            flow_id: "flow-1".to_owned(),
            proof: Some(Proof {
                challenge: "r".to_owned(),
                nonce: 7,
            }),
            locale: Some("en".to_owned()),
        }))
    );
}

#[test]
fn a_proof_request_without_a_challenge_is_an_error() {
    let mut f = Flow::new();
    f.set_email(EMAIL);
    f.submit_email(|| Some("id-1".to_owned())).unwrap();
    let reply = refused(ErrorCode::ProofOfWorkRequired, None, None);
    assert_eq!(f.finish(reply, 0.0), None);
    assert!(!f.busy());
    assert_eq!(error_text(&f), ErrorCode::ProofOfWorkRequired.message());
    assert_eq!(f.solved(Some(1)), None, "nothing to solve");
}

const SIGN_IN: &str = "AbC-_0123456789abcdefgh";

fn named(login_hint: Option<&str>) -> Reply {
    Reply::SignIn(otp_api::SignInResponse {
        client_name: "Example Shop".to_owned(),
        login_hint: login_hint.map(str::to_owned),
        ui_locales: None,
        session: None,
    })
}

/// A flow opened by an app's sign-in, named, on the Email screen.
fn signing_in() -> Flow {
    let mut f = Flow::new();
    f.start_sign_in(SIGN_IN).expect("asks which app");
    f.finish(named(None), 0.0);
    f
}

#[test]
fn the_query_names_the_sign_in() {
    assert_eq!(sign_in_param(&format!("?sign_in={SIGN_IN}")), Some(SIGN_IN));
    assert_eq!(sign_in_param(""), None);
    assert_eq!(sign_in_param("?sign_in="), None);
    assert_eq!(sign_in_param("?other=1"), None);
}

#[test]
fn a_sign_in_names_the_app_and_prefills_the_hint() {
    let mut f = Flow::new();
    assert_eq!(english(&f.title()), "Verify your email");
    let call = f.start_sign_in(SIGN_IN);
    assert_eq!(
        call,
        Some(Call::SignIn(otp_api::SignInRequest {
            sign_in: SIGN_IN.to_owned()
        }))
    );
    assert_eq!(f.screen(), &Screen::Status);
    assert!(f.busy());
    assert!(!f.can_cancel(), "nothing to cancel before the app is known");
    f.finish(named(Some(EMAIL)), 0.0);
    assert!(matches!(f.screen(), Screen::Email { .. }));
    assert_eq!(f.client(), Some("Example Shop"));
    assert_eq!(english(&f.title()), "Continue to Example Shop");
    assert_eq!(f.email(), EMAIL);
    assert!(f.can_cancel());
    assert_eq!(f.notice(), None);
}

#[test]
fn a_lost_sign_in_answer_offers_a_retry() {
    let mut f = Flow::new();
    let first = f.start_sign_in(SIGN_IN).unwrap();
    f.finish(Reply::Unreachable, 0.0);
    assert_eq!(f.screen(), &Screen::Status);
    assert!(f.can_retry());
    assert_eq!(f.retry(), Some(first));
}

#[test]
fn the_send_carries_the_sign_in_and_the_approval_goes_back_to_the_app() {
    let mut f = signing_in();
    f.set_email(EMAIL);
    match f.submit_email(|| Some("id-1".to_owned())) {
        Some(Call::Send(r)) => assert_eq!(r.sign_in.as_deref(), Some(SIGN_IN)),
        other => panic!("{other:?}"),
    }
    f.finish(sent(60), 0.0);
    assert!(f.can_cancel(), "cancel stays on the Code screen");
    f.set_code("123456").expect("verify");
    let back = "http://127.0.0.1:9/callback?code=c&state=s&iss=i";
    f.finish(
        Reply::Verified(VerifyResponse {
            status: VerifyStatus::Approved,
            email: EMAIL.to_owned(),
            redirect_to: Some(back.to_owned()),
        }),
        1.0,
    );
    assert_eq!(f.leaving(), Some(back));
    assert!(f.busy(), "every button waits while the page leaves");
    assert_eq!(
        f.notice().map(|n| match n {
            Notice::Info(t) => english(t),
            Notice::Error(_) => panic!("{n:?}"),
        }),
        Some("Email verified. Taking you back to Example Shop.".to_owned())
    );
    assert!(f.cancel().is_none());
}

#[test]
fn cancel_asks_the_way_back_to_the_app() {
    let mut f = signing_in();
    let call = f.cancel();
    assert_eq!(
        call,
        Some(Call::Cancel(otp_api::SignInRequest {
            sign_in: SIGN_IN.to_owned()
        }))
    );
    assert!(f.cancel().is_none(), "once");
    let back = "http://127.0.0.1:9/callback?error=access_denied&state=s";
    f.finish(
        Reply::Redirect(otp_api::RedirectResponse {
            redirect_to: back.to_owned(),
        }),
        0.0,
    );
    assert_eq!(f.leaving(), Some(back));
    assert_eq!(
        f.notice(),
        Some(&Notice::Info(messages::back_to(false, "Example Shop")))
    );
}

#[test]
fn without_a_sign_in_there_is_nothing_to_cancel() {
    let mut f = Flow::new();
    assert!(!f.can_cancel());
    assert!(f.cancel().is_none());
    let mut f = on_code_screen();
    assert!(f.cancel().is_none());
}

#[test]
fn an_expired_sign_in_says_so_and_shows_no_form() {
    for at in ["named", "send", "verify", "cancel"] {
        let mut f = Flow::new();
        f.start_sign_in(SIGN_IN);
        if at != "named" {
            f.finish(named(None), 0.0);
            f.set_email(EMAIL);
            match at {
                "send" => _ = f.submit_email(|| None),
                "verify" => {
                    f.submit_email(|| None);
                    f.finish(sent(60), 0.0);
                    f.set_code("123456");
                }
                _ => _ = f.cancel(),
            }
        }
        f.finish(refused(ErrorCode::SignInExpired, None, None), 0.0);
        assert_eq!(f.screen(), &Screen::Status, "{at}");
        assert_eq!(error_text(&f), ErrorCode::SignInExpired.message(), "{at}");
        assert!(!f.can_retry(), "{at}");
        assert!(!f.can_cancel(), "{at}");
        assert!(!f.busy(), "{at}");
    }
}

/// A link whose handle the service calls malformed (cut short, mangled) is
/// shown like an expired sign-in; elsewhere a malformed request is not.
#[test]
fn a_malformed_sign_in_link_reads_like_an_expired_one() {
    let mut f = Flow::new();
    f.start_sign_in("AbC-_0123");
    f.finish(refused(ErrorCode::InvalidRequest, None, None), 0.0);
    assert_eq!(f.screen(), &Screen::Status);
    assert_eq!(error_text(&f), ErrorCode::SignInExpired.message());
    assert!(!f.can_cancel());

    let mut f = signing_in();
    f.set_email(EMAIL);
    f.submit_email(|| None).expect("a send");
    f.finish(refused(ErrorCode::InvalidRequest, None, None), 0.0);
    assert_ne!(f.screen(), &Screen::Status);
    assert_ne!(error_text(&f), ErrorCode::SignInExpired.message());
}

#[test]
fn sends_and_resends_ask_for_the_mail_in_the_page_language() {
    let mut f = Flow::new();
    assert_eq!(f.language().tag, "en");
    f.set_language(otp_api::locale::exact("ar").unwrap());
    f.set_email(EMAIL);
    match f.submit_email(|| Some("id-1".to_owned())) {
        Some(Call::Send(r)) => assert_eq!(r.locale.as_deref(), Some("ar")),
        other => panic!("{other:?}"),
    }
    f.finish(sent(0), 0.0);
    f.set_language(otp_api::locale::exact("pt-BR").unwrap());
    match f.resend(1.0) {
        Some(Call::Resend(r)) => assert_eq!(r.locale.as_deref(), Some("pt-BR")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_code_typed_in_arabic_indic_digits_is_read_as_ascii() {
    let mut f = on_code_screen();
    match f.set_code("١٢٣ ۴۵۶") {
        Some(Call::Verify(r)) => assert_eq!(r.code, "123456"),
        other => panic!("{other:?}"),
    }
}

const LOGOUT: &str = "LoGoUt_0123456789abcde";

fn session(email: Option<&str>) -> Reply {
    Reply::Session(otp_api::SessionResponse {
        session: email.map(|email| otp_api::SignedIn {
            email: email.to_owned(),
        }),
    })
}

/// A plain visit that found `EMAIL` signed in.
fn signed_in() -> Flow {
    let mut f = Flow::new();
    assert_eq!(f.open(""), Some(Call::Session));
    f.finish(session(Some(EMAIL)), 0.0);
    f
}

/// The info line on show, in English.
fn info_text(f: &Flow) -> String {
    match f.notice() {
        Some(Notice::Info(t)) => english(t),
        other => panic!("expected an info line, got {other:?}"),
    }
}

#[test]
fn a_plain_visit_asks_who_is_signed_in_before_any_form() {
    let mut f = Flow::new();
    assert_eq!(f.open(""), Some(Call::Session));
    assert_eq!(f.screen(), &Screen::Status, "no form until the answer");
    assert!(f.busy());
    f.finish(session(Some(EMAIL)), 0.0);
    assert_eq!(
        f.screen(),
        &Screen::SignedIn {
            email: EMAIL.to_owned(),
            verified: false
        }
    );
    assert!(!f.busy());
    assert_eq!(f.notice(), None);
    assert_eq!(english(&f.title()), "Verify your email");
    assert!(!f.can_cancel());

    let mut f = Flow::new();
    f.open("?unrelated=1");
    f.finish(session(None), 0.0);
    assert_eq!(f.screen(), &Screen::Email { request_id: None });
    assert_eq!(f.notice(), None);
}

#[test]
fn a_service_that_cannot_say_who_is_signed_in_never_blocks_the_email_screen() {
    // Today's service answers the unknown call with 404; a proxy may refuse
    // it, or no answer may come at all.
    for reply in [
        refused(ErrorCode::NotFound, None, None),
        refused(ErrorCode::ForbiddenOrigin, None, None),
        refused(ErrorCode::Internal, None, None),
        Reply::Unreachable,
    ] {
        let mut f = Flow::new();
        f.open("");
        f.finish(reply.clone(), 0.0);
        assert_eq!(f.screen(), &Screen::Email { request_id: None }, "{reply:?}");
        assert_eq!(f.notice(), None, "{reply:?}: nothing to say about it");
        assert!(!f.can_retry(), "{reply:?}");
        assert!(!f.busy(), "{reply:?}");
        f.set_email(EMAIL);
        assert!(f.submit_email(|| None).is_some(), "{reply:?}: a send works");
    }
}

#[test]
fn the_page_address_picks_what_is_asked_first() {
    let mut f = Flow::new();
    assert_eq!(
        f.open(&format!("?sign_in={SIGN_IN}")),
        Some(Call::SignIn(otp_api::SignInRequest {
            sign_in: SIGN_IN.to_owned()
        }))
    );
    let mut f = Flow::new();
    assert_eq!(
        f.open(&format!("?logout={LOGOUT}")),
        Some(Call::Logout(otp_api::LogoutRequest {
            logout: LOGOUT.to_owned()
        }))
    );
    assert_eq!(f.screen(), &Screen::Status);
    for query in ["", "?", "?sign_in=", "?logout=", "?other=1"] {
        assert_eq!(Flow::new().open(query), Some(Call::Session), "{query}");
    }
    assert_eq!(logout_param("?logout=done"), Some("done"));
    assert_eq!(logout_param("?logout="), None);
}

#[test]
fn a_finished_logout_says_so_on_the_email_screen_without_asking() {
    let mut f = Flow::new();
    assert_eq!(f.open("?logout=done"), None);
    assert_eq!(f.screen(), &Screen::Email { request_id: None });
    assert!(!f.busy());
    assert_eq!(info_text(&f), "You are signed out.");
}

#[test]
fn sign_out_ends_on_the_email_screen_with_the_address_gone() {
    for everywhere in [false, true] {
        let mut f = signed_in();
        let call = f.sign_out(everywhere);
        assert_eq!(
            call,
            Some(Call::SignOut(otp_api::SignOutRequest { everywhere }))
        );
        assert!(f.busy());
        assert!(f.sign_out(everywhere).is_none(), "once");
        f.finish(
            Reply::SignedOut(otp_api::SignOutResponse { sessions_ended: 2 }),
            0.0,
        );
        assert_eq!(f.screen(), &Screen::Email { request_id: None });
        assert_eq!(f.email(), "", "nothing of the person is left on the page");
        assert_eq!(info_text(&f), "You are signed out.");
        assert!(!f.busy());
    }
}

#[test]
fn only_the_signed_in_screen_signs_out() {
    let mut f = Flow::new();
    assert!(f.sign_out(false).is_none());
    let mut f = on_code_screen();
    assert!(f.sign_out(true).is_none());
}

#[test]
fn a_lost_sign_out_answer_offers_a_retry_of_the_same() {
    let mut f = signed_in();
    let first = f.sign_out(true).unwrap();
    f.finish(Reply::Unreachable, 0.0);
    assert!(matches!(f.screen(), Screen::SignedIn { .. }));
    assert!(f.can_retry());
    assert_eq!(f.retry(), Some(first));
}

#[test]
fn another_address_empties_the_box_and_starts_a_new_flow() {
    let mut f = signed_in();
    f.use_another_address();
    assert_eq!(f.screen(), &Screen::Email { request_id: None });
    assert_eq!(f.email(), "");
    assert_eq!(f.notice(), None);
    f.set_email("grace@example.com");
    match f.submit_email(|| Some("id-2".to_owned())) {
        Some(Call::Send(s)) => assert_eq!(s.email, "grace@example.com"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_verified_screen_offers_what_the_signed_in_screen_does() {
    let mut f = on_code_screen();
    f.set_code("123456").unwrap();
    f.finish(
        Reply::Verified(VerifyResponse {
            status: VerifyStatus::Approved,
            email: EMAIL.to_owned(),
            redirect_to: None,
        }),
        1.0,
    );
    assert!(matches!(
        f.screen(),
        Screen::SignedIn { verified: true, .. }
    ));
    assert!(f.sign_out(false).is_some());
    f.finish(Reply::Unreachable, 1.0);
    f.use_another_address();
    assert!(matches!(f.screen(), Screen::Email { .. }));
}

fn named_with(session: Option<(&str, bool)>, login_hint: Option<&str>) -> Reply {
    Reply::SignIn(otp_api::SignInResponse {
        client_name: "Example Shop".to_owned(),
        login_hint: login_hint.map(str::to_owned),
        ui_locales: None,
        session: session.map(|(email, can_continue)| otp_api::SessionChoice {
            email: email.to_owned(),
            can_continue,
        }),
    })
}

/// A sign-in whose session may finish it, on the Continue screen.
fn may_continue() -> Flow {
    let mut f = Flow::new();
    f.start_sign_in(SIGN_IN);
    f.finish(named_with(Some((EMAIL, true)), None), 0.0);
    f
}

#[test]
fn a_session_that_may_finish_the_sign_in_continues_in_one_press() {
    let mut f = may_continue();
    assert_eq!(
        f.screen(),
        &Screen::Continue {
            email: EMAIL.to_owned()
        }
    );
    assert_eq!(english(&f.title()), "Continue to Example Shop");
    assert!(f.can_cancel());
    assert_eq!(f.notice(), None);
    let call = f.continue_sign_in();
    assert_eq!(
        call,
        Some(Call::Continue(otp_api::SignInRequest {
            sign_in: SIGN_IN.to_owned()
        }))
    );
    assert!(f.continue_sign_in().is_none(), "once");
    assert!(f.cancel().is_none(), "nothing else meanwhile");
    let back = "http://127.0.0.1:9/callback?code=c&state=s&iss=i";
    f.finish(
        Reply::Redirect(otp_api::RedirectResponse {
            redirect_to: back.to_owned(),
        }),
        0.0,
    );
    assert_eq!(f.leaving(), Some(back));
    assert_eq!(info_text(&f), "Taking you back to Example Shop.");
}

#[test]
fn continue_is_only_offered_on_its_screen() {
    assert!(signing_in().continue_sign_in().is_none());
    assert!(signed_in().continue_sign_in().is_none());
}

#[test]
fn a_session_that_may_not_continue_falls_back_to_a_code() {
    let mut f = may_continue();
    f.continue_sign_in().unwrap();
    f.finish(refused(ErrorCode::SessionRequired, None, None), 0.0);
    assert!(matches!(f.screen(), Screen::Email { .. }));
    assert_eq!(f.email(), EMAIL, "the session's address is filled in");
    assert_eq!(
        info_text(&f),
        "Example Shop asks you to confirm with a new code."
    );
    assert!(!f.can_retry());
    assert!(f.can_cancel());
    match f.submit_email(|| None) {
        Some(Call::Send(s)) => assert_eq!(s.sign_in.as_deref(), Some(SIGN_IN)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_app_that_wants_a_new_code_gets_the_email_screen_filled_in() {
    let mut f = Flow::new();
    f.start_sign_in(SIGN_IN);
    f.finish(named_with(Some((EMAIL, false)), None), 0.0);
    assert!(matches!(f.screen(), Screen::Email { .. }));
    assert_eq!(f.email(), EMAIL);
    assert_eq!(
        info_text(&f),
        "Example Shop asks you to confirm with a new code."
    );
    assert!(f.can_cancel());
    // The app asking for another person names them in its hint.
    let mut f = Flow::new();
    f.start_sign_in(SIGN_IN);
    f.finish(
        named_with(Some((EMAIL, false)), Some("grace@example.com")),
        0.0,
    );
    assert_eq!(f.email(), "grace@example.com");
}

#[test]
fn another_address_leaves_continue_for_the_email_screen() {
    let mut f = may_continue();
    f.use_another_address();
    assert_eq!(f.screen(), &Screen::Email { request_id: None });
    assert_eq!(f.email(), "");
    assert!(f.can_cancel(), "the app still waits");
    assert_eq!(english(&f.title()), "Continue to Example Shop");
}

#[test]
fn continuing_a_sign_in_that_is_over_says_so_with_no_form() {
    let mut f = may_continue();
    f.continue_sign_in().unwrap();
    f.finish(refused(ErrorCode::SignInExpired, None, None), 0.0);
    assert_eq!(f.screen(), &Screen::Status);
    assert_eq!(error_text(&f), ErrorCode::SignInExpired.message());
    assert!(!f.can_cancel());
}

fn logout_info(email: Option<&str>, client: Option<&str>) -> Reply {
    Reply::Logout(otp_api::LogoutInfo {
        email: email.map(str::to_owned),
        client_name: client.map(str::to_owned),
        ui_locales: None,
    })
}

/// A logout an app asked for, on its question.
fn asked_to_log_out(client: Option<&str>) -> Flow {
    let mut f = Flow::new();
    f.open(&format!("?logout={LOGOUT}")).unwrap();
    f.finish(logout_info(Some(EMAIL), client), 0.0);
    f
}

#[test]
fn a_logout_an_app_asked_for_is_confirmed_first() {
    let mut f = asked_to_log_out(Some("Example Shop"));
    assert_eq!(
        f.screen(),
        &Screen::Logout {
            logout: LOGOUT.to_owned(),
            email: Some(EMAIL.to_owned()),
            client: Some("Example Shop".to_owned()),
        }
    );
    assert_eq!(english(&f.title()), "Sign out of Example Shop?");
    assert!(!f.can_cancel());
    let call = f.confirm_logout();
    assert_eq!(
        call,
        Some(Call::ConfirmLogout(otp_api::LogoutRequest {
            logout: LOGOUT.to_owned()
        }))
    );
    assert!(f.confirm_logout().is_none(), "once");
    let back = "http://127.0.0.1:9/signed-out?state=s";
    f.finish(
        Reply::LoggedOut(otp_api::LogoutDone {
            redirect_to: Some(back.to_owned()),
        }),
        0.0,
    );
    assert_eq!(f.leaving(), Some(back));
    assert_eq!(f.screen(), &Screen::Status, "no form while leaving");
    assert_eq!(info_text(&f), "You are signed out.");
}

#[test]
fn a_logout_without_a_way_back_ends_on_the_email_screen() {
    let mut f = asked_to_log_out(None);
    assert_eq!(english(&f.title()), "Sign out of this service?");
    f.confirm_logout().unwrap();
    f.finish(
        Reply::LoggedOut(otp_api::LogoutDone { redirect_to: None }),
        0.0,
    );
    assert_eq!(f.screen(), &Screen::Email { request_id: None });
    assert_eq!(f.leaving(), None);
    assert_eq!(f.email(), "");
    assert_eq!(info_text(&f), "You are signed out.");
    assert_eq!(english(&f.title()), "Verify your email");
}

#[test]
fn staying_signed_in_asks_nothing_and_shows_who_is() {
    let mut f = asked_to_log_out(Some("Example Shop"));
    f.stay_signed_in();
    assert_eq!(
        f.screen(),
        &Screen::SignedIn {
            email: EMAIL.to_owned(),
            verified: false
        }
    );
    assert!(!f.busy());
    assert_eq!(english(&f.title()), "Verify your email");
    // Nobody signed in here any more: the Email screen.
    let mut f = Flow::new();
    f.open(&format!("?logout={LOGOUT}"));
    f.finish(logout_info(None, Some("Example Shop")), 0.0);
    f.stay_signed_in();
    assert_eq!(f.screen(), &Screen::Email { request_id: None });
}

#[test]
fn a_logout_that_is_over_says_so_with_no_form() {
    let mut f = Flow::new();
    f.open(&format!("?logout={LOGOUT}"));
    f.finish(refused(ErrorCode::LogoutExpired, None, None), 0.0);
    assert_eq!(f.screen(), &Screen::Status);
    assert_eq!(
        error_text(&f),
        "This sign-out request has expired or is finished. Go back to the app."
    );
    assert!(!f.can_retry());
    let mut f = asked_to_log_out(None);
    f.confirm_logout();
    f.finish(refused(ErrorCode::LogoutExpired, None, None), 0.0);
    assert_eq!(f.screen(), &Screen::Status);
}

/// A logout link whose handle the service calls malformed reads like one
/// that is over.
#[test]
fn a_malformed_logout_link_reads_like_one_that_is_over() {
    let mut f = Flow::new();
    f.open("?logout=mangled");
    f.finish(refused(ErrorCode::InvalidRequest, None, None), 0.0);
    assert_eq!(f.screen(), &Screen::Status);
    assert_eq!(error_text(&f), ErrorCode::LogoutExpired.message());
    assert!(!f.can_retry());
}

#[test]
fn a_lost_logout_answer_offers_a_retry() {
    let mut f = Flow::new();
    let first = f.open(&format!("?logout={LOGOUT}")).unwrap();
    f.finish(Reply::Unreachable, 0.0);
    assert_eq!(f.screen(), &Screen::Status);
    assert!(f.can_retry());
    assert_eq!(f.retry(), Some(first));
    let mut f = asked_to_log_out(None);
    let confirm = f.confirm_logout().unwrap();
    f.finish(Reply::Unreachable, 0.0);
    assert!(matches!(f.screen(), Screen::Logout { .. }));
    assert_eq!(f.retry(), Some(confirm));
}
