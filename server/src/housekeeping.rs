//! Periodic upkeep: spent throttling counters, long expired sessions, and report history and logs
//! past their retention are removed (see [`crate::retention`]), and on PostgreSQL report history
//! gets its partitions for the days ahead. Every step is idempotent, so several replicas may run
//! it at once. The first run is at start-up.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::auth::throttle;
use crate::entity::auth_sessions;
use crate::retention::{BATCH_ROWS, Removed, Retention};

/// How often the clean-up runs.
const INTERVAL: Duration = Duration::from_secs(300);
/// Expired sessions are kept this long (a token presented after expiry still finds its row and
/// gets the precise "expired" answer for a while).
const SESSION_GRACE: chrono::Duration = chrono::Duration::days(1);

/// What one clean-up removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub throttle_counters: u64,
    pub sessions: u64,
}

/// Deletes spent throttling counters and sessions that expired more than a day before `now`.
pub async fn prune(
    db: &DatabaseConnection,
    policy: throttle::Policy,
    now: DateTime<Utc>,
) -> Result<Pruned, sea_orm::DbErr> {
    let throttle_counters = throttle::prune(db, policy, now).await?;
    let sessions = auth_sessions::Entity::delete_many()
        .filter(auth_sessions::Column::ExpiresAt.lt(now - SESSION_GRACE))
        .exec(db)
        .await?
        .rows_affected;
    Ok(Pruned {
        throttle_counters,
        sessions,
    })
}

/// Runs [`prune`] and retention every few minutes for as long as the runtime lives.
pub fn spawn(db: DatabaseConnection, policy: throttle::Policy, retention: Retention) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match prune(&db, policy, Utc::now()).await {
                Ok(pruned) if pruned != Pruned::default() => {
                    tracing::debug!(?pruned, "removed spent throttling counters and sessions");
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "housekeeping failed; retrying later"),
            }
            let today = Utc::now().date_naive();
            let ahead = today + chrono::Duration::days(crate::retention::PARTITION_DAYS_AHEAD);
            match crate::retention::ensure_report_partitions(&db, today, ahead).await {
                Ok(0) => {}
                Ok(created) => tracing::info!(created, "created report-history partitions"),
                Err(err) => {
                    tracing::warn!(error = %err, "creating report-history partitions failed; retrying later");
                }
            }
            match crate::retention::prune(&db, retention, Utc::now(), BATCH_ROWS).await {
                Ok(removed) if removed != Removed::default() => {
                    tracing::info!(?removed, "deleted report history and logs past retention");
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "retention failed; retrying later"),
            }
        }
    });
}
