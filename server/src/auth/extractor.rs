//! The `AuthUser` extractor: a verified bearer token whose session is live and whose user is
//! active. Every check hits the database, so revocation, disabling and deletion apply at once.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::Utc;
use futures::future::LocalBoxFuture;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait};
use uuid::Uuid;

use super::{Permission, Role};
use crate::audit::Actor;
use crate::entity::{Status, auth_sessions, user_roles, users};
use crate::error::ApiError;
use crate::http::RequestId;
use crate::state::AppState;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: Uuid,
    pub username: String,
    pub roles: Vec<Role>,
    pub session_id: Uuid,
    pub request_id: Option<String>,
}

impl AuthUser {
    /// Fails with 403 unless one of the caller's roles grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.roles.iter().any(|r| r.grants(permission)) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "your roles do not allow this action".into(),
            ))
        }
    }

    /// The caller as recorded in the audit log.
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.id),
            username: self.username.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

const MISSING: &str = "authentication required: send 'Authorization: Bearer <token>'";
const INVALID: &str = "the access token is invalid, expired or revoked";

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        Box::pin(async move {
            let state = state.ok_or_else(|| anyhow::anyhow!("application state is missing"))?;
            let token = token.ok_or(ApiError::Unauthorized(MISSING))?;
            let claims = state
                .jwt
                .verify(&token)
                .ok_or(ApiError::Unauthorized(INVALID))?;
            authenticate(&state, claims.sub, claims.jti, request_id).await
        })
    }
}

/// The user of a live session, with roles (the check every request and WebSocket makes).
pub(crate) async fn authenticate(
    state: &AppState,
    user_id: Uuid,
    session_id: Uuid,
    request_id: Option<String>,
) -> Result<AuthUser, ApiError> {
    // One query: "the user is active and this session of theirs is live", with their roles (one
    // row per role; a single row with no role for a user who has none).
    let live_session = Query::select()
        .column(auth_sessions::Column::UserId)
        .from(auth_sessions::Entity)
        .and_where(auth_sessions::Column::Id.eq(session_id))
        .and_where(auth_sessions::Column::RevokedAt.is_null())
        .and_where(auth_sessions::Column::ExpiresAt.gt(Utc::now()))
        .to_owned();
    let rows: Vec<(String, Option<String>)> = users::Entity::find_by_id(user_id)
        .select_only()
        .column(users::Column::Username)
        .column(user_roles::Column::RoleName)
        .join(JoinType::LeftJoin, users::Relation::Roles.def())
        .filter(users::Column::Status.eq(Status::Active))
        .filter(users::Column::Id.in_subquery(live_session))
        .into_tuple()
        .all(&state.db)
        .await?;
    let username = rows
        .first()
        .map(|(name, _)| name.clone())
        .ok_or(ApiError::Unauthorized(INVALID))?;
    let mut roles: Vec<Role> = rows
        .iter()
        .filter_map(|(_, role)| role.as_deref().and_then(Role::parse))
        .collect();
    roles.sort();
    Ok(AuthUser {
        id: user_id,
        username,
        roles,
        session_id,
        request_id,
    })
}

/// The roles granted to a user, in catalogue order. Unknown names (a newer schema) are ignored.
pub async fn roles_of<C: sea_orm::ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> Result<Vec<Role>, sea_orm::DbErr> {
    let mut roles: Vec<Role> = user_roles::Entity::find()
        .filter(user_roles::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| Role::parse(&row.role_name))
        .collect();
    roles.sort();
    Ok(roles)
}
