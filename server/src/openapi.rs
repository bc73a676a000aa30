//! The OpenAPI document: paths are collected from the routes by utoipa-actix-web; this adds the
//! title, tags and the bearer security scheme.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MoniHub API",
        description = "Fleet monitoring and remote control: projects, applications, instances, tasks.",
        license(name = "Apache-2.0"),
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-in, sign-out and the current user"),
        (name = "users", description = "Users and roles (admin)"),
        (name = "projects", description = "Projects"),
        (name = "applications", description = "Applications and agent tokens"),
        (name = "audit", description = "The audit trail (admin)"),
        (name = "probes", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The complete document for every route the server serves.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::startup::routes)
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
