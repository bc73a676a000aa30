//! The API server's Deployment and Service, as pure functions of the resource and the content hash
//! of its configuration.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapEnvSource, Container, ContainerPort, EnvFromSource, EnvVar,
    EnvVarSource, HTTPGetAction, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SeccompProfile, SecretKeySelector, SecurityContext, Service, ServicePort,
    ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::children::{Component, SERVER_PORT, child_name, keys, labels, owner, selector_labels};
use crate::crd::{Amounts, DatabaseSpec, MoniHub, Resources};

/// The pod-template annotation carrying the configuration hash.
pub const CONFIG_HASH: &str = "monihub.aione.tech/config-hash";
/// The user the images run as.
pub const RUN_AS_USER: i64 = 10001;

/// `monihub/server:<version>` unless the spec names an image.
pub fn server_image(hub: &MoniHub) -> String {
    hub.spec
        .server
        .image
        .clone()
        .unwrap_or_else(|| format!("monihub/server:{}", hub.spec.version))
}

/// Requests and limits from the spec; unset requests get `default_cpu` / `default_memory`.
pub fn resources(
    spec: &Resources,
    default_cpu: &str,
    default_memory: &str,
) -> ResourceRequirements {
    let amounts = |a: Option<&Amounts>| {
        let mut map = BTreeMap::new();
        if let Some(a) = a {
            if let Some(cpu) = &a.cpu {
                map.insert("cpu".to_owned(), Quantity(cpu.clone()));
            }
            if let Some(memory) = &a.memory {
                map.insert("memory".to_owned(), Quantity(memory.clone()));
            }
        }
        map
    };
    let mut requests = amounts(spec.requests.as_ref());
    requests
        .entry("cpu".to_owned())
        .or_insert_with(|| Quantity(default_cpu.to_owned()));
    requests
        .entry("memory".to_owned())
        .or_insert_with(|| Quantity(default_memory.to_owned()));
    let limits = amounts(spec.limits.as_ref());
    ResourceRequirements {
        requests: Some(requests),
        limits: (!limits.is_empty()).then_some(limits),
        ..ResourceRequirements::default()
    }
}

/// The restricted pod and container security settings every workload gets.
pub fn pod_security() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS_USER),
        run_as_group: Some(RUN_AS_USER),
        fs_group: Some(RUN_AS_USER),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_owned(),
            ..SeccompProfile::default()
        }),
        ..PodSecurityContext::default()
    }
}

pub fn container_security(read_only_root: bool) -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(read_only_root),
        run_as_non_root: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_owned()]),
            ..Capabilities::default()
        }),
        ..SecurityContext::default()
    }
}

/// Pod metadata: the spec's labels and annotations, with the operator's labels winning.
pub fn pod_metadata(
    hub: &MoniHub,
    component: Component,
    extra_annotations: BTreeMap<String, String>,
) -> ObjectMeta {
    let mut pod_labels = hub.spec.pod_labels.clone();
    pod_labels.extend(labels(hub, component));
    let mut annotations = hub.spec.pod_annotations.clone();
    annotations.extend(extra_annotations);
    ObjectMeta {
        labels: Some(pod_labels),
        annotations: (!annotations.is_empty()).then_some(annotations),
        ..ObjectMeta::default()
    }
}

/// The scheduling and pull settings the spec passes to every pod.
pub fn pod_spec(hub: &MoniHub, containers: Vec<Container>) -> PodSpec {
    let spec = &hub.spec;
    PodSpec {
        containers,
        security_context: Some(pod_security()),
        automount_service_account_token: Some(false),
        node_selector: (!spec.node_selector.is_empty()).then(|| spec.node_selector.clone()),
        tolerations: (!spec.tolerations.is_empty()).then(|| spec.tolerations.clone()),
        image_pull_secrets: (!spec.image_pull_secrets.is_empty())
            .then(|| spec.image_pull_secrets.clone()),
        ..PodSpec::default()
    }
}

fn secret_env(name: &str, secret: String, key: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret,
                key: key.to_owned(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

/// The server's secret settings, read from Secrets at start: the JWT key and the database URL
/// (the generated credentials, or the user's Secret for an external database), and the first
/// admin's password when the spec names one.
pub fn server_secret_env(hub: &MoniHub) -> Vec<EnvVar> {
    let credentials = child_name(hub, "credentials");
    let mut env = vec![secret_env(
        "MONIHUB_JWT_SECRET",
        credentials.clone(),
        keys::JWT_SECRET,
    )];
    env.push(match &hub.spec.database {
        DatabaseSpec::Managed(_) => {
            secret_env("MONIHUB_DATABASE_URL", credentials, keys::DATABASE_URL)
        }
        DatabaseSpec::External(external) => secret_env(
            "MONIHUB_DATABASE_URL",
            external.url_secret_ref.name.clone(),
            &external.url_secret_ref.key,
        ),
    });
    if let Some(admin) = &hub.spec.admin_password_secret_ref {
        env.push(secret_env(
            "MONIHUB_ADMIN_PASSWORD",
            admin.name.clone(),
            &admin.key,
        ));
    }
    env
}

fn http_probe(path: &str, period: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_owned()),
            port: IntOrString::String("http".to_owned()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(2),
        failure_threshold: Some(3),
        ..Probe::default()
    }
}

/// `<name>-server`: `monihub-server serve` (never `--migrate`: the migration Job does that), with
/// its ConfigMap and Secrets, probes on `/healthz` and `/readyz`, and `config_hash` in the pod
/// template so that pods roll when the configuration changes.
pub fn deployment(hub: &MoniHub, config_hash: &str) -> Deployment {
    let server = &hub.spec.server;
    let container = Container {
        name: "server".to_owned(),
        image: Some(server_image(hub)),
        args: Some(vec!["serve".to_owned()]),
        ports: Some(vec![ContainerPort {
            name: Some("http".to_owned()),
            container_port: i32::from(SERVER_PORT),
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        }]),
        env_from: Some(vec![EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: child_name(hub, "server"),
                optional: Some(false),
            }),
            ..EnvFromSource::default()
        }]),
        env: Some(server_secret_env(hub)),
        liveness_probe: Some(http_probe("/healthz", 10)),
        readiness_probe: Some(http_probe("/readyz", 5)),
        resources: Some(resources(&server.resources, "100m", "128Mi")),
        security_context: Some(container_security(true)),
        ..Container::default()
    };
    Deployment {
        metadata: ObjectMeta {
            name: Some(child_name(hub, "server")),
            namespace: hub.metadata.namespace.clone(),
            labels: Some(labels(hub, Component::Server)),
            owner_references: Some(vec![owner(hub)]),
            ..ObjectMeta::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(server.replicas),
            selector: LabelSelector {
                match_labels: Some(selector_labels(hub, Component::Server)),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(pod_metadata(
                    hub,
                    Component::Server,
                    BTreeMap::from([(CONFIG_HASH.to_owned(), config_hash.to_owned())]),
                )),
                spec: Some(pod_spec(hub, vec![container])),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// `<name>-server`: the Service in front of the server pods.
pub fn service(hub: &MoniHub) -> Service {
    let spec = &hub.spec.server.service;
    Service {
        metadata: ObjectMeta {
            name: Some(child_name(hub, "server")),
            namespace: hub.metadata.namespace.clone(),
            labels: Some(labels(hub, Component::Server)),
            annotations: (!spec.annotations.is_empty()).then(|| spec.annotations.clone()),
            owner_references: Some(vec![owner(hub)]),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            type_: Some(spec.type_.as_str().to_owned()),
            selector: Some(selector_labels(hub, Component::Server)),
            ports: Some(vec![ServicePort {
                name: Some("http".to_owned()),
                port: i32::from(SERVER_PORT),
                target_port: Some(IntOrString::String("http".to_owned())),
                protocol: Some("TCP".to_owned()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::test_hub as hub;

    fn container(deployment: &Deployment) -> &Container {
        &deployment
            .spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .as_ref()
            .unwrap()
            .containers[0]
    }

    fn secret_of(env: &[EnvVar], name: &str) -> (String, String) {
        let var = env.iter().find(|e| e.name == name).unwrap();
        let selector = var
            .value_from
            .as_ref()
            .unwrap()
            .secret_key_ref
            .as_ref()
            .unwrap();
        (selector.name.clone(), selector.key.clone())
    }

    #[test]
    fn the_server_runs_the_version_with_its_secrets() {
        let managed = hub(serde_json::json!({"version": "1.2.3", "database": {"managed": {}}}));
        let d = deployment(&managed, "abc");
        let c = container(&d);
        assert_eq!(c.image.as_deref(), Some("monihub/server:1.2.3"));
        assert_eq!(c.args.as_deref(), Some(&["serve".to_owned()][..]));
        let env = c.env.as_deref().unwrap();
        assert_eq!(
            secret_of(env, "MONIHUB_DATABASE_URL"),
            ("hub-credentials".into(), "database-url".into())
        );
        assert_eq!(
            secret_of(env, "MONIHUB_JWT_SECRET"),
            ("hub-credentials".into(), "jwt-secret".into())
        );
        assert!(env.iter().all(|e| e.value.is_none()), "no secret inline");

        let external = hub(serde_json::json!({"version": "1.2.3",
            "server": {"image": "registry.example/monihub:custom"},
            "adminPasswordSecretRef": {"name": "admin", "key": "password"},
            "database": {"external": {"urlSecretRef": {"name": "db", "key": "url"}}}}));
        let d = deployment(&external, "abc");
        let c = container(&d);
        assert_eq!(c.image.as_deref(), Some("registry.example/monihub:custom"));
        let env = c.env.as_deref().unwrap();
        assert_eq!(
            secret_of(env, "MONIHUB_DATABASE_URL"),
            ("db".into(), "url".into())
        );
        assert_eq!(
            secret_of(env, "MONIHUB_ADMIN_PASSWORD"),
            ("admin".into(), "password".into())
        );
    }

    #[test]
    fn pods_are_locked_down_and_probed() {
        let d = deployment(
            &hub(serde_json::json!({"version": "1.2.3", "database": {"managed": {}}})),
            "abc",
        );
        let pod = d.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
        let security = pod.security_context.as_ref().unwrap();
        assert_eq!(security.run_as_non_root, Some(true));
        assert_eq!(
            security.seccomp_profile.as_ref().unwrap().type_,
            "RuntimeDefault"
        );
        assert_eq!(pod.automount_service_account_token, Some(false));
        let c = &pod.containers[0];
        let cs = c.security_context.as_ref().unwrap();
        assert_eq!(cs.allow_privilege_escalation, Some(false));
        assert_eq!(cs.read_only_root_filesystem, Some(true));
        assert_eq!(
            cs.capabilities.as_ref().unwrap().drop.as_deref(),
            Some(&["ALL".to_owned()][..])
        );
        let requests = c.resources.as_ref().unwrap().requests.as_ref().unwrap();
        assert_eq!(requests["cpu"], Quantity("100m".into()));
        assert_eq!(requests["memory"], Quantity("128Mi".into()));
        let path = |p: &Option<Probe>| p.as_ref()?.http_get.as_ref()?.path.clone();
        assert_eq!(path(&c.liveness_probe).as_deref(), Some("/healthz"));
        assert_eq!(path(&c.readiness_probe).as_deref(), Some("/readyz"));
    }

    #[test]
    fn the_spec_passes_through_and_the_hash_rolls_pods() {
        let h = hub(
            serde_json::json!({"version": "1.2.3", "database": {"managed": {}},
            "server": {"replicas": 3, "resources": {"requests": {"cpu": "250m"}, "limits": {"memory": "1Gi"}},
                       "service": {"type": "LoadBalancer", "annotations": {"lb": "internal"}}},
            "podLabels": {"team": "ops", "app.kubernetes.io/name": "hijack"},
            "podAnnotations": {"scrape": "true"},
            "nodeSelector": {"disk": "ssd"},
            "tolerations": [{"key": "dedicated", "operator": "Exists"}],
            "imagePullSecrets": [{"name": "regcred"}]}),
        );
        let d = deployment(&h, "hash-1");
        let spec = d.spec.as_ref().unwrap();
        assert_eq!(spec.replicas, Some(3));
        let meta = spec.template.metadata.as_ref().unwrap();
        let pod_labels = meta.labels.as_ref().unwrap();
        assert_eq!(pod_labels["team"], "ops");
        assert_eq!(
            pod_labels["app.kubernetes.io/name"], "monihub",
            "operator labels win"
        );
        let annotations = meta.annotations.as_ref().unwrap();
        assert_eq!(annotations["scrape"], "true");
        assert_eq!(annotations[CONFIG_HASH], "hash-1");
        let pod = spec.template.spec.as_ref().unwrap();
        assert_eq!(pod.node_selector.as_ref().unwrap()["disk"], "ssd");
        assert_eq!(
            pod.tolerations.as_ref().unwrap()[0].key.as_deref(),
            Some("dedicated")
        );
        assert_eq!(pod.image_pull_secrets.as_ref().unwrap()[0].name, "regcred");
        let resources = pod.containers[0].resources.as_ref().unwrap();
        assert_eq!(
            resources.requests.as_ref().unwrap()["cpu"],
            Quantity("250m".into())
        );
        assert_eq!(
            resources.limits.as_ref().unwrap()["memory"],
            Quantity("1Gi".into())
        );
        // The selector is a subset of the pod labels and does not carry the version.
        let selector = spec.selector.match_labels.as_ref().unwrap();
        assert!(selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v)));
        assert_ne!(
            deployment(&h, "hash-2").spec.unwrap().template,
            spec.template,
            "a new hash changes the pod template"
        );
        let s = service(&h);
        let ss = s.spec.as_ref().unwrap();
        assert_eq!(ss.type_.as_deref(), Some("LoadBalancer"));
        assert_eq!(ss.selector.as_ref(), Some(selector));
        assert_eq!(s.metadata.annotations.as_ref().unwrap()["lb"], "internal");
    }
}
