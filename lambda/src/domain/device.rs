//! The device cookie (OWASP's "device cookie"): which identities this
//! browser proved with a code in the last [`MARK_LIFETIME_SECS`], signed by
//! the service so nobody can write one. A send from a browser with a mark
//! for the address's identity is counted against this device's own budget
//! instead of the address's budgets that anyone can spend, so strangers
//! spending those never keep the owner from a code.
//!
//! The value is base64url of a version byte, a random device id (16 bytes),
//! up to [`MAX_MARKS`] marks (a 16-byte keyed tag of an identity key and the
//! time it was proven, 8 bytes big-endian), then a 16-byte tag over all of
//! it under the service's HMAC keys. The identity tags are keyed hashes, so
//! the cookie names no address. A mark names an identity, never a budget
//! key: it is a claim about one mailbox, and merging two here would let the
//! reader of one spend as the owner of the other.

use super::{CodeHasher, Email};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;

/// How long a mark counts after its code, and the cookie's `Max-Age`.
pub const MARK_LIFETIME_SECS: u64 = 30 * 24 * 3600;
/// Identities one device keeps marks for (a shared computer); beyond it the
/// oldest mark goes.
pub const MAX_MARKS: usize = 5;

const VERSION: u8 = 1;
const ID_BYTES: usize = 16;
const MARK_BYTES: usize = 16 + 8;
const TAG_BYTES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Mark {
    identity: [u8; 16],
    verified_at: u64,
}

/// A device's marks, read from a cookie whose tag checked out, or new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceMarks {
    device: [u8; ID_BYTES],
    marks: Vec<Mark>,
}

impl Default for DeviceMarks {
    fn default() -> Self {
        DeviceMarks::new()
    }
}

impl DeviceMarks {
    /// A device seen for the first time: a new id, no marks.
    pub fn new() -> DeviceMarks {
        let mut device = [0u8; ID_BYTES];
        OsRng
            .try_fill_bytes(&mut device)
            .expect("the OS random source is available");
        DeviceMarks {
            device,
            marks: Vec::new(),
        }
    }

    /// The marks of a cookie `value`, if the service wrote it (its tag is
    /// right under a known key) and it is well formed.
    pub fn read(value: &str, hasher: &CodeHasher) -> Option<DeviceMarks> {
        let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
        let (payload, tag) = bytes.split_at_checked(bytes.len().checked_sub(TAG_BYTES)?)?;
        let tag: [u8; TAG_BYTES] = tag.try_into().ok()?;
        if !hasher.is_tag(&tag, "device", &[payload]) {
            return None;
        }
        let (&version, rest) = payload.split_first()?;
        let (device, marks) = rest.split_at_checked(ID_BYTES)?;
        if version != VERSION
            || marks.len() % MARK_BYTES != 0
            || marks.len() / MARK_BYTES > MAX_MARKS
        {
            return None;
        }
        let marks = marks
            .chunks_exact(MARK_BYTES)
            .map(|m| {
                let (identity, at) = m.split_at(16);
                Mark {
                    identity: identity.try_into().expect("16 bytes"),
                    verified_at: u64::from_be_bytes(at.try_into().expect("8 bytes")),
                }
            })
            .collect();
        Some(DeviceMarks {
            device: device.try_into().ok()?,
            marks,
        })
    }

    /// The cookie's value, tagged under the current key.
    pub fn write(&self, hasher: &CodeHasher) -> String {
        let mut payload = Vec::with_capacity(1 + ID_BYTES + self.marks.len() * MARK_BYTES);
        payload.push(VERSION);
        payload.extend_from_slice(&self.device);
        for mark in &self.marks {
            payload.extend_from_slice(&mark.identity);
            payload.extend_from_slice(&mark.verified_at.to_be_bytes());
        }
        let tag = hasher.tag("device", &[&payload]);
        payload.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(payload)
    }

    /// Records that `email`'s identity was proven here at `now`: its mark
    /// is renewed, marks past their lifetime go, and beyond [`MAX_MARKS`]
    /// the oldest.
    pub fn mark(&mut self, hasher: &CodeHasher, email: &Email, now: u64) {
        self.marks
            .retain(|m| !is_identity(hasher, m, email) && live(m, now));
        self.marks.push(Mark {
            identity: hasher.tag("device-identity", &[email.as_str().as_bytes()]),
            verified_at: now,
        });
        self.marks.sort_by_key(|m| std::cmp::Reverse(m.verified_at));
        self.marks.truncate(MAX_MARKS);
    }

    /// The budget subject of this device for `email`'s identity, if the
    /// device proved it within [`MARK_LIFETIME_SECS`] before `now`.
    pub fn owner(&self, hasher: &CodeHasher, email: &Email, now: u64) -> Option<String> {
        self.marks
            .iter()
            .find(|m| live(m, now) && is_identity(hasher, m, email))
            .map(|m| format!("{}:{}", hex::encode(self.device), hex::encode(m.identity)))
    }
}

fn live(mark: &Mark, now: u64) -> bool {
    mark.verified_at + MARK_LIFETIME_SECS > now
}

fn is_identity(hasher: &CodeHasher, mark: &Mark, email: &Email) -> bool {
    hasher.is_tag(
        &mark.identity,
        "device-identity",
        &[email.as_str().as_bytes()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{HmacKey, PseudonymKey};

    const NOW: u64 = 1_800_000_000;

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    #[test]
    fn a_mark_counts_for_its_identity_for_thirty_days() {
        let hasher = CodeHasher::ephemeral();
        let mut marks = DeviceMarks::new();
        let ann = email("ann@example.com");
        assert_eq!(marks.owner(&hasher, &ann, NOW), None);
        marks.mark(&hasher, &ann, NOW);
        let read = DeviceMarks::read(&marks.write(&hasher), &hasher).unwrap();
        assert_eq!(read, marks);
        let owner = read.owner(&hasher, &ann, NOW).unwrap();
        // Another spelling of the same mailbox is the same identity …
        assert_eq!(
            read.owner(&hasher, &email("ANN@example.com"), NOW),
            Some(owner.clone())
        );
        // … a tag is another identity, and so is another address.
        assert_eq!(read.owner(&hasher, &email("ann+x@example.com"), NOW), None);
        assert_eq!(read.owner(&hasher, &email("bob@example.com"), NOW), None);
        let last = NOW + MARK_LIFETIME_SECS - 1;
        assert_eq!(read.owner(&hasher, &ann, last), Some(owner));
        assert_eq!(read.owner(&hasher, &ann, last + 1), None);
        // Another device has another budget subject.
        let mut other = DeviceMarks::new();
        other.mark(&hasher, &ann, NOW);
        assert_ne!(
            other.owner(&hasher, &ann, NOW),
            read.owner(&hasher, &ann, NOW)
        );
    }

    #[test]
    fn marks_are_renewed_and_the_oldest_goes() {
        let hasher = CodeHasher::ephemeral();
        let mut marks = DeviceMarks::new();
        for n in 0..=MAX_MARKS as u64 {
            marks.mark(&hasher, &email(&format!("p{n}@example.com")), NOW + n);
        }
        assert_eq!(marks.marks.len(), MAX_MARKS);
        assert_eq!(
            marks.owner(&hasher, &email("p0@example.com"), NOW + 9),
            None
        );
        assert!(
            marks
                .owner(&hasher, &email("p1@example.com"), NOW + 9)
                .is_some()
        );
        marks.mark(&hasher, &email("p1@example.com"), NOW + 100);
        assert_eq!(marks.marks.len(), MAX_MARKS);
        assert_eq!(marks.marks[0].verified_at, NOW + 100);
        // A mark past its lifetime goes at the next code.
        let later = NOW + MARK_LIFETIME_SECS + 50;
        marks.mark(&hasher, &email("p9@example.com"), later);
        assert_eq!(marks.marks.len(), 2);
    }

    #[test]
    fn only_the_service_writes_a_cookie_it_reads() {
        let hasher = CodeHasher::ephemeral();
        let mut marks = DeviceMarks::new();
        marks.mark(&hasher, &email("ann@example.com"), NOW);
        let value = marks.write(&hasher);
        let mut bytes = URL_SAFE_NO_PAD.decode(&value).unwrap();
        // A changed time, a changed tag, a cut value, another key.
        bytes[1 + ID_BYTES + 16 + 7] ^= 1;
        assert_eq!(
            DeviceMarks::read(&URL_SAFE_NO_PAD.encode(&bytes), &hasher),
            None
        );
        let mut tag = URL_SAFE_NO_PAD.decode(&value).unwrap();
        let last = tag.len() - 1;
        tag[last] ^= 1;
        assert_eq!(
            DeviceMarks::read(&URL_SAFE_NO_PAD.encode(&tag), &hasher),
            None
        );
        assert_eq!(DeviceMarks::read(&value[..value.len() - 4], &hasher), None);
        assert_eq!(DeviceMarks::read("", &hasher), None);
        assert_eq!(DeviceMarks::read("!!", &hasher), None);
        assert_eq!(DeviceMarks::read(&value, &CodeHasher::ephemeral()), None);
        // A key rotated out of first place still reads the cookie.
        let key = |id: &str, byte: u8| HmacKey {
            id: id.to_owned(),
            secret: secrecy::SecretSlice::from(vec![byte; 32]),
        };
        let pseudonyms = || PseudonymKey::derive(&[7; 32]);
        let before = CodeHasher::new(key("a", 1), vec![], pseudonyms());
        let after = CodeHasher::new(key("b", 2), vec![key("a", 1)], pseudonyms());
        let mut marks = DeviceMarks::new();
        marks.mark(&before, &email("ann@example.com"), NOW);
        let read = DeviceMarks::read(&marks.write(&before), &after).unwrap();
        assert!(read.owner(&after, &email("ann@example.com"), NOW).is_some());
    }
}
