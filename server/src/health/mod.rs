//! Probes and metrics: `/healthz` (the process answers), `/readyz` (the database answers and the
//! schema is current), `/metrics` (Prometheus).

use actix_web::http::header;
use actix_web::{HttpResponse, get, routes, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

/// `OPTIONS` on a probe: which methods it answers (`HEAD` is served for every `GET` route).
/// Registered outside the API document: it describes the probes, it is not an operation.
#[routes]
#[options("/healthz")]
#[options("/readyz")]
#[options("/metrics")]
pub async fn probe_options() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ALLOW, "GET, HEAD, OPTIONS"))
        .finish()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    pub status: &'static str,
}

/// Liveness: the process is up.
#[utoipa::path(tag = "probes", responses((status = 200, body = HealthStatus)))]
#[get("/healthz")]
async fn healthz() -> Json<HealthStatus> {
    Json(HealthStatus { status: "ok" })
}

/// Readiness: the database answers and no migration is pending.
#[utoipa::path(
    tag = "probes",
    responses(
        (status = 200, body = HealthStatus),
        (status = 503, description = "Database unreachable or migrations pending", body = Problem),
    )
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> ApiResult<Json<HealthStatus>> {
    if let Err(err) = state.db.ping().await {
        tracing::warn!(error = %err, "readiness: database unreachable");
        return Err(ApiError::Unavailable("the database is unreachable".into()));
    }
    match db::pending_migrations(&state.db).await {
        Ok(pending) if pending.is_empty() => Ok(Json(HealthStatus { status: "ready" })),
        Ok(pending) => Err(ApiError::Unavailable(format!(
            "{} database migration(s) pending: {}",
            pending.len(),
            pending.join(", ")
        ))),
        Err(err) => {
            tracing::warn!(error = %err, "readiness: failed to read migration status");
            Err(ApiError::Unavailable(
                "the migration status cannot be read".into(),
            ))
        }
    }
}

/// Prometheus metrics in the OpenMetrics text format.
#[utoipa::path(tag = "probes", responses((status = 200, content_type = "application/openmetrics-text", body = String)))]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.encode())
}
