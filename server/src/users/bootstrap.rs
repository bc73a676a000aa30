//! The first admin. No default password exists: the admin comes from `MONIHUB_ADMIN_PASSWORD`,
//! from `create-admin`, or (embedded mode only) from a random password printed once.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use secrecy::{ExposeSecret, SecretString};

use super::dto::CreateUser;
use crate::audit::Actor;
use crate::auth::{Role, password};
use crate::entity::user_roles;
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
}

/// True if any user holds the admin role.
pub async fn admin_exists(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    Ok(user_roles::Entity::find()
        .filter(user_roles::Column::RoleName.eq(Role::Admin.as_str()))
        .count(db)
        .await?
        > 0)
}

/// Creates an admin user with the given name and password.
pub async fn create_admin(
    db: &DatabaseConnection,
    username: &str,
    password: &SecretString,
    actor: &Actor,
) -> Result<(), ApiError> {
    if let Err(message) = password::check_policy(password.expose_secret()) {
        return Err(ApiError::field("password", "length", message));
    }
    super::service::create(
        db,
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

/// Makes sure an admin exists, if the settings allow creating one.
pub async fn ensure_first_admin(
    db: &DatabaseConnection,
    configured_password: Option<&SecretString>,
    may_generate: bool,
) -> Result<Bootstrap, ApiError> {
    if admin_exists(db).await? {
        return Ok(Bootstrap::AdminExists);
    }
    let actor = Actor::system("bootstrap");
    let username = DEFAULT_ADMIN_USERNAME.to_owned();
    match configured_password {
        Some(pw) => {
            create_admin(db, &username, pw, &actor).await?;
            Ok(Bootstrap::Created { username })
        }
        None if may_generate => {
            let pw = SecretString::from(password::generate());
            create_admin(db, &username, &pw, &actor).await?;
            Ok(Bootstrap::Generated {
                username,
                password: pw,
            })
        }
        None => Ok(Bootstrap::Missing),
    }
}
