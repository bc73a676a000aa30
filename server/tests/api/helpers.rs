//! `spawn_app()`: the real server on a random port against a fresh database (a SQLite file in a
//! temporary folder, or a new PostgreSQL database), with a signed-in admin.

use std::sync::OnceLock;

use monihub_server::audit::Actor;
use monihub_server::auth::Hasher;
use monihub_server::config::Settings;
use monihub_server::users::bootstrap;
use monihub_server::{Server, db};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use serde_json::{Value, json};
use tempfile::TempDir;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const USER_PASSWORD: &str = "user-password-for-tests";
/// Test servers lock an account name after this many failed sign-ins.
pub const MAX_LOGIN_FAILURES: u32 = 3;

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub admin_token: String,
    pub settings: Settings,
    _tmp: Option<TempDir>,
}

/// The PostgreSQL server used by the tests: required, never skipped.
fn postgres_admin_url() -> String {
    std::env::var("MONIHUB_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "MONIHUB_TEST_POSTGRES_URL is not set. The API tests run against a real PostgreSQL \
             server: run `cargo xtask ci` (it starts one), or point the variable at a server \
             whose user may create databases, e.g. postgres://postgres@127.0.0.1:5432/postgres"
        )
    })
}

fn tracing_once() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let level = std::env::var("TEST_LOG").unwrap_or_else(|_| "error,sqlx=error".into());
        monihub_server::telemetry::init(monihub_server::config::LogFormat::Pretty, &level);
    });
}

/// A fresh database URL for one test.
async fn fresh_database(backend: Backend) -> (String, Option<TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("failed to create a temporary folder");
            let url = format!("sqlite://{}/monihub.db?mode=rwc", dir.path().display());
            (url, Some(dir))
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let name = format!("monihub_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("failed to connect to {admin_url}: {e}"));
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("failed to create a test database");
            admin.close().await.ok();
            let base = admin_url
                .rsplit_once('/')
                .map(|(base, _)| base)
                .expect("MONIHUB_TEST_POSTGRES_URL must end with /<database>");
            (format!("{base}/{name}"), None)
        }
    }
}

/// Settings of a test server (production mode: every secret given explicitly), with `extra`
/// settings on top.
pub fn test_settings(database_url: &str, extra: &[(&str, &str)]) -> Settings {
    let max_failures = MAX_LOGIN_FAILURES.to_string();
    let mut overrides = vec![
        ("mode", "production"),
        ("bind", "127.0.0.1:0"),
        ("database_url", database_url),
        ("jwt_secret", "test-signing-key-0123456789abcdefghijkl"),
        ("log_level", "error"),
        ("login_max_failures", max_failures.as_str()),
        ("database_max_connections", "4"),
        ("database_idle_timeout", "2s"),
    ];
    overrides.extend_from_slice(extra);
    Settings::load(None, &overrides).expect("test settings are valid")
}

/// Starts a server on a fresh, migrated database with an admin signed in.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Like [`spawn_app`], with some settings changed.
pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    tracing_once();
    let (url, tmp) = fresh_database(backend).await;
    let settings = test_settings(&url, extra);
    let secret: SecretString = settings.jwt_secret.clone().expect("set above");
    {
        let migrator =
            db::connect_for_migrations(&settings.database_url(), settings.database_idle_timeout)
                .await
                .expect("failed to connect to the test database");
        db::migrate_up(&migrator).await.expect("failed to migrate");
        migrator
            .close()
            .await
            .expect("failed to close the migration connection");
    }
    let connection = db::connect(
        &settings.database_url(),
        settings.database_max_connections,
        settings.database_idle_timeout,
    )
    .await
    .expect("failed to connect to the test database");

    bootstrap::create_admin(
        &connection,
        &Hasher::for_cli(),
        "admin",
        &SecretString::from(ADMIN_PASSWORD),
        &Actor::system("tests"),
    )
    .await
    .expect("failed to create the admin");

    let server =
        Server::build(settings.clone(), connection.clone(), &secret).expect("failed to build");
    let address = format!("http://127.0.0.1:{}", server.port());
    tokio::spawn(server.run_until_stopped());

    let mut app = TestApp {
        address,
        client: reqwest::Client::new(),
        db: connection,
        admin_token: String::new(),
        settings,
        _tmp: tmp,
    };
    app.admin_token = app.login_ok("admin", ADMIN_PASSWORD).await;
    app
}

/// A response with its body decoded.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Asserts the status, printing the body on mismatch.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// Asserts an RFC 9457 problem body with this status, carrying the request id.
    #[track_caller]
    pub fn expect_problem(self, status: u16) -> Self {
        let reply = self.expect(status);
        let content_type = reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(content_type, "application/problem+json", "{}", reply.body);
        assert_eq!(reply.body["status"], json!(status), "{}", reply.body);
        assert!(reply.body["title"].is_string(), "{}", reply.body);
        let request_id = reply
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok());
        assert!(request_id.is_some(), "no x-request-id header");
        assert_eq!(
            reply.body["request_id"].as_str(),
            request_id,
            "{}",
            reply.body
        );
        reply
    }

    /// The string `field` of every item of a list answer, in order.
    pub fn strings(&self, field: &str) -> Vec<&str> {
        self.body["items"]
            .as_array()
            .map(|items| items.iter().filter_map(|i| i[field].as_str()).collect())
            .unwrap_or_default()
    }

    /// Field names of a 422's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A one-connection pool for migrating this app's database in a test (see
    /// `db::connect_for_migrations`).
    pub async fn migrator(&self) -> sea_orm::DatabaseConnection {
        db::connect_for_migrations(
            &self.settings.database_url(),
            self.settings.database_idle_timeout,
        )
        .await
        .expect("failed to connect to the test database")
    }

    /// A second server on the same database (another replica): its base address.
    pub async fn spawn_replica(&self) -> String {
        let secret = self
            .settings
            .jwt_secret
            .clone()
            .expect("set by test_settings");
        let connection = db::connect(
            &self.settings.database_url(),
            self.settings.database_max_connections,
            self.settings.database_idle_timeout,
        )
        .await
        .expect("failed to connect to the test database");
        let server =
            Server::build(self.settings.clone(), connection, &secret).expect("failed to build");
        let address = format!("http://127.0.0.1:{}", server.port());
        tokio::spawn(server.run_until_stopped());
        address
    }

    /// Signs in at `address` (this server or a replica), with an optional `X-Forwarded-For`.
    pub async fn login_at(
        &self,
        address: &str,
        username: &str,
        password: &str,
        forwarded_for: Option<&str>,
    ) -> Reply {
        let mut request = self
            .client
            .post(format!("{address}/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}));
        if let Some(client) = forwarded_for {
            request = request.header("x-forwarded-for", client);
        }
        Self::reply(request.send().await.expect("request failed")).await
    }

    /// Signs in on behalf of `client` (believed when the server trusts 127.0.0.1 as a proxy).
    pub async fn login_from(&self, client: &str, username: &str, password: &str) -> Reply {
        self.login_at(&self.address, username, password, Some(client))
            .await
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request failed");
        Self::reply(response).await
    }

    /// Sends raw bytes with a content type.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let response = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&self.admin_token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request failed");
        Self::reply(response).await
    }

    async fn reply(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("failed to read body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(&body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::PATCH, path, Some(token), Some(&body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(token), Some(&body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Reply {
        self.send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": username, "password": password})),
        )
        .await
    }

    pub async fn login_ok(&self, username: &str, password: &str) -> String {
        let reply = self.login(username, password).await.expect(200);
        reply.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Creates a user with one role and returns its id and a token.
    pub async fn user_with_role(&self, username: &str, role: &str) -> (String, String) {
        let created = self
            .post(
                "/api/v1/users",
                &self.admin_token,
                json!({"username": username, "password": USER_PASSWORD, "roles": [role]}),
            )
            .await
            .expect(201);
        let id = created.body["id"].as_str().expect("id").to_owned();
        let token = self.login_ok(username, USER_PASSWORD).await;
        (id, token)
    }

    /// Creates a project and returns its id.
    pub async fn project(&self, code: &str) -> String {
        self.create(
            "/api/v1/projects",
            json!({"name": format!("Project {code}"), "code": code}),
        )
        .await
    }

    /// Creates an application in a project and returns its id.
    pub async fn application(&self, project_id: &str, code: &str) -> String {
        self.create(
            "/api/v1/applications",
            json!({"project_id": project_id, "name": format!("App {code}"), "code": code}),
        )
        .await
    }

    /// POSTs as admin, expects 201 and returns the new object's id.
    async fn create(&self, path: &str, body: Value) -> String {
        let reply = self.post(path, &self.admin_token, body).await.expect(201);
        reply.body["id"].as_str().expect("id").to_owned()
    }

    /// A project, an application in it and the application's agent token.
    pub async fn application_with_token(&self, code: &str) -> (String, String) {
        let project = self.project(&format!("{code}-project")).await;
        let application = self.application(&project, code).await;
        let token = self
            .post(
                &format!("/api/v1/applications/{application}/agent-token"),
                &self.admin_token,
                json!({}),
            )
            .await
            .expect(201);
        let token = token.body["token"].as_str().unwrap().to_owned();
        (application, token)
    }

    /// Sends an agent report with an agent token.
    pub async fn report(&self, agent_token: &str, body: &Value) -> Reply {
        self.send(
            Method::POST,
            "/api/v1/agent/report",
            Some(agent_token),
            Some(body),
        )
        .await
    }

    /// Reports once and returns the instance id.
    pub async fn instance(&self, agent_token: &str, agent_instance_id: &str) -> String {
        let reply = self
            .report(agent_token, &agent_report(agent_instance_id, 1.0))
            .await
            .expect(200);
        reply.body["instance_id"].as_str().unwrap().to_owned()
    }

    /// The served OpenAPI document (no token needed).
    pub async fn openapi(&self) -> Value {
        self.send(Method::GET, "/api/v1/openapi.json", None, None)
            .await
            .expect(200)
            .body
    }
}

/// A plausible agent report; the host name is `<agent_instance_id>.example`.
pub fn agent_report(agent_instance_id: &str, cpu: f64) -> Value {
    json!({
        "agent_instance_id": agent_instance_id,
        "agent_version": "0.1.0",
        "reported_at": chrono::Utc::now(),
        "system": {"os_type": "linux", "hostname": format!("{agent_instance_id}.example"),
                   "os_version": "Debian 12", "uptime_seconds": 1000},
        "network": {"ip_address": "10.1.2.3"},
        "hardware": {
            "cpu_usage_percent": cpu, "cpu_cores": 4, "load_average_1m": 0.7,
            "memory_total_bytes": 8_000, "memory_used_bytes": 2_000,
            "disk_total_bytes": 1_000, "disk_used_bytes": 500
        },
        "environment": {
            "PATH": "/usr/bin",
            "DB_PASSWORD": "hunter2",
            "DATABASE_URL": "postgres://app:hunter2@db/app"
        },
        "custom_metrics": {"queue_depth": 12.0},
        "logs": [{"level": "info", "message": "started"}]
    })
}

/// Declares each listed `async fn name(Backend)` as two tests, `sqlite::name` and
/// `postgres::name`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}
