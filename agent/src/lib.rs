//! monihub-agent: reports a host's metrics to a MoniHub server and runs the remote tasks its
//! local configuration allows.

pub mod agent;
pub mod check;
pub mod client;
pub mod config;
pub mod host;
pub mod identity;
pub mod logs;
pub mod retry;
pub mod tasks;
