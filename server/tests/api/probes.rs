//! Health, readiness, metrics and API docs.

use migration::{Migrator, MigratorTrait};
use reqwest::Method;

use crate::helpers::{Backend, spawn_app};

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = app
        .send(Method::GET, "/healthz", None, None)
        .await
        .expect(200);
    assert_eq!(health.body["status"], "ok");
    assert_eq!(health.headers["x-content-type-options"], "nosniff");
    assert_eq!(health.headers["x-frame-options"], "DENY");
    let ready = app
        .send(Method::GET, "/readyz", None, None)
        .await
        .expect(200);
    assert_eq!(ready.body["status"], "ready");
}

async fn not_ready_while_a_migration_is_pending(backend: Backend) {
    let app = spawn_app(backend).await;
    let migrator = app.migrator().await;
    Migrator::down(&migrator, Some(1)).await.unwrap();
    let reply = app
        .send(Method::GET, "/readyz", None, None)
        .await
        .expect_problem(503);
    let detail = reply.body["detail"].as_str().unwrap();
    let newest = Migrator::migrations().last().unwrap().name().to_owned();
    assert!(detail.contains(&newest), "{detail}");
    // Liveness is unaffected: restarting would not help.
    app.send(Method::GET, "/healthz", None, None)
        .await
        .expect(200);
    monihub_server::db::migrate_up(&migrator).await.unwrap();
    app.send(Method::GET, "/readyz", None, None)
        .await
        .expect(200);
}

async fn metrics_count_requests_by_route_pattern(backend: Backend) {
    let app = spawn_app(backend).await;
    app.get("/api/v1/projects", &app.admin_token)
        .await
        .expect(200);
    let id = uuid::Uuid::new_v4();
    app.get(&format!("/api/v1/projects/{id}"), &app.admin_token)
        .await
        .expect(404);
    let reply = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    let text = reply.text().await.unwrap();
    assert!(
        text.contains(
            "monihub_http_requests_total{method=\"GET\",route=\"/api/v1/projects\",status=\"2xx\"}"
        ),
        "{text}"
    );
    assert!(
        text.contains("route=\"/api/v1/projects/{id}\",status=\"4xx\""),
        "{text}"
    );
    assert!(
        !text.contains(&id.to_string()),
        "ids must not become label values"
    );
}

/// Junk methods and paths must not create metric series: the exposition stays the same size.
async fn metric_labels_cannot_be_chosen_by_clients(backend: Backend) {
    let app = spawn_app(backend).await;
    let metrics = || async {
        let reply = app.client.get(app.url("/metrics")).send().await.unwrap();
        reply.text().await.unwrap()
    };
    // One junk request and one scrape first, so their series exist before measuring.
    let send_junk = |i: usize| {
        let method = Method::from_bytes(format!("JUNK{i}").as_bytes()).unwrap();
        app.client
            .request(method, app.url(&format!("/api/v1/nowhere-{i}")))
            .send()
    };
    send_junk(0).await.unwrap();
    app.client
        .get(app.url("/no/such/page-0"))
        .send()
        .await
        .unwrap();
    metrics().await;
    let before = metrics().await;
    for i in 1..=200 {
        send_junk(i).await.unwrap();
        app.client
            .get(app.url(&format!("/no/such/page-{i}")))
            .send()
            .await
            .unwrap();
    }
    let after = metrics().await;
    assert!(!after.contains("JUNK"), "{after}");
    assert!(
        !after.contains("nowhere") && !after.contains("page-"),
        "{after}"
    );
    assert!(
        after.contains("method=\"other\",route=\"unmatched\",status=\"4xx\""),
        "{after}"
    );
    let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(
        series(&before),
        series(&after),
        "new series appeared:\n{after}"
    );
}

async fn openapi_and_swagger_ui_are_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = app.openapi().await;
    assert_eq!(doc["info"]["title"], "MoniHub API");
    assert!(doc["paths"]["/api/v1/projects/{id}"]["patch"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let ui = app
        .client
        .get(app.url("/swagger-ui/"))
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), 200);
    assert!(ui.text().await.unwrap().contains("swagger"));
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/swagger-ui"))
        .send()
        .await
        .unwrap();
    assert!(redirect.status().is_redirection());
}

crate::on_both_databases!(
    health_and_readiness,
    not_ready_while_a_migration_is_pending,
    metrics_count_requests_by_route_pattern,
    metric_labels_cannot_be_chosen_by_clients,
    openapi_and_swagger_ui_are_served,
);
