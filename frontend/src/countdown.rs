//! The wait before another code may be asked for.
//!
//! Kept as a deadline rather than a ticking counter: a timer in a background
//! tab fires late or not at all, and the deadline stays right regardless.

/// A deadline on the page's monotonic clock, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Countdown {
    until_ms: f64,
}

impl Countdown {
    /// Starts a wait of `seconds` from `now_ms`.
    pub fn start(now_ms: f64, seconds: u64) -> Self {
        Countdown {
            until_ms: now_ms + seconds as f64 * 1000.0,
        }
    }

    /// Whole seconds still to wait, rounded up so "0 s" is never shown while
    /// the server would still refuse.
    pub fn seconds_left(&self, now_ms: f64) -> u64 {
        let left = self.until_ms - now_ms;
        if left <= 0.0 {
            0
        } else {
            (left / 1000.0).ceil() as u64
        }
    }

    pub fn is_over(&self, now_ms: f64) -> bool {
        self.seconds_left(now_ms) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_in_whole_seconds_rounding_up() {
        let c = Countdown::start(1_000.0, 60);
        assert_eq!(c.seconds_left(1_000.0), 60);
        assert_eq!(c.seconds_left(1_001.0), 60);
        assert_eq!(c.seconds_left(2_000.0), 59);
        assert_eq!(c.seconds_left(60_999.0), 1);
        assert_eq!(c.seconds_left(61_000.0), 0);
        assert_eq!(c.seconds_left(99_000.0), 0);
    }

    #[test]
    fn is_over_at_the_deadline() {
        let c = Countdown::start(0.0, 42);
        assert!(!c.is_over(41_999.0));
        assert!(c.is_over(42_000.0));
    }

    #[test]
    fn default_is_already_over() {
        assert!(Countdown::default().is_over(0.0));
    }
}
