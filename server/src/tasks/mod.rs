//! Remote tasks: operators create them for a set of instances (one record per instance), agents
//! long-poll for their records, acknowledge, run and answer; the server enforces leases and
//! timeouts, and lets operators cancel and retry.

pub mod agent_routes;
pub mod dispatch;
pub mod dto;
pub mod notifier;
pub mod routes;
pub mod service;
pub mod sweep;
