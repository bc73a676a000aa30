//! Every endpoint's permission, table-driven: without a token → 401; with a role that lacks the
//! permission → 403; with a role that has it → neither. The table is checked against the OpenAPI
//! document, so a new endpoint cannot be added without a row here.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Any signed-in user.
    SignedIn,
    /// viewer, operator, admin.
    ReadFleet,
    /// operator, admin.
    ManageFleet,
    /// admin only.
    Admin,
}

impl Access {
    fn allows(self, role: &str) -> bool {
        match self {
            Access::SignedIn | Access::ReadFleet => true,
            Access::ManageFleet => role != "viewer",
            Access::Admin => role == "admin",
        }
    }
}

struct Endpoint {
    method: Method,
    path: &'static str,
    body: Option<Value>,
    access: Access,
    /// Uses a fresh token per call (the call would invalidate a shared one).
    fresh_token: bool,
}

fn endpoint(method: Method, path: &'static str, access: Access) -> Endpoint {
    Endpoint {
        method,
        path,
        body: None,
        access,
        fresh_token: false,
    }
}

fn with_body(method: Method, path: &'static str, access: Access, body: Value) -> Endpoint {
    Endpoint {
        body: Some(body),
        ..endpoint(method, path, access)
    }
}

fn table() -> Vec<Endpoint> {
    use Access::*;
    vec![
        Endpoint {
            fresh_token: true,
            ..endpoint(Method::POST, "/api/v1/auth/logout", SignedIn)
        },
        endpoint(Method::GET, "/api/v1/auth/me", SignedIn),
        with_body(
            Method::POST,
            "/api/v1/auth/password",
            SignedIn,
            json!({"current_password": "wrong-current-pw", "new_password": "another-password-1"}),
        ),
        endpoint(Method::GET, "/api/v1/roles", SignedIn),
        endpoint(Method::GET, "/api/v1/users", Admin),
        with_body(
            Method::POST,
            "/api/v1/users",
            Admin,
            json!({"username": "made-by-rbac", "password": "rbac-password-1"}),
        ),
        endpoint(Method::GET, "/api/v1/users/{user}", Admin),
        with_body(
            Method::PATCH,
            "/api/v1/users/{user}",
            Admin,
            json!({"display_name": "Target"}),
        ),
        with_body(
            Method::PUT,
            "/api/v1/users/{user}/roles",
            Admin,
            json!({"roles": ["admin"]}),
        ),
        endpoint(Method::POST, "/api/v1/users/{user}/unlock", Admin),
        endpoint(Method::DELETE, "/api/v1/users/{user}", Admin),
        endpoint(Method::GET, "/api/v1/projects", ReadFleet),
        with_body(
            Method::POST,
            "/api/v1/projects",
            ManageFleet,
            json!({"name": "RBAC", "code": "rbac-new"}),
        ),
        endpoint(Method::GET, "/api/v1/projects/{project}", ReadFleet),
        with_body(
            Method::PATCH,
            "/api/v1/projects/{project}",
            ManageFleet,
            json!({"description": "changed"}),
        ),
        endpoint(
            Method::DELETE,
            "/api/v1/projects/{empty_project}",
            ManageFleet,
        ),
        endpoint(Method::GET, "/api/v1/applications", ReadFleet),
        with_body(
            Method::POST,
            "/api/v1/applications",
            ManageFleet,
            json!({"project_id": "{project}", "name": "RBAC", "code": "rbac-app-new"}),
        ),
        endpoint(Method::GET, "/api/v1/applications/{app}", ReadFleet),
        with_body(
            Method::PATCH,
            "/api/v1/applications/{app}",
            ManageFleet,
            json!({"description": "changed"}),
        ),
        endpoint(
            Method::POST,
            "/api/v1/applications/{app}/agent-token",
            ManageFleet,
        ),
        endpoint(
            Method::DELETE,
            "/api/v1/applications/{doomed_app}",
            ManageFleet,
        ),
        endpoint(Method::GET, "/api/v1/instances", ReadFleet),
        endpoint(Method::GET, "/api/v1/instances/{instance}", ReadFleet),
        with_body(
            Method::PATCH,
            "/api/v1/instances/{instance}",
            ManageFleet,
            json!({"status": "active"}),
        ),
        endpoint(
            Method::DELETE,
            "/api/v1/instances/{doomed_instance}",
            ManageFleet,
        ),
        endpoint(
            Method::GET,
            "/api/v1/instances/{instance}/reports",
            ReadFleet,
        ),
        endpoint(
            Method::GET,
            "/api/v1/instances/{instance}/metrics",
            ReadFleet,
        ),
        endpoint(Method::GET, "/api/v1/fleet/metrics", ReadFleet),
        endpoint(Method::GET, "/api/v1/logs", ReadFleet),
        endpoint(Method::GET, "/api/v1/logs/export", ReadFleet),
        endpoint(Method::GET, "/api/v1/tasks", ReadFleet),
        with_body(
            Method::POST,
            "/api/v1/tasks",
            ManageFleet,
            json!({"name": "rbac", "type": "shell_exec", "content": {"script": "id"},
                   "instance_ids": ["{instance}"]}),
        ),
        endpoint(Method::GET, "/api/v1/tasks/{task}", ReadFleet),
        endpoint(Method::POST, "/api/v1/tasks/{task}/cancel", ManageFleet),
        endpoint(Method::GET, "/api/v1/tasks/{task}/records", ReadFleet),
        endpoint(
            Method::POST,
            "/api/v1/task-records/{record}/retry",
            ManageFleet,
        ),
        endpoint(Method::POST, "/api/v1/ws/ticket", ReadFleet),
        endpoint(Method::GET, "/api/v1/audit", Admin),
        endpoint(Method::GET, "/api/v1/audit/{audit}", Admin),
    ]
}

struct Ids {
    pairs: Vec<(&'static str, String)>,
}

impl Ids {
    fn fill(&self, text: &str) -> String {
        self.pairs
            .iter()
            .fold(text.to_owned(), |acc, (key, value)| {
                acc.replace(&format!("{{{key}}}"), value)
            })
    }
}

async fn fixtures(app: &TestApp) -> Ids {
    let project = app.project("rbac").await;
    let empty_project = app.project("rbac-empty").await;
    let a = app.application(&project, "rbac-app").await;
    let doomed_app = app.application(&project, "rbac-doomed").await;
    let (user, _) = app.user_with_role("rbac-target", "viewer").await;
    let (_, agent_token) = app.application_with_token("rbac-fleet").await;
    let instance = app.instance(&agent_token, "rbac-host").await;
    let doomed_instance = app.instance(&agent_token, "rbac-doomed-host").await;
    let task = app
        .post(
            "/api/v1/tasks",
            &app.admin_token,
            json!({"name": "rbac-fixture", "type": "shell_exec", "content": {"script": "id"},
                   "instance_ids": [instance]}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let record = app
        .get(&format!("/api/v1/tasks/{task}/records"), &app.admin_token)
        .await
        .expect(200)
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let audit = app
        .get("/api/v1/audit?per_page=1", &app.admin_token)
        .await
        .expect(200)
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Ids {
        pairs: vec![
            ("project", project),
            ("empty_project", empty_project),
            ("app", a),
            ("doomed_app", doomed_app),
            ("user", user),
            ("instance", instance),
            ("doomed_instance", doomed_instance),
            ("task", task),
            ("record", record),
            ("audit", audit),
        ],
    }
}

async fn every_endpoint_enforces_its_permission(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = fixtures(&app).await;
    let (_, viewer) = app.user_with_role("rbac-viewer", "viewer").await;
    let (_, operator) = app.user_with_role("rbac-operator", "operator").await;
    let roles = [
        ("viewer", viewer, "rbac-viewer"),
        ("operator", operator, "rbac-operator"),
        ("admin", app.admin_token.clone(), "admin"),
    ];

    for e in table() {
        let path = ids.fill(e.path);
        let body = e
            .body
            .as_ref()
            .map(|b| serde_json::from_str::<Value>(&ids.fill(&b.to_string())).expect("valid JSON"));

        let anonymous = app.send(e.method.clone(), &path, None, body.as_ref()).await;
        assert_eq!(
            anonymous.status, 401,
            "{} {path} without a token: {}",
            e.method, anonymous.body
        );

        for (role, token, username) in &roles {
            let token = if e.fresh_token {
                let password = if *role == "admin" {
                    crate::helpers::ADMIN_PASSWORD
                } else {
                    crate::helpers::USER_PASSWORD
                };
                app.login_ok(username, password).await
            } else {
                token.clone()
            };
            let reply = app
                .send(e.method.clone(), &path, Some(&token), body.as_ref())
                .await;
            if e.access.allows(role) {
                assert!(
                    reply.status != 401 && reply.status != 403,
                    "{} {path} as {role} should be allowed, got {}: {}",
                    e.method,
                    reply.status,
                    reply.body
                );
            } else {
                assert_eq!(
                    reply.status, 403,
                    "{} {path} as {role} should be forbidden: {}",
                    e.method, reply.body
                );
            }
        }
    }
}

/// Every operation of the OpenAPI document that needs a token has a row in the table.
async fn the_table_covers_every_protected_operation(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = app.openapi().await;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            // Operations for signed-in users (the agent API has its own token and tests).
            let for_users = op["security"]
                .as_array()
                .is_some_and(|schemes| schemes.iter().any(|s| s.get("bearer").is_some()));
            if for_users {
                documented.insert(format!("{} {}", method.to_uppercase(), normalise(path)));
            }
        }
    }
    let tested: BTreeSet<String> = table()
        .iter()
        .map(|e| format!("{} {}", e.method, normalise(e.path)))
        .collect();
    assert_eq!(documented, tested);
}

/// `{anything}` → `{}` so template names need not match.
fn normalise(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            c if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

crate::on_both_databases!(
    every_endpoint_enforces_its_permission,
    the_table_covers_every_protected_operation,
);
