//! The report writers: tasks that store agent reports in batches.
//!
//! Requests hand their report to a bounded queue and wait. A writer takes everything queued (up
//! to `max_batch`) and stores it in one transaction: one multi-row upsert of the instances' latest
//! state (one row per instance, however many of its reports are in the batch) and one multi-row
//! insert of the history. Only after the commit is each request answered, so an acknowledged report
//! is never lost. When the queue is full the request is shed at once (503 with `Retry-After`)
//! instead of growing a queue without bound.
//!
//! On PostgreSQL several writers work side by side, so one builds and sends its batch while
//! another waits for its commit. Each instance always goes to the same writer: its reports are
//! stored in the order they came, and two writers never lock the same instance rows (no deadlock
//! between batches). SQLite allows one writer at a time, so it gets one.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};
use monihub_agent_protocol::ReportRequest;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, Set,
};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::entity::{Status, instance_reports, instances, logs};
use crate::error::ApiError;
use crate::events::{Event, EventHub};

/// A report accepted by the API, waiting to be stored.
#[derive(Debug)]
pub struct Submission {
    pub application_id: Uuid,
    /// Validated, environment already redacted.
    pub report: ReportRequest,
    pub received_at: DateTime<Utc>,
}

/// What became of a stored submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Stored; the instance and its operator-set agent configuration (`None`: defaults).
    Stored {
        instance_id: Uuid,
        config: Option<Value>,
    },
    /// The instance is disabled: nothing was stored.
    Disabled,
}

struct Job {
    submission: Submission,
    reply: oneshot::Sender<Result<Outcome, String>>,
}

/// Seconds a shed agent is asked to wait.
const RETRY_AFTER_SECS: u64 = 1;

/// The handle requests use to submit reports.
#[derive(Debug, Clone)]
pub struct ReportWriter {
    /// One queue per writer.
    queues: Vec<mpsc::Sender<Job>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").finish_non_exhaustive()
    }
}

impl ReportWriter {
    /// Starts `writers` writer tasks (one on SQLite) sharing `capacity` queued reports; they run
    /// until every handle is dropped.
    pub fn start(
        db: DatabaseConnection,
        capacity: usize,
        max_batch: usize,
        writers: usize,
        events: EventHub,
    ) -> Self {
        let writers = if db.get_database_backend() == DbBackend::Postgres {
            writers.max(1)
        } else {
            1
        };
        let (announce, announcements) = mpsc::channel(ANNOUNCE_BACKLOG);
        tokio::spawn(publish(announcements, events));
        let queues = (0..writers)
            .map(|_| {
                let (queue, jobs) = mpsc::channel((capacity / writers).max(1));
                tokio::spawn(run(db.clone(), jobs, max_batch.max(1), announce.clone()));
                queue
            })
            .collect();
        Self { queues }
    }

    /// The writer of an instance: always the same one.
    fn queue_of(&self, submission: &Submission) -> &mpsc::Sender<Job> {
        let mut hasher = std::hash::DefaultHasher::new();
        (
            submission.application_id,
            &submission.report.agent_instance_id,
        )
            .hash(&mut hasher);
        // The modulo keeps the index below the length, which fits a usize.
        let index = (hasher.finish() % self.queues.len() as u64) as usize;
        &self.queues[index]
    }

    /// Queues a report and waits until it is stored (or refused).
    pub async fn submit(&self, submission: Submission) -> Result<Outcome, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.queue_of(&submission)
            .try_send(Job { submission, reply })
            .map_err(|err| match err {
                mpsc::error::TrySendError::Full(_) => ApiError::Busy {
                    detail: "the server is storing too many reports; retry shortly".into(),
                    retry_after_secs: RETRY_AFTER_SECS,
                },
                mpsc::error::TrySendError::Closed(_) => {
                    ApiError::Unavailable("the report writer has stopped".into())
                }
            })?;
        match answer.await {
            Ok(Ok(outcome)) => Ok(outcome),
            // The cause was logged once for the whole batch.
            Ok(Err(_)) | Err(_) => Err(ApiError::Busy {
                detail: "the report could not be stored; retry shortly".into(),
                retry_after_secs: RETRY_AFTER_SECS,
            }),
        }
    }
}

/// Batches of live events waiting to be published. Publishing (a `NOTIFY` on PostgreSQL) runs
/// beside the writer so the next batch does not wait for it; a publisher this far behind slows the
/// writer down instead of buffering more.
const ANNOUNCE_BACKLOG: usize = 64;

async fn publish(mut announcements: mpsc::Receiver<Vec<Event>>, events: EventHub) {
    let mut pending = Vec::new();
    while announcements
        .recv_many(&mut pending, ANNOUNCE_BACKLOG)
        .await
        > 0
    {
        // In commit order, as few notifications as the payload size allows.
        events.publish(pending.drain(..).flatten().collect()).await;
    }
}

async fn run(
    db: DatabaseConnection,
    mut jobs: mpsc::Receiver<Job>,
    max_batch: usize,
    announce: mpsc::Sender<Vec<Event>>,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while jobs.recv_many(&mut batch, max_batch).await > 0 {
        let result = store(&db, batch.iter().map(|job| &job.submission)).await;
        match result {
            Ok((outcomes, stored_events)) => {
                for (job, outcome) in batch.drain(..).zip(outcomes) {
                    // The request may have gone away; the report is stored either way.
                    let _ = job.reply.send(Ok(outcome));
                }
                // Only fails once the publisher is gone, at shutdown.
                let _ = announce.send(stored_events).await;
            }
            Err(err) => {
                tracing::error!(error = %err, reports = batch.len(), "failed to store a batch of reports");
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(err.to_string()));
                }
            }
        }
    }
}

/// The latest report of one instance in a batch, and how many it sent.
struct Latest<'a> {
    submission: &'a Submission,
    count: i64,
}

/// Stores a batch in one transaction; one outcome per submission, in order, and the live events
/// to announce once committed (one report event per instance, and `instance.online` for
/// instances that were new or offline).
async fn store<'a>(
    db: &DatabaseConnection,
    batch: impl Iterator<Item = &'a Submission>,
) -> Result<(Vec<Outcome>, Vec<Event>), DbErr> {
    let batch: Vec<&Submission> = batch.collect();
    let key = |s: &Submission| (s.application_id, s.report.agent_instance_id.clone());
    let mut latest: HashMap<(Uuid, String), Latest> = HashMap::new();
    for submission in &batch {
        let entry = latest.entry(key(submission)).or_insert(Latest {
            submission,
            count: 0,
        });
        entry.count += 1;
        if submission.report.reported_at >= entry.submission.report.reported_at {
            entry.submission = submission;
        }
    }

    let txn = crate::db::begin_write(db).await?;
    // Which of these instances are online now (a superset query, narrowed by key).
    let online_before: std::collections::HashSet<(Uuid, String)> = instances::Entity::find()
        .filter(
            instances::Column::ApplicationId
                .is_in(latest.keys().map(|(application, _)| *application)),
        )
        .filter(instances::Column::AgentInstanceId.is_in(latest.keys().map(|(_, id)| id.clone())))
        .filter(instances::Column::Online.eq(true))
        .filter(instances::Column::DeletedAt.is_null())
        .all(&txn)
        .await?
        .into_iter()
        .map(|i| (i.application_id, i.agent_instance_id))
        .collect();
    let rows = latest.values().map(|l| instance_row(l.submission, l.count));
    let rows: Vec<instances::ActiveModel> = rows.collect();
    let mut stored = Vec::with_capacity(rows.len());
    for chunk in shaped_chunks(&rows, INSTANCES_PER_UPSERT) {
        stored.extend(
            instances::Entity::insert_many(chunk.to_vec())
                .on_conflict(upsert_latest_state())
                .exec_with_returning(&txn)
                .await?,
        );
    }
    let by_key: HashMap<(Uuid, String), &instances::Model> = stored
        .iter()
        .map(|i| ((i.application_id, i.agent_instance_id.clone()), i))
        .collect();

    let mut outcomes = Vec::with_capacity(batch.len());
    let mut history = Vec::with_capacity(batch.len());
    let mut lines = Vec::new();
    for submission in &batch {
        match by_key.get(&key(submission)) {
            Some(instance) => {
                history.push(report_row(instance.id, submission));
                lines.extend(log_rows(instance.id, submission));
                outcomes.push(Outcome::Stored {
                    instance_id: instance.id,
                    config: instance.config.clone(),
                });
            }
            // The upsert skipped it: the instance is disabled.
            None => outcomes.push(Outcome::Disabled),
        }
    }
    // Chunks keep every statement well below the databases' bound-parameter limits.
    for chunk in shaped_chunks(&history, ROWS_PER_INSERT) {
        instance_reports::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    for chunk in lines.chunks(ROWS_PER_INSERT) {
        logs::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    let mut events = Vec::with_capacity(stored.len() * 2);
    for instance in &stored {
        let key = (instance.application_id, instance.agent_instance_id.clone());
        if !online_before.contains(&key) {
            events.push(Event::InstanceOnline {
                instance_id: instance.id,
                application_id: instance.application_id,
                at: instance.last_report_at,
            });
        }
        events.push(Event::InstanceReport {
            instance_id: instance.id,
            application_id: instance.application_id,
            cpu_usage_percent: instance.cpu_usage_percent,
            memory_usage_percent: instance.memory_usage_percent,
            disk_usage_percent: instance.disk_usage_percent,
            at: instance.last_report_at,
        });
    }
    Ok((outcomes, events))
}

/// Splits `rows` into chunks whose sizes are powers of two (at most `max`), largest first.
///
/// A multi-row statement's text depends on its row count, and the database parses and plans each
/// new text from scratch (a 64-row upsert has over 2,000 parameters). With power-of-two sizes a
/// handful of statement shapes serve every batch, so they stay prepared and planned on each
/// connection; a batch of 61 rows takes 5 statements instead of one never seen before.
fn shaped_chunks<T>(rows: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let max = max.max(1);
    let largest = if max.is_power_of_two() {
        max
    } else {
        max.next_power_of_two() / 2
    };
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = largest.min(1 << rest.len().ilog2());
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

/// Instances per upsert (33 columns each).
const INSTANCES_PER_UPSERT: usize = 256;
/// Rows per multi-row insert (at most about 16 columns each).
const ROWS_PER_INSERT: usize = 1024;

fn log_rows(instance_id: Uuid, submission: &Submission) -> impl Iterator<Item = logs::ActiveModel> {
    let report = &submission.report;
    report.logs.iter().map(move |line| logs::ActiveModel {
        id: Set(Uuid::now_v7()),
        level: Set(line.level.as_str().to_owned()),
        source: Set("agent".to_owned()),
        message: Set(line.message.clone()),
        trace_id: Set(line.trace_id.clone()),
        application_id: Set(Some(submission.application_id)),
        instance_id: Set(Some(instance_id)),
        context: Set(serde_json::to_value(&line.context).unwrap_or_default()),
        logged_at: Set(line.logged_at.unwrap_or(report.reported_at)),
        received_at: Set(submission.received_at),
    })
}

/// Insert a new instance, or update an active one with the latest state. Disabled instances are
/// left alone (and so not returned). A soft-deleted instance that reports again comes back.
fn upsert_latest_state() -> OnConflict {
    use instances::Column as C;
    let mut on_conflict = OnConflict::columns([C::ApplicationId, C::AgentInstanceId]);
    on_conflict
        .update_columns([
            C::Hostname,
            C::IpAddress,
            C::PublicIp,
            C::MacAddress,
            C::OsType,
            C::OsVersion,
            C::KernelVersion,
            C::AgentVersion,
            C::CpuModel,
            C::CpuCores,
            C::CpuUsagePercent,
            C::MemoryUsagePercent,
            C::DiskUsagePercent,
            C::MemoryTotalBytes,
            C::DiskTotalBytes,
            C::LoadAverage1m,
            C::UptimeSeconds,
            C::Environment,
            C::CustomFields,
            C::Online,
            C::OfflineAt,
            C::LastReportAt,
            C::DeletedAt,
            C::UpdatedAt,
        ])
        .value(
            C::ReportCount,
            Expr::col((instances::Entity, C::ReportCount)).add(Expr::col((
                sea_orm::sea_query::Alias::new("excluded"),
                C::ReportCount,
            ))),
        )
        .action_and_where(Expr::col((instances::Entity, C::Status)).eq(Status::Active.to_value()));
    on_conflict
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn instance_row(submission: &Submission, count: i64) -> instances::ActiveModel {
    let report = &submission.report;
    let hw = &report.hardware;
    let at = submission.received_at;
    instances::ActiveModel {
        id: Set(Uuid::now_v7()),
        application_id: Set(submission.application_id),
        agent_instance_id: Set(report.agent_instance_id.clone()),
        hostname: Set(report.system.hostname.clone()),
        ip_address: Set(report.network.ip_address.map(|ip| ip.to_string())),
        public_ip: Set(report.network.public_ip.map(|ip| ip.to_string())),
        mac_address: Set(report.network.mac_address.clone()),
        os_type: Set(serde_json::to_value(report.system.os_type)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".into())),
        os_version: Set(report.system.os_version.clone()),
        kernel_version: Set(report.system.kernel_version.clone()),
        agent_version: Set(report.agent_version.clone()),
        cpu_model: Set(hw.cpu_model.clone()),
        cpu_cores: Set(hw.cpu_cores.map(|c| i32::try_from(c).unwrap_or(i32::MAX))),
        cpu_usage_percent: Set(hw.cpu_usage_percent),
        memory_usage_percent: Set(hw.memory_usage_percent()),
        disk_usage_percent: Set(hw.disk_usage_percent()),
        memory_total_bytes: Set(to_i64(hw.memory_total_bytes)),
        disk_total_bytes: Set(to_i64(hw.disk_total_bytes)),
        load_average_1m: Set(hw.load_average_1m),
        uptime_seconds: Set(report.system.uptime_seconds.map(to_i64)),
        environment: Set(serde_json::to_value(&report.environment).unwrap_or_default()),
        custom_fields: Set(serde_json::to_value(&report.custom_fields).unwrap_or_default()),
        config: Set(None),
        status: Set(Status::Active),
        online: Set(true),
        offline_at: Set(None),
        first_report_at: Set(at),
        last_report_at: Set(at),
        report_count: Set(count),
        deleted_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

fn report_row(instance_id: Uuid, submission: &Submission) -> instance_reports::ActiveModel {
    let report = &submission.report;
    let hw = &report.hardware;
    instance_reports::ActiveModel {
        id: Set(Uuid::now_v7()),
        instance_id: Set(instance_id),
        reported_at: Set(report.reported_at),
        received_at: Set(submission.received_at),
        cpu_usage_percent: Set(hw.cpu_usage_percent),
        memory_usage_percent: Set(hw.memory_usage_percent()),
        disk_usage_percent: Set(hw.disk_usage_percent()),
        memory_used_bytes: Set(to_i64(hw.memory_used_bytes)),
        memory_total_bytes: Set(to_i64(hw.memory_total_bytes)),
        disk_used_bytes: Set(to_i64(hw.disk_used_bytes)),
        disk_total_bytes: Set(to_i64(hw.disk_total_bytes)),
        load_average_1m: Set(hw.load_average_1m),
        process_uptime_seconds: Set(report.runtime.process_uptime_seconds.map(to_i64)),
        thread_count: Set(report
            .runtime
            .thread_count
            .map(|c| i32::try_from(c).unwrap_or(i32::MAX))),
        custom_metrics: Set(serde_json::to_value(&report.custom_metrics).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal valid report of `agent` for `application_id`.
    fn submission(application_id: Uuid, agent: &str) -> Submission {
        Submission {
            application_id,
            report: serde_json::from_value(serde_json::json!({
                "agent_instance_id": agent,
                "agent_version": "1",
                "reported_at": "2026-12-03T10:00:00Z",
                "system": {"os_type": "linux", "hostname": "h"},
                "hardware": {
                    "cpu_usage_percent": 1.0,
                    "memory_total_bytes": 1, "memory_used_bytes": 1,
                    "disk_total_bytes": 1, "disk_used_bytes": 1
                }
            }))
            .expect("a valid report"),
            received_at: Utc::now(),
        }
    }

    #[test]
    fn chunks_are_powers_of_two_and_keep_every_row_in_order() {
        let rows: Vec<u32> = (0..1000).collect();
        for n in [0, 1, 2, 3, 61, 64, 255, 1000] {
            let chunks: Vec<&[u32]> = shaped_chunks(&rows[..n], 256).collect();
            assert!(
                chunks
                    .iter()
                    .all(|c| c.len().is_power_of_two() && c.len() <= 256)
            );
            let back: Vec<u32> = chunks.concat();
            assert_eq!(back, rows[..n]);
        }
        assert_eq!(
            shaped_chunks(&rows[..61], 256)
                .map(<[u32]>::len)
                .collect::<Vec<_>>(),
            [32, 16, 8, 4, 1]
        );
        assert_eq!(
            shaped_chunks(&rows[..5], 3)
                .map(<[u32]>::len)
                .collect::<Vec<_>>(),
            [2, 2, 1]
        );
    }

    /// Each instance has one writer, whatever else is queued; instances spread over writers.
    #[test]
    fn an_instance_always_goes_to_the_same_writer() {
        let queues: Vec<_> = (0..3).map(|_| mpsc::channel(1).0).collect();
        let writer = ReportWriter { queues };
        let index = |s: &Submission| {
            let queue = writer.queue_of(s);
            writer
                .queues
                .iter()
                .position(|q| q.same_channel(queue))
                .unwrap()
        };
        let application = Uuid::new_v4();
        let mut used = std::collections::HashSet::new();
        for n in 0..60 {
            let agent = format!("host-{n}");
            let first = index(&submission(application, &agent));
            assert_eq!(first, index(&submission(application, &agent)));
            used.insert(first);
        }
        assert_eq!(used.len(), 3, "60 instances use every writer");
    }

    /// With nobody storing, the queue fills and further reports are shed at once with a hint.
    #[tokio::test]
    async fn a_full_queue_sheds_instead_of_growing() {
        let (queue, _jobs) = mpsc::channel(2);
        let writer = ReportWriter {
            queues: vec![queue],
        };
        let submission = || submission(Uuid::nil(), "a");
        // Two fill the queue (their requests wait for the writer)…
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let writer = writer.clone();
                let s = submission();
                tokio::spawn(async move { writer.submit(s).await })
            })
            .collect();
        tokio::task::yield_now().await;
        while writer.queues[0].capacity() > 0 {
            tokio::task::yield_now().await;
        }
        // …the third is refused at once.
        match writer.submit(submission()).await {
            Err(ApiError::Busy {
                retry_after_secs, ..
            }) => assert_eq!(retry_after_secs, RETRY_AFTER_SECS),
            other => panic!("expected a shed report, got {other:?}"),
        }
        for task in waiting {
            task.abort();
        }
    }
}
