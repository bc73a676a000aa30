//! The server's clock on tasks: dispatched records whose lease lapsed go back to `pending`;
//! running records past their deadline time out (or, with attempts left, go back to `pending`).
//! On PostgreSQL one replica sweeps at a time (advisory lock); every change is conditional on the
//! state it leaves, so a second sweep would change nothing anyway.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use monihub_agent_protocol::LogLevel;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::notifier::{TaskNotifier, announce};
use crate::db::{begin_write, try_advisory_xact_lock};
use crate::entity::task_records::{self, RecordStatus};
use crate::entity::{instances, tasks};
use crate::events::{Event, EventHub};
use crate::logs::operations::{self, Operation};

/// The advisory lock key of the task sweep ("monihub" + 3).
const SWEEP_LOCK: i64 = 0x6d6f_6e69_6875_6203;
/// How often the sweep runs.
const PERIOD: Duration = Duration::from_secs(5);

/// What one sweep changed.
#[derive(Debug, Default, PartialEq)]
pub struct Swept {
    pub requeued: u64,
    pub timed_out: u64,
    /// The instances with records pending again (to wake).
    pub woken: Vec<Uuid>,
    /// One `task.updated` per changed record.
    pub events: Vec<Event>,
}

/// One sweep at `now`.
pub async fn sweep(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Swept, sea_orm::DbErr> {
    use task_records::Column as C;
    let txn = begin_write(db).await?;
    if !try_advisory_xact_lock(&txn, SWEEP_LOCK).await? {
        return Ok(Swept::default());
    }
    let none = Option::<DateTime<Utc>>::None;
    let lapsed = task_records::Entity::update_many()
        .col_expr(C::Status, Expr::value(RecordStatus::Pending))
        .col_expr(C::LeaseExpiresAt, Expr::value(none))
        .col_expr(C::DispatchedAt, Expr::value(none))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Status.eq(RecordStatus::Dispatched))
        .filter(C::LeaseExpiresAt.lt(now))
        .exec_with_returning(&txn)
        .await?;
    let overdue = task_records::Entity::find()
        .filter(C::Status.eq(RecordStatus::Running))
        .filter(C::DeadlineAt.lt(now))
        .all(&txn)
        .await?;
    let task_ids: Vec<Uuid> = overdue.iter().map(|r| r.task_id).collect();
    let tasks = tasks::Entity::find()
        .filter(tasks::Column::Id.is_in(task_ids))
        .all(&txn)
        .await?;
    let updated = |record: &task_records::Model, status: RecordStatus| Event::TaskUpdated {
        task_id: record.task_id,
        record_id: record.id,
        instance_id: record.instance_id,
        status,
        at: now,
    };
    let mut swept = Swept {
        requeued: lapsed.len() as u64,
        events: lapsed
            .iter()
            .map(|r| updated(r, RecordStatus::Pending))
            .collect(),
        ..Swept::default()
    };
    let mut woken: Vec<Uuid> = lapsed.iter().map(|r| r.instance_id).collect();
    let mut lines: Vec<Operation> = lapsed
        .iter()
        .map(|record| {
            line(
                LogLevel::Info,
                "task record not acknowledged in time: handed out again",
                record,
            )
        })
        .collect();
    for record in overdue {
        let attempts = tasks
            .iter()
            .find(|t| t.id == record.task_id)
            .map_or(1, |t| t.max_attempts);
        let again = record.attempt < attempts;
        let mut update = task_records::Entity::update_many()
            .col_expr(C::DeadlineAt, Expr::value(none))
            .col_expr(C::Error, Expr::value("no result before the deadline"))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::Id.eq(record.id))
            .filter(C::Status.eq(RecordStatus::Running));
        if again {
            update = update
                .col_expr(C::Status, Expr::value(RecordStatus::Pending))
                .col_expr(C::Attempt, Expr::value(record.attempt + 1))
                .col_expr(C::StartedAt, Expr::value(none))
                .col_expr(C::DispatchedAt, Expr::value(none));
        } else {
            update = update
                .col_expr(C::Status, Expr::value(RecordStatus::Timeout))
                .col_expr(C::FinishedAt, Expr::value(now));
        }
        // A result that arrived meanwhile wins: then nothing changes here.
        if update.exec(&txn).await?.rows_affected == 0 {
            continue;
        }
        if again {
            woken.push(record.instance_id);
            swept.requeued += 1;
            swept.events.push(updated(&record, RecordStatus::Pending));
            lines.push(line(
                LogLevel::Warn,
                "task record got no result before its deadline: retrying",
                &record,
            ));
        } else {
            swept.timed_out += 1;
            swept.events.push(updated(&record, RecordStatus::Timeout));
            lines.push(line(
                LogLevel::Warn,
                "task record got no result before its deadline: timed out",
                &record,
            ));
        }
    }
    woken.sort();
    woken.dedup();
    announce(&txn, &woken).await?;
    with_applications(&txn, &mut lines).await?;
    operations::record(&txn, Uuid::now_v7(), now, lines).await?;
    txn.commit().await?;
    swept.woken = woken;
    Ok(swept)
}

/// A server log line about a record (its application is filled in later, in one query).
fn line(level: LogLevel, message: &str, record: &task_records::Model) -> Operation {
    Operation {
        level,
        message: message.to_owned(),
        application_id: None,
        instance_id: Some(record.instance_id),
        context: serde_json::json!({
            "task_id": record.task_id,
            "record_id": record.id,
            "attempt": record.attempt,
        }),
    }
}

/// Fills in the application of each line's instance.
async fn with_applications(
    txn: &DatabaseTransaction,
    lines: &mut [Operation],
) -> Result<(), sea_orm::DbErr> {
    let ids: Vec<Uuid> = lines.iter().filter_map(|l| l.instance_id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let applications: HashMap<Uuid, Uuid> = instances::Entity::find()
        .select_only()
        .column(instances::Column::Id)
        .column(instances::Column::ApplicationId)
        .filter(instances::Column::Id.is_in(ids))
        .into_tuple::<(Uuid, Uuid)>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    for line in lines {
        line.application_id = line
            .instance_id
            .and_then(|id| applications.get(&id).copied());
    }
    Ok(())
}

/// Sweeps every few seconds for as long as the runtime lives.
pub fn spawn(db: DatabaseConnection, notifier: Arc<TaskNotifier>, events: EventHub) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PERIOD);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match sweep(&db, Utc::now()).await {
                Ok(swept) => {
                    notifier.wake(swept.woken.iter().copied());
                    if swept.requeued + swept.timed_out > 0 {
                        tracing::info!(
                            requeued = swept.requeued,
                            timed_out = swept.timed_out,
                            "task sweep re-queued or timed out records"
                        );
                    }
                    events.publish(swept.events).await;
                }
                Err(err) => tracing::warn!(error = %err, "task sweep failed; retrying later"),
            }
        }
    });
}
