use super::*;
use proptest::prelude::*;
use serde_json::{Value, json};

impl Json for Value {
    fn member(&self, key: &str) -> Option<Self> {
        self.get(key).filter(|v| !v.is_null()).cloned()
    }
    fn string(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
    fn number(&self) -> Option<f64> {
        self.as_f64()
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
}

fn send() -> Call {
    Call::Send(SendRequest {
        email: "a@example.com".to_owned(),
        request_id: None,
        proof: None,
        sign_in: None,
        locale: None,
    })
}

fn verify() -> Call {
    Call::Verify(VerifyRequest {
        flow_id: "f".to_owned(),
        code: "123456".to_owned(),
    })
}

fn decode_json(call: &Call, status: u16, body: Value) -> Reply {
    decode(call, status, Some(&body))
}

#[test]
fn reads_each_success_shape_as_otp_api_writes_it() {
    let sent = SendResponse {
        flow_id: "f1".to_owned(),
        expires_in: 600,
        resend_in: 60,
    };
    let r = decode_json(&send(), 202, serde_json::to_value(&sent).unwrap());
    assert_eq!(r, Reply::Sent(sent));

    let verified = VerifyResponse {
        status: VerifyStatus::Approved,
        email: "a@example.com".to_owned(),
        redirect_to: None,
    };
    let r = decode_json(&verify(), 200, serde_json::to_value(&verified).unwrap());
    assert_eq!(r, Reply::Verified(verified));

    let resend = Call::Resend(ResendRequest {
        flow_id: "f".to_owned(),
        proof: None,
        locale: None,
    });
    let resent = ResendResponse {
        expires_in: 600,
        resend_in: 60,
    };
    let r = decode_json(&resend, 202, serde_json::to_value(&resent).unwrap());
    assert_eq!(r, Reply::Resent(resent));
}

#[test]
fn reads_the_error_shape_with_its_extras() {
    let mut body = otp_api::ErrorBody::new(ErrorCode::WrongCode);
    body.error.attempts_left = Some(2);
    let r = decode_json(&verify(), 422, serde_json::to_value(&body).unwrap());
    assert_eq!(r, Reply::Refused(body.error));

    let mut body = otp_api::ErrorBody::new(ErrorCode::RateLimited);
    body.error.retry_after = Some(30);
    let r = decode_json(&send(), 429, serde_json::to_value(&body).unwrap());
    assert_eq!(r, Reply::Refused(body.error));
}

#[test]
fn reads_a_proof_of_work_challenge() {
    let mut body = otp_api::ErrorBody::new(ErrorCode::ProofOfWorkRequired);
    body.error.challenge = Some(Challenge {
        token: "v1.abc".to_owned(),
        difficulty: 19,
    });
    let r = decode_json(&send(), 429, serde_json::to_value(&body).unwrap());
    assert_eq!(r, Reply::Refused(body.error));
}

#[test]
fn a_challenge_the_solver_cannot_take_is_left_out() {
    let refused_with = |challenge: Value| {
        let body = json!({"error": {"code": "proof_of_work_required", "message": "", "challenge": challenge}});
        match decode_json(&send(), 429, body) {
            Reply::Refused(d) => d.challenge,
            other => panic!("{other:?}"),
        }
    };
    let longest = "t".repeat(MAX_CHALLENGE_LEN);
    assert!(refused_with(json!({"token": longest, "difficulty": 20})).is_some());
    let too_long = "t".repeat(MAX_CHALLENGE_LEN + 1);
    assert_eq!(
        refused_with(json!({"token": too_long, "difficulty": 20})),
        None
    );
    assert_eq!(refused_with(json!({"token": "t", "difficulty": 1.5})), None);
    assert_eq!(
        refused_with(json!({"token": "t", "difficulty": 4_294_967_296u64})),
        None
    );
    assert_eq!(refused_with(json!({"difficulty": 20})), None);
    assert_eq!(refused_with(json!("t")), None);
}

#[test]
fn a_nonce_from_javascript_must_be_a_whole_number_it_holds_exactly() {
    assert_eq!(whole_number(0.0), Some(0));
    assert_eq!(whole_number(9_007_199_254_740_991.0), Some((1 << 53) - 1));
    assert_eq!(whole_number(9_007_199_254_740_992.0), None);
    assert_eq!(whole_number(-1.0), None);
    assert_eq!(whole_number(1.5), None);
    assert_eq!(whole_number(f64::NAN), None);
}

/// Does not compile once `otp-api` gains an error code: add it here and to
/// `ERROR_CODES`, which the page reads codes with.
fn is_listed(code: ErrorCode) -> bool {
    use ErrorCode::*;
    match code {
        InvalidRequest | UnsupportedMediaType | PayloadTooLarge | NotFound | MethodNotAllowed
        | Forbidden | InvalidEmail | InvalidCodeFormat | UnknownFlow | Expired | AlreadyUsed
        | WrongCode | TooManyAttempts | ResendTooSoon | RateLimited | ProofOfWorkRequired
        | Undeliverable | SignInExpired | SessionRequired | LogoutExpired | ForbiddenOrigin
        | CeremonyExpired | PasskeyRefused | UnknownPasskey | Unavailable | Internal => {
            ERROR_CODES.contains(&code)
        }
    }
}

#[test]
fn every_error_code_is_understood() {
    for code in ERROR_CODES {
        assert!(is_listed(code));
        // The wire name the page compares with is the one serde writes.
        assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
        let body = json!({"error": {"code": code.as_str(), "message": ""}});
        match decode_json(&send(), 400, body) {
            Reply::Refused(d) => assert_eq!(d.code, code),
            other => panic!("{code}: {other:?}"),
        }
    }
    let unknown = json!({"error": {"code": "no_such_code", "message": ""}});
    assert_eq!(decode_json(&send(), 400, unknown), Reply::Unreachable);
}

#[test]
fn unreadable_answers_count_as_unreachable() {
    assert_eq!(decode::<Value>(&send(), 502, None), Reply::Unreachable);
    assert_eq!(decode_json(&send(), 202, json!({})), Reply::Unreachable);
    assert_eq!(
        decode_json(&verify(), 200, json!({"flow_id": "f"})),
        Reply::Unreachable
    );
    let bad_status = json!({"status": "maybe", "email": "a@example.com"});
    assert_eq!(decode_json(&verify(), 200, bad_status), Reply::Unreachable);
    let unknown_code = json!({"error": {"code": "no_such_code", "message": ""}});
    assert_eq!(decode_json(&send(), 400, unknown_code), Reply::Unreachable);
    let fractional = json!({"flow_id": "f", "expires_in": 1.5, "resend_in": 60});
    assert_eq!(decode_json(&send(), 202, fractional), Reply::Unreachable);
    let negative = json!({"flow_id": "f", "expires_in": -1, "resend_in": 60});
    assert_eq!(decode_json(&send(), 202, negative), Reply::Unreachable);
}

#[test]
fn paths_match_the_api() {
    assert_eq!(send().path(), "/api/otp/send");
    assert_eq!(verify().path(), "/api/otp/verify");
    assert_eq!(sign_in().path(), "/api/sign-in");
    assert_eq!(cancel().path(), "/api/sign-in/cancel");
    assert_eq!(continued().path(), "/api/sign-in/continue");
    assert_eq!(Call::Session.path(), "/api/session");
    assert_eq!(sign_out(true).path(), "/api/session/end");
    assert_eq!(Call::Logout(logout()).path(), "/api/logout");
    assert_eq!(Call::ConfirmLogout(logout()).path(), "/api/logout/confirm");
}

fn sign_in() -> Call {
    Call::SignIn(SignInRequest {
        sign_in: "s1".to_owned(),
    })
}

fn cancel() -> Call {
    Call::Cancel(SignInRequest {
        sign_in: "s1".to_owned(),
    })
}

#[test]
fn reads_the_sign_in_answers_as_otp_api_writes_them() {
    let named = SignInResponse {
        client_name: "Example Shop".to_owned(),
        login_hint: Some("ada@example.com".to_owned()),
        ui_locales: Some("fr en".to_owned()),
        session: None,
    };
    let r = decode_json(&sign_in(), 200, serde_json::to_value(&named).unwrap());
    assert_eq!(r, Reply::SignIn(named));
    let bare = SignInResponse {
        client_name: "Example Shop".to_owned(),
        login_hint: None,
        ui_locales: None,
        session: None,
    };
    let r = decode_json(&sign_in(), 200, serde_json::to_value(&bare).unwrap());
    assert_eq!(r, Reply::SignIn(bare));
    assert_eq!(decode_json(&sign_in(), 200, json!({})), Reply::Unreachable);

    let back = RedirectResponse {
        redirect_to: "http://127.0.0.1:8080/callback?error=access_denied&state=s".to_owned(),
    };
    let r = decode_json(&cancel(), 200, serde_json::to_value(&back).unwrap());
    assert_eq!(r, Reply::Redirect(back));

    let verified = VerifyResponse {
        status: VerifyStatus::Approved,
        email: "a@example.com".to_owned(),
        redirect_to: Some("https://app.example/cb?code=c&state=s&iss=x".to_owned()),
    };
    let r = decode_json(&verify(), 200, serde_json::to_value(&verified).unwrap());
    assert_eq!(r, Reply::Verified(verified));

    let expired = json!({"error": {"code": "sign_in_expired", "message": ""}});
    match decode_json(&sign_in(), 410, expired) {
        Reply::Refused(d) => assert_eq!(d.code, ErrorCode::SignInExpired),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_page_only_goes_to_web_addresses() {
    for to in [
        "javascript:alert(1)",
        "data:text/html,x",
        "//evil.example/",
        "",
    ] {
        let body = json!({"redirect_to": to});
        assert_eq!(
            decode_json(&cancel(), 200, body),
            Reply::Unreachable,
            "{to}"
        );
        let body = json!({"status": "approved", "email": "a@example.com", "redirect_to": to});
        match decode_json(&verify(), 200, body) {
            Reply::Verified(v) => assert_eq!(v.redirect_to, None, "{to}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn sign_in_bodies_match_serde_json() {
    let req = SignInRequest {
        sign_in: "AbC-_0123456789abcdefgh".to_owned(),
    };
    let json = serde_json::to_string(&req).unwrap();
    assert_eq!(Call::SignIn(req.clone()).body(), json);
    assert_eq!(Call::Cancel(req.clone()).body(), json);
    let send_req = SendRequest {
        email: "a@example.com".to_owned(),
        request_id: Some("0f".to_owned()),
        proof: Some(Proof {
            challenge: "t".to_owned(),
            nonce: 7,
        }),
        sign_in: Some(req.sign_in.clone()),
        locale: Some("pt-BR".to_owned()),
    };
    assert_eq!(
        Call::Send(send_req.clone()).body(),
        serde_json::to_string(&send_req).unwrap()
    );
    assert_eq!(
        cancel().with_proof(Proof {
            challenge: "t".to_owned(),
            nonce: 1
        }),
        cancel(),
        "only sends and resends take a proof"
    );
}

#[test]
fn bodies_match_serde_json() {
    let with_id = SendRequest {
        email: "a@example.com".to_owned(),
        request_id: Some("0f".to_owned()),
        proof: None,
        sign_in: None,
        locale: None,
    };
    assert_eq!(
        Call::Send(with_id.clone()).body(),
        serde_json::to_string(&with_id).unwrap()
    );
    let verify_req = VerifyRequest {
        flow_id: "f".to_owned(),
        code: "123456".to_owned(),
    };
    assert_eq!(
        Call::Verify(verify_req.clone()).body(),
        serde_json::to_string(&verify_req).unwrap()
    );
    let resend_req = ResendRequest {
        flow_id: "f\"1".to_owned(),
        proof: None,
        locale: None,
    };
    assert_eq!(
        Call::Resend(resend_req.clone()).body(),
        serde_json::to_string(&resend_req).unwrap()
    );
    assert_eq!(send().body(), r#"{"email":"a@example.com"}"#);
}

#[test]
fn bodies_with_a_proof_match_serde_json() {
    let proof = Proof {
        challenge: "v1.\"tok\"".to_owned(),
        nonce: 9_007_199_254_740_991,
    };
    let send_req = SendRequest {
        email: "a@example.com".to_owned(),
        request_id: Some("0f".to_owned()),
        proof: None,
        sign_in: None,
        locale: None,
    };
    let with_proof = Call::Send(send_req.clone()).with_proof(proof.clone());
    let expected = SendRequest {
        proof: Some(proof.clone()),
        ..send_req
    };
    assert_eq!(with_proof, Call::Send(expected.clone()));
    assert_eq!(with_proof.body(), serde_json::to_string(&expected).unwrap());
    let without_id = SendRequest {
        request_id: None,
        ..expected
    };
    assert_eq!(
        Call::Send(without_id.clone()).body(),
        serde_json::to_string(&without_id).unwrap()
    );
    let resend_req = ResendRequest {
        flow_id: "f".to_owned(),
        proof: Some(Proof {
            nonce: 0,
            ..proof.clone()
        }),
        locale: Some("ar".to_owned()),
    };
    assert_eq!(
        Call::Resend(resend_req.clone()).body(),
        serde_json::to_string(&resend_req).unwrap()
    );
    assert_eq!(
        verify().with_proof(proof),
        verify(),
        "a verify needs no proof"
    );
}

proptest! {
    #[test]
    fn any_typed_address_is_escaped_like_serde_json(email in "\\PC*|[\\x00-\\x20\"\\\\\u{7f}\u{2028}]{0,8}") {
        let req = SendRequest { email, request_id: None, proof: None, sign_in: Some("s\"1".to_owned()), locale: Some("de".to_owned()) };
        let body = Call::Send(req.clone()).body();
        prop_assert_eq!(&body, &serde_json::to_string(&req).unwrap());
        prop_assert_eq!(serde_json::from_str::<SendRequest>(&body).unwrap(), req);
    }
}

fn continued() -> Call {
    Call::Continue(SignInRequest {
        sign_in: "s1".to_owned(),
    })
}

fn sign_out(everywhere: bool) -> Call {
    Call::SignOut(SignOutRequest { everywhere })
}

fn logout() -> LogoutRequest {
    LogoutRequest {
        logout: "AbC-_0123456789abcdefgh".to_owned(),
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

#[test]
fn session_bodies_match_serde_json() {
    assert_eq!(Call::Session.body(), json(&otp_api::SessionRequest {}));
    for everywhere in [false, true] {
        assert_eq!(
            sign_out(everywhere).body(),
            json(&SignOutRequest { everywhere })
        );
    }
    assert_eq!(Call::Logout(logout()).body(), json(&logout()));
    assert_eq!(Call::ConfirmLogout(logout()).body(), json(&logout()));
    let req = SignInRequest {
        sign_in: "s1".to_owned(),
    };
    assert_eq!(continued().body(), json(&req));
}

#[test]
fn reads_the_session_answers_as_otp_api_writes_them() {
    for session in [
        None,
        Some(SignedIn {
            email: "ada@example.com".to_owned(),
        }),
    ] {
        let answer = SessionResponse { session };
        let r = decode_json(&Call::Session, 200, serde_json::to_value(&answer).unwrap());
        assert_eq!(r, Reply::Session(answer));
    }
    let ended = SignOutResponse { sessions_ended: 3 };
    let r = decode_json(&sign_out(true), 200, serde_json::to_value(&ended).unwrap());
    assert_eq!(r, Reply::SignedOut(ended));
    assert_eq!(
        decode_json(&sign_out(false), 200, json!({})),
        Reply::Unreachable
    );

    let back = RedirectResponse {
        redirect_to: "http://127.0.0.1:8080/callback?code=c&state=s&iss=i".to_owned(),
    };
    let r = decode_json(&continued(), 200, serde_json::to_value(&back).unwrap());
    assert_eq!(r, Reply::Redirect(back));
    let refused = json!({"error": {"code": "session_required", "message": ""}});
    match decode_json(&continued(), 401, refused) {
        Reply::Refused(d) => assert_eq!(d.code, ErrorCode::SessionRequired),
        other => panic!("{other:?}"),
    }

    for info in [
        LogoutInfo {
            email: Some("ada@example.com".to_owned()),
            client_name: Some("Example Shop".to_owned()),
            ui_locales: Some("de en".to_owned()),
        },
        LogoutInfo {
            email: None,
            client_name: None,
            ui_locales: None,
        },
    ] {
        let call = Call::Logout(logout());
        let r = decode_json(&call, 200, serde_json::to_value(&info).unwrap());
        assert_eq!(r, Reply::Logout(info));
    }
    for done in [
        LogoutDone {
            redirect_to: Some("https://app.example/bye?state=s".to_owned()),
        },
        LogoutDone { redirect_to: None },
    ] {
        let call = Call::ConfirmLogout(logout());
        let r = decode_json(&call, 200, serde_json::to_value(&done).unwrap());
        assert_eq!(r, Reply::LoggedOut(done));
    }
    let not_web = json!({"redirect_to": "javascript:alert(1)"});
    assert_eq!(
        decode_json(&Call::ConfirmLogout(logout()), 200, not_web),
        Reply::LoggedOut(LogoutDone { redirect_to: None }),
        "the page only goes to web addresses"
    );
}

#[test]
fn reads_who_may_continue_a_sign_in() {
    for can_continue in [true, false] {
        let named = SignInResponse {
            client_name: "Example Shop".to_owned(),
            login_hint: None,
            ui_locales: None,
            session: Some(SessionChoice {
                email: "ada@example.com".to_owned(),
                can_continue,
            }),
        };
        let r = decode_json(&sign_in(), 200, serde_json::to_value(&named).unwrap());
        assert_eq!(r, Reply::SignIn(named));
    }
    // Only a plain `true` lets the page finish a sign-in without a code.
    let odd = json!({"client_name": "Shop", "session": {"email": "a@b.c", "can_continue": "yes"}});
    match decode_json(&sign_in(), 200, odd) {
        Reply::SignIn(r) => assert_eq!(r.session.map(|s| s.can_continue), Some(false)),
        other => panic!("{other:?}"),
    }
    let no_email = json!({"client_name": "Shop", "session": {"can_continue": true}});
    match decode_json(&sign_in(), 200, no_email) {
        Reply::SignIn(r) => assert_eq!(r.session, None),
        other => panic!("{other:?}"),
    }
}
