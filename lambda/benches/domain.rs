//! Micro-benchmarks of the pure steps every request pays for: drawing a code,
//! its keyed hash, checking a submitted code (hashing it under the known keys
//! and comparing in constant time), one try of the proof-of-work puzzle and
//! the check of a solution, and parsing an address. They show
//! that the CPU work of a verification is microseconds, so its latency is the
//! store's round trips. Beside them, the one step of an app's sign-in that
//! is CPU work rather than a round trip: signing its ID token (RS256, 2048
//! bits, on aws-lc-rs).
//!
//! `cargo bench -p otp-lambda --bench domain`; scripts/bench runs it and
//! reads the medians from target/criterion.

use criterion::{Criterion, criterion_group, criterion_main};
use otp::domain::{Code, CodeHasher, Email, FlowId, SignInId};
use otp::oidc::grant;
use otp::oidc::keys::KeySet;
use otp::oidc::subject::SubjectKey;
use otp::oidc::token::IdTokenClaims;
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

/// What `/token` pays for the signature: one RS256 ID token with every
/// claim a sign-in carries, under a 2048-bit key.
fn id_token(c: &mut Criterion) {
    let keys = KeySet::generate();
    let email = Email::parse("ann.lovelace+otp@example.com").expect("an address");
    let subject = SubjectKey::generate().subject(&email);
    let sign_in = SignInId::generate();
    let access_token = grant::new_access_token(&sign_in);
    let at_hash = grant::at_hash(&access_token);
    let now = 1_700_000_000;
    let claims = IdTokenClaims {
        iss: "https://otp.example.com",
        sub: &subject,
        aud: "shop",
        exp: now + 300,
        iat: now,
        auth_time: now - 5,
        nonce: Some("n-0S6_WzA2Mj"),
        amr: vec!["otp"],
        at_hash: &at_hash,
        sid: Some("AbC-_0123456789abcdefgA"),
        email: Some(email.as_str()),
        email_verified: Some(true),
    };
    c.bench_function("id_token_sign", |b| {
        b.iter(|| keys.signing.sign(black_box(&claims)).expect("signs"))
    });
}

criterion_group!(benches, code, pow, email, id_token);
criterion_main!(benches);
