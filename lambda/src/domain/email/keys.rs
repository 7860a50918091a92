//! The keys of an address: which spellings count as one. Two rules, because
//! the two jobs have opposite safe directions.
//!
//! **The identity key** (`sub`, the address the service stores and answers
//! with, the suppression list) merges only spellings that *provably* reach
//! one mailbox. Merging two mailboxes here makes two people one: whoever
//! reads `ann+x@corp.example` (a catch-all, a shared helpdesk inbox, an
//! alias on a server without sub-addressing) would sign in to every app as
//! the reader of `ann@corp.example`, and a bounce of one would silence the
//! other. Splitting one mailbox in two only gives one person two `sub`s.
//! It merges, on every domain:
//!
//! - the domain's case and Unicode form (one A-label form by UTS 46, done by
//!   the parser before these rules);
//! - the local part's case. RFC 5321 §2.4 lets a receiving host treat local
//!   parts as case-sensitive, and in the same paragraph says that "exploiting
//!   the case sensitivity of mailbox local-parts impedes interoperability and
//!   is discouraged"; no large provider does it. Splitting on case would give
//!   `Ann@corp.example` (a phone capitalizing the first letter) another
//!   `sub` than `ann@corp.example` on nearly every server, for a protection
//!   almost no server needs.
//!
//! and, only on the domains of a provider that documents it:
//!
//! - Gmail (`gmail.com`, `googlemail.com`): dots in the local part are
//!   ignored (Google Account Help, "Dots don't matter in Gmail addresses",
//!   <https://support.google.com/mail/answer/7436150>) and anything from a
//!   `+` to the `@` is ignored (the Gmail blog, "2 hidden ways to get more
//!   from your Gmail address", 2008,
//!   <https://gmail.googleblog.com/2008/03/2-hidden-ways-to-get-more-from-your.html>,
//!   which describes both rules). `googlemail.com` is the same service (the
//!   name Google used in Germany and the UK after trademark disputes; mail to
//!   either domain reaches the same account): the Gmail blog, "Google Mail is
//!   soon becoming Gmail again in the UK" (2010), as reported at
//!   <http://www.trustedreviews.com/news/GMail-Returns-to-UK-As-Google-Settles-Patent-Dispute>.
//!   Both fold to `gmail.com`, dots removed before the tag.
//! - Fastmail (`fastmail.com`, `fastmail.fm`): "The part of the email address
//!   between the "+" and the "@" is ignored for determining which account it
//!   belongs to" (Fastmail help, "Plus addressing and subdomain addressing",
//!   <https://www.fastmail.help/hc/en-us/articles/360060591053>, formerly
//!   <https://www.fastmail.fm/help/receive/addressing.html>).
//! - Proton (`proton.me`, `protonmail.com`, `protonmail.ch`, `pm.me`, the
//!   Proton domains that page names): "all Proton Mail users can create
//!   unlimited extra addresses, known as +aliases, by adding + after your
//!   username" (Proton support, "How to create and use an additional address
//!   (alias)", <https://proton.me/support/creating-aliases>).
//!
//! Providers that deliver `+tag`s too but whose own documentation for their
//! consumer domains could not be found (Outlook.com and Hotmail, iCloud) are
//! not listed: there, `ann+x@` is another identity than `ann@`, which at worst
//! gives one person two `sub`s. Domains hosted by these providers under
//! their owners' names (Google Workspace, Fastmail or Proton custom domains)
//! cannot be recognized from the address and are not listed either.
//!
//! **The budget key** (per-address budgets, lockouts, the proof-of-work
//! binding, idempotency) merges every spelling that *might* reach one inbox:
//! the identity key with the `+tag` removed on every domain, since the `+`
//! separator is the convention RFC 5233 (Sieve subaddress extension, §1)
//! describes and many servers follow it undocumented. Merging two mailboxes
//! here can only give their senders fewer messages; splitting one would let
//! a bomber multiply its budget by re-spelling it. It is computed from the
//! identity key, so it merges everything the identity key merges.
//!
//! A tag is only removed when what precedes the `+` is itself a valid local
//! part (not empty, no trailing dot), so every key is an address that parses
//! to itself.

/// Domains served by Gmail, whose local parts ignore dots and `+tag`s.
const GMAIL_DOMAINS: [&str; 2] = ["gmail.com", "googlemail.com"];

/// Domains whose provider documents that `local+tag` reaches `local`
/// (sources in the module comment). Gmail's are handled by [`identity`].
const PLUS_TAG_DOMAINS: [&str; 6] = [
    "fastmail.com",
    "fastmail.fm",
    "proton.me",
    "protonmail.com",
    "protonmail.ch",
    "pm.me",
];

/// The identity key of `local@domain`: `local` is a lower-case ASCII
/// dot-atom, `domain` lower-case A-labels.
pub(super) fn identity(local: &str, domain: &str) -> String {
    if GMAIL_DOMAINS.contains(&domain) {
        // Dots first: `a.+b` is `a+b` to Gmail, whose base is `a`.
        let undotted: String = local.chars().filter(|&c| c != '.').collect();
        format!("{}@gmail.com", without_tag(&undotted))
    } else if PLUS_TAG_DOMAINS.contains(&domain) {
        format!("{}@{domain}", without_tag(local))
    } else {
        format!("{local}@{domain}")
    }
}

/// The budget key of an address whose identity key is `identity`.
pub(super) fn budget(identity: &str) -> String {
    let (local, domain) = identity.rsplit_once('@').unwrap_or((identity, ""));
    format!("{}@{domain}", without_tag(local))
}

fn without_tag(local: &str) -> &str {
    match local.split_once('+') {
        Some((base, _)) if !base.is_empty() && !base.ends_with('.') => base,
        _ => local,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(local: &str, domain: &str) -> (String, String) {
        let identity = identity(local, domain);
        let budget = budget(&identity);
        (identity, budget)
    }

    #[test]
    fn tags_are_one_identity_only_where_the_provider_says_so() {
        assert_eq!(
            both("ann+otp", "corp.example"),
            ("ann+otp@corp.example".into(), "ann@corp.example".into())
        );
        assert_eq!(both("ann+a+b", "corp.example").1, "ann@corp.example");
        assert_eq!(both("ann.lee+x", "outlook.com").1, "ann.lee@outlook.com");
        assert_eq!(both("ann.lee+x", "outlook.com").0, "ann.lee+x@outlook.com");
        for domain in PLUS_TAG_DOMAINS {
            let key = format!("ann.lee@{domain}");
            assert_eq!(both("ann.lee+x+y", domain), (key.clone(), key));
        }
    }

    #[test]
    fn a_plus_without_a_base_mailbox_is_kept() {
        for domain in ["corp.example", "proton.me", "gmail.com"] {
            assert_eq!(both("+ann", domain).1, format!("+ann@{domain}"));
        }
        assert_eq!(both("ann.+x", "corp.example").1, "ann.+x@corp.example");
        assert_eq!(both("ann.+x", "pm.me").0, "ann.+x@pm.me");
    }

    #[test]
    fn gmail_ignores_dots_and_tags_and_googlemail_is_gmail() {
        for (local, domain) in [
            ("victim", "gmail.com"),
            ("v.ictim", "gmail.com"),
            ("vic.t.im+1", "gmail.com"),
            ("victim", "googlemail.com"),
            ("v.i.c.t.i.m+tag", "googlemail.com"),
            ("victim.+tag", "gmail.com"),
        ] {
            let key = "victim@gmail.com".to_owned();
            assert_eq!(both(local, domain), (key.clone(), key), "{local}@{domain}");
        }
    }

    #[test]
    fn dots_matter_outside_gmail() {
        assert_eq!(both("v.ictim", "corp.example").1, "v.ictim@corp.example");
        assert_eq!(
            both("v.ictim", "mail.gmail.com").1,
            "v.ictim@mail.gmail.com"
        );
        assert_eq!(both("v.ictim", "proton.me").0, "v.ictim@proton.me");
    }
}
