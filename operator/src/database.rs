//! The managed PostgreSQL: a one-replica StatefulSet with its volume claim template and the
//! headless Service the server's database URL names.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec,
};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, ExecAction, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PodTemplateSpec, Probe, Service, ServicePort, ServiceSpec, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::children::{
    Component, DATABASE, DATABASE_PORT, child_name, keys, metadata, selector_labels,
};
use crate::crd::{ManagedDatabase, MoniHub};
use crate::pod::{
    CONFIG_HASH, container_security, empty_dir, mount, pod_metadata, pod_spec, resources,
    secret_env,
};

/// The official PostgreSQL image's `postgres` user.
pub const POSTGRES_UID: i64 = 999;
/// The claim template's name; claims are `data-<name>-postgres-0`.
pub const DATA_VOLUME: &str = "data";

/// The image, `postgres:16` unless the spec names one.
pub fn postgres_image(managed: &ManagedDatabase) -> String {
    managed
        .image
        .clone()
        .unwrap_or_else(|| "postgres:16".to_owned())
}

fn pg_isready(period: i32) -> Probe {
    Probe {
        exec: Some(ExecAction {
            command: Some(
                [
                    "pg_isready",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    DATABASE,
                    "-d",
                    DATABASE,
                ]
                .map(str::to_owned)
                .to_vec(),
            ),
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(5),
        failure_threshold: Some(6),
        ..Probe::default()
    }
}

/// `<name>-postgres`: PostgreSQL as the image's `postgres` user on a read-only root file system
/// (socket and temporary directories are empty dirs), its data on the claim, the password from
/// the credentials Secret. The claim outlives the StatefulSet unless `retainOnDelete` is false.
pub fn statefulset(hub: &MoniHub, managed: &ManagedDatabase, secret_hash: &str) -> StatefulSet {
    let name = child_name(hub, "postgres");
    let plain = |name: &str, value: &str| EnvVar {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        ..EnvVar::default()
    };
    let container = Container {
        name: "postgres".to_owned(),
        image: Some(postgres_image(managed)),
        ports: Some(vec![ContainerPort {
            name: Some("postgres".to_owned()),
            container_port: i32::from(DATABASE_PORT),
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        }]),
        env: Some(vec![
            plain("POSTGRES_USER", DATABASE),
            plain("POSTGRES_DB", DATABASE),
            secret_env(
                "POSTGRES_PASSWORD",
                child_name(hub, "credentials"),
                keys::DATABASE_PASSWORD,
            ),
            plain("PGDATA", "/var/lib/postgresql/data/pgdata"),
        ]),
        volume_mounts: Some(vec![
            mount(DATA_VOLUME, "/var/lib/postgresql/data"),
            mount("run", "/var/run/postgresql"),
            mount("tmp", "/tmp"),
        ]),
        readiness_probe: Some(pg_isready(5)),
        liveness_probe: Some(Probe {
            initial_delay_seconds: Some(30),
            ..pg_isready(10)
        }),
        resources: Some(resources(&managed.resources, "100m", "256Mi")),
        security_context: Some(container_security(true)),
        ..Container::default()
    };
    let mut pod = pod_spec(hub, vec![container]);
    if let Some(security) = pod.security_context.as_mut() {
        security.run_as_user = Some(POSTGRES_UID);
        security.run_as_group = Some(POSTGRES_UID);
        security.fs_group = Some(POSTGRES_UID);
    }
    pod.volumes = Some(vec![empty_dir("run"), empty_dir("tmp")]);
    let storage = &managed.storage;
    let policy = if storage.retain_on_delete {
        "Retain"
    } else {
        "Delete"
    };
    StatefulSet {
        metadata: metadata(hub, name.clone(), Component::Database),
        spec: Some(StatefulSetSpec {
            replicas: Some(1),
            service_name: Some(name),
            selector: LabelSelector {
                match_labels: Some(selector_labels(hub, Component::Database)),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(pod_metadata(
                    hub,
                    Component::Database,
                    BTreeMap::from([(CONFIG_HASH.to_owned(), secret_hash.to_owned())]),
                )),
                spec: Some(pod),
            },
            volume_claim_templates: Some(vec![PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some(DATA_VOLUME.to_owned()),
                    labels: Some(selector_labels(hub, Component::Database)),
                    ..ObjectMeta::default()
                },
                spec: Some(PersistentVolumeClaimSpec {
                    access_modes: Some(vec!["ReadWriteOnce".to_owned()]),
                    storage_class_name: storage.storage_class_name.clone(),
                    resources: Some(VolumeResourceRequirements {
                        requests: Some(BTreeMap::from([(
                            "storage".to_owned(),
                            Quantity(storage.size.clone()),
                        )])),
                        ..VolumeResourceRequirements::default()
                    }),
                    ..PersistentVolumeClaimSpec::default()
                }),
                ..PersistentVolumeClaim::default()
            }]),
            persistent_volume_claim_retention_policy: Some(
                StatefulSetPersistentVolumeClaimRetentionPolicy {
                    when_deleted: Some(policy.to_owned()),
                    when_scaled: Some("Retain".to_owned()),
                },
            ),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

/// `<name>-postgres`: the headless Service giving the database pod a stable name.
pub fn service(hub: &MoniHub) -> Service {
    Service {
        metadata: metadata(hub, child_name(hub, "postgres"), Component::Database),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".to_owned()),
            selector: Some(selector_labels(hub, Component::Database)),
            ports: Some(vec![ServicePort {
                name: Some("postgres".to_owned()),
                port: i32::from(DATABASE_PORT),
                target_port: Some(IntOrString::String("postgres".to_owned())),
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
    use crate::crd::DatabaseSpec;

    fn managed(hub: &MoniHub) -> &ManagedDatabase {
        match &hub.spec.database {
            DatabaseSpec::Managed(m) => m,
            DatabaseSpec::External(_) => unreachable!(),
        }
    }

    #[test]
    fn the_claim_follows_the_storage_spec() {
        let h = hub(
            serde_json::json!({"version": "1.2.3", "database": {"managed": {
            "storage": {"size": "20Gi", "storageClassName": "fast"}}}}),
        );
        let s = statefulset(&h, managed(&h), "x");
        let spec = s.spec.unwrap();
        let claim = &spec.volume_claim_templates.unwrap()[0];
        let claim_spec = claim.spec.as_ref().unwrap();
        assert_eq!(claim_spec.storage_class_name.as_deref(), Some("fast"));
        assert_eq!(
            claim_spec
                .resources
                .as_ref()
                .unwrap()
                .requests
                .as_ref()
                .unwrap()["storage"],
            Quantity("20Gi".into())
        );
        let policy = spec.persistent_volume_claim_retention_policy.unwrap();
        assert_eq!(policy.when_deleted.as_deref(), Some("Retain"), "default");
        assert_eq!(spec.service_name.as_deref(), Some("hub-postgres"));

        let h = hub(
            serde_json::json!({"version": "1.2.3", "database": {"managed": {
            "storage": {"retainOnDelete": false}}}}),
        );
        let spec = statefulset(&h, managed(&h), "x").spec.unwrap();
        assert_eq!(
            spec.persistent_volume_claim_retention_policy
                .unwrap()
                .when_deleted
                .as_deref(),
            Some("Delete")
        );
    }

    #[test]
    fn postgres_runs_as_its_user_with_the_generated_password() {
        let h = hub(serde_json::json!({"version": "1.2.3", "database": {"managed": {}}}));
        let s = statefulset(&h, managed(&h), "x");
        let pod = s.spec.unwrap().template.spec.unwrap();
        let security = pod.security_context.unwrap();
        assert_eq!(security.run_as_user, Some(POSTGRES_UID));
        assert_eq!(security.run_as_non_root, Some(true));
        let c = &pod.containers[0];
        assert_eq!(c.image.as_deref(), Some("postgres:16"));
        let password = c
            .env
            .iter()
            .flatten()
            .find(|e| e.name == "POSTGRES_PASSWORD")
            .unwrap();
        assert!(password.value.is_none());
        let selector = password
            .value_from
            .as_ref()
            .unwrap()
            .secret_key_ref
            .as_ref()
            .unwrap();
        assert_eq!(selector.name, "hub-credentials");
        assert_eq!(
            service(&h).spec.unwrap().cluster_ip.as_deref(),
            Some("None")
        );
    }
}
