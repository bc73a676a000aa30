//! Request and response bodies of the project endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::entity::{Status, projects};
use crate::validation::{code, not_blank, nullable};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectDto {
    pub id: Uuid,
    pub name: String,
    /// Unique, immutable identifier (lower-case slug).
    pub code: String,
    pub description: Option<String>,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<projects::Model> for ProjectDto {
    fn from(p: projects::Model) -> Self {
        Self {
            id: p.id,
            name: p.name,
            code: p.code,
            description: p.description,
            status: p.status,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// Body of `POST /api/v1/projects`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
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
}

/// Body of `PATCH /api/v1/projects/{id}`; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 2000))]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    pub status: Option<Status>,
}

/// Filters of `GET /api/v1/projects`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectFilter {
    /// Substring of name or code.
    pub q: Option<String>,
    pub status: Option<Status>,
}
