//! Instance-list totals are remembered between requests (migration 000008) and must stay exact:
//! every change that can move an instance in or out of a filter is seen at once by every replica,
//! and a report that only refreshes metrics keeps the remembered totals.

use monihub_server::entity::{applications, instances};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use serde_json::json;

use crate::helpers::{Backend, TestApp, agent_report, spawn_app};

async fn total(app: &TestApp, base: &str, query: &str) -> u64 {
    let reply = app
        .client
        .get(format!("{base}/api/v1/instances?{query}"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: serde_json::Value = reply.json().await.unwrap();
    body["total"].as_u64().unwrap()
}

async fn version(app: &TestApp) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT version FROM instance_set_version WHERE id = 1",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

/// The totals `query` gets from both replicas, which must agree.
async fn totals(app: &TestApp, replica: &str, query: &str) -> u64 {
    let here = total(app, &app.address, query).await;
    let there = total(app, replica, query).await;
    assert_eq!(here, there, "replicas disagree on {query}");
    here
}

async fn every_change_reaches_every_replica(backend: Backend) {
    let app = spawn_app(backend).await;
    let replica = app.spawn_replica().await;
    let t = &app.admin_token;
    let (shop, shop_token) = app.application_with_token("shop").await;
    let web1 = app.instance(&shop_token, "web-1").await;
    app.instance(&shop_token, "web-2").await;
    let all = "per_page=1";
    assert_eq!(totals(&app, &replica, all).await, 2);
    assert_eq!(totals(&app, &replica, "q=web-1").await, 1);

    // Metrics-only reports leave the version, and so the remembered totals, alone.
    let before = version(&app).await;
    for cpu in [10.0, 20.0, 30.0] {
        app.report(&shop_token, &agent_report("web-1", cpu))
            .await
            .expect(200);
    }
    assert_eq!(version(&app).await, before);

    // Registration.
    app.instance(&shop_token, "web-3").await;
    assert_eq!(totals(&app, &replica, all).await, 3);

    // A host renamed by its agent.
    let mut renamed = agent_report("web-1", 5.0);
    renamed["system"]["hostname"] = json!("db-1.example");
    app.report(&shop_token, &renamed).await.expect(200);
    assert_eq!(totals(&app, &replica, "q=web-1.example").await, 0);
    assert_eq!(totals(&app, &replica, "q=db-1").await, 1);

    // Disabled.
    assert_eq!(totals(&app, &replica, "status=disabled").await, 0);
    app.patch(
        &format!("/api/v1/instances/{web1}"),
        t,
        json!({"status": "disabled"}),
    )
    .await
    .expect(200);
    assert_eq!(totals(&app, &replica, "status=disabled").await, 1);

    // Offline, as the presence sweep does it (one statement for many rows).
    assert_eq!(totals(&app, &replica, "online=false").await, 0);
    instances::Entity::update_many()
        .col_expr(instances::Column::Online, Expr::value(false))
        .filter(instances::Column::Status.eq("active"))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(totals(&app, &replica, "online=false").await, 2);

    // The application moves to another project.
    let project = app
        .get(&format!("/api/v1/applications/{shop}"), t)
        .await
        .expect(200)
        .body["project_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.project("other").await;
    assert_eq!(
        totals(&app, &replica, &format!("project_id={other}")).await,
        0
    );
    assert_eq!(
        totals(&app, &replica, &format!("project_id={project}")).await,
        3
    );
    // The API cannot move an application today; the rule holds for any writer of the table.
    applications::Entity::update_many()
        .col_expr(
            applications::Column::ProjectId,
            Expr::value(other.parse::<uuid::Uuid>().unwrap()),
        )
        .filter(applications::Column::Id.eq(shop.parse::<uuid::Uuid>().unwrap()))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        totals(&app, &replica, &format!("project_id={other}")).await,
        3
    );
    assert_eq!(
        totals(&app, &replica, &format!("project_id={project}")).await,
        0
    );

    // Soft deletion, then the application (and with it the rows) deleted.
    let list = app.get("/api/v1/instances", t).await.expect(200);
    for item in list.body["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        app.delete(&format!("/api/v1/instances/{id}"), t)
            .await
            .expect(204);
    }
    assert_eq!(totals(&app, &replica, all).await, 0);
    let (_, blog_token) = app.application_with_token("blog").await;
    app.instance(&blog_token, "blog-1").await;
    assert_eq!(totals(&app, &replica, all).await, 1);
    app.delete(&format!("/api/v1/applications/{shop}"), t)
        .await
        .expect(204);
    assert_eq!(totals(&app, &replica, all).await, 1);
}

/// Registrations race with lists on two replicas; once the writes are done, both replicas report
/// the exact count, whatever they remembered along the way.
async fn totals_are_exact_after_concurrent_registration(backend: Backend) {
    let app = spawn_app(backend).await;
    let replica = app.spawn_replica().await;
    let (_, token) = app.application_with_token("shop").await;
    let writers = (0..40).map(|n| {
        let app = &app;
        let token = &token;
        async move {
            app.report(token, &agent_report(&format!("host-{n}"), 1.0))
                .await
                .expect(200);
        }
    });
    let readers = (0..40).map(|n| {
        let app = &app;
        let base = if n % 2 == 0 {
            app.address.clone()
        } else {
            replica.clone()
        };
        async move { total(app, &base, "per_page=1").await }
    });
    let (_, seen) = futures::join!(
        futures::future::join_all(writers),
        futures::future::join_all(readers)
    );
    assert!(seen.iter().all(|&n| n <= 40), "{seen:?}");
    assert_eq!(totals(&app, &replica, "per_page=1").await, 40);
}

crate::on_both_databases!(
    every_change_reaches_every_replica,
    totals_are_exact_after_concurrent_registration,
);
