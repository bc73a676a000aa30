//! Hostile input found by probing the server: every case answers a clear 4xx (never a 500 or a
//! dropped connection) and changes nothing.

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{Backend, spawn_app, spawn_app_with};

/// Offsets beyond the databases' signed 64-bit range used to panic the request.
async fn huge_pages_are_422_on_every_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    for list in [
        "/api/v1/projects",
        "/api/v1/applications",
        "/api/v1/users",
        "/api/v1/audit",
    ] {
        for query in [
            "page=18446744073709551615&per_page=1",
            "page=9223372036854775807&per_page=200",
            "page=1000000001",
        ] {
            let reply = app
                .get(&format!("{list}?{query}"), t)
                .await
                .expect_problem(422);
            assert_eq!(reply.error_fields(), vec!["page"], "{list}?{query}");
        }
        // The largest page accepted is an ordinary, empty page.
        let last = app
            .get(&format!("{list}?page=1000000000&per_page=200"), t)
            .await
            .expect(200);
        assert_eq!(last.body["items"], serde_json::json!([]), "{list}");
    }
}

/// Concurrent writers queue for the lock; none of them gets "database is locked" (SQLite used to
/// answer 500 to most of them).
async fn concurrent_writes_all_succeed(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let project = app.project("contended").await;
    let path = format!("/api/v1/projects/{project}");
    let patches = join_all((0..10).map(|i| {
        let path = path.clone();
        let app = &app;
        async move {
            app.patch(&path, t, json!({"description": format!("writer {i}")}))
                .await
        }
    }))
    .await;
    for reply in patches {
        reply.expect(200);
    }
    let creates = join_all((0..30).map(|i| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/projects",
                t,
                json!({"name": format!("Parallel {i}"), "code": format!("parallel-{i}")}),
            )
            .await
        }
    }))
    .await;
    for reply in creates {
        reply.expect(201);
    }
    let list = app
        .get("/api/v1/projects?per_page=200", t)
        .await
        .expect(200);
    assert_eq!(list.body["total"], 31);
    // Every write left its audit record: 1 + 10 + 30 project changes.
    let audit = app
        .get("/api/v1/audit?resource_type=project&per_page=1", t)
        .await
        .expect(200);
    assert_eq!(audit.body["total"], 41);
}

/// NUL characters are refused with 422 naming the field, in bodies (values and keys), queries and
/// filters; PostgreSQL cannot store them and SQLite cut strings at them.
async fn nul_characters_are_refused_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    let login = app
        .login("ad\u{0}min", crate::helpers::ADMIN_PASSWORD)
        .await
        .expect_problem(422);
    assert_eq!(login.error_fields(), vec!["username"]);
    let cases = [
        (json!({"name": "a\u{0}b", "code": "nul-1"}), "name"),
        (
            json!({"name": "ok", "code": "nul-2", "description": "x\u{0}"}),
            "description",
        ),
        (json!({"name": "ok", "code": "nul\u{0}3"}), "code"),
        (json!({"name": "ok", "code": "nul-4", "a\u{0}": 1}), "a\\0"),
    ];
    for (body, field) in cases {
        let reply = app
            .post("/api/v1/projects", t, body.clone())
            .await
            .expect_problem(422);
        assert_eq!(reply.error_fields(), vec![field], "{body}");
    }
    let project = app.project("clean").await;
    let reply = app
        .patch(
            &format!("/api/v1/projects/{project}"),
            t,
            json!({"description": "\u{0}"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(reply.error_fields(), vec!["description"]);
    let reply = app
        .put(
            &format!("/api/v1/users/{}/roles", uuid::Uuid::new_v4()),
            t,
            json!({"roles": ["admin\u{0}"]}),
        )
        .await
        .expect_problem(422);
    assert_eq!(reply.error_fields(), vec!["roles[0]"]);
    for (query, field) in [
        ("/api/v1/projects?q=%00", "q"),
        ("/api/v1/users?q=a%00b", "q"),
        ("/api/v1/applications?q=x&status=%00", "status"),
        ("/api/v1/audit?actor=ad%00min", "actor"),
        ("/api/v1/audit?action=a&resource_id=%00", "resource_id"),
    ] {
        let reply = app.get(query, t).await.expect_problem(422);
        assert_eq!(reply.error_fields(), vec![field], "{query}");
    }
    app.get("/api/v1/projects/%00", t).await.expect_problem(400);
    let list = app.get("/api/v1/projects", t).await.expect(200);
    assert_eq!(
        list.body["total"], 1,
        "nothing may be written by a rejected request"
    );
}

/// A body that trickles in slower than the body timeout gets 408 instead of holding a worker.
async fn slow_bodies_time_out(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(backend, &[("request_body_timeout", "1s")]).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/projects HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":",
        app.admin_token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // The server answers and closes; the bound only keeps a broken server from hanging the test.
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("the server must answer a stalled body")
        .ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

/// Oversized heads and the framework's own errors are problem documents too.
async fn framework_errors_are_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    let big = app
        .client
        .get(app.url("/api/v1/projects"))
        .header("x-padding", "a".repeat(40 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 431);
    assert_eq!(big.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = big.json().await.unwrap();
    assert_eq!(body["status"], 431);

    // The embedded console's files: refused paths are problems, not plain text.
    let console = tempfile::tempdir().unwrap();
    std::fs::write(console.path().join("index.html"), "<!doctype html>").unwrap();
    let dir = console.path().display().to_string();
    let app = spawn_app_with(backend, &[("static_dir", dir.as_str())]).await;
    let page = app.client.get(app.url("/projects")).send().await.unwrap();
    assert_eq!(page.status(), 200, "client-side routes get index.html");
    for bad in ["/.env", "/*star", "/a/.git/config"] {
        let reply = app.client.get(app.url(bad)).send().await.unwrap();
        assert!(
            reply.status().is_client_error(),
            "{bad}: {}",
            reply.status()
        );
        assert_eq!(
            reply.headers()["content-type"],
            "application/problem+json",
            "{bad}"
        );
    }
}

/// Probes answer HEAD and OPTIONS; API answers are never cached; security headers are sent.
async fn probes_caching_and_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    for probe in ["/healthz", "/readyz", "/metrics"] {
        let head = app.client.head(app.url(probe)).send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD {probe}");
        assert!(head.bytes().await.unwrap().is_empty());
        let options = app
            .client
            .request(reqwest::Method::OPTIONS, app.url(probe))
            .send()
            .await
            .unwrap();
        assert_eq!(options.status(), 204, "OPTIONS {probe}");
        assert_eq!(options.headers()["allow"], "GET, HEAD, OPTIONS");
    }
    let head = app
        .client
        .head(app.url("/api/v1/projects"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);

    let login = app
        .login("admin", crate::helpers::ADMIN_PASSWORD)
        .await
        .expect(200);
    assert_eq!(login.headers["cache-control"], "no-store");
    let failed = app.login("admin", "wrong-password").await.expect(401);
    assert_eq!(failed.headers["cache-control"], "no-store");
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(health.headers().get("cache-control").is_none());
    let csp = health.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(health.headers().get("strict-transport-security").is_none());

    let strict = spawn_app_with(
        backend,
        &[("hsts_max_age", "365d"), ("content_security_policy", "")],
    )
    .await;
    let health = strict
        .client
        .get(strict.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        health.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    assert!(health.headers().get("content-security-policy").is_none());
}

/// A client's request id is kept only when it is short and plain, in the audit log too.
async fn request_ids_in_the_audit_log_are_sanitised(backend: Backend) {
    let app = spawn_app(backend).await;
    for (id, kept) in [
        ("trace-42_ok", true),
        ("x".repeat(65).as_str(), false),
        ("a,b;c=d", false),
    ] {
        let reply = app
            .client
            .post(app.url("/api/v1/projects"))
            .bearer_auth(&app.admin_token)
            .header("x-request-id", id)
            .json(&json!({"name": "Traced", "code": format!("traced-{}", id.len())}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 201);
        let audit = app
            .get(
                "/api/v1/audit?action=project.create&per_page=1",
                &app.admin_token,
            )
            .await
            .expect(200);
        let stored = audit.body["items"][0]["request_id"].as_str().unwrap();
        assert_eq!(stored == id, kept, "{id:?} stored as {stored:?}");
        assert!(stored.len() <= 64);
    }
}

/// Two admins removing each other at once (demote, disable, delete): exactly one succeeds and an
/// active admin always remains.
async fn the_last_active_admin_cannot_be_removed_by_racing(backend: Backend) {
    use reqwest::Method;
    let app = spawn_app(backend).await;
    let me = app
        .get("/api/v1/auth/me", &app.admin_token)
        .await
        .expect(200);
    let admin_id = me.body["id"].as_str().unwrap().to_owned();
    let operations: [(Method, &str, Option<serde_json::Value>); 3] = [
        (Method::PUT, "/roles", Some(json!({"roles": ["operator"]}))),
        (Method::PATCH, "", Some(json!({"status": "disabled"}))),
        (Method::DELETE, "", None),
    ];
    for (round, (method, suffix, body)) in operations.into_iter().enumerate() {
        let name = format!("second-admin-{round}");
        let (second_id, second_token) = app.user_with_role(&name, "admin").await;
        let remove = |token: String, target: String| {
            let app = &app;
            let method = method.clone();
            let body = body.clone();
            async move {
                let path = format!("/api/v1/users/{target}{suffix}");
                app.send(method, &path, Some(&token), body.as_ref()).await
            }
        };
        let (first, second) = futures::join!(
            remove(app.admin_token.clone(), second_id.clone()),
            remove(second_token.clone(), admin_id.clone())
        );
        // Exactly one wins. The loser is refused by the last-admin rule (409), or, when the
        // winner committed before the loser's request was authorised, for no longer being an
        // admin (403) or, once disabled or deleted, for no longer having a session (401).
        let winners = [&first, &second]
            .iter()
            .filter(|r| r.status.is_success())
            .count();
        assert_eq!(winners, 1, "{method}: {} / {}", first.body, second.body);
        for reply in [&first, &second] {
            assert!(
                reply.status.is_success()
                    || reply.status == 409
                    || reply.status == 403
                    || (reply.status == 401 && suffix.is_empty()),
                "{method}: {}",
                reply.body
            );
        }
        let remaining = monihub_server::users::service::count_active_admins(&app.db)
            .await
            .unwrap();
        assert_eq!(remaining, 1, "{method} round");
        if second.status.is_success() && method != Method::DELETE {
            // The original admin lost: the winner restores it for the next round.
            let restore = if method == Method::PUT {
                json!({"roles": ["admin"]})
            } else {
                json!({"status": "active"})
            };
            app.send(
                method.clone(),
                &format!("/api/v1/users/{admin_id}{suffix}"),
                Some(&second_token),
                Some(&restore),
            )
            .await
            .expect(200);
        }
        if second.status.is_success() {
            // The original admin's sessions may have ended; later rounds act as the winner too.
            break;
        }
    }
}

/// The first-admin bootstrap is idempotent, safe to race, and never fails over a taken name.
async fn the_bootstrap_is_idempotent_and_never_fatal(backend: Backend) {
    use monihub_server::auth::Hasher;
    use monihub_server::users::bootstrap::{Bootstrap, ensure_first_admin};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use secrecy::SecretString;

    let app = spawn_app(backend).await;
    let password = SecretString::from("bootstrap-password-1");
    let hasher = Hasher::for_cli();
    // An admin exists: nothing happens, however often it runs.
    for _ in 0..2 {
        let outcome = ensure_first_admin(&app.db, &hasher, Some(&password), false)
            .await
            .unwrap();
        assert!(matches!(outcome, Bootstrap::AdminExists), "{outcome:?}");
    }
    // No active admin, and the name `admin` is taken by a non-admin: reported, not fatal, and
    // that user is left alone.
    monihub_server::entity::user_roles::Entity::delete_many()
        .filter(monihub_server::entity::user_roles::Column::RoleName.eq("admin"))
        .exec(&app.db)
        .await
        .unwrap();
    let outcome = ensure_first_admin(&app.db, &hasher, Some(&password), false)
        .await
        .unwrap();
    assert!(
        matches!(outcome, Bootstrap::NameTaken { .. }),
        "{outcome:?}"
    );
    app.login("admin", crate::helpers::ADMIN_PASSWORD)
        .await
        .expect(200);

    // A fresh database and four replicas starting at once: one creates the admin, none fails.
    let fresh = spawn_app(backend).await;
    monihub_server::entity::users::Entity::delete_many()
        .exec(&fresh.db)
        .await
        .unwrap();
    let starts = (0..4).map(|_| {
        let db = fresh.db.clone();
        let hasher = hasher.clone();
        let password = password.clone();
        async move { ensure_first_admin(&db, &hasher, Some(&password), false).await }
    });
    let outcomes = join_all(starts).await;
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Bootstrap::Created { .. })))
        .count();
    assert_eq!(created, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(Bootstrap::Created { .. } | Bootstrap::AdminExists))),
        "{outcomes:?}"
    );
    fresh
        .login("admin", "bootstrap-password-1")
        .await
        .expect(200);
}

crate::on_both_databases!(
    huge_pages_are_422_on_every_list,
    concurrent_writes_all_succeed,
    nul_characters_are_refused_everywhere,
    slow_bodies_time_out,
    framework_errors_are_problems,
    probes_caching_and_security_headers,
    request_ids_in_the_audit_log_are_sanitised,
    the_last_active_admin_cannot_be_removed_by_racing,
    the_bootstrap_is_idempotent_and_never_fatal,
);
