//! Login throttling against brute force, kept in the database so every replica sees the same
//! count. Failures are counted per account name (whether or not it exists, so the answer does not
//! reveal which names exist); reaching the limit within the window locks the name for a while.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entity::login_throttle;

/// Throttling parameters (from the settings).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_failures: u32,
    pub lockout: Duration,
}

/// The row key of a name: bounded to the column's 128 characters (on character boundaries, so
/// any Unicode input is safe).
fn key(username: &str) -> String {
    let name: String = username.chars().take(120).collect();
    format!("user:{name}")
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
        .map(|until| Ord::max((until - now).num_seconds(), 1) as u64))
}

/// Counts a failure; returns the lock duration in seconds if this failure locked the name.
///
/// Every step is a single atomic statement, so parallel attempts (from one client or from several
/// replicas) are all counted and cannot lift a lock by racing each other.
pub async fn record_failure<C: ConnectionTrait>(
    db: &C,
    username: &str,
    policy: Policy,
    now: DateTime<Utc>,
) -> Result<Option<u64>, sea_orm::DbErr> {
    use login_throttle::Column;

    let key = key(username);
    let window_expired = Expr::col(Column::WindowStartedAt).lte(now - policy.lockout);

    // 1. Make sure the row exists (a new window starts with zero failures).
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key.clone()),
        failures: Set(0),
        window_started_at: Set(now),
        locked_until: Set(None),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;

    // 2. Count this failure, starting a new window if the old one has passed.
    login_throttle::Entity::update_many()
        .col_expr(
            Column::Failures,
            CaseStatement::new()
                .case(window_expired.clone(), Expr::val(1))
                .finally(Expr::col(Column::Failures).add(1))
                .into(),
        )
        .col_expr(
            Column::WindowStartedAt,
            CaseStatement::new()
                .case(window_expired, Expr::val(now))
                .finally(Expr::col(Column::WindowStartedAt))
                .into(),
        )
        .filter(Column::Key.eq(&key))
        .exec(db)
        .await?;

    // 3. Lock the name if this failure reached the limit and it is not locked already.
    let locked = login_throttle::Entity::update_many()
        .col_expr(Column::LockedUntil, Expr::val(now + policy.lockout))
        .filter(Column::Key.eq(&key))
        .filter(Column::Failures.gte(policy.max_failures as i32))
        .filter(
            Condition::any()
                .add(Column::LockedUntil.is_null())
                .add(Column::LockedUntil.lte(now)),
        )
        .exec(db)
        .await?;
    Ok((locked.rows_affected > 0).then(|| Ord::max(policy.lockout.num_seconds(), 1) as u64))
}

/// Forgets the failures of a name after a successful sign-in.
pub async fn reset<C: ConnectionTrait>(db: &C, username: &str) -> Result<(), sea_orm::DbErr> {
    login_throttle::Entity::delete_by_id(key(username))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn keys_are_bounded_on_character_boundaries() {
        let long = "é".repeat(500);
        let k = key(&long);
        assert_eq!(k.chars().count(), 125);
        assert!(k.starts_with("user:é"));
        assert_eq!(key("alice"), "user:alice");
    }
}
