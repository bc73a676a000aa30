//! The first admin. No default password exists: the admin comes from `MONIHUB_ADMIN_PASSWORD`,
//! from `create-admin`, or (embedded mode only) from a random password printed once.

use sea_orm::DatabaseConnection;
use secrecy::{ExposeSecret, SecretString};

use super::dto::CreateUser;
use crate::audit::Actor;
use crate::auth::{Hasher, Role, password};
use crate::error::ApiError;

/// Name of the admin created by the bootstrap.
pub const DEFAULT_ADMIN_USERNAME: &str = "admin";

/// What the bootstrap did.
#[derive(Debug)]
pub enum Bootstrap {
    /// An admin already exists; nothing changed.
    AdminExists,
    /// Created with the configured password.
    Created { username: String },
    /// Created with a generated password the caller must show once.
    Generated {
        username: String,
        password: SecretString,
    },
    /// No admin and no way to make one (production without `MONIHUB_ADMIN_PASSWORD`).
    Missing,
    /// No active admin, and a user with the admin's name exists but is not one (disabled, or
    /// without the role). An operator must decide; the server goes on serving.
    NameTaken { username: String },
}

/// True if an active user holds the admin role.
pub async fn admin_exists(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    Ok(super::service::count_active_admins(db).await? > 0)
}

/// Creates an admin user with the given name and password.
pub async fn create_admin(
    db: &DatabaseConnection,
    hasher: &Hasher,
    username: &str,
    password: &SecretString,
    actor: &Actor,
) -> Result<(), ApiError> {
    if let Err(message) = password::check_policy(password.expose_secret()) {
        return Err(ApiError::field("password", "length", message));
    }
    super::service::create(
        db,
        hasher,
        actor,
        CreateUser {
            username: username.to_owned(),
            password: password.expose_secret().to_owned(),
            display_name: Some("Administrator".into()),
            email: None,
            roles: Some(vec![Role::Admin]),
        },
    )
    .await?;
    Ok(())
}

/// Makes sure an active admin exists, if the settings allow creating one.
///
/// Idempotent and safe to run from several replicas at once: losing the race to create the admin
/// is reported as [`Bootstrap::AdminExists`], and a name already taken by a user who is not an
/// active admin is reported (never "fixed" by changing that user), not an error.
pub async fn ensure_first_admin(
    db: &DatabaseConnection,
    hasher: &Hasher,
    configured_password: Option<&SecretString>,
    may_generate: bool,
) -> Result<Bootstrap, ApiError> {
    if admin_exists(db).await? {
        return Ok(Bootstrap::AdminExists);
    }
    let (password, generated) = match configured_password {
        Some(pw) => (pw.clone(), false),
        None if may_generate => (SecretString::from(password::generate()), true),
        None => return Ok(Bootstrap::Missing),
    };
    let username = DEFAULT_ADMIN_USERNAME.to_owned();
    let actor = Actor::system("bootstrap");
    match create_admin(db, hasher, &username, &password, &actor).await {
        Ok(()) if generated => Ok(Bootstrap::Generated { username, password }),
        Ok(()) => Ok(Bootstrap::Created { username }),
        Err(ApiError::Conflict(_)) if admin_exists(db).await? => Ok(Bootstrap::AdminExists),
        Err(ApiError::Conflict(_)) => Ok(Bootstrap::NameTaken { username }),
        Err(err) => Err(err),
    }
}
