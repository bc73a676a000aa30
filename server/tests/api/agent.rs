//! The agent report: registration on the first report, token isolation, validation, redaction,
//! disabled instances and applications, and batched storage under concurrency.

use futures::future::join_all;
use monihub_server::entity::{Status, instance_reports, instances, logs};
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{Backend, TestApp, agent_report, spawn_app};

async fn instance(app: &TestApp, id: &str) -> instances::Model {
    instances::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .expect("the instance exists")
}

async fn the_first_report_registers_the_instance(backend: Backend) {
    let app = spawn_app(backend).await;
    let (application, token) = app.application_with_token("shop").await;
    let first = app
        .report(&token, &agent_report("host-1", 12.5))
        .await
        .expect(200);
    let id = first.body["instance_id"].as_str().unwrap().to_owned();
    assert_eq!(first.body["config"]["report_interval_seconds"], 30);
    assert_eq!(first.body["config"]["tasks_enabled"], true);
    let second = app
        .report(&token, &agent_report("host-1", 40.0))
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
    // The agent's log lines are stored with their instance and application.
    let lines = logs::Entity::find()
        .filter(logs::Column::InstanceId.eq(stored.id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.message == "started"
        && l.level == "info"
        && l.source == "agent"
        && l.application_id == Some(stored.application_id)));
}

async fn agent_tokens_are_checked_and_isolated(backend: Backend) {
    let app = spawn_app(backend).await;
    let (shop, shop_token) = app.application_with_token("shop").await;
    let (_, blog_token) = app.application_with_token("blog").await;
    let body = agent_report("host-1", 1.0);
    for token in [None, Some("mhat_not-a-real-token"), Some("garbage")] {
        app.send(Method::POST, "/api/v1/agent/report", token, Some(&body))
            .await
            .expect_problem(401);
    }
    // A person's token is not an agent token.
    app.report(&app.admin_token.clone(), &body)
        .await
        .expect_problem(401);
    // The same agent id under two applications is two instances.
    let a = app.report(&shop_token, &body).await.expect(200);
    let b = app.report(&blog_token, &body).await.expect(200);
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
    app.report(&shop_token, &body).await.expect_problem(401);
    let new_token = rotated.body["token"].as_str().unwrap();
    app.report(new_token, &body).await.expect(200);
    // A disabled application's agents are refused.
    app.patch(
        &format!("/api/v1/applications/{shop}"),
        &app.admin_token,
        json!({"status": "disabled"}),
    )
    .await
    .expect(200);
    app.report(new_token, &body).await.expect_problem(403);
}

async fn invalid_reports_are_refused_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = app.application_with_token("shop").await;
    let mut too_busy = agent_report("host-1", 150.0);
    too_busy["hardware"]["memory_used_bytes"] = json!(9_000);
    let reply = app.report(&token, &too_busy).await.expect_problem(422);
    assert_eq!(
        reply.error_fields(),
        vec!["hardware.cpu_usage_percent", "hardware.memory_used_bytes"]
    );
    let mut chatty = agent_report("host-1", 1.0);
    chatty["logs"] = json!(vec![json!({"level": "info", "message": "x"}); 201]);
    assert_eq!(
        app.report(&token, &chatty)
            .await
            .expect_problem(422)
            .error_fields(),
        vec!["logs"]
    );
    let mut bad_id = agent_report("has spaces", 1.0);
    bad_id["reported_at"] = json!("2099-01-01T00:00:00Z");
    assert_eq!(
        app.report(&token, &bad_id)
            .await
            .expect_problem(422)
            .error_fields(),
        vec!["agent_instance_id", "reported_at"]
    );
    let mut negative = agent_report("host-1", 1.0);
    negative["hardware"]["disk_total_bytes"] = json!(-1);
    app.report(&token, &negative).await.expect_problem(400);
    let mut unknown = agent_report("host-1", 1.0);
    unknown["application_code"] = json!("shop");
    app.report(&token, &unknown).await.expect_problem(400);
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
    let (_, token) = app.application_with_token("shop").await;
    let first = app
        .report(&token, &agent_report("host-1", 1.0))
        .await
        .expect(200);
    let id = first.body["instance_id"].as_str().unwrap().to_owned();
    instances::Entity::update_many()
        .col_expr(instances::Column::Status, Expr::value(Status::Disabled))
        .exec(&app.db)
        .await
        .unwrap();
    app.report(&token, &agent_report("host-1", 99.0))
        .await
        .expect_problem(403);
    let stored = instance(&app, &id).await;
    assert_eq!(
        stored.report_count, 1,
        "nothing of the refused report is stored"
    );
    assert_eq!(stored.cpu_usage_percent, 1.0);
    // Other instances of the application still report.
    app.report(&token, &agent_report("host-2", 1.0))
        .await
        .expect(200);
}

/// Many agents at once: every report is acknowledged and stored, the latest state is right.
async fn concurrent_reports_are_all_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = app.application_with_token("shop").await;
    let agents = 40;
    let per_agent = 5;
    let sends = (0..agents * per_agent).map(|i| {
        let app = &app;
        let token = &token;
        async move {
            let body = agent_report(&format!("host-{}", i % agents), (i / agents) as f64);
            app.report(token, &body).await
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
    let (application, token) = app.application_with_token("shop").await;
    app.report(&token, &agent_report("host-1", 1.0))
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
    let (_, token) = app.application_with_token("shop").await;
    let first = app
        .report(&token, &agent_report("host-1", 1.0))
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
    let again = app
        .report(&token, &agent_report("host-1", 2.0))
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

/// Reports to `address` with `token` until the answer is `status`; fails after a bound (the
/// change travels to the other replica through NOTIFY, asynchronously).
async fn until_status(app: &TestApp, address: &str, token: &str, status: u16) {
    let body = agent_report("host-1", 1.0);
    for _ in 0..100 {
        let reply = app
            .client
            .post(format!("{address}/api/v1/agent/report"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        if reply.status() == status {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{address} never answered {status}");
}

/// Checked agent tokens are cached per replica; a rotation or a disabled application on one
/// replica reaches the others' caches too.
#[tokio::test]
async fn postgres_token_changes_reach_every_replica() {
    let app = spawn_app(Backend::Postgres).await;
    let replica = app.spawn_replica().await;
    let (shop, old_token) = app.application_with_token("shop").await;
    // The replica has checked (and cached) the token.
    until_status(&app, &replica, &old_token, 200).await;
    until_status(&app, &replica, &old_token, 200).await;
    let rotated = app
        .post(
            &format!("/api/v1/applications/{shop}/agent-token"),
            &app.admin_token,
            json!({}),
        )
        .await
        .expect(201);
    let new_token = rotated.body["token"].as_str().unwrap().to_owned();
    until_status(&app, &replica, &old_token, 401).await;
    until_status(&app, &replica, &new_token, 200).await;
    app.patch(
        &format!("/api/v1/applications/{shop}"),
        &app.admin_token,
        json!({"status": "disabled"}),
    )
    .await
    .expect(200);
    until_status(&app, &replica, &new_token, 403).await;
}
