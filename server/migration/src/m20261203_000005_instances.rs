//! Instances (one per agent of an application, created by its first report) and their report
//! history. The instance row carries the latest state, so lists never touch the history.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Instances::Table)
                    .col(pk_uuid(Instances::Id))
                    .col(uuid(Instances::ApplicationId))
                    .col(string_len(Instances::AgentInstanceId, 64))
                    .col(string_len(Instances::Hostname, 255))
                    .col(string_len_null(Instances::IpAddress, 64))
                    .col(string_len_null(Instances::PublicIp, 64))
                    .col(string_len_null(Instances::MacAddress, 256))
                    .col(string_len(Instances::OsType, 16))
                    .col(string_len_null(Instances::OsVersion, 256))
                    .col(string_len_null(Instances::KernelVersion, 256))
                    .col(string_len(Instances::AgentVersion, 256))
                    .col(string_len_null(Instances::CpuModel, 256))
                    .col(integer_null(Instances::CpuCores))
                    .col(double(Instances::CpuUsagePercent))
                    .col(double(Instances::MemoryUsagePercent))
                    .col(double(Instances::DiskUsagePercent))
                    .col(big_integer(Instances::MemoryTotalBytes))
                    .col(big_integer(Instances::DiskTotalBytes))
                    .col(double_null(Instances::LoadAverage1m))
                    .col(big_integer_null(Instances::UptimeSeconds))
                    .col(json(Instances::Environment))
                    .col(json(Instances::CustomFields))
                    .col(json_null(Instances::Config))
                    .col(string_len(Instances::Status, 16))
                    .col(boolean(Instances::Online))
                    .col(timestamp_with_time_zone_null(Instances::OfflineAt))
                    .col(timestamp_with_time_zone(Instances::FirstReportAt))
                    .col(timestamp_with_time_zone(Instances::LastReportAt))
                    .col(big_integer(Instances::ReportCount))
                    .col(timestamp_with_time_zone_null(Instances::DeletedAt))
                    .col(timestamp_with_time_zone(Instances::CreatedAt))
                    .col(timestamp_with_time_zone(Instances::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_instances_application")
                            .from(Instances::Table, Instances::ApplicationId)
                            .to(Applications::Table, Applications::Id)
                            // The application service refuses to delete an application with live
                            // instances; deleted ones go with it.
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_instances_application_agent")
                    .table(Instances::Table)
                    .col(Instances::ApplicationId)
                    .col(Instances::AgentInstanceId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Lists are ordered by host name (then id): an index keeps a page from sorting the fleet.
        manager
            .create_index(
                Index::create()
                    .name("idx_instances_hostname")
                    .table(Instances::Table)
                    .col(Instances::Hostname)
                    .col(Instances::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_instances_last_report")
                    .table(Instances::Table)
                    .col(Instances::Online)
                    .col(Instances::LastReportAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(InstanceReports::Table)
                    .col(pk_uuid(InstanceReports::Id))
                    .col(uuid(InstanceReports::InstanceId))
                    .col(timestamp_with_time_zone(InstanceReports::ReportedAt))
                    .col(timestamp_with_time_zone(InstanceReports::ReceivedAt))
                    .col(double(InstanceReports::CpuUsagePercent))
                    .col(double(InstanceReports::MemoryUsagePercent))
                    .col(double(InstanceReports::DiskUsagePercent))
                    .col(big_integer(InstanceReports::MemoryUsedBytes))
                    .col(big_integer(InstanceReports::MemoryTotalBytes))
                    .col(big_integer(InstanceReports::DiskUsedBytes))
                    .col(big_integer(InstanceReports::DiskTotalBytes))
                    .col(double_null(InstanceReports::LoadAverage1m))
                    .col(big_integer_null(InstanceReports::ProcessUptimeSeconds))
                    .col(integer_null(InstanceReports::ThreadCount))
                    .col(json(InstanceReports::CustomMetrics))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_instance_reports_instance")
                            .from(InstanceReports::Table, InstanceReports::InstanceId)
                            .to(Instances::Table, Instances::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_instance_reports_instance_time")
                    .table(InstanceReports::Table)
                    .col(InstanceReports::InstanceId)
                    .col(InstanceReports::ReceivedAt)
                    .to_owned(),
            )
            .await?;
        // Retention deletes by age across all instances.
        manager
            .create_index(
                Index::create()
                    .name("idx_instance_reports_received")
                    .table(InstanceReports::Table)
                    .col(InstanceReports::ReceivedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(InstanceReports::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Instances::Table).to_owned())
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
    ApplicationId,
    AgentInstanceId,
    Hostname,
    IpAddress,
    PublicIp,
    MacAddress,
    OsType,
    OsVersion,
    KernelVersion,
    AgentVersion,
    CpuModel,
    CpuCores,
    CpuUsagePercent,
    MemoryUsagePercent,
    DiskUsagePercent,
    MemoryTotalBytes,
    DiskTotalBytes,
    #[sea_orm(iden = "load_average_1m")]
    LoadAverage1m,
    UptimeSeconds,
    Environment,
    CustomFields,
    Config,
    Status,
    Online,
    OfflineAt,
    FirstReportAt,
    LastReportAt,
    ReportCount,
    DeletedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InstanceReports {
    Table,
    Id,
    InstanceId,
    ReportedAt,
    ReceivedAt,
    CpuUsagePercent,
    MemoryUsagePercent,
    DiskUsagePercent,
    MemoryUsedBytes,
    MemoryTotalBytes,
    DiskUsedBytes,
    DiskTotalBytes,
    #[sea_orm(iden = "load_average_1m")]
    LoadAverage1m,
    ProcessUptimeSeconds,
    ThreadCount,
    CustomMetrics,
}
