//! SeaORM entities: the database rows, shared by the feature modules. DTOs live with each feature;
//! an entity never leaves the server as JSON directly.

pub mod applications;
pub mod audit_log;
pub mod auth_sessions;
pub mod auth_throttle;
pub mod instance_reports;
pub mod instances;
pub mod logs;
pub mod projects;
pub mod roles;
pub mod task_records;
pub mod tasks;
pub mod user_roles;
pub mod users;

use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whether a user, project or application is in use.
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
pub enum Status {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "disabled")]
    Disabled,
}
