//! Project CRUD, validation, uniqueness, deletion rules and pagination.

use serde_json::json;

use crate::helpers::{Backend, spawn_app};

async fn create_read_update_delete(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let created = app
        .post(
            "/api/v1/projects",
            t,
            json!({"name": "  Shop  ", "code": "shop", "description": "the web shop"}),
        )
        .await
        .expect(201);
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(created.body["name"], "Shop");
    assert_eq!(created.body["status"], "active");

    let read = app
        .get(&format!("/api/v1/projects/{id}"), t)
        .await
        .expect(200);
    assert_eq!(read.body, created.body);

    let updated = app
        .patch(
            &format!("/api/v1/projects/{id}"),
            t,
            json!({"name": "Shop 2", "description": null, "status": "disabled"}),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["name"], "Shop 2");
    assert_eq!(updated.body["description"], json!(null));
    assert_eq!(updated.body["status"], "disabled");
    assert_eq!(updated.body["code"], "shop");

    // An empty PATCH changes nothing but the timestamp.
    let same = app
        .patch(&format!("/api/v1/projects/{id}"), t, json!({}))
        .await
        .expect(200);
    assert_eq!(same.body["name"], "Shop 2");

    app.delete(&format!("/api/v1/projects/{id}"), t)
        .await
        .expect(204);
    app.get(&format!("/api/v1/projects/{id}"), t)
        .await
        .expect_problem(404);
    app.delete(&format!("/api/v1/projects/{id}"), t)
        .await
        .expect_problem(404);
}

async fn invalid_fields_are_422_with_every_field_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app
        .post(
            "/api/v1/projects",
            &app.admin_token,
            json!({"name": "   ", "code": "Not A Slug", "description": "x".repeat(2001)}),
        )
        .await
        .expect_problem(422);
    assert_eq!(reply.error_fields(), vec!["code", "description", "name"]);
    assert!(
        reply.body["type"]
            .as_str()
            .unwrap()
            .ends_with("/validation")
    );
    for error in reply.body["errors"].as_array().unwrap() {
        assert!(!error["message"].as_str().unwrap().is_empty());
    }
    // Nothing was written.
    let list = app
        .get("/api/v1/projects", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(list.body["total"], 0);
}

async fn duplicate_codes_are_409(backend: Backend) {
    let app = spawn_app(backend).await;
    app.project("dup").await;
    let reply = app
        .post(
            "/api/v1/projects",
            &app.admin_token,
            json!({"name": "Again", "code": "dup"}),
        )
        .await
        .expect_problem(409);
    assert!(reply.body["detail"].as_str().unwrap().contains("dup"));
}

async fn code_is_immutable(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.project("fixed").await;
    app.patch(
        &format!("/api/v1/projects/{id}"),
        &app.admin_token,
        json!({"code": "moved"}),
    )
    .await
    .expect_problem(400);
}

async fn a_project_with_applications_cannot_be_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let project = app.project("busy").await;
    app.application(&project, "busy-api").await;
    let reply = app
        .delete(&format!("/api/v1/projects/{project}"), &app.admin_token)
        .await
        .expect_problem(409);
    assert!(reply.body["detail"].as_str().unwrap().contains("busy-api"));
    app.get(&format!("/api/v1/projects/{project}"), &app.admin_token)
        .await
        .expect(200);
}

async fn pagination_pages_and_bounds(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 0..7 {
        app.project(&format!("p{i}")).await;
    }
    let t = &app.admin_token;
    let page = app
        .get("/api/v1/projects?page=2&per_page=3", t)
        .await
        .expect(200);
    assert_eq!(page.body["total"], 7);
    assert_eq!(page.body["page"], 2);
    assert_eq!(page.body["per_page"], 3);
    assert_eq!(page.strings("code"), vec!["p3", "p4", "p5"]);
    let last = app
        .get("/api/v1/projects?page=3&per_page=3", t)
        .await
        .expect(200);
    assert_eq!(last.body["items"].as_array().unwrap().len(), 1);
    let beyond = app
        .get("/api/v1/projects?page=9&per_page=3", t)
        .await
        .expect(200);
    assert_eq!(beyond.body["items"], json!([]));
    assert_eq!(beyond.body["total"], 7);

    let default = app.get("/api/v1/projects", t).await.expect(200);
    assert_eq!(default.body["per_page"], 50);
    assert_eq!(default.body["page"], 1);
    app.get("/api/v1/projects?per_page=200", t)
        .await
        .expect(200);

    let too_many = app
        .get("/api/v1/projects?per_page=201", t)
        .await
        .expect_problem(422);
    assert_eq!(too_many.error_fields(), vec!["per_page"]);
    let zero = app
        .get("/api/v1/projects?page=0", t)
        .await
        .expect_problem(422);
    assert_eq!(zero.error_fields(), vec!["page"]);
    app.get("/api/v1/projects?per_page=0", t)
        .await
        .expect_problem(422);
    app.get("/api/v1/projects?page=abc", t)
        .await
        .expect_problem(400);
    app.get("/api/v1/projects?page=-1", t)
        .await
        .expect_problem(400);
}

async fn search_and_status_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    app.post(
        "/api/v1/projects",
        t,
        json!({"name": "Payments", "code": "pay"}),
    )
    .await
    .expect(201);
    let billing = app.project("billing").await;
    app.patch(
        &format!("/api/v1/projects/{billing}"),
        t,
        json!({"status": "disabled"}),
    )
    .await
    .expect(200);
    let found = app.get("/api/v1/projects?q=PAYM", t).await.expect(200);
    assert_eq!(found.body["total"], 1);
    assert_eq!(found.body["items"][0]["code"], "pay");
    let wildcard = app.get("/api/v1/projects?q=%25", t).await.expect(200);
    assert_eq!(
        wildcard.body["total"], 0,
        "a literal % must not match everything"
    );
    let disabled = app
        .get("/api/v1/projects?status=disabled", t)
        .await
        .expect(200);
    assert_eq!(disabled.body["total"], 1);
    assert_eq!(disabled.body["items"][0]["code"], "billing");
    app.get("/api/v1/projects?status=deleted", t)
        .await
        .expect_problem(400);
}

crate::on_both_databases!(
    create_read_update_delete,
    invalid_fields_are_422_with_every_field_named,
    duplicate_codes_are_409,
    code_is_immutable,
    a_project_with_applications_cannot_be_deleted,
    pagination_pages_and_bounds,
    search_and_status_filters,
);
