//! `/api/v1/agent/*`: the endpoints agents call with their application's agent token.

use actix_web::post;
use actix_web::web;
use chrono::Utc;
use monihub_agent_protocol::redact::redact_environment;
use monihub_agent_protocol::{AgentConfig, ReportRequest, ReportResponse, Validate, Violation};
use utoipa_actix_web::service_config::ServiceConfig;

use super::AgentAuth;
use super::writer::{Outcome, Submission};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::http::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(report);
}

/// The protocol's violations as a 422 (sorted by field, like every other 422).
pub fn invalid(violations: Vec<Violation>) -> ApiError {
    let mut errors: Vec<FieldError> = violations
        .into_iter()
        .map(|v| FieldError {
            field: v.field,
            code: v.code.into(),
            message: v.message,
        })
        .collect();
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    ApiError::Validation(errors)
}

/// Report the state of an instance (registers it on its first report).
///
/// The instance is identified by the application of the agent token and `agent_instance_id`. The
/// answer carries the agent configuration to use from now on. Values of environment variables whose
/// names look secret are never stored. When the server is storing too many reports it answers 503
/// with `Retry-After`; a 200 means the report is stored.
#[utoipa::path(
    tag = "agent",
    request_body = ReportRequest,
    responses(
        (status = 200, description = "Stored", body = ReportResponse),
        (status = 401, description = "Missing, wrong or rotated agent token", body = Problem),
        (status = 403, description = "The instance or its application is disabled", body = Problem),
        (status = 503, description = "Busy; retry after the given time", body = Problem),
    ),
    security(("agent_token" = []))
)]
#[post("/agent/report")]
async fn report(
    state: web::Data<AppState>,
    agent: AgentAuth,
    body: Json<ReportRequest>,
) -> ApiResult<Json<ReportResponse>> {
    let mut report = body.into_inner();
    let received_at = Utc::now();
    report.validate(received_at).map_err(invalid)?;
    report.environment = redact_environment(&report.environment);
    let submission = Submission {
        application_id: agent.application_id,
        report,
        received_at,
    };
    match state.reports.submit(submission).await? {
        Outcome::Stored {
            instance_id,
            config,
        } => Ok(Json(ReportResponse {
            instance_id,
            config: config
                .and_then(|c| serde_json::from_value::<AgentConfig>(c).ok())
                .unwrap_or_default(),
            received_at,
        })),
        Outcome::Disabled => Err(ApiError::Forbidden(
            "this instance is disabled; its reports are not accepted".into(),
        )),
    }
}
