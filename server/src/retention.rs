//! Retention: report history and log lines older than their configured age are deleted, in
//! bounded batches (each its own short transaction, so neither the database nor other writers
//! stall), and on PostgreSQL by one replica at a time (a transaction-scoped advisory lock per
//! batch; a replica that cannot take it ends its run and leaves the work to the one holding it).
//!
//! On PostgreSQL report history lives in daily partitions (see
//! [`migration::report_partitions`]): whole days past retention are dropped as tables, and only
//! the rest (the day the cutoff falls in, and rows in the default partition) is deleted in batches.
//! The server keeps partitions a week ahead of today.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use migration::report_partitions;
use monihub_agent_protocol::LogLevel;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DeleteMany, EntityTrait,
    QueryFilter, Statement,
};
use uuid::Uuid;

use crate::db::{begin_write, try_advisory_xact_lock};
use crate::entity::{instance_reports, logs};
use crate::logs::operations::{self, Operation};

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
    /// Report rows deleted one batch at a time.
    pub reports: u64,
    /// Whole days of report history dropped (PostgreSQL).
    pub report_partitions: u64,
    pub logs: u64,
}

/// Days after today that always have a report-history partition (PostgreSQL).
pub const PARTITION_DAYS_AHEAD: i64 = 7;

async fn report_partition_names<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, sea_orm::DbErr> {
    db.query_all_raw(Statement::from_string(
        DbBackend::Postgres,
        report_partitions::LIST,
    ))
    .await?
    .iter()
    .map(|row| row.try_get_by_index::<String>(0))
    .collect()
}

/// The days that have a report-history partition of their own (PostgreSQL; empty on SQLite).
pub async fn report_partition_days(
    db: &DatabaseConnection,
) -> Result<Vec<NaiveDate>, sea_orm::DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(Vec::new());
    }
    Ok(report_partition_names(db)
        .await?
        .iter()
        .filter_map(|name| report_partitions::day_of(name))
        .collect())
}

/// PostgreSQL: gives every day from `from` to `to` its report-history partition; answers how many
/// were created. Each day is its own transaction, so one that cannot be created (rows of that day
/// already sit in the default partition) is reported and does not stop the others. Nothing to do
/// on SQLite.
pub async fn ensure_report_partitions(
    db: &DatabaseConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<u64, sea_orm::DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(0);
    }
    let existing: HashSet<String> = report_partition_names(db).await?.into_iter().collect();
    let mut created = 0;
    for day in from.iter_days().take_while(|day| *day <= to) {
        let name = report_partitions::name(day);
        if existing.contains(&name) {
            continue;
        }
        let txn = begin_write(db).await?;
        // Replicas create the same partitions; one at a time, and `IF NOT EXISTS` for the rest.
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [PARTITION_LOCK.into()],
        ))
        .await?;
        match txn
            .execute_unprepared(&report_partitions::create(day))
            .await
        {
            Ok(_) => {
                txn.commit().await?;
                created += 1;
            }
            Err(err) => {
                tracing::error!(partition = %name, error = %err, "could not create a report-history partition; that day's reports stay in the default partition");
            }
        }
    }
    Ok(created)
}

/// The advisory lock key for creating partitions ("monihub" + 4).
const PARTITION_LOCK: i64 = 0x6d6f_6e69_6875_6204;

/// PostgreSQL: drops the partitions whose whole day is older than `cutoff`. `None` when another
/// replica holds the retention lock.
async fn drop_report_partitions(
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
) -> Result<Option<u64>, sea_orm::DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(Some(0));
    }
    let txn = begin_write(db).await?;
    if !try_advisory_xact_lock(&txn, RETENTION_LOCK).await? {
        return Ok(None);
    }
    // Dropping a partition briefly locks the parent; never queue writers behind a long wait.
    txn.execute_unprepared("SET LOCAL lock_timeout = '5s'")
        .await?;
    let mut dropped = 0;
    for name in report_partition_names(&txn).await? {
        // Only names that parse as one of ours reach the statement.
        let Some(day) = report_partitions::day_of(&name) else {
            continue;
        };
        if report_partitions::end_of(day) <= cutoff {
            txn.execute_unprepared(&format!("DROP TABLE {name}"))
                .await?;
            dropped += 1;
        }
    }
    txn.commit().await?;
    Ok(Some(dropped))
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

/// Deletes rows older than their retention at `now`, `batch` rows at a time, and says what it
/// removed in one server log line.
pub async fn prune(
    db: &DatabaseConnection,
    retention: Retention,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<Removed, sea_orm::DbErr> {
    let removed = remove_past(db, retention, now, batch).await?;
    if removed != Removed::default() {
        let line = Operation {
            level: LogLevel::Info,
            message: format!(
                "retention removed {} report rows, {} days of report history and {} log lines",
                removed.reports, removed.report_partitions, removed.logs
            ),
            application_id: None,
            instance_id: None,
            context: serde_json::json!({
                "reports": removed.reports,
                "report_partitions": removed.report_partitions,
                "logs": removed.logs,
                "report_retention_seconds": retention.reports.as_secs(),
                "log_retention_seconds": retention.logs.as_secs(),
            }),
        };
        operations::record(db, Uuid::now_v7(), now, vec![line]).await?;
    }
    Ok(removed)
}

/// Deletes rows older than their retention at `now`, `batch` rows at a time.
async fn remove_past(
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
    match drop_report_partitions(db, cutoff(retention.reports)).await? {
        Some(dropped) => removed.report_partitions = dropped,
        None => return Ok(removed),
    }
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
