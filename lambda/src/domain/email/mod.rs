//! An email address as the service accepts it, with the three keys the
//! service needs and the spelling it mails to:
//!
//! | key | used for | merges | safe direction |
//! | --- | --- | --- | --- |
//! | [`Email::budget_key`] | per-address budgets, lockouts, proof-of-work binding, idempotency | every spelling that *might* reach one inbox (`+tag` on every domain) | merging: fewer mails |
//! | [`Email::as_str`] (identity) | `sub`, the stored and answered address | only spellings that *provably* reach one mailbox (provider rules where documented) | splitting: two people never become one |
//! | [`Email::suppression_key`] | the suppression list | the identity key of what bounced or complained | splitting: one bounce never silences another mailbox |
//!
//! [`Email::delivery`] is what the message and the SMTP envelope carry. The
//! rules and their sources are in `keys.rs`.
//!
//! Acceptance is one rule: an address is accepted only if the mail path can
//! deliver to it. The local part must be an ASCII dot-atom (RFC 5322 §3.2.3),
//! possibly written as a quoted string whose content is one (RFC 5321 §4.1.2
//! makes `"ann"` and `ann` the same local part, so the quotes are dropped). A
//! quoted local part that needs its quotes (`"ann lee"`) and a non-ASCII local
//! part are refused:
//!
//! - lettre 0.11 builds the envelope by parsing the `To:` header it wrote,
//!   and its parser cannot read `"ann lee"@…` back: the message has no
//!   recipient and the send fails (it also turns `"ann"@…` into `ann@…`
//!   there, one more reason to unquote first);
//! - lettre keeps an address exactly as given (it checks a Unicode domain
//!   through `idna` but never converts it), and an envelope with any
//!   non-ASCII character needs SMTPUTF8 (RFC 6531): lettre refuses to send
//!   it to a server that does not announce the extension. Amazon SES, the
//!   deployed relay, does not: "Amazon SES does not support the SMTPUTF8
//!   extension … the local part of a destination email address … may only
//!   contain 7-bit ASCII characters. If the domain part … contains non-ASCII
//!   characters, they must be encoded using Punycode" (SES API reference,
//!   `Destination`).
//!
//! So the domain may be typed in Unicode (U-labels) or ASCII (A-labels) and
//! is converted to A-labels by UTS 46: the whole address is ASCII and any SMTP
//! server can route it.

mod keys;
#[cfg(test)]
pub(crate) mod tests;

use icu_normalizer::ComposingNormalizerBorrowed;
use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use otp_api::MAX_EMAIL_LEN;
use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Longest local part SMTP servers must accept (RFC 5321 §4.5.3.1.1).
const MAX_LOCAL_LEN: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the address is empty")]
    Empty,
    #[error("the address is longer than {MAX_EMAIL_LEN} characters")]
    TooLong,
    #[error("the address contains a control or invisible character")]
    ControlCharacter,
    #[error("the address is not a valid email address")]
    Invalid,
    /// Valid by RFC 5322 or RFC 6532, but not deliverable through a plain
    /// SMTP relay: a quoted local part that needs its quotes, or non-ASCII
    /// characters before the `@`.
    #[error(
        "mail cannot be delivered to this local part: use ASCII letters, digits and !#$%&'*+-/=?^_`{{|}}~ between single dots"
    )]
    UndeliverableLocalPart,
}

/// A valid, deliverable address. The only way to get one is [`Email::parse`].
///
/// Cheap to clone (one shared allocation). Two `Email`s are equal when their
/// identity keys ([`as_str`](Email::as_str)) are: `Ann@example.com` and
/// `ann@example.com` are one address, even though each keeps its own
/// [`delivery`](Email::delivery) spelling.
#[derive(Clone)]
pub struct Email(Arc<Forms>);

struct Forms {
    identity: String,
    budget: String,
    delivery: String,
}

/// Unicode NFC, so a precomposed and a decomposed `ü` are one character.
const NFC: ComposingNormalizerBorrowed<'static> = ComposingNormalizerBorrowed::new_nfc();

impl Email {
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        // Length is checked before anything else touches the input, so a
        // 10 kB "address" costs nothing.
        if input.len() > MAX_EMAIL_LEN * 4 {
            return Err(EmailError::TooLong);
        }
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        // CR/LF and friends would let an address smuggle mail headers;
        // invisible format characters would let one address pass for another.
        if trimmed.chars().any(|c| c.is_control() || is_invisible(c)) {
            return Err(EmailError::ControlCharacter);
        }
        let nfc = NFC.normalize(trimmed);
        let (local, domain) = split(&nfc)?;
        if !is_dot_atom(&local) {
            // Quoted or non-ASCII: a valid address, but not one we can send to.
            return Err(if nfc.starts_with('"') || !local.is_ascii() {
                EmailError::UndeliverableLocalPart
            } else {
                EmailError::Invalid
            });
        }
        let domain = a_label_domain(domain)?;
        if local.len() > MAX_LOCAL_LEN || local.len() + 1 + domain.len() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        let identity = keys::identity(&local.to_ascii_lowercase(), &domain);
        Ok(Email(Arc::new(Forms {
            budget: keys::budget(&identity),
            identity,
            delivery: format!("{local}@{domain}"),
        })))
    }

    /// The identity key: the one form the service stores as the person and
    /// answers with (verify's `email`, the OpenID `email` claim), and what
    /// `sub` is derived from. It merges only spellings that provably reach
    /// one mailbox, because merging two mailboxes here makes two people one
    /// (rules and sources in `keys.rs`): the local part lower-cased and
    /// unquoted, the domain lower-cased in ASCII A-labels
    /// (`ann@xn--bcher-kva.de`), and a provider's rules only on the domains
    /// of a provider that documents them (`A.nn+x@GoogleMail.com` is
    /// `ann@gmail.com`, `ann+x@corp.example` stays itself).
    ///
    /// A-labels rather than U-labels because the local part is ASCII anyway
    /// (see the module comment), so the whole address is then ASCII: it is a
    /// plain RFC 5322 addr-spec that every relying party can store and compare
    /// byte for byte without a Unicode normalizer or RFC 6532 support, and a
    /// look-alike Unicode domain shows as the `xn--` label it really is. A page
    /// that wants to show the Unicode form can convert the domain for display
    /// (`idna::domain_to_unicode`).
    pub fn as_str(&self) -> &str {
        &self.0.identity
    }

    /// The budget key: every per-address budget, lockout, proof-of-work
    /// binding and idempotency key is counted under it. It merges every
    /// spelling that might reach one inbox: the identity key without its
    /// `+tag` on every domain (`ann+x@corp.example` is `ann@corp.example`).
    /// Merging is the safe direction for a budget (two mailboxes that share
    /// one get fewer mails, never more); a key that split one inbox would let
    /// a sender multiply its budget by re-spelling the address. It merges
    /// everything [`as_str`] merges. Itself a valid address.
    ///
    /// [`as_str`]: Email::as_str
    pub fn budget_key(&self) -> &str {
        &self.0.budget
    }

    /// The suppression key: what a bounce or a complaint suppresses, and
    /// what a send must find unsuppressed. It is the identity key, never the
    /// budget key: a bounce of `ann+x@corp.example` (a tag the server refuses)
    /// must not stop codes to `ann@corp.example`, while a bounce of
    /// `a.nn+news@gmail.com` stops Ann's Gmail mailbox, provably the same.
    /// Splitting is the safe direction here: at worst a mailbox that bounced
    /// under one spelling is tried once more under another (which a sender
    /// wanting bounces gets from any unknown local part anyway).
    pub fn suppression_key(&self) -> &str {
        self.as_str()
    }

    /// What the message's `To:` and the SMTP envelope use: the address as the
    /// person typed it (trimmed, NFC, unquoted, local-part case kept, since
    /// RFC 5321 §2.4 leaves its meaning to the receiving host) with the domain
    /// in A-labels, so it is ASCII and needs no SMTPUTF8. The store persists
    /// this form; parsing it again gives the same `Email`.
    pub fn delivery(&self) -> &str {
        &self.0.delivery
    }

    pub fn domain(&self) -> &str {
        self.as_str().rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// For logs: first character of the local part and the domain, `a***@example.com`.
    pub fn masked(&self) -> String {
        let (local, domain) = self.as_str().rsplit_once('@').unwrap_or(("", ""));
        let first = local.chars().next().unwrap_or('*');
        format!("{first}***@{domain}")
    }
}

impl PartialEq for Email {
    fn eq(&self, other: &Email) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Email {}

impl Hash for Email {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

/// Splits `local@domain`, unquoting a quoted local part: the quotes go and
/// each quoted-pair (`\x`) becomes the character it stands for. What the
/// local part is allowed to be is checked by the caller.
fn split(address: &str) -> Result<(Cow<'_, str>, &str), EmailError> {
    let Some(quoted) = address.strip_prefix('"') else {
        let (local, domain) = address.split_once('@').ok_or(EmailError::Invalid)?;
        return Ok((Cow::Borrowed(local), domain));
    };
    let mut content = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => content.push(chars.next().ok_or(EmailError::Invalid)?.1),
            '"' => {
                let domain = quoted[i + 1..]
                    .strip_prefix('@')
                    .ok_or(EmailError::UndeliverableLocalPart)?;
                return Ok((Cow::Owned(content), domain));
            }
            c => content.push(c),
        }
    }
    Err(EmailError::Invalid)
}

/// RFC 5322 §3.2.3 dot-atom, ASCII only: atoms of `atext` joined by single dots.
fn is_dot_atom(local: &str) -> bool {
    let is_atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b);
    !local.is_empty()
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.bytes().all(is_atext))
}

/// The domain in lower-case A-labels by UTS 46 (which also maps case,
/// width and NFC), held to what RFC 5321 §4.1.2 can route: letters, digits
/// and inner hyphens (STD3), DNS lengths, no root dot, at least two labels
/// (`ann@localhost` cannot receive our mail and is almost always a typo) and
/// a top-level label that is not all digits (RFC 3696 §2: `ann@127.0.0.1` is
/// a bare IP address, not a domain).
fn a_label_domain(domain: &str) -> Result<String, EmailError> {
    let ascii = Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            DnsLength::Verify,
        )
        .map_err(|_| EmailError::Invalid)?;
    let tld = ascii.rsplit_once('.').map(|(_, tld)| tld);
    match tld {
        Some(tld) if !tld.bytes().all(|b| b.is_ascii_digit()) => Ok(ascii.into_owned()),
        _ => Err(EmailError::Invalid),
    }
}

/// Unicode format characters (category Cf) that render as nothing or
/// reorder text: zero-width spaces and joiners, bidirectional overrides,
/// soft hyphen, byte order mark.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Never prints the full address, so it cannot reach a log by accident.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}
