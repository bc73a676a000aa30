//! Status as a pure function of what a reconcile pass saw: the phase, five conditions that keep
//! their `lastTransitionTime` while their status holds, the versions and the URL. The reconciler
//! writes it only when it differs from what is stored.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

use crate::crd::{MoniHubStatus, Phase};
use crate::gate::Migration;

/// Condition types.
pub const READY: &str = "Ready";
pub const DATABASE_READY: &str = "DatabaseReady";
pub const MIGRATED: &str = "Migrated";
pub const SERVER_AVAILABLE: &str = "ServerAvailable";
pub const FRONTEND_AVAILABLE: &str = "FrontendAvailable";

/// One observed part of the installation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub ok: bool,
    pub reason: String,
    pub message: String,
}

impl Check {
    pub fn ok(reason: &str, message: impl Into<String>) -> Self {
        Self {
            ok: true,
            reason: reason.into(),
            message: message.into(),
        }
    }

    pub fn not(reason: &str, message: impl Into<String>) -> Self {
        Self {
            ok: false,
            reason: reason.into(),
            message: message.into(),
        }
    }
}

/// A Deployment is available when the controller has seen its latest spec and every desired
/// pod is updated and available.
pub fn deployment_check(deployment: Option<&Deployment>, what: &str) -> Check {
    let Some(d) = deployment else {
        return Check::not(
            "NotCreated",
            format!("the {what} Deployment does not exist yet"),
        );
    };
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let status = d.status.clone().unwrap_or_default();
    let seen = status.observed_generation >= d.metadata.generation;
    let updated = status.updated_replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if seen && updated >= want && available >= want && status.replicas.unwrap_or(0) == want {
        Check::ok(
            "Available",
            format!("{available}/{want} {what} pods available"),
        )
    } else {
        Check::not(
            "Progressing",
            format!("{what}: {updated}/{want} pods updated, {available}/{want} available"),
        )
    }
}

/// The managed database is ready when its pod is.
pub fn statefulset_check(set: Option<&StatefulSet>) -> Check {
    let Some(s) = set else {
        return Check::not(
            "NotCreated",
            "the PostgreSQL StatefulSet does not exist yet",
        );
    };
    let ready = s
        .status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0);
    if ready >= 1 {
        Check::ok("Ready", "PostgreSQL accepts connections")
    } else {
        Check::not("Starting", "waiting for the PostgreSQL pod to become ready")
    }
}

/// Everything a status is computed from.
#[derive(Clone, Debug)]
pub struct Facts {
    pub generation: Option<i64>,
    pub paused: bool,
    /// A spec problem the schema cannot catch (a missing Secret, say): `(reason, message)`.
    pub problem: Option<(String, String)>,
    pub database: Check,
    pub migration: Migration,
    pub server: Check,
    pub frontend: Check,
    /// The spec's version and the migration hash of the spec.
    pub target_version: String,
    pub target_hash: String,
    /// The version of the server Deployment's pods.
    pub serving_version: Option<String>,
    /// Whether nothing of the installation exists yet.
    pub nothing_yet: bool,
    pub url: String,
}

fn condition(
    old: &MoniHubStatus,
    type_: &str,
    check: &Check,
    generation: Option<i64>,
    now: Timestamp,
) -> Condition {
    let status = if check.ok { "True" } else { "False" };
    let since = old
        .conditions
        .iter()
        .find(|c| c.type_ == type_ && c.status == status)
        .map(|c| c.last_transition_time.clone())
        .unwrap_or(Time(now));
    Condition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: check.reason.clone(),
        message: check.message.clone(),
        observed_generation: generation,
        last_transition_time: since,
    }
}

fn migration_check(facts: &Facts) -> Check {
    match &facts.migration {
        Migration::Done => Check::ok(
            "Migrated",
            format!("the schema is current for {}", facts.target_version),
        ),
        Migration::WaitingForDatabase => Check::not(
            "WaitingForDatabase",
            "migrations start once the database is ready",
        ),
        Migration::Running { job, attempt } => Check::not(
            "Running",
            format!(
                "migration Job {job} (attempt {attempt}) runs the migrations of {}",
                facts.target_version
            ),
        ),
        Migration::Failed {
            job,
            reason,
            message,
            retry_in,
        } => Check::not(
            "Failed",
            format!(
                "migration Job {job} failed ({reason}: {message}); the server keeps its current \
                 version; retrying in {}s (see `kubectl logs job/{job}`)",
                retry_in.as_secs()
            ),
        ),
    }
}

/// The status for `facts`, keeping transition times from `old` where nothing changed.
pub fn compute(old: &MoniHubStatus, facts: &Facts, now: Timestamp) -> MoniHubStatus {
    let migrated = migration_check(facts);
    let database = match &facts.problem {
        Some((reason, message)) if !facts.database.ok => Check::not(reason, message.clone()),
        _ => facts.database.clone(),
    };
    let all = [&database, &migrated, &facts.server, &facts.frontend];
    let ready = if let Some((reason, message)) = &facts.problem {
        Check::not(reason, message.clone())
    } else if let Some(blocker) = all.iter().find(|c| !c.ok) {
        Check::not("NotReady", blocker.message.clone())
    } else {
        Check::ok(
            "Ready",
            format!(
                "MoniHub {} is available at {}",
                facts.target_version, facts.url
            ),
        )
    };
    let phase = if facts.paused {
        Phase::Paused
    } else if facts.problem.is_some() || matches!(facts.migration, Migration::Failed { .. }) {
        Phase::Degraded
    } else if ready.ok {
        Phase::Ready
    } else if matches!(facts.migration, Migration::Running { .. }) {
        Phase::Migrating
    } else if facts.nothing_yet {
        Phase::Pending
    } else {
        Phase::Provisioning
    };
    let generation = facts.generation;
    let done = facts.migration == Migration::Done;
    MoniHubStatus {
        observed_generation: generation,
        phase: Some(phase),
        conditions: vec![
            condition(old, READY, &ready, generation, now),
            condition(old, DATABASE_READY, &database, generation, now),
            condition(old, MIGRATED, &migrated, generation, now),
            condition(old, SERVER_AVAILABLE, &facts.server, generation, now),
            condition(old, FRONTEND_AVAILABLE, &facts.frontend, generation, now),
        ],
        current_version: if facts.server.ok {
            facts.serving_version.clone()
        } else {
            old.current_version.clone()
        },
        migrated_version: if done {
            Some(facts.target_version.clone())
        } else {
            old.migrated_version.clone()
        },
        migration_hash: if done {
            Some(facts.target_hash.clone())
        } else {
            old.migration_hash.clone()
        },
        url: Some(facts.url.clone()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn facts() -> Facts {
        Facts {
            generation: Some(3),
            paused: false,
            problem: None,
            database: Check::ok("Ready", "up"),
            migration: Migration::Done,
            server: Check::ok("Available", "1/1"),
            frontend: Check::ok("Available", "1/1"),
            target_version: "1.2.0".into(),
            target_hash: "h2".into(),
            serving_version: Some("1.2.0".into()),
            nothing_yet: false,
            url: "http://hub-frontend.ops.svc".into(),
        }
    }

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn cond<'a>(status: &'a MoniHubStatus, type_: &str) -> &'a Condition {
        status.conditions.iter().find(|c| c.type_ == type_).unwrap()
    }

    #[test]
    fn all_available_is_ready_and_records_the_versions() {
        let s = compute(&MoniHubStatus::default(), &facts(), at(0));
        assert_eq!(s.phase, Some(Phase::Ready));
        assert_eq!(cond(&s, READY).status, "True");
        assert_eq!(s.current_version.as_deref(), Some("1.2.0"));
        assert_eq!(s.migrated_version.as_deref(), Some("1.2.0"));
        assert_eq!(s.migration_hash.as_deref(), Some("h2"));
        assert!(
            s.conditions
                .iter()
                .all(|c| c.observed_generation == Some(3))
        );
    }

    #[test]
    fn transition_times_hold_while_status_holds() {
        let first = compute(&MoniHubStatus::default(), &facts(), at(0));
        let again = compute(&first, &facts(), at(60));
        assert_eq!(first, again, "a no-op pass computes an identical status");
        let mut failing = facts();
        failing.server = Check::not("Progressing", "0/1");
        let changed = compute(&again, &failing, at(120));
        assert_eq!(
            cond(&changed, SERVER_AVAILABLE).last_transition_time,
            Time(at(120))
        );
        assert_eq!(
            cond(&changed, DATABASE_READY).last_transition_time,
            Time(at(0))
        );
        assert_eq!(changed.phase, Some(Phase::Provisioning));
    }

    #[test]
    fn a_failed_migration_degrades_but_keeps_the_running_version() {
        let old = compute(&MoniHubStatus::default(), &facts(), at(0));
        let mut f = facts();
        f.target_version = "1.3.0".into();
        f.target_hash = "h3".into();
        f.migration = Migration::Failed {
            job: "hub-migrate-h3-1".into(),
            reason: "BackoffLimitExceeded".into(),
            message: "Job has reached the specified backoff limit".into(),
            retry_in: Duration::from_secs(30),
        };
        let s = compute(&old, &f, at(10));
        assert_eq!(s.phase, Some(Phase::Degraded));
        let migrated = cond(&s, MIGRATED);
        assert_eq!(migrated.status, "False");
        assert_eq!(migrated.reason, "Failed");
        assert!(migrated.message.contains("BackoffLimitExceeded"));
        assert!(migrated.message.contains("hub-migrate-h3-1"));
        assert_eq!(s.current_version.as_deref(), Some("1.2.0"));
        assert_eq!(
            s.migrated_version.as_deref(),
            Some("1.2.0"),
            "only on success"
        );
        assert_eq!(s.migration_hash.as_deref(), Some("h2"));
    }

    #[test]
    fn pause_problems_and_progress_have_their_phases() {
        let mut f = facts();
        f.paused = true;
        assert_eq!(
            compute(&MoniHubStatus::default(), &f, at(0)).phase,
            Some(Phase::Paused)
        );
        let mut f = facts();
        f.database = Check::not("NotFound", "missing");
        f.problem = Some((
            "DatabaseSecretMissing".into(),
            "Secret db has no key url".into(),
        ));
        let s = compute(&MoniHubStatus::default(), &f, at(0));
        assert_eq!(s.phase, Some(Phase::Degraded));
        assert_eq!(cond(&s, READY).reason, "DatabaseSecretMissing");
        assert_eq!(cond(&s, DATABASE_READY).message, "Secret db has no key url");
        let mut f = facts();
        f.migration = Migration::Running {
            job: "j".into(),
            attempt: 1,
        };
        assert_eq!(
            compute(&MoniHubStatus::default(), &f, at(0)).phase,
            Some(Phase::Migrating)
        );
        let mut f = facts();
        f.server = Check::not("NotCreated", "none");
        f.nothing_yet = true;
        assert_eq!(
            compute(&MoniHubStatus::default(), &f, at(0)).phase,
            Some(Phase::Pending)
        );
    }
}
