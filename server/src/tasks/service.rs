//! Creating, listing, cancelling and retrying tasks (the people's side).

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use monihub_agent_protocol::Validate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::dto::{CreateTask, RecordFilter, TaskDto, TaskFilter, TaskRecordDto};
use super::notifier::{TaskNotifier, announce};
use crate::agent::routes::invalid;
use crate::audit::{self, Actor, Change};
use crate::db::begin_write;
use crate::entity::task_records::{self, RecordStatus};
use crate::entity::{Status, instances, tasks};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::events::{Event, EventHub};
use crate::pagination::{Page, PageRequest, text_search};

const RESOURCE: &str = "task";
const MAX_TARGETS: usize = 1000;

fn check(input: &CreateTask) -> ApiResult<()> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut push = |field: &str, code: &str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            code: code.into(),
            message,
        })
    };
    let name_len = input.name.chars().count();
    if input.name.trim().is_empty() || name_len > 128 || input.name.contains('\0') {
        push(
            "name",
            "length",
            "must be 1 to 128 characters, not blank".into(),
        );
    }
    if input.instance_ids.is_empty() || input.instance_ids.len() > MAX_TARGETS {
        push(
            "instance_ids",
            "count",
            format!("name 1 to {MAX_TARGETS} instances"),
        );
    }
    if !(0..=100).contains(&input.priority) {
        push("priority", "range", "must be between 0 and 100".into());
    }
    if !(1..=86_400).contains(&input.timeout_seconds) {
        push(
            "timeout_seconds",
            "range",
            "must be between 1 and 86400".into(),
        );
    }
    if !(1..=10).contains(&input.max_attempts) {
        push("max_attempts", "range", "must be between 1 and 10".into());
    }
    if let Err(violations) = input.content.validate(Utc::now())
        && let ApiError::Validation(content_errors) = invalid(violations)
    {
        errors.extend(content_errors.into_iter().map(|mut e| {
            e.field = format!("content.{}", e.field);
            e
        }));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        Err(ApiError::Validation(errors))
    }
}

/// Records of these tasks by status.
async fn record_counts<C: sea_orm::ConnectionTrait>(
    db: &C,
    task_ids: &[Uuid],
) -> ApiResult<BTreeMap<Uuid, BTreeMap<String, u64>>> {
    #[derive(Debug, sea_orm::FromQueryResult)]
    struct Count {
        task_id: Uuid,
        status: RecordStatus,
        n: i64,
    }
    let mut counts: BTreeMap<Uuid, BTreeMap<String, u64>> = BTreeMap::new();
    if task_ids.is_empty() {
        return Ok(counts);
    }
    let rows = task_records::Entity::find()
        .select_only()
        .column(task_records::Column::TaskId)
        .column(task_records::Column::Status)
        .column_as(task_records::Column::Id.count(), "n")
        .filter(task_records::Column::TaskId.is_in(task_ids.to_vec()))
        .group_by(task_records::Column::TaskId)
        .group_by(task_records::Column::Status)
        .into_model::<Count>()
        .all(db)
        .await?;
    for row in rows {
        let status = row.status.name();
        counts
            .entry(row.task_id)
            .or_default()
            .insert(status, u64::try_from(row.n).unwrap_or(0));
    }
    Ok(counts)
}

/// Creates a task and one pending record per instance, and wakes their agents.
pub async fn create(
    db: &DatabaseConnection,
    notifier: &TaskNotifier,
    events: &EventHub,
    actor: &Actor,
    input: CreateTask,
) -> ApiResult<TaskDto> {
    check(&input)?;
    let targets: BTreeSet<Uuid> = input.instance_ids.iter().copied().collect();
    let txn = begin_write(db).await?;
    let found = instances::Entity::find()
        .filter(instances::Column::Id.is_in(targets.iter().copied()))
        .filter(instances::Column::DeletedAt.is_null())
        .all(&txn)
        .await?;
    let usable: BTreeSet<Uuid> = found
        .iter()
        .filter(|i| i.status == Status::Active)
        .map(|i| i.id)
        .collect();
    let unusable: Vec<String> = targets
        .iter()
        .filter(|id| !usable.contains(id))
        .map(Uuid::to_string)
        .collect();
    if !unusable.is_empty() {
        return Err(ApiError::field(
            "instance_ids",
            "unavailable",
            format!(
                "these instances do not exist or are disabled: {}",
                unusable.join(", ")
            ),
        ));
    }
    let now = Utc::now();
    let content = serde_json::to_value(&input.content)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("failed to store a task")))?;
    let task = tasks::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(input.name.trim().to_owned()),
        task_type: Set(input.content.type_name().to_owned()),
        content: Set(content),
        priority: Set(input.priority),
        timeout_seconds: Set(i32::try_from(input.timeout_seconds).unwrap_or(i32::MAX)),
        max_attempts: Set(i32::try_from(input.max_attempts).unwrap_or(1)),
        created_by: Set(actor.id),
        created_by_name: Set(actor.username.clone()),
        created_at: Set(now),
        cancelled_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let records: Vec<task_records::ActiveModel> = targets
        .iter()
        .map(|instance| task_records::ActiveModel {
            id: Set(Uuid::now_v7()),
            task_id: Set(task.id),
            instance_id: Set(*instance),
            status: Set(RecordStatus::Pending),
            priority: Set(task.priority),
            attempt: Set(1),
            dispatched_at: Set(None),
            lease_expires_at: Set(None),
            started_at: Set(None),
            deadline_at: Set(None),
            finished_at: Set(None),
            cancel_delivered: Set(false),
            exit_code: Set(None),
            output: Set(None),
            output_truncated: Set(false),
            error: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    for chunk in records.chunks(1000) {
        task_records::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let targets: Vec<Uuid> = targets.into_iter().collect();
    announce(&txn, &targets).await?;
    let dto = TaskDto::new(
        task,
        BTreeMap::from([("pending".to_owned(), targets.len() as u64)]),
    );
    audit::record(
        &txn,
        actor,
        Change {
            action: "task.create",
            resource_type: RESOURCE,
            resource_id: Some(dto.id.to_string()),
            before: None,
            after: audit::snapshot(&dto),
        },
    )
    .await?;
    txn.commit().await?;
    notifier.wake(targets);
    events
        .publish(
            records
                .iter()
                .filter_map(|r| match (&r.id, &r.instance_id) {
                    (Set(record_id), Set(instance_id)) => Some(Event::TaskUpdated {
                        task_id: dto.id,
                        record_id: *record_id,
                        instance_id: *instance_id,
                        status: RecordStatus::Pending,
                        at: now,
                    }),
                    _ => None,
                })
                .collect(),
        )
        .await;
    Ok(dto)
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &TaskFilter,
    page: PageRequest,
) -> ApiResult<Page<TaskDto>> {
    let mut query = tasks::Entity::find();
    if let Some(cond) = text_search(&[tasks::Column::Name], filter.q.as_deref()) {
        query = query.filter(cond);
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(tasks::Column::CreatedAt)
        .order_by_desc(tasks::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|t| t.id).collect();
    let mut counts = record_counts(db, &ids).await?;
    let items = rows
        .into_iter()
        .map(|t| {
            let c = counts.remove(&t.id).unwrap_or_default();
            TaskDto::new(t, c)
        })
        .collect();
    Ok(Page::new(items, total, page))
}

async fn find<C: sea_orm::ConnectionTrait>(db: &C, id: Uuid) -> ApiResult<tasks::Model> {
    tasks::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("task"))
}

pub async fn get(db: &DatabaseConnection, id: Uuid) -> ApiResult<TaskDto> {
    let task = find(db, id).await?;
    let counts = record_counts(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(TaskDto::new(task, counts))
}

/// Cancels every record not finished (pending ones are never handed out; agents running one are
/// told on their next poll). Cancelling again changes nothing.
pub async fn cancel(
    db: &DatabaseConnection,
    events: &EventHub,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<TaskDto> {
    let txn = begin_write(db).await?;
    let task = find(&txn, id).await?;
    let now = Utc::now();
    let cancelled: Vec<task_records::Model> = task_records::Entity::update_many()
        .col_expr(
            task_records::Column::Status,
            Expr::value(RecordStatus::Cancelled),
        )
        .col_expr(task_records::Column::FinishedAt, Expr::value(now))
        .col_expr(
            task_records::Column::LeaseExpiresAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(task_records::Column::UpdatedAt, Expr::value(now))
        .filter(task_records::Column::TaskId.eq(id))
        .filter(task_records::Column::Status.is_in(RecordStatus::OPEN))
        .exec_with_returning(&txn)
        .await?;
    let mut model: tasks::ActiveModel = task.clone().into();
    if task.cancelled_at.is_none() {
        model.cancelled_at = Set(Some(now));
    }
    let task = model.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            action: "task.cancel",
            resource_type: RESOURCE,
            resource_id: Some(id.to_string()),
            before: None,
            after: Some(serde_json::json!({ "cancelled_records": cancelled.len() })),
        },
    )
    .await?;
    let counts = record_counts(&txn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    txn.commit().await?;
    events
        .publish(
            cancelled
                .iter()
                .map(|r| Event::TaskUpdated {
                    task_id: r.task_id,
                    record_id: r.id,
                    instance_id: r.instance_id,
                    status: RecordStatus::Cancelled,
                    at: now,
                })
                .collect(),
        )
        .await;
    Ok(TaskDto::new(task, counts))
}

pub async fn records(
    db: &DatabaseConnection,
    id: Uuid,
    filter: &RecordFilter,
    page: PageRequest,
) -> ApiResult<Page<TaskRecordDto>> {
    find(db, id).await?;
    let mut query = task_records::Entity::find().filter(task_records::Column::TaskId.eq(id));
    if let Some(status) = filter.status {
        query = query.filter(task_records::Column::Status.eq(status));
    }
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_asc(task_records::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?
        .into_iter()
        .map(TaskRecordDto::from)
        .collect();
    Ok(Page::new(items, total, page))
}

/// Sends a failed, timed-out or refused record back to `pending` for another attempt.
pub async fn retry(
    db: &DatabaseConnection,
    notifier: &TaskNotifier,
    events: &EventHub,
    actor: &Actor,
    record_id: Uuid,
) -> ApiResult<TaskRecordDto> {
    let txn = begin_write(db).await?;
    let record = task_records::Entity::find_by_id(record_id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("task record"))?;
    if !matches!(
        record.status,
        RecordStatus::Failed | RecordStatus::Timeout | RecordStatus::Refused
    ) {
        return Err(ApiError::Conflict(format!(
            "only failed, timed-out or refused records can be retried; this one is {}",
            record.status.name()
        )));
    }
    let instance = record.instance_id;
    let before = TaskRecordDto::from(record.clone());
    let mut model: task_records::ActiveModel = record.clone().into();
    let now = Utc::now();
    model.status = Set(RecordStatus::Pending);
    model.attempt = Set(record.attempt.saturating_add(1));
    for field in [
        task_records::Column::DispatchedAt,
        task_records::Column::LeaseExpiresAt,
        task_records::Column::StartedAt,
        task_records::Column::DeadlineAt,
        task_records::Column::FinishedAt,
    ] {
        model.set(field, Option::<chrono::DateTime<Utc>>::None.into());
    }
    model.exit_code = Set(None);
    model.output = Set(None);
    model.output_truncated = Set(false);
    model.error = Set(None);
    model.updated_at = Set(now);
    let after = TaskRecordDto::from(model.update(&txn).await?);
    announce(&txn, &[instance]).await?;
    audit::record(
        &txn,
        actor,
        Change {
            action: "task_record.retry",
            resource_type: "task_record",
            resource_id: Some(record_id.to_string()),
            before: audit::snapshot(&before),
            after: audit::snapshot(&after),
        },
    )
    .await?;
    txn.commit().await?;
    notifier.wake([instance]);
    events
        .publish(vec![Event::TaskUpdated {
            task_id: after.task_id,
            record_id: after.id,
            instance_id: after.instance_id,
            status: after.status,
            at: now,
        }])
        .await;
    Ok(after)
}
