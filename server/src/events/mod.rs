//! Live events for the console: `instance.online`, `instance.offline`, `instance.report` and
//! `task.updated`, delivered over an authenticated WebSocket (`/api/v1/ws`).
//!
//! On PostgreSQL every event goes through `NOTIFY monihub_events`, and each replica's listener
//! hands what it hears to its own WebSocket clients, so a client sees every replica's events. On
//! SQLite (one process) events go straight to the local clients. A client too slow to keep up is
//! disconnected, never buffered for without bound.

pub mod hub;
pub mod routes;

pub use hub::{Event, EventHub};
