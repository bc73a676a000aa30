//! Authentication and authorisation: argon2id passwords, revocable JWT sessions, login
//! throttling, the role catalogue and the `AuthUser` extractor every protected route takes.

mod extractor;
pub mod jwt;
pub mod password;
mod rbac;
pub mod routes;
pub mod service;
pub mod throttle;

pub use extractor::AuthUser;
pub use jwt::JwtKeys;
pub use rbac::{Permission, Role};
