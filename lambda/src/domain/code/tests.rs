use super::*;

fn fixture() -> (CodeHasher, FlowId) {
    (CodeHasher::ephemeral(), FlowId::generate())
}

#[test]
fn generated_codes_are_six_digits() {
    for _ in 0..1000 {
        let code = Code::generate();
        assert_eq!(code.expose().len(), 6);
        assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
    }
}

/// Every digit must appear in every position with equal probability.
/// 60 000 codes give 6 000 expected per (position, digit); the chi-square
/// statistic over the 10 digits of one position has 9 degrees of freedom,
/// and 27.88 is its 0.999 quantile (a false alarm once in a thousand runs
/// per position). A generator that drops one digit, favours low values
/// through a modulus, or repeats itself lands far above it.
#[test]
fn codes_are_uniform_per_position() {
    const N: usize = 60_000;
    let mut counts = [[0u32; 10]; CODE_LENGTH];
    for _ in 0..N {
        for (pos, b) in Code::generate().expose().bytes().enumerate() {
            counts[pos][(b - b'0') as usize] += 1;
        }
    }
    let expected = N as f64 / 10.0;
    for (pos, row) in counts.iter().enumerate() {
        assert!(
            row.iter().all(|&c| c > 0),
            "position {pos} misses a digit: {row:?}"
        );
        let chi2: f64 = row
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(
            chi2 < 27.88,
            "position {pos}: chi-square {chi2:.1}, counts {row:?}"
        );
    }
}

/// The test above must be able to fail: a biased generator (n % 1_000_000
/// of a 20-bit draw, which favours 0–48575) is caught by it.
#[test]
fn uniformity_check_catches_modulo_bias() {
    const N: usize = 60_000;
    let mut rng = OsRng.unwrap_err();
    let mut first = [0u32; 10];
    for _ in 0..N {
        let n = rng.random_range(0..(1u32 << 20)) % CODE_SPACE;
        let code = format!("{n:06}");
        first[(code.as_bytes()[0] - b'0') as usize] += 1;
    }
    let expected = N as f64 / 10.0;
    let chi2: f64 = first
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    assert!(
        chi2 > 27.88,
        "biased generator passed: chi-square {chi2:.1}"
    );
}

#[test]
fn a_hash_is_a_candidate_only_for_the_same_code_and_flow() {
    let (hasher, flow) = fixture();
    let code = Code::parse("042137").unwrap();
    let (hash, key_id) = hasher.hash(&flow, &code);
    assert_eq!(key_id, "ephemeral");
    assert!(hash.is_one_of(&hasher.candidates(&flow, &code)));
    let other_code = Code::parse("042138").unwrap();
    assert!(!hash.is_one_of(&hasher.candidates(&flow, &other_code)));
    assert!(!hash.is_one_of(&hasher.candidates(&FlowId::generate(), &code)));
    // Another key (another deployment, or a key retired too early).
    assert!(!hash.is_one_of(&CodeHasher::ephemeral().candidates(&flow, &code)));
    assert!(!hash.is_one_of(&[]));
}

#[test]
fn rotated_keys_still_verify_codes_in_flight() {
    let (old, flow) = fixture();
    let code = Code::generate();
    let (hash, _) = old.hash(&flow, &code);
    let new_key = HmacKey {
        id: "k2".into(),
        secret: SecretSlice::from(vec![7u8; 32]),
    };
    let rotated = CodeHasher::new(
        new_key,
        vec![old.current.clone()],
        PseudonymKey::ephemeral(),
    );
    let candidates = rotated.candidates(&flow, &code);
    assert_eq!(candidates.len(), 2);
    assert!(hash.is_one_of(&candidates));
    let (new_hash, key_id) = rotated.hash(&flow, &code);
    assert_eq!(key_id, "k2");
    assert_eq!(candidates[0], new_hash, "the current key comes first");
}

#[test]
fn debug_output_hides_secrets() {
    let code = Code::parse("123456").unwrap();
    assert!(!format!("{code:?}").contains("123456"));
    let hasher = CodeHasher::ephemeral();
    assert!(format!("{hasher:?}").contains("redacted"));
}

/// The first key of a spec hashes new codes; a code hashed under a
/// later one (before a rotation) still checks out.
#[test]
fn a_spec_names_the_current_key_first_and_keeps_the_others() {
    let key = |byte: u8| STANDARD.encode([byte; MIN_KEY_BYTES]);
    let pseudonyms = PseudonymKey::ephemeral;
    let old = CodeHasher::from_spec(&format!("k1:{}", key(1)), pseudonyms()).unwrap();
    let rotated =
        CodeHasher::from_spec(&format!("k2:{}, k1:{}", key(2), key(1)), pseudonyms()).unwrap();
    assert_eq!(rotated.current_key_id(), "k2");
    let (flow, code) = (FlowId::generate(), Code::generate());
    let (before, id) = old.hash(&flow, &code);
    assert_eq!(id, "k1");
    assert!(before.is_one_of(&rotated.candidates(&flow, &code)));
    for bad in [
        String::new(),
        format!("k1:{},k1:{}", key(1), key(2)),
        format!("k 1:{}", key(1)),
        format!("k1:{}", STANDARD.encode([1; MIN_KEY_BYTES - 1])),
    ] {
        assert!(CodeHasher::from_spec(&bad, pseudonyms()).is_err(), "{bad}");
    }
}

/// A rotation of the HMAC keys leaves every budget subject as it was:
/// subjects are named under the pseudonym key, derived from the subject
/// key. The names from before that are still made under each known HMAC
/// key, exactly as then: HMAC(key, `subject\0` scope `\0` value), 128 bits.
#[test]
fn budget_subjects_outlive_a_rotation_of_the_hmac_keys() {
    let key = |byte: u8| STANDARD.encode([byte; MIN_KEY_BYTES]);
    let subject_key = [9u8; 32];
    let old = CodeHasher::from_spec(
        &format!("k1:{}", key(1)),
        PseudonymKey::derive(&subject_key),
    )
    .unwrap();
    let rotated = CodeHasher::from_spec(
        &format!("k2:{}, k1:{}", key(2), key(1)),
        PseudonymKey::derive(&subject_key),
    )
    .unwrap();
    let other =
        CodeHasher::from_spec(&format!("k1:{}", key(1)), PseudonymKey::derive(&[8u8; 32])).unwrap();
    let name = |h: &CodeHasher| h.subject("send-email", "ann@example.com");
    assert_eq!(name(&old), name(&rotated));
    assert_ne!(name(&old), name(&other), "another subject key");
    assert_eq!(name(&old).len(), 32);

    let mut m = Hmac::<Sha256>::new_from_slice(&[1; MIN_KEY_BYTES]).unwrap();
    m.update(b"subject\0suppress\0ann@example.com");
    let then = hex::encode(&m.finalize().into_bytes()[..16]);
    let before = old.subjects_before_pseudonyms("suppress", "ann@example.com");
    let after = rotated.subjects_before_pseudonyms("suppress", "ann@example.com");
    assert_eq!(before.len(), 1);
    assert_eq!(before[0], then);
    assert_eq!(after.len(), 2);
    assert_eq!(after[1], then, "the old key still finds what it named");
    assert!(!after.contains(&rotated.subject("suppress", "ann@example.com")));
}
