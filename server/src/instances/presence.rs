//! Online and offline: an instance that has not reported for `MONIHUB_OFFLINE_AFTER` is marked
//! offline (with `offline_at`); its next report marks it online again (the report writer does).
//!
//! The sweep is one `UPDATE … RETURNING`, so each instance goes offline exactly once even if two
//! replicas sweep together; on PostgreSQL a transaction-scoped advisory lock also keeps a second
//! replica from doing the same work at the same moment.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use monihub_agent_protocol::LogLevel;

use crate::entity::instances;
use crate::events::{Event, EventHub};
use crate::logs::operations::{self, Operation};

/// The advisory lock key of the sweep ("monihub" + 1).
const SWEEP_LOCK: i64 = 0x6d6f_6e69_6875_6201;

/// Marks instances offline that have not reported since `now - offline_after`; returns them.
/// Returns nothing when another replica holds the sweep (PostgreSQL).
pub async fn sweep(
    db: &DatabaseConnection,
    offline_after: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, sea_orm::DbErr> {
    // `offline_after` is bounded by the settings, so the conversion cannot fail.
    let cutoff =
        now - chrono::Duration::from_std(offline_after).unwrap_or(chrono::Duration::days(7));
    let txn = crate::db::begin_write(db).await?;
    if !crate::db::try_advisory_xact_lock(&txn, SWEEP_LOCK).await? {
        return Ok(Vec::new());
    }
    let gone = instances::Entity::update_many()
        .col_expr(instances::Column::Online, Expr::value(false))
        .col_expr(instances::Column::OfflineAt, Expr::value(now))
        .filter(instances::Column::Online.eq(true))
        .filter(instances::Column::DeletedAt.is_null())
        .filter(instances::Column::LastReportAt.lt(cutoff))
        .exec_with_returning(&txn)
        .await?;
    let lines = gone
        .iter()
        .map(|instance| Operation {
            level: LogLevel::Warn,
            message: format!(
                "instance {} went offline: no report since {}",
                instance.hostname,
                instance.last_report_at.to_rfc3339()
            ),
            application_id: Some(instance.application_id),
            instance_id: Some(instance.id),
            context: serde_json::json!({
                "agent_instance_id": instance.agent_instance_id,
                "last_report_at": instance.last_report_at,
                "offline_after_seconds": offline_after.as_secs(),
            }),
        })
        .collect();
    operations::record(&txn, Uuid::now_v7(), now, lines).await?;
    txn.commit().await?;
    Ok(gone.into_iter().map(|i| i.id).collect())
}

/// Sweeps every `offline_after / 3` (at least every 5 s, at most every 60 s) for as long as the
/// runtime lives, announcing every instance that went offline.
pub fn spawn(db: DatabaseConnection, offline_after: Duration, events: EventHub) {
    let period = (offline_after / 3).clamp(Duration::from_secs(5), Duration::from_secs(60));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let now = Utc::now();
            match sweep(&db, offline_after, now).await {
                Ok(gone) if !gone.is_empty() => {
                    tracing::info!(count = gone.len(), "instances went offline");
                    events
                        .publish(
                            gone.into_iter()
                                .map(|instance_id| Event::InstanceOffline {
                                    instance_id,
                                    at: now,
                                })
                                .collect(),
                        )
                        .await;
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "offline sweep failed; retrying later"),
            }
        }
    });
}
