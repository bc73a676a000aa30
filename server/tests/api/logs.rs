//! Log lines: filters (including hostile search text) and the streamed CSV export, larger than
//! one export page.

use chrono::{Duration, Utc};
use monihub_server::entity::logs;
use monihub_server::logs::export::PAGE_ROWS;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::helpers::{Backend, TestApp, agent_report, spawn_app};

/// An instance that shipped three lines of its own; returns (application id, instance id).
async fn chatty_instance(app: &TestApp) -> (String, String) {
    let (application, token) = app.application_with_token("shop").await;
    let mut report = agent_report("web-1", 1.0);
    report["logs"] = json!([
        {"level": "info", "message": "started"},
        {"level": "warn", "message": "disk 91% full, rotate soon", "trace_id": "trace-42"},
        {"level": "error", "message": "upstream said \"no\", retrying\nsecond line",
         "context": {"upstream": "billing"}}
    ]);
    let reply = app.report(&token, &report).await.expect(200);
    let instance = reply.body["instance_id"].as_str().unwrap().to_owned();
    (application, instance)
}

/// `count` lines from the server, one second apart, the newest a minute ago.
async fn bulk(app: &TestApp, count: usize) {
    let now = Utc::now();
    let rows: Vec<logs::ActiveModel> = (0..count)
        .map(|i| {
            let at = now - Duration::minutes(1) - Duration::seconds(i as i64);
            logs::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                level: Set("debug".into()),
                source: Set("server".into()),
                message: Set(format!("bulk line {i}")),
                trace_id: Set(None),
                application_id: Set(None),
                instance_id: Set(None),
                context: Set(json!({})),
                logged_at: Set(at),
                received_at: Set(at),
            }
        })
        .collect();
    for chunk in rows.chunks(500) {
        logs::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
}

async fn logs_are_filtered_safely(backend: Backend) {
    let app = spawn_app(backend).await;
    let (application, instance) = chatty_instance(&app).await;
    bulk(&app, 5).await;
    let t = &app.admin_token;
    let messages = |query: String| {
        let app = &app;
        async move {
            let reply = app
                .get(&format!("/api/v1/logs{query}"), t)
                .await
                .expect(200);
            reply
                .strings("message")
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(messages(String::new()).await.len(), 8);
    assert_eq!(
        messages("?level=warn".into()).await,
        vec!["disk 91% full, rotate soon"]
    );
    assert_eq!(messages("?source=agent".into()).await.len(), 3);
    assert_eq!(messages("?source=server".into()).await.len(), 5);
    assert_eq!(messages(format!("?instance_id={instance}")).await.len(), 3);
    assert_eq!(
        messages(format!("?application_id={application}"))
            .await
            .len(),
        3
    );
    assert_eq!(messages("?trace_id=trace-42".into()).await.len(), 1);
    assert_eq!(messages("?q=RETRYING".into()).await.len(), 1);
    assert_eq!(messages("?q=91%25".into()).await.len(), 1, "% is literal");
    for hostile in ["' OR 1=1 --", "%", "_", "\\"] {
        let q = form_urlencoded::byte_serialize(hostile.as_bytes()).collect::<String>();
        let found = messages(format!("?q={q}")).await;
        assert!(
            found.iter().all(|m| m.contains(hostile)),
            "{hostile}: {found:?}"
        );
    }
    // Newest first: the agent's lines were received after the bulk lines' times.
    let all = messages(String::new()).await;
    assert!(all[..3].iter().all(|m| !m.starts_with("bulk")), "{all:?}");
    app.get("/api/v1/logs?level=loud", t)
        .await
        .expect_problem(400);
    app.get(
        "/api/v1/logs?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
        t,
    )
    .await
    .expect_problem(422);
    let viewer = app.user_with_role("reader", "viewer").await.1;
    app.get("/api/v1/logs", &viewer).await.expect(200);
}

async fn the_export_streams_every_row_as_csv(backend: Backend) {
    let app = spawn_app(backend).await;
    chatty_instance(&app).await;
    let bulk_rows = 2 * PAGE_ROWS as usize + 500;
    bulk(&app, bulk_rows).await;
    let reply = app
        .client
        .get(app.url("/api/v1/logs/export"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = reply.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"monihub-logs-"),
        "{disposition}"
    );
    let body = reply.bytes().await.unwrap();
    let mut csv = csv::Reader::from_reader(body.as_ref());
    assert_eq!(
        csv.headers().unwrap(),
        vec![
            "received_at",
            "logged_at",
            "level",
            "source",
            "application_id",
            "instance_id",
            "trace_id",
            "message",
            "context"
        ]
    );
    let rows: Vec<csv::StringRecord> = csv.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), bulk_rows + 3, "every row, across pages, once");
    let mut seen: Vec<&str> = rows.iter().map(|r| &r[7]).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), bulk_rows + 3, "no row twice");
    // Quotes, commas and newlines survive the round trip.
    assert!(
        rows.iter()
            .any(|r| &r[7] == "upstream said \"no\", retrying\nsecond line")
    );
    assert!(rows.iter().any(|r| &r[8] == r#"{"upstream":"billing"}"#));
    // Filters apply to the export too.
    let warn = app
        .client
        .get(app.url("/api/v1/logs/export?level=warn"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(warn.lines().count(), 2, "{warn}");
    app.get(
        "/api/v1/logs/export?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
        &app.admin_token,
    )
    .await
    .expect_problem(422);
}

/// Cells a spreadsheet would run as formulas are defused.
async fn exported_cells_never_run_as_formulas(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = app.application_with_token("shop").await;
    let mut report = agent_report("web-1", 1.0);
    report["logs"] = json!([{"level": "info", "message": "=HYPERLINK(\"http://x\",\"y\")"}]);
    app.report(&token, &report).await.expect(200);
    let text = app
        .client
        .get(app.url("/api/v1/logs/export"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut csv = csv::Reader::from_reader(text.as_bytes());
    let row = csv.records().next().unwrap().unwrap();
    assert_eq!(&row[7], "'=HYPERLINK(\"http://x\",\"y\")");
}

/// Retention deletes only rows past their age, in batches, once even when two replicas run it.
async fn retention_deletes_only_old_rows(backend: Backend) {
    use monihub_server::entity::instance_reports;
    use monihub_server::retention::{Retention, prune};
    use sea_orm::PaginatorTrait;

    let app = spawn_app(backend).await;
    let (_, token) = app.application_with_token("shop").await;
    let instance = app.instance(&token, "web-1").await;
    let instance = uuid::Uuid::parse_str(&instance).unwrap();
    let now = Utc::now();
    let old_logs: Vec<logs::ActiveModel> = (0..350)
        .map(|i| logs::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            level: Set("info".into()),
            source: Set("server".into()),
            message: Set(format!("old {i}")),
            trace_id: Set(None),
            application_id: Set(None),
            instance_id: Set(None),
            context: Set(json!({})),
            logged_at: Set(now - Duration::days(40)),
            received_at: Set(now - Duration::days(40) - Duration::seconds(i)),
        })
        .collect();
    logs::Entity::insert_many(old_logs)
        .exec_without_returning(&app.db)
        .await
        .unwrap();
    let old_reports: Vec<_> = (0..250)
        .map(|i| now - Duration::days(10) - Duration::seconds(i))
        .collect();
    crate::retention::write_history(&app, instance, &old_reports).await;

    let retention = Retention {
        reports: std::time::Duration::from_secs(7 * 86_400),
        logs: std::time::Duration::from_secs(30 * 86_400),
    };
    let (a, b) = futures::join!(
        prune(&app.db, retention, now, 100),
        prune(&app.db, retention, now, 100)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.reports + b.reports, 250, "{a:?} {b:?}");
    assert_eq!(a.logs + b.logs, 350, "{a:?} {b:?}");
    // What is within retention stays: the live report and its log line.
    assert_eq!(
        instance_reports::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
    let agent_lines = || {
        logs::Entity::find()
            .filter(logs::Column::Source.eq("agent"))
            .count(&app.db)
    };
    assert_eq!(agent_lines().await.unwrap(), 1);
    // Each run that removed something says so once in the server's log.
    let summaries = logs::Entity::find()
        .filter(logs::Column::Source.eq("server"))
        .all(&app.db)
        .await
        .unwrap();
    let runs = [a.reports + a.logs, b.reports + b.logs]
        .iter()
        .filter(|n| **n > 0)
        .count();
    assert_eq!(summaries.len(), runs, "{summaries:?}");
    assert!(summaries[0].message.starts_with("retention removed"));
    let again = prune(&app.db, retention, now, 100).await.unwrap();
    assert_eq!(again, monihub_server::retention::Removed::default());
    assert_eq!(
        logs::Entity::find()
            .filter(logs::Column::Source.eq("server"))
            .count(&app.db)
            .await
            .unwrap(),
        summaries.len() as u64,
        "nothing removed, nothing said"
    );
}

crate::on_both_databases!(
    retention_deletes_only_old_rows,
    logs_are_filtered_safely,
    the_export_streams_every_row_as_csv,
    exported_cells_never_run_as_formulas,
);
