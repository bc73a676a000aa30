//! The agent report: registration on the first report, token isolation, validation, redaction,
//! disabled instances and applications, and batched storage under concurrency.

use futures::future::join_all;
use monihub_server::entity::{Status, instance_reports, instances};
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{Backend, Reply, TestApp, spawn_app};

/// A project, an application and its agent token.
async fn application_with_token(app: &TestApp, code: &str) -> (String, String) {
    let project = app.project(&format!("{code}-project")).await;
    let application = app.application(&project, code).await;
    let token = app
        .post(
            &format!("/api/v1/applications/{application}/agent-token"),
            &app.admin_token,
            json!({}),
        )
        .await
        .expect(201);
    let token = token.body["token"].as_str().unwrap().to_owned();
    (application, token)
}

fn report(agent_instance_id: &str, cpu: f64) -> Value {
    json!({
        "agent_instance_id": agent_instance_id,
        "agent_version": "0.1.0",
        "reported_at": chrono::Utc::now(),
        "system": {"os_type": "linux", "hostname": format!("{agent_instance_id}.example"),
                   "os_version": "Debian 12", "uptime_seconds": 1000},
        "network": {"ip_address": "10.1.2.3"},
        "hardware": {
            "cpu_usage_percent": cpu, "cpu_cores": 4, "load_average_1m": 0.7,
            "memory_total_bytes": 8_000, "memory_used_bytes": 2_000,
            "disk_total_bytes": 1_000, "disk_used_bytes": 500
        },
        "environment": {
            "PATH": "/usr/bin",
            "DB_PASSWORD": "hunter2",
            "DATABASE_URL": "postgres://app:hunter2@db/app"
        },
        "custom_metrics": {"queue_depth": 12.0},
        "logs": [{"level": "info", "message": "started"}]
    })
}

async fn send_report(app: &TestApp, token: &str, body: &Value) -> Reply {
    app.send(
        Method::POST,
        "/api/v1/agent/report",
        Some(token),
        Some(body),
    )
    .await
}

async fn instance(app: &TestApp, id: &str) -> instances::Model {
    instances::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .expect("the instance exists")
}

async fn the_first_report_registers_the_instance(backend: Backend) {
    let app = spawn_app(backend).await;
    let (application, token) = application_with_token(&app, "shop").await;
    let first = send_report(&app, &token, &report("host-1", 12.5))
        .await
        .expect(200);
    let id = first.body["instance_id"].as_str().unwrap().to_owned();
    assert_eq!(first.body["config"]["report_interval_seconds"], 30);
    assert_eq!(first.body["config"]["tasks_enabled"], true);
    let second = send_report(&app, &token, &report("host-1", 40.0))
        .await
        .expect(200);
    assert_eq!(second.body["instance_id"], first.body["instance_id"]);

    let stored = instance(&app, &id).await;
    assert_eq!(stored.application_id.to_string(), application);
    assert_eq!(stored.report_count, 2);
    assert_eq!(stored.cpu_usage_percent, 40.0);
    assert_eq!(stored.memory_usage_percent, 25.0);
    assert_eq!(stored.disk_usage_percent, 50.0);
    assert_eq!(stored.hostname, "host-1.example");
    assert_eq!(stored.ip_address.as_deref(), Some("10.1.2.3"));
    assert!(stored.online);
    // Secrets never reach the database.
    let environment = stored.environment.to_string();
    assert!(!environment.contains("hunter2"), "{environment}");
    assert_eq!(stored.environment["DB_PASSWORD"], "[redacted]");
    assert_eq!(stored.environment["PATH"], "/usr/bin");
    let history = instance_reports::Entity::find()
        .filter(instance_reports::Column::InstanceId.eq(stored.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(history, 2);
}

async fn agent_tokens_are_checked_and_isolated(backend: Backend) {
    let app = spawn_app(backend).await;
    let (shop, shop_token) = application_with_token(&app, "shop").await;
    let (_, blog_token) = application_with_token(&app, "blog").await;
    let body = report("host-1", 1.0);
    for token in [None, Some("mhat_not-a-real-token"), Some("garbage")] {
        app.send(Method::POST, "/api/v1/agent/report", token, Some(&body))
            .await
            .expect_problem(401);
    }
    // A person's token is not an agent token.
    send_report(&app, &app.admin_token.clone(), &body)
        .await
        .expect_problem(401);
    // The same agent id under two applications is two instances.
    let a = send_report(&app, &shop_token, &body).await.expect(200);
    let b = send_report(&app, &blog_token, &body).await.expect(200);
    assert_ne!(a.body["instance_id"], b.body["instance_id"]);
    // Rotating the token ends the old one at once.
    let rotated = app
        .post(
            &format!("/api/v1/applications/{shop}/agent-token"),
            &app.admin_token,
            json!({}),
        )
        .await
        .expect(201);
    send_report(&app, &shop_token, &body)
        .await
        .expect_problem(401);
    let new_token = rotated.body["token"].as_str().unwrap();
    send_report(&app, new_token, &body).await.expect(200);
    // A disabled application's agents are refused.
    app.patch(
        &format!("/api/v1/applications/{shop}"),
        &app.admin_token,
        json!({"status": "disabled"}),
    )
    .await
    .expect(200);
    send_report(&app, new_token, &body)
        .await
        .expect_problem(403);
}

async fn invalid_reports_are_refused_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = application_with_token(&app, "shop").await;
    let mut too_busy = report("host-1", 150.0);
    too_busy["hardware"]["memory_used_bytes"] = json!(9_000);
    let reply = send_report(&app, &token, &too_busy)
        .await
        .expect_problem(422);
    assert_eq!(
        reply.error_fields(),
        vec!["hardware.cpu_usage_percent", "hardware.memory_used_bytes"]
    );
    let mut chatty = report("host-1", 1.0);
    chatty["logs"] = json!(vec![json!({"level": "info", "message": "x"}); 201]);
    assert_eq!(
        send_report(&app, &token, &chatty)
            .await
            .expect_problem(422)
            .error_fields(),
        vec!["logs"]
    );
    let mut bad_id = report("has spaces", 1.0);
    bad_id["reported_at"] = json!("2099-01-01T00:00:00Z");
    assert_eq!(
        send_report(&app, &token, &bad_id)
            .await
            .expect_problem(422)
            .error_fields(),
        vec!["agent_instance_id", "reported_at"]
    );
    let mut negative = report("host-1", 1.0);
    negative["hardware"]["disk_total_bytes"] = json!(-1);
    send_report(&app, &token, &negative)
        .await
        .expect_problem(400);
    let mut unknown = report("host-1", 1.0);
    unknown["application_code"] = json!("shop");
    send_report(&app, &token, &unknown)
        .await
        .expect_problem(400);
    assert_eq!(instances::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(
        instance_reports::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}

async fn a_disabled_instance_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = application_with_token(&app, "shop").await;
    let first = send_report(&app, &token, &report("host-1", 1.0))
        .await
        .expect(200);
    let id = first.body["instance_id"].as_str().unwrap().to_owned();
    instances::Entity::update_many()
        .col_expr(instances::Column::Status, Expr::value(Status::Disabled))
        .exec(&app.db)
        .await
        .unwrap();
    send_report(&app, &token, &report("host-1", 99.0))
        .await
        .expect_problem(403);
    let stored = instance(&app, &id).await;
    assert_eq!(
        stored.report_count, 1,
        "nothing of the refused report is stored"
    );
    assert_eq!(stored.cpu_usage_percent, 1.0);
    // Other instances of the application still report.
    send_report(&app, &token, &report("host-2", 1.0))
        .await
        .expect(200);
}

/// Many agents at once: every report is acknowledged and stored, the latest state is right.
async fn concurrent_reports_are_all_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = application_with_token(&app, "shop").await;
    let agents = 40;
    let per_agent = 5;
    let sends = (0..agents * per_agent).map(|i| {
        let app = &app;
        let token = &token;
        async move {
            let body = report(&format!("host-{}", i % agents), (i / agents) as f64);
            send_report(app, token, &body).await
        }
    });
    for reply in join_all(sends).await {
        reply.expect(200);
    }
    let all = instances::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(all.len(), agents);
    assert!(all.iter().all(|i| i.report_count == per_agent as i64));
    assert_eq!(
        instance_reports::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        (agents * per_agent) as u64
    );
}

/// An application with live instances cannot be deleted by accident; once they are deleted it can,
/// and their history goes with it.
async fn applications_with_instances_are_not_deleted_by_accident(backend: Backend) {
    let app = spawn_app(backend).await;
    let (application, token) = application_with_token(&app, "shop").await;
    send_report(&app, &token, &report("host-1", 1.0))
        .await
        .expect(200);
    let path = format!("/api/v1/applications/{application}");
    let refused = app
        .delete(&path, &app.admin_token)
        .await
        .expect_problem(409);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("host-1.example"),
        "{}",
        refused.body
    );
    instances::Entity::update_many()
        .col_expr(
            instances::Column::DeletedAt,
            Expr::value(chrono::Utc::now()),
        )
        .exec(&app.db)
        .await
        .unwrap();
    app.delete(&path, &app.admin_token).await.expect(204);
    assert_eq!(instances::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(
        instance_reports::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}

/// A deleted instance whose agent reports again comes back (its history kept).
async fn a_deleted_instance_that_reports_comes_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = application_with_token(&app, "shop").await;
    let first = send_report(&app, &token, &report("host-1", 1.0))
        .await
        .expect(200);
    instances::Entity::update_many()
        .col_expr(
            instances::Column::DeletedAt,
            Expr::value(chrono::Utc::now()),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let again = send_report(&app, &token, &report("host-1", 2.0))
        .await
        .expect(200);
    assert_eq!(again.body["instance_id"], first.body["instance_id"]);
    let stored = instance(&app, first.body["instance_id"].as_str().unwrap()).await;
    assert_eq!(stored.deleted_at, None);
    assert_eq!(stored.report_count, 2);
}

crate::on_both_databases!(
    applications_with_instances_are_not_deleted_by_accident,
    a_deleted_instance_that_reports_comes_back,
    the_first_report_registers_the_instance,
    agent_tokens_are_checked_and_isolated,
    invalid_reports_are_refused_and_nothing_is_stored,
    a_disabled_instance_is_refused,
    concurrent_reports_are_all_stored,
);
