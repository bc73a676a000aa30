//! PostgreSQL: report history moves into daily partitions of `received_at`, so retention drops
//! whole days instead of deleting rows one by one (see [`crate::report_partitions`]). The primary
//! key becomes `(id, received_at)`, as a partitioned table requires. Existing rows are copied:
//! days that have rows get their own partition, as do today and the week ahead. SQLite keeps one
//! table (retention deletes in batches there).

use chrono::{Duration, NaiveDate, Utc};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::report_partitions;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Days ahead of today that get a partition when the migration runs (the server keeps this up).
pub const DAYS_AHEAD: i64 = 7;

const COLUMNS: &str = "
    id UUID NOT NULL,
    instance_id UUID NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    cpu_usage_percent DOUBLE PRECISION NOT NULL,
    memory_usage_percent DOUBLE PRECISION NOT NULL,
    disk_usage_percent DOUBLE PRECISION NOT NULL,
    memory_used_bytes BIGINT NOT NULL,
    memory_total_bytes BIGINT NOT NULL,
    disk_used_bytes BIGINT NOT NULL,
    disk_total_bytes BIGINT NOT NULL,
    load_average_1m DOUBLE PRECISION,
    process_uptime_seconds BIGINT,
    thread_count INTEGER,
    custom_metrics JSON NOT NULL";

/// Frees the names the new table takes.
const SET_ASIDE: &str = "
ALTER TABLE instance_reports RENAME TO instance_reports_previous;
ALTER TABLE instance_reports_previous
    RENAME CONSTRAINT instance_reports_pkey TO instance_reports_previous_pkey;
ALTER TABLE instance_reports_previous
    RENAME CONSTRAINT fk_instance_reports_instance TO fk_instance_reports_previous_instance;
ALTER INDEX idx_instance_reports_instance_time RENAME TO idx_instance_reports_previous_instance_time;
ALTER INDEX idx_instance_reports_received RENAME TO idx_instance_reports_previous_received;
";

fn constraints_and_indexes() -> &'static str {
    "ALTER TABLE instance_reports ADD CONSTRAINT fk_instance_reports_instance \
         FOREIGN KEY (instance_id) REFERENCES instances (id) ON DELETE CASCADE;
     CREATE INDEX idx_instance_reports_instance_time ON instance_reports (instance_id, received_at);
     CREATE INDEX idx_instance_reports_received ON instance_reports (received_at);"
}

async fn days_with_rows(db: &SchemaManagerConnection<'_>) -> Result<Vec<NaiveDate>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT DISTINCT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') \
             FROM instance_reports_previous",
        ))
        .await?;
    rows.iter()
        .map(|row| {
            let text: String = row.try_get_by_index(0)?;
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map_err(|e| DbErr::Migration(format!("unexpected day {text:?}: {e}")))
        })
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(SET_ASIDE).await?;
        db.execute_unprepared(&format!(
            "CREATE TABLE instance_reports ({COLUMNS}, \
                 CONSTRAINT instance_reports_pkey PRIMARY KEY (id, received_at)) \
             PARTITION BY RANGE (received_at);
             {}
             CREATE TABLE {} PARTITION OF instance_reports DEFAULT;",
            constraints_and_indexes(),
            report_partitions::DEFAULT_PARTITION,
        ))
        .await?;
        let today = Utc::now().date_naive();
        let mut days = days_with_rows(db).await?;
        days.extend((0..=DAYS_AHEAD).map(|n| today + Duration::days(n)));
        days.sort();
        days.dedup();
        for day in days {
            db.execute_unprepared(&report_partitions::create(day))
                .await?;
        }
        db.execute_unprepared(
            "INSERT INTO instance_reports SELECT * FROM instance_reports_previous;
             DROP TABLE instance_reports_previous;",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(SET_ASIDE).await?;
        db.execute_unprepared(&format!(
            "CREATE TABLE instance_reports ({COLUMNS}, \
                 CONSTRAINT instance_reports_pkey PRIMARY KEY (id));
             {}
             INSERT INTO instance_reports SELECT * FROM instance_reports_previous;
             DROP TABLE instance_reports_previous;",
            constraints_and_indexes(),
        ))
        .await?;
        Ok(())
    }
}
