//! `build`: every child of a `MoniHub` as a pure function of the resource and of what the
//! reconciler decided (the generated secrets, which server release may run, which migration
//! attempt should exist). The reconciler applies the result stage by stage; `render` prints it;
//! unit and snapshot tests call it directly.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Resource;
use kube::api::ApiResource;
use serde::Serialize;
use serde_json::Value;

use crate::children::{
    Component, GeneratedSecrets, Release, child_name, config_hash, content_hash, credentials,
    server_config,
};
use crate::crd::{DatabaseSpec, MoniHub};
use crate::{database, frontend, migration, networking, server};

/// When a child is applied: each stage waits for what the one before it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Secrets and ConfigMaps.
    Config,
    /// The managed PostgreSQL.
    Database,
    /// The migration Job (only once the database is ready).
    Migration,
    /// The server Deployment and Service.
    Server,
    /// The console Deployment and Service.
    Frontend,
    /// Ingress and disruption budgets.
    Networking,
    /// The node agents (once the server that sets up their application runs).
    Agents,
}

/// Kinds of child the operator manages (PersistentVolumeClaims are the StatefulSet's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Secret,
    ConfigMap,
    Service,
    StatefulSet,
    Deployment,
    DaemonSet,
    Job,
    Ingress,
    PodDisruptionBudget,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Secret,
        Kind::ConfigMap,
        Kind::Service,
        Kind::StatefulSet,
        Kind::Deployment,
        Kind::DaemonSet,
        Kind::Job,
        Kind::Ingress,
        Kind::PodDisruptionBudget,
    ];

    /// The API resource, for dynamic requests.
    pub fn api_resource(self) -> ApiResource {
        match self {
            Kind::Secret => ApiResource::erase::<Secret>(&()),
            Kind::ConfigMap => ApiResource::erase::<ConfigMap>(&()),
            Kind::Service => ApiResource::erase::<Service>(&()),
            Kind::StatefulSet => ApiResource::erase::<StatefulSet>(&()),
            Kind::Deployment => ApiResource::erase::<Deployment>(&()),
            Kind::DaemonSet => ApiResource::erase::<DaemonSet>(&()),
            Kind::Job => ApiResource::erase::<Job>(&()),
            Kind::Ingress => ApiResource::erase::<Ingress>(&()),
            Kind::PodDisruptionBudget => ApiResource::erase::<PodDisruptionBudget>(&()),
        }
    }

    fn of<K: Resource<DynamicType = ()>>() -> Self {
        match K::kind(&()).as_ref() {
            "Secret" => Kind::Secret,
            "ConfigMap" => Kind::ConfigMap,
            "Service" => Kind::Service,
            "StatefulSet" => Kind::StatefulSet,
            "Deployment" => Kind::Deployment,
            "DaemonSet" => Kind::DaemonSet,
            "Job" => Kind::Job,
            "Ingress" => Kind::Ingress,
            "PodDisruptionBudget" => Kind::PodDisruptionBudget,
            other => unreachable!("the operator never builds a {other}"),
        }
    }
}

/// One child, ready to apply: its kind, name, stage and full manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub kind: Kind,
    pub name: String,
    pub stage: Stage,
    pub object: Value,
}

impl Manifest {
    fn new<K>(stage: Stage, object: &K) -> Self
    where
        K: Resource<DynamicType = ()> + Serialize,
    {
        Self {
            kind: Kind::of::<K>(),
            name: object.meta().name.clone().unwrap_or_default(),
            stage,
            object: serde_json::to_value(object).expect("Kubernetes objects serialise"),
        }
    }
}

/// What the reconciler decided before building.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// The credentials, generated once (or adopted).
    pub secrets: GeneratedSecrets,
    /// The server release that may run: the spec's once its migrations succeeded, else the
    /// one running now; `None` before the first migration succeeded (no server yet).
    pub serving: Option<Release>,
    /// The migration attempt that should exist, if migrations are pending.
    pub migration_attempt: Option<u32>,
}

/// Every child the resource asks for, in apply order. Children the spec dropped (a disabled
/// ingress, budgets of a single replica) are absent; [`droppable`] names what to delete then.
pub fn build(hub: &MoniHub, inputs: &Inputs) -> Vec<Manifest> {
    let secret = credentials(hub, &inputs.secrets);
    let config = server_config(hub);
    let site = frontend::nginx_config(hub);
    let mut out = vec![
        Manifest::new(Stage::Config, &secret),
        Manifest::new(Stage::Config, &config),
        Manifest::new(Stage::Config, &site),
    ];
    if let DatabaseSpec::Managed(managed) = &hub.spec.database {
        let password = secret
            .data
            .as_ref()
            .and_then(|d| d.get(crate::children::keys::DATABASE_PASSWORD))
            .map(|v| v.0.as_slice())
            .unwrap_or_default();
        out.push(Manifest::new(
            Stage::Database,
            &database::statefulset(hub, managed, &content_hash([password])),
        ));
        out.push(Manifest::new(Stage::Database, &database::service(hub)));
    }
    if let Some(attempt) = inputs.migration_attempt {
        let hash = migration::migration_hash(hub);
        out.push(Manifest::new(
            Stage::Migration,
            &migration::job(hub, &hash, attempt),
        ));
    }
    if let Some(release) = &inputs.serving {
        out.push(Manifest::new(
            Stage::Server,
            &server::deployment(hub, release, &config_hash(&config, &secret)),
        ));
    }
    out.push(Manifest::new(Stage::Server, &server::service(hub)));
    let site_hash = content_hash(
        site.data
            .iter()
            .flatten()
            .flat_map(|(k, v)| [k.as_bytes(), v.as_bytes()]),
    );
    out.push(Manifest::new(
        Stage::Frontend,
        &frontend::deployment(hub, &site_hash),
    ));
    out.push(Manifest::new(Stage::Frontend, &frontend::service(hub)));
    if let Some(ingress) = networking::ingress(hub) {
        out.push(Manifest::new(Stage::Networking, &ingress));
    }
    for (component, replicas) in [
        (Component::Server, hub.spec.server.replicas),
        (Component::Frontend, hub.spec.frontend.replicas),
    ] {
        if let Some(pdb) = networking::disruption_budget(hub, component, replicas) {
            out.push(Manifest::new(Stage::Networking, &pdb));
        }
    }
    if let Some(agents) = crate::agent::daemonset(hub) {
        out.push(Manifest::new(Stage::Agents, &agents));
    }
    out
}

/// Children that come and go with the spec: when [`build`] leaves one out, an existing one is
/// deleted (if this resource owns it).
pub fn droppable(hub: &MoniHub) -> Vec<(Kind, String)> {
    vec![
        (Kind::Ingress, hub.metadata.name.clone().unwrap_or_default()),
        (Kind::PodDisruptionBudget, child_name(hub, "server")),
        (Kind::PodDisruptionBudget, child_name(hub, "frontend")),
        (Kind::DaemonSet, child_name(hub, "agent")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::MANAGER;

    pub(crate) fn example(name: &str) -> MoniHub {
        let path = format!("{}/../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut hub: MoniHub = serde_saphyr::from_str(&text).unwrap();
        hub.metadata.namespace = Some("ops".into());
        hub.metadata.uid = Some("0000-1111".into());
        hub
    }

    fn inputs(hub: &MoniHub) -> Inputs {
        Inputs {
            secrets: GeneratedSecrets {
                database_password: "db-password-for-snapshots".into(),
                jwt_secret: "jwt-secret-for-snapshots".into(),
                agent_token: "mhat_agent-token-for-snapshots".into(),
            },
            serving: Some(Release::target(hub)),
            migration_attempt: Some(1),
        }
    }

    fn yaml(manifests: &[Manifest]) -> String {
        manifests
            .iter()
            .map(|m| serde_saphyr::to_string(&m.object).unwrap())
            .collect::<Vec<_>>()
            .join("---\n")
    }

    #[test]
    fn every_child_is_labelled_and_owned() {
        for name in ["minimal", "production", "external-database"] {
            let hub = example(name);
            for m in build(&hub, &inputs(&hub)) {
                let meta = &m.object["metadata"];
                let labels = &meta["labels"];
                for key in ["name", "instance", "component", "managed-by", "version"] {
                    assert!(
                        labels[format!("app.kubernetes.io/{key}")].is_string(),
                        "{name}: {} {} lacks the {key} label",
                        m.object["kind"],
                        m.name
                    );
                }
                assert_eq!(labels["app.kubernetes.io/managed-by"], MANAGER);
                if m.kind == Kind::Secret && crate::children::keeps_credentials(&hub) {
                    assert!(meta["ownerReferences"].is_null(), "kept with the volume");
                } else {
                    assert_eq!(meta["ownerReferences"][0]["uid"], "0000-1111");
                }
                assert_eq!(meta["namespace"], "ops");
                assert!(m.name.len() <= 63, "{} is too long", m.name);
            }
        }
    }

    #[test]
    fn stages_are_in_apply_order_and_gates_leave_children_out() {
        let hub = example("production");
        let all = build(&hub, &inputs(&hub));
        assert!(all.windows(2).all(|w| w[0].stage <= w[1].stage));
        let kinds = |ms: &[Manifest]| ms.iter().map(|m| m.kind).collect::<Vec<_>>();
        assert_eq!(
            kinds(&all),
            [
                Kind::Secret,
                Kind::ConfigMap,
                Kind::ConfigMap,
                Kind::StatefulSet,
                Kind::Service,
                Kind::Job,
                Kind::Deployment,
                Kind::Service,
                Kind::Deployment,
                Kind::Service,
                Kind::Ingress,
                Kind::PodDisruptionBudget,
                Kind::PodDisruptionBudget,
            ]
        );
        let first_install = Inputs {
            serving: None,
            ..inputs(&hub)
        };
        assert!(
            !build(&hub, &first_install)
                .iter()
                .any(|m| m.kind == Kind::Deployment && m.name == "monihub-prod-server"),
            "no server before the first migration"
        );
        let external = example("external-database");
        assert!(
            !build(&external, &inputs(&external))
                .iter()
                .any(|m| m.kind == Kind::StatefulSet)
        );
        let dropped: Vec<_> = droppable(&hub).into_iter().map(|(_, n)| n).collect();
        assert_eq!(
            dropped,
            [
                "monihub-prod",
                "monihub-prod-server",
                "monihub-prod-frontend",
                "monihub-prod-agent"
            ]
        );
    }

    #[test]
    fn a_pending_upgrade_keeps_the_running_server() {
        let mut hub = example("minimal");
        hub.spec.version = "0.2.0".into();
        let running = Release {
            version: "0.1.0".into(),
            image: "monihub/server:0.1.0".into(),
        };
        let built = build(
            &hub,
            &Inputs {
                serving: Some(running),
                ..inputs(&hub)
            },
        );
        let server = built
            .iter()
            .find(|m| m.kind == Kind::Deployment && m.name == "monihub-server")
            .unwrap();
        let template = &server.object["spec"]["template"];
        assert_eq!(
            template["spec"]["containers"][0]["image"],
            "monihub/server:0.1.0"
        );
        assert_eq!(
            template["metadata"]["labels"]["app.kubernetes.io/version"],
            "0.1.0"
        );
        let job = built.iter().find(|m| m.kind == Kind::Job).unwrap();
        assert_eq!(
            job.object["spec"]["template"]["spec"]["containers"][0]["image"],
            "monihub/server:0.2.0"
        );
    }

    #[test]
    fn every_pod_gets_the_pass_through_and_the_locked_down_defaults() {
        let mut hub = example("production");
        hub.spec = serde_json::from_value(serde_json::json!({
            "version": "0.1.0", "database": {"managed": {}},
            "server": {"replicas": 2},
            "podAnnotations": {"scrape": "yes"},
            "podLabels": {"team": "ops"},
            "nodeSelector": {"disk": "ssd"},
            "tolerations": [{"key": "dedicated", "operator": "Exists"}],
            "imagePullSecrets": [{"name": "regcred"}]
        }))
        .unwrap();
        let built = build(&hub, &inputs(&hub));
        let workloads: Vec<_> = built
            .iter()
            .filter(|m| matches!(m.kind, Kind::Deployment | Kind::StatefulSet | Kind::Job))
            .collect();
        assert_eq!(workloads.len(), 4, "server, console, database, migration");
        for m in workloads {
            let template = &m.object["spec"]["template"];
            let what = format!("{:?} {}", m.kind, m.name);
            assert_eq!(
                template["metadata"]["annotations"]["scrape"], "yes",
                "{what}"
            );
            assert_eq!(template["metadata"]["labels"]["team"], "ops", "{what}");
            let pod = &template["spec"];
            assert_eq!(pod["nodeSelector"]["disk"], "ssd", "{what}");
            assert_eq!(pod["tolerations"][0]["key"], "dedicated", "{what}");
            assert_eq!(pod["imagePullSecrets"][0]["name"], "regcred", "{what}");
            assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{what}");
            assert_eq!(
                pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault",
                "{what}"
            );
            for c in pod["containers"].as_array().unwrap() {
                let security = &c["securityContext"];
                assert_eq!(security["allowPrivilegeEscalation"], false, "{what}");
                assert_eq!(security["readOnlyRootFilesystem"], true, "{what}");
                assert_eq!(security["capabilities"]["drop"][0], "ALL", "{what}");
                assert!(c["resources"]["requests"]["cpu"].is_string(), "{what}");
                assert!(c["resources"]["requests"]["memory"].is_string(), "{what}");
            }
        }
    }

    #[test]
    fn snapshots_of_the_examples() {
        for name in ["minimal", "production", "external-database"] {
            let hub = example(name);
            insta::assert_snapshot!(name, yaml(&build(&hub, &inputs(&hub))));
        }
    }
}
