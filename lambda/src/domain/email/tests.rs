use super::*;
use icu_normalizer::DecomposingNormalizerBorrowed;
use proptest::prelude::*;

/// The identity key, the budget key and the delivery spelling.
fn forms(input: &str) -> (String, String, String) {
    let e = Email::parse(input).unwrap_or_else(|err| panic!("{input:?}: {err}"));
    (
        e.as_str().into(),
        e.budget_key().into(),
        e.delivery().into(),
    )
}

#[test]
fn normalizes_case_and_surrounding_space() {
    let email = Email::parse("  Ann.Lee+otp@Example.COM \n").unwrap();
    assert_eq!(email.as_str(), "ann.lee+otp@example.com");
    assert_eq!(email.suppression_key(), "ann.lee+otp@example.com");
    assert_eq!(email.budget_key(), "ann.lee@example.com");
    assert_eq!(email.delivery(), "Ann.Lee+otp@example.com");
    assert_eq!(email.domain(), "example.com");
}

/// One Gmail inbox, one identity and one budget: Google documents the dots,
/// the tags and the domain alias.
#[test]
fn one_gmail_inbox_has_one_key() {
    for input in [
        "victim@gmail.com",
        "victim+1@gmail.com",
        "v.ictim@gmail.com",
        "victim@googlemail.com",
        "\"victim\"@gmail.com",
        " V.I.C.T.I.M+Shop@GoogleMail.COM",
    ] {
        let (identity, budget, _) = forms(input);
        assert_eq!(identity, "victim@gmail.com", "{input}");
        assert_eq!(budget, "victim@gmail.com", "{input}");
    }
    let quoted = Email::parse("\"victim\"@gmail.com").unwrap();
    assert_eq!(quoted.as_str(), "victim@gmail.com");
    assert_eq!(quoted.delivery(), "victim@gmail.com");
}

#[test]
fn one_idn_domain_has_one_form() {
    for input in [
        "ann@bücher.de",
        "ann@bu\u{0308}cher.de",
        "ann@xn--bcher-kva.de",
        "ann@XN--BCHER-KVA.DE",
        "ann@BÜCHER.DE",
    ] {
        let (identity, budget, delivery) = forms(input);
        assert_eq!(identity, "ann@xn--bcher-kva.de", "{input}");
        assert_eq!(budget, "ann@xn--bcher-kva.de", "{input}");
        assert_eq!(delivery, "ann@xn--bcher-kva.de", "{input}");
    }
    assert_eq!(forms("ann@例子.广告").0, "ann@xn--fsqu00a.xn--4rr70v");
}

#[test]
fn unnecessary_quotes_and_quoted_pairs_are_dropped() {
    assert_eq!(forms("\"Ann.Lee\"@example.com").2, "Ann.Lee@example.com");
    assert_eq!(forms("\"\\a\\nn\"@example.com").2, "ann@example.com");
    // NFC maps the Kelvin sign to a plain `K` before anything else looks.
    assert_eq!(forms("\u{212A}im@example.com").2, "Kim@example.com");
}

#[test]
fn refuses_local_parts_the_mail_path_cannot_deliver() {
    for input in [
        "\"quoted local\"@example.com",
        "\"ann@lee\"@example.com",
        "\"\"@example.com",
        "\"a\\\"b\"@example.com",
        "\"ann\".\"lee\"@example.com",
        "\"ann\"lee@example.com",
        "ännchen@example.com",
        "用户@例子.广告",
    ] {
        assert_eq!(
            Email::parse(input),
            Err(EmailError::UndeliverableLocalPart),
            "{input}"
        );
    }
}

#[test]
fn rejects_what_is_not_an_address() {
    for bad in [
        "",
        "   ",
        "ann",
        "ann@",
        "@example.com",
        "ann@localhost",
        "ann@@example.com",
        "ann@b@example.com",
        "Ann <ann@example.com>",
        "ann@[127.0.0.1]",
        "ann@127.0.0.1",
        "ann @example.com",
        "ann@exa mple.com",
        "ann@exa_mple.com",
        "ann@-example.com",
        "ann@example-.com",
        "ann@example.com.",
        "ann@example..com",
        "ann@.example.com",
        ".ann@example.com",
        "ann.@example.com",
        "a..nn@example.com",
        "ann(comment)@example.com",
        "\"unterminated@example.com",
        "ann@xn--zz.com",
    ] {
        assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
    }
}

#[test]
fn rejects_header_injection() {
    assert_eq!(
        Email::parse("ann@example.com\r\nBcc: all@example.com"),
        Err(EmailError::ControlCharacter)
    );
    assert_eq!(
        Email::parse("ann\0@example.com"),
        Err(EmailError::ControlCharacter)
    );
    for invisible in ["ann\u{200B}@example.com", "ann@exa\u{202E}moc.elpmaxe"] {
        assert_eq!(Email::parse(invisible), Err(EmailError::ControlCharacter));
    }
}

#[test]
fn rejects_overlong_addresses() {
    let long = format!("{}@example.com", "a".repeat(250));
    assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    let huge = "a".repeat(10_000);
    assert_eq!(Email::parse(&huge), Err(EmailError::TooLong));
    let long_local = format!("{}@example.com", "a".repeat(65));
    assert_eq!(Email::parse(&long_local), Err(EmailError::TooLong));
    // A 251-character domain is a valid DNS name, but not with `ann@`.
    let label = "a".repeat(61);
    let long_domain = format!("ann@{label}.{label}.{label}.{label}.com");
    assert_eq!(Email::parse(&long_domain), Err(EmailError::TooLong));
    // The limit applies to the normalized form: an A-label is longer than
    // the U-label typed.
    let unicode = format!("{}@{}.de", "a".repeat(60), "ü".repeat(60));
    assert!(Email::parse(&unicode).is_err());
}

#[test]
fn debug_and_masked_hide_the_local_part() {
    let email = Email::parse("SecretName+tag@example.com").unwrap();
    assert_eq!(email.masked(), "s***@example.com");
    let debug = format!("{email:?}");
    assert!(!debug.to_lowercase().contains("secretname"), "{debug}");
}

#[test]
fn equality_is_the_identity_key() {
    let upper = Email::parse("ANN@example.com").unwrap();
    let lower = Email::parse("ann@example.com").unwrap();
    assert_eq!(upper, lower);
    assert_ne!(upper.delivery(), lower.delivery());
    let tagged = Email::parse("ann+x@example.com").unwrap();
    assert_ne!(lower, tagged);
    assert_eq!(lower.budget_key(), tagged.budget_key());
    assert_eq!(
        Email::parse("A.nn+x@GoogleMail.com").unwrap(),
        Email::parse("ann@gmail.com").unwrap()
    );
}

/// Addresses as people (and attackers) type them: quoted local parts with
/// and without a reason, atext specials, non-ASCII, Unicode and A-label
/// domains, surrounding whitespace. Shared with the mailer's tests.
pub(crate) fn plausible_address() -> impl Strategy<Value = String> {
    let local = prop_oneof![
        "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,12}(\\.[a-zA-Z0-9+_-]{1,8}){0,2}",
        "\"[ a-zA-Z0-9.@,()<>\\\\\"]{0,12}\"",
        "\"[a-zA-Z0-9]{1,8}(\\.[a-zA-Z0-9+]{1,5}){0,2}\"",
        "[a-zA-Zäöüß用户\u{212A}\u{0308}]{1,8}",
    ];
    let domain = prop_oneof![
        "[a-zA-Z0-9-]{1,12}(\\.[a-zA-Z0-9-]{1,12}){1,2}",
        "(gmail|googlemail|GMail)\\.com",
        "(bücher|BÜCHER|bu\u{0308}cher|xn--bcher-kva|例子|ελλάδα|straße|[a-z]{1,5})\\.(de|com|广告|xn--4rr70v|[0-9]{1,3}|)",
    ];
    ("[ \t\n]{0,2}", local, "@{1,2}", domain, "[ \t]{0,2}")
        .prop_map(|(pre, local, at, domain, post)| format!("{pre}{local}{at}{domain}{post}"))
}

/// Either an arbitrary string or, more often (arbitrary strings are rarely
/// addresses), a plausible address.
pub(crate) fn any_input() -> impl Strategy<Value = String> {
    prop_oneof![1 => "\\PC{0,80}", 3 => plausible_address()]
}

/// Swaps the case of the characters whose case round-trips (not `ß`, not `ς`).
fn recase(s: &str, flips: &[bool]) -> String {
    s.chars()
        .zip(flips.iter().cycle())
        .map(|(c, &flip)| {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(u), None) if flip && u.to_lowercase().eq([c]) => u,
                _ => c,
            }
        })
        .collect()
}

/// Dots between the characters of a dot-free local part, at the positions
/// `cuts` chooses (never leading, trailing or doubled).
fn dotted(local: &str, cuts: &[bool]) -> String {
    let mut out = String::new();
    for (i, (c, &cut)) in local.chars().zip(cuts.iter().cycle()).enumerate() {
        if cut && i > 0 {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Clone)]
struct Spelling {
    flips: Vec<bool>,
    tag: Option<String>,
    dots: Vec<bool>,
    quoted: bool,
    nfd: bool,
    a_label: bool,
    googlemail: bool,
    pre: String,
    post: String,
}

fn spelling() -> impl Strategy<Value = Spelling> {
    (
        prop::collection::vec(any::<bool>(), 1..8),
        prop::option::of("[a-zA-Z0-9.+_-]{0,6}"),
        prop::collection::vec(any::<bool>(), 1..5),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        "[ \t\r\n]{0,2}",
        "[ \t\r\n]{0,2}",
    )
        .prop_map(
            |(flips, tag, dots, quoted, nfd, a_label, googlemail, pre, post)| Spelling {
                flips,
                tag: tag.filter(|t| !t.starts_with('.') && !t.ends_with('.') && !t.contains("..")),
                dots,
                quoted,
                nfd,
                a_label,
                googlemail,
                pre,
                post,
            },
        )
}

/// One spelling of the mailbox `local@domain` (`local` lower-case, no `+`).
fn spell(local: &str, domain: &str, s: &Spelling) -> String {
    let gmail = domain == "gmail.com";
    let mut local = if gmail {
        dotted(&local.replace('.', ""), &s.dots)
    } else {
        local.to_owned()
    };
    if let Some(tag) = &s.tag {
        local = format!("{local}+{tag}");
    }
    local = recase(&local, &s.flips);
    if s.quoted {
        local = format!("\"{local}\"");
    }
    let mut domain = match (gmail, s.googlemail) {
        (true, true) => "googlemail.com".to_owned(),
        _ => domain.to_owned(),
    };
    if s.a_label {
        domain = idna::domain_to_ascii(&domain).unwrap();
    }
    domain = recase(&domain, &s.flips);
    if s.nfd {
        domain = DecomposingNormalizerBorrowed::new_nfd()
            .normalize(&domain)
            .into_owned();
    }
    format!("{}{local}@{domain}{}", s.pre, s.post)
}

fn base_local() -> impl Strategy<Value = String> {
    "[a-z0-9_-]{1,6}(\\.[a-z0-9_-]{1,6}){0,2}"
}

fn base_domain() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("gmail.com".to_owned()),
        "[a-z0-9]{1,8}\\.(com|de|org)",
        "(bücher|münchen|café|例子|ελλάδα|[a-z]{1,4}ñ[a-z]{0,3})\\.(de|com|广告)",
    ]
}

/// The domains whose provider documents its `+tag` (and for Gmail, dot)
/// rules, as the identity key must know them.
const DOCUMENTED: [&str; 8] = [
    "gmail.com",
    "googlemail.com",
    "fastmail.com",
    "fastmail.fm",
    "proton.me",
    "protonmail.com",
    "protonmail.ch",
    "pm.me",
];

/// Listed domains, their look-alikes, providers left off the list, and
/// arbitrary domains.
fn any_domain() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(&DOCUMENTED[..]).prop_map(str::to_owned),
        prop::sample::select(
            &[
                "mail.gmail.com",
                "gmail.co",
                "proton.me.example",
                "my-fastmail.com",
                "outlook.com",
                "hotmail.com",
                "icloud.com",
                "yahoo.com",
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z0-9]{1,8}\\.(com|de|org)",
        "(bücher|例子|[a-z]{1,4}ñ)\\.(de|com)",
    ]
}

proptest! {
    #[test]
    fn delivery_parses_back_to_the_same_address(input in any_input()) {
        if let Ok(email) = Email::parse(&input) {
            let again = Email::parse(email.delivery()).unwrap();
            prop_assert_eq!(again.as_str(), email.as_str());
            prop_assert_eq!(again.budget_key(), email.budget_key());
            prop_assert_eq!(again.delivery(), email.delivery());
        }
    }

    #[test]
    fn identity_and_budget_keys_are_fixed_points(input in any_input()) {
        if let Ok(email) = Email::parse(&input) {
            let identity = Email::parse(email.as_str()).unwrap();
            prop_assert_eq!(identity.as_str(), email.as_str());
            prop_assert_eq!(identity.delivery(), email.as_str());
            prop_assert_eq!(identity.budget_key(), email.budget_key());
            let budget = Email::parse(email.budget_key()).unwrap();
            prop_assert_eq!(budget.as_str(), email.budget_key());
            prop_assert_eq!(budget.budget_key(), email.budget_key());
        }
    }

    #[test]
    fn every_spelling_of_a_mailbox_has_one_budget_key(
        local in base_local(),
        domain in base_domain(),
        spellings in prop::collection::vec(spelling(), 1..6),
    ) {
        let expected = if domain == "gmail.com" {
            format!("{}@gmail.com", local.replace('.', ""))
        } else {
            format!("{local}@{}", idna::domain_to_ascii(&domain).unwrap())
        };
        let plain = Email::parse(&format!("{local}@{domain}")).unwrap();
        prop_assert_eq!(plain.budget_key(), &expected);
        for s in &spellings {
            let typed = spell(&local, &domain, s);
            let email = Email::parse(&typed).map_err(|e| TestCaseError::fail(format!("{typed:?}: {e}")))?;
            prop_assert_eq!(email.budget_key(), &expected, "{:?}", typed);
        }
    }

    #[test]
    fn different_mailboxes_have_different_keys(
        a in base_local(),
        b in base_local(),
        domain in base_domain(),
    ) {
        let fold = |l: &str| if domain == "gmail.com" { l.replace('.', "") } else { l.to_owned() };
        prop_assume!(fold(&a) != fold(&b));
        let key = |l: &str| Email::parse(&format!("{l}@{domain}")).unwrap().budget_key().to_owned();
        prop_assert_ne!(key(&a), key(&b));
        // Dots matter outside Gmail; the same local part elsewhere is another mailbox.
        let elsewhere = Email::parse(&format!("{a}@other-{domain}")).unwrap();
        prop_assert_ne!(key(&a), elsewhere.budget_key());
    }

    #[test]
    fn accepted_addresses_are_bounded_and_clean(input in any_input()) {
        if let Ok(email) = Email::parse(&input) {
            for form in [email.as_str(), email.budget_key(), email.delivery()] {
                prop_assert!(form.len() <= MAX_EMAIL_LEN);
                prop_assert!(form.is_ascii());
                prop_assert!(!form.chars().any(|c| c.is_control() || c == ' ' || c == '"'));
                prop_assert_eq!(form.matches('@').count(), 1);
            }
            prop_assert!(!email.as_str().chars().any(|c| c.is_ascii_uppercase()));
            prop_assert!(email.domain().contains('.'));
        }
    }

    /// The identity key merges case, the domain's form and, only on a
    /// listed provider's domains, its documented `+tag` and dot rules; a tag
    /// anywhere else is part of another identity. The budget key removes the
    /// tag everywhere.
    #[test]
    fn the_identity_key_merges_only_what_the_provider_documents(
        local in base_local(),
        domain in any_domain(),
        s in spelling(),
    ) {
        // `spell` writes Gmail spellings from `gmail.com`.
        let domain = if domain == "googlemail.com" { "gmail.com".to_owned() } else { domain };
        let typed = spell(&local, &domain, &s);
        let email = Email::parse(&typed).map_err(|e| TestCaseError::fail(format!("{typed:?}: {e}")))?;
        let ascii = idna::domain_to_ascii(&domain).unwrap();
        let base = if domain == "gmail.com" {
            format!("{}@gmail.com", local.replace('.', ""))
        } else {
            format!("{local}@{ascii}")
        };
        let identity = match &s.tag {
            Some(tag) if !DOCUMENTED.contains(&domain.as_str()) => {
                format!("{local}+{}@{ascii}", tag.to_ascii_lowercase())
            }
            _ => base.clone(),
        };
        prop_assert_eq!(email.as_str(), &identity, "{:?}", typed);
        prop_assert_eq!(email.suppression_key(), &identity, "{:?}", typed);
        prop_assert_eq!(email.budget_key(), &base, "{:?}", typed);
    }

    /// Over a small space of spellings (so that keys collide often): two
    /// addresses with one identity key always share the budget key, and the
    /// budget key is a function of the identity key.
    #[test]
    fn the_budget_key_merges_all_the_identity_key_merges(
        pair in prop::collection::vec(
            (
                "[aA](\\.?[aAbB]){0,2}(\\+[aAbB.]{0,2})?",
                prop::sample::select(&[
                    "gmail.com", "GoogleMail.com", "proton.me", "PM.me",
                    "fastmail.fm", "corp.example", "CORP.example", "outlook.com",
                ][..]),
            ),
            2,
        ),
    ) {
        let parsed: Vec<Email> = pair
            .iter()
            .filter_map(|(local, domain)| Email::parse(&format!("{local}@{domain}")).ok())
            .collect();
        prop_assume!(parsed.len() == 2);
        let (a, b) = (&parsed[0], &parsed[1]);
        if a.as_str() == b.as_str() {
            prop_assert_eq!(a.budget_key(), b.budget_key());
            prop_assert_eq!(a, b);
        }
        if a.budget_key() != b.budget_key() {
            prop_assert_ne!(a.as_str(), b.as_str());
        }
        let from_identity = Email::parse(a.as_str()).unwrap();
        prop_assert_eq!(from_identity.budget_key(), a.budget_key());
    }
}
