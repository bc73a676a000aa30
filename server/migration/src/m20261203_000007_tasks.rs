//! Remote tasks and their per-instance records.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .col(pk_uuid(Tasks::Id))
                    .col(string_len(Tasks::Name, 128))
                    .col(string_len(Tasks::TaskType, 32))
                    .col(json(Tasks::Content))
                    .col(integer(Tasks::Priority))
                    .col(integer(Tasks::TimeoutSeconds))
                    .col(integer(Tasks::MaxAttempts))
                    .col(uuid_null(Tasks::CreatedBy))
                    .col(string_len(Tasks::CreatedByName, 64))
                    .col(timestamp_with_time_zone(Tasks::CreatedAt))
                    .col(timestamp_with_time_zone_null(Tasks::CancelledAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tasks_created")
                    .table(Tasks::Table)
                    .col(Tasks::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TaskRecords::Table)
                    .col(pk_uuid(TaskRecords::Id))
                    .col(uuid(TaskRecords::TaskId))
                    .col(uuid(TaskRecords::InstanceId))
                    .col(string_len(TaskRecords::Status, 16))
                    .col(integer(TaskRecords::Priority))
                    .col(integer(TaskRecords::Attempt))
                    .col(timestamp_with_time_zone_null(TaskRecords::DispatchedAt))
                    .col(timestamp_with_time_zone_null(TaskRecords::LeaseExpiresAt))
                    .col(timestamp_with_time_zone_null(TaskRecords::StartedAt))
                    .col(timestamp_with_time_zone_null(TaskRecords::DeadlineAt))
                    .col(timestamp_with_time_zone_null(TaskRecords::FinishedAt))
                    .col(boolean(TaskRecords::CancelDelivered))
                    .col(integer_null(TaskRecords::ExitCode))
                    .col(text_null(TaskRecords::Output))
                    .col(boolean(TaskRecords::OutputTruncated))
                    .col(text_null(TaskRecords::Error))
                    .col(timestamp_with_time_zone(TaskRecords::CreatedAt))
                    .col(timestamp_with_time_zone(TaskRecords::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_task_records_task")
                            .from(TaskRecords::Table, TaskRecords::TaskId)
                            .to(Tasks::Table, Tasks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_task_records_instance")
                            .from(TaskRecords::Table, TaskRecords::InstanceId)
                            .to(Instances::Table, Instances::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_task_records_task", vec![TaskRecords::TaskId]),
            (
                "idx_task_records_instance_status",
                vec![TaskRecords::InstanceId, TaskRecords::Status],
            ),
            (
                "idx_task_records_status_lease",
                vec![TaskRecords::Status, TaskRecords::LeaseExpiresAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(TaskRecords::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TaskRecords::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Tasks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Instances {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    Name,
    TaskType,
    Content,
    Priority,
    TimeoutSeconds,
    MaxAttempts,
    CreatedBy,
    CreatedByName,
    CreatedAt,
    CancelledAt,
}

#[derive(DeriveIden)]
enum TaskRecords {
    Table,
    Id,
    TaskId,
    InstanceId,
    Status,
    Priority,
    Attempt,
    DispatchedAt,
    LeaseExpiresAt,
    StartedAt,
    DeadlineAt,
    FinishedAt,
    CancelDelivered,
    ExitCode,
    Output,
    OutputTruncated,
    Error,
    CreatedAt,
    UpdatedAt,
}
