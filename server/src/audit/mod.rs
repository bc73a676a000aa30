//! The audit trail: every mutation records who did what, with the state before and after, in the
//! same transaction as the change itself.

pub mod diff;
pub mod routes;

use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde_json::Value;
use uuid::Uuid;

use crate::entity::audit_log;

/// Who performed a change.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub username: String,
    pub request_id: Option<String>,
}

impl Actor {
    /// Changes made by the server itself or by an operator on the command line.
    pub fn system(name: &str) -> Self {
        Self {
            id: None,
            username: name.to_owned(),
            request_id: None,
        }
    }
}

/// One change to record.
#[derive(Debug)]
pub struct Change<'a> {
    /// `<resource>.<verb>`, e.g. `project.create`.
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Writes one audit record on `db` (pass the transaction of the change).
pub async fn record<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    change: Change<'_>,
) -> Result<(), sea_orm::DbErr> {
    let row = audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        actor_id: Set(actor.id),
        actor_username: Set(actor.username.clone()),
        action: Set(change.action.to_owned()),
        resource_type: Set(change.resource_type.to_owned()),
        resource_id: Set(change.resource_id),
        before: Set(change.before),
        after: Set(change.after),
        request_id: Set(actor.request_id.clone()),
        created_at: Set(Utc::now()),
    };
    audit_log::Entity::insert(row).exec(db).await?;
    Ok(())
}

/// Serializes a DTO for the audit record.
pub fn snapshot<T: serde::Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}
