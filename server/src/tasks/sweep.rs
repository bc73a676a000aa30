//! The server's clock on tasks: dispatched records whose lease lapsed go back to `pending`;
//! running records past their deadline time out (or, with attempts left, go back to `pending`).
//! On PostgreSQL one replica sweeps at a time (advisory lock); every change is conditional on the
//! state it leaves, so a second sweep would change nothing anyway.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::notifier::{TaskNotifier, announce};
use crate::db::{begin_write, try_advisory_xact_lock};
use crate::entity::task_records::{self, RecordStatus};
use crate::entity::tasks;
use crate::events::{Event, EventHub};

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
            woken.push(record.instance_id);
            swept.requeued += 1;
            swept.events.push(updated(&record, RecordStatus::Pending));
        } else {
            update = update
                .col_expr(C::Status, Expr::value(RecordStatus::Timeout))
                .col_expr(C::FinishedAt, Expr::value(now));
            swept.timed_out += 1;
            swept.events.push(updated(&record, RecordStatus::Timeout));
        }
        update.exec(&txn).await?;
    }
    woken.sort();
    woken.dedup();
    announce(&txn, &woken).await?;
    txn.commit().await?;
    swept.woken = woken;
    Ok(swept)
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
