//! `POST /token`: an app redeems the authorization code of an approved
//! sign-in for its tokens. The request is checked first without the store
//! ([`token::check`]); a failed client authentication goes to the guessing
//! budget ([`super::budget`]); an authenticated client's redemption is one
//! conditional write, and a used code its own client presents again revokes
//! what it gave.

use super::clients::{self, Client};
use super::token::{self, IdTokenClaims, TokenError, TokenParams};
use super::{ACCESS_TOKEN_TTL_SECS, ID_TOKEN_TTL_SECS, Provider, TokenResponse, grant};
use crate::store::{AuthStep, RedeemCheck, Redemption};
use std::net::IpAddr;

impl Provider {
    /// `POST /token`: `params` is the form body, `authorization` the header,
    /// `ip` the client's address (budgets need one; see [`super::budget`]).
    pub async fn token(
        &self,
        params: &[(String, String)],
        authorization: Option<&str>,
        ip: IpAddr,
    ) -> Result<TokenResponse, TokenError> {
        let now = self.clock.now();
        let (client, request) = match token::check(params, authorization, &self.clients) {
            Ok(checked) => checked,
            Err((claimed, e)) => return Err(self.refused(claimed.as_deref(), e, ip, now).await),
        };
        self.redeem(client, &request, now).await.inspect_err(|e| {
            tracing::info!(
                client = %client.id,
                error = e.code(),
                reason = e.description(),
                "token refused"
            );
        })
    }

    /// The answer to a token request refused before its client was
    /// authenticated: a failed client authentication is counted (or, from
    /// an address over its budget, refused in memory); the client id it
    /// claimed reaches the log only if it has the form of one.
    async fn refused(
        &self,
        claimed: Option<&str>,
        e: TokenError,
        ip: IpAddr,
        now: u64,
    ) -> TokenError {
        let logged = claimed.map_or("-", |id| {
            if clients::is_client_id(id) {
                id
            } else {
                "(malformed)"
            }
        });
        tracing::info!(
            client = logged,
            error = e.code(),
            reason = e.description(),
            "token refused"
        );
        if !matches!(e, TokenError::InvalidClient(_)) {
            return e;
        }
        let registered = claimed.filter(|id| self.clients.get(id).is_some());
        match self
            .failures
            .failed_authentication(&*self.store, registered, ip, now)
            .await
        {
            Some(retry_after) => {
                tracing::warn!("failed client authentications over budget");
                TokenError::TooMany { retry_after }
            }
            None => e,
        }
    }

    /// Redeems the code of an authenticated client.
    async fn redeem(
        &self,
        client: &Client,
        request: &TokenParams,
        now: u64,
    ) -> Result<TokenResponse, TokenError> {
        let id = grant::sign_in_of(&request.code)
            .ok_or(TokenError::InvalidGrant("The code is not valid."))?;
        let code_hash = grant::hash(&request.code);
        let access_token = grant::new_access_token(&id);
        let check = RedeemCheck {
            code_hash: code_hash.clone(),
            client_id: client.id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: grant::s256(&request.code_verifier),
            now,
        };
        let redemption = Redemption {
            token_hash: grant::hash(&access_token),
            redeemed_at: now,
            token_expires_at: now + ACCESS_TOKEN_TTL_SECS,
        };
        let ttl = redemption.token_expires_at + self.ttl_grace;
        let step = self
            .store
            .redeem(&id, &check, &redemption, ttl)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "store failed");
                TokenError::Unavailable
            })?;
        let record = match step {
            AuthStep::Done(record) => record,
            // RFC 6749 §4.1.2: a code used twice revokes what it gave, when
            // its own client presents it again (the app's retry, or the app
            // after a thief redeemed first). Anyone else changes nothing.
            AuthStep::Refused(Some(record)) if record.revocable(&check) => {
                match self.store.revoke(&id, &check, now).await {
                    Ok(AuthStep::Done(_)) => tracing::warn!(
                        sign_in = %id,
                        "a redeemed code was presented again by its client: token revoked"
                    ),
                    Ok(AuthStep::Refused(_)) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "could not revoke the token of a replayed code")
                    }
                }
                return Err(TokenError::InvalidGrant("The code was already used."));
            }
            AuthStep::Refused(_) => {
                return Err(TokenError::InvalidGrant(
                    "The code is not valid, has expired, or was issued for another client, redirect_uri or code_verifier.",
                ));
            }
        };
        let Some(granted) = &record.grant else {
            tracing::error!("a redeemed request has no grant");
            return Err(TokenError::Unavailable);
        };
        let with_email = record.request.scope.split(' ').any(|s| s == "email");
        let at_hash = grant::at_hash(&access_token);
        let claims = IdTokenClaims {
            iss: &self.issuer,
            sub: &granted.subject,
            aud: &client.id,
            exp: now + ID_TOKEN_TTL_SECS,
            iat: now,
            auth_time: granted.auth_time,
            nonce: record.request.nonce.as_deref(),
            amr: ["otp"],
            at_hash: &at_hash,
            email: with_email.then_some(granted.email.as_str()),
            email_verified: with_email.then_some(true),
        };
        let keys = self.keys.get().await;
        let id_token = keys.signing.sign(&claims).map_err(|e| {
            tracing::error!(error = %e, "could not sign an ID token");
            TokenError::Unavailable
        })?;
        tracing::info!(client = %client.id, sign_in = %id, "code redeemed");
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_TTL_SECS,
            id_token,
            scope: record.request.scope.clone(),
        })
    }
}
