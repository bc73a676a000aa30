//! `POST /api/v1/ws/ticket` and `GET /api/v1/ws` (the live-event WebSocket).

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use actix_ws::{CloseCode, CloseReason, Message};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{AuthUser, Permission, authenticate};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(issue_ticket).service(websocket);
}

/// Seconds a ticket may wait before it is used.
const TICKET_TTL_SECS: i64 = 30;
/// How often an open socket re-checks that its session is still live.
const RECHECK: Duration = Duration::from_secs(60);
/// How long one event may wait for a client's socket to take it before the client is dropped.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// A ticket for `GET /api/v1/ws?ticket=…`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WsTicket {
    pub ticket: String,
    /// Seconds the ticket stays valid for opening a socket.
    pub expires_in: i64,
}

/// Query of `GET /api/v1/ws`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// A ticket from `POST /api/v1/ws/ticket`.
    pub ticket: String,
}

/// A short-lived ticket that opens the live-event WebSocket (browsers cannot send an
/// `Authorization` header with a WebSocket; the ticket is bound to this session and useless for
/// anything else).
#[utoipa::path(
    tag = "events",
    responses(
        (status = 200, body = WsTicket),
        (status = 401, body = Problem), (status = 403, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/ws/ticket")]
async fn issue_ticket(state: web::Data<AppState>, user: AuthUser) -> ApiResult<Json<WsTicket>> {
    user.require(Permission::ReadFleet)?;
    let ticket = state
        .jwt
        .issue_ticket(user.id, user.session_id, TICKET_TTL_SECS)
        .map_err(ApiError::Internal)?;
    Ok(Json(WsTicket {
        ticket,
        expires_in: TICKET_TTL_SECS,
    }))
}

/// The live-event WebSocket: JSON text messages `instance.online`, `instance.offline`,
/// `instance.report` and `task.updated`, from every replica. A client that falls more than 1,024
/// events behind is disconnected (close code 1013), one that stops reading for 5 s is dropped;
/// the socket closes when the session ends.
#[utoipa::path(
    tag = "events",
    params(TicketQuery),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket request", body = Problem),
        (status = 401, description = "Missing, expired or invalid ticket", body = Problem),
        (status = 403, body = Problem),
    )
)]
#[get("/ws")]
async fn websocket(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
    query: web::Query<TicketQuery>,
) -> ApiResult<HttpResponse> {
    let claims = state
        .jwt
        .verify_ticket(&query.ticket)
        .ok_or(ApiError::Unauthorized("the ticket is invalid or expired"))?;
    let user = authenticate(&state, claims.sub, claims.jti, None).await?;
    user.require(Permission::ReadFleet)?;
    let (response, mut session, mut incoming) = actix_ws::handle(&req, body)
        .map_err(|e| ApiError::BadRequest(format!("not a WebSocket request: {e}")))?;
    let mut events = state.events.subscribe();
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        let mut recheck = tokio::time::interval(RECHECK);
        recheck.tick().await;
        let reason = loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(event) => {
                        let Ok(text) = serde_json::to_string(&*event) else { continue };
                        match tokio::time::timeout(SEND_TIMEOUT, session.text(text)).await {
                            Ok(Ok(())) => {}
                            Ok(Err(_)) => return,
                            // Not reading at all: the socket's buffers are full. Drop it; a close
                            // frame could not get through either.
                            Err(_) => {
                                tracing::info!("dropped a live-event client that stopped reading");
                                return;
                            }
                        }
                    }
                    Err(RecvError::Lagged(_)) => {
                        break Some(CloseReason {
                            code: CloseCode::Again,
                            description: Some("too slow to keep up; reconnect".into()),
                        });
                    }
                    Err(RecvError::Closed) => break None,
                },
                message = incoming.recv() => match message {
                    Some(Ok(Message::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
                    Some(Ok(_)) => {}
                },
                _ = recheck.tick() => {
                    if authenticate(&state, claims.sub, claims.jti, None).await.is_err() {
                        break Some(CloseReason {
                            code: CloseCode::Policy,
                            description: Some("the session ended".into()),
                        });
                    }
                }
            }
        };
        let _ = session.close(reason).await;
    });
    Ok(response)
}
