//! The suppression list under the lock.

use super::MemoryStore;
use crate::store::{StoreError, Suppression, SuppressionStore};
use async_trait::async_trait;

#[async_trait]
impl SuppressionStore for MemoryStore {
    async fn suppress(
        &self,
        key: &str,
        suppression: &Suppression,
        ttl: u64,
    ) -> Result<bool, StoreError> {
        let mut state = self.write();
        let held = state.suppressions.get(key).map(|(held, _)| held);
        if !suppression.outlasts(held) {
            return Ok(false);
        }
        state
            .suppressions
            .insert(key.to_owned(), (*suppression, ttl));
        Ok(true)
    }

    async fn suppression(&self, key: &str) -> Result<Option<Suppression>, StoreError> {
        Ok(self.read().suppressions.get(key).map(|(s, _)| *s))
    }

    async fn lift_suppression(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.write().suppressions.remove(key).is_some())
    }
}
