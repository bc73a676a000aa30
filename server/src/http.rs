//! HTTP plumbing shared by every route: request ids, the request span and access log, Prometheus
//! request metrics, problem+json for every error (including extractor rejections and unmatched
//! routes), and the rules every request input obeys (no NUL characters, bounded heads, bodies that
//! arrive in time).

use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{
    FromRequest, HttpMessage, HttpRequest, HttpResponse, Responder, ResponseError, web,
};
use futures::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;
use uuid::Uuid;

use crate::error::{ApiError, PROBLEM_JSON, Problem};
use crate::state::AppState;

/// Header carrying the request id in both directions.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");
/// Largest JSON body accepted.
pub const JSON_LIMIT_BYTES: usize = 256 * 1024;
/// Largest request head (request line and headers) answered normally; larger ones get 431.
/// (Heads beyond the HTTP layer's own 128 KiB buffer, or with more than 96 headers, are refused
/// by that layer before a request exists, with a bodiless 431.)
pub const HEAD_LIMIT_BYTES: usize = 32 * 1024;
/// Used when a request body timeout is not configured (requests outside the server's app).
const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

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
    mut req: ServiceRequest,
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
    // Every GET route answers HEAD too (RFC 9110): route it as GET; the HTTP layer already knows
    // it must not send the body.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let res = match reject_early(&req) {
        Some(err) => req.into_response(err.error_response()),
        None => next
            .call(req)
            .instrument(span.clone())
            .await?
            .map_into_boxed_body(),
    };
    let mut res = complete_problem(res, &request_id);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    // API answers are per user and often carry credentials: never cache them.
    if path.starts_with("/api/") && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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

/// Refuses, before routing, input no handler should ever see: a request head beyond
/// [`HEAD_LIMIT_BYTES`], and NUL characters in the path or the query (PostgreSQL cannot store
/// them and SQLite silently cuts strings at them).
fn reject_early(req: &ServiceRequest) -> Option<ApiError> {
    let head_bytes: usize = req.path().len()
        + req.query_string().len()
        + req
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum::<usize>();
    if head_bytes > HEAD_LIMIT_BYTES {
        return Some(ApiError::HeadersTooLarge(format!(
            "the request line and headers exceed {HEAD_LIMIT_BYTES} bytes"
        )));
    }
    // A NUL can only be spelled `%00` in a URL (`%` is never part of another escape).
    if req.uri().path().contains("%00") {
        return Some(ApiError::BadRequest(
            "the path must not contain NUL characters".into(),
        ));
    }
    let query = req.query_string();
    if query.contains("%00") {
        let field = form_urlencoded::parse(query.as_bytes())
            .find(|(key, value)| key.contains('\0') || value.contains('\0'))
            .map_or_else(|| "query".to_owned(), |(key, _)| key.replace('\0', "\\0"));
        return Some(nul_error(field));
    }
    None
}

fn nul_error(field: String) -> ApiError {
    ApiError::field(&field, "nul", "must not contain NUL characters")
}

/// Adds the request id to problem bodies, and turns every other error response (the framework's
/// own: unknown route, wrong method, static files) into a problem document too. A body that is
/// not a problem is replaced: it was written for no client in particular.
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
            if is_problem {
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

/// A JSON request body, for handlers: like `web::Json`, plus the rules every body obeys.
///
/// - it must arrive within the request body timeout (408 otherwise), so a client trickling bytes
///   cannot hold a worker;
/// - no string in it, key or value, may contain a NUL character (422 naming the field);
/// - size limit, content type and syntax errors as configured by [`json_config`].
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Answers with the value as JSON (200).
impl<T: Serialize> Responder for Json<T> {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok().json(self.0)
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let timeout = req
            .app_data::<web::Data<AppState>>()
            .map_or(DEFAULT_BODY_TIMEOUT, |state| {
                state.settings.request_body_timeout
            });
        #[allow(clippy::disallowed_types)] // the one place that reads bodies with actix's extractor
        let body = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let value = tokio::time::timeout(timeout, body)
                .await
                .map_err(|_| {
                    ApiError::RequestTimeout(format!(
                        "the request body did not arrive within {} s",
                        timeout.as_secs()
                    ))
                })??
                .into_inner();
            if let Some(field) = find_nul(&value, "") {
                return Err(nul_error(field).into());
            }
            serde_json::from_value(value)
                .map(Json)
                .map_err(|err| ApiError::BadRequest(format!("invalid JSON body: {err}")).into())
        })
    }
}

/// The path (`a.b`, `a[0].b`) of the first string containing a NUL, keys included.
fn find_nul(value: &Value, path: &str) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(text) if text.contains('\0') => Some(if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| find_nul(item, &format!("{}[{i}]", join_or_body(path)))),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(join(&key.replace('\0', "\\0")))
            } else {
                find_nul(item, &join(key))
            }
        }),
        _ => None,
    }
}

fn join_or_body(path: &str) -> &str {
    if path.is_empty() { "body" } else { path }
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
