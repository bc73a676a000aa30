//! The node agents: a DaemonSet of `monihub-agent` on every node (it tolerates every taint),
//! reporting to the server Service with the token the operator generated, as the node's name.
//! The host's root is mounted read-only so its disks are measured; the host network is used so
//! its network counters are the node's. The agents run no remote task unless the spec lists the
//! types, and run as non-root on a read-only root file system.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec};
use k8s_openapi::api::core::v1::{
    Container, EnvVar, EnvVarSource, HostPathVolumeSource, ObjectFieldSelector, PodTemplateSpec,
    Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::children::{Component, SERVER_PORT, child_name, keys, metadata, selector_labels};
use crate::crd::{AgentSpec, MoniHub};
use crate::pod::{
    container_security, empty_dir, mount, pod_metadata, pod_spec, resources, secret_env,
};

/// `monihub/agent:<version>` unless the spec names an image.
pub fn agent_image(hub: &MoniHub, spec: &AgentSpec) -> String {
    spec.image
        .clone()
        .unwrap_or_else(|| format!("monihub/agent:{}", hub.spec.version))
}

fn plain(name: &str, value: String) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value),
        ..EnvVar::default()
    }
}

/// `<name>-agent`, or `None` when the spec does not enable agents (an existing one is deleted).
pub fn daemonset(hub: &MoniHub) -> Option<DaemonSet> {
    let spec = hub.spec.agent.as_ref().filter(|a| a.enabled)?;
    let allowed: Vec<&str> = spec.allowed_tasks.iter().map(|t| t.as_str()).collect();
    let node_name = EnvVar {
        name: "MONIHUB_AGENT_INSTANCE_ID".to_owned(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: "spec.nodeName".to_owned(),
                ..ObjectFieldSelector::default()
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    };
    let container = Container {
        name: "agent".to_owned(),
        image: Some(agent_image(hub, spec)),
        args: Some(vec!["run".to_owned()]),
        env: Some(vec![
            plain(
                "MONIHUB_AGENT_SERVER_URL",
                format!("http://{}:{SERVER_PORT}", child_name(hub, "server")),
            ),
            secret_env(
                "MONIHUB_AGENT_TOKEN",
                child_name(hub, "credentials"),
                keys::AGENT_TOKEN,
            ),
            node_name,
            plain(
                "MONIHUB_AGENT_STATE_DIR",
                "/var/lib/monihub-agent".to_owned(),
            ),
            plain("MONIHUB_AGENT_TASKS__ALLOWED", allowed.join(",")),
            plain("MONIHUB_AGENT_LABELS__SOURCE", "kubernetes-node".to_owned()),
        ]),
        volume_mounts: Some(vec![
            mount("state", "/var/lib/monihub-agent"),
            mount("tmp", "/tmp"),
            VolumeMount {
                read_only: Some(true),
                mount_propagation: Some("HostToContainer".to_owned()),
                ..mount("host", "/host")
            },
        ]),
        resources: Some(resources(&spec.resources, "10m", "24Mi")),
        security_context: Some(container_security(true)),
        ..Container::default()
    };
    let mut pod = pod_spec(hub, vec![container]);
    pod.host_network = Some(true);
    // The server's Service name must still resolve on the host network.
    pod.dns_policy = Some("ClusterFirstWithHostNet".to_owned());
    let mut tolerations = vec![Toleration {
        operator: Some("Exists".to_owned()),
        ..Toleration::default()
    }];
    tolerations.extend(hub.spec.tolerations.iter().cloned());
    pod.tolerations = Some(tolerations);
    pod.volumes = Some(vec![
        empty_dir("state"),
        empty_dir("tmp"),
        Volume {
            name: "host".to_owned(),
            host_path: Some(HostPathVolumeSource {
                path: "/".to_owned(),
                type_: Some("Directory".to_owned()),
            }),
            ..Volume::default()
        },
    ]);
    Some(DaemonSet {
        metadata: metadata(hub, child_name(hub, "agent"), Component::Agent),
        spec: Some(DaemonSetSpec {
            selector: LabelSelector {
                match_labels: Some(selector_labels(hub, Component::Agent)),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(pod_metadata(hub, Component::Agent, BTreeMap::new())),
                spec: Some(pod),
            },
            ..DaemonSetSpec::default()
        }),
        ..DaemonSet::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::test_hub as hub;

    #[test]
    fn agents_only_when_enabled_and_wired_to_this_server() {
        let off = hub(serde_json::json!({"version": "1.2.3", "database": {"managed": {}}}));
        assert!(daemonset(&off).is_none());
        let on = hub(
            serde_json::json!({"version": "1.2.3", "database": {"managed": {}},
            "agent": {"enabled": true, "allowedTasks": ["shell_exec", "http_request"]}}),
        );
        let ds = daemonset(&on).unwrap();
        assert_eq!(ds.metadata.name.as_deref(), Some("hub-agent"));
        let pod = ds.spec.unwrap().template.spec.unwrap();
        assert_eq!(pod.host_network, Some(true));
        assert!(
            pod.tolerations.unwrap()[0].operator.as_deref() == Some("Exists"),
            "runs on every node"
        );
        let c = &pod.containers[0];
        assert_eq!(c.image.as_deref(), Some("monihub/agent:1.2.3"));
        let env = c.env.as_ref().unwrap();
        let value = |name: &str| env.iter().find(|e| e.name == name).unwrap().clone();
        assert_eq!(
            value("MONIHUB_AGENT_SERVER_URL").value.as_deref(),
            Some("http://hub-server:8080")
        );
        assert_eq!(
            value("MONIHUB_AGENT_TASKS__ALLOWED").value.as_deref(),
            Some("shell_exec,http_request")
        );
        let token = value("MONIHUB_AGENT_TOKEN")
            .value_from
            .unwrap()
            .secret_key_ref
            .unwrap();
        assert_eq!(
            (token.name.as_str(), token.key.as_str()),
            ("hub-credentials", "agent-token")
        );
        assert!(
            env.iter()
                .all(|e| e.name != "MONIHUB_AGENT_TOKEN" || e.value.is_none())
        );
        let host = c
            .volume_mounts
            .iter()
            .flatten()
            .find(|m| m.mount_path == "/host")
            .unwrap();
        assert_eq!(host.read_only, Some(true));
        assert_eq!(
            c.security_context
                .as_ref()
                .unwrap()
                .read_only_root_filesystem,
            Some(true)
        );
    }
}
