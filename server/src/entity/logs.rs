//! A log line: shipped by an agent with its report, or written by the server.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `trace`, `debug`, `info`, `warn` or `error`.
    pub level: String,
    /// `agent` or `server`.
    pub source: String,
    pub message: String,
    pub trace_id: Option<String>,
    pub application_id: Option<Uuid>,
    pub instance_id: Option<Uuid>,
    pub context: Json,
    /// When the line was written (the writer's clock).
    pub logged_at: DateTimeUtc,
    /// When the server stored it (ordering and retention use this).
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
