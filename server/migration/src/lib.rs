//! MoniHub's database schema as timestamped, reversible SeaORM migrations.
//!
//! Migrations are immutable once merged: change the schema by adding a new file, never by editing
//! an old one. No seed data lives here; built-in rows (such as the role catalogue) are ensured by the
//! server after migrating.

pub use sea_orm_migration::prelude::*;

mod m20261130_000001_create_auth_tables;
mod m20261130_000002_create_projects_and_applications;
mod m20261130_000003_create_audit_log;
mod m20261203_000004_auth_throttle;
mod m20261203_000005_instances;
mod m20261203_000006_logs;
mod m20261203_000007_tasks;
mod m20261203_000008_instance_set_version;
mod m20261203_000009_partition_report_history;
mod m20261203_000010_hot_instance_updates;
pub mod report_partitions;

/// The ordered list of every migration the server knows.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_create_auth_tables::Migration),
            Box::new(m20261130_000002_create_projects_and_applications::Migration),
            Box::new(m20261130_000003_create_audit_log::Migration),
            Box::new(m20261203_000004_auth_throttle::Migration),
            Box::new(m20261203_000005_instances::Migration),
            Box::new(m20261203_000006_logs::Migration),
            Box::new(m20261203_000007_tasks::Migration),
            Box::new(m20261203_000008_instance_set_version::Migration),
            Box::new(m20261203_000009_partition_report_history::Migration),
            Box::new(m20261203_000010_hot_instance_updates::Migration),
        ]
    }
}
