//! What reaches and protects the workloads: the optional Ingress and the PodDisruptionBudgets
//! of Deployments that run more than one pod.

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::children::{Component, child_name, metadata, selector_labels};
use crate::crd::MoniHub;

/// `<name>`: the host routed to the console Service, with TLS when a Secret is named. `None`
/// when the spec has no enabled ingress (the reconciler then deletes an existing one).
pub fn ingress(hub: &MoniHub) -> Option<Ingress> {
    let spec = hub.spec.ingress.as_ref().filter(|i| i.enabled)?;
    let host = spec.host.clone()?;
    let name = hub.metadata.name.clone().unwrap_or_default();
    Some(Ingress {
        metadata: ObjectMeta {
            annotations: (!spec.annotations.is_empty()).then(|| spec.annotations.clone()),
            ..metadata(hub, name, Component::Frontend)
        },
        spec: Some(IngressSpec {
            ingress_class_name: spec.class_name.clone(),
            tls: spec.tls_secret_name.as_ref().map(|secret| {
                vec![IngressTLS {
                    hosts: Some(vec![host.clone()]),
                    secret_name: Some(secret.clone()),
                }]
            }),
            rules: Some(vec![IngressRule {
                host: Some(host),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some("/".to_owned()),
                        path_type: "Prefix".to_owned(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: child_name(hub, "frontend"),
                                port: Some(ServiceBackendPort {
                                    name: Some("http".to_owned()),
                                    ..ServiceBackendPort::default()
                                }),
                            }),
                            ..IngressBackend::default()
                        },
                    }],
                }),
            }]),
            ..IngressSpec::default()
        }),
        ..Ingress::default()
    })
}

/// The URL users open: the ingress host, else the console Service's cluster address.
pub fn url(hub: &MoniHub) -> String {
    match hub
        .spec
        .ingress
        .as_ref()
        .filter(|i| i.enabled)
        .and_then(|i| Some((i.host.as_ref()?, i.tls_secret_name.is_some())))
    {
        Some((host, true)) => format!("https://{host}"),
        Some((host, false)) => format!("http://{host}"),
        None => format!(
            "http://{}.{}.svc",
            child_name(hub, "frontend"),
            hub.metadata.namespace.as_deref().unwrap_or("default")
        ),
    }
}

/// `<name>-<component>`: keeps one pod of a multi-replica Deployment up through voluntary
/// disruptions (node drains). `None` with a single replica, where a budget would block drains.
pub fn disruption_budget(
    hub: &MoniHub,
    component: Component,
    replicas: i32,
) -> Option<PodDisruptionBudget> {
    (replicas > 1).then(|| PodDisruptionBudget {
        metadata: metadata(hub, child_name(hub, component.as_str()), component),
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(selector_labels(hub, component)),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::test_hub as hub;

    #[test]
    fn the_ingress_routes_the_host_to_the_console() {
        let h = hub(
            serde_json::json!({"version": "1.2.3", "database": {"managed": {}},
            "ingress": {"enabled": true, "host": "mh.example.com", "className": "nginx",
                        "tlsSecretName": "tls"}}),
        );
        let i = ingress(&h).unwrap();
        let spec = i.spec.unwrap();
        assert_eq!(spec.ingress_class_name.as_deref(), Some("nginx"));
        assert_eq!(spec.tls.unwrap()[0].secret_name.as_deref(), Some("tls"));
        let rule = &spec.rules.unwrap()[0];
        assert_eq!(rule.host.as_deref(), Some("mh.example.com"));
        let backend = &rule.http.as_ref().unwrap().paths[0].backend;
        assert_eq!(backend.service.as_ref().unwrap().name, "hub-frontend");
        assert_eq!(url(&h), "https://mh.example.com");

        let disabled = hub(
            serde_json::json!({"version": "1.2.3", "database": {"managed": {}},
            "ingress": {"enabled": false, "host": "mh.example.com"}}),
        );
        assert!(ingress(&disabled).is_none());
        assert_eq!(url(&disabled), "http://hub-frontend.ops.svc");
    }

    #[test]
    fn budgets_only_for_more_than_one_replica() {
        let h = hub(serde_json::json!({"version": "1.2.3", "database": {"managed": {}}}));
        assert!(disruption_budget(&h, Component::Server, 1).is_none());
        let pdb = disruption_budget(&h, Component::Server, 2).unwrap();
        assert_eq!(pdb.metadata.name.as_deref(), Some("hub-server"));
        let spec = pdb.spec.unwrap();
        assert_eq!(spec.min_available, Some(IntOrString::Int(1)));
        assert_eq!(
            spec.selector.unwrap().match_labels.unwrap()["app.kubernetes.io/component"],
            "server"
        );
    }
}
