//! The MoniHub agent protocol: what an agent sends (`POST /api/v1/agent/report`) and what the
//! server answers, with the limits both sides enforce.
//!
//! The server, the agent and the simulator all use these types, so the two sides cannot drift.
//! Validation lives here too ([`Validate`]): the agent checks what it is about to send, and the
//! server refuses anything outside the limits with a 422 naming the field.

pub mod config;
pub mod limits;
pub mod redact;
pub mod report;
pub mod task;
mod validate;

pub use config::AgentConfig;
pub use report::{
    AgentLogLine, HardwareInfo, LogLevel, NetworkInfo, OsType, ReportRequest, ReportResponse,
    RuntimeInfo, SystemInfo,
};
pub use task::{PollResponse, TaskAssignment, TaskContent, TaskOutcome, TaskResult};
pub use validate::{Validate, Violation};
