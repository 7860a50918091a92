//! A macro for store wrappers that change only the verification steps.

/// Implements [`crate::store::SignInStore`], [`crate::store::SessionStore`]
/// and [`crate::store::SuppressionStore`] for a store wrapper `$ty` by
/// passing every call to its field `$inner` unchanged: for wrappers that
/// hold or break only the verification steps (tests, benchmarks).
#[macro_export]
macro_rules! forward_sign_in_steps {
    ($ty:ty, $inner:ident) => {
        #[$crate::store::async_trait_for_macros]
        impl $crate::store::SignInStore for $ty {
            async fn put_auth_request(
                &self,
                request: &$crate::store::AuthRequest,
                ttl: u64,
            ) -> Result<(), $crate::store::StoreError> {
                self.$inner.put_auth_request(request, ttl).await
            }
            async fn get_auth_request(
                &self,
                id: &$crate::domain::SignInId,
            ) -> Result<Option<$crate::store::AuthRecord>, $crate::store::StoreError> {
                self.$inner.get_auth_request(id).await
            }
            async fn grant(
                &self,
                id: &$crate::domain::SignInId,
                grant: &$crate::store::Grant,
                now: u64,
                ttl: u64,
            ) -> Result<$crate::store::AuthStep, $crate::store::StoreError> {
                self.$inner.grant(id, grant, now, ttl).await
            }
            async fn cancel_auth_request(
                &self,
                id: &$crate::domain::SignInId,
                now: u64,
            ) -> Result<$crate::store::AuthStep, $crate::store::StoreError> {
                self.$inner.cancel_auth_request(id, now).await
            }
            async fn redeem(
                &self,
                id: &$crate::domain::SignInId,
                check: &$crate::store::RedeemCheck,
                redemption: &$crate::store::Redemption,
                ttl: u64,
            ) -> Result<$crate::store::AuthStep, $crate::store::StoreError> {
                self.$inner.redeem(id, check, redemption, ttl).await
            }
            async fn revoke(
                &self,
                id: &$crate::domain::SignInId,
                check: &$crate::store::RedeemCheck,
                now: u64,
            ) -> Result<$crate::store::AuthStep, $crate::store::StoreError> {
                self.$inner.revoke(id, check, now).await
            }
            async fn grant_in_session(
                &self,
                id: &$crate::domain::SignInId,
                grant: &$crate::store::Grant,
                ttl: u64,
                session: &$crate::store::SessionUse,
            ) -> Result<$crate::store::SessionBound, $crate::store::StoreError> {
                self.$inner.grant_in_session(id, grant, ttl, session).await
            }
            async fn put_granted(
                &self,
                request: &$crate::store::AuthRequest,
                grant: &$crate::store::Grant,
                ttl: u64,
                session: &$crate::store::SessionUse,
            ) -> Result<$crate::store::SessionBound, $crate::store::StoreError> {
                self.$inner.put_granted(request, grant, ttl, session).await
            }
            async fn refresh(
                &self,
                id: &$crate::domain::SignInId,
                check: &$crate::store::RefreshCheck,
                rotation: &$crate::store::Rotation,
                session: &$crate::store::SessionUse,
                ttl: u64,
            ) -> Result<$crate::store::SessionBound, $crate::store::StoreError> {
                self.$inner.refresh(id, check, rotation, session, ttl).await
            }
            async fn revoke_refresh(
                &self,
                id: &$crate::domain::SignInId,
                now: u64,
            ) -> Result<$crate::store::AuthStep, $crate::store::StoreError> {
                self.$inner.revoke_refresh(id, now).await
            }
        }

        #[$crate::store::async_trait_for_macros]
        impl $crate::store::SessionStore for $ty {
            async fn create_session(
                &self,
                session: &$crate::store::Session,
                ttl: u64,
            ) -> Result<(), $crate::store::StoreError> {
                self.$inner.create_session(session, ttl).await
            }
            async fn get_session(
                &self,
                id: &$crate::domain::SessionId,
            ) -> Result<Option<$crate::store::Session>, $crate::store::StoreError> {
                self.$inner.get_session(id).await
            }
            async fn renew_session(
                &self,
                id: &$crate::domain::SessionId,
                renewal: &$crate::store::Renewal,
                now: u64,
                ttl: u64,
            ) -> Result<bool, $crate::store::StoreError> {
                self.$inner.renew_session(id, renewal, now, ttl).await
            }
            async fn end_session(
                &self,
                id: &$crate::domain::SessionId,
                now: u64,
            ) -> Result<$crate::store::SessionStep, $crate::store::StoreError> {
                self.$inner.end_session(id, now).await
            }
            async fn sessions_of(
                &self,
                subject: &str,
            ) -> Result<Vec<$crate::domain::SessionId>, $crate::store::StoreError> {
                self.$inner.sessions_of(subject).await
            }
            async fn forget_sessions(
                &self,
                subject: &str,
                ids: &[$crate::domain::SessionId],
            ) -> Result<(), $crate::store::StoreError> {
                self.$inner.forget_sessions(subject, ids).await
            }
            async fn put_logout(
                &self,
                request: &$crate::store::LogoutRequest,
                ttl: u64,
            ) -> Result<(), $crate::store::StoreError> {
                self.$inner.put_logout(request, ttl).await
            }
            async fn get_logout(
                &self,
                id: &$crate::domain::LogoutId,
            ) -> Result<Option<$crate::store::LogoutRecord>, $crate::store::StoreError> {
                self.$inner.get_logout(id).await
            }
            async fn use_logout(
                &self,
                id: &$crate::domain::LogoutId,
                now: u64,
            ) -> Result<Option<$crate::store::LogoutRecord>, $crate::store::StoreError> {
                self.$inner.use_logout(id, now).await
            }
        }

        #[$crate::store::async_trait_for_macros]
        impl $crate::store::SuppressionStore for $ty {
            async fn suppress(
                &self,
                key: &str,
                suppression: &$crate::store::Suppression,
                ttl: u64,
            ) -> Result<bool, $crate::store::StoreError> {
                self.$inner.suppress(key, suppression, ttl).await
            }
            async fn suppression(
                &self,
                key: &str,
            ) -> Result<Option<$crate::store::Suppression>, $crate::store::StoreError> {
                self.$inner.suppression(key).await
            }
            async fn lift_suppression(&self, key: &str) -> Result<bool, $crate::store::StoreError> {
                self.$inner.lift_suppression(key).await
            }
        }
    };
}
