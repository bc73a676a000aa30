//! Every report rewrites its instance's latest state. Indexing `last_report_at` made each of those
//! writes touch every index of the table; without it, and with room left on each page
//! (PostgreSQL `fillfactor`), a report that changes no indexed column is a heap-only update. The
//! presence sweep that used the index reads the (small) live-instance table once per period
//! instead.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_instances_last_report")
                    .table(Instances::Table)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE instances SET (fillfactor = 70)")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE instances RESET (fillfactor)")
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_instances_last_report")
                    .table(Instances::Table)
                    .col(Instances::Online)
                    .col(Instances::LastReportAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Instances {
    Table,
    Online,
    LastReportAt,
}
