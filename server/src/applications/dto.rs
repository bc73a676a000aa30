//! Request and response bodies of the application endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::entity::{Status, applications};
use crate::validation::{code, not_blank, nullable};

/// A technology an application is built with.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TechStack {
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    #[validate(length(min = 1, max = 64), custom(function = "not_blank"))]
    pub name: String,
    #[schema(max_length = 64)]
    #[validate(length(max = 64))]
    pub version: Option<String>,
}

/// What is known about an application's agent token (never the token itself).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentTokenInfo {
    /// The token's first characters.
    pub prefix: String,
    pub issued_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationDto {
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    /// Unique across the hub, immutable (lower-case slug).
    pub code: String,
    pub description: Option<String>,
    pub status: Status,
    pub tech_stacks: Vec<TechStack>,
    /// `null` until a token is issued.
    pub agent_token: Option<AgentTokenInfo>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<applications::Model> for ApplicationDto {
    fn from(a: applications::Model) -> Self {
        let agent_token = match (a.agent_token_prefix, a.agent_token_issued_at) {
            (Some(prefix), Some(issued_at)) => Some(AgentTokenInfo { prefix, issued_at }),
            _ => None,
        };
        Self {
            id: a.id,
            project_id: a.project_id,
            name: a.name,
            code: a.code,
            description: a.description,
            status: a.status,
            tech_stacks: serde_json::from_value(a.tech_stacks).unwrap_or_default(),
            agent_token,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// Body of `POST /api/v1/applications`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApplication {
    pub project_id: Uuid,
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    pub name: String,
    /// 2–64 characters: lower-case letters, digits, `-`, `_`.
    #[schema(min_length = 2, max_length = 64, pattern = r"^[a-z0-9][a-z0-9_-]*$")]
    #[validate(length(min = 2, max = 64), custom(function = "code"))]
    pub code: String,
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000))]
    pub description: Option<String>,
    #[serde(default)]
    #[schema(max_items = 32)]
    #[validate(length(max = 32), nested)]
    pub tech_stacks: Vec<TechStack>,
}

/// Body of `PATCH /api/v1/applications/{id}`; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateApplication {
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 2000))]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    pub status: Option<Status>,
    #[schema(max_items = 32)]
    #[validate(length(max = 32), nested)]
    pub tech_stacks: Option<Vec<TechStack>>,
}

/// Filters of `GET /api/v1/applications`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationFilter {
    pub project_id: Option<Uuid>,
    /// Substring of name or code.
    pub q: Option<String>,
    pub status: Option<Status>,
}

/// Answer of `POST /api/v1/applications/{id}/agent-token`: the only time the token is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedAgentToken {
    /// Give this to the application's agents; it cannot be shown again.
    pub token: String,
    pub prefix: String,
    pub issued_at: DateTime<Utc>,
}
