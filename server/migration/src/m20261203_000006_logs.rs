//! Log lines: what agents ship with their reports (and, later, the server's own operation logs),
//! with level, source, application, instance and trace id for filtering.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Logs::Table)
                    .col(pk_uuid(Logs::Id))
                    .col(string_len(Logs::Level, 8))
                    .col(string_len(Logs::Source, 16))
                    .col(text(Logs::Message))
                    .col(string_len_null(Logs::TraceId, 256))
                    .col(uuid_null(Logs::ApplicationId))
                    .col(uuid_null(Logs::InstanceId))
                    .col(json(Logs::Context))
                    .col(timestamp_with_time_zone(Logs::LoggedAt))
                    .col(timestamp_with_time_zone(Logs::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_logs_application")
                            .from(Logs::Table, Logs::ApplicationId)
                            .to(Applications::Table, Applications::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_logs_instance")
                            .from(Logs::Table, Logs::InstanceId)
                            .to(Instances::Table, Instances::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_logs_received", None),
            ("idx_logs_instance_received", Some(Logs::InstanceId)),
            ("idx_logs_application_received", Some(Logs::ApplicationId)),
        ] {
            let mut index = Index::create();
            index.name(name).table(Logs::Table);
            if let Some(column) = column {
                index.col(column);
            }
            index.col(Logs::ReceivedAt);
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Logs::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Instances {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Logs {
    Table,
    Id,
    Level,
    Source,
    Message,
    TraceId,
    ApplicationId,
    InstanceId,
    Context,
    LoggedAt,
    ReceivedAt,
}
