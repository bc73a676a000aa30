//! The upgrade gate, as a pure decision over what the cluster shows: has the target's migration
//! succeeded, is one running, did it fail and when may it be retried, and which Jobs of other
//! targets must be cancelled. The reconciler acts on the decision; unit tests call it directly.

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::jiff::Timestamp;

use crate::migration::{ATTEMPT_ANNOTATION, HASH_LABEL};

/// The longest wait between two attempts of a failing migration.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(600);

/// How a migration Job ended, if it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Running,
    Succeeded,
    Failed { reason: String, message: String },
}

/// What the gate needs to know about one migration Job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobView {
    pub name: String,
    pub hash: String,
    pub attempt: u32,
    pub outcome: Outcome,
    pub finished_at: Option<Timestamp>,
}

impl JobView {
    /// `None` for a Job that is not a migration attempt (no hash label).
    pub fn of(job: &Job) -> Option<Self> {
        let meta = &job.metadata;
        let hash = meta.labels.as_ref()?.get(HASH_LABEL)?.clone();
        let attempt = meta
            .annotations
            .as_ref()
            .and_then(|a| a.get(ATTEMPT_ANNOTATION))
            .and_then(|a| a.parse().ok())
            .unwrap_or(1);
        let conditions = job
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let finished = |kind: &str| {
            conditions
                .iter()
                .find(|c| c.type_ == kind && c.status == "True")
        };
        let (outcome, finished_at) = if let Some(c) = finished("Complete") {
            (
                Outcome::Succeeded,
                c.last_transition_time.as_ref().map(|t| t.0),
            )
        } else if let Some(c) = finished("Failed") {
            (
                Outcome::Failed {
                    reason: c.reason.clone().unwrap_or_else(|| "Failed".into()),
                    message: c.message.clone().unwrap_or_default(),
                },
                c.last_transition_time.as_ref().map(|t| t.0),
            )
        } else {
            (Outcome::Running, None)
        };
        Some(Self {
            name: meta.name.clone().unwrap_or_default(),
            hash,
            attempt,
            outcome,
            finished_at,
        })
    }
}

/// Where the target's migration stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Migration {
    /// The target's migrations succeeded; the server may run it.
    Done,
    /// Nothing runs until the database accepts connections.
    WaitingForDatabase,
    /// Attempt `attempt` runs (or is about to be created).
    Running { job: String, attempt: u32 },
    /// The last attempt failed; the next starts after `retry_in`.
    Failed {
        job: String,
        reason: String,
        message: String,
        retry_in: Duration,
    },
}

/// The facts the gate decides on.
pub struct GateInput<'a> {
    /// [`crate::migration::migration_hash`] of the spec.
    pub target: &'a str,
    /// The hash whose migration the status records as succeeded.
    pub migrated: Option<&'a str>,
    /// Every migration Job of the resource.
    pub jobs: &'a [JobView],
    pub database_ready: bool,
    pub now: Timestamp,
    /// The wait after the first failure; it doubles per failure up to [`MAX_RETRY_DELAY`].
    pub retry_base: Duration,
}

/// The decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    pub migration: Migration,
    /// The attempt whose Job must exist (created if missing; never patched).
    pub attempt: Option<u32>,
    /// Running Jobs of other targets (a reverted or superseded version): delete them.
    pub cancel: Vec<String>,
    /// Failed attempts of the target older than the newest: delete when a new attempt starts
    /// (the newest failure stays for its logs until its TTL).
    pub prune: Vec<String>,
}

/// Decide. `job_name(attempt)` names the target's Job of an attempt.
pub fn decide(input: &GateInput<'_>, job_name: impl Fn(u32) -> String) -> Gate {
    let cancel = input
        .jobs
        .iter()
        .filter(|j| j.hash != input.target && j.outcome == Outcome::Running)
        .map(|j| j.name.clone())
        .collect();
    let mut mine: Vec<&JobView> = input
        .jobs
        .iter()
        .filter(|j| j.hash == input.target)
        .collect();
    mine.sort_by_key(|j| j.attempt);
    let done = input.migrated == Some(input.target)
        || mine.iter().any(|j| j.outcome == Outcome::Succeeded);
    let gate = |migration, attempt, prune| Gate {
        migration,
        attempt,
        cancel,
        prune,
    };
    if done {
        return gate(Migration::Done, None, Vec::new());
    }
    if !input.database_ready {
        return gate(Migration::WaitingForDatabase, None, Vec::new());
    }
    let Some(latest) = mine.last() else {
        return gate(
            Migration::Running {
                job: job_name(1),
                attempt: 1,
            },
            Some(1),
            Vec::new(),
        );
    };
    match &latest.outcome {
        Outcome::Running | Outcome::Succeeded => gate(
            Migration::Running {
                job: latest.name.clone(),
                attempt: latest.attempt,
            },
            Some(latest.attempt),
            Vec::new(),
        ),
        Outcome::Failed { reason, message } => {
            let failures = mine
                .iter()
                .filter(|j| matches!(j.outcome, Outcome::Failed { .. }))
                .count();
            let delay = retry_delay(input.retry_base, failures);
            let elapsed = latest
                .finished_at
                .map(|t| input.now.duration_since(t).unsigned_abs())
                .unwrap_or(delay);
            if elapsed >= delay {
                let next = latest.attempt + 1;
                let prune = mine
                    .iter()
                    .filter(|j| j.attempt < latest.attempt)
                    .map(|j| j.name.clone())
                    .collect();
                gate(
                    Migration::Running {
                        job: job_name(next),
                        attempt: next,
                    },
                    Some(next),
                    prune,
                )
            } else {
                gate(
                    Migration::Failed {
                        job: latest.name.clone(),
                        reason: reason.clone(),
                        message: message.clone(),
                        retry_in: delay - elapsed,
                    },
                    None,
                    Vec::new(),
                )
            }
        }
    }
}

/// `base · 2^(failures − 1)`, at most [`MAX_RETRY_DELAY`].
pub fn retry_delay(base: Duration, failures: usize) -> Duration {
    let exponent = u32::try_from(failures.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    base.saturating_mul(1 << exponent).min(MAX_RETRY_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    fn job(hash: &str, attempt: u32, outcome: Outcome, finished: Option<i64>) -> JobView {
        JobView {
            name: format!("hub-migrate-{hash}-{attempt}"),
            hash: hash.into(),
            attempt,
            outcome,
            finished_at: finished.map(at),
        }
    }

    fn failed() -> Outcome {
        Outcome::Failed {
            reason: "BackoffLimitExceeded".into(),
            message: "Job has reached the specified backoff limit".into(),
        }
    }

    fn decide_at(jobs: &[JobView], migrated: Option<&str>, db: bool, now: i64) -> Gate {
        decide(
            &GateInput {
                target: "new",
                migrated,
                jobs,
                database_ready: db,
                now: at(now),
                retry_base: Duration::from_secs(30),
            },
            |a| format!("hub-migrate-new-{a}"),
        )
    }

    #[test]
    fn the_first_attempt_waits_for_the_database() {
        let gate = decide_at(&[], None, false, 0);
        assert_eq!(gate.migration, Migration::WaitingForDatabase);
        assert_eq!(gate.attempt, None);
        let gate = decide_at(&[], None, true, 0);
        assert_eq!(gate.attempt, Some(1));
        assert!(matches!(
            gate.migration,
            Migration::Running { attempt: 1, .. }
        ));
    }

    #[test]
    fn success_is_remembered_after_the_job_is_gone() {
        let jobs = [job("new", 1, Outcome::Succeeded, Some(0))];
        assert_eq!(decide_at(&jobs, None, true, 5).migration, Migration::Done);
        assert_eq!(
            decide_at(&[], Some("new"), false, 5).migration,
            Migration::Done
        );
    }

    #[test]
    fn a_failure_is_retried_with_a_new_job_after_a_growing_delay() {
        let jobs = [job("new", 1, failed(), Some(0))];
        let gate = decide_at(&jobs, None, true, 10);
        match &gate.migration {
            Migration::Failed {
                retry_in, reason, ..
            } => {
                assert_eq!(*retry_in, Duration::from_secs(20));
                assert_eq!(reason, "BackoffLimitExceeded");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(gate.attempt, None, "nothing runs while waiting");
        let gate = decide_at(&jobs, None, true, 30);
        assert_eq!(gate.attempt, Some(2), "a new attempt, never a patched Job");
        assert!(gate.prune.is_empty());
        // Second failure: 60 s; the older failure is pruned when attempt 3 starts.
        let jobs = [
            job("new", 1, failed(), Some(0)),
            job("new", 2, failed(), Some(100)),
        ];
        assert!(matches!(
            decide_at(&jobs, None, true, 159).migration,
            Migration::Failed { .. }
        ));
        let gate = decide_at(&jobs, None, true, 160);
        assert_eq!(gate.attempt, Some(3));
        assert_eq!(gate.prune, ["hub-migrate-new-1"]);
        assert_eq!(retry_delay(Duration::from_secs(30), 50), MAX_RETRY_DELAY);
    }

    #[test]
    fn other_targets_running_jobs_are_cancelled() {
        let jobs = [
            job("old", 1, Outcome::Succeeded, Some(0)),
            job("abandoned", 1, Outcome::Running, None),
        ];
        // Reverting to an already migrated target cancels the pending Job.
        let gate = decide_at(&jobs, Some("new"), true, 0);
        assert_eq!(gate.migration, Migration::Done);
        assert_eq!(gate.cancel, ["hub-migrate-abandoned-1"]);
    }

    #[test]
    fn a_running_attempt_is_kept() {
        let jobs = [
            job("new", 1, failed(), Some(0)),
            job("new", 2, Outcome::Running, None),
        ];
        let gate = decide_at(&jobs, None, true, 1000);
        assert_eq!(gate.attempt, Some(2));
        assert!(gate.cancel.is_empty());
    }
}
