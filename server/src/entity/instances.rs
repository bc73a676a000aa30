//! An instance: one agent of an application, created by its first report. The row carries the
//! latest reported state; the history lives in `instance_reports`.

use sea_orm::entity::prelude::*;

use super::Status;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "instances")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub application_id: Uuid,
    /// The agent's own id, unique within the application.
    pub agent_instance_id: String,
    pub hostname: String,
    pub ip_address: Option<String>,
    pub public_ip: Option<String>,
    pub mac_address: Option<String>,
    pub os_type: String,
    pub os_version: Option<String>,
    pub kernel_version: Option<String>,
    pub agent_version: String,
    pub cpu_model: Option<String>,
    pub cpu_cores: Option<i32>,
    pub cpu_usage_percent: f64,
    pub memory_usage_percent: f64,
    pub disk_usage_percent: f64,
    pub memory_total_bytes: i64,
    pub disk_total_bytes: i64,
    pub load_average_1m: Option<f64>,
    pub uptime_seconds: Option<i64>,
    /// The watched process's environment, secrets redacted.
    pub environment: Json,
    pub custom_fields: Json,
    /// The agent configuration set by an operator; `None` means the defaults.
    pub config: Option<Json>,
    pub status: Status,
    pub online: bool,
    pub offline_at: Option<DateTimeUtc>,
    pub first_report_at: DateTimeUtc,
    pub last_report_at: DateTimeUtc,
    pub report_count: i64,
    /// Soft deletion: hidden from lists; a new report from the agent brings the instance back.
    pub deleted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
