//! `/api/v1/logs` and `/api/v1/logs/export`.

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, get, web};
use chrono::Utc;
use utoipa_actix_web::service_config::ServiceConfig;

use super::dto::{LogDto, LogFilter};
use super::{export, service};
use crate::auth::{AuthUser, Permission};
use crate::error::{ApiResult, Problem};
use crate::http::Json;
use crate::pagination::{Page, PageQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_logs).service(export_logs);
}

/// Log lines, newest first.
#[utoipa::path(
    tag = "logs",
    params(PageQuery, LogFilter),
    responses(
        (status = 200, body = Page<LogDto>),
        (status = 401, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/logs")]
async fn list_logs(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageQuery>,
    filter: web::Query<LogFilter>,
) -> ApiResult<Json<Page<LogDto>>> {
    user.require(Permission::ReadFleet)?;
    let page = page.into_inner().validate()?;
    Ok(Json(service::list(&state.db, &filter, page).await?))
}

/// Every matching log line as CSV (newest first), streamed.
#[utoipa::path(
    tag = "logs",
    params(LogFilter),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 401, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/logs/export")]
async fn export_logs(
    state: web::Data<AppState>,
    user: AuthUser,
    filter: web::Query<LogFilter>,
) -> ApiResult<HttpResponse> {
    user.require(Permission::ReadFleet)?;
    let body = export::stream(state.db.clone(), filter.into_inner())?;
    let name = format!("monihub-logs-{}.csv", Utc::now().format("%Y%m%dT%H%M%SZ"));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .streaming(body))
}
