//! User management and the rules against lock-out and escalation.

use serde_json::json;

use crate::helpers::{Backend, USER_PASSWORD, spawn_app};

async fn admin_manages_users(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let created = app
        .post(
            "/api/v1/users",
            t,
            json!({"username": "jane.doe", "password": USER_PASSWORD, "email": "jane@example.com",
                   "display_name": "Jane", "roles": ["operator", "viewer", "operator"]}),
        )
        .await
        .expect(201);
    assert_eq!(created.body["roles"], json!(["operator", "viewer"]));
    assert!(created.body.get("password").is_none());
    assert!(created.body.get("password_hash").is_none());
    let id = created.body["id"].as_str().unwrap();

    let default_role = app
        .post(
            "/api/v1/users",
            t,
            json!({"username": "plain", "password": USER_PASSWORD}),
        )
        .await
        .expect(201);
    assert_eq!(default_role.body["roles"], json!(["viewer"]));

    let list = app.get("/api/v1/users?q=jane", t).await.expect(200);
    assert_eq!(list.body["total"], 1);
    assert_eq!(
        list.body["items"][0]["roles"],
        json!(["operator", "viewer"])
    );

    let patched = app
        .patch(
            &format!("/api/v1/users/{id}"),
            t,
            json!({"email": null, "display_name": "J."}),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["email"], json!(null));
    assert_eq!(patched.body["display_name"], "J.");

    let roles = app
        .put(
            &format!("/api/v1/users/{id}/roles"),
            t,
            json!({"roles": []}),
        )
        .await
        .expect(200);
    assert_eq!(roles.body["roles"], json!([]));
    let token = app.login_ok("jane.doe", USER_PASSWORD).await;
    // A user without roles can sign in but reads nothing.
    app.get("/api/v1/projects", &token)
        .await
        .expect_problem(403);

    let reset = app
        .patch(
            &format!("/api/v1/users/{id}"),
            t,
            json!({"password": "reset-by-admin-1"}),
        )
        .await
        .expect(200);
    assert!(!reset.body.to_string().contains("reset-by-admin-1"));
    app.get("/api/v1/auth/me", &token).await.expect(401);
    app.login_ok("jane.doe", "reset-by-admin-1").await;
}

async fn user_validation_and_conflicts(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let bad = app
        .post(
            "/api/v1/users",
            t,
            json!({"username": "No Spaces!", "password": "short", "email": "not-an-email"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(bad.error_fields(), vec!["email", "password", "username"]);
    app.post(
        "/api/v1/users",
        t,
        json!({"username": "admin", "password": USER_PASSWORD}),
    )
    .await
    .expect_problem(409);
    app.post(
        "/api/v1/users",
        t,
        json!({"username": "x-user", "password": USER_PASSWORD, "roles": ["root"]}),
    )
    .await
    .expect_problem(400);
    app.get(&format!("/api/v1/users/{}", uuid::Uuid::new_v4()), t)
        .await
        .expect_problem(404);
}

async fn admins_cannot_lock_themselves_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let me = app.get("/api/v1/auth/me", t).await.expect(200);
    let id = me.body["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/users/{id}"),
        t,
        json!({"status": "disabled"}),
    )
    .await
    .expect_problem(409);
    app.delete(&format!("/api/v1/users/{id}"), t)
        .await
        .expect_problem(409);
    app.put(
        &format!("/api/v1/users/{id}/roles"),
        t,
        json!({"roles": ["viewer"]}),
    )
    .await
    .expect_problem(409);
    let still = app.get("/api/v1/auth/me", t).await.expect(200);
    assert_eq!(still.body["roles"], json!(["admin"]));
}

async fn nobody_escalates_their_own_privileges(backend: Backend) {
    let app = spawn_app(backend).await;
    let (op_id, operator) = app.user_with_role("opr", "operator").await;
    app.put(
        &format!("/api/v1/users/{op_id}/roles"),
        &operator,
        json!({"roles": ["admin"]}),
    )
    .await
    .expect_problem(403);
    app.patch(
        &format!("/api/v1/users/{op_id}"),
        &operator,
        json!({"status": "active"}),
    )
    .await
    .expect_problem(403);
    app.post(
        "/api/v1/users",
        &operator,
        json!({"username": "sneaky", "password": USER_PASSWORD, "roles": ["admin"]}),
    )
    .await
    .expect_problem(403);
    let me = app.get("/api/v1/auth/me", &operator).await.expect(200);
    assert_eq!(me.body["roles"], json!(["operator"]));
    app.login("sneaky", USER_PASSWORD).await.expect(401);
}

crate::on_both_databases!(
    admin_manages_users,
    user_validation_and_conflicts,
    admins_cannot_lock_themselves_out,
    nobody_escalates_their_own_privileges,
);
