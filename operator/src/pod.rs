//! What every pod the operator runs shares: restricted security settings, default requests,
//! pass-through metadata and scheduling from the spec, secret references, probes and volumes.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, Container, EmptyDirVolumeSource, EnvVar, EnvVarSource, HTTPGetAction,
    PodSecurityContext, PodSpec, Probe, ResourceRequirements, SeccompProfile, SecretKeySelector,
    SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::children::{Component, labels_at};
use crate::crd::{Amounts, MoniHub, Resources};

/// The pod-template annotation carrying the configuration hash.
pub const CONFIG_HASH: &str = "monihub.aione.tech/config-hash";
/// The user the images run as.
pub const RUN_AS_USER: i64 = 10001;

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
    pod_metadata_at(hub, component, &hub.spec.version, extra_annotations)
}

/// [`pod_metadata`] for pods of `version` (the server keeps its running version until the
/// migrations of the spec's version succeed).
pub fn pod_metadata_at(
    hub: &MoniHub,
    component: Component,
    version: &str,
    extra_annotations: BTreeMap<String, String>,
) -> ObjectMeta {
    let mut pod_labels = hub.spec.pod_labels.clone();
    pod_labels.extend(labels_at(hub, component, version));
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

/// An environment variable read from a Secret key at pod start.
pub fn secret_env(name: &str, secret: String, key: &str) -> EnvVar {
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

pub fn http_probe(path: &str, period: i32) -> Probe {
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

/// An empty dir volume (scratch space beside a read-only root file system).
pub fn empty_dir(name: &str) -> Volume {
    Volume {
        name: name.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Volume::default()
    }
}

/// A read-write mount of volume `name` at `path`.
pub fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.to_owned(),
        mount_path: path.to_owned(),
        ..VolumeMount::default()
    }
}
