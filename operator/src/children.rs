//! The first children of a `MoniHub`, as pure functions of the resource (and of the secrets the
//! operator generated once): names, labels, owner references, the generated credentials Secret,
//! the server's ConfigMap, and the content hash that makes pods roll when either changes. The
//! reconciler applies what these return; unit tests call them directly.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::Resource;
use sha2::{Digest, Sha256};

use crate::crd::{DatabaseSpec, MoniHub};

/// The field manager of every server-side apply, and the `managed-by` label.
pub const MANAGER: &str = "monihub-operator";
/// Port the server listens on inside its pod.
pub const SERVER_PORT: u16 = 8080;
/// Database name, user and port of the managed PostgreSQL.
pub const DATABASE: &str = "monihub";
pub const DATABASE_PORT: u16 = 5432;

/// The private address ranges pods, nginx and ingress controllers have: trusted to report the
/// client address in `X-Forwarded-For` unless the spec sets `MONIHUB_TRUSTED_PROXIES`.
pub const CLUSTER_PROXIES: &str = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7";

/// Child components, as the `app.kubernetes.io/component` label names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    Server,
    Frontend,
    Database,
    Migration,
    Credentials,
    Agent,
}

impl Component {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Frontend => "frontend",
            Self::Database => "database",
            Self::Migration => "migration",
            Self::Credentials => "credentials",
            Self::Agent => "agent",
        }
    }
}

/// `<resource name>-<suffix>`: every child's name (the CRD keeps resource names short enough).
pub fn child_name(hub: &MoniHub, suffix: &str) -> String {
    format!(
        "{}-{suffix}",
        hub.metadata.name.as_deref().unwrap_or("monihub")
    )
}

/// Labels that select a component's pods; stable across versions.
pub fn selector_labels(hub: &MoniHub, component: Component) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), "monihub".to_owned()),
        (
            "app.kubernetes.io/instance".to_owned(),
            hub.metadata.name.clone().unwrap_or_default(),
        ),
        (
            "app.kubernetes.io/component".to_owned(),
            component.as_str().to_owned(),
        ),
    ])
}

/// Every label a child carries: the selector labels, who manages it and the version.
pub fn labels(hub: &MoniHub, component: Component) -> BTreeMap<String, String> {
    labels_at(hub, component, &hub.spec.version)
}

/// [`labels`] with the version of what the child runs, which for the server can lag the spec.
pub fn labels_at(hub: &MoniHub, component: Component, version: &str) -> BTreeMap<String, String> {
    let mut labels = selector_labels(hub, component);
    labels.insert(
        "app.kubernetes.io/managed-by".to_owned(),
        MANAGER.to_owned(),
    );
    labels.insert("app.kubernetes.io/version".to_owned(), version.to_owned());
    labels
}

/// A server release: a version and the image that runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub version: String,
    pub image: String,
}

impl Release {
    /// What the spec asks for.
    pub fn target(hub: &MoniHub) -> Self {
        Self {
            version: hub.spec.version.clone(),
            image: crate::server::server_image(hub),
        }
    }
}

/// The controller reference that makes the resource own a child (garbage collection deletes the
/// child with it).
pub fn owner(hub: &MoniHub) -> OwnerReference {
    OwnerReference {
        api_version: MoniHub::api_version(&()).into_owned(),
        kind: MoniHub::kind(&()).into_owned(),
        name: hub.metadata.name.clone().unwrap_or_default(),
        uid: hub.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Name, namespace, labels and the owner reference every child carries.
pub fn metadata(hub: &MoniHub, name: String, component: Component) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: hub.metadata.namespace.clone(),
        labels: Some(labels(hub, component)),
        owner_references: Some(vec![owner(hub)]),
        ..ObjectMeta::default()
    }
}

/// Secrets generated once per resource and never regenerated (the reconciler reads them back
/// from the cluster, or adopts a Secret the user created under the same name).
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedSecrets {
    pub database_password: String,
    pub jwt_secret: String,
    /// The node agents' token (`mhat_…`), used only while `spec.agent.enabled`.
    pub agent_token: String,
}

impl std::fmt::Debug for GeneratedSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GeneratedSecrets { .. }")
    }
}

/// Keys of the credentials Secret.
pub mod keys {
    pub const JWT_SECRET: &str = "jwt-secret";
    pub const DATABASE_PASSWORD: &str = "database-password";
    pub const DATABASE_URL: &str = "database-url";
    pub const AGENT_TOKEN: &str = "agent-token";
}

/// Whether the resource asks for node agents.
pub fn agents_enabled(hub: &MoniHub) -> bool {
    hub.spec.agent.as_ref().is_some_and(|a| a.enabled)
}

/// Whether the credentials Secret outlives the resource: it does when the database volume is
/// retained, because the retained data only opens with the password in it. Re-creating a
/// resource of the same name then adopts both.
pub fn keeps_credentials(hub: &MoniHub) -> bool {
    matches!(&hub.spec.database, DatabaseSpec::Managed(m) if m.storage.retain_on_delete)
}

/// `<name>-credentials`: the JWT signing key and, for a managed database, its password and the
/// server's database URL.
pub fn credentials(hub: &MoniHub, secrets: &GeneratedSecrets) -> Secret {
    let mut data = BTreeMap::from([(
        keys::JWT_SECRET.to_owned(),
        ByteString(secrets.jwt_secret.clone().into_bytes()),
    )]);
    if matches!(hub.spec.database, DatabaseSpec::Managed(_)) {
        data.insert(
            keys::DATABASE_PASSWORD.to_owned(),
            ByteString(secrets.database_password.clone().into_bytes()),
        );
        data.insert(
            keys::DATABASE_URL.to_owned(),
            ByteString(
                format!(
                    "postgres://{DATABASE}:{}@{}:{DATABASE_PORT}/{DATABASE}",
                    url_encode(&secrets.database_password),
                    child_name(hub, "postgres"),
                )
                .into_bytes(),
            ),
        );
    }
    if agents_enabled(hub) {
        data.insert(
            keys::AGENT_TOKEN.to_owned(),
            ByteString(secrets.agent_token.clone().into_bytes()),
        );
    }
    let mut meta = metadata(hub, child_name(hub, "credentials"), Component::Credentials);
    if keeps_credentials(hub) {
        meta.owner_references = None;
    }
    Secret {
        metadata: meta,
        type_: Some("Opaque".to_owned()),
        data: Some(data),
        ..Secret::default()
    }
}

/// Everything but RFC 3986's unreserved characters is percent-encoded in the URL's password, so
/// an adopted password with `@`, `:` or `/` in it cannot break the URL.
const USERINFO: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, USERINFO).to_string()
}

/// `<name>-server`: the server's non-secret settings. Keys the operator owns (database URL, JWT
/// secret, admin password, bind address) come from Secrets or fixed values and cannot be
/// overridden by `spec.server.env` (the CRD refuses them; they are dropped here as well).
pub fn server_config(hub: &MoniHub) -> ConfigMap {
    const OWNED: [&str; 4] = [
        "MONIHUB_DATABASE_URL",
        "MONIHUB_JWT_SECRET",
        "MONIHUB_ADMIN_PASSWORD",
        "MONIHUB_BIND",
    ];
    let server = &hub.spec.server;
    let mut data: BTreeMap<String, String> = server
        .env
        .iter()
        .filter(|(key, _)| key.starts_with("MONIHUB_") && !OWNED.contains(&key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Behind the console's nginx (and usually an ingress controller) every request arrives
    // from a pod address: without trusting the cluster's private ranges, login throttling and
    // the audit log would see one client. The spec's env can narrow it to the pod network.
    data.entry("MONIHUB_TRUSTED_PROXIES".into())
        .or_insert_with(|| CLUSTER_PROXIES.into());
    data.insert("MONIHUB_MODE".into(), "production".into());
    data.insert("MONIHUB_BIND".into(), format!("0.0.0.0:{SERVER_PORT}"));
    data.insert("MONIHUB_LOG_FORMAT".into(), "json".into());
    data.insert(
        "MONIHUB_LOG_LEVEL".into(),
        serde_json::to_value(server.log_level)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "info".into()),
    );
    ConfigMap {
        metadata: metadata(hub, child_name(hub, "server"), Component::Server),
        data: Some(data),
        ..ConfigMap::default()
    }
}

/// A short, stable hash of content a pod depends on; put in the pod template so that pods roll
/// when it changes. Parts are length-prefixed, so moving bytes between parts changes the hash.
pub fn content_hash<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex::encode(&hasher.finalize()[..8])
}

/// The hash of a ConfigMap's data and a Secret's data, in key order.
pub fn config_hash(config: &ConfigMap, secret: &Secret) -> String {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for (key, value) in config.data.iter().flatten() {
        parts.push(key.as_bytes().to_vec());
        parts.push(value.as_bytes().to_vec());
    }
    for (key, value) in secret.data.iter().flatten() {
        parts.push(key.as_bytes().to_vec());
        parts.push(value.0.clone());
    }
    content_hash(parts.iter().map(Vec::as_slice))
}

/// A resource named `hub` in namespace `ops` with `spec`, for unit tests.
#[cfg(test)]
pub(crate) fn test_hub(spec: serde_json::Value) -> MoniHub {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "monihub.aione.tech/v1alpha1",
        "kind": "MoniHub",
        "metadata": {"name": "hub", "namespace": "ops", "uid": "0000-1111"},
        "spec": spec,
    }))
    .expect("test specs are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_hub as hub;

    fn managed() -> MoniHub {
        hub(
            serde_json::json!({"version": "1.2.3", "database": {"managed": {}},
             "server": {"logLevel": "debug",
                        "env": {"MONIHUB_OFFLINE_AFTER": "2m", "MONIHUB_BIND": "0.0.0.0:1"}}}),
        )
    }

    fn secrets() -> GeneratedSecrets {
        GeneratedSecrets {
            database_password: "pw0123456789abcdef".into(),
            jwt_secret: "jwt0123456789abcdef0123456789abcdef".into(),
            agent_token: "mhat_agent0123456789abcdef0123456789abcdefghi".into(),
        }
    }

    fn text(secret: &Secret, key: &str) -> Option<String> {
        secret
            .data
            .as_ref()?
            .get(key)
            .map(|v| String::from_utf8(v.0.clone()).unwrap())
    }

    #[test]
    fn children_are_labelled_and_owned() {
        let hub = managed();
        let secret = credentials(
            &test_hub(serde_json::json!({"version": "1.2.3",
                "database": {"managed": {"storage": {"retainOnDelete": false}}}})),
            &secrets(),
        );
        let config = server_config(&hub);
        for (meta, component) in [
            (&secret.metadata, "credentials"),
            (&config.metadata, "server"),
        ] {
            let labels = meta.labels.as_ref().unwrap();
            assert_eq!(labels["app.kubernetes.io/name"], "monihub");
            assert_eq!(labels["app.kubernetes.io/instance"], "hub");
            assert_eq!(labels["app.kubernetes.io/component"], component);
            assert_eq!(labels["app.kubernetes.io/managed-by"], MANAGER);
            assert_eq!(labels["app.kubernetes.io/version"], "1.2.3");
            assert_eq!(meta.namespace.as_deref(), Some("ops"));
            let owners = meta.owner_references.as_ref().unwrap();
            assert_eq!(owners.len(), 1);
            assert_eq!(owners[0].kind, "MoniHub");
            assert_eq!(owners[0].api_version, "monihub.aione.tech/v1alpha1");
            assert_eq!(owners[0].uid, "0000-1111");
            assert_eq!(owners[0].controller, Some(true));
        }
        assert!(
            credentials(&hub, &secrets())
                .metadata
                .owner_references
                .is_none(),
            "a retained volume keeps its credentials"
        );
        assert!(
            !selector_labels(&hub, Component::Server).contains_key("app.kubernetes.io/version"),
            "selectors must not change across versions"
        );
    }

    #[test]
    fn credentials_hold_what_the_database_kind_needs() {
        let secret = credentials(&managed(), &secrets());
        assert_eq!(secret.metadata.name.as_deref(), Some("hub-credentials"));
        assert_eq!(
            text(&secret, keys::DATABASE_URL).unwrap(),
            "postgres://monihub:pw0123456789abcdef@hub-postgres:5432/monihub"
        );
        assert!(text(&secret, keys::JWT_SECRET).is_some());
        let external = hub(serde_json::json!({"version": "1.2.3",
            "database": {"external": {"urlSecretRef": {"name": "db", "key": "url"}}}}));
        let secret = credentials(&external, &secrets());
        assert!(text(&secret, keys::JWT_SECRET).is_some());
        assert_eq!(text(&secret, keys::DATABASE_URL), None);
        assert_eq!(text(&secret, keys::DATABASE_PASSWORD), None);
        assert!(
            !format!("{:?}", secrets()).contains("pw0123"),
            "secrets never print"
        );
        let awkward = GeneratedSecrets {
            database_password: "p@ss:w/rd%".into(),
            ..secrets()
        };
        assert_eq!(
            text(&credentials(&managed(), &awkward), keys::DATABASE_URL).unwrap(),
            "postgres://monihub:p%40ss%3Aw%2Frd%25@hub-postgres:5432/monihub"
        );
    }

    #[test]
    fn the_server_config_keeps_operator_owned_settings() {
        let data = server_config(&managed()).data.unwrap();
        assert_eq!(data["MONIHUB_BIND"], "0.0.0.0:8080");
        assert_eq!(data["MONIHUB_LOG_LEVEL"], "debug");
        assert_eq!(data["MONIHUB_OFFLINE_AFTER"], "2m");
        assert_eq!(data["MONIHUB_MODE"], "production");
        assert_eq!(data["MONIHUB_TRUSTED_PROXIES"], CLUSTER_PROXIES);
        let narrowed = test_hub(
            serde_json::json!({"version": "1.2.3", "database": {"managed": {}},
            "server": {"env": {"MONIHUB_TRUSTED_PROXIES": "10.244.0.0/16"}}}),
        );
        assert_eq!(
            server_config(&narrowed).data.unwrap()["MONIHUB_TRUSTED_PROXIES"],
            "10.244.0.0/16",
            "the spec wins"
        );
        assert!(!data.contains_key("MONIHUB_DATABASE_URL"));
        assert!(!data.contains_key("MONIHUB_JWT_SECRET"));
    }

    #[test]
    fn the_config_hash_is_stable_and_follows_content() {
        let hub = managed();
        let (config, secret) = (server_config(&hub), credentials(&hub, &secrets()));
        let first = config_hash(&config, &secret);
        assert_eq!(first, config_hash(&config, &secret));
        assert_eq!(first.len(), 16);
        let mut changed = config.clone();
        changed
            .data
            .as_mut()
            .unwrap()
            .insert("MONIHUB_OFFLINE_AFTER".into(), "3m".into());
        assert_ne!(first, config_hash(&changed, &secret));
        let rotated = credentials(
            &hub,
            &GeneratedSecrets {
                jwt_secret: "another".into(),
                ..secrets()
            },
        );
        assert_ne!(first, config_hash(&config, &rotated));
        // Moving bytes between parts changes the hash.
        assert_ne!(
            content_hash([b"ab".as_slice(), b"c"]),
            content_hash([b"a".as_slice(), b"bc"])
        );
    }
}
