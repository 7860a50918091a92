//! Refresh tokens (OpenID Connect Core §12, RFC 6749 §6, RFC 9700 §4.14):
//! issued to confidential clients with their first tokens, bound to the
//! session the code was granted in, rotated at every use.
//!
//! A refresh token is `<sign-in id>.<generation>.<tag>`: the tag is a keyed
//! 128-bit tag of the id and the generation under the service's HMAC keys,
//! so only the service makes one, and it recognises every generation it
//! ever issued without keeping them. The sign-in's item keeps the SHA-256 of
//! the current one alone. A refresh writes the next generation, if the
//! presented token is still the current one, in one transaction with the
//! use of its session, so:
//! - two refreshes with one token: one wins; the other finds a later
//!   generation, which is reuse;
//! - a refresh after (or racing) the end of its session loses;
//! - an earlier generation presented again is reuse (RFC 9700 §4.14.2):
//!   the family is revoked (refresh and access token), its session ends, and
//!   the session's apps are told by back-channel logout.
//!
//! The ID token of a refresh keeps the original `auth_time`, `sub` and
//! `sid`, and has no `nonce` (Core §12.2).

use super::clients::Client;
use super::token::TokenError;
use super::{ACCESS_TOKEN_TTL_SECS, Provider, TokenResponse, grant};
use crate::domain::{CodeHasher, SignInId};
use crate::store::{AuthRecord, RefreshCheck, RefreshState, Rotation, SessionBound};

const INVALID: TokenError =
    TokenError::InvalidGrant("The refresh token is not valid, has expired or was revoked.");

/// The refresh token of generation `generation` of the sign-in `id`.
pub(super) fn token(hasher: &CodeHasher, id: &SignInId, generation: u32) -> String {
    let tag = hasher.tag(
        "refresh",
        &[id.as_str().as_bytes(), &generation.to_be_bytes()],
    );
    format!("{}.{generation}.{}", id.as_str(), hex::encode(tag))
}

/// The sign-in and generation of a refresh token the service issued.
fn parse(hasher: &CodeHasher, token: &str) -> Option<(SignInId, u32)> {
    let mut parts = token.split('.');
    let (id, generation, tag) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let id = SignInId::parse(id)?;
    // Only the form `token` writes: no sign, no leading zero.
    let generation = generation
        .parse::<u32>()
        .ok()
        .filter(|g| g.to_string() == generation)?;
    let tag: [u8; 16] = hex::decode(tag).ok()?.try_into().ok()?;
    let parts: [&[u8]; 2] = [id.as_str().as_bytes(), &generation.to_be_bytes()];
    hasher
        .is_tag(&tag, "refresh", &parts)
        .then_some((id, generation))
}

/// Whether every value of `requested` is one of `granted` (RFC 6749 §6).
fn within(requested: &str, granted: &str) -> bool {
    requested
        .split(' ')
        .filter(|s| !s.is_empty())
        .all(|s| granted.split(' ').any(|g| g == s))
}

impl Provider {
    /// `grant_type=refresh_token` from the authenticated `client`.
    pub(super) async fn refresh(
        &self,
        client: &Client,
        presented: &str,
        scope: Option<&str>,
        now: u64,
    ) -> Result<TokenResponse, TokenError> {
        let (id, generation) = parse(&self.hasher, presented).ok_or(INVALID)?;
        let record = self
            .store
            .get_auth_request(&id)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "store failed");
                TokenError::Unavailable
            })?
            .ok_or(INVALID)?;
        let (Some(granted), Some(current)) = (&record.grant, record.refresh()) else {
            return Err(INVALID);
        };
        if record.request.client_id != client.id {
            return Err(TokenError::InvalidGrant(
                "The refresh token was issued to another client.",
            ));
        }
        if scope.is_some_and(|s| !within(s, &record.request.scope)) {
            return Err(TokenError::InvalidScope(
                "The scope must be within the one granted.",
            ));
        }
        if generation < current.generation {
            return Err(self.reused(&record, now).await);
        }
        let Some(sid) = &granted.sid else {
            return Err(INVALID);
        };
        if generation > current.generation
            || record.revoked_at.is_some()
            || current.expires_at <= now
        {
            return Err(INVALID);
        }
        let next = token(&self.hasher, &id, generation + 1);
        let access_token = grant::new_access_token(&id);
        let check = RefreshCheck {
            presented_hash: grant::hash(presented),
            client_id: client.id.clone(),
            now,
        };
        let rotation = Rotation {
            token_hash: grant::hash(&access_token),
            token_expires_at: now + ACCESS_TOKEN_TTL_SECS,
            refresh: RefreshState {
                hash: grant::hash(&next),
                generation: generation + 1,
                expires_at: current.expires_at,
            },
        };
        let session = self.sessions.use_of(sid, &client.id);
        let ttl = current.expires_at + self.ttl_grace;
        let step = self
            .store
            .refresh(&id, &check, &rotation, &session, ttl)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "store failed");
                TokenError::Unavailable
            })?;
        match step {
            SessionBound::Done => {}
            SessionBound::Refused(Some(now_record))
                if now_record
                    .refresh()
                    .is_some_and(|r| r.generation > generation) =>
            {
                // Another request rotated this very token first.
                return Err(self.reused(&now_record, now).await);
            }
            SessionBound::Refused(_) => return Err(INVALID),
            SessionBound::SessionOver => {
                return Err(TokenError::InvalidGrant(
                    "The session this refresh token is bound to has ended.",
                ));
            }
        }
        let id_token = self
            .id_token(
                &client.id,
                granted,
                &record.request.scope,
                None,
                &access_token,
                now,
            )
            .await?;
        tracing::info!(client = %client.id, sign_in = %id, generation = generation + 1, "refresh token rotated");
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_TTL_SECS,
            id_token,
            refresh_token: Some(next),
            scope: record.request.scope.clone(),
        })
    }

    /// A refresh token presented after it was rotated: the family is
    /// revoked, its session ends and the session's apps are told.
    async fn reused(&self, record: &AuthRecord, now: u64) -> TokenError {
        let id = &record.request.id;
        tracing::warn!(client = %record.request.client_id, sign_in = %id, "a rotated refresh token was used again: its family is revoked and its session ended");
        if let Err(e) = self.store.revoke_refresh(id, now).await {
            tracing::error!(error = %e, "could not revoke a reused refresh token's family");
        }
        if let Some(sid) = record.grant.as_ref().and_then(|g| g.sid.as_ref()) {
            match self.sessions.end(sid).await {
                Ok(Some(ended)) => self.tell_apps(&[ended]).await,
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(error = %e, "could not end the session of a reused refresh token")
                }
            }
        }
        TokenError::InvalidGrant("The refresh token was already used.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tokens_the_service_made_are_read() {
        let hasher = CodeHasher::ephemeral();
        let id = SignInId::generate();
        for generation in [0, 1, 41, u32::MAX] {
            let t = token(&hasher, &id, generation);
            assert_eq!(parse(&hasher, &t), Some((id.clone(), generation)));
        }
        let t = token(&hasher, &id, 3);
        let (head, tag) = t.rsplit_once('.').unwrap();
        let other_generation = format!("{}.4.{tag}", id.as_str());
        let mut flipped = format!("{head}.{tag}");
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        for bad in [
            "",
            "x.0.00",
            other_generation.as_str(),
            flipped.as_str(),
            &format!("{t}.x"),
            &format!("{}.+3.{tag}", id.as_str()),
            &format!("{}.03.{tag}", id.as_str()),
        ] {
            assert_eq!(parse(&hasher, bad), None, "{bad}");
        }
        assert_eq!(parse(&CodeHasher::ephemeral(), &t), None);
    }

    #[test]
    fn a_scope_may_narrow_never_widen() {
        assert!(within("openid", "openid email"));
        assert!(within("email openid", "openid email"));
        assert!(!within("openid profile", "openid email"));
        assert!(!within("openid email", "openid"));
    }
}
