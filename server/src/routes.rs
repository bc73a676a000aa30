//! The route table: every documented route, used by the server and by the OpenAPI document.

use actix_web::web;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::not_found;
use crate::{
    agent, applications, audit, auth, events, fleet, health, instances, logs, projects, tasks,
    users,
};

/// Every documented route: probes at the root, the API under `/api/v1`.
pub fn documented(cfg: &mut ServiceConfig) {
    cfg.configure(health::configure).service(
        scope("/api/v1")
            .configure(auth::routes::configure)
            .configure(users::routes::configure)
            .configure(projects::routes::configure)
            .configure(applications::routes::configure)
            .configure(instances::routes::configure)
            .configure(fleet::routes::configure)
            .configure(logs::routes::configure)
            .configure(tasks::routes::configure)
            .configure(tasks::agent_routes::configure)
            .configure(events::routes::configure)
            .configure(audit::routes::configure)
            .configure(agent::routes::configure)
            .default_service(web::to(not_found)),
    );
}
