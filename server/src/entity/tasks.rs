//! A remote task: what to run, on which terms; one record per target instance.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// `shell_exec`, `http_request`, `run_code`, `file_manager` or `custom_command`.
    pub task_type: String,
    /// The typed content, as `{"type": …, "content": …}`.
    pub content: Json,
    pub priority: i32,
    pub timeout_seconds: i32,
    pub max_attempts: i32,
    pub created_by: Option<Uuid>,
    pub created_by_name: String,
    pub created_at: DateTimeUtc,
    pub cancelled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
