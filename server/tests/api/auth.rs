//! Sign-in, throttling, tokens and their revocation.

use serde_json::json;

use crate::helpers::{ADMIN_PASSWORD, Backend, MAX_LOGIN_FAILURES, USER_PASSWORD, spawn_app};

async fn login_returns_a_bearer_token_and_the_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app.login("admin", ADMIN_PASSWORD).await.expect(200);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 3600);
    assert_eq!(reply.body["user"]["username"], "admin");
    assert_eq!(reply.body["user"]["roles"], json!(["admin"]));
    assert!(reply.body["user"].get("password_hash").is_none());
    let token = reply.body["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/auth/me", token).await.expect(200);
    assert_eq!(me.body["username"], "admin");
}

async fn usernames_are_case_insensitive(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login(" Admin ", ADMIN_PASSWORD).await.expect(200);
}

async fn wrong_password_and_unknown_user_get_the_same_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let wrong = app
        .login("admin", "not-the-password")
        .await
        .expect_problem(401);
    let unknown = app
        .login("nobody", "not-the-password")
        .await
        .expect_problem(401);
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    // Odd input is just a wrong credential.
    app.login(&"é".repeat(2000), "x").await.expect_problem(401);
    app.login("", "").await.expect_problem(401);
    assert!(wrong.body.get("access_token").is_none());
}

async fn repeated_failures_block_the_client(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..MAX_LOGIN_FAILURES {
        app.login("admin", "wrong-password")
            .await
            .expect_problem(401);
    }
    let locked = app
        .login("admin", "wrong-password")
        .await
        .expect_problem(429);
    let retry_after: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0);
    // While blocked, even the right password is refused.
    app.login("admin", ADMIN_PASSWORD).await.expect_problem(429);
    // Other account names are not affected.
    app.user_with_role("alice", "viewer").await;
}

async fn a_success_resets_the_failure_count(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..MAX_LOGIN_FAILURES - 1 {
        app.login("admin", "wrong-password").await.expect(401);
    }
    app.login("admin", ADMIN_PASSWORD).await.expect(200);
    for _ in 0..MAX_LOGIN_FAILURES - 1 {
        app.login("admin", "wrong-password").await.expect(401);
    }
    app.login("admin", ADMIN_PASSWORD).await.expect(200);
}

async fn concurrent_failures_never_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let attempts = (0..8).map(|_| app.login("admin", "wrong-password"));
    let replies = futures::future::join_all(attempts).await;
    for reply in replies {
        assert!(
            reply.status == 401 || reply.status == 429,
            "a failed sign-in must answer 401 or 429, got {}: {}",
            reply.status,
            reply.body
        );
    }
    app.login("admin", "wrong-password")
        .await
        .expect_problem(429);
}

async fn logout_revokes_only_that_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = app.login_ok("admin", ADMIN_PASSWORD).await;
    app.post("/api/v1/auth/logout", &app.admin_token, json!({}))
        .await
        .expect(204);
    app.get("/api/v1/auth/me", &app.admin_token)
        .await
        .expect_problem(401);
    app.get("/api/v1/auth/me", &other).await.expect(200);
}

async fn tampered_and_garbage_tokens_are_rejected(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut tampered = app.admin_token.clone();
    tampered.pop();
    tampered.push(if app.admin_token.ends_with('A') {
        'B'
    } else {
        'A'
    });
    app.get("/api/v1/auth/me", &tampered)
        .await
        .expect_problem(401);
    app.get("/api/v1/auth/me", "garbage")
        .await
        .expect_problem(401);
    let basic = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    // A token signed with another key is refused.
    let foreign = jsonwebtoken_like_foreign_token();
    app.get("/api/v1/auth/me", &foreign)
        .await
        .expect_problem(401);
}

/// A well-formed HS256 token signed with a key the server does not know.
fn jsonwebtoken_like_foreign_token() -> String {
    let keys = monihub_server::auth::JwtKeys::new(&secrecy::SecretString::from(
        "another-signing-key-0123456789abcdefghij",
    ))
    .unwrap();
    keys.issue(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), 600)
        .unwrap()
}

async fn changing_the_password_signs_out_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = app.user_with_role("bob", "viewer").await;
    let other_session = app.login_ok("bob", USER_PASSWORD).await;

    let wrong = app
        .post(
            "/api/v1/auth/password",
            &token,
            json!({"current_password": "not-it-at-all", "new_password": "a-brand-new-password"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(wrong.error_fields(), vec!["current_password"]);
    let weak = app
        .post(
            "/api/v1/auth/password",
            &token,
            json!({"current_password": USER_PASSWORD, "new_password": "short"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(weak.error_fields(), vec!["new_password"]);

    app.post(
        "/api/v1/auth/password",
        &token,
        json!({"current_password": USER_PASSWORD, "new_password": "a-brand-new-password"}),
    )
    .await
    .expect(204);
    app.get("/api/v1/auth/me", &token).await.expect(200);
    app.get("/api/v1/auth/me", &other_session).await.expect(401);
    app.login("bob", USER_PASSWORD).await.expect(401);
    app.login("bob", "a-brand-new-password").await.expect(200);
}

async fn disabling_a_user_cuts_access_immediately(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, token) = app.user_with_role("carol", "operator").await;
    app.get("/api/v1/projects", &token).await.expect(200);
    app.patch(
        &format!("/api/v1/users/{id}"),
        &app.admin_token,
        json!({"status": "disabled"}),
    )
    .await
    .expect(200);
    app.get("/api/v1/projects", &token)
        .await
        .expect_problem(401);
    app.login("carol", USER_PASSWORD).await.expect(401);
    // Re-enabling does not resurrect old tokens (they were revoked), but allows signing in.
    app.patch(
        &format!("/api/v1/users/{id}"),
        &app.admin_token,
        json!({"status": "active"}),
    )
    .await
    .expect(200);
    app.get("/api/v1/projects", &token).await.expect(401);
    app.login("carol", USER_PASSWORD).await.expect(200);
}

async fn deleting_a_user_cuts_access_immediately(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, token) = app.user_with_role("dave", "viewer").await;
    app.get("/api/v1/auth/me", &token).await.expect(200);
    app.delete(&format!("/api/v1/users/{id}"), &app.admin_token)
        .await
        .expect(204);
    app.get("/api/v1/auth/me", &token).await.expect_problem(401);
    app.login("dave", USER_PASSWORD).await.expect(401);
}

async fn role_changes_apply_to_existing_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, token) = app.user_with_role("erin", "viewer").await;
    app.post(
        "/api/v1/projects",
        &token,
        json!({"name": "P", "code": "p1"}),
    )
    .await
    .expect_problem(403);
    app.put(
        &format!("/api/v1/users/{id}/roles"),
        &app.admin_token,
        json!({"roles": ["operator"]}),
    )
    .await
    .expect(200);
    app.post(
        "/api/v1/projects",
        &token,
        json!({"name": "P", "code": "p1"}),
    )
    .await
    .expect(201);
}

crate::on_both_databases!(
    login_returns_a_bearer_token_and_the_user,
    usernames_are_case_insensitive,
    wrong_password_and_unknown_user_get_the_same_401,
    repeated_failures_block_the_client,
    a_success_resets_the_failure_count,
    concurrent_failures_never_error,
    logout_revokes_only_that_token,
    tampered_and_garbage_tokens_are_rejected,
    changing_the_password_signs_out_other_sessions,
    disabling_a_user_cuts_access_immediately,
    deleting_a_user_cuts_access_immediately,
    role_changes_apply_to_existing_tokens,
);
