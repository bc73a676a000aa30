//! `/api/v1/auth/*` and `/api/v1/roles`.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::AuthUser;
use super::service::{self, ChangePassword, LoginRequest, LoginResponse};
use crate::auth::Role;
use crate::error::{ApiResult, Problem};
use crate::http::RequestId;
use crate::startup::AppState;
use crate::users::dto::{RoleDto, UserDto};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(logout)
        .service(me)
        .service(change_password)
        .service(list_roles);
}

/// Sign in with a username and password.
///
/// Repeated failures for one account name lock it for a while (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 401, description = "Wrong credentials", body = Problem),
        (status = 429, description = "Too many failures", body = Problem),
    )
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    request_id: Option<web::ReqData<RequestId>>,
    body: web::Json<LoginRequest>,
) -> ApiResult<web::Json<LoginResponse>> {
    let response = service::login(
        &state.db,
        &state.jwt,
        state.login_policy(),
        body.into_inner(),
        request_id.map(|r| r.into_inner().0),
    )
    .await;
    if response.is_err() {
        state.metrics.login_failed();
    }
    Ok(web::Json(response?))
}

/// Revoke the token used for this request.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/auth/logout")]
async fn logout(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    service::logout(&state.db, &user.actor(), user.session_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, body = UserDto),
        (status = 401, description = "Not signed in", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/auth/me")]
async fn me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<web::Json<UserDto>> {
    Ok(web::Json(
        crate::users::service::get(&state.db, user.id).await?,
    ))
}

/// Change the caller's own password. Every other session of the caller is signed out.
#[utoipa::path(
    tag = "auth",
    request_body = ChangePassword,
    responses(
        (status = 204, description = "Password changed"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 422, description = "Wrong current password or weak new one", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/auth/password")]
async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<ChangePassword>,
) -> ApiResult<HttpResponse> {
    service::change_password(
        &state.db,
        &user.actor(),
        user.id,
        user.session_id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The role catalogue and what each role may do.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, body = Vec<RoleDto>),
        (status = 401, description = "Not signed in", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/roles")]
async fn list_roles(_user: AuthUser) -> web::Json<Vec<RoleDto>> {
    web::Json(
        Role::ALL
            .into_iter()
            .map(|r| RoleDto {
                name: r,
                description: r.description(),
                permissions: r.permissions().to_vec(),
            })
            .collect(),
    )
}
