//! HTTP plumbing shared by every route: request ids, the request span and access log, Prometheus
//! request metrics, problem+json for every error (including extractor rejections and unmatched
//! routes).

use std::time::Instant;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use tracing::Instrument;
use uuid::Uuid;

use crate::error::{ApiError, PROBLEM_JSON, Problem};
use crate::startup::AppState;

/// Header carrying the request id in both directions.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");
/// Largest JSON body accepted.
pub const JSON_LIMIT_BYTES: usize = 256 * 1024;

/// The id of the current request, available from request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Accept a caller's request id only when it is short and plain, so it is safe to log and echo.
fn incoming_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(&REQUEST_ID_HEADER)?.to_str().ok()?;
    let plain = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    plain.then(|| value.to_owned())
}

/// Probes and scrapes are logged at debug level so they do not drown the access log.
fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The outermost middleware: assigns the request id, opens the request span, writes one access
/// log line, records metrics and completes problem bodies with the request id.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = incoming_request_id(&req).unwrap_or_else(|| Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let span = tracing::info_span!(
        "http_request",
        method = %method,
        path = %path,
        request_id = %request_id,
    );
    let started = Instant::now();
    let res = next.call(req).instrument(span.clone()).await?;
    let mut res = complete_problem(res.map_into_boxed_body(), &request_id);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }

    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    if is_probe(&path) {
        tracing::debug!(parent: &span, status, latency_ms, "request completed");
    } else {
        tracing::info!(parent: &span, status, latency_ms, "request completed");
    }
    if let Some(state) = state {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        state
            .metrics
            .observe_http(method.as_str(), &route, status, elapsed);
    }
    Ok(res)
}

/// Adds the request id to problem bodies, and turns bodiless error responses produced by the
/// framework (unknown route, wrong method) into problem documents too.
fn complete_problem(res: ServiceResponse<BoxBody>, request_id: &str) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let existing = res.response().extensions().get::<Problem>().cloned();
    let problem = match existing {
        Some(problem) => problem,
        None => {
            let is_problem = res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
            let empty = matches!(
                res.response().body().size(),
                BodySize::None | BodySize::Sized(0)
            );
            if is_problem || !empty {
                return res;
            }
            Problem::from_status(status, None)
        }
    };
    let mut problem = problem;
    problem.request_id = Some(request_id.to_owned());
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    res.map_body(|head, _| {
        head.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        BoxBody::new(body)
    })
}

/// JSON bodies: size limit and problem+json rejections.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT_BYTES)
        .error_handler(|err, _req| match err {
            actix_web::error::JsonPayloadError::Overflow { limit }
            | actix_web::error::JsonPayloadError::OverflowKnownLength { limit, .. } => {
                ApiError::PayloadTooLarge(format!("the JSON body exceeds {limit} bytes")).into()
            }
            err => ApiError::BadRequest(format!("invalid JSON body: {err}")).into(),
        })
}

/// Query strings: problem+json rejections.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, _req| ApiError::BadRequest(format!("invalid query: {err}")).into())
}

/// Path parameters: problem+json rejections.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        ApiError::BadRequest(format!("invalid path parameter: {err}")).into()
    })
}

/// Answer for routes that do not exist.
pub async fn not_found() -> HttpResponse {
    Problem::from_status(
        actix_web::http::StatusCode::NOT_FOUND,
        Some("no such route".into()),
    )
    .into_response()
}
