//! `/api/v1/projects/*`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::dto::{CreateProject, ProjectDto, ProjectFilter, UpdateProject};
use super::service;
use crate::auth::{AuthUser, Permission};
use crate::error::{ApiResult, Problem};
use crate::http::Json;
use crate::pagination::{Page, PageQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_projects)
        .service(create_project)
        .service(get_project)
        .service(update_project)
        .service(delete_project);
}

/// List projects.
#[utoipa::path(
    tag = "projects",
    params(PageQuery, ProjectFilter),
    responses(
        (status = 200, body = Page<ProjectDto>),
        (status = 401, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/projects")]
async fn list_projects(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageQuery>,
    filter: web::Query<ProjectFilter>,
) -> ApiResult<Json<Page<ProjectDto>>> {
    user.require(Permission::ReadFleet)?;
    let page = page.into_inner().validate()?;
    Ok(Json(service::list(&state.db, &filter, page).await?))
}

/// Create a project.
#[utoipa::path(
    tag = "projects",
    request_body = CreateProject,
    responses(
        (status = 201, body = ProjectDto),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "Code taken", body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/projects")]
async fn create_project(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<CreateProject>,
) -> ApiResult<HttpResponse> {
    user.require(Permission::ManageFleet)?;
    let created = service::create(&state.db, &user.actor(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Get a project.
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id")),
    responses(
        (status = 200, body = ProjectDto),
        (status = 401, body = Problem), (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}")]
async fn get_project(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<Json<ProjectDto>> {
    user.require(Permission::ReadFleet)?;
    Ok(Json(service::get(&state.db, *id).await?))
}

/// Change a project's name, description or status.
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = UpdateProject,
    responses(
        (status = 200, body = ProjectDto),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/projects/{id}")]
async fn update_project(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<UpdateProject>,
) -> ApiResult<Json<ProjectDto>> {
    user.require(Permission::ManageFleet)?;
    Ok(Json(
        service::update(&state.db, &user.actor(), *id, body.into_inner()).await?,
    ))
}

/// Delete a project without applications.
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The project has applications", body = Problem),
    ),
    security(("bearer" = []))
)]
#[delete("/projects/{id}")]
async fn delete_project(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.require(Permission::ManageFleet)?;
    service::delete(&state.db, &user.actor(), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
