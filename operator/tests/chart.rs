//! The Helm chart on the local control plane: `helm install` creates the CRD, the ServiceAccount
//! and the RBAC it promises; the operator binary, run with the flags of the chart's Deployment
//! and authenticated as the chart's ServiceAccount, passes its permission check and reconciles an
//! example; `helm uninstall` keeps the CRD. (The control plane's nodes run no containers, so the
//! Deployment's pod is not the one that runs the binary; the kind tier runs the image.)

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{create, example, wait_ready};
use k8s_openapi::api::rbac::v1::{ClusterRole, Role};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use monihub_operator::MoniHub;
use monihub_testenv::TestEnv;
use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_monihub-operator");
const CRD: &str = "monihubs.monihub.aione.tech";

fn chart_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../helm/monihub-operator")
}

/// Runs `helm` (the control plane's matching build is first on PATH in CI) and fails with its
/// output when it fails.
fn helm(args: &[&str]) -> anyhow::Result<Output> {
    let out = Command::new("helm").args(args).output()?;
    anyhow::ensure!(
        out.status.success(),
        "helm {} failed: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out)
}

/// `helm install` into the test's namespace. The CRD may already exist (the other suites install
/// it), so the release takes it over.
fn install(release: &str, namespace: &str, values: &[&str]) -> anyhow::Result<()> {
    let chart = chart_dir();
    let mut args = vec![
        "install",
        release,
        chart.to_str().unwrap(),
        "--namespace",
        namespace,
        "--take-ownership",
    ];
    for value in values {
        args.extend(["--set", value]);
    }
    helm(&args).map(drop)
}

/// The objects of a release, as Helm applied them.
fn manifest(release: &str, namespace: &str) -> anyhow::Result<Vec<Value>> {
    let out = helm(&["get", "manifest", release, "--namespace", namespace])?;
    let docs: Vec<Value> = serde_saphyr::from_multiple(&String::from_utf8(out.stdout)?)?;
    Ok(docs.into_iter().filter(|d| d.is_object()).collect())
}

fn object<'a>(docs: &'a [Value], kind: &str) -> anyhow::Result<&'a Value> {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .ok_or_else(|| anyhow::anyhow!("the release has no {kind}"))
}

/// Kills the operator when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn chart_installs_an_operator_that_reconciles_with_its_own_rbac() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("op-chart").await? else {
        return Ok(());
    };
    let ns = env.namespace().to_owned();
    let release = ns.clone();
    install(
        &release,
        &ns,
        &[&format!("watchNamespaces={{{ns}}}"), "image.tag=test"],
    )?;
    let docs = manifest(&release, &ns)?;

    // The CRD is part of the release, marked to survive it.
    let crd = object(&docs, "CustomResourceDefinition")?;
    assert_eq!(crd["metadata"]["name"], CRD);
    assert_eq!(
        crd["metadata"]["annotations"]["helm.sh/resource-policy"],
        "keep"
    );
    // Per-namespace RBAC: a Role with exactly the operator's rules, and no ClusterRole.
    assert!(docs.iter().all(|d| d["kind"] != "ClusterRole"));
    let roles: Api<Role> = env.api();
    let role = roles.get(&format!("{release}-monihub-operator")).await?;
    let expected = monihub_operator::preflight::rules(monihub_operator::preflight::RBAC_RULES)?;
    assert_eq!(
        role.rules.unwrap_or_default().len(),
        expected.len(),
        "the Role holds the rules of files/rbac-rules.yaml"
    );

    // The Deployment's flags and ServiceAccount.
    let deployment = object(&docs, "Deployment")?;
    let pod = &deployment["spec"]["template"]["spec"];
    let account = pod["serviceAccountName"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no serviceAccountName"))?;
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "monihub/operator:test");
    let args: Vec<String> = container["args"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no args"))?
        .iter()
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    assert!(
        args.contains(&format!("--watch-namespaces={ns}")),
        "{args:?}"
    );
    assert!(args.contains(&"--leader-elect=true".to_owned()), "{args:?}");

    // Run the binary with those flags (the metrics address moved to a free loopback port) and
    // the pod's environment, authenticated as the chart's ServiceAccount.
    let dir = tempfile::tempdir()?;
    let kubeconfig = common::service_account_kubeconfig(&env, account, dir.path()).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let args: Vec<String> = args
        .into_iter()
        .map(|a| {
            if a.starts_with("--metrics-bind=") {
                format!("--metrics-bind=127.0.0.1:{port}")
            } else {
                a
            }
        })
        .collect();
    let mut operator = Running(
        Command::new(BINARY)
            .args(&args)
            .env("KUBECONFIG", &kubeconfig)
            .env("POD_NAME", "chart-operator")
            .env("POD_NAMESPACE", &ns)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?,
    );
    let deadline = Instant::now() + common::TIMEOUT;
    while !common::http_get(port, "/readyz").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the operator never passed its permission check"
        );
        anyhow::ensure!(
            operator.0.try_wait()?.is_none(),
            "the operator exited: its permission check failed under the chart's RBAC"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let hubs: Api<MoniHub> = env.api();
    create(&hubs, example("minimal")).await?;
    wait_ready(&hubs, "monihub", "0.1.0").await?;
    drop(operator);

    // Uninstalling removes the operator's objects but keeps the CRD (and so every MoniHub).
    helm(&["uninstall", &release, "--namespace", &ns, "--wait"])?;
    assert!(
        roles
            .get_opt(&format!("{release}-monihub-operator"))
            .await?
            .is_none()
    );
    let crds: Api<CustomResourceDefinition> = Api::all(env.client());
    assert!(crds.get_opt(CRD).await?.is_some(), "the CRD was kept");
    assert!(hubs.get_opt("monihub").await?.is_some());
    env.cleanup().await
}

#[tokio::test]
async fn cluster_wide_install_grants_every_permission_the_operator_checks() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("op-chart-cw").await? else {
        return Ok(());
    };
    let ns = env.namespace().to_owned();
    let release = ns.clone();
    install(&release, &ns, &[])?;
    let docs = manifest(&release, &ns)?;
    assert!(docs.iter().all(|d| {
        d["kind"] != "Role"
            || d["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("-leader-election"))
    }));
    let account = object(&docs, "Deployment")?["spec"]["template"]["spec"]["serviceAccountName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // The operator's own preflight, as the chart's ServiceAccount: every permission, in every
    // namespace, plus the leader-election Lease in the release's namespace. (The operator is not
    // run: cluster-wide, it would reconcile the other suites' resources.)
    let client = env.service_account_client(&account).await?;
    monihub_operator::preflight::check(&client, &[], Some(&ns)).await?;
    // …which fails for an account the chart did not bind.
    let stranger = env.service_account_client("default").await?;
    let err = monihub_operator::preflight::check(&stranger, &[], Some(&ns))
        .await
        .expect_err("an unbound account lacks the operator's permissions");
    assert!(format!("{err:#}").contains("monihubs"), "{err:#}");

    helm(&["uninstall", &release, "--namespace", &ns, "--wait"])?;
    let cluster_roles: Api<ClusterRole> = Api::all(env.client());
    assert!(
        cluster_roles
            .get_opt(&format!("{release}-monihub-operator"))
            .await?
            .is_none()
    );
    env.cleanup().await
}
