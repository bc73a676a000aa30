//! The API server's Deployment and Service, as pure functions of the resource and the content hash
//! of its configuration.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    ConfigMapEnvSource, Container, ContainerPort, EnvFromSource, EnvVar, PodTemplateSpec, Service,
    ServicePort, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::children::{
    Component, Release, SERVER_PORT, child_name, keys, labels_at, metadata, selector_labels,
};
use crate::crd::{DatabaseSpec, MoniHub};
use crate::pod::{
    CONFIG_HASH, container_security, http_probe, pod_metadata_at, pod_spec, resources, secret_env,
};

/// `monihub/server:<version>` unless the spec names an image.
pub fn server_image(hub: &MoniHub) -> String {
    hub.spec
        .server
        .image
        .clone()
        .unwrap_or_else(|| format!("monihub/server:{}", hub.spec.version))
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
    if crate::children::agents_enabled(hub) {
        env.push(secret_env(
            "MONIHUB_CLUSTER_AGENT_TOKEN",
            child_name(hub, "credentials"),
            keys::AGENT_TOKEN,
        ));
    }
    if let Some(admin) = &hub.spec.admin_password_secret_ref {
        env.push(secret_env(
            "MONIHUB_ADMIN_PASSWORD",
            admin.name.clone(),
            &admin.key,
        ));
    }
    env
}

/// The server's configuration as a container sees it: the ConfigMap's settings and the secret
/// references. The migration Job runs with exactly the same.
pub fn server_env(hub: &MoniHub) -> (Vec<EnvFromSource>, Vec<EnvVar>) {
    let from = vec![EnvFromSource {
        config_map_ref: Some(ConfigMapEnvSource {
            name: child_name(hub, "server"),
            optional: Some(false),
        }),
        ..EnvFromSource::default()
    }];
    (from, server_secret_env(hub))
}

/// `<name>-server`: `monihub-server serve` (never `--migrate`: the migration Job does that) of
/// `release`, which is the spec's version only once its migrations have succeeded; its
/// ConfigMap and Secrets, probes on `/healthz` and `/readyz`, and `config_hash` in the pod
/// template so that pods roll when the configuration changes.
pub fn deployment(hub: &MoniHub, release: &Release, config_hash: &str) -> Deployment {
    let server = &hub.spec.server;
    let (env_from, env) = server_env(hub);
    let container = Container {
        name: "server".to_owned(),
        image: Some(release.image.clone()),
        args: Some(vec!["serve".to_owned()]),
        ports: Some(vec![ContainerPort {
            name: Some("http".to_owned()),
            container_port: i32::from(SERVER_PORT),
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        }]),
        env_from: Some(env_from),
        env: Some(env),
        liveness_probe: Some(http_probe("/healthz", 10)),
        readiness_probe: Some(http_probe("/readyz", 5)),
        resources: Some(resources(&server.resources, "100m", "128Mi")),
        security_context: Some(container_security(true)),
        ..Container::default()
    };
    let mut meta = metadata(hub, child_name(hub, "server"), Component::Server);
    meta.labels = Some(labels_at(hub, Component::Server, &release.version));
    Deployment {
        metadata: meta,
        spec: Some(DeploymentSpec {
            replicas: Some(server.replicas),
            selector: LabelSelector {
                match_labels: Some(selector_labels(hub, Component::Server)),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(pod_metadata_at(
                    hub,
                    Component::Server,
                    &release.version,
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
            annotations: (!spec.annotations.is_empty()).then(|| spec.annotations.clone()),
            ..metadata(hub, child_name(hub, "server"), Component::Server)
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
    use k8s_openapi::api::core::v1::Probe;
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

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
        let d = deployment(&managed, &Release::target(&managed), "abc");
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
        let d = deployment(&external, &Release::target(&external), "abc");
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
        let h = hub(serde_json::json!({"version": "1.2.3", "database": {"managed": {}}}));
        let d = deployment(&h, &Release::target(&h), "abc");
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
        let d = deployment(&h, &Release::target(&h), "hash-1");
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
            deployment(&h, &Release::target(&h), "hash-2")
                .spec
                .unwrap()
                .template,
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
