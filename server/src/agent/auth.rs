//! The `AgentAuth` extractor: a request carrying a valid agent token, resolved to its application.
//! The token is compared by its SHA-256 hash; a rotated token stops working at once (checked
//! tokens are cached, and forgotten on every change: see [`super::tokens`]).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use uuid::Uuid;

use crate::agent::tokens::Resolved;
use crate::applications::token::TOKEN_PREFIX;
use crate::entity::Status;
use crate::error::ApiError;
use crate::state::AppState;

/// The application an agent request acts for.
#[derive(Debug, Clone, Copy)]
pub struct AgentAuth {
    pub application_id: Uuid,
}

const MISSING: &str = "agent token required: send 'Authorization: Bearer mhat_…'";
const INVALID: &str = "the agent token is not valid (wrong, rotated or revoked)";

fn presented_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

impl FromRequest for AgentAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let token = presented_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = token.ok_or(ApiError::Unauthorized(MISSING))?;
            if !token.starts_with(TOKEN_PREFIX) {
                return Err(ApiError::Unauthorized(INVALID));
            }
            let state = state.ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("application state is not configured"))
            })?;
            let hash = crate::applications::token::hash(&token);
            let resolved = match state.agent_tokens.lookup(&hash) {
                (Some(resolved), _) => resolved,
                (None, generation) => {
                    let application =
                        crate::applications::service::find_by_agent_token(&state.db, &token)
                            .await?
                            .ok_or(ApiError::Unauthorized(INVALID))?;
                    let resolved = Resolved {
                        application_id: application.id,
                        active: application.status == Status::Active,
                    };
                    state.agent_tokens.remember(generation, hash, resolved);
                    resolved
                }
            };
            if !resolved.active {
                return Err(ApiError::Forbidden(
                    "the application is disabled; its agents are not accepted".into(),
                ));
            }
            Ok(AgentAuth {
                application_id: resolved.application_id,
            })
        })
    }
}
