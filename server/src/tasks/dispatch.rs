//! The agent's side of tasks: claiming pending records (with a lease), learning of cancellations,
//! acknowledging, and answering. Every step checks that the record belongs to the calling
//! instance of the calling application.

use std::time::Duration;

use chrono::{DateTime, Utc};
use monihub_agent_protocol::limits::OUTPUT_MAX;
use monihub_agent_protocol::{TaskAssignment, TaskOutcome, TaskResult};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::db::begin_write;
use crate::entity::task_records::{self, RecordStatus};
use crate::entity::{Status, instances, tasks};
use crate::error::{ApiError, ApiResult};

/// Records handed out per poll.
const RECORDS_PER_POLL: u64 = 10;
/// How long a dispatched record waits for its acknowledgement.
pub const LEASE: Duration = Duration::from_secs(30);
/// Slack on top of a task's timeout before the server calls it timed out (the agent's own
/// timeout fires first and reports).
pub const DEADLINE_GRACE: Duration = Duration::from_secs(30);

/// The calling instance: the application's instance with that agent id, live and enabled.
pub async fn calling_instance(
    db: &DatabaseConnection,
    application_id: Uuid,
    agent_instance_id: &str,
) -> ApiResult<instances::Model> {
    let instance = instances::Entity::find()
        .filter(instances::Column::ApplicationId.eq(application_id))
        .filter(instances::Column::AgentInstanceId.eq(agent_instance_id))
        .filter(instances::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("instance (send a report first)"))?;
    if instance.status != Status::Active {
        return Err(ApiError::Forbidden(
            "this instance is disabled; it receives no tasks".into(),
        ));
    }
    Ok(instance)
}

/// Hands out up to [`RECORDS_PER_POLL`] pending records of `instance`, highest priority first,
/// and the ids of records it holds that were cancelled since.
pub async fn claim(
    db: &DatabaseConnection,
    instance: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<(Vec<TaskAssignment>, Vec<Uuid>)> {
    use task_records::Column as C;
    let txn = begin_write(db).await?;
    // SKIP LOCKED: two polls of one instance (a restarted agent) never get the same record.
    let pending = task_records::Entity::find()
        .filter(C::InstanceId.eq(instance))
        .filter(C::Status.eq(RecordStatus::Pending))
        .order_by_desc(C::Priority)
        .order_by_asc(C::Id)
        .limit(RECORDS_PER_POLL)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    let lease_end = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
    let mut assignments = Vec::with_capacity(pending.len());
    if !pending.is_empty() {
        task_records::Entity::update_many()
            .col_expr(C::Status, Expr::value(RecordStatus::Dispatched))
            .col_expr(C::DispatchedAt, Expr::value(now))
            .col_expr(C::LeaseExpiresAt, Expr::value(lease_end))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::Id.is_in(pending.iter().map(|r| r.id)))
            .filter(C::Status.eq(RecordStatus::Pending))
            .exec(&txn)
            .await?;
        let task_ids: Vec<Uuid> = pending.iter().map(|r| r.task_id).collect();
        let tasks = tasks::Entity::find()
            .filter(tasks::Column::Id.is_in(task_ids))
            .all(&txn)
            .await?;
        for record in &pending {
            let Some(task) = tasks.iter().find(|t| t.id == record.task_id) else {
                continue;
            };
            let Ok(content) = serde_json::from_value(task.content.clone()) else {
                tracing::error!(task = %task.id, "a stored task content does not parse");
                continue;
            };
            assignments.push(TaskAssignment {
                record_id: record.id,
                task_id: task.id,
                content,
                timeout_seconds: u32::try_from(task.timeout_seconds).unwrap_or(1),
                priority: record.priority,
                attempt: u32::try_from(record.attempt).unwrap_or(1),
            });
        }
    }
    let cancelled: Vec<Uuid> = task_records::Entity::update_many()
        .col_expr(C::CancelDelivered, Expr::value(true))
        .filter(C::InstanceId.eq(instance))
        .filter(C::Status.eq(RecordStatus::Cancelled))
        .filter(C::DispatchedAt.is_not_null())
        .filter(C::CancelDelivered.eq(false))
        .exec_with_returning(&txn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    txn.commit().await?;
    Ok((assignments, cancelled))
}

/// The record, if it belongs to `instance`; others' records do not exist for the caller.
async fn own_record<C: sea_orm::ConnectionTrait>(
    db: &C,
    record_id: Uuid,
    instance: Uuid,
) -> ApiResult<task_records::Model> {
    task_records::Entity::find_by_id(record_id)
        .filter(task_records::Column::InstanceId.eq(instance))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("task record"))
}

/// The agent starts the work: `dispatched` (or a lapsed lease, back in `pending`) → `running`,
/// with the deadline set; returns the record if it changed. Acknowledging twice is harmless.
pub async fn acknowledge(
    db: &DatabaseConnection,
    instance: Uuid,
    record_id: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<Option<task_records::Model>> {
    let txn = begin_write(db).await?;
    let record = own_record(&txn, record_id, instance).await?;
    match record.status {
        RecordStatus::Running => return Ok(None),
        RecordStatus::Dispatched | RecordStatus::Pending => {}
        other => {
            return Err(ApiError::Conflict(format!(
                "the record is {}; do not run it",
                other.name()
            )));
        }
    }
    let task = tasks::Entity::find_by_id(record.task_id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    let timeout = Duration::from_secs(u64::try_from(task.timeout_seconds).unwrap_or(1));
    let deadline = now + chrono::Duration::from_std(timeout + DEADLINE_GRACE).unwrap_or_default();
    let mut model: task_records::ActiveModel = record.into();
    model.status = Set(RecordStatus::Running);
    model.started_at = Set(Some(now));
    model.deadline_at = Set(Some(deadline));
    model.lease_expires_at = Set(None);
    model.updated_at = Set(now);
    let record = model.update(&txn).await?;
    txn.commit().await?;
    Ok(Some(record))
}

fn final_status(outcome: TaskOutcome) -> RecordStatus {
    match outcome {
        TaskOutcome::Succeeded => RecordStatus::Succeeded,
        TaskOutcome::Failed => RecordStatus::Failed,
        TaskOutcome::TimedOut => RecordStatus::Timeout,
        TaskOutcome::Refused => RecordStatus::Refused,
    }
}

/// The first [`OUTPUT_MAX`] characters, and whether anything was cut.
fn capped(output: Option<String>) -> (Option<String>, bool) {
    match output {
        Some(text) if text.chars().count() > OUTPUT_MAX => {
            (Some(text.chars().take(OUTPUT_MAX).collect()), true)
        }
        other => (other, false),
    }
}

/// Stores a result. The same result sent again is accepted without change; a different one for a
/// finished record, or any for a cancelled one, is a 409. A failed or timed-out run with attempts
/// left goes back to `pending`.
pub async fn submit_result(
    db: &DatabaseConnection,
    instance: Uuid,
    record_id: Uuid,
    result: TaskResult,
    now: DateTime<Utc>,
) -> ApiResult<task_records::Model> {
    let txn = begin_write(db).await?;
    let record = own_record(&txn, record_id, instance).await?;
    let status = final_status(result.outcome);
    let (output, truncated) = capped(result.output);
    let truncated = truncated || result.output_truncated;
    let same = record.exit_code == result.exit_code
        && record.output == output
        && record.error == result.error;
    match record.status {
        RecordStatus::Cancelled => {
            return Err(ApiError::Conflict(
                "the task was cancelled; its result is not recorded".into(),
            ));
        }
        finished if !finished.is_open() => {
            return if finished == status && same {
                Ok(record)
            } else {
                Err(ApiError::Conflict(format!(
                    "the record already ended as {}",
                    finished.name()
                )))
            };
        }
        _ => {}
    }
    let task = tasks::Entity::find_by_id(record.task_id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    let again = matches!(status, RecordStatus::Failed | RecordStatus::Timeout)
        && record.attempt < task.max_attempts;
    let attempt = record.attempt;
    let mut model: task_records::ActiveModel = record.into();
    model.exit_code = Set(result.exit_code);
    model.output = Set(output);
    model.output_truncated = Set(truncated);
    model.error = Set(result.error);
    model.lease_expires_at = Set(None);
    model.deadline_at = Set(None);
    model.updated_at = Set(now);
    if again {
        model.status = Set(RecordStatus::Pending);
        model.attempt = Set(attempt + 1);
        model.dispatched_at = Set(None);
        model.started_at = Set(None);
    } else {
        model.status = Set(status);
        model.started_at = Set(result.started_at.or(Some(now)));
        model.finished_at = Set(Some(result.finished_at.unwrap_or(now)));
    }
    let stored = model.update(&txn).await?;
    if again {
        super::notifier::announce(&txn, &[instance]).await?;
    }
    txn.commit().await?;
    Ok(stored)
}
