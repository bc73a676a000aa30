//! One task on one instance, and where it stands.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a task record stands.
///
/// `pending` → `dispatched` (handed to a poll; the lease runs) → `running` (the agent acknowledged;
/// the deadline runs) → `succeeded` | `failed` | `timeout` | `refused`. A lapsed lease returns a
/// record to `pending`; cancelling ends any record not finished.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "dispatched")]
    Dispatched,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "timeout")]
    Timeout,
    #[sea_orm(string_value = "refused")]
    Refused,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl RecordStatus {
    /// Not finished: may still be handed out, run, or cancelled.
    pub const OPEN: [RecordStatus; 3] = [Self::Pending, Self::Dispatched, Self::Running];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// The status as stored and shown (`pending`, …).
    pub fn name(self) -> String {
        sea_orm::ActiveEnum::to_value(&self)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "task_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub task_id: Uuid,
    pub instance_id: Uuid,
    pub status: RecordStatus,
    /// Copied from the task, so dispatch orders without a join.
    pub priority: i32,
    /// Which attempt this is (from 1).
    pub attempt: i32,
    pub dispatched_at: Option<DateTimeUtc>,
    /// A dispatched record not acknowledged by then returns to `pending`.
    pub lease_expires_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    /// A running record without a result by then becomes `timeout`.
    pub deadline_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    /// Whether the agent was told of a cancellation that reached it mid-work.
    pub cancel_delivered: bool,
    pub exit_code: Option<i32>,
    pub output: Option<String>,
    pub output_truncated: bool,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
