//! Apps' sign-in requests under the lock; the rules are the record's
//! ([`crate::store::sign_in`]).

use super::{MemoryStore, State, StoredAuth};
use crate::domain::SignInId;
use crate::store::{
    AuthRecord, AuthRequest, AuthStep, Grant, RedeemCheck, Redemption, SignInStore, StoreError,
};
use async_trait::async_trait;

/// One conditional step on an authorization item, under the lock: `allowed`
/// judges the record, `apply` writes it, and the item's `ttl` rises to `ttl`
/// (never falls).
fn auth_step(
    state: &mut State,
    id: &SignInId,
    ttl: Option<u64>,
    allowed: impl FnOnce(&AuthRecord) -> bool,
    apply: impl FnOnce(&mut AuthRecord),
) -> AuthStep {
    let Some(stored) = state.auth.get_mut(id) else {
        return AuthStep::Refused(None);
    };
    if !allowed(&stored.record) {
        return AuthStep::Refused(Some(stored.record.clone()));
    }
    apply(&mut stored.record);
    if let Some(ttl) = ttl {
        stored.ttl = ttl;
    }
    AuthStep::Done(stored.record.clone())
}

#[async_trait]
impl SignInStore for MemoryStore {
    async fn put_auth_request(&self, request: &AuthRequest, ttl: u64) -> Result<(), StoreError> {
        let mut state = self.write();
        if state.auth.contains_key(&request.id) {
            return Err(StoreError::new(
                "a sign-in request with this id already exists",
            ));
        }
        let record = AuthRecord {
            request: request.clone(),
            grant: None,
            redemption: None,
            cancelled_at: None,
            revoked_at: None,
        };
        state
            .auth
            .insert(request.id.clone(), StoredAuth { record, ttl });
        Ok(())
    }

    async fn get_auth_request(&self, id: &SignInId) -> Result<Option<AuthRecord>, StoreError> {
        Ok(self.read().auth.get(id).map(|a| a.record.clone()))
    }

    async fn grant(
        &self,
        id: &SignInId,
        grant: &Grant,
        now: u64,
        ttl: u64,
    ) -> Result<AuthStep, StoreError> {
        let mut state = self.write();
        Ok(auth_step(
            &mut state,
            id,
            Some(ttl),
            |r| r.grantable(grant, now),
            // A repeat of the same grant keeps the first one's fields.
            |r| {
                r.grant.get_or_insert_with(|| grant.clone());
            },
        ))
    }

    async fn cancel_auth_request(&self, id: &SignInId, now: u64) -> Result<AuthStep, StoreError> {
        let mut state = self.write();
        Ok(auth_step(
            &mut state,
            id,
            None,
            |r| r.cancellable(now),
            |r| r.cancelled_at = Some(now),
        ))
    }

    async fn redeem(
        &self,
        id: &SignInId,
        check: &RedeemCheck,
        redemption: &Redemption,
        ttl: u64,
    ) -> Result<AuthStep, StoreError> {
        let mut state = self.write();
        Ok(auth_step(
            &mut state,
            id,
            Some(ttl),
            |r| r.redeemable(check),
            |r| r.redemption = Some(redemption.clone()),
        ))
    }

    async fn revoke(
        &self,
        id: &SignInId,
        check: &RedeemCheck,
        now: u64,
    ) -> Result<AuthStep, StoreError> {
        let mut state = self.write();
        Ok(auth_step(
            &mut state,
            id,
            None,
            |r| r.revocable(check),
            |r| r.revoked_at = Some(now),
        ))
    }
}
