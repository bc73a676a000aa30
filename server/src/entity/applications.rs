//! An application inside a project; its agents authenticate with the application's agent token.

use sea_orm::entity::prelude::*;

use super::Status;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    #[sea_orm(unique)]
    pub code: String,
    pub description: Option<String>,
    pub status: Status,
    pub tech_stacks: Json,
    /// Hex SHA-256 of the agent token; the token itself is shown once and never stored.
    pub agent_token_hash: Option<String>,
    /// The token's first characters, so a person can tell which token an agent holds.
    pub agent_token_prefix: Option<String>,
    pub agent_token_issued_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
