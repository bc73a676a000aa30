//! The per-instance agent configuration: edited by operators, delivered in every report answer,
//! applied by the agent without a restart. An agent's local configuration still decides what it
//! may do (which task types run); this can only narrow it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::report::LogLevel;

/// Bounds of the report interval, in seconds.
pub const REPORT_INTERVAL_SECONDS: std::ops::RangeInclusive<u32> = 5..=3600;
/// Bounds of the long-poll wait, in seconds.
pub const LONG_POLL_SECONDS: std::ops::RangeInclusive<u32> = 1..=60;

/// How an agent should behave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// Seconds between reports, 5–3600.
    #[schema(minimum = 5, maximum = 3600)]
    pub report_interval_seconds: u32,
    /// Seconds a task long-poll waits for work, 1–60.
    #[schema(minimum = 1, maximum = 60)]
    pub long_poll_seconds: u32,
    /// Whether the agent asks for tasks at all.
    pub tasks_enabled: bool,
    /// The lowest level of the agent's own log lines that it ships.
    pub log_level: LogLevel,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            report_interval_seconds: 30,
            long_poll_seconds: 30,
            tasks_enabled: true,
            log_level: LogLevel::Info,
        }
    }
}
