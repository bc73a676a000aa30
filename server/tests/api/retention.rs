//! Report history by day: on PostgreSQL whole days past retention are dropped as partitions and
//! only the rest is deleted row by row; SQLite deletes everything in batches. Either way exactly
//! the rows past retention go, once, even with two replicas pruning at the same moment.

use chrono::{Duration, NaiveDate, Utc};
use migration::{Migrator, MigratorTrait};
use monihub_server::entity::instance_reports;
use monihub_server::retention::{
    Removed, Retention, ensure_report_partitions, prune, report_partition_days,
};
use sea_orm::{EntityTrait, PaginatorTrait, Set};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, spawn_app};

/// Writes one minimal report per time in `times` for `instance`.
pub(crate) async fn write_history(app: &TestApp, instance: Uuid, times: &[chrono::DateTime<Utc>]) {
    let rows: Vec<instance_reports::ActiveModel> = times
        .iter()
        .map(|at| instance_reports::ActiveModel {
            id: Set(Uuid::now_v7()),
            instance_id: Set(instance),
            reported_at: Set(*at),
            received_at: Set(*at),
            cpu_usage_percent: Set(1.0),
            memory_usage_percent: Set(1.0),
            disk_usage_percent: Set(1.0),
            memory_used_bytes: Set(1),
            memory_total_bytes: Set(1),
            disk_used_bytes: Set(1),
            disk_total_bytes: Set(1),
            load_average_1m: Set(None),
            process_uptime_seconds: Set(None),
            thread_count: Set(None),
            custom_metrics: Set(json!({})),
        })
        .collect();
    for chunk in rows.chunks(500) {
        instance_reports::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
}

async fn history_rows(app: &TestApp) -> u64 {
    instance_reports::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

async fn registered_instance(app: &TestApp) -> Uuid {
    let (_, token) = app.application_with_token("shop").await;
    Uuid::parse_str(&app.instance(&token, "web-1").await).unwrap()
}

fn noon(day: NaiveDate) -> chrono::DateTime<Utc> {
    day.and_hms_opt(12, 0, 0).unwrap().and_utc()
}

async fn whole_days_past_retention_are_dropped(backend: Backend) {
    let app = spawn_app(backend).await;
    let instance = registered_instance(&app).await;
    let now = Utc::now();
    let today = now.date_naive();
    let (first, last) = (today - Duration::days(12), today - Duration::days(9));
    let created = ensure_report_partitions(&app.db, first, last)
        .await
        .unwrap();
    assert_eq!(created, if backend == Backend::Postgres { 4 } else { 0 });
    assert_eq!(
        ensure_report_partitions(&app.db, first, last)
            .await
            .unwrap(),
        0,
        "creating partitions is idempotent"
    );
    let mut old = Vec::new();
    for day in first.iter_days().take(4) {
        old.extend((0..100).map(|s| noon(day) + Duration::seconds(s)));
    }
    // Just past the cutoff (deleted row by row) and just inside it (kept).
    let cutoff = now - Duration::days(7);
    old.extend((1..=10).map(|s| cutoff - Duration::seconds(s)));
    let kept: Vec<_> = (1..=10).map(|s| cutoff + Duration::minutes(s)).collect();
    write_history(&app, instance, &old).await;
    write_history(&app, instance, &kept).await;
    assert_eq!(history_rows(&app).await, 1 + 400 + 10 + 10);

    let retention = Retention {
        reports: std::time::Duration::from_secs(7 * 86_400),
        logs: std::time::Duration::from_secs(30 * 86_400),
    };
    let (a, b) = futures::join!(
        prune(&app.db, retention, now, 100),
        prune(&app.db, retention, now, 100)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    match backend {
        Backend::Postgres => {
            assert_eq!(a.report_partitions + b.report_partitions, 4, "{a:?} {b:?}");
            assert_eq!(a.reports + b.reports, 10, "{a:?} {b:?}");
            let days = report_partition_days(&app.db).await.unwrap();
            assert!(days.iter().all(|d| *d > last), "{days:?}");
            assert!(days.contains(&today), "{days:?}");
        }
        Backend::Sqlite => {
            assert_eq!(a.report_partitions + b.report_partitions, 0);
            assert_eq!(a.reports + b.reports, 410, "{a:?} {b:?}");
        }
    }
    assert_eq!(history_rows(&app).await, 1 + 10);
    assert_eq!(
        prune(&app.db, retention, now, 100).await.unwrap(),
        Removed::default()
    );
}

/// Partitioning (migration 000009) keeps existing history, and undoing it does too.
async fn history_survives_partitioning(backend: Backend) {
    let app = spawn_app(backend).await;
    let migrator = app.migrator().await;
    let instance = registered_instance(&app).await;
    let today = Utc::now().date_naive();
    let three_days_ago = today - Duration::days(3);
    // Undo every migration from 000009 on.
    let migrations = Migrator::migrations();
    let partitioning = migrations
        .iter()
        .position(|m| m.name().ends_with("_000009_partition_report_history"))
        .expect("the partitioning migration exists");
    let steps = u32::try_from(migrations.len() - partitioning).unwrap();
    Migrator::down(&migrator, Some(steps)).await.unwrap();
    write_history(
        &app,
        instance,
        &(0..5)
            .map(|s| noon(three_days_ago) + Duration::seconds(s))
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(history_rows(&app).await, 6);
    monihub_server::db::migrate_up(&migrator).await.unwrap();
    assert_eq!(history_rows(&app).await, 6);
    let days = report_partition_days(&app.db).await.unwrap();
    if backend == Backend::Postgres {
        for day in [three_days_ago, today, today + Duration::days(7)] {
            assert!(days.contains(&day), "no partition for {day}: {days:?}");
        }
        assert!(!days.contains(&(today - Duration::days(1))), "{days:?}");
    } else {
        assert!(days.is_empty());
    }
}

crate::on_both_databases!(
    whole_days_past_retention_are_dropped,
    history_survives_partitioning,
);
