//! Black-box API tests: the real server over HTTP, against real SQLite and PostgreSQL databases.
//! Every test runs once per database (`sqlite::…` and `postgres::…`).

mod helpers;

mod agent;
mod applications;
mod audit;
mod auth;
mod errors;
mod events;
mod hardening;
mod host_agent;
mod instances;
mod logs;
mod migrations;
mod probes;
mod projects;
mod rbac;
mod retention;
mod tasks;
mod throttling;
mod totals;
mod users;
