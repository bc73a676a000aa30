//! One stored report of an instance (the history behind charts and the report list).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "instance_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub instance_id: Uuid,
    /// When the agent took the snapshot (its clock).
    pub reported_at: DateTimeUtc,
    /// When the server stored it (the server's clock; history is ordered and pruned by this).
    pub received_at: DateTimeUtc,
    pub cpu_usage_percent: f64,
    pub memory_usage_percent: f64,
    pub disk_usage_percent: f64,
    pub memory_used_bytes: i64,
    pub memory_total_bytes: i64,
    pub disk_used_bytes: i64,
    pub disk_total_bytes: i64,
    pub load_average_1m: Option<f64>,
    pub process_uptime_seconds: Option<i64>,
    pub thread_count: Option<i32>,
    pub custom_metrics: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
