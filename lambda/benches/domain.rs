//! Micro-benchmarks of the pure steps every request pays for: drawing a code,
//! its keyed hash, checking a submitted code (hashing it under the known keys
//! and comparing in constant time), one try of the proof-of-work puzzle and
//! the check of a solution, and parsing an address. They show
//! that the CPU work of a verification is microseconds, so its latency is the
//! store's round trips.
//!
//! `cargo bench -p otp-lambda --bench domain`; scripts/bench runs it and
//! reads the medians from target/criterion.

use criterion::{Criterion, criterion_group, criterion_main};
use otp::domain::{Code, CodeHasher, Email, FlowId};
use std::hint::black_box;

fn code(c: &mut Criterion) {
    c.bench_function("code_generate", |b| b.iter(Code::generate));

    let hasher = CodeHasher::ephemeral();
    let flow = FlowId::generate();
    let code = Code::parse("042137").expect("six digits");
    c.bench_function("code_hash", |b| {
        b.iter(|| hasher.hash(black_box(&flow), black_box(&code)))
    });

    let (stored, _) = hasher.hash(&flow, &code);
    let wrong = Code::parse("042138").expect("six digits");
    c.bench_function("code_matches", |b| {
        b.iter(|| stored.is_one_of(&hasher.candidates(black_box(&flow), black_box(&wrong))))
    });
}

/// One try of the proof-of-work puzzle (what a solver pays about 2^d times)
/// and the service's check of a solution (what a send with a proof pays).
fn pow(c: &mut Criterion) {
    let hasher = CodeHasher::ephemeral();
    let email = Email::parse("ann@example.com").expect("an address");
    let challenge = otp::domain::pow::issue(&hasher, &email, "send:r1", 8, 1_000);
    let nonce = otp_api::pow::search(&challenge.token, 8, 0, 1 << 20).expect("a solution");
    let proof = otp_api::Proof {
        challenge: challenge.token.clone(),
        nonce,
    };
    c.bench_function("pow_try", |b| {
        b.iter(|| otp_api::pow::satisfies(black_box(&challenge.token), black_box(7), 30))
    });
    c.bench_function("pow_check", |b| {
        b.iter(|| otp::domain::pow::check(&hasher, black_box(&proof), &email, "send:r1", 1_000))
    });
}

fn email(c: &mut Criterion) {
    c.bench_function("email_parse", |b| {
        b.iter(|| Email::parse(black_box("  Ann.Lovelace+otp@Example.COM ")))
    });
}

criterion_group!(benches, code, pow, email);
criterion_main!(benches);
