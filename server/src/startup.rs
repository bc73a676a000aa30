//! Building and running the HTTP server: shared state, middleware, routes, docs and static files.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::agent::ReportWriter;
use crate::agent::tokens::AgentTokens;
use crate::auth::{Hasher, JwtKeys};
use crate::config::Settings;
use crate::events::EventHub;
use crate::http::{json_config, not_found, path_config, query_config, request_context};
use crate::state::AppState;
use crate::tasks::notifier::TaskNotifier;
use crate::telemetry::Metrics;
use crate::{health, housekeeping, instances, openapi, routes, tasks};

/// A bound, not yet running server.
pub struct Server {
    port: u16,
    server: actix_web::dev::Server,
}

impl Server {
    /// Binds `settings.bind` (port 0 picks a free port) and prepares the server.
    pub fn build(
        settings: Settings,
        db: DatabaseConnection,
        jwt_secret: &SecretString,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("failed to bind {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let static_dir = settings.static_dir.clone();
        let headers = SecurityHeaders::from_settings(&settings);
        let metrics = Metrics::default();
        let hasher = Hasher::new(
            settings.password_hash_slots(),
            settings.password_hash_wait,
            metrics.hasher(),
        );
        housekeeping::spawn(db.clone(), settings.throttle_policy(), settings.retention());
        let events = EventHub::new(db.clone());
        events.spawn_listener();
        instances::presence::spawn(db.clone(), settings.offline_after, events.clone());
        let task_notifier = Arc::new(TaskNotifier::default());
        tasks::notifier::spawn_listener(&db, task_notifier.clone());
        tasks::sweep::spawn(db.clone(), task_notifier.clone(), events.clone());
        let reports = ReportWriter::start(
            db.clone(),
            settings.report_queue_capacity,
            settings.report_batch_max,
            settings.report_writers,
            events.clone(),
        );
        let agent_tokens = Arc::new(AgentTokens::for_backend(db.get_database_backend()));
        crate::agent::tokens::spawn_listener(&db, agent_tokens.clone());
        let state = web::Data::new(AppState {
            db,
            jwt: JwtKeys::new(jwt_secret)?,
            hasher,
            settings: Arc::new(settings),
            metrics,
            reports,
            tasks: task_notifier,
            events,
            instance_totals: Default::default(),
            agent_tokens,
        });
        let doc = openapi::document();
        let server = HttpServer::new(move || {
            let swagger = SwaggerUi::new("/swagger-ui/{_:.*}")
                .url("/api/v1/openapi.json", doc.clone())
                .config(utoipa_swagger_ui::Config::default().validator_url("none"));
            let app = App::new()
                .wrap(headers.middleware())
                .wrap(from_fn(request_context))
                .app_data(state.clone())
                .app_data(json_config())
                .app_data(query_config())
                .app_data(path_config())
                .service(swagger)
                .service(web::redirect("/swagger-ui", "/swagger-ui/"))
                .into_utoipa_app()
                .configure(routes::documented)
                .into_app()
                .service(health::probe_options)
                .service(web::scope("/api").default_service(web::to(not_found)));
            match &static_dir {
                Some(dir) => app.service(static_files(dir.clone())),
                None => app.default_service(web::to(not_found)),
            }
        })
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
        Ok(Self { port, server })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM (graceful) or an I/O error.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Headers that keep browsers from sniffing types, framing the console, leaking URLs, loading
/// foreign code, or (when configured) ever using plain HTTP.
#[derive(Debug, Clone)]
struct SecurityHeaders {
    content_security_policy: Option<String>,
    strict_transport_security: Option<String>,
}

impl SecurityHeaders {
    fn from_settings(settings: &Settings) -> Self {
        let csp = settings.content_security_policy.trim();
        Self {
            content_security_policy: (!csp.is_empty()).then(|| csp.to_owned()),
            strict_transport_security: settings
                .hsts_max_age
                .map(|age| format!("max-age={}; includeSubDomains", age.as_secs())),
        }
    }

    fn middleware(&self) -> DefaultHeaders {
        let mut headers = DefaultHeaders::new()
            .add(("X-Content-Type-Options", "nosniff"))
            .add(("X-Frame-Options", "DENY"))
            .add(("Referrer-Policy", "no-referrer"));
        if let Some(csp) = &self.content_security_policy {
            headers = headers.add(("Content-Security-Policy", csp.as_str()));
        }
        if let Some(hsts) = &self.strict_transport_security {
            headers = headers.add(("Strict-Transport-Security", hsts.as_str()));
        }
        headers
    }
}

/// The built console (embedded mode): files as they are, and `index.html` for client-side routes.
fn static_files(dir: PathBuf) -> Files {
    let index = dir.join("index.html");
    Files::new("/", dir)
        .index_file("index.html")
        .default_handler(fn_service(move |req: ServiceRequest| {
            let index = index.clone();
            async move {
                let (req, _) = req.into_parts();
                let file = NamedFile::open_async(&index).await?;
                let res = file.into_response(&req);
                Ok::<_, actix_web::Error>(ServiceResponse::new(req, res))
            }
        }))
}
