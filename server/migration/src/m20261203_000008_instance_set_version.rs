//! A version number of "which instances exist and what lists can filter them by", so an instance
//! list can reuse an exact total instead of counting the fleet on every page.
//!
//! Triggers bump `instance_set_version.version` whenever a committed change could alter the result
//! of any list filter: an instance registered or removed; its host name, IP address, agent id,
//! status, online state or deletion changed; an application moved to another project or deleted.
//! Reports that only refresh metrics leave it alone, so a busy fleet keeps its cached totals.
//!
//! On PostgreSQL the bump is a deferred constraint trigger: it runs at commit, after every row lock
//! of the transaction is taken, so the one counter row can never be part of a deadlock, and it runs
//! once per transaction however many rows changed. On SQLite writers are serialised anyway
//! (`BEGIN IMMEDIATE`), so plain row triggers are enough.
//!
//! The live-instance list order also gets a partial index, so a page is read in order without
//! relying on fresh planner statistics.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns whose change can move an instance in or out of a filtered list.
const FILTERED_COLUMNS: [&str; 7] = [
    "application_id",
    "agent_instance_id",
    "hostname",
    "ip_address",
    "status",
    "online",
    "deleted_at",
];

fn changed(columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| format!("OLD.{c} IS DISTINCT FROM NEW.{c}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn postgres_up() -> String {
    let instance_changed = changed(&FILTERED_COLUMNS);
    format!(
        r#"
CREATE TABLE instance_set_version (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO instance_set_version (id, version) VALUES (1, 0);

CREATE FUNCTION monihub_bump_instance_set_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Once per transaction: the setting is transaction-local.
    IF current_setting('monihub.instance_set_bumped', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('monihub.instance_set_bumped', 'on', true);
    UPDATE instance_set_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER instances_set_changed_insert_delete
    AFTER INSERT OR DELETE ON instances
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION monihub_bump_instance_set_version();
CREATE CONSTRAINT TRIGGER instances_set_changed_update
    AFTER UPDATE ON instances
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN ({instance_changed})
    EXECUTE FUNCTION monihub_bump_instance_set_version();
CREATE CONSTRAINT TRIGGER applications_set_changed_update
    AFTER UPDATE ON applications
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION monihub_bump_instance_set_version();
CREATE CONSTRAINT TRIGGER applications_set_changed_delete
    AFTER DELETE ON applications
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION monihub_bump_instance_set_version();
"#
    )
}

fn sqlite_up() -> String {
    let instance_changed = changed(&FILTERED_COLUMNS);
    let bump = "UPDATE instance_set_version SET version = version + 1 WHERE id = 1;";
    format!(
        r#"
CREATE TABLE instance_set_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO instance_set_version (id, version) VALUES (1, 0);
CREATE TRIGGER instances_set_changed_insert AFTER INSERT ON instances
    BEGIN {bump} END;
CREATE TRIGGER instances_set_changed_delete AFTER DELETE ON instances
    BEGIN {bump} END;
CREATE TRIGGER instances_set_changed_update AFTER UPDATE ON instances
    WHEN {instance_changed}
    BEGIN {bump} END;
CREATE TRIGGER applications_set_changed_update AFTER UPDATE ON applications
    WHEN OLD.project_id IS NOT NEW.project_id
    BEGIN {bump} END;
CREATE TRIGGER applications_set_changed_delete AFTER DELETE ON applications
    BEGIN {bump} END;
"#
    )
}

const POSTGRES_DOWN: &str = r#"
DROP TRIGGER applications_set_changed_delete ON applications;
DROP TRIGGER applications_set_changed_update ON applications;
DROP TRIGGER instances_set_changed_update ON instances;
DROP TRIGGER instances_set_changed_insert_delete ON instances;
DROP FUNCTION monihub_bump_instance_set_version();
DROP TABLE instance_set_version;
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER applications_set_changed_delete;
DROP TRIGGER applications_set_changed_update;
DROP TRIGGER instances_set_changed_update;
DROP TRIGGER instances_set_changed_delete;
DROP TRIGGER instances_set_changed_insert;
DROP TABLE instance_set_version;
"#;

// Both backends accept the same partial-index statement.
const LIVE_INDEX_UP: &str = "CREATE INDEX idx_instances_live_hostname \
     ON instances (hostname, id) WHERE deleted_at IS NULL";
const LIVE_INDEX_DOWN: &str = "DROP INDEX idx_instances_live_hostname";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let script = match manager.get_database_backend() {
            DatabaseBackend::Postgres => postgres_up(),
            DatabaseBackend::Sqlite => sqlite_up(),
            other => {
                return Err(DbErr::Migration(format!(
                    "unsupported database backend {other:?}"
                )));
            }
        };
        db.execute_unprepared(&script).await?;
        db.execute_unprepared(LIVE_INDEX_UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(LIVE_INDEX_DOWN).await?;
        let script = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        db.execute_unprepared(script).await?;
        Ok(())
    }
}
