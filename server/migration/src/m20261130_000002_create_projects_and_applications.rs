//! Projects and their applications. An application's `code` is unique across the whole hub because
//! agents identify their application by it; its agent token is stored only as a SHA-256 hash.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Projects::Table)
                    .col(pk_uuid(Projects::Id))
                    .col(string_len(Projects::Name, 128))
                    .col(string_len_uniq(Projects::Code, 64))
                    .col(text_null(Projects::Description))
                    .col(string_len(Projects::Status, 16))
                    .col(timestamp_with_time_zone(Projects::CreatedAt))
                    .col(timestamp_with_time_zone(Projects::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Applications::Table)
                    .col(pk_uuid(Applications::Id))
                    .col(uuid(Applications::ProjectId))
                    .col(string_len(Applications::Name, 128))
                    .col(string_len_uniq(Applications::Code, 64))
                    .col(text_null(Applications::Description))
                    .col(string_len(Applications::Status, 16))
                    .col(json(Applications::TechStacks))
                    .col(string_len_null(Applications::AgentTokenHash, 64).unique_key())
                    .col(string_len_null(Applications::AgentTokenPrefix, 16))
                    .col(timestamp_with_time_zone_null(
                        Applications::AgentTokenIssuedAt,
                    ))
                    .col(timestamp_with_time_zone(Applications::CreatedAt))
                    .col(timestamp_with_time_zone(Applications::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_applications_project")
                            .from(Applications::Table, Applications::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            // A project with applications cannot be deleted by accident.
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_applications_project")
                    .table(Applications::Table)
                    .col(Applications::ProjectId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Applications::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Projects::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    Name,
    Code,
    Description,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    Id,
    ProjectId,
    Name,
    Code,
    Description,
    Status,
    TechStacks,
    AgentTokenHash,
    AgentTokenPrefix,
    AgentTokenIssuedAt,
    CreatedAt,
    UpdatedAt,
}
