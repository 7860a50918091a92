//! Proof-of-work challenges: what the service asks of a client before it
//! mails an address whose free daily budget others have spent, instead of
//! refusing the owner along with them.
//!
//! A challenge is a token the service can recognise without storing it:
//! `v1.<difficulty>.<expires_at>.<salt>.<tag>`, where the tag is a keyed
//! HMAC over those fields, the address's budget key and the request it
//! was issued for (`send:<request_id>` or `resend:<flow_id>`). So a solution
//! is worth one message to one address for one request, for a few minutes;
//! the admitting write spends it (the store's proof mark), so it buys
//! exactly one. The puzzle itself is [`otp_api::pow`].
//!
//! Difficulty is `base` bits plus one for every doubling of how far the
//! address is over its free budget (or of its lockouts today), so the owner
//! pays about a second and a sender of many messages pays more with each.

use super::{CodeHasher, Email};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use otp_api::{Challenge, MAX_CHALLENGE_LEN, Proof};
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

const VERSION: &str = "v1";
const LABEL: &str = "pow";
/// How long a challenge can be solved and redeemed.
pub const CHALLENGE_TTL_SECS: u64 = 300;
/// No challenge is harder than `base + MAX_EXTRA_BITS`.
pub const MAX_EXTRA_BITS: u32 = 6;

/// Why a proof was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Not a token this service could have issued.
    #[error("the challenge token is malformed")]
    Malformed,
    /// Issued by this service, but for another address or request, or forged.
    #[error("the challenge was issued for another request")]
    Foreign,
    #[error("the challenge has expired")]
    Expired,
    #[error("the nonce does not solve the challenge")]
    Unsolved,
}

/// A proof that checked out: `mark` names its single use (a digest of the
/// token, so the same token always marks the same use); `difficulty` is
/// what it paid for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solved {
    pub mark: String,
    pub expires_at: u64,
    pub difficulty: u32,
}

/// Difficulty for an address `excess` messages over its free budget (1 for
/// the first over it).
pub fn difficulty(base: u32, excess: u64) -> u32 {
    base + excess.max(1).ilog2().min(MAX_EXTRA_BITS)
}

/// How many messages over the free budget a proof of `difficulty` pays
/// for: the excess [`difficulty`] asks it for, and every smaller one.
pub fn excess_paid(base: u32, difficulty: u32) -> u64 {
    let bits = difficulty.saturating_sub(base).min(MAX_EXTRA_BITS);
    (2u64 << bits) - 1
}

/// A new challenge for `email` and the request `scope`.
pub fn issue(
    hasher: &CodeHasher,
    email: &Email,
    scope: &str,
    difficulty: u32,
    now: u64,
) -> Challenge {
    let mut salt = [0u8; 12];
    OsRng
        .try_fill_bytes(&mut salt)
        .expect("the OS random source is available");
    let salt = URL_SAFE_NO_PAD.encode(salt);
    let expires_at = now + CHALLENGE_TTL_SECS;
    let fields = format!("{VERSION}.{difficulty}.{expires_at}.{salt}");
    let tag = hasher.tag(LABEL, &parts(&fields, email, scope));
    Challenge {
        token: format!("{fields}.{}", URL_SAFE_NO_PAD.encode(tag)),
        difficulty,
    }
}

/// Checks `proof` for `email` and `scope` at `now`: the tag in constant
/// time, then the expiry, then the puzzle.
pub fn check(
    hasher: &CodeHasher,
    proof: &Proof,
    email: &Email,
    scope: &str,
    now: u64,
) -> Result<Solved, ProofError> {
    let token = proof.challenge.as_str();
    if token.len() > MAX_CHALLENGE_LEN {
        return Err(ProofError::Malformed);
    }
    let (fields, tag) = token.rsplit_once('.').ok_or(ProofError::Malformed)?;
    let mut pieces = fields.split('.');
    let (Some(VERSION), Some(difficulty), Some(expires_at), Some(_salt), None) = (
        pieces.next(),
        pieces.next(),
        pieces.next(),
        pieces.next(),
        pieces.next(),
    ) else {
        return Err(ProofError::Malformed);
    };
    let difficulty: u32 = difficulty.parse().map_err(|_| ProofError::Malformed)?;
    let expires_at: u64 = expires_at.parse().map_err(|_| ProofError::Malformed)?;
    let tag: [u8; 16] = URL_SAFE_NO_PAD
        .decode(tag)
        .ok()
        .and_then(|t| t.try_into().ok())
        .ok_or(ProofError::Malformed)?;
    if !hasher.is_tag(&tag, LABEL, &parts(fields, email, scope)) {
        return Err(ProofError::Foreign);
    }
    if expires_at <= now {
        return Err(ProofError::Expired);
    }
    if !otp_api::pow::satisfies(token, proof.nonce, difficulty) {
        return Err(ProofError::Unsolved);
    }
    let digest = Sha256::digest(token.as_bytes());
    Ok(Solved {
        mark: hex::encode(&digest[..16]),
        expires_at,
        difficulty,
    })
}

fn parts<'a>(fields: &'a str, email: &'a Email, scope: &'a str) -> [&'a [u8]; 3] {
    [
        fields.as_bytes(),
        email.budget_key().as_bytes(),
        scope.as_bytes(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann() -> Email {
        Email::parse("ann@example.com").unwrap()
    }

    fn solve(challenge: &Challenge) -> Proof {
        let nonce = otp_api::pow::search(&challenge.token, challenge.difficulty, 0, 1 << 24)
            .expect("a solution for a small difficulty");
        Proof {
            challenge: challenge.token.clone(),
            nonce,
        }
    }

    #[test]
    fn a_solved_challenge_checks_out_once_per_mark() {
        let hasher = CodeHasher::ephemeral();
        let challenge = issue(&hasher, &ann(), "send:r1", 8, 1000);
        let proof = solve(&challenge);
        let solved = check(&hasher, &proof, &ann(), "send:r1", 1000).unwrap();
        assert_eq!(solved.expires_at, 1000 + CHALLENGE_TTL_SECS);
        assert_eq!(solved.mark.len(), 32, "hex of a 128-bit digest");
        // The same token always marks the same key, so the store spends it once.
        assert_eq!(
            check(&hasher, &proof, &ann(), "send:r1", 1001).unwrap(),
            solved
        );
        let other = issue(&hasher, &ann(), "send:r1", 8, 1000);
        assert_ne!(
            check(&hasher, &solve(&other), &ann(), "send:r1", 1000)
                .unwrap()
                .mark,
            solved.mark
        );
    }

    #[test]
    fn a_proof_is_bound_to_its_address_request_key_and_time() {
        let hasher = CodeHasher::ephemeral();
        let challenge = issue(&hasher, &ann(), "send:r1", 8, 1000);
        let proof = solve(&challenge);
        let bob = Email::parse("bob@example.com").unwrap();
        assert_eq!(
            check(&hasher, &proof, &bob, "send:r1", 1000),
            Err(ProofError::Foreign)
        );
        assert_eq!(
            check(&hasher, &proof, &ann(), "send:r2", 1000),
            Err(ProofError::Foreign)
        );
        let stranger = CodeHasher::ephemeral();
        assert_eq!(
            check(&stranger, &proof, &ann(), "send:r1", 1000),
            Err(ProofError::Foreign)
        );
        let late = 1000 + CHALLENGE_TTL_SECS;
        assert_eq!(
            check(&hasher, &proof, &ann(), "send:r1", late),
            Err(ProofError::Expired)
        );
        // Another spelling of the same mailbox is the same address.
        let spelled = Email::parse("Ann+otp@Example.com").unwrap();
        assert!(check(&hasher, &proof, &spelled, "send:r1", 1000).is_ok());
    }

    #[test]
    fn tampering_is_caught() {
        let hasher = CodeHasher::ephemeral();
        let challenge = issue(&hasher, &ann(), "send:r1", 8, 1000);
        let mut proof = solve(&challenge);
        // An easier difficulty written into the token breaks the tag.
        proof.challenge = proof.challenge.replacen("v1.8.", "v1.1.", 1);
        assert_eq!(
            check(&hasher, &proof, &ann(), "send:r1", 1000),
            Err(ProofError::Foreign)
        );
        for bad in [
            "",
            "v1",
            "v1.8.x.salt.tag",
            "v2.8.2000.s.AAAAAAAAAAAAAAAAAAAAAA",
            &"x".repeat(300),
        ] {
            let proof = Proof {
                challenge: bad.to_owned(),
                nonce: 0,
            };
            assert_eq!(
                check(&hasher, &proof, &ann(), "send:r1", 1000),
                Err(ProofError::Malformed),
                "{bad}"
            );
        }
        // A nonce that does not solve it (difficulty 30: one in a billion does).
        let hard = issue(&hasher, &ann(), "send:r1", 30, 1000);
        let unsolved = Proof {
            challenge: hard.token,
            nonce: 7,
        };
        assert_eq!(
            check(&hasher, &unsolved, &ann(), "send:r1", 1000),
            Err(ProofError::Unsolved)
        );
    }

    #[test]
    fn difficulty_grows_by_a_bit_per_doubling_and_is_capped() {
        let bits: Vec<u32> = [0, 1, 2, 3, 4, 7, 8, 1000, u64::MAX]
            .iter()
            .map(|&e| difficulty(18, e))
            .collect();
        assert_eq!(bits, [18, 18, 19, 19, 20, 20, 21, 24, 24]);
    }
}
