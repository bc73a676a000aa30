//! Login throttling against brute force, kept in the database so every replica sees the same
//! count. Failures are counted per account name (whether or not it exists, so the answer does not
//! reveal which names exist); reaching the limit within the window locks the name for a while.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use crate::entity::login_throttle;

/// Throttling parameters (from the settings).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_failures: u32,
    pub lockout: Duration,
}

fn key(username: &str) -> String {
    let mut key = format!("user:{username}");
    key.truncate(128);
    key
}

/// Seconds until the name may try again, if it is locked now.
pub async fn locked_for<C: ConnectionTrait>(
    db: &C,
    username: &str,
    now: DateTime<Utc>,
) -> Result<Option<u64>, sea_orm::DbErr> {
    let row = login_throttle::Entity::find_by_id(key(username))
        .one(db)
        .await?;
    Ok(row
        .and_then(|r| r.locked_until)
        .filter(|until| *until > now)
        .map(|until| (until - now).num_seconds().max(1) as u64))
}

/// Counts a failure; returns the lock duration in seconds if this failure locked the name.
pub async fn record_failure<C: ConnectionTrait>(
    db: &C,
    username: &str,
    policy: Policy,
    now: DateTime<Utc>,
) -> Result<Option<u64>, sea_orm::DbErr> {
    let key = key(username);
    let existing = login_throttle::Entity::find_by_id(key.clone())
        .one(db)
        .await?;
    let (failures, window_started_at) = match &existing {
        Some(row) if row.window_started_at + policy.lockout > now => {
            (row.failures + 1, row.window_started_at)
        }
        _ => (1, now),
    };
    let locks = failures as u32 >= policy.max_failures;
    let locked_until = locks.then(|| now + policy.lockout);
    let model = login_throttle::ActiveModel {
        key: Set(key),
        failures: Set(if locks { 0 } else { failures }),
        window_started_at: Set(if locks { now } else { window_started_at }),
        locked_until: Set(locked_until),
    };
    if existing.is_some() {
        model.update(db).await?;
    } else {
        login_throttle::Entity::insert(model).exec(db).await?;
    }
    Ok(locked_until.map(|_| policy.lockout.num_seconds().max(1) as u64))
}

/// Forgets the failures of a name after a successful sign-in.
pub async fn reset<C: ConnectionTrait>(db: &C, username: &str) -> Result<(), sea_orm::DbErr> {
    login_throttle::Entity::delete_by_id(key(username))
        .exec(db)
        .await?;
    Ok(())
}
