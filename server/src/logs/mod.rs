//! Logs: the lines agents ship (and the server's own operation logs), filtered and paginated, and
//! exported as CSV streamed in constant memory.

pub mod dto;
pub mod export;
pub mod operations;
pub mod routes;
pub mod service;
