//! `GET /api/v1/fleet/metrics`.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};
use futures::future::LocalBoxFuture;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{AuthUser, Permission};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(fleet_metrics);
}

/// A caller allowed to read fleet metrics: the scrape token, or a user who may read the fleet.
#[derive(Debug)]
pub struct FleetReader;

/// Compares digests, so the time taken says nothing about how much of the token matched.
fn same_secret(presented: &str, expected: &str) -> bool {
    Sha256::digest(presented.as_bytes()) == Sha256::digest(expected.as_bytes())
}

impl FromRequest for FleetReader {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let scrape_token = req
            .app_data::<web::Data<AppState>>()
            .and_then(|state| state.settings.metrics_token.clone());
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        if let (Some(expected), Some(presented)) = (&scrape_token, &presented)
            && same_secret(presented, expected.expose_secret())
        {
            return Box::pin(async { Ok(FleetReader) });
        }
        let user = AuthUser::from_request(req, payload);
        Box::pin(async move {
            user.await?.require(Permission::ReadFleet)?;
            Ok(FleetReader)
        })
    }
}

/// The latest CPU, memory and disk of every instance and whether it is online, for Prometheus.
///
/// Send a viewer's (or higher) access token, or the scrape token set in `MONIHUB_METRICS_TOKEN`.
#[utoipa::path(
    tag = "instances",
    responses(
        (status = 200, content_type = "application/openmetrics-text", body = String),
        (status = 401, body = Problem), (status = 403, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/fleet/metrics")]
async fn fleet_metrics(
    state: web::Data<AppState>,
    _reader: FleetReader,
) -> ApiResult<HttpResponse> {
    let text = super::exposition(&state.db).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(text))
}
