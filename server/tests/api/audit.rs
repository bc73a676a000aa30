//! Every mutation leaves an audit record with who, what, before and after.

use serde_json::json;

use crate::helpers::{Backend, spawn_app};

async fn mutations_are_audited_with_before_and_after(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let (_, operator) = app.user_with_role("ops", "operator").await;
    let created = app
        .post(
            "/api/v1/projects",
            &operator,
            json!({"name": "Shop", "code": "shop"}),
        )
        .await
        .expect(201);
    let id = created.body["id"].as_str().unwrap();
    let request_id = created.headers["x-request-id"].to_str().unwrap().to_owned();
    app.patch(
        &format!("/api/v1/projects/{id}"),
        &operator,
        json!({"name": "Shop 2"}),
    )
    .await
    .expect(200);
    app.delete(&format!("/api/v1/projects/{id}"), &operator)
        .await
        .expect(204);

    let list = app
        .get(
            &format!("/api/v1/audit?resource_type=project&resource_id={id}"),
            t,
        )
        .await
        .expect(200);
    let actions = list.strings("action");
    assert_eq!(
        actions,
        vec!["project.delete", "project.update", "project.create"]
    );
    for record in list.body["items"].as_array().unwrap() {
        assert_eq!(record["actor_username"], "ops");
    }
    let create = &list.body["items"][2];
    assert_eq!(create["request_id"], json!(request_id));

    let update_id = list.body["items"][1]["id"].as_str().unwrap();
    let detail = app
        .get(&format!("/api/v1/audit/{update_id}"), t)
        .await
        .expect(200);
    assert_eq!(detail.body["before"]["name"], "Shop");
    assert_eq!(detail.body["after"]["name"], "Shop 2");
    let changed: Vec<&str> = detail.body["diff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert!(changed.contains(&"/name"), "{changed:?}");
    assert!(!changed.contains(&"/code"), "{changed:?}");

    let by_actor = app
        .get("/api/v1/audit?actor=ops&resource_type=project", t)
        .await
        .expect(200);
    assert_eq!(by_actor.body["total"], 3);
}

async fn sign_ins_and_sign_outs_are_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let (_, token) = app.user_with_role("visitor", "viewer").await;
    app.post("/api/v1/auth/logout", &token, json!({}))
        .await
        .expect(204);
    app.login("visitor", "definitely-wrong").await.expect(401);
    let list = app
        .get("/api/v1/audit?actor=visitor&resource_type=session", t)
        .await
        .expect(200);
    let actions = list.strings("action");
    assert_eq!(actions, vec!["session.logout", "session.login"]);
    let detail = app
        .get(
            &format!(
                "/api/v1/audit/{}",
                list.body["items"][1]["id"].as_str().unwrap()
            ),
            t,
        )
        .await
        .expect(200);
    assert!(!detail.body.to_string().contains(&token));
}

async fn user_changes_are_audited_without_secrets(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let (id, _) = app.user_with_role("target", "viewer").await;
    app.patch(
        &format!("/api/v1/users/{id}"),
        t,
        json!({"password": "new-secret-pass-1"}),
    )
    .await
    .expect(200);
    app.put(
        &format!("/api/v1/users/{id}/roles"),
        t,
        json!({"roles": ["operator"]}),
    )
    .await
    .expect(200);
    let list = app
        .get(
            &format!("/api/v1/audit?resource_type=user&resource_id={id}&per_page=10"),
            t,
        )
        .await
        .expect(200);
    assert_eq!(list.body["total"], 3, "{}", list.body);
    for item in list.body["items"].as_array().unwrap() {
        let detail = app
            .get(
                &format!("/api/v1/audit/{}", item["id"].as_str().unwrap()),
                t,
            )
            .await
            .expect(200);
        let text = detail.body.to_string();
        assert!(!text.contains("new-secret-pass-1"));
        assert!(!text.contains("$argon2"));
    }
}

async fn audit_filters_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    app.get("/api/v1/audit?from=yesterday", t)
        .await
        .expect_problem(400);
    let reversed = app
        .get(
            "/api/v1/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            t,
        )
        .await
        .expect_problem(422);
    assert_eq!(reversed.error_fields(), vec!["from"]);
    // Filters are bound parameters: SQL in a value is just a value.
    let injected = app
        .get("/api/v1/audit?actor=x%27%20OR%20%271%27%3D%271", t)
        .await
        .expect(200);
    assert_eq!(injected.body["total"], 0);
    app.get(&format!("/api/v1/audit/{}", uuid::Uuid::new_v4()), t)
        .await
        .expect_problem(404);
}

crate::on_both_databases!(
    mutations_are_audited_with_before_and_after,
    sign_ins_and_sign_outs_are_audited,
    user_changes_are_audited_without_secrets,
    audit_filters_are_validated,
);
