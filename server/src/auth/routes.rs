//! `/api/v1/auth/*` and `/api/v1/roles`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::AuthUser;
use super::client::client_address;
use super::service::{self, ChangePassword, LoginRequest, LoginResponse};
use crate::auth::Role;
use crate::error::{ApiResult, Problem};
use crate::http::{Json, RequestId};
use crate::state::AppState;
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
/// Attempts are limited per account and client address: after `MONIHUB_LOGIN_MAX_FAILURES`
/// attempts within `MONIHUB_LOGIN_LOCKOUT` that client gets 429 with `Retry-After` for the rest of
/// the window. Across all clients, further attempts for the account are delayed (1 s, 2 s, 4 s …
/// up to `MONIHUB_LOGIN_MAX_DELAY`). When every password-hashing slot is busy the answer is 503
/// with `Retry-After`, and the attempt is not counted.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 401, description = "Wrong credentials", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
        (status = 503, description = "Busy; retry after the given time", body = Problem),
    )
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    request_id: Option<web::ReqData<RequestId>>,
    body: Json<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    let client = client_address(
        request.peer_addr().map(|a| a.ip()),
        &forwarded,
        &state.settings.trusted_proxies,
    )
    .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let response = service::login(
        &state.db,
        &state.hasher,
        &state.jwt,
        state.login_policy(),
        body.into_inner(),
        &client,
        request_id.map(|r| r.into_inner().0),
    )
    .await;
    if response.is_err() {
        state.metrics.login_failed();
    }
    Ok(Json(response?))
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
async fn me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<Json<UserDto>> {
    Ok(Json(crate::users::service::get(&state.db, user.id).await?))
}

/// Change the caller's own password. Every other session of the caller is signed out.
///
/// Wrong current passwords are limited like sign-ins (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body = ChangePassword,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 422, description = "Wrong current password or weak new one", body = Problem),
        (status = 429, description = "Too many wrong current passwords", body = Problem),
        (status = 503, description = "Busy; retry after the given time", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/auth/password")]
async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<ChangePassword>,
) -> ApiResult<HttpResponse> {
    service::change_password(
        &state.db,
        &state.hasher,
        state.settings.throttle_policy(),
        &user.actor(),
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
async fn list_roles(_user: AuthUser) -> Json<Vec<RoleDto>> {
    Json(
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
