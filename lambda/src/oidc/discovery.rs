//! The provider's metadata (OpenID Connect Discovery 1.0 §3, RP-Initiated
//! Logout 1.0 §2.1, Back-Channel Logout 1.0 §2.1): exactly what it does,
//! and `false` for the logout mechanisms it does not offer.

use super::Provider;
use serde_json::{Value, json};

impl Provider {
    /// `/.well-known/openid-configuration`
    pub fn discovery(&self) -> Value {
        let iss = &self.issuer;
        json!({
            "issuer": iss,
            "authorization_endpoint": format!("{iss}/authorize"),
            "token_endpoint": format!("{iss}/token"),
            "userinfo_endpoint": format!("{iss}/userinfo"),
            "jwks_uri": format!("{iss}/.well-known/jwks.json"),
            "end_session_endpoint": format!("{iss}/logout"),
            "scopes_supported": ["openid", "email"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "sid", "email", "email_verified", "at_hash"],
            "prompt_values_supported": ["none", "login", "consent", "select_account"],
            "authorization_response_iss_parameter_supported": true,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "claims_parameter_supported": false,
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "frontchannel_logout_supported": false,
            // The page and the code mail speak each of these (see `ui_locales`).
            "ui_locales_supported": otp_api::locale::LANGUAGES.iter().map(|l| l.tag).collect::<Vec<_>>(),
        })
    }
}
