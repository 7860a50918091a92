//! The two flows the cost table prices, as a person and an app run them
//! over HTTP, with the code read from the real mail (maildev):
//!
//! - a verification: send, one wrong code, the right code;
//! - an app's sign-in: `/authorize`, the page's `/api/sign-in`, send, the
//!   right code, `/token`, `/userinfo`.

use crate::support::{Inbox, random_token, s256};
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "shop";
pub const CLIENT_SECRET: &str = "cost-test-secret-0123456789abcdefghijkl";
/// Nobody listens there: redirects are read, never followed.
pub const REDIRECT_URI: &str = "http://127.0.0.1:53682/callback";

/// A step of a flow, named as the cost table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Authorize,
    SignInPage,
    Send,
    WrongVerify,
    Verify,
    Token,
    UserInfo,
}

pub fn clients_json() -> String {
    json!([{
        "id": CLIENT_ID,
        "name": "Shop",
        "redirect_uris": [REDIRECT_URI],
        "secret": CLIENT_SECRET,
    }])
    .to_string()
}

pub struct Flows {
    base: String,
    inbox: Inbox,
    http: reqwest::Client,
}

impl Flows {
    /// The flows against the service at `base`, whose mail reaches `inbox`.
    pub fn new(base: String, inbox: Inbox) -> Flows {
        Flows {
            base,
            inbox,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("the service answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON answer"))
    }

    async fn send(&self, email: &str, sign_in: Option<&str>) -> String {
        let mut body = json!({ "email": email, "request_id": random_token(12) });
        if let Some(sign_in) = sign_in {
            body["sign_in"] = json!(sign_in);
        }
        let (status, sent) = self.post_json("/api/otp/send", body).await;
        assert_eq!(status, 202, "{sent}");
        sent["flow_id"].as_str().unwrap().to_owned()
    }

    async fn verify(&self, flow_id: &str, code: &str) -> (u16, Value) {
        self.post_json(
            "/api/otp/verify",
            json!({ "flow_id": flow_id, "code": code }),
        )
        .await
    }

    /// Send, one wrong code, the right code; `after` runs after each step.
    pub async fn verification(&self, mut after: impl FnMut(Step)) {
        let email = format!("cost-{}@example.com", random_token(6).to_lowercase());
        let flow_id = self.send(&email, None).await;
        after(Step::Send);
        let code = self.inbox.wait_for_code(&email, 1).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let (status, answer) = self.verify(&flow_id, wrong).await;
        assert_eq!(status, 422, "{answer}");
        after(Step::WrongVerify);
        let (status, answer) = self.verify(&flow_id, &code).await;
        assert_eq!(status, 200, "{answer}");
        after(Step::Verify);
    }

    /// An app's sign-in, from `/authorize` to `/userinfo`; `after` runs
    /// after each step.
    pub async fn sign_in(&self, mut after: impl FnMut(Step)) {
        let verifier = random_token(32);
        let challenge = s256(&verifier);
        let response = self
            .http
            .get(format!("{}/authorize", self.base))
            .query(&[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid email"),
                ("state", &random_token(8)),
                ("nonce", &random_token(8)),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let sign_in = location
            .strip_prefix("/?sign_in=")
            .expect("the page with its sign-in")
            .to_owned();
        after(Step::Authorize);

        let (status, answer) = self
            .post_json("/api/sign-in", json!({ "sign_in": sign_in }))
            .await;
        assert_eq!(status, 200, "{answer}");
        after(Step::SignInPage);

        let email = format!("cost-{}@example.com", random_token(6).to_lowercase());
        let flow_id = self.send(&email, Some(&sign_in)).await;
        after(Step::Send);
        let code = self.inbox.wait_for_code(&email, 1).await;
        let (status, approved) = self.verify(&flow_id, &code).await;
        assert_eq!(status, 200, "{approved}");
        after(Step::Verify);

        let redirect = url::Url::parse(approved["redirect_to"].as_str().unwrap()).unwrap();
        let auth_code = redirect
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("a code for the app");
        let response = self
            .http
            .post(format!("{}/token", self.base))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &auth_code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &verifier),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let tokens: Value = response.json().await.unwrap();
        after(Step::Token);

        let response = self
            .http
            .get(format!("{}/userinfo", self.base))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        after(Step::UserInfo);
    }
}
