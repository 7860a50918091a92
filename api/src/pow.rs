//! The proof-of-work puzzle: find a `nonce` such that
//! `SHA-256(token ‖ nonce as 8 bytes little-endian)` starts with
//! `difficulty` zero bits. Checking a solution costs one hash; finding one
//! costs about `2^difficulty` hashes, which is what makes mail to an address
//! whose free budget is spent expensive at scale and cheap once.
//!
//! The server checks with [`satisfies`]; the page's solver runs [`search`]
//! in batches so it can report progress between them.

use sha2::{Digest, Sha256};

/// The largest nonce a solution may use: JavaScript numbers carry every
/// integer up to 2^53 exactly.
pub const MAX_NONCE: u64 = crate::MAX_SAFE_INTEGER;

/// Zero bits at the start of `digest`, most significant bit first.
pub fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut bits = 0;
    for &byte in digest {
        if byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

/// Whether `nonce` solves the puzzle `token` at `difficulty`.
pub fn satisfies(token: &str, nonce: u64, difficulty: u32) -> bool {
    nonce <= MAX_NONCE && leading_zero_bits(&digest(token, nonce)) >= difficulty
}

/// The first solution among `count` nonces from `start`, if any.
pub fn search(token: &str, difficulty: u32, start: u64, count: u64) -> Option<u64> {
    let prefix = Sha256::new_with_prefix(token.as_bytes());
    let end = start.saturating_add(count).min(MAX_NONCE + 1);
    (start..end).find(|&nonce| {
        let hash = prefix.clone().chain_update(nonce.to_le_bytes()).finalize();
        leading_zero_bits(&hash) >= difficulty
    })
}

fn digest(token: &str, nonce: u64) -> [u8; 32] {
    Sha256::new()
        .chain_update(token.as_bytes())
        .chain_update(nonce.to_le_bytes())
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_leading_zero_bits() {
        assert_eq!(leading_zero_bits(&[0xff, 0]), 0);
        assert_eq!(leading_zero_bits(&[0x01, 0]), 7);
        assert_eq!(leading_zero_bits(&[0, 0x10]), 11);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }

    #[test]
    fn a_found_nonce_satisfies_and_a_neighbour_usually_does_not() {
        let token = "v1.example-token";
        let nonce = search(token, 12, 0, 1 << 20).expect("a 12-bit solution within 2^20 tries");
        assert!(satisfies(token, nonce, 12));
        // The first solution: none before it.
        assert_eq!(search(token, 12, 0, nonce), None);
        assert!(!satisfies("v1.another-token", nonce, 30));
        assert!(!satisfies(token, MAX_NONCE + 1, 0));
    }

    #[test]
    fn search_stops_at_the_largest_nonce() {
        assert_eq!(search("t", 0, MAX_NONCE, 10), Some(MAX_NONCE));
        assert_eq!(search("t", 0, MAX_NONCE + 1, 10), None);
    }
}
