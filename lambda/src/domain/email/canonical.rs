//! The canonical mailbox: one key for every spelling that reaches one inbox,
//! so a per-address budget cannot be multiplied by re-spelling the address.
//!
//! Rules, applied to the normalized address (lower case, A-label domain):
//!
//! 1. Sub-address tags, every domain: `local+tag` → `local`. The `+`
//!    separator is the convention RFC 5233 (Sieve subaddress extension, §1)
//!    describes, and what Gmail, Outlook.com, iCloud, Fastmail and Proton
//!    deliver to the base mailbox. Applying it to every domain can only merge
//!    budgets (a domain where `+` is not a separator gets fewer, never more),
//!    which is the safe direction for a rate limit. The tag is only removed
//!    when what precedes the `+` is itself a valid local part (not empty, no
//!    trailing dot), so the key is always an address that parses to itself.
//! 2. Gmail ignores dots in the local part: Google Account Help, "Dots don't
//!    matter in Gmail addresses", <https://support.google.com/mail/answer/7436150>;
//!    also the Gmail blog, "2 hidden ways to get more from your Gmail address"
//!    (2008), <https://gmail.googleblog.com/2008/03/2-hidden-ways-to-get-more-from-your.html>,
//!    which describes both the dots and `+` rules.
//! 3. `googlemail.com` is the same service as `gmail.com` (the name Google
//!    used in Germany and the UK after trademark disputes; mail to either
//!    domain reaches the same account): the Gmail blog, "Google Mail is soon
//!    becoming Gmail again in the UK" (2010), as reported at
//!    <http://www.trustedreviews.com/news/GMail-Returns-to-UK-As-Google-Settles-Patent-Dispute>.
//!    Both fold to `gmail.com`, dots removed before the tag.
//!
//! Google Workspace domains ignore dots too, but nothing in an address says
//! a domain is hosted by Google, so only the two public domains are folded.

/// Domains served by Gmail, whose local parts ignore dots.
const GMAIL_DOMAINS: [&str; 2] = ["gmail.com", "googlemail.com"];

/// `local` is a lower-case ASCII dot-atom, `domain` lower-case A-labels.
pub(super) fn mailbox(local: &str, domain: &str) -> String {
    if GMAIL_DOMAINS.contains(&domain) {
        // Dots first: `a.+b` is `a+b` to Gmail, whose base is `a`.
        let undotted: String = local.chars().filter(|&c| c != '.').collect();
        format!("{}@gmail.com", without_tag(&undotted))
    } else {
        format!("{}@{domain}", without_tag(local))
    }
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

    #[test]
    fn tags_are_removed_for_every_domain() {
        assert_eq!(mailbox("ann+otp", "example.com"), "ann@example.com");
        assert_eq!(mailbox("ann+a+b", "example.com"), "ann@example.com");
        assert_eq!(mailbox("ann.lee+x", "example.com"), "ann.lee@example.com");
    }

    #[test]
    fn a_plus_without_a_base_mailbox_is_kept() {
        assert_eq!(mailbox("+ann", "example.com"), "+ann@example.com");
        assert_eq!(mailbox("ann.+x", "example.com"), "ann.+x@example.com");
    }

    #[test]
    fn gmail_ignores_dots_and_googlemail_is_gmail() {
        for (local, domain) in [
            ("victim", "gmail.com"),
            ("v.ictim", "gmail.com"),
            ("vic.t.im+1", "gmail.com"),
            ("victim", "googlemail.com"),
            ("v.i.c.t.i.m+tag", "googlemail.com"),
            ("victim.+tag", "gmail.com"),
        ] {
            assert_eq!(
                mailbox(local, domain),
                "victim@gmail.com",
                "{local}@{domain}"
            );
        }
    }

    #[test]
    fn dots_matter_outside_gmail() {
        assert_eq!(mailbox("v.ictim", "example.com"), "v.ictim@example.com");
        assert_eq!(
            mailbox("v.ictim", "mail.gmail.com"),
            "v.ictim@mail.gmail.com"
        );
    }
}
