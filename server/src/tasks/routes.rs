//! `/api/v1/tasks/*` and `/api/v1/task-records/*` (people).

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::dto::{CreateTask, RecordFilter, TaskDto, TaskFilter, TaskRecordDto};
use super::service;
use crate::auth::{AuthUser, Permission};
use crate::error::{ApiResult, Problem};
use crate::http::Json;
use crate::pagination::{Page, PageQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_tasks)
        .service(create_task)
        .service(get_task)
        .service(cancel_task)
        .service(task_records)
        .service(retry_record);
}

/// List tasks, newest first, with their records counted by status.
#[utoipa::path(
    tag = "tasks",
    params(PageQuery, TaskFilter),
    responses(
        (status = 200, body = Page<TaskDto>),
        (status = 401, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/tasks")]
async fn list_tasks(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageQuery>,
    filter: web::Query<TaskFilter>,
) -> ApiResult<Json<Page<TaskDto>>> {
    user.require(Permission::ReadFleet)?;
    let page = page.into_inner().validate()?;
    Ok(Json(service::list(&state.db, &filter, page).await?))
}

/// Create a task for a set of instances (one record each); their agents are woken at once.
#[utoipa::path(
    tag = "tasks",
    request_body = CreateTask,
    responses(
        (status = 201, body = TaskDto),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/tasks")]
async fn create_task(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<CreateTask>,
) -> ApiResult<HttpResponse> {
    user.require(Permission::ManageFleet)?;
    let task = service::create(
        &state.db,
        &state.tasks,
        &state.events,
        &user.actor(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(task))
}

/// A task with its records counted by status.
#[utoipa::path(
    tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id")),
    responses(
        (status = 200, body = TaskDto),
        (status = 401, body = Problem), (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/tasks/{id}")]
async fn get_task(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<Json<TaskDto>> {
    user.require(Permission::ReadFleet)?;
    Ok(Json(service::get(&state.db, *id).await?))
}

/// Cancel every record of a task that has not finished.
#[utoipa::path(
    tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id")),
    responses(
        (status = 200, body = TaskDto),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/tasks/{id}/cancel")]
async fn cancel_task(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<Json<TaskDto>> {
    user.require(Permission::ManageFleet)?;
    Ok(Json(
        service::cancel(&state.db, &state.events, &user.actor(), *id).await?,
    ))
}

/// The per-instance records of a task.
#[utoipa::path(
    tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id"), PageQuery, RecordFilter),
    responses(
        (status = 200, body = Page<TaskRecordDto>),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/tasks/{id}/records")]
async fn task_records(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
    filter: web::Query<RecordFilter>,
) -> ApiResult<Json<Page<TaskRecordDto>>> {
    user.require(Permission::ReadFleet)?;
    let page = page.into_inner().validate()?;
    Ok(Json(service::records(&state.db, *id, &filter, page).await?))
}

/// Run a failed, timed-out or refused record again.
#[utoipa::path(
    tag = "tasks",
    params(("id" = Uuid, Path, description = "Task record id")),
    responses(
        (status = 200, body = TaskRecordDto),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/task-records/{id}/retry")]
async fn retry_record(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<Json<TaskRecordDto>> {
    user.require(Permission::ManageFleet)?;
    Ok(Json(
        service::retry(&state.db, &state.tasks, &state.events, &user.actor(), *id).await?,
    ))
}
