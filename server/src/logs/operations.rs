//! Server operation logs: what the server did on its own that an operator wants to read next to
//! the agents' lines (source `server`) — an instance went offline, a task record's lease lapsed or
//! its deadline passed, retention removed history. Each line is written in the transaction of the
//! change it describes, so the log never claims a change that did not commit. The lines of one
//! sweep share a trace id. Requests are never logged here: request logging is tracing and metrics
//! only, with no database write.

use chrono::{DateTime, Utc};
use monihub_agent_protocol::LogLevel;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};
use serde_json::Value;
use uuid::Uuid;

use super::dto::LogSource;
use crate::entity::logs;

/// Rows per insert, well below the databases' bound-parameter limits (10 columns each).
const ROWS_PER_INSERT: usize = 1000;

/// One thing the server did.
#[derive(Debug, Clone)]
pub struct Operation {
    pub level: LogLevel,
    pub message: String,
    pub application_id: Option<Uuid>,
    pub instance_id: Option<Uuid>,
    pub context: Value,
}

/// Writes `operations` as server log lines sharing `trace_id`, at `now`.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    trace_id: Uuid,
    now: DateTime<Utc>,
    operations: Vec<Operation>,
) -> Result<(), DbErr> {
    let rows: Vec<logs::ActiveModel> = operations
        .into_iter()
        .map(|op| logs::ActiveModel {
            id: Set(Uuid::now_v7()),
            level: Set(op.level.as_str().to_owned()),
            source: Set(LogSource::Server.as_str().to_owned()),
            message: Set(op.message),
            trace_id: Set(Some(trace_id.to_string())),
            application_id: Set(op.application_id),
            instance_id: Set(op.instance_id),
            context: Set(op.context),
            logged_at: Set(now),
            received_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        logs::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
