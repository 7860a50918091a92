//! The proof-of-work solver the page runs in Web Workers.
//!
//! A bare WebAssembly module (no wasm-bindgen, no JavaScript glue), fetched
//! only when the service answers `proof_of_work_required`, so the page's
//! first load carries no hasher. The worker (`frontend/pow-worker.js`) copies
//! the challenge's token into [`token`]'s buffer once, then calls [`solve`]
//! batch after batch, reporting progress between batches. The search itself
//! is `otp_api::pow::search`, the very code the service checks against.

use otp_api::MAX_CHALLENGE_LEN;
use otp_api::pow::search;

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
    let Ok(token) = std::str::from_utf8(token) else {
        return -1.0;
    };
    // `as` saturates: a negative or NaN start searches from 0.
    search(token, difficulty, start as u64, count.into()).map_or(-1.0, |nonce| nonce as f64)
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
    fn a_token_that_is_not_text_or_too_long_finds_nothing() {
        assert_eq!(solve_token(&[0xff, 0xfe], 0, 0.0, 10), -1.0);
        assert_eq!(solve(MAX_CHALLENGE_LEN + 1, 0, 0.0, 10), -1.0);
        assert_eq!(solve_token(b"t", 0, -5.0, 10), 0.0);
    }
}
