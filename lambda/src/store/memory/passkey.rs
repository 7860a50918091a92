//! Passkeys and their ceremonies under the lock; the rules are the
//! records' ([`crate::store::passkey`]).

use super::MemoryStore;
use crate::domain::CeremonyId;
use crate::store::{
    Added, Ceremony, Passkey, PasskeyList, PasskeyStore, PasskeyUse, Purpose, StoreError, Used,
};
use async_trait::async_trait;

#[async_trait]
impl PasskeyStore for MemoryStore {
    async fn put_ceremony(&self, ceremony: &Ceremony, ttl: u64) -> Result<(), StoreError> {
        let mut state = self.write();
        if state.ceremonies.contains_key(&ceremony.id) {
            return Err(StoreError::new("a ceremony with this id already exists"));
        }
        state
            .ceremonies
            .insert(ceremony.id.clone(), (ceremony.clone(), ttl));
        Ok(())
    }

    async fn get_ceremony(&self, id: &CeremonyId) -> Result<Option<Ceremony>, StoreError> {
        Ok(self.read().ceremonies.get(id).map(|(c, _)| c.clone()))
    }

    async fn passkeys_of(&self, subject: &str) -> Result<PasskeyList, StoreError> {
        Ok(self
            .read()
            .passkey_lists
            .get(subject)
            .cloned()
            .unwrap_or_default())
    }

    async fn get_passkey(&self, id: &str) -> Result<Option<Passkey>, StoreError> {
        Ok(self.read().passkeys.get(id).cloned())
    }

    async fn add_passkey(
        &self,
        ceremony: &CeremonyId,
        passkey: &Passkey,
        now: u64,
    ) -> Result<Added, StoreError> {
        let mut state = self.write();
        let open = state
            .ceremonies
            .get(ceremony)
            .is_some_and(|(c, _)| c.is_open(Purpose::REGISTER, now));
        if !open {
            return Ok(Added::CeremonyOver);
        }
        let list = state.passkey_lists.get(&passkey.subject);
        let same_handle = list
            .and_then(|l| l.user_handle.as_ref())
            .is_none_or(|h| *h == passkey.user_handle);
        if state.passkeys.contains_key(&passkey.id) || !same_handle {
            return Ok(Added::Taken);
        }
        state.ceremonies.remove(ceremony);
        let list = state
            .passkey_lists
            .entry(passkey.subject.clone())
            .or_default();
        list.user_handle = Some(passkey.user_handle.clone());
        list.ids.push(passkey.id.clone());
        state.passkeys.insert(passkey.id.clone(), passkey.clone());
        Ok(Added::Done)
    }

    async fn use_passkey(
        &self,
        ceremony: &CeremonyId,
        use_: &PasskeyUse,
    ) -> Result<Used, StoreError> {
        let mut state = self.write();
        let open = state
            .ceremonies
            .get(ceremony)
            .is_some_and(|(c, _)| c.is_open(Purpose::SIGN_IN, use_.now));
        if !open {
            return Ok(Used::CeremonyOver);
        }
        let Some(passkey) = state.passkeys.get_mut(&use_.id).filter(|p| p.usable(use_)) else {
            return Ok(Used::PasskeyChanged);
        };
        passkey.sign_count = use_.sign_count;
        passkey.credential = use_.credential.clone();
        passkey.last_used_at = Some(use_.now);
        state.ceremonies.remove(ceremony);
        Ok(Used::Done)
    }

    async fn remove_passkey(&self, subject: &str, id: &str) -> Result<bool, StoreError> {
        let mut state = self.write();
        if state.passkeys.get(id).is_none_or(|p| p.subject != subject) {
            return Ok(false);
        }
        state.passkeys.remove(id);
        if let Some(list) = state.passkey_lists.get_mut(subject) {
            list.ids.retain(|listed| listed != id);
        }
        Ok(true)
    }
}
