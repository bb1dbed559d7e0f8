//! Admission control for record views: at most a configured number of views run at
//! once, a short queue of further views waits (each for a bounded time) for a slot, and
//! anything beyond is refused at once with `503` and `Retry-After` — before the token
//! is looked at, any audit row is written or any source is asked, so a refused view
//! leaves nothing half-done. Under overload the gateway then keeps a bounded amount of
//! work and memory in flight, instead of accepting everything and slowing every view
//! down until memory runs out.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;

/// The seconds a refused client is told to wait (`Retry-After`).
pub const RETRY_AFTER_SECS: u64 = 1;

/// How many views run and wait at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Views served at once (at least 1).
    pub running: usize,
    /// Views that may wait for a slot when all are taken.
    pub queue: usize,
    /// How long a queued view waits for a slot before it is refused.
    pub wait: Duration,
}

/// Admits record views within [`Limits`].
#[derive(Debug)]
pub struct Admission {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    limits: Limits,
}

/// A view's slot; dropping it lets the next view in.
#[derive(Debug)]
pub struct Slot(#[allow(dead_code)] OwnedSemaphorePermit);

/// Takes a place in the queue back when the waiting request gets its slot, gives up, or
/// goes away (its future dropped by a client disconnect).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Admission {
    /// Admission within `limits`.
    pub fn new(limits: Limits) -> Self {
        let limits = Limits {
            running: limits.running.max(1),
            ..limits
        };
        Self {
            slots: Arc::new(Semaphore::new(limits.running)),
            waiting: AtomicUsize::new(0),
            limits,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// A slot for one view: at once if one is free, after a wait in the queue if there
    /// is room in it, else [`AppError::Overloaded`].
    pub async fn admit(&self) -> Result<Slot, AppError> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(Slot(permit));
        }
        let queue = self.limits.queue;
        if self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                (w < queue).then_some(w + 1)
            })
            .is_err()
        {
            return Err(overloaded());
        }
        let _waiting = Waiting(&self.waiting);
        match tokio::time::timeout(self.limits.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Slot(permit)),
            _ => Err(overloaded()),
        }
    }

    /// Views running now.
    pub fn running(&self) -> usize {
        self.limits.running - self.slots.available_permits()
    }
}

fn overloaded() -> AppError {
    AppError::Overloaded {
        retry_after_secs: RETRY_AFTER_SECS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(running: usize, queue: usize, wait_ms: u64) -> Limits {
        Limits {
            running,
            queue,
            wait: Duration::from_millis(wait_ms),
        }
    }

    #[tokio::test]
    async fn a_view_beyond_the_slots_and_the_queue_is_refused_at_once() {
        let admission = Admission::new(limits(1, 0, 10_000));
        let held = admission.admit().await.unwrap();
        let started = std::time::Instant::now();
        let refused = admission.admit().await;
        assert!(matches!(refused, Err(AppError::Overloaded { .. })));
        assert!(started.elapsed() < Duration::from_secs(1), "not queued");
        drop(held);
        assert!(admission.admit().await.is_ok(), "the slot is free again");
    }

    #[tokio::test]
    async fn a_queued_view_gets_the_slot_its_predecessor_gives_back() {
        let admission = Arc::new(Admission::new(limits(1, 1, 10_000)));
        let held = admission.admit().await.unwrap();
        let queued = tokio::spawn({
            let admission = admission.clone();
            async move { admission.admit().await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // The queue (one place) is full: a third view is refused.
        assert!(matches!(
            admission.admit().await,
            Err(AppError::Overloaded { .. })
        ));
        drop(held);
        assert!(queued.await.unwrap().is_ok());
        assert_eq!(admission.waiting.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn a_queued_view_that_waits_too_long_is_refused_and_leaves_the_queue() {
        let admission = Admission::new(limits(1, 4, 20));
        let _held = admission.admit().await.unwrap();
        assert!(matches!(
            admission.admit().await,
            Err(AppError::Overloaded { .. })
        ));
        assert_eq!(admission.waiting.load(Ordering::Acquire), 0);
        assert_eq!(admission.running(), 1);
    }
}
