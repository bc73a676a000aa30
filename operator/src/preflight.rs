//! Checks before the controller starts, so a broken installation fails at once with a message
//! that says what to fix instead of looping on 403s and 404s: the CRD is installed, and every
//! permission of the shipped RBAC rules is granted (one SelfSubjectAccessReview per
//! resource, verb and namespace).

use anyhow::bail;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use serde::Deserialize;

use crate::crd::MoniHub;

/// The operator's RBAC rules, as the chart ships them.
pub const RBAC_RULES: &str = include_str!("../../helm/monihub-operator/files/rbac-rules.yaml");
/// The leader-election rules (in the operator's own namespace).
pub const LEADER_ELECTION_RULES: &str =
    include_str!("../../helm/monihub-operator/files/leader-election-rules.yaml");

/// One RBAC policy rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
}

/// Parse a rules file.
pub fn rules(yaml: &str) -> anyhow::Result<Vec<Rule>> {
    Ok(serde_saphyr::from_str(yaml)?)
}

/// One verb on one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permission {
    pub group: String,
    pub resource: String,
    pub subresource: Option<String>,
    pub verb: String,
}

/// Every permission in `rules`.
pub fn permissions(rules: &[Rule]) -> Vec<Permission> {
    let mut out = Vec::new();
    for rule in rules {
        for group in &rule.api_groups {
            for resource in &rule.resources {
                let (resource, sub) = match resource.split_once('/') {
                    Some((r, s)) => (r.to_owned(), Some(s.to_owned())),
                    None => (resource.clone(), None),
                };
                for verb in &rule.verbs {
                    out.push(Permission {
                        group: group.clone(),
                        resource: resource.clone(),
                        subresource: sub.clone(),
                        verb: verb.clone(),
                    });
                }
            }
        }
    }
    out
}

/// Fail with one message naming every missing piece. `namespaces` empty means cluster-wide;
/// `lease_namespace` is where leader election runs, if it does.
pub async fn check(
    client: &Client,
    namespaces: &[String],
    lease_namespace: Option<&str>,
) -> anyhow::Result<()> {
    let probe: Api<MoniHub> = match namespaces.first() {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    match probe.list(&ListParams::default().limit(1)).await {
        Err(kube::Error::Api(status)) if status.code == 404 => bail!(
            "the MoniHub CustomResourceDefinition is not installed; apply it with \
             `monihub-operator crd | kubectl apply --server-side -f -` (or install the Helm chart)"
        ),
        // 403 and others are reported by the permission checks below.
        _ => {}
    }
    let reviews: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let mut checks: Vec<(Option<String>, Permission)> = Vec::new();
    let scopes: Vec<Option<String>> = if namespaces.is_empty() {
        vec![None]
    } else {
        namespaces.iter().cloned().map(Some).collect()
    };
    for scope in &scopes {
        for p in permissions(&rules(RBAC_RULES)?) {
            checks.push((scope.clone(), p));
        }
    }
    if let Some(ns) = lease_namespace {
        for p in permissions(&rules(LEADER_ELECTION_RULES)?) {
            checks.push((Some(ns.to_owned()), p));
        }
    }
    let mut missing = Vec::new();
    for (namespace, permission) in checks {
        let Permission {
            group,
            resource,
            subresource,
            verb,
        } = permission;
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    group: Some(group.clone()),
                    resource: Some(resource.clone()),
                    subresource: subresource.clone(),
                    verb: Some(verb.clone()),
                    namespace: namespace.clone(),
                    ..ResourceAttributes::default()
                }),
                ..SelfSubjectAccessReviewSpec::default()
            },
            ..SelfSubjectAccessReview::default()
        };
        let answer = reviews.create(&PostParams::default(), &review).await?;
        if !answer.status.is_some_and(|s| s.allowed) {
            let group = if group.is_empty() { "core" } else { &group };
            let resource = match subresource {
                Some(sub) => format!("{resource}/{sub}"),
                None => resource,
            };
            let scope = namespace.map_or("cluster-wide".to_owned(), |ns| format!("in {ns}"));
            missing.push(format!("{verb} {group}/{resource} {scope}"));
        }
    }
    if !missing.is_empty() {
        bail!(
            "the operator's service account lacks {} permission(s): {}; install the chart's RBAC \
             (helm/monihub-operator/files/rbac-rules.yaml)",
            missing.len(),
            missing.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CRD-missing branch, against a stand-in API server that knows no MoniHub (a real one
    /// cannot lose the CRD while other suites use it).
    #[tokio::test]
    async fn a_missing_crd_is_named() {
        use http_body_util::Full;
        use hyper::body::Bytes;
        use hyper_util::rt::TokioIo;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(|_request| async {
                        let body = r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}"#;
                        let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
                        *response.status_mut() = hyper::StatusCode::NOT_FOUND;
                        response.headers_mut().insert(
                            "content-type",
                            hyper::header::HeaderValue::from_static("application/json"),
                        );
                        Ok::<_, std::convert::Infallible>(response)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        let config = kube::Config::new(format!("http://{address}").parse().unwrap());
        let client = Client::try_from(config).unwrap();
        let err = check(&client, &[], None).await.unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.contains("CustomResourceDefinition is not installed"),
            "{message}"
        );
        assert!(message.contains("monihub-operator crd | kubectl apply"));
        server.abort();
    }

    #[test]
    fn the_shipped_rules_parse_and_cover_every_child_kind() {
        let perms = permissions(&rules(RBAC_RULES).unwrap());
        for kind in crate::desired::Kind::ALL {
            let resource = kind.api_resource();
            for verb in ["get", "list", "watch", "create"] {
                assert!(
                    perms.iter().any(|p| p.group == resource.group
                        && p.resource == resource.plural
                        && p.subresource.is_none()
                        && p.verb == verb),
                    "{verb} {}/{} is missing",
                    resource.group,
                    resource.plural
                );
            }
        }
        assert!(perms.iter().any(|p| p.resource == "monihubs"
            && p.subresource.as_deref() == Some("status")
            && p.verb == "patch"));
        assert!(
            !perms
                .iter()
                .any(|p| p.resource == "secrets" && p.verb == "delete")
        );
        assert!(!rules(LEADER_ELECTION_RULES).unwrap().is_empty());
    }
}
