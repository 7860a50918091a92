//! How the load run counts approvals: as the store and the API define them.
//! A flow is approved once, by the one conditional write that sets its
//! `used_at`; the right code sent again (a client's retry, or the loser of
//! two verifies racing for the same flow) is answered `200` with the same
//! body, a replay of that approval and not a second one. So the run counts
//! approved flows, not `200`s, and fails when:
//!
//! - two `200`s for one flow differ (the second would be another approval);
//! - a flow a client saw approved has no `used_at` in the table (lost);
//! - a flow has `used_at` that no client saw approved (nobody asked for it);
//! - any answer was a 5xx or a transport error.

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// The `200` answers the clients saw, by flow.
#[derive(Default)]
pub struct Approvals {
    by_flow: HashMap<String, Seen>,
}

struct Seen {
    /// The first approving answer's body.
    body: Value,
    /// `200`s after the first with the same body.
    replays: u64,
    /// `200`s after the first with another body.
    conflicting: u64,
}

impl Approvals {
    /// One `200` to a verify of `flow_id`, with its body.
    pub fn record(&mut self, flow_id: &str, body: Value) {
        match self.by_flow.get_mut(flow_id) {
            None => {
                self.by_flow.insert(
                    flow_id.to_owned(),
                    Seen {
                        body,
                        replays: 0,
                        conflicting: 0,
                    },
                );
            }
            Some(seen) if seen.body == body => seen.replays += 1,
            Some(seen) => seen.conflicting += 1,
        }
    }
}

/// The run's outcome for approvals, against the flows with `used_at` in the table.
#[derive(Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Flows the clients saw approved.
    pub approved: usize,
    /// `200`s that repeated an approval's answer.
    pub replays: u64,
    /// `200`s that differed from their flow's first.
    pub conflicting: u64,
    /// Flows seen approved without `used_at` in the table.
    pub lost: usize,
    /// Flows with `used_at` that no client saw approved.
    pub phantom: usize,
    /// Answers that were a 5xx or a transport error.
    pub server_errors: u64,
}

impl Verdict {
    pub fn new(seen: &Approvals, stored: &HashSet<String>, server_errors: u64) -> Verdict {
        Verdict {
            approved: seen.by_flow.len(),
            replays: seen.by_flow.values().map(|s| s.replays).sum(),
            conflicting: seen.by_flow.values().map(|s| s.conflicting).sum(),
            lost: seen
                .by_flow
                .keys()
                .filter(|id| !stored.contains(*id))
                .count(),
            phantom: stored
                .iter()
                .filter(|id| !seen.by_flow.contains_key(*id))
                .count(),
            server_errors,
        }
    }

    pub fn passed(&self) -> bool {
        self.conflicting == 0 && self.lost == 0 && self.phantom == 0 && self.server_errors == 0
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "approved flows {} (replayed answers {}), conflicting answers {}, \
             lost approvals {}, approvals nobody saw {}, server errors {}",
            self.approved,
            self.replays,
            self.conflicting,
            self.lost,
            self.phantom,
            self.server_errors
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn approved(email: &str) -> Value {
        json!({ "status": "approved", "email": email })
    }

    fn stored(ids: &[&str]) -> HashSet<String> {
        ids.iter().map(|id| id.to_string()).collect()
    }

    /// Two verifies racing with the right code both answered `200` with one
    /// body: one approval and a replay, as the table says. The driver used to
    /// count this as a doubled approval and fail.
    #[test]
    fn a_replayed_approval_is_one_approval() {
        let mut seen = Approvals::default();
        seen.record("f1", approved("p@f1.load.example"));
        seen.record("f1", approved("p@f1.load.example"));
        seen.record("f2", approved("p@f2.load.example"));
        let verdict = Verdict::new(&seen, &stored(&["f1", "f2"]), 0);
        assert_eq!(
            verdict,
            Verdict {
                approved: 2,
                replays: 1,
                conflicting: 0,
                lost: 0,
                phantom: 0,
                server_errors: 0
            }
        );
        assert!(verdict.passed(), "{verdict}");
    }

    /// Doctored counts: each way the store and the answers can disagree fails.
    #[test]
    fn every_disagreement_fails_the_run() {
        let mut seen = Approvals::default();
        seen.record("f1", approved("p@f1.load.example"));
        seen.record("f1", approved("q@f1.load.example"));
        let conflicting = Verdict::new(&seen, &stored(&["f1"]), 0);
        assert_eq!(conflicting.conflicting, 1);
        assert!(!conflicting.passed(), "{conflicting}");

        let mut seen = Approvals::default();
        seen.record("f1", approved("p@f1.load.example"));
        let lost = Verdict::new(&seen, &stored(&[]), 0);
        assert_eq!(lost.lost, 1);
        assert!(!lost.passed(), "{lost}");

        let phantom = Verdict::new(&seen, &stored(&["f1", "f2"]), 0);
        assert_eq!(phantom.phantom, 1);
        assert!(!phantom.passed(), "{phantom}");

        let errors = Verdict::new(&seen, &stored(&["f1"]), 3);
        assert!(!errors.passed(), "{errors}");
        assert!(Verdict::new(&seen, &stored(&["f1"]), 0).passed());
    }
}
