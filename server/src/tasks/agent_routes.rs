//! `/api/v1/agent/tasks` and `/api/v1/agent/task-records/*` (agents, with the agent token).

use std::time::Duration;

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use monihub_agent_protocol::{PollResponse, TaskResult, Validate};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::dispatch;
use super::dto::{AckRecord, PollQuery, TaskRecordDto};
use super::notifier::Subscription;
use crate::agent::AgentAuth;
use crate::agent::routes::invalid;
use crate::entity::task_records::{self, RecordStatus};
use crate::error::{ApiError, ApiResult, Problem};
use crate::events::Event;
use crate::http::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(poll_tasks)
        .service(acknowledge_record)
        .service(submit_result);
}

/// Longest long-poll wait.
const MAX_WAIT_SECS: u32 = 60;

/// Ask for work. Answers at once when there is some; otherwise waits up to `wait` seconds and
/// answers as soon as work arrives (no database polling while waiting).
///
/// Each record handed out must be acknowledged within 30 s or it is handed out again.
#[utoipa::path(
    tag = "agent",
    params(PollQuery),
    responses(
        (status = 200, body = PollResponse),
        (status = 401, body = Problem),
        (status = 403, description = "The instance or its application is disabled", body = Problem),
        (status = 404, description = "No such instance: report first", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("agent_token" = []))
)]
#[get("/agent/tasks")]
async fn poll_tasks(
    state: web::Data<AppState>,
    agent: AgentAuth,
    query: web::Query<PollQuery>,
) -> ApiResult<HttpResponse> {
    let wait = query.wait.unwrap_or(30);
    if wait > MAX_WAIT_SECS {
        return Err(ApiError::field(
            "wait",
            "range",
            format!("must be between 0 and {MAX_WAIT_SECS}"),
        ));
    }
    let instance =
        dispatch::calling_instance(&state.db, agent.application_id, &query.agent_instance_id)
            .await?
            .id;
    // Listening before looking, so work that arrives in between still wakes the poll.
    let subscription = state.tasks.subscribe(instance);
    let (tasks, cancelled) = claim(&state, instance).await?;
    if !tasks.is_empty() || !cancelled.is_empty() || wait == 0 {
        return Ok(HttpResponse::Ok().json(PollResponse { tasks, cancelled }));
    }
    // Nothing yet: the status line and headers go out now and only the body waits. The request,
    // its extractors and the handler are released, so a waiting agent costs its connection and
    // this small future, not a whole request: thousands can wait at once.
    let state = state.into_inner();
    let body = futures::stream::once(async move {
        let answer = wait_then_claim(&state, instance, subscription, wait).await;
        Ok::<_, std::convert::Infallible>(actix_web::web::Bytes::from(
            serde_json::to_vec(&answer).unwrap_or_else(|_| b"{}".to_vec()),
        ))
    });
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .streaming(body))
}

/// Waits up to `wait` seconds for work, then claims it. The status is already sent, so a failure
/// here answers "nothing" (the work stays pending for the next poll) and is logged.
async fn wait_then_claim(
    state: &AppState,
    instance: Uuid,
    mut subscription: Subscription,
    wait: u32,
) -> PollResponse {
    let woken = tokio::time::timeout(Duration::from_secs(u64::from(wait)), subscription.woken())
        .await
        .is_ok();
    drop(subscription);
    if !woken {
        return PollResponse::default();
    }
    // Boxed: while the poll waits, its future holds a pointer instead of this state machine.
    match Box::pin(claim(state, instance)).await {
        Ok((tasks, cancelled)) => PollResponse { tasks, cancelled },
        Err(err) => {
            tracing::warn!(error = %err, %instance, "claiming work after a long-poll failed; the agent polls again");
            PollResponse::default()
        }
    }
}

/// Claims work for an instance and announces what was handed out.
async fn claim(
    state: &AppState,
    instance: Uuid,
) -> ApiResult<(Vec<monihub_agent_protocol::TaskAssignment>, Vec<Uuid>)> {
    let now = Utc::now();
    let (tasks, cancelled) = dispatch::claim(&state.db, instance, now).await?;
    state
        .events
        .publish(
            tasks
                .iter()
                .map(|t| Event::TaskUpdated {
                    task_id: t.task_id,
                    record_id: t.record_id,
                    instance_id: instance,
                    status: RecordStatus::Dispatched,
                    at: now,
                })
                .collect(),
        )
        .await;
    Ok((tasks, cancelled))
}

fn updated(record: &task_records::Model) -> Event {
    Event::TaskUpdated {
        task_id: record.task_id,
        record_id: record.id,
        instance_id: record.instance_id,
        status: record.status,
        at: record.updated_at,
    }
}

/// Acknowledge a record handed out by a poll: the work starts now and its deadline runs.
#[utoipa::path(
    tag = "agent",
    params(("id" = Uuid, Path, description = "Task record id")),
    request_body = AckRecord,
    responses(
        (status = 204, description = "Running"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "Cancelled or already finished: do not run it", body = Problem),
    ),
    security(("agent_token" = []))
)]
#[post("/agent/task-records/{id}/ack")]
async fn acknowledge_record(
    state: web::Data<AppState>,
    agent: AgentAuth,
    id: web::Path<Uuid>,
    body: Json<AckRecord>,
) -> ApiResult<HttpResponse> {
    let instance =
        dispatch::calling_instance(&state.db, agent.application_id, &body.0.agent_instance_id)
            .await?;
    if let Some(record) = dispatch::acknowledge(&state.db, instance.id, *id, Utc::now()).await? {
        state.events.publish(vec![updated(&record)]).await;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Report how a record ended. Accepted only from the instance the record was handed to; sending
/// the same result again is harmless.
#[utoipa::path(
    tag = "agent",
    params(("id" = Uuid, Path, description = "Task record id")),
    request_body = TaskResult,
    responses(
        (status = 200, body = TaskRecordDto),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Cancelled, or already ended otherwise", body = Problem),
    ),
    security(("agent_token" = []))
)]
#[post("/agent/task-records/{id}/result")]
async fn submit_result(
    state: web::Data<AppState>,
    agent: AgentAuth,
    id: web::Path<Uuid>,
    body: Json<TaskResult>,
) -> ApiResult<Json<TaskRecordDto>> {
    let result = body.into_inner();
    let now = Utc::now();
    result.validate(now).map_err(invalid)?;
    let instance =
        dispatch::calling_instance(&state.db, agent.application_id, &result.agent_instance_id)
            .await?;
    let stored = dispatch::submit_result(&state.db, instance.id, *id, result, now).await?;
    if stored.status == RecordStatus::Pending {
        state.tasks.wake([instance.id]);
    }
    state.events.publish(vec![updated(&stored)]).await;
    Ok(Json(stored.into()))
}
