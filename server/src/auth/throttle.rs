//! Throttling of password guesses, kept in the database so every replica sees the same counts.
//!
//! An attempt is counted *before* the password is checked, inside one write transaction that
//! holds the counters' rows, so parallel guesses cannot slip past a limit: at most
//! `max_failures` guesses are ever evaluated per window and key.
//!
//! Sign-ins are limited on two keys:
//! - **account and client** (`login:<account>|<client address>`): a hard limit. After
//!   `max_failures` attempts in a window that client is blocked for `lockout`. Nobody else is.
//! - **account** (`login:<account>`, all clients together): growing delays instead of a lock.
//!   Beyond `max_failures` attempts in a window, each attempt makes the next wait 1 s, 2 s, 4 s …
//!   up to `max_delay`, so a distributed guesser is slowed to a crawl while the owner of the
//!   account is never locked out for longer than `max_delay`.
//!
//! Password checks of a signed-in user (`password:<account>`) have the hard limit only: nobody
//! but the user can make them. A successful check clears the counters it passed; an admin's
//! unlock clears every counter of an account.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entity::auth_throttle;

/// Throttling parameters (from the settings).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts allowed per window before a key is limited.
    pub max_failures: u32,
    /// The counting window, and how long a hard-limited key stays blocked.
    pub lockout: Duration,
    /// The longest delay an account-wide key imposes.
    pub max_delay: Duration,
}

/// How a key reacts once it has used up its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Blocked until the window has passed.
    Block,
    /// Each further attempt delays the next one exponentially, up to `max_delay`.
    GrowingDelay,
}

/// One throttled key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub key: String,
    pub account: String,
    pub limit: Limit,
}

/// Column bound of `auth_throttle.account`.
const ACCOUNT_MAX_CHARS: usize = 128;

/// An account name as a key part: bounded on character boundaries, so any input is safe.
fn account_part(account: &str) -> String {
    account.chars().take(ACCOUNT_MAX_CHARS).collect()
}

impl Key {
    /// The sign-in keys of an account name tried from a client address.
    pub fn sign_in(account: &str, client: &str) -> [Key; 2] {
        let account = account_part(account);
        [
            Key {
                key: format!("login:{account}"),
                account: account.clone(),
                limit: Limit::GrowingDelay,
            },
            Key {
                key: format!("login:{account}|{client}"),
                account,
                limit: Limit::Block,
            },
        ]
    }

    /// The key of password checks by a signed-in user.
    pub fn password_check(account: &str) -> [Key; 1] {
        let account = account_part(account);
        [Key {
            key: format!("password:{account}"),
            account,
            limit: Limit::Block,
        }]
    }
}

/// The counter of one key as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub attempts: u32,
    pub window_started_at: DateTime<Utc>,
    pub blocked_until: Option<DateTime<Utc>>,
}

/// Decides whether one more attempt may be evaluated now: the counter to store if so, or the
/// seconds to wait.
pub fn admit(
    counter: Option<Counter>,
    limit: Limit,
    policy: Policy,
    now: DateTime<Utc>,
) -> Result<Counter, u64> {
    if let Some(until) = counter.and_then(|c| c.blocked_until)
        && until > now
    {
        return Err(seconds_until(until, now));
    }
    let (attempts, window_started_at) = match counter {
        Some(c) if c.window_started_at + policy.lockout > now => (c.attempts, c.window_started_at),
        _ => (0, now),
    };
    let attempts = attempts.saturating_add(1);
    let blocked_until = match limit {
        Limit::Block if attempts >= policy.max_failures => Some(now + policy.lockout),
        Limit::GrowingDelay if attempts > policy.max_failures => {
            let doublings = (attempts - policy.max_failures - 1).min(30);
            let delay = Duration::seconds(1i64 << doublings).min(policy.max_delay);
            Some(now + delay)
        }
        _ => None,
    };
    Ok(Counter {
        attempts,
        window_started_at,
        blocked_until,
    })
}

fn seconds_until(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let millis = (until - now).num_milliseconds().max(0) as u64;
    millis.div_ceil(1000).max(1)
}

/// Counts one attempt on every key, or none if any key is limited (then: seconds to wait).
///
/// Runs in the caller's write transaction: on PostgreSQL the rows are locked in key order (so two
/// attempts never deadlock), on SQLite the transaction already holds the write lock.
pub async fn count_attempt<C: ConnectionTrait>(
    txn: &C,
    keys: &[Key],
    policy: Policy,
    now: DateTime<Utc>,
) -> Result<Result<(), u64>, sea_orm::DbErr> {
    use auth_throttle::Column;

    // Make sure every row exists, so that the lock below has something to hold.
    auth_throttle::Entity::insert_many(keys.iter().map(|k| auth_throttle::ActiveModel {
        key: Set(k.key.clone()),
        account: Set(k.account.clone()),
        attempts: Set(0),
        window_started_at: Set(now),
        blocked_until: Set(None),
    }))
    .on_conflict_do_nothing_on([Column::Key])
    .exec_without_returning(txn)
    .await?;
    let rows = auth_throttle::Entity::find()
        .filter(Column::Key.is_in(keys.iter().map(|k| k.key.clone())))
        .order_by_asc(Column::Key)
        .lock_exclusive()
        .all(txn)
        .await?;

    let mut updates = Vec::with_capacity(keys.len());
    for key in keys {
        let counter = rows.iter().find(|r| r.key == key.key).map(|r| Counter {
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            window_started_at: r.window_started_at,
            blocked_until: r.blocked_until,
        });
        match admit(counter, key.limit, policy, now) {
            Ok(next) => updates.push((key, next)),
            Err(wait) => return Ok(Err(wait)),
        }
    }
    for (key, next) in updates {
        auth_throttle::Entity::update_many()
            .col_expr(
                Column::Attempts,
                i32::try_from(next.attempts).unwrap_or(i32::MAX).into(),
            )
            .col_expr(Column::WindowStartedAt, next.window_started_at.into())
            .col_expr(Column::BlockedUntil, next.blocked_until.into())
            .filter(Column::Key.eq(&key.key))
            .exec(txn)
            .await?;
    }
    Ok(Ok(()))
}

/// Forgets the counters of `keys` (after a successful check).
pub async fn clear<C: ConnectionTrait>(db: &C, keys: &[Key]) -> Result<(), sea_orm::DbErr> {
    auth_throttle::Entity::delete_many()
        .filter(auth_throttle::Column::Key.is_in(keys.iter().map(|k| k.key.clone())))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets every counter of an account (an admin's unlock). Returns how many were cleared.
pub async fn clear_account<C: ConnectionTrait>(
    db: &C,
    account: &str,
) -> Result<u64, sea_orm::DbErr> {
    Ok(auth_throttle::Entity::delete_many()
        .filter(auth_throttle::Column::Account.eq(account_part(account)))
        .exec(db)
        .await?
        .rows_affected)
}

/// Deletes counters that no longer limit anything: their window has passed and they block
/// nothing. Returns how many were deleted.
pub async fn prune<C: ConnectionTrait>(
    db: &C,
    policy: Policy,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    use auth_throttle::Column;
    Ok(auth_throttle::Entity::delete_many()
        .filter(Column::WindowStartedAt.lte(now - policy.lockout))
        .filter(
            sea_orm::Condition::any()
                .add(Column::BlockedUntil.is_null())
                .add(Column::BlockedUntil.lte(now)),
        )
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            max_failures: 3,
            lockout: Duration::minutes(15),
            max_delay: Duration::seconds(30),
        }
    }

    fn run(
        limit: Limit,
        attempts: usize,
        now: DateTime<Utc>,
    ) -> (Option<Counter>, Vec<Result<(), u64>>) {
        let mut counter = None;
        let mut outcomes = Vec::new();
        for _ in 0..attempts {
            match admit(counter, limit, policy(), now) {
                Ok(next) => {
                    counter = Some(next);
                    outcomes.push(Ok(()));
                }
                Err(wait) => outcomes.push(Err(wait)),
            }
        }
        (counter, outcomes)
    }

    #[test]
    fn a_blocking_key_evaluates_at_most_max_failures_per_window() {
        let now = Utc::now();
        let (counter, outcomes) = run(Limit::Block, 10, now);
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 3);
        assert_eq!(outcomes[3], Err(15 * 60));
        // Once the lock has passed, a new window starts.
        let later = now + Duration::minutes(15) + Duration::seconds(1);
        let next = admit(counter, Limit::Block, policy(), later).unwrap();
        assert_eq!(next.attempts, 1);
        assert_eq!(next.window_started_at, later);
        assert_eq!(next.blocked_until, None);
    }

    #[test]
    fn an_account_key_delays_instead_of_locking() {
        let now = Utc::now();
        let mut counter = None;
        let mut delays = Vec::new();
        let mut t = now;
        for _ in 0..12 {
            let next = admit(counter, Limit::GrowingDelay, policy(), t).unwrap();
            delays.push(next.blocked_until.map(|u| (u - t).num_seconds()));
            // The next attempt comes exactly when it is allowed.
            t = next.blocked_until.unwrap_or(t);
            counter = Some(next);
        }
        assert_eq!(
            delays,
            vec![
                None,
                None,
                None,
                Some(1),
                Some(2),
                Some(4),
                Some(8),
                Some(16),
                Some(30),
                Some(30),
                Some(30),
                Some(30)
            ]
        );
        // While delayed, an attempt waits at most `max_delay`.
        let early = admit(
            counter,
            Limit::GrowingDelay,
            policy(),
            t - Duration::seconds(10),
        );
        assert_eq!(early, Err(10));
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        let now = Utc::now();
        let counter = Counter {
            attempts: 3,
            window_started_at: now,
            blocked_until: Some(now + Duration::milliseconds(1500)),
        };
        assert_eq!(admit(Some(counter), Limit::Block, policy(), now), Err(2));
    }

    #[test]
    fn keys_are_bounded_on_character_boundaries() {
        let long = "é".repeat(500);
        let [account, client] = Key::sign_in(&long, "192.0.2.1");
        assert_eq!(account.account.chars().count(), ACCOUNT_MAX_CHARS);
        assert!(account.key.starts_with("login:é"));
        assert!(client.key.ends_with("|192.0.2.1"));
        assert_eq!(Key::password_check("alice")[0].key, "password:alice");
    }
}
