//! Retention: report history and log lines older than their configured age are deleted, in
//! bounded batches (each its own short transaction, so neither the database nor other writers
//! stall), and on PostgreSQL by one replica at a time (a transaction-scoped advisory lock per
//! batch; a replica that cannot take it ends its run and leaves the work to the one holding it).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, DatabaseConnection, DeleteMany, EntityTrait, QueryFilter};

use crate::db::{begin_write, try_advisory_xact_lock};
use crate::entity::{instance_reports, logs};

/// Rows deleted per statement.
pub const BATCH_ROWS: u64 = 5000;
/// Batches per table and run, so one run is bounded too (the next run continues).
const MAX_BATCHES: u32 = 200;
/// The advisory lock key of retention ("monihub" + 2).
const RETENTION_LOCK: i64 = 0x6d6f_6e69_6875_6202;

/// How long rows are kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub reports: Duration,
    pub logs: Duration,
}

/// What one run deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Removed {
    pub reports: u64,
    pub logs: u64,
}

/// The tables retention prunes.
#[derive(Debug, Clone, Copy)]
enum Table {
    Reports,
    Logs,
}

impl Table {
    /// `DELETE … WHERE id IN (SELECT id … WHERE received_at < cutoff LIMIT batch)`.
    fn delete_batch(self, cutoff: DateTime<Utc>, batch: u64) -> Delete {
        fn oldest<C: ColumnTrait>(
            id: C,
            received_at: C,
            cutoff: DateTime<Utc>,
            batch: u64,
        ) -> SelectStatement {
            Query::select()
                .column(id)
                .from(id.entity_name())
                .and_where(received_at.lt(cutoff))
                .limit(batch)
                .to_owned()
        }
        match self {
            Table::Reports => {
                use instance_reports::Column as C;
                Delete::Reports(
                    instance_reports::Entity::delete_many().filter(C::Id.in_subquery(oldest(
                        C::Id,
                        C::ReceivedAt,
                        cutoff,
                        batch,
                    ))),
                )
            }
            Table::Logs => {
                use logs::Column as C;
                Delete::Logs(logs::Entity::delete_many().filter(C::Id.in_subquery(oldest(
                    C::Id,
                    C::ReceivedAt,
                    cutoff,
                    batch,
                ))))
            }
        }
    }
}

enum Delete {
    Reports(DeleteMany<instance_reports::Entity>),
    Logs(DeleteMany<logs::Entity>),
}

/// One batch in its own write transaction holding the retention lock; `None` when another replica
/// holds it.
async fn run_batch(
    db: &DatabaseConnection,
    table: Table,
    cutoff: DateTime<Utc>,
    batch: u64,
) -> Result<Option<u64>, sea_orm::DbErr> {
    let txn = begin_write(db).await?;
    if !try_advisory_xact_lock(&txn, RETENTION_LOCK).await? {
        return Ok(None);
    }
    let deleted = match table.delete_batch(cutoff, batch) {
        Delete::Reports(delete) => delete.exec(&txn).await?,
        Delete::Logs(delete) => delete.exec(&txn).await?,
    }
    .rows_affected;
    txn.commit().await?;
    Ok(Some(deleted))
}

/// Deletes rows older than their retention at `now`, `batch` rows at a time.
pub async fn prune(
    db: &DatabaseConnection,
    retention: Retention,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<Removed, sea_orm::DbErr> {
    // Both ages are bounded by the settings, so the conversion cannot fail.
    let cutoff = |age: Duration| {
        now - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::days(3650))
    };
    let mut removed = Removed::default();
    for table in [Table::Reports, Table::Logs] {
        let (age, count) = match table {
            Table::Reports => (retention.reports, &mut removed.reports),
            Table::Logs => (retention.logs, &mut removed.logs),
        };
        for _ in 0..MAX_BATCHES {
            // Another replica holds the lock: it carries on with every table, this one stops (if
            // both stopped on each other, nobody would finish).
            let Some(deleted) = run_batch(db, table, cutoff(age), batch).await? else {
                return Ok(removed);
            };
            *count += deleted;
            if deleted < batch {
                break;
            }
        }
    }
    Ok(removed)
}
