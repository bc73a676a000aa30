//! Projects: the top level of the fleet tree.

pub mod dto;
pub mod routes;
pub mod service;
