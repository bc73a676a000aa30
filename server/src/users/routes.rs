//! `/api/v1/users/*` (admin only).

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::dto::{CreateUser, SetRoles, UpdateUser, UserDto, UserFilter};
use super::service;
use crate::auth::{AuthUser, Permission};
use crate::error::{ApiResult, Problem};
use crate::http::Json;
use crate::pagination::{Page, PageQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(delete_user)
        .service(set_user_roles)
        .service(unlock_user);
}

/// List users.
#[utoipa::path(
    tag = "users",
    params(PageQuery, UserFilter),
    responses(
        (status = 200, body = Page<UserDto>),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageQuery>,
    filter: web::Query<UserFilter>,
) -> ApiResult<Json<Page<UserDto>>> {
    user.require(Permission::ManageUsers)?;
    let page = page.into_inner().validate()?;
    Ok(Json(service::list(&state.db, &filter, page).await?))
}

/// Create a user.
#[utoipa::path(
    tag = "users",
    request_body = CreateUser,
    responses(
        (status = 201, body = UserDto),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "Username taken", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<CreateUser>,
) -> ApiResult<HttpResponse> {
    user.require(Permission::ManageUsers)?;
    let created =
        service::create(&state.db, &state.hasher, &user.actor(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Get a user.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, body = UserDto),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
async fn get_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<Json<UserDto>> {
    user.require(Permission::ManageUsers)?;
    Ok(Json(service::get(&state.db, *id).await?))
}

/// Change a user's profile, status or password. Disabling a user or setting a password signs
/// the user out everywhere.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UpdateUser,
    responses(
        (status = 200, body = UserDto),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
async fn update_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<UpdateUser>,
) -> ApiResult<Json<UserDto>> {
    user.require(Permission::ManageUsers)?;
    Ok(Json(
        service::update(
            &state.db,
            &state.hasher,
            &user.actor(),
            *id,
            body.into_inner(),
        )
        .await?,
    ))
}

/// Delete a user; the user's tokens stop working at once.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
    ),
    security(("bearer" = []))
)]
#[delete("/users/{id}")]
async fn delete_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.require(Permission::ManageUsers)?;
    service::delete(&state.db, &user.actor(), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replace a user's roles.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = SetRoles,
    responses(
        (status = 200, body = UserDto),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
    ),
    security(("bearer" = []))
)]
#[put("/users/{id}/roles")]
async fn set_user_roles(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<SetRoles>,
) -> ApiResult<Json<UserDto>> {
    user.require(Permission::ManageUsers)?;
    Ok(Json(
        service::set_roles(&state.db, &user.actor(), *id, body.into_inner().roles).await?,
    ))
}

/// Clear the sign-in throttling of a user: every blocked client and delay of the account, and
/// the password-check counter.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Throttling cleared"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/users/{id}/unlock")]
async fn unlock_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.require(Permission::ManageUsers)?;
    service::unlock(&state.db, &user.actor(), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
