//! Application CRUD and agent tokens.

use sea_orm::EntityTrait;
use serde_json::json;

use crate::helpers::{Backend, spawn_app};

async fn create_read_update_delete(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let project = app.project("shop").await;
    let created = app
        .post(
            "/api/v1/applications",
            t,
            json!({
                "project_id": project, "name": "Shop API", "code": "shop-api",
                "tech_stacks": [{"name": "rust", "version": "1.95"}, {"name": "postgres"}]
            }),
        )
        .await
        .expect(201);
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(created.body["project_id"], json!(project));
    assert_eq!(created.body["agent_token"], json!(null));
    assert_eq!(
        created.body["tech_stacks"][1],
        json!({"name": "postgres", "version": null})
    );

    let updated = app
        .patch(
            &format!("/api/v1/applications/{id}"),
            t,
            json!({"name": "Shop backend", "tech_stacks": []}),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["name"], "Shop backend");
    assert_eq!(updated.body["tech_stacks"], json!([]));

    app.get(&format!("/api/v1/applications/{id}"), t)
        .await
        .expect(200);
    app.delete(&format!("/api/v1/applications/{id}"), t)
        .await
        .expect(204);
    app.get(&format!("/api/v1/applications/{id}"), t)
        .await
        .expect_problem(404);
}

async fn validation_and_conflicts(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let project = app.project("shop").await;
    let missing = app
        .post(
            "/api/v1/applications",
            t,
            json!({"project_id": uuid::Uuid::new_v4(), "name": "X", "code": "x-app"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(missing.error_fields(), vec!["project_id"]);

    let bad = app
        .post(
            "/api/v1/applications",
            t,
            json!({"project_id": project, "name": "", "code": "x", "tech_stacks": [{"name": ""}]}),
        )
        .await
        .expect_problem(422);
    assert_eq!(
        bad.error_fields(),
        vec!["code", "name", "tech_stacks[0].name"]
    );

    app.application(&project, "taken").await;
    // Codes are unique across projects, because agents identify their application by code.
    let other = app.project("other").await;
    app.post(
        "/api/v1/applications",
        t,
        json!({"project_id": other, "name": "Again", "code": "taken"}),
    )
    .await
    .expect_problem(409);
}

async fn list_filters_by_project(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let a = app.project("pa").await;
    let b = app.project("pb").await;
    app.application(&a, "a-one").await;
    app.application(&a, "a-two").await;
    app.application(&b, "b-one").await;
    let of_a = app
        .get(&format!("/api/v1/applications?project_id={a}"), t)
        .await
        .expect(200);
    assert_eq!(of_a.body["total"], 2);
    let all = app.get("/api/v1/applications", t).await.expect(200);
    assert_eq!(all.body["total"], 3);
    app.get("/api/v1/applications?project_id=nope", t)
        .await
        .expect_problem(400);
}

async fn agent_tokens_are_shown_once_and_stored_hashed(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let project = app.project("shop").await;
    let id = app.application(&project, "shop-api").await;
    let path = format!("/api/v1/applications/{id}/agent-token");

    let first = app.post(&path, t, json!({})).await.expect(201);
    assert_eq!(first.headers["cache-control"], "no-store");
    let token = first.body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("mhat_"));
    assert!(token.starts_with(first.body["prefix"].as_str().unwrap()));

    let shown = app
        .get(&format!("/api/v1/applications/{id}"), t)
        .await
        .expect(200);
    assert_eq!(shown.body["agent_token"]["prefix"], first.body["prefix"]);
    assert!(!shown.body.to_string().contains(&token));

    let row =
        monihub_server::entity::applications::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap())
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
    let stored = row.agent_token_hash.unwrap();
    assert_ne!(stored, token);
    assert_eq!(stored, monihub_server::applications::token::hash(&token));

    let second = app.post(&path, t, json!({})).await.expect(201);
    let rotated = second.body["token"].as_str().unwrap();
    assert_ne!(rotated, token);
    let found = monihub_server::applications::service::find_by_agent_token(&app.db, &token)
        .await
        .unwrap();
    assert!(found.is_none(), "the old token must stop working");
    let found = monihub_server::applications::service::find_by_agent_token(&app.db, rotated)
        .await
        .unwrap();
    assert_eq!(found.unwrap().code, "shop-api");

    // The audit trail records the rotation without the token.
    let audit = app
        .get("/api/v1/audit?action=application.rotate_agent_token", t)
        .await
        .expect(200);
    assert_eq!(audit.body["total"], 2);
    let detail = app
        .get(
            &format!(
                "/api/v1/audit/{}",
                audit.body["items"][0]["id"].as_str().unwrap()
            ),
            t,
        )
        .await
        .expect(200);
    assert!(!detail.body.to_string().contains(rotated));
}

crate::on_both_databases!(
    create_read_update_delete,
    validation_and_conflicts,
    list_filters_by_project,
    agent_tokens_are_shown_once_and_stored_hashed,
);
