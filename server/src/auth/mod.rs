//! Authentication and authorisation: argon2id passwords, revocable JWT sessions, login
//! throttling, the role catalogue and the `AuthUser` extractor every protected route takes.

pub mod client;
mod extractor;
pub mod hasher;
pub mod jwt;
pub mod password;
mod rbac;
pub mod routes;
pub mod service;
pub mod throttle;

pub use extractor::AuthUser;
pub(crate) use extractor::authenticate;
pub use hasher::Hasher;
pub use jwt::JwtKeys;
pub use rbac::{Permission, Role};
