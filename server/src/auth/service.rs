//! Sign-in, sign-out and password changes, without HTTP types.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{JwtKeys, password, throttle};
use crate::audit::{self, Actor, Change};
use crate::entity::{Status, auth_sessions, users};
use crate::error::{ApiError, ApiResult};
use crate::users::dto::UserDto;

pub use super::extractor::roles_of;

/// Body of `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// A fresh access token.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Lifetime of the token in seconds.
    pub expires_in: i64,
    pub user: UserDto,
}

/// Body of `POST /api/v1/auth/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    /// 10–128 characters, different from the current one.
    pub new_password: String,
}

/// Inputs of a sign-in that come from the settings.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    pub token_ttl: Duration,
    pub throttle: throttle::Policy,
}

const BAD_CREDENTIALS: &str = "invalid username or password";

/// Hashes on the blocking pool: argon2 takes tens of milliseconds of CPU.
pub async fn hash_password(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(ApiError::Internal)
}

async fn verify_password(password: String, phc: Option<String>) -> ApiResult<bool> {
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => password::verify(&password, &phc),
        None => {
            password::verify_dummy(&password);
            false
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))
}

/// Checks the credentials (throttled per account name) and opens a session.
pub async fn login(
    db: &DatabaseConnection,
    keys: &JwtKeys,
    policy: LoginPolicy,
    request: LoginRequest,
    request_id: Option<String>,
) -> ApiResult<LoginResponse> {
    let username = request.username.trim().to_lowercase();
    if username.is_empty() || request.password.is_empty() {
        return Err(ApiError::Unauthorized(BAD_CREDENTIALS));
    }
    let now = Utc::now();
    if let Some(retry_after_secs) = throttle::locked_for(db, &username, now).await? {
        return Err(throttled(retry_after_secs));
    }
    let user = users::Entity::find()
        .filter(users::Column::Username.eq(&username))
        .one(db)
        .await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let valid = verify_password(request.password, hash).await?;
    let user = match user {
        Some(user) if valid && user.status == Status::Active => user,
        _ => {
            if let Some(secs) =
                throttle::record_failure(db, &username, policy.throttle, now).await?
            {
                return Err(throttled(secs));
            }
            return Err(ApiError::Unauthorized(BAD_CREDENTIALS));
        }
    };
    throttle::reset(db, &username).await?;

    let session_id = Uuid::new_v4();
    let expires_at = now + policy.token_ttl;
    let txn = crate::db::begin_write(db).await?;
    auth_sessions::ActiveModel {
        id: Set(session_id),
        user_id: Set(user.id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let actor = Actor {
        id: Some(user.id),
        username: user.username.clone(),
        request_id,
    };
    audit::record(&txn, &actor, session_change("session.login", session_id)).await?;
    txn.commit().await?;
    let ttl = policy.token_ttl.num_seconds();
    let access_token = keys
        .issue(user.id, session_id, ttl)
        .map_err(ApiError::Internal)?;
    let roles = roles_of(db, user.id).await?;
    Ok(LoginResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ttl,
        user: UserDto::new(user, roles),
    })
}

fn throttled(retry_after_secs: u64) -> ApiError {
    ApiError::TooManyRequests {
        detail: format!(
            "too many failed sign-ins for this account; try again in {retry_after_secs} s"
        ),
        retry_after_secs,
    }
}

/// Revokes one session (logout).
pub async fn logout(db: &DatabaseConnection, actor: &Actor, session_id: Uuid) -> ApiResult<()> {
    let txn = crate::db::begin_write(db).await?;
    auth_sessions::Entity::update_many()
        .col_expr(auth_sessions::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(auth_sessions::Column::Id.eq(session_id))
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    audit::record(&txn, actor, session_change("session.logout", session_id)).await?;
    txn.commit().await?;
    Ok(())
}

/// Sign-ins and sign-outs are audited as changes to a session (no token material is kept).
fn session_change(action: &str, session_id: Uuid) -> Change<'_> {
    Change {
        action,
        resource_type: "session",
        resource_id: Some(session_id.to_string()),
        before: None,
        after: None,
    }
}

/// Revokes every live session of a user, except `keep` if given.
pub async fn revoke_all_sessions<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<(), sea_orm::DbErr> {
    let mut update = auth_sessions::Entity::update_many()
        .col_expr(auth_sessions::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(auth_sessions::Column::UserId.eq(user_id))
        .filter(auth_sessions::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(auth_sessions::Column::Id.ne(keep));
    }
    update.exec(db).await?;
    Ok(())
}

/// Changes the caller's own password; every other session of the caller is signed out.
pub async fn change_password(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: Uuid,
    session_id: Uuid,
    request: ChangePassword,
) -> ApiResult<()> {
    if let Err(message) = password::check_policy(&request.new_password) {
        return Err(ApiError::field("new_password", "length", message));
    }
    if request.new_password == request.current_password {
        return Err(ApiError::field(
            "new_password",
            "unchanged",
            "the new password must differ from the current one",
        ));
    }
    let user = users::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    if !verify_password(request.current_password, Some(user.password_hash.clone())).await? {
        return Err(ApiError::field(
            "current_password",
            "mismatch",
            "the current password is not correct",
        ));
    }
    let hash = hash_password(request.new_password).await?;
    let txn = crate::db::begin_write(db).await?;
    let mut model: users::ActiveModel = user.into();
    model.password_hash = Set(hash);
    model.updated_at = Set(Utc::now());
    model.update(&txn).await?;
    revoke_all_sessions(&txn, user_id, Some(session_id)).await?;
    audit::record(
        &txn,
        actor,
        Change {
            action: "user.change_password",
            resource_type: "user",
            resource_id: Some(user_id.to_string()),
            before: None,
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
