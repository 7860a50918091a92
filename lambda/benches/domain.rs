//! Micro-benchmarks of the pure steps every request pays for: drawing a code,
//! its keyed hash, checking a submitted code (hashing it under the known keys
//! and comparing in constant time, as the in-memory store does), and parsing
//! an address. They show
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

fn email(c: &mut Criterion) {
    c.bench_function("email_parse", |b| {
        b.iter(|| Email::parse(black_box("  Ann.Lovelace+otp@Example.COM ")))
    });
}

criterion_group!(benches, code, email);
criterion_main!(benches);
