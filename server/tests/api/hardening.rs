//! Hostile input found by probing the server: every case answers a clear 4xx (never a 500 or a
//! dropped connection) and changes nothing.

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{Backend, spawn_app};

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

crate::on_both_databases!(
    huge_pages_are_422_on_every_list,
    concurrent_writes_all_succeed
);
