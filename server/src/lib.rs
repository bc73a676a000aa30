//! MoniHub API server: projects, applications, instances and the people who operate them.
//!
//! The binary (`main.rs`) is a thin command-line shell around this library so that black-box tests
//! can start the very same server on a random port against a fresh database.

pub mod agent;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod entity;
pub mod error;
pub mod events;
pub mod fleet;
pub mod health;
pub mod housekeeping;
pub mod http;
pub mod instances;
pub mod logs;
pub mod openapi;
pub mod pagination;
pub mod probe;
pub mod projects;
pub mod retention;
pub mod routes;
pub mod startup;
pub mod state;
pub mod tasks;
pub mod telemetry;
pub mod users;
pub mod validation;

pub use startup::Server;
pub use state::AppState;
