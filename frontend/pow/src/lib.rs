//! The proof-of-work solver the page runs in Web Workers.
//!
//! A bare WebAssembly module (no wasm-bindgen, no JavaScript glue), fetched
//! only when the service answers `proof_of_work_required`, so the page's
//! first load carries no hasher. The worker (`frontend/pow-worker.js`) copies
//! the challenge's token into [`token`]'s buffer once, then calls [`solve`]
//! batch after batch, reporting progress between batches.
//!
//! The search finds exactly what `otp_api::pow::search` finds (the tests
//! hold it to that), faster: the blocks of the token that come before the
//! nonce are hashed once per batch, and each nonce costs only the SHA-256
//! compression of the last block (two when the padding does not fit),
//! without the general hasher's buffering and output encoding.

use otp_api::MAX_CHALLENGE_LEN;
use otp_api::pow::MAX_NONCE;
use sha2::compress256;
use sha2::digest::generic_array::GenericArray;

/// The challenge token, written by the worker. Each worker has its own
/// instance and a single thread, so nothing else touches it.
static mut TOKEN: [u8; MAX_CHALLENGE_LEN] = [0; MAX_CHALLENGE_LEN];

/// Where the worker writes the token: `MAX_CHALLENGE_LEN` bytes.
#[unsafe(no_mangle)]
pub extern "C" fn token() -> *mut u8 {
    (&raw mut TOKEN).cast()
}

/// Tries `count` nonces from `start` against the first `len` bytes of the
/// token buffer. Returns the first solution, or -1 when there is none in the
/// batch (or the token is not valid). Nonces travel as JavaScript numbers,
/// which carry every nonce up to `otp_api::pow::MAX_NONCE` exactly.
#[unsafe(no_mangle)]
pub extern "C" fn solve(len: usize, difficulty: u32, start: f64, count: u32) -> f64 {
    if len > MAX_CHALLENGE_LEN {
        return -1.0;
    }
    // SAFETY: `len` is within the buffer; one thread per instance, and the
    // worker writes the buffer only between calls.
    let token = unsafe { std::slice::from_raw_parts((&raw const TOKEN).cast::<u8>(), len) };
    solve_token(token, difficulty, start, count)
}

fn solve_token(token: &[u8], difficulty: u32, start: f64, count: u32) -> f64 {
    if std::str::from_utf8(token).is_err() {
        return -1.0;
    }
    // `as` saturates: a negative or NaN start searches from 0.
    search(token, difficulty, start as u64, count.into()).map_or(-1.0, |nonce| nonce as f64)
}

/// SHA-256's initial state.
const H0: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

type Block = GenericArray<u8, sha2::digest::consts::U64>;

/// The first solution among `count` nonces from `start`, as
/// `otp_api::pow::search` would find it.
fn search(token: &[u8], difficulty: u32, start: u64, count: u64) -> Option<u64> {
    // Every whole block before the nonce, hashed once.
    let whole = token.len() / 64 * 64;
    let mut midstate = H0;
    for block in token[..whole].chunks_exact(64) {
        compress256(&mut midstate, &[*Block::from_slice(block)]);
    }
    // The rest: token tail, nonce, 0x80, zeros, length in bits (big-endian).
    let at = token.len() - whole;
    let blocks = if at + 8 + 1 + 8 <= 64 { 1 } else { 2 };
    let mut tail = [Block::default(), Block::default()];
    let bytes = tail.as_flattened_mut_bytes();
    bytes[..at].copy_from_slice(&token[whole..]);
    bytes[at + 8] = 0x80;
    let bits = (token.len() as u64 + 8) * 8;
    bytes[blocks * 64 - 8..blocks * 64].copy_from_slice(&bits.to_be_bytes());

    let end = start.saturating_add(count).min(MAX_NONCE + 1);
    (start..end).find(|&nonce| {
        tail.as_flattened_mut_bytes()[at..at + 8].copy_from_slice(&nonce.to_le_bytes());
        let mut state = midstate;
        compress256(&mut state, &tail[..blocks]);
        leading_zero_bits(&state) >= difficulty
    })
}

/// Zero bits at the start of a digest held as big-endian words.
fn leading_zero_bits(state: &[u32; 8]) -> u32 {
    let mut bits = 0;
    for &word in state {
        if word != 0 {
            return bits + word.leading_zeros();
        }
        bits += 32;
    }
    bits
}

/// Both tail blocks as one run of 128 bytes.
trait Flattened {
    fn as_flattened_mut_bytes(&mut self) -> &mut [u8];
}

impl Flattened for [Block; 2] {
    fn as_flattened_mut_bytes(&mut self) -> &mut [u8] {
        // SAFETY: `GenericArray<u8, U64>` is `[u8; 64]` in memory
        // (`repr(transparent)`), so two of them are 128 bytes in a row.
        unsafe { std::slice::from_raw_parts_mut(self.as_mut_ptr().cast::<u8>(), 128) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otp_api::pow::satisfies;

    /// Writes `text` where the worker would, as the worker does.
    fn write_token(text: &str) -> usize {
        let bytes = text.as_bytes();
        assert!(bytes.len() <= MAX_CHALLENGE_LEN);
        // SAFETY: the buffer holds MAX_CHALLENGE_LEN bytes; the tests that
        // write it run one at a time through `serial`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), token(), bytes.len()) };
        bytes.len()
    }

    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn a_found_nonce_satisfies_the_check_the_service_makes() {
        let _serial = SERIAL.lock().unwrap();
        let token = "v1.AAECAwQFBgcICQoLDA0ODw.solver-test";
        let len = write_token(token);
        let mut start = 0.0;
        let nonce = loop {
            let found = solve(len, 16, start, 1 << 12);
            if found >= 0.0 {
                break found;
            }
            start += f64::from(1u32 << 12);
            assert!(
                start < f64::from(1u32 << 24),
                "no 16-bit solution in 2^24 tries"
            );
        };
        assert_eq!(nonce.fract(), 0.0);
        assert!(satisfies(token, nonce as u64, 16));
        // Batches find the same first solution as one long search.
        assert_eq!(solve(len, 16, 0.0, 1 << 24), nonce);
    }

    #[test]
    fn batches_cover_their_range_only() {
        let _serial = SERIAL.lock().unwrap();
        let len = write_token("t");
        let first = solve(len, 8, 0.0, 1 << 16);
        assert!(first >= 0.0);
        assert_eq!(solve(len, 8, 0.0, first as u32), -1.0);
        assert_eq!(solve(len, 8, first, 1), first);
    }

    #[test]
    fn finds_what_the_shared_search_finds_for_every_tail_length() {
        // Token lengths 0..=200 cover every position of the nonce in the
        // last block, one and two final blocks, and nonces across a block edge.
        for len in 0..=200 {
            let token: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            for (difficulty, start) in [(6, 0), (8, 1 << 40), (0, 7)] {
                assert_eq!(
                    search(token.as_bytes(), difficulty, start, 1 << 12),
                    otp_api::pow::search(&token, difficulty, start, 1 << 12),
                    "token length {len}, difficulty {difficulty}, from {start}"
                );
            }
        }
    }

    #[test]
    fn a_token_that_is_not_text_or_too_long_finds_nothing() {
        assert_eq!(solve_token(&[0xff, 0xfe], 0, 0.0, 10), -1.0);
        assert_eq!(solve(MAX_CHALLENGE_LEN + 1, 0, 0.0, 10), -1.0);
        assert_eq!(solve_token(b"t", 0, -5.0, 10), 0.0);
    }
}
