//! Users and their roles: admin-only management, plus the first-admin bootstrap.

pub mod bootstrap;
pub mod dto;
pub mod routes;
pub mod service;
