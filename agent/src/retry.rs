//! Waiting between failed attempts: exponential backoff with jitter (backon), never sooner than
//! the server's `Retry-After`.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// The longest the agent ever waits because the server asked it to.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Delays for one kind of call; [`Backoff::reset`] after a success.
pub struct Backoff {
    builder: ExponentialBuilder,
    current: backon::ExponentialBackoff,
    max: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        let builder = ExponentialBuilder::default()
            .with_min_delay(min)
            .with_max_delay(max)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times();
        Self {
            current: builder.build(),
            builder,
            max,
        }
    }

    /// The next wait: the backoff's, or the server's `Retry-After` when that is longer.
    pub fn next(&mut self, retry_after: Option<Duration>) -> Duration {
        let own = self.current.next().unwrap_or(self.max);
        retry_after.map_or(own, |asked| own.max(asked.min(MAX_RETRY_AFTER)))
    }

    pub fn reset(&mut self) {
        self.current = self.builder.build();
    }
}

/// `interval` ± 10 %, so a fleet started together does not report in lockstep.
pub fn jittered(interval: Duration) -> Duration {
    use rand::Rng;
    let factor = rand::rng().random_range(0.9..=1.1);
    interval.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_are_capped_and_honour_retry_after() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        let delays: Vec<Duration> = (0..8).map(|_| backoff.next(None)).collect();
        assert!(delays[0] >= Duration::from_secs(1));
        // Jitter adds up to one more base delay on top of the capped value.
        assert!(
            delays.iter().all(|d| *d <= Duration::from_secs(16)),
            "{delays:?}"
        );
        assert!(delays[5] >= Duration::from_secs(8), "{delays:?}");
        assert!(backoff.next(Some(Duration::from_secs(120))) >= Duration::from_secs(120));
        assert_eq!(
            backoff.next(Some(Duration::from_secs(1_000_000))),
            MAX_RETRY_AFTER,
            "an absurd Retry-After is capped"
        );
        backoff.reset();
        assert!(backoff.next(None) < Duration::from_secs(4));
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        for _ in 0..100 {
            let d = jittered(Duration::from_secs(10));
            assert!(d >= Duration::from_secs(9) && d <= Duration::from_secs(11));
        }
    }
}
