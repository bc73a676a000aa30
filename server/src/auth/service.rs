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

use super::{Hasher, JwtKeys, password, throttle};
use crate::audit::{self, Actor, Change};
use crate::db::begin_write;
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
    #[schema(min_length = 10, max_length = 128)]
    pub new_password: String,
}

/// Inputs of a sign-in that come from the settings.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    pub token_ttl: Duration,
    pub throttle: throttle::Policy,
}

const BAD_CREDENTIALS: &str = "invalid username or password";

/// Hashes a new password (in a hashing slot: argon2 takes tens of milliseconds and ~19 MiB).
pub async fn hash_password(hasher: &Hasher, password: String) -> ApiResult<String> {
    hasher
        .run(move || password::hash(&password))
        .await?
        .map_err(ApiError::Internal)
}

/// Checks a password against a stored hash, or spends the same work when there is none.
fn verify_blocking(password: &str, phc: Option<&str>) -> bool {
    match phc {
        Some(phc) => password::verify(password, phc),
        None => {
            password::verify_dummy(password);
            false
        }
    }
}

/// Counts one attempt on `keys` in its own write transaction; a limited key answers 429.
async fn count_attempt(
    db: &DatabaseConnection,
    keys: &[throttle::Key],
    policy: throttle::Policy,
    message: &str,
) -> ApiResult<()> {
    let txn = begin_write(db).await?;
    let outcome = throttle::count_attempt(&txn, keys, policy, Utc::now()).await?;
    txn.commit().await?;
    outcome.map_err(|retry_after_secs| ApiError::TooManyRequests {
        detail: format!("{message}; try again in {retry_after_secs} s"),
        retry_after_secs,
    })
}

/// Checks the credentials and opens a session.
///
/// The attempt is counted (per account and client, and per account) before the password is
/// checked, and only once a hashing slot is held, so a shed request costs the user nothing.
pub async fn login(
    db: &DatabaseConnection,
    hasher: &Hasher,
    keys: &JwtKeys,
    policy: LoginPolicy,
    request: LoginRequest,
    client: &str,
    request_id: Option<String>,
) -> ApiResult<LoginResponse> {
    let username = request.username.trim().to_lowercase();
    if username.is_empty() || request.password.is_empty() {
        return Err(ApiError::Unauthorized(BAD_CREDENTIALS));
    }
    let slot = hasher.slot().await?;
    let throttle_keys = throttle::Key::sign_in(&username, client);
    count_attempt(
        db,
        &throttle_keys,
        policy.throttle,
        "too many sign-in attempts for this account",
    )
    .await?;
    let user = users::Entity::find()
        .filter(users::Column::Username.eq(&username))
        .one(db)
        .await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let candidate = request.password;
    let valid = slot
        .run(move || verify_blocking(&candidate, hash.as_deref()))
        .await?;
    let user = match user {
        Some(user) if valid && user.status == Status::Active => user,
        _ => return Err(ApiError::Unauthorized(BAD_CREDENTIALS)),
    };
    throttle::clear(db, &throttle_keys).await?;

    let now = Utc::now();
    let session_id = Uuid::new_v4();
    let expires_at = now + policy.token_ttl;
    let txn = begin_write(db).await?;
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

/// Revokes one session (logout).
pub async fn logout(db: &DatabaseConnection, actor: &Actor, session_id: Uuid) -> ApiResult<()> {
    let txn = begin_write(db).await?;
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
///
/// Checks of the current password are throttled like sign-ins (a stolen token must not become a
/// way to guess the password).
pub async fn change_password(
    db: &DatabaseConnection,
    hasher: &Hasher,
    policy: throttle::Policy,
    actor: &Actor,
    session_id: Uuid,
    request: ChangePassword,
) -> ApiResult<()> {
    let user_id = actor.id.ok_or(ApiError::Unauthorized(BAD_CREDENTIALS))?;
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
    let slot = hasher.slot().await?;
    let throttle_keys = throttle::Key::password_check(&user.username);
    count_attempt(
        db,
        &throttle_keys,
        policy,
        "too many wrong current passwords",
    )
    .await?;
    let current = request.current_password;
    let stored = user.password_hash.clone();
    if !slot
        .run(move || verify_blocking(&current, Some(&stored)))
        .await?
    {
        return Err(ApiError::field(
            "current_password",
            "mismatch",
            "the current password is not correct",
        ));
    }
    throttle::clear(db, &throttle_keys).await?;
    let hash = hash_password(hasher, request.new_password).await?;
    let txn = begin_write(db).await?;
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
