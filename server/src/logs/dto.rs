//! Bodies and filters of the log endpoints.

use chrono::{DateTime, Utc};
use monihub_agent_protocol::LogLevel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entity::logs;

/// Where a line comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogSource {
    Agent,
    Server,
}

impl LogSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Server => "server",
        }
    }
}

/// One log line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogDto {
    pub id: Uuid,
    /// `trace`, `debug`, `info`, `warn` or `error`.
    pub level: String,
    /// `agent` or `server`.
    pub source: String,
    pub message: String,
    pub trace_id: Option<String>,
    pub application_id: Option<Uuid>,
    pub instance_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub context: serde_json::Value,
    pub logged_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

impl From<logs::Model> for LogDto {
    fn from(l: logs::Model) -> Self {
        Self {
            id: l.id,
            level: l.level,
            source: l.source,
            message: l.message,
            trace_id: l.trace_id,
            application_id: l.application_id,
            instance_id: l.instance_id,
            context: l.context,
            logged_at: l.logged_at,
            received_at: l.received_at,
        }
    }
}

/// Filters of `GET /api/v1/logs` and its CSV export. Every value is bound as a parameter.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogFilter {
    pub level: Option<LogLevel>,
    pub source: Option<LogSource>,
    pub instance_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    /// Exact trace id.
    pub trace_id: Option<String>,
    /// Substring of the message (case-insensitive).
    pub q: Option<String>,
    /// Lines received at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Lines received before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}
