//! A bound on concurrent password hashing.
//!
//! Every argon2 run takes about 19 MiB and a blocking thread for tens of milliseconds, so a burst
//! of sign-ins (with names that exist or not) could otherwise take gigabytes. At most
//! `concurrency` hashes run at once; a request that cannot get a slot within `wait` is shed with
//! 503 and `Retry-After` instead of queueing without end. A started hash keeps its slot until it
//! finishes, even if the client has gone away, so the bound holds for the process.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{ApiError, ApiResult};

/// Metrics of the hasher (registered by [`crate::telemetry::Metrics`]).
#[derive(Debug, Clone, Default)]
pub struct HasherMetrics {
    /// Hashes running now.
    pub in_flight: Gauge,
    /// Requests shed because no slot became free in time.
    pub shed: Counter,
}

/// Runs password hashing on the blocking pool, at most `concurrency` at a time.
#[derive(Debug, Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    wait: Duration,
    metrics: HasherMetrics,
}

/// Seconds a shed client is asked to wait.
const RETRY_AFTER_SECS: u64 = 1;

impl Hasher {
    pub fn new(concurrency: usize, wait: Duration, metrics: HasherMetrics) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            wait,
            metrics,
        }
    }

    /// A hasher for command-line use: one slot per core, waiting as long as it takes.
    pub fn for_cli() -> Self {
        Self::new(
            default_concurrency(),
            Duration::from_secs(3600),
            HasherMetrics::default(),
        )
    }

    /// Waits for a free slot, or sheds the request with 503 after `wait`. Take the slot before
    /// anything that should only happen if the hash can run (such as counting a sign-in attempt).
    pub async fn slot(&self) -> ApiResult<Slot> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Slot {
                permit,
                in_flight: self.metrics.in_flight.clone(),
            }),
            // Timed out, or the semaphore was closed (it never is).
            _ => {
                self.metrics.shed.inc();
                Err(ApiError::Busy {
                    detail: "the server is busy checking passwords; try again shortly".into(),
                    retry_after_secs: RETRY_AFTER_SECS,
                })
            }
        }
    }

    /// Runs `work` in a slot (see [`Hasher::slot`]).
    pub async fn run<T, F>(&self, work: F) -> ApiResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.slot().await?.run(work).await
    }
}

/// A hashing slot, held until the work run in it has finished.
#[derive(Debug)]
pub struct Slot {
    permit: OwnedSemaphorePermit,
    in_flight: Gauge,
}

impl Slot {
    /// Runs `work` on the blocking pool; the slot is released when it finishes.
    pub async fn run<T, F>(self, work: F) -> ApiResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let Slot { permit, in_flight } = self;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            in_flight.inc();
            let result = work();
            in_flight.dec();
            result
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))
    }
}

/// One hashing slot per core the process may use.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// 64 parallel callers never run more than `concurrency` pieces of work at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrency_is_bounded_under_a_burst() {
        let hasher = Hasher::new(2, Duration::from_secs(60), HasherMetrics::default());
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let hasher = hasher.clone();
                let running = running.clone();
                let peak = peak.clone();
                tokio::spawn(async move {
                    hasher
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            peak.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(5));
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    /// With every slot taken and no wait allowed, callers are shed with a retry hint.
    #[tokio::test]
    async fn excess_is_shed_with_retry_after() {
        let metrics = HasherMetrics::default();
        let hasher = Hasher::new(1, Duration::ZERO, metrics.clone());
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let busy = {
            let hasher = hasher.clone();
            tokio::spawn(async move {
                hasher
                    .run(move || {
                        started_tx.send(()).unwrap();
                        release_rx.recv().unwrap();
                    })
                    .await
            })
        };
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        match hasher.run(|| ()).await {
            Err(ApiError::Busy {
                retry_after_secs, ..
            }) => assert_eq!(retry_after_secs, RETRY_AFTER_SECS),
            other => panic!("expected a shed request, got {other:?}"),
        }
        assert_eq!(metrics.shed.get(), 1);
        assert_eq!(metrics.in_flight.get(), 1);
        release_tx.send(()).unwrap();
        busy.await.unwrap().unwrap();
        assert_eq!(metrics.in_flight.get(), 0);
        hasher.run(|| ()).await.unwrap();
    }
}
