//! The migration Job: `monihub-server migrate up` with the target image, run before the server is
//! rolled to it. One Job per attempt, never patched: `<name>-migrate-<hash>-<attempt>`, where the
//! hash covers everything that can change the schema or where it lives (image, database, the
//! rerun annotation) and nothing that cannot (replicas, annotations, resources).

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{Container, PodTemplateSpec};

use crate::children::{Component, child_name, content_hash, metadata};
use crate::crd::{DatabaseSpec, MoniHub};
use crate::pod::{container_security, pod_metadata, pod_spec, resources};
use crate::server::{server_env, server_image};

/// Setting (or changing) this annotation to any token reruns the migrations of the current
/// version.
pub const RERUN_ANNOTATION: &str = "monihub.aione.tech/rerun-migrations";
/// Label on migration Jobs: the migration hash they run.
pub const HASH_LABEL: &str = "monihub.aione.tech/migration";
/// Annotation on migration Jobs: which attempt of that hash they are (1, 2, …).
pub const ATTEMPT_ANNOTATION: &str = "monihub.aione.tech/attempt";
/// Finished Jobs (and their pods' logs) are kept a day, then removed by the cluster.
pub const FINISHED_TTL_SECONDS: i32 = 86_400;

/// The hash of every input that can change what the migrations do.
pub fn migration_hash(hub: &MoniHub) -> String {
    let rerun = hub
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(RERUN_ANNOTATION))
        .cloned()
        .unwrap_or_default();
    let database = match &hub.spec.database {
        DatabaseSpec::Managed(_) => "managed".to_owned(),
        DatabaseSpec::External(external) => format!(
            "external:{}/{}",
            external.url_secret_ref.name, external.url_secret_ref.key
        ),
    };
    content_hash([
        server_image(hub).as_bytes(),
        database.as_bytes(),
        rerun.as_bytes(),
    ])[..10]
        .to_owned()
}

/// The Job name of an attempt.
pub fn job_name(hub: &MoniHub, hash: &str, attempt: u32) -> String {
    child_name(hub, &format!("migrate-{hash}-{attempt}"))
}

/// Attempt `attempt` of the migrations of `hash`, with the spec's retry and deadline settings and
/// the same configuration and secrets as the server.
pub fn job(hub: &MoniHub, hash: &str, attempt: u32) -> Job {
    let (env_from, env) = server_env(hub);
    let container = Container {
        name: "migrate".to_owned(),
        image: Some(server_image(hub)),
        args: Some(vec!["migrate".to_owned(), "up".to_owned()]),
        env_from: Some(env_from),
        env: Some(env),
        resources: Some(resources(&hub.spec.server.resources, "100m", "128Mi")),
        security_context: Some(container_security(true)),
        ..Container::default()
    };
    let mut pod = pod_spec(hub, vec![container]);
    pod.restart_policy = Some("Never".to_owned());
    let mut meta = metadata(hub, job_name(hub, hash, attempt), Component::Migration);
    meta.labels
        .get_or_insert_default()
        .insert(HASH_LABEL.to_owned(), hash.to_owned());
    meta.annotations = Some([(ATTEMPT_ANNOTATION.to_owned(), attempt.to_string())].into());
    Job {
        metadata: meta,
        spec: Some(JobSpec {
            backoff_limit: Some(hub.spec.migration.backoff_limit),
            active_deadline_seconds: Some(hub.spec.migration.active_deadline_seconds),
            ttl_seconds_after_finished: Some(FINISHED_TTL_SECONDS),
            template: PodTemplateSpec {
                metadata: Some(pod_metadata(hub, Component::Migration, Default::default())),
                spec: Some(pod),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::test_hub as hub;

    fn spec(version: &str) -> serde_json::Value {
        serde_json::json!({"version": version, "database": {"managed": {}}})
    }

    #[test]
    fn only_schema_inputs_change_the_hash() {
        let base = migration_hash(&hub(spec("1.2.3")));
        assert_eq!(base.len(), 10);
        assert_eq!(base, migration_hash(&hub(spec("1.2.3"))), "stable");
        let mut scaled = spec("1.2.3");
        scaled["server"] =
            serde_json::json!({"replicas": 5, "resources": {"limits": {"memory": "1Gi"}}});
        scaled["podAnnotations"] = serde_json::json!({"a": "b"});
        assert_eq!(base, migration_hash(&hub(scaled)), "no rerun for scaling");
        assert_ne!(base, migration_hash(&hub(spec("1.2.4"))), "new version");
        let mut image = spec("1.2.3");
        image["server"] = serde_json::json!({"image": "registry.example/server:1.2.3"});
        assert_ne!(base, migration_hash(&hub(image)), "new image");
        let mut rerun = hub(spec("1.2.3"));
        rerun.metadata.annotations = Some([(RERUN_ANNOTATION.into(), "now".into())].into());
        assert_ne!(base, migration_hash(&rerun), "forced rerun");
    }

    #[test]
    fn the_job_runs_the_target_image_with_the_servers_configuration() {
        let mut s = spec("1.2.4");
        s["migration"] = serde_json::json!({"backoffLimit": 0, "activeDeadlineSeconds": 120});
        s["podLabels"] = serde_json::json!({"team": "ops"});
        s["tolerations"] = serde_json::json!([{"key": "dedicated", "operator": "Exists"}]);
        let h = hub(s);
        let hash = migration_hash(&h);
        let j = job(&h, &hash, 2);
        assert_eq!(
            j.metadata.name.as_deref(),
            Some(format!("hub-migrate-{hash}-2").as_str())
        );
        assert_eq!(j.metadata.labels.as_ref().unwrap()[HASH_LABEL], hash);
        let job_spec = j.spec.unwrap();
        assert_eq!(job_spec.backoff_limit, Some(0));
        assert_eq!(job_spec.active_deadline_seconds, Some(120));
        assert_eq!(
            job_spec.ttl_seconds_after_finished,
            Some(FINISHED_TTL_SECONDS)
        );
        let meta = job_spec.template.metadata.unwrap();
        assert_eq!(
            meta.labels.unwrap()["team"],
            "ops",
            "podLabels reach the Job"
        );
        let pod = job_spec.template.spec.unwrap();
        assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
        assert!(pod.tolerations.is_some(), "scheduling reaches the Job");
        let c = &pod.containers[0];
        assert_eq!(c.image.as_deref(), Some("monihub/server:1.2.4"));
        assert_eq!(c.args.as_deref().unwrap(), ["migrate", "up"]);
        assert!(
            c.env
                .iter()
                .flatten()
                .any(|e| e.name == "MONIHUB_DATABASE_URL")
        );
        // The longest allowed resource name still gives a valid Job name (63 characters).
        let mut long = hub(spec("1.2.4"));
        long.metadata.name = Some("a".repeat(40));
        assert!(job_name(&long, &hash, 999).len() <= 63);
    }
}
