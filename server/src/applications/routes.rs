//! `/api/v1/applications/*`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::dto::{
    ApplicationDto, ApplicationFilter, CreateApplication, IssuedAgentToken, UpdateApplication,
};
use super::service;
use crate::auth::{AuthUser, Permission};
use crate::error::{ApiResult, Problem};
use crate::http::Json;
use crate::pagination::{Page, PageQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_applications)
        .service(create_application)
        .service(get_application)
        .service(update_application)
        .service(delete_application)
        .service(rotate_agent_token);
}

/// List applications, optionally of one project.
#[utoipa::path(
    tag = "applications",
    params(PageQuery, ApplicationFilter),
    responses(
        (status = 200, body = Page<ApplicationDto>),
        (status = 401, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/applications")]
async fn list_applications(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageQuery>,
    filter: web::Query<ApplicationFilter>,
) -> ApiResult<Json<Page<ApplicationDto>>> {
    user.require(Permission::ReadFleet)?;
    let page = page.into_inner().validate()?;
    Ok(Json(service::list(&state.db, &filter, page).await?))
}

/// Create an application in a project.
#[utoipa::path(
    tag = "applications",
    request_body = CreateApplication,
    responses(
        (status = 201, body = ApplicationDto),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "Code taken", body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/applications")]
async fn create_application(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<CreateApplication>,
) -> ApiResult<HttpResponse> {
    user.require(Permission::ManageFleet)?;
    let created = service::create(&state.db, &user.actor(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Get an application.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "Application id")),
    responses(
        (status = 200, body = ApplicationDto),
        (status = 401, body = Problem), (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/applications/{id}")]
async fn get_application(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<Json<ApplicationDto>> {
    user.require(Permission::ReadFleet)?;
    Ok(Json(service::get(&state.db, *id).await?))
}

/// Change an application's name, description, status or tech stacks.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "Application id")),
    request_body = UpdateApplication,
    responses(
        (status = 200, body = ApplicationDto),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/applications/{id}")]
async fn update_application(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<UpdateApplication>,
) -> ApiResult<Json<ApplicationDto>> {
    user.require(Permission::ManageFleet)?;
    Ok(Json({
        let updated = service::update(&state.db, &user.actor(), *id, body.into_inner()).await?;
        state.agent_tokens.forget_all();
        updated
    }))
}

/// Delete an application.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "Application id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[delete("/applications/{id}")]
async fn delete_application(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.require(Permission::ManageFleet)?;
    service::delete(&state.db, &user.actor(), *id).await?;
    state.agent_tokens.forget_all();
    Ok(HttpResponse::NoContent().finish())
}

/// Issue (or rotate) the application's agent token. The token is in this answer only; the
/// previous token stops working.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "Application id")),
    responses(
        (status = 201, body = IssuedAgentToken),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/agent-token")]
async fn rotate_agent_token(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.require(Permission::ManageFleet)?;
    let issued = service::rotate_agent_token(&state.db, &user.actor(), *id).await?;
    state.agent_tokens.forget_all();
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(issued))
}
