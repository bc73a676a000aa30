//! `/api/v1/instances/*`.

use actix_web::{HttpResponse, delete, get, patch, web};
use chrono::Utc;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::dto::{
    InstanceDto, InstanceFilter, MetricSeries, MetricsQuery, ReportDto, ReportRange, UpdateInstance,
};
use super::{metrics, service};
use crate::auth::{AuthUser, Permission};
use crate::error::{ApiResult, Problem};
use crate::http::Json;
use crate::pagination::{Page, PageQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_instances)
        .service(get_instance)
        .service(update_instance)
        .service(delete_instance)
        .service(instance_reports)
        .service(instance_metrics);
}

/// List instances (deleted ones are left out).
#[utoipa::path(
    tag = "instances",
    params(PageQuery, InstanceFilter),
    responses(
        (status = 200, body = Page<InstanceDto>),
        (status = 401, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/instances")]
async fn list_instances(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageQuery>,
    filter: web::Query<InstanceFilter>,
) -> ApiResult<Json<Page<InstanceDto>>> {
    user.require(Permission::ReadFleet)?;
    let page = page.into_inner().validate()?;
    Ok(Json(
        service::list(&state.db, &state.instance_totals, &filter, page).await?,
    ))
}

/// An instance with its latest state and agent configuration.
#[utoipa::path(
    tag = "instances",
    params(("id" = Uuid, Path, description = "Instance id")),
    responses(
        (status = 200, body = InstanceDto),
        (status = 401, body = Problem), (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/instances/{id}")]
async fn get_instance(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<Json<InstanceDto>> {
    user.require(Permission::ReadFleet)?;
    Ok(Json(service::get(&state.db, *id).await?))
}

/// Enable or disable an instance, or replace its agent configuration.
#[utoipa::path(
    tag = "instances",
    params(("id" = Uuid, Path, description = "Instance id")),
    request_body = UpdateInstance,
    responses(
        (status = 200, body = InstanceDto),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/instances/{id}")]
async fn update_instance(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<UpdateInstance>,
) -> ApiResult<Json<InstanceDto>> {
    user.require(Permission::ManageFleet)?;
    Ok(Json(
        service::update(&state.db, &user.actor(), *id, body.into_inner()).await?,
    ))
}

/// Delete an instance (soft: it comes back if its agent reports again).
#[utoipa::path(
    tag = "instances",
    params(("id" = Uuid, Path, description = "Instance id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[delete("/instances/{id}")]
async fn delete_instance(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.require(Permission::ManageFleet)?;
    service::delete(&state.db, &user.actor(), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Report history of an instance, newest first.
#[utoipa::path(
    tag = "instances",
    params(("id" = Uuid, Path, description = "Instance id"), PageQuery, ReportRange),
    responses(
        (status = 200, body = Page<ReportDto>),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/instances/{id}/reports")]
async fn instance_reports(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
    range: web::Query<ReportRange>,
) -> ApiResult<Json<Page<ReportDto>>> {
    user.require(Permission::ReadFleet)?;
    let page = page.into_inner().validate()?;
    Ok(Json(service::reports(&state.db, *id, &range, page).await?))
}

/// CPU, memory and disk of an instance over a range, downsampled to at most 300 points.
#[utoipa::path(
    tag = "instances",
    params(("id" = Uuid, Path, description = "Instance id"), MetricsQuery),
    responses(
        (status = 200, body = MetricSeries),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/instances/{id}/metrics")]
async fn instance_metrics(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: web::Query<MetricsQuery>,
) -> ApiResult<Json<MetricSeries>> {
    user.require(Permission::ReadFleet)?;
    let range = metrics::parse_range(query.range.as_deref())?;
    service::find(&state.db, *id).await?;
    Ok(Json(
        metrics::series(&state.db, *id, range, Utc::now()).await?,
    ))
}
