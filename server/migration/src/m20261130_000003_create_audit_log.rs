//! The audit log: one row per mutation with who did it, what changed, and the before/after state.
//! Rows keep the actor's username so the trail survives the actor's deletion.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_uuid(AuditLog::Id))
                    .col(uuid_null(AuditLog::ActorId))
                    .col(string_len(AuditLog::ActorUsername, 64))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::ResourceType, 32))
                    .col(string_len_null(AuditLog::ResourceId, 64))
                    .col(json_null(AuditLog::Before))
                    .col(json_null(AuditLog::After))
                    .col(string_len_null(AuditLog::RequestId, 64))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_created_at")
                    .table(AuditLog::Table)
                    .col(AuditLog::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_resource")
                    .table(AuditLog::Table)
                    .col(AuditLog::ResourceType)
                    .col(AuditLog::ResourceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    ActorId,
    ActorUsername,
    Action,
    ResourceType,
    ResourceId,
    Before,
    After,
    RequestId,
    CreatedAt,
}
