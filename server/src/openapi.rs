//! The OpenAPI document: paths are collected from the routes by utoipa-actix-web; this adds the
//! title, tags, the bearer security scheme, and the error answers every operation shares (so
//! generated clients and fuzzers see exactly what the server sends).

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa_actix_web::AppExt;

use crate::error::PROBLEM_JSON;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MoniHub API",
        description = "Fleet monitoring and remote control: projects, applications, instances, tasks.",
        license(name = "Apache-2.0"),
    ),
    modifiers(&BearerAuth),
    // Types only query parameters refer to; utoipa collects the others from the routes.
    components(schemas(crate::logs::dto::LogSource)),
    tags(
        (name = "auth", description = "Sign-in, sign-out and the current user"),
        (name = "users", description = "Users and roles (admin)"),
        (name = "projects", description = "Projects"),
        (name = "applications", description = "Applications and agent tokens"),
        (name = "instances", description = "Instances, their state, history and metrics"),
        (name = "events", description = "Live events over a WebSocket"),
        (name = "tasks", description = "Remote tasks and their per-instance records"),
        (name = "logs", description = "Agent and server log lines, and their CSV export"),
        (name = "audit", description = "The audit trail (admin)"),
        (name = "agent", description = "The agent API (agent token)"),
        (name = "probes", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "agent_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mhat_…")
                    .description(Some("An application's agent token (agent API only)"))
                    .build(),
            ),
        );
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
        .configure(crate::routes::documented)
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item) {
            complete_error_responses(operation);
        }
    }
    doc
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Error answers are `application/problem+json`, and every operation documents the rejections
/// the shared plumbing can give it: unreadable input (400), a body that is too slow (408) or too
/// large (413), invalid fields or NUL characters (422).
fn complete_error_responses(operation: &mut Operation) {
    for (status, response) in &mut operation.responses.responses {
        let RefOr::T(response) = response else {
            continue;
        };
        if response.description.is_empty() {
            // A description is required; the status's reason phrase is the honest default.
            response.description = status
                .parse::<u16>()
                .ok()
                .and_then(|code| actix_web::http::StatusCode::from_u16(code).ok())
                .and_then(|code| code.canonical_reason())
                .unwrap_or("Response")
                .to_owned();
        }
        if status.starts_with('4') || status.starts_with('5') {
            as_problem(response);
        }
    }
    let has_body = operation.request_body.is_some();
    let has_parameters = operation
        .parameters
        .as_ref()
        .is_some_and(|parameters| !parameters.is_empty());
    let mut add = |status: &str, description: &str| {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(problem_response(description)));
    };
    if has_body || has_parameters {
        add(
            "400",
            "The body, a path or a query parameter cannot be read",
        );
        add(
            "422",
            "Invalid fields (including NUL characters in any string)",
        );
    }
    if has_body {
        add("408", "The body did not arrive in time");
        add("413", "The body is too large");
    }
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// Moves a JSON body description to the problem media type.
fn as_problem(response: &mut Response) {
    if let Some(content) = response.content.shift_remove("application/json") {
        response.content.insert(PROBLEM_JSON.to_owned(), content);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(super::document()).unwrap()
    }

    #[test]
    fn every_error_answer_is_a_problem_document() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for (status, response) in operation["responses"].as_object().unwrap() {
                    assert!(
                        response["description"]
                            .as_str()
                            .is_some_and(|d| !d.is_empty()),
                        "{method} {path} {status}: no description"
                    );
                    if status.starts_with('4') || status.starts_with('5') {
                        let content = response["content"].as_object().unwrap();
                        let types: Vec<&String> = content.keys().collect();
                        assert_eq!(
                            types,
                            vec!["application/problem+json"],
                            "{method} {path} {status}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn operations_document_the_shared_rejections() {
        let doc = document();
        let create = &doc["paths"]["/api/v1/projects"]["post"]["responses"];
        for status in ["400", "408", "413", "422"] {
            assert!(create[status].is_object(), "POST /projects lacks {status}");
        }
        let list = &doc["paths"]["/api/v1/audit"]["get"];
        assert!(list["responses"]["400"].is_object());
        let page = list["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "page")
            .unwrap();
        assert_eq!(page["schema"]["maximum"], 1_000_000_000);
        let code = &doc["components"]["schemas"]["CreateProject"]["properties"]["code"];
        assert_eq!(code["maxLength"], 64);
        assert_eq!(code["pattern"], "^[a-z0-9][a-z0-9_-]*$");
    }

    #[test]
    fn every_reference_resolves() {
        fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, v) in map {
                        if key == "$ref" {
                            if let Some(r) = v.as_str() {
                                out.push(r.to_owned());
                            }
                        } else {
                            refs(v, out);
                        }
                    }
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let doc = serde_json::to_value(document()).unwrap();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        for reference in found {
            let pointer = reference.trim_start_matches('#');
            assert!(
                doc.pointer(pointer).is_some(),
                "{reference} is referenced but not defined"
            );
        }
    }
}
