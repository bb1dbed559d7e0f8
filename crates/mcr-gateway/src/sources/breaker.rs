//! A circuit breaker per source: after [`TRIP_AFTER`] consecutive failures the source is
//! not asked for [`OPEN_FOR`]; the panel is told it is unavailable at once rather than
//! waiting out its deadline on every view. After that one request is let through (half
//! open): success closes the circuit, failure opens it again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Consecutive failures that open the circuit.
pub const TRIP_AFTER: u32 = 5;
/// How long an open circuit fails fast.
pub const OPEN_FOR: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
struct State {
    failures: u32,
    open_until: Option<Instant>,
}

/// One source's breaker.
#[derive(Debug, Default)]
pub struct Breaker {
    state: Mutex<State>,
}

impl Breaker {
    /// Whether a request may go out now. While open, returns `false`; once the open
    /// period has passed, lets one request through and re-arms the timer.
    pub fn allow(&self, now: Instant) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return true;
        };
        match s.open_until {
            Some(until) if now < until => false,
            Some(_) => {
                // Half open: this request probes; others keep failing fast meanwhile.
                s.open_until = Some(now + OPEN_FOR);
                true
            }
            None => true,
        }
    }

    /// Records a success: the circuit closes.
    pub fn succeeded(&self) {
        if let Ok(mut s) = self.state.lock() {
            *s = State::default();
        }
    }

    /// Records a failure (unreachable, timed out, 5xx).
    pub fn failed(&self, now: Instant) {
        if let Ok(mut s) = self.state.lock() {
            s.failures += 1;
            if s.failures >= TRIP_AFTER {
                s.open_until = Some(now + OPEN_FOR);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_circuit_opens_after_repeated_failures_and_probes_after_the_open_period() {
        let b = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..TRIP_AFTER - 1 {
            b.failed(t0);
        }
        assert!(b.allow(t0), "still closed below the threshold");
        b.failed(t0);
        assert!(!b.allow(t0 + Duration::from_secs(1)), "open: fail fast");
        let later = t0 + OPEN_FOR + Duration::from_millis(1);
        assert!(b.allow(later), "half open: one probe");
        assert!(!b.allow(later), "others wait while the probe is out");
        b.succeeded();
        assert!(b.allow(later));
    }
}
