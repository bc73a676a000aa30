//! The deployment checks of `cargo xtask ci`: every Dockerfile linted, the Compose file and the
//! Helm chart validated (the chart's manifests with kubeconform, against schemas taken from the
//! very API server the operator tests run on), and the Compose stack run for real.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};

use crate::docker::Engine;
use crate::tools;
use crate::util::{free_port, run_cmd, step, workspace_root};

const CHART: &str = "helm/monihub-operator";

/// `cargo xtask deploy <check>`: one deployment check on its own.
#[derive(clap::Subcommand)]
pub enum Check {
    /// hadolint, `docker compose config`, `helm lint`, the values schema.
    Lint,
    /// Validate the chart's manifests with kubeconform against the running control plane's
    /// schemas (`eval "$(cargo xtask testenv up)"` first).
    Manifests,
    /// Build the images and run the Compose stack end to end.
    Compose,
}

pub fn dispatch(cmd: Check) -> anyhow::Result<()> {
    match cmd {
        Check::Lint => lint(),
        Check::Manifests => {
            let kubeconfig = std::env::var("KUBECONFIG")
                .context("KUBECONFIG must point at a running control plane")?;
            validate_manifests(&|| {
                let mut cmd = Command::new(crate::testenv::versions::bin_dir().join("kubectl"));
                cmd.arg(format!("--kubeconfig={kubeconfig}"));
                cmd
            })
        }
        Check::Compose => {
            let engine = Engine::connect()?;
            crate::images::ensure_bases(&engine)?;
            let tag = env!("CARGO_PKG_VERSION");
            crate::images::build(&engine, tag, &crate::images::COMPONENTS)?;
            compose_e2e(&engine, tag)
        }
    }
}
const COMPOSE_FILE: &str = "docker/docker-compose.yml";

/// Values the chart must reject (values.schema.json), as `--set` arguments.
const INVALID_VALUES: [&str; 5] = [
    "replicaCount=many",
    "logFormat=xml",
    "image.pullPolicy=Sometimes",
    "watchNamespaces[0]=Not_A_Namespace",
    "unknownKey=1",
];

/// Non-default values the chart must render valid manifests for.
const NONDEFAULT_VALUES: [&str; 7] = [
    "watchNamespaces={team-a,team-b}",
    "networkPolicy.enabled=true",
    "metrics.serviceMonitor.enabled=true",
    "sample.enabled=true",
    "crds.keep=false",
    "replicaCount=2",
    "logFormat=text",
];

fn output(cmd: &mut Command) -> anyhow::Result<Output> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .with_context(|| format!("failed to start {shown}"))?;
    if !out.status.success() {
        bail!(
            "{shown} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out)
}

/// Lints that need neither a cluster nor an engine: hadolint, `docker compose config`, `helm
/// lint`, and the values schema.
pub fn lint() -> anyhow::Result<()> {
    let root = workspace_root();

    step("linting every Dockerfile (hadolint, settings in .hadolint.yaml)");
    let mut dockerfiles = Vec::new();
    for entry in std::fs::read_dir(root.join("docker"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "Dockerfile") {
            dockerfiles.push(path);
        }
    }
    for entry in std::fs::read_dir(root.join("xtask/standins"))? {
        let path = entry?.path().join("Dockerfile");
        if path.is_file() {
            dockerfiles.push(path);
        }
    }
    dockerfiles.push(root.join("xtask/kind/base.Dockerfile"));
    dockerfiles.sort();
    anyhow::ensure!(dockerfiles.len() >= 4, "no Dockerfiles found");
    run_cmd(
        Command::new(tools::hadolint()?)
            .current_dir(&root)
            .args(&dockerfiles),
    )?;

    step("checking the Compose file (docker compose config)");
    let compose = tools::compose()?;
    let env = tempfile::NamedTempFile::new()?;
    std::fs::write(
        env.path(),
        "MONIHUB_DATABASE_PASSWORD=p\nMONIHUB_JWT_SECRET=j\nMONIHUB_ADMIN_PASSWORD=a\n",
    )?;
    output(
        Command::new(&compose)
            .current_dir(&root)
            .args(["-f", COMPOSE_FILE, "--env-file"])
            .arg(env.path())
            .args(["config", "--quiet"]),
    )?;
    // Without its secrets the file refuses to start, naming what is missing.
    let empty = tempfile::NamedTempFile::new()?;
    let refused = Command::new(&compose)
        .current_dir(&root)
        .args(["-f", COMPOSE_FILE, "--env-file"])
        .arg(empty.path())
        .args(["config", "--quiet"])
        .env_remove("MONIHUB_DATABASE_PASSWORD")
        .env_remove("MONIHUB_JWT_SECRET")
        .env_remove("MONIHUB_ADMIN_PASSWORD")
        .output()?;
    let message = String::from_utf8_lossy(&refused.stderr);
    anyhow::ensure!(
        !refused.status.success() && message.contains("docker/.env"),
        "the Compose file started without its secrets: {message}"
    );

    step("linting the Helm chart (helm lint --strict, values schema)");
    let helm = tools::helm()?;
    run_cmd(
        Command::new(&helm)
            .current_dir(&root)
            .args(["lint", "--strict", CHART]),
    )?;
    run_cmd(
        Command::new(&helm)
            .current_dir(&root)
            .args(["lint", "--strict", CHART])
            .args(NONDEFAULT_VALUES.iter().flat_map(|v| ["--set", v])),
    )?;
    for invalid in INVALID_VALUES {
        let out = Command::new(&helm)
            .current_dir(&root)
            .args(["template", "t", CHART, "--set", invalid])
            .output()?;
        let message = String::from_utf8_lossy(&out.stderr);
        anyhow::ensure!(
            !out.status.success() && message.contains("monihub-operator"),
            "the chart accepted {invalid}: {message}"
        );
    }
    Ok(())
}

/// `helm template` with default and non-default values, validated by kubeconform in strict mode
/// against JSON schemas generated from the control plane's own OpenAPI document (so the
/// Kubernetes version is exactly the tested one, and the MoniHub CRD's schema is included).
pub fn validate_manifests(kubectl: &dyn Fn() -> Command) -> anyhow::Result<()> {
    step("validating the chart's manifests (helm template | kubeconform -strict)");
    let root = workspace_root();
    output(
        kubectl()
            .args(["apply", "--server-side", "--force-conflicts", "-f"])
            .arg(root.join(crate::generate::CRD_FILE)),
    )?;
    output(kubectl().args([
        "wait",
        "--for=condition=Established",
        "crd/monihubs.monihub.aione.tech",
        "--timeout=60s",
    ]))?;
    let openapi: Value =
        serde_json::from_slice(&output(kubectl().args(["get", "--raw", "/openapi/v2"]))?.stdout)?;

    let helm = tools::helm()?;
    let dir = tempfile::tempdir()?;
    let mut rendered = Vec::new();
    for (name, values) in [
        ("default", &[][..]),
        ("non-default", &NONDEFAULT_VALUES[..]),
    ] {
        let out = output(
            Command::new(&helm)
                .current_dir(&root)
                .args([
                    "template",
                    "monihub",
                    CHART,
                    "--namespace",
                    "monihub-system",
                ])
                .args(values.iter().flat_map(|v| ["--set", v])),
        )?;
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, &out.stdout)?;
        rendered.push(file);
    }
    let mut kinds = BTreeSet::new();
    for file in &rendered {
        let docs: Vec<Value> = serde_saphyr::from_multiple(&std::fs::read_to_string(file)?)?;
        for doc in docs.iter().filter(|d| d.is_object()) {
            kinds.insert((
                doc["apiVersion"].as_str().unwrap_or_default().to_owned(),
                doc["kind"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    let schemas = dir.path().join("schemas");
    std::fs::create_dir_all(&schemas)?;
    let written = write_schemas(&openapi, &kinds, &schemas)?;
    eprintln!(
        "    {} schemas from the API server for {} kinds",
        written,
        kinds.len()
    );
    run_cmd(
        Command::new(tools::kubeconform()?)
            .args(["-strict", "-summary", "-schema-location"])
            .arg(format!(
                "{}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
                schemas.display()
            ))
            // The Prometheus Operator's CRD is not installed on the control plane.
            .args(["-skip", "ServiceMonitor"])
            .args(&rendered),
    )
}

/// kubeconform's file name for a kind: `deployment-apps-v1.json`, `service-v1.json`.
fn schema_file_name(api_version: &str, kind: &str) -> String {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let group = group.split('.').next().unwrap_or_default();
    if group.is_empty() {
        format!("{}-{}.json", kind.to_lowercase(), version.to_lowercase())
    } else {
        format!(
            "{}-{}-{}.json",
            kind.to_lowercase(),
            group.to_lowercase(),
            version.to_lowercase()
        )
    }
}

/// Standalone, strict JSON schemas for `kinds` from an OpenAPI v2 document: references inlined,
/// unknown properties refused, quantities and int-or-strings accepting both forms.
fn write_schemas(
    openapi: &Value,
    kinds: &BTreeSet<(String, String)>,
    dir: &Path,
) -> anyhow::Result<usize> {
    let definitions = openapi["definitions"]
        .as_object()
        .context("the OpenAPI document has no definitions")?;
    let mut written = 0;
    for (name, definition) in definitions {
        for gvk in definition["x-kubernetes-group-version-kind"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let group = gvk["group"].as_str().unwrap_or_default();
            let version = gvk["version"].as_str().unwrap_or_default();
            let kind = gvk["kind"].as_str().unwrap_or_default();
            let api_version = if group.is_empty() {
                version.to_owned()
            } else {
                format!("{group}/{version}")
            };
            if !kinds.contains(&(api_version.clone(), kind.to_owned())) {
                continue;
            }
            let mut stack = vec![name.clone()];
            let schema = expand(definition, definitions, &mut stack);
            std::fs::write(
                dir.join(schema_file_name(&api_version, kind)),
                serde_json::to_vec(&schema)?,
            )?;
            written += 1;
        }
    }
    for (api_version, kind) in kinds {
        if kind != "ServiceMonitor" && !dir.join(schema_file_name(api_version, kind)).exists() {
            bail!("the API server publishes no schema for {api_version} {kind}");
        }
    }
    Ok(written)
}

fn expand(schema: &Value, definitions: &Map<String, Value>, stack: &mut Vec<String>) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/definitions/");
        if name.ends_with(".util.intstr.IntOrString") {
            return json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
        }
        if name.ends_with(".api.resource.Quantity") {
            return json!({"oneOf": [{"type": "string"}, {"type": "number"}]});
        }
        // A recursive type (JSONSchemaProps) is left open below its first level.
        if stack.iter().any(|n| n == name) {
            return json!({});
        }
        let Some(target) = definitions.get(name) else {
            return json!({});
        };
        stack.push(name.to_owned());
        let expanded = expand(target, definitions, stack);
        stack.pop();
        return expanded;
    }
    let mut out = Map::new();
    for (key, value) in object {
        let value = match key.as_str() {
            "properties" => Value::Object(
                value
                    .as_object()
                    .map(|props| {
                        props
                            .iter()
                            .map(|(k, v)| (k.clone(), expand(v, definitions, stack)))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            "items" | "additionalProperties" if value.is_object() => {
                expand(value, definitions, stack)
            }
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| expand(v, definitions, stack))
                    .collect(),
            ),
            // Kubernetes serialises empty optional fields as null.
            "type" => match value.as_str() {
                Some(t) => json!([t, "null"]),
                None => value.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    if out.contains_key("properties") && !out.contains_key("additionalProperties") {
        out.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    Value::Object(out)
}

/// Compose for real: the stack starts healthy from the built images, a sign-in and a project
/// go through nginx, the project survives a restart of the whole stack, and `down -v` removes
/// everything. Logs of every service are saved when a step fails.
pub fn compose_e2e(engine: &Engine, tag: &str) -> anyhow::Result<()> {
    let root = workspace_root();
    let artifacts = root.join("target/artifacts/compose");
    std::fs::create_dir_all(&artifacts)?;
    let port = free_port()?;
    let admin_password = random_hex(16)?;
    let env_file = artifacts.join("test.env");
    std::fs::write(
        &env_file,
        format!(
            "MONIHUB_DATABASE_PASSWORD={}\nMONIHUB_JWT_SECRET={}\nMONIHUB_ADMIN_PASSWORD={admin_password}\nMONIHUB_PORT={port}\nMONIHUB_VERSION={tag}\n",
            random_hex(24)?,
            random_hex(32)?,
        ),
    )?;
    let stack = Stack {
        engine,
        compose: tools::compose()?,
        env_file,
        artifacts,
    };
    let result = stack.exercise(port, &admin_password);
    if result.is_err() {
        stack.save_logs();
    }
    step("removing the Compose stack and its volume (down -v)");
    let down = stack.run(&["down", "--volumes", "--remove-orphans", "--timeout", "20"]);
    result?;
    down?;
    let volumes = output(engine.docker().args([
        "volume",
        "ls",
        "--quiet",
        "--filter",
        "label=com.docker.compose.project=monihub-ci",
    ]))?;
    anyhow::ensure!(
        volumes.stdout.iter().all(u8::is_ascii_whitespace),
        "down -v left volumes behind: {}",
        String::from_utf8_lossy(&volumes.stdout)
    );
    Ok(())
}

struct Stack<'a> {
    engine: &'a Engine,
    compose: PathBuf,
    env_file: PathBuf,
    artifacts: PathBuf,
}

impl Stack<'_> {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.compose);
        self.engine.configure(&mut cmd);
        cmd.current_dir(workspace_root())
            .args([
                "--project-name",
                "monihub-ci",
                "-f",
                COMPOSE_FILE,
                "--env-file",
            ])
            .arg(&self.env_file);
        cmd
    }

    fn run(&self, args: &[&str]) -> anyhow::Result<()> {
        run_cmd(self.command().args(args))
    }

    fn up(&self) -> anyhow::Result<()> {
        self.run(&[
            "up",
            "--detach",
            "--no-build",
            "--wait",
            "--wait-timeout",
            "240",
        ])
    }

    fn exercise(&self, port: u16, admin_password: &str) -> anyhow::Result<()> {
        step("starting the Compose stack (postgres → migrate → server → frontend, healthy)");
        self.up()?;
        let base = format!("http://127.0.0.1:{port}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?;
            step("through nginx: the console loads, a sign-in works, a project is created");
            console_smoke(&client, &base, admin_password, "compose-check").await?;
            anyhow::Ok(())
        })?;

        step("restarting the whole stack (down, up) and checking the project is still there");
        self.run(&["down", "--timeout", "20"])?;
        self.up()?;
        runtime.block_on(async {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?;
            let token = sign_in(&client, &base, admin_password).await?;
            let projects = api_get(&client, &base, "/api/v1/projects", &token).await?;
            anyhow::ensure!(
                projects.to_string().contains("compose-check"),
                "the project did not survive the restart: {projects}"
            );
            anyhow::Ok(())
        })
    }

    fn save_logs(&self) {
        let path = self.artifacts.join("logs.txt");
        if let Ok(out) = self
            .command()
            .args(["logs", "--no-color", "--timestamps"])
            .output()
        {
            let _ = std::fs::write(&path, [out.stdout, out.stderr].concat());
            eprintln!("    the services' logs are in {}", path.display());
        }
        if let Ok(out) = self.command().args(["ps", "--all"]).output() {
            eprintln!("{}", String::from_utf8_lossy(&out.stdout));
        }
    }
}

/// Through the console's address: the app loads, the first admin signs in and creates a project
/// with the code `code`.
pub(crate) async fn console_smoke(
    client: &reqwest::Client,
    base: &str,
    password: &str,
    code: &str,
) -> anyhow::Result<()> {
    let index = client.get(format!("{base}/")).send().await?;
    anyhow::ensure!(
        index.status().is_success(),
        "the console answered {}",
        index.status()
    );
    let body = index.text().await?;
    anyhow::ensure!(
        body.contains("<div id=\"root\">"),
        "not the console: {body}"
    );
    let token = sign_in(client, base, password).await?;
    let created = client
        .post(format!("{base}/api/v1/projects"))
        .bearer_auth(&token)
        .json(&json!({"name": format!("Check {code}"), "code": code}))
        .send()
        .await?;
    anyhow::ensure!(
        created.status().as_u16() == 201,
        "creating a project answered {}: {}",
        created.status(),
        created.text().await.unwrap_or_default()
    );
    Ok(())
}

/// `GET base+path` with a bearer token, as JSON; an error status fails.
pub(crate) async fn api_get(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
) -> anyhow::Result<Value> {
    Ok(client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Sign in as the first admin; a server that just became healthy may still be warming up.
pub(crate) async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    password: &str,
) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let response = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": password}))
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => {
                let body: Value = r.json().await?;
                return body["access_token"]
                    .as_str()
                    .map(str::to_owned)
                    .context("no access_token in the sign-in answer");
            }
            Ok(r) if Instant::now() > deadline => {
                bail!(
                    "sign-in answered {}: {}",
                    r.status(),
                    r.text().await.unwrap_or_default()
                )
            }
            Err(e) if Instant::now() > deadline => bail!("sign-in failed: {e}"),
            _ => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

/// `n` random bytes as hex, from the kernel.
pub(crate) fn random_hex(n: usize) -> anyhow::Result<String> {
    use rand::RngCore;
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_file_names_follow_kubeconform() {
        assert_eq!(schema_file_name("v1", "Service"), "service-v1.json");
        assert_eq!(
            schema_file_name("apps/v1", "Deployment"),
            "deployment-apps-v1.json"
        );
        assert_eq!(
            schema_file_name("rbac.authorization.k8s.io/v1", "ClusterRole"),
            "clusterrole-rbac-v1.json"
        );
        assert_eq!(
            schema_file_name("monihub.aione.tech/v1alpha1", "MoniHub"),
            "monihub-monihub-v1alpha1.json"
        );
    }

    #[test]
    fn schemas_inline_references_refuse_unknown_fields_and_stop_at_recursion() {
        let openapi = json!({"definitions": {
            "io.k8s.api.x.v1.Thing": {
                "type": "object",
                "properties": {
                    "port": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
                    "child": {"$ref": "#/definitions/io.k8s.api.x.v1.Thing"},
                    "size": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity"}
                },
                "x-kubernetes-group-version-kind": [{"group": "x", "version": "v1", "kind": "Thing"}]
            }
        }});
        let kinds = BTreeSet::from([("x/v1".to_owned(), "Thing".to_owned())]);
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(write_schemas(&openapi, &kinds, dir.path()).unwrap(), 1);
        let schema: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("thing-x-v1.json")).unwrap())
                .unwrap();
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["type"], json!(["object", "null"]));
        assert_eq!(schema["properties"]["port"]["oneOf"][1]["type"], "integer");
        assert_eq!(schema["properties"]["size"]["oneOf"][1]["type"], "number");
        assert_eq!(schema["properties"]["child"], json!({}));

        let missing = BTreeSet::from([("y/v1".to_owned(), "Other".to_owned())]);
        assert!(write_schemas(&openapi, &missing, dir.path()).is_err());
    }
}
