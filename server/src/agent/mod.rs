//! The agent API: agents authenticate with their application's agent token, report host state
//! (`POST /api/v1/agent/report`) and receive their configuration in the answer.

pub mod auth;
pub mod routes;
pub mod tokens;
pub mod writer;

pub use auth::AgentAuth;
pub use writer::ReportWriter;
