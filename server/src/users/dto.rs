//! Request and response bodies of the user endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Role;
use crate::entity::{Status, users};
use crate::validation::{nullable, username};

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub status: Status,
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserDto {
    pub fn new(user: users::Model, roles: Vec<Role>) -> Self {
        Self {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            email: user.email,
            status: user.status,
            roles,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// Body of `POST /api/v1/users`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3–64 characters: lower-case letters, digits, `.`, `-`, `_`.
    #[schema(min_length = 3, max_length = 64, pattern = r"^[a-z0-9][a-z0-9._-]*$")]
    #[validate(length(min = 3, max = 64), custom(function = "username"))]
    pub username: String,
    /// 10–128 characters.
    #[schema(min_length = 10, max_length = 128)]
    #[validate(length(min = 10, max = 128))]
    pub password: String,
    #[schema(max_length = 128)]
    #[validate(length(max = 128))]
    pub display_name: Option<String>,
    #[schema(max_length = 254)]
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
    /// Roles to grant; defaults to `viewer`.
    #[serde(default)]
    pub roles: Option<Vec<Role>>,
}

/// Body of `PATCH /api/v1/users/{id}`; absent fields stay as they are, `null` clears.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 128))]
    #[schema(value_type = Option<String>, max_length = 128)]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(email, length(max = 254))]
    #[schema(value_type = Option<String>, max_length = 254)]
    pub email: Option<Option<String>>,
    pub status: Option<Status>,
    /// Sets a new password and signs the user out everywhere.
    #[schema(min_length = 10, max_length = 128)]
    #[validate(length(min = 10, max = 128))]
    pub password: Option<String>,
}

/// Body of `PUT /api/v1/users/{id}/roles`: the complete set of roles the user should hold.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRoles {
    pub roles: Vec<Role>,
}

/// Filters of `GET /api/v1/users`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Substring of username, display name or email.
    pub q: Option<String>,
    pub status: Option<Status>,
}

/// A role of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleDto {
    pub name: Role,
    pub description: &'static str,
    pub permissions: Vec<crate::auth::Permission>,
}
