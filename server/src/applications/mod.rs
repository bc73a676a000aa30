//! Applications inside projects, and the agent tokens their agents authenticate with.

pub mod cluster;
pub mod dto;
pub mod routes;
pub mod service;
pub mod token;
