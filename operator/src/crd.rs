//! The `MoniHub` custom resource (`monihub.aione.tech/v1alpha1`). The field docs are what
//! `kubectl explain monihub.spec…` prints; the schema rules are what the API server enforces
//! before the operator ever sees a resource.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{LocalObjectReference, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A MoniHub installation: the API server, the web console, their database and the migrations
/// that run before every upgrade.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "monihub.aione.tech",
    version = "v1alpha1",
    kind = "MoniHub",
    plural = "monihubs",
    shortname = "mh",
    namespaced,
    status = "MoniHubStatus",
    doc = "A MoniHub installation: API server, web console, database and migrations, reconciled by monihub-operator.",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Version","type":"string","jsonPath":".status.currentVersion"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    validation = Rule::new("self.metadata.name.size() <= 40").message("metadata.name must be at most 40 characters (child names add suffixes)")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.ingress) || !self.ingress.enabled || has(self.ingress.host)").message("spec.ingress.host is required when the ingress is enabled").field_path(".ingress.host"),
    validation = Rule::new("has(self.database.managed) == has(oldSelf.database.managed)").message("database cannot switch between managed and external after creation").field_path(".database")
)]
pub struct MoniHubSpec {
    /// The MoniHub version to run, e.g. `0.1.0`. Images default to this tag; changing it runs
    /// the database migrations of the new version before the server is rolled.
    #[x_kube(validation = Rule::new("self.matches('^[0-9]+\\\\.[0-9]+\\\\.[0-9]+([-+][0-9A-Za-z.-]+)?$')").message("version must look like 1.2.3 (optionally -rc.1)"))]
    pub version: String,
    /// The API server.
    #[serde(default)]
    pub server: ServerSpec,
    /// The web console (nginx serving the built console and proxying `/api/`).
    #[serde(default)]
    pub frontend: FrontendSpec,
    /// Where data lives: exactly one of `managed` (a PostgreSQL StatefulSet the operator runs) or
    /// `external` (a database you run). Cannot be switched after creation.
    pub database: DatabaseSpec,
    /// The migration Job that runs before every upgrade.
    #[serde(default)]
    pub migration: MigrationSpec,
    /// An Ingress for the console and the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<IngressSpec>,
    /// Node agents: `monihub-agent` on every node, reporting to the built-in "Cluster nodes"
    /// application with a token the operator generates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentSpec>,
    /// A Secret key holding the first admin's password (user `admin`, created when no admin
    /// exists). Without it no admin is created: `kubectl exec deploy/<name>-server --
    /// monihub-server create-admin` creates one and prints its generated password once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_password_secret_ref: Option<SecretKeyRef>,
    /// Annotations added to every pod (migration Job included).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_annotations: BTreeMap<String, String>,
    /// Labels added to every pod (migration Job included). The operator's own labels win.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_labels: BTreeMap<String, String>,
    /// Node selector for every pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations for every pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// Pull secrets for every pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<LocalObjectReference>,
    /// Stop changing children; status is still kept current.
    #[serde(default)]
    pub paused: bool,
}

/// Log verbosity of the server.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

/// How a workload is exposed inside the cluster.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ServiceType {
    #[default]
    ClusterIP,
    NodePort,
    LoadBalancer,
}

impl ServiceType {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClusterIP => "ClusterIP",
            Self::NodePort => "NodePort",
            Self::LoadBalancer => "LoadBalancer",
        }
    }
}

/// CPU and memory, as Kubernetes quantities (`250m`, `512Mi`).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Amounts {
    /// CPU, e.g. `100m` or `1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("isQuantity(self)").message("cpu must be a Kubernetes quantity such as 250m or 1"))]
    pub cpu: Option<String>,
    /// Memory, e.g. `256Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("isQuantity(self)").message("memory must be a Kubernetes quantity such as 256Mi"))]
    pub memory: Option<String>,
}

/// Requests and limits of a container. Unset requests get the operator's defaults.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<Amounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Amounts>,
}

/// A Service in front of a workload.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    /// `ClusterIP` (default), `NodePort` or `LoadBalancer`.
    #[serde(default, rename = "type")]
    pub type_: ServiceType,
    /// Annotations for the Service (load balancer settings, for instance).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// The API server Deployment.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServerSpec {
    /// Image; defaults to `monihub/server:<version>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Pods (1–20). With more than one, a PodDisruptionBudget keeps one available.
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 20))]
    pub replicas: i32,
    #[serde(default)]
    pub resources: Resources,
    /// Extra `MONIHUB_*` settings as environment variables (see the server's README).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[x_kube(validation = Rule::new("self.all(k, k.startsWith('MONIHUB_') && !(k in ['MONIHUB_DATABASE_URL', 'MONIHUB_JWT_SECRET', 'MONIHUB_ADMIN_PASSWORD', 'MONIHUB_BIND']))").message("env keys must start with MONIHUB_; the database URL, JWT secret, admin password and bind address are set by the operator"))]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub log_level: LogLevel,
    #[serde(default)]
    pub service: ServiceSpec,
}

impl Default for ServerSpec {
    fn default() -> Self {
        Self {
            image: None,
            replicas: 1,
            resources: Resources::default(),
            env: BTreeMap::new(),
            log_level: LogLevel::default(),
            service: ServiceSpec::default(),
        }
    }
}

/// The console Deployment.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FrontendSpec {
    /// Image; defaults to `monihub/frontend:<version>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Pods (1–20).
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 20))]
    pub replicas: i32,
    #[serde(default)]
    pub resources: Resources,
    #[serde(default)]
    pub service: ServiceSpec,
}

impl Default for FrontendSpec {
    fn default() -> Self {
        Self {
            image: None,
            replicas: 1,
            resources: Resources::default(),
            service: ServiceSpec::default(),
        }
    }
}

fn one() -> i32 {
    1
}

/// Exactly one way to reach the database.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub enum DatabaseSpec {
    /// A PostgreSQL StatefulSet run by the operator, with a PersistentVolumeClaim.
    Managed(ManagedDatabase),
    /// A PostgreSQL database you run; its URL comes from a Secret.
    External(ExternalDatabase),
}

/// The operator-run PostgreSQL.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ManagedDatabase {
    /// Image; defaults to `postgres:16`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default)]
    pub storage: Storage,
    #[serde(default)]
    pub resources: Resources,
}

/// The database volume.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.storageClassName) == has(oldSelf.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)").message("storageClassName cannot change after creation"))]
pub struct Storage {
    /// Size of the volume, e.g. `10Gi`.
    #[serde(default = "default_size")]
    #[x_kube(validation = Rule::new("isQuantity(self) && quantity(self).isGreaterThan(quantity('0'))").message("size must be a positive Kubernetes quantity such as 10Gi"))]
    pub size: String,
    /// StorageClass of the claim; the cluster default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    /// Keep the volume when the MoniHub is deleted (default). `false` deletes it with the
    /// StatefulSet.
    #[serde(default = "yes")]
    pub retain_on_delete: bool,
}

impl Default for Storage {
    fn default() -> Self {
        Self {
            size: default_size(),
            storage_class_name: None,
            retain_on_delete: true,
        }
    }
}

fn default_size() -> String {
    "10Gi".into()
}

fn yes() -> bool {
    true
}

/// A database run outside the operator.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExternalDatabase {
    /// The Secret key holding `postgres://user:password@host:5432/db`.
    pub url_secret_ref: SecretKeyRef,
}

/// One key of a Secret in the resource's namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    /// The Secret's name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// The key inside it.
    #[schemars(length(min = 1, max = 253))]
    pub key: String,
}

/// The migration Job.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MigrationSpec {
    /// Retries of a failing migration pod within one Job (0–10).
    #[serde(default = "three")]
    #[schemars(range(min = 0, max = 10))]
    pub backoff_limit: i32,
    /// Seconds a migration may run before it counts as failed (60–86400).
    #[serde(default = "half_hour")]
    #[schemars(range(min = 60, max = 86400))]
    pub active_deadline_seconds: i64,
}

impl Default for MigrationSpec {
    fn default() -> Self {
        Self {
            backoff_limit: three(),
            active_deadline_seconds: half_hour(),
        }
    }
}

fn three() -> i32 {
    3
}

fn half_hour() -> i64 {
    1800
}

/// The node agents' DaemonSet.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AgentSpec {
    /// Run an agent on every node (tolerating every taint). Disabling removes them.
    #[serde(default)]
    pub enabled: bool,
    /// Image; defaults to `monihub/agent:<version>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default)]
    pub resources: Resources,
    /// Remote task types the node agents may run; none unless listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_tasks: Vec<TaskType>,
}

/// A remote task type.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TaskType {
    ShellExec,
    HttpRequest,
    RunCode,
    FileManager,
    CustomCommand,
}

impl TaskType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ShellExec => "shell_exec",
            Self::HttpRequest => "http_request",
            Self::RunCode => "run_code",
            Self::FileManager => "file_manager",
            Self::CustomCommand => "custom_command",
        }
    }
}

/// An Ingress routing a host to the console (which proxies `/api/` to the server).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IngressSpec {
    /// Create the Ingress. Disabling it deletes it.
    #[serde(default)]
    pub enabled: bool,
    /// The host name, e.g. `monihub.example.com` (required when enabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')").message("host must be a lower-case DNS name"))]
    pub host: Option<String>,
    /// IngressClass; the cluster default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// A TLS Secret for the host; plain HTTP when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_secret_name: Option<String>,
    /// Annotations for the Ingress.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// Where the installation stands, as the operator last saw it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MoniHubStatus {
    /// The generation this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Pending`, `Provisioning`, `Migrating`, `Ready`, `Degraded` or `Paused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// `Ready`, `DatabaseReady`, `Migrated`, `ServerAvailable`, `FrontendAvailable`.
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// The version the server runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<String>,
    /// The version whose migrations last succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrated_version: Option<String>,
    /// The migration inputs (image, database, rerun token) whose Job last succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_hash: Option<String>,
    /// Where to open the console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The installation's phase.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Accepted; nothing is running yet.
    Pending,
    /// Children are being created or rolled.
    Provisioning,
    /// A migration Job runs before the server moves to the spec's version.
    Migrating,
    /// Everything is available at the spec's version.
    Ready,
    /// Something needs attention: see the conditions' messages.
    Degraded,
    /// `spec.paused` is set: children are left alone, status is kept current.
    Paused,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Provisioning => "Provisioning",
            Self::Migrating => "Migrating",
            Self::Ready => "Ready",
            Self::Degraded => "Degraded",
            Self::Paused => "Paused",
        }
    }
}
