//! User management. Only admins reach these functions (checked by the routes); the service adds
//! the rules that protect admins from locking themselves out.

use chrono::Utc;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;
use uuid::Uuid;

use super::dto::{CreateUser, UpdateUser, UserDto, UserFilter};
use crate::audit::{self, Actor, Change};
use crate::auth::{Hasher, Role, service::hash_password, service::revoke_all_sessions, throttle};
use crate::entity::{Status, roles, user_roles, users};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, PageRequest, text_search};
use crate::validation::validate;

const RESOURCE: &str = "user";

pub async fn list(
    db: &DatabaseConnection,
    filter: &UserFilter,
    page: PageRequest,
) -> ApiResult<Page<UserDto>> {
    let mut query = users::Entity::find();
    if let Some(cond) = text_search(
        &[
            users::Column::Username,
            users::Column::DisplayName,
            users::Column::Email,
        ],
        filter.q.as_deref(),
    ) {
        query = query.filter(cond);
    }
    if let Some(status) = filter.status {
        query = query.filter(users::Column::Status.eq(status));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(users::Column::Username)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|u| u.id).collect();
    let mut roles = roles_by_user(db, &ids).await?;
    let items = rows
        .into_iter()
        .map(|u| {
            let r = roles.remove(&u.id).unwrap_or_default();
            UserDto::new(u, r)
        })
        .collect();
    Ok(Page::new(items, total, page))
}

/// Roles of many users in one query.
async fn roles_by_user(
    db: &DatabaseConnection,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<Role>>> {
    let mut map: HashMap<Uuid, Vec<Role>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    for row in user_roles::Entity::find()
        .filter(user_roles::Column::UserId.is_in(ids.to_vec()))
        .all(db)
        .await?
    {
        if let Some(role) = Role::parse(&row.role_name) {
            map.entry(row.user_id).or_default().push(role);
        }
    }
    for roles in map.values_mut() {
        roles.sort();
    }
    Ok(map)
}

/// Active users holding the admin role.
pub async fn count_active_admins<C: ConnectionTrait>(db: &C) -> Result<u64, sea_orm::DbErr> {
    users::Entity::find()
        .filter(users::Column::Status.eq(Status::Active))
        .filter(
            users::Column::Id.in_subquery(
                Query::select()
                    .column(user_roles::Column::UserId)
                    .from(user_roles::Entity)
                    .and_where(user_roles::Column::RoleName.eq(Role::Admin.as_str()))
                    .to_owned(),
            ),
        )
        .count(db)
        .await
}

/// Serialises every change that may take away an admin (role changes, disabling, deleting):
/// on PostgreSQL by locking the admin role's row, on SQLite by the write transaction itself.
/// Without it, two admins demoting each other at once could both see the other one remain.
async fn lock_admin_set<C: ConnectionTrait>(txn: &C) -> ApiResult<()> {
    roles::Entity::find_by_id(Role::Admin.as_str())
        .lock_exclusive()
        .one(txn)
        .await?;
    Ok(())
}

/// The last check before such a change commits: at least one active admin must remain.
async fn ensure_an_active_admin_remains<C: ConnectionTrait>(txn: &C) -> ApiResult<()> {
    if count_active_admins(txn).await? == 0 {
        return Err(ApiError::Conflict(
            "this change would leave no active admin; make another user an admin first".into(),
        ));
    }
    Ok(())
}

async fn find<C: sea_orm::ConnectionTrait>(db: &C, id: Uuid) -> ApiResult<users::Model> {
    users::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("user"))
}

pub async fn get(db: &DatabaseConnection, id: Uuid) -> ApiResult<UserDto> {
    let user = find(db, id).await?;
    let roles = crate::auth::service::roles_of(db, id).await?;
    Ok(UserDto::new(user, roles))
}

/// Creates a user (used by the API and by the first-admin bootstrap).
pub async fn create(
    db: &DatabaseConnection,
    hasher: &Hasher,
    actor: &Actor,
    input: CreateUser,
) -> ApiResult<UserDto> {
    validate(&input)?;
    let username = input.username.clone();
    if users::Entity::find()
        .filter(users::Column::Username.eq(&username))
        .one(db)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "a user named '{username}' already exists"
        )));
    }
    let password_hash = hash_password(hasher, input.password).await?;
    let mut roles = input.roles.unwrap_or_else(|| vec![Role::Viewer]);
    roles.sort();
    roles.dedup();
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let user = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(username),
        display_name: Set(input.display_name),
        email: Set(input.email),
        password_hash: Set(password_hash),
        status: Set(Status::Active),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    write_roles(&txn, user.id, &roles).await?;
    let dto = UserDto::new(user, roles);
    audit::record(
        &txn,
        actor,
        Change {
            action: "user.create",
            resource_type: RESOURCE,
            resource_id: Some(dto.id.to_string()),
            before: None,
            after: audit::snapshot(&dto),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(dto)
}

async fn write_roles<C: sea_orm::ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    roles: &[Role],
) -> ApiResult<()> {
    user_roles::Entity::delete_many()
        .filter(user_roles::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if !roles.is_empty() {
        user_roles::Entity::insert_many(roles.iter().map(|r| user_roles::ActiveModel {
            user_id: Set(user_id),
            role_name: Set(r.as_str().to_owned()),
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

pub async fn update(
    db: &DatabaseConnection,
    hasher: &Hasher,
    actor: &Actor,
    id: Uuid,
    input: UpdateUser,
) -> ApiResult<UserDto> {
    validate(&input)?;
    if actor.id == Some(id) && input.status == Some(Status::Disabled) {
        return Err(ApiError::Conflict(
            "you cannot disable your own account".into(),
        ));
    }
    let new_hash = match input.password {
        Some(pw) => Some(hash_password(hasher, pw).await?),
        None => None,
    };
    let txn = crate::db::begin_write(db).await?;
    lock_admin_set(&txn).await?;
    let user = find(&txn, id).await?;
    let roles = crate::auth::service::roles_of(&txn, id).await?;
    let before = UserDto::new(user.clone(), roles.clone());
    let mut model: users::ActiveModel = user.into();
    if let Some(v) = input.display_name {
        model.display_name = Set(v);
    }
    if let Some(v) = input.email {
        model.email = Set(v);
    }
    if let Some(status) = input.status {
        model.status = Set(status);
    }
    let password_changed = new_hash.is_some();
    if let Some(hash) = new_hash {
        model.password_hash = Set(hash);
    }
    model.updated_at = Set(Utc::now());
    let user = model.update(&txn).await?;
    ensure_an_active_admin_remains(&txn).await?;
    if password_changed || user.status == Status::Disabled {
        revoke_all_sessions(&txn, id, None).await?;
    }
    let after = UserDto::new(user, roles);
    let mut after_snapshot = audit::snapshot(&after);
    if password_changed && let Some(serde_json::Value::Object(map)) = after_snapshot.as_mut() {
        map.insert("password".into(), "changed".into());
    }
    audit::record(
        &txn,
        actor,
        Change {
            action: "user.update",
            resource_type: RESOURCE,
            resource_id: Some(id.to_string()),
            before: audit::snapshot(&before),
            after: after_snapshot,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> ApiResult<()> {
    if actor.id == Some(id) {
        return Err(ApiError::Conflict(
            "you cannot delete your own account".into(),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    lock_admin_set(&txn).await?;
    let user = find(&txn, id).await?;
    let roles = crate::auth::service::roles_of(&txn, id).await?;
    let before = UserDto::new(user, roles);
    // Sessions and role grants go with the user (ON DELETE CASCADE).
    users::Entity::delete_by_id(id).exec(&txn).await?;
    ensure_an_active_admin_remains(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            action: "user.delete",
            resource_type: RESOURCE,
            resource_id: Some(id.to_string()),
            before: audit::snapshot(&before),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn set_roles(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    mut roles: Vec<Role>,
) -> ApiResult<UserDto> {
    roles.sort();
    roles.dedup();
    if actor.id == Some(id) && !roles.contains(&Role::Admin) {
        return Err(ApiError::Conflict(
            "you cannot remove the admin role from yourself".into(),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    lock_admin_set(&txn).await?;
    let user = find(&txn, id).await?;
    let old_roles = crate::auth::service::roles_of(&txn, id).await?;
    write_roles(&txn, id, &roles).await?;
    ensure_an_active_admin_remains(&txn).await?;
    let before = UserDto::new(user.clone(), old_roles);
    let after = UserDto::new(user, roles);
    audit::record(
        &txn,
        actor,
        Change {
            action: "user.set_roles",
            resource_type: RESOURCE,
            resource_id: Some(id.to_string()),
            before: audit::snapshot(&before),
            after: audit::snapshot(&after),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Clears every throttling counter of a user's account (blocked clients, delays, password
/// checks).
pub async fn unlock(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> ApiResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let user = find(&txn, id).await?;
    let cleared = throttle::clear_account(&txn, &user.username).await?;
    audit::record(
        &txn,
        actor,
        Change {
            action: "user.unlock",
            resource_type: RESOURCE,
            resource_id: Some(id.to_string()),
            before: Some(serde_json::json!({ "throttle_counters": cleared })),
            after: Some(serde_json::json!({ "throttle_counters": 0 })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
