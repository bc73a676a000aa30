//! The CRD on a real API server: it installs and becomes established, the examples are accepted,
//! and invalid resources are rejected by the API server itself with a message naming the field.

use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Error};
use monihub_operator::MoniHub;
use monihub_testenv::TestEnv;
use serde_json::{Value, json};

mod common;

use common::install_crd;

fn resource(name: &str, spec: Value) -> MoniHub {
    serde_json::from_value(json!({
        "apiVersion": "monihub.aione.tech/v1alpha1",
        "kind": "MoniHub",
        "metadata": {"name": name},
        "spec": spec,
    }))
    .expect("test resources deserialize")
}

/// Creates through the raw API (so the operator's own types cannot fill in or drop fields) and
/// returns the API server's message.
async fn rejection(api: &Api<MoniHub>, name: &str, spec: Value) -> String {
    let body = json!({
        "apiVersion": "monihub.aione.tech/v1alpha1",
        "kind": "MoniHub",
        "metadata": {"name": name},
        "spec": spec,
    });
    let raw: Api<kube::api::DynamicObject> = Api::namespaced_with(
        api.clone().into_client(),
        api.namespace().expect("namespaced"),
        &kube::api::ApiResource::erase::<MoniHub>(&()),
    );
    let object: kube::api::DynamicObject = serde_json::from_value(body).expect("a dynamic object");
    match raw.create(&PostParams::default(), &object).await {
        Ok(_) => panic!("{name}: the API server accepted an invalid resource"),
        Err(Error::Api(status)) => {
            assert_eq!(status.code, 422, "{name}: {status:?}");
            status.message
        }
        Err(other) => panic!("{name}: {other}"),
    }
}

#[tokio::test]
async fn invalid_resources_are_rejected_naming_the_field() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("crd-invalid").await? else {
        return Ok(());
    };
    install_crd(env.client()).await?;
    let api: Api<MoniHub> = env.api();
    let managed = json!({"managed": {}});
    let cases: Vec<(&str, Value, &[&str])> = vec![
        (
            "no-version",
            json!({"database": managed}),
            &["spec.version", "Required"],
        ),
        (
            "bad-version",
            json!({"version": "latest", "database": managed}),
            &["spec.version", "version must look like 1.2.3"],
        ),
        (
            "no-replicas",
            json!({"version": "1.0.0", "database": managed, "server": {"replicas": 0}}),
            &["spec.server.replicas", "greater than or equal to 1"],
        ),
        (
            "many-replicas",
            json!({"version": "1.0.0", "database": managed, "frontend": {"replicas": 21}}),
            &["spec.frontend.replicas", "less than or equal to 20"],
        ),
        (
            "two-databases",
            json!({"version": "1.0.0", "database": {"managed": {},
                   "external": {"urlSecretRef": {"name": "db", "key": "url"}}}}),
            &["spec.database"],
        ),
        (
            "no-database",
            json!({"version": "1.0.0"}),
            &["spec.database", "Required"],
        ),
        (
            "bad-size",
            json!({"version": "1.0.0", "database": {"managed": {"storage": {"size": "ten"}}}}),
            &[
                "spec.database.managed.storage.size",
                "positive Kubernetes quantity",
            ],
        ),
        (
            "bad-cpu",
            json!({"version": "1.0.0", "database": managed,
                   "server": {"resources": {"requests": {"cpu": "lots"}}}}),
            &[
                "spec.server.resources.requests.cpu",
                "cpu must be a Kubernetes quantity",
            ],
        ),
        (
            "ingress-without-host",
            json!({"version": "1.0.0", "database": managed, "ingress": {"enabled": true}}),
            &["spec.ingress.host", "required when the ingress is enabled"],
        ),
        (
            "bad-host",
            json!({"version": "1.0.0", "database": managed,
                   "ingress": {"enabled": true, "host": "Not A Host"}}),
            &["spec.ingress.host", "lower-case DNS name"],
        ),
        (
            "bad-log-level",
            json!({"version": "1.0.0", "database": managed, "server": {"logLevel": "loud"}}),
            &["spec.server.logLevel", "Unsupported value"],
        ),
        (
            "bad-env",
            json!({"version": "1.0.0", "database": managed,
                   "server": {"env": {"MONIHUB_JWT_SECRET": "x"}}}),
            &["spec.server.env", "env keys must start with MONIHUB_"],
        ),
        (
            "bad-backoff",
            json!({"version": "1.0.0", "database": managed, "migration": {"backoffLimit": 11}}),
            &["spec.migration.backoffLimit", "less than or equal to 10"],
        ),
        (
            "bad-service-type",
            json!({"version": "1.0.0", "database": managed,
                   "server": {"service": {"type": "Magic"}}}),
            &["spec.server.service.type", "Unsupported value"],
        ),
        (
            "an-installation-name-that-is-far-too-long-for-children",
            json!({"version": "1.0.0", "database": managed}),
            &["metadata.name must be at most 40 characters"],
        ),
        (
            "external-without-key",
            json!({"version": "1.0.0", "database": {"external": {"urlSecretRef": {"name": "db"}}}}),
            &["spec.database.external.urlSecretRef.key", "Required"],
        ),
    ];
    assert!(cases.len() >= 10);
    for (name, spec, expected) in cases {
        let message = rejection(&api, name, spec).await;
        for part in expected {
            assert!(
                message.contains(part),
                "{name}: {part:?} not in {message:?}"
            );
        }
    }
    env.cleanup().await
}

#[tokio::test]
async fn immutable_fields_cannot_change() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("crd-immutable").await? else {
        return Ok(());
    };
    install_crd(env.client()).await?;
    let api: Api<MoniHub> = env.api();
    let created = resource(
        "hub",
        json!({"version": "1.0.0", "database": {"managed": {"storage": {"storageClassName": "fast"}}}}),
    );
    api.create(&PostParams::default(), &created).await?;
    let change = |spec: Value| {
        let api = api.clone();
        async move {
            api.patch(
                "hub",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": spec})),
            )
            .await
        }
    };
    let switched = change(json!({"database": {"managed": null,
        "external": {"urlSecretRef": {"name": "db", "key": "url"}}}}))
    .await;
    match switched {
        Err(Error::Api(status)) => assert!(
            status
                .message
                .contains("cannot switch between managed and external"),
            "{status:?}"
        ),
        other => panic!("switching databases was not refused: {other:?}"),
    }
    let moved =
        change(json!({"database": {"managed": {"storage": {"storageClassName": "slow"}}}})).await;
    match moved {
        Err(Error::Api(status)) => assert!(
            status.message.contains("storageClassName cannot change"),
            "{status:?}"
        ),
        other => panic!("changing the storage class was not refused: {other:?}"),
    }
    // Everything else may change.
    change(json!({"version": "1.1.0", "server": {"replicas": 3}})).await?;
    env.cleanup().await
}

#[tokio::test]
async fn the_examples_are_accepted() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("crd-examples").await? else {
        return Ok(());
    };
    install_crd(env.client()).await?;
    let api: Api<MoniHub> = env.api();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&examples)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let example: MoniHub = serde_saphyr::from_str(&text)?;
        let stored = api
            .create(&PostParams::default(), &example)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        assert_eq!(stored.spec, example.spec, "{}", path.display());
        seen += 1;
    }
    assert_eq!(seen, 3);
    env.cleanup().await
}
