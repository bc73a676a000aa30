//! `cargo xtask bench operator`: the release operator against a fresh local control plane (kwok
//! makes pods Ready and Jobs complete): time from applying N resources to all Ready, the
//! operator's peak resident memory, and the mutating requests a no-op resync of every resource
//! makes, counted from the API server's own `apiserver_request_total`.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

use crate::testenv;
use crate::util::{free_port, run_cmd, step, workspace_root};

use super::{machine, median, write_section};

#[derive(clap::Args)]
pub struct OperatorArgs {
    /// Runs per resource count (the median is reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Resource counts to apply at once.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 50, 200])]
    counts: Vec<usize>,
}

/// Resources whose writes count as the operator's (events included); status subresources of
/// other kinds are the built-in controllers'.
const OPERATOR_RESOURCES: [&str; 9] = [
    "monihubs",
    "secrets",
    "configmaps",
    "services",
    "deployments",
    "statefulsets",
    "jobs",
    "ingresses",
    "poddisruptionbudgets",
];
const MUTATING: [&str; 5] = ["POST", "PUT", "PATCH", "APPLY", "DELETE"];
/// Upper bound for one batch to become Ready.
const READY_TIMEOUT: Duration = Duration::from_secs(600);

struct Kube<'a> {
    kubeconfig: &'a Path,
    path: &'a OsStr,
}

impl Kube<'_> {
    fn kubectl(&self) -> Command {
        let mut c = Command::new("kubectl");
        c.env("KUBECONFIG", self.kubeconfig).env("PATH", self.path);
        c
    }

    fn run(&self, args: &[&str]) -> anyhow::Result<()> {
        run_cmd(self.kubectl().args(args).stdout(Stdio::null()))
    }

    fn output(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = self.kubectl().args(args).output()?;
        if !out.status.success() {
            bail!(
                "kubectl {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8(out.stdout)?)
    }

    fn apply_stdin(&self, manifest: &str) -> anyhow::Result<()> {
        let mut child = self
            .kubectl()
            .args(["apply", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        child
            .stdin
            .take()
            .context("kubectl stdin")?
            .write_all(manifest.as_bytes())?;
        let status = child.wait()?;
        if !status.success() {
            bail!("kubectl apply failed ({status})");
        }
        Ok(())
    }

    /// How many MoniHubs in `namespace` are Ready.
    fn ready(&self, namespace: &str) -> anyhow::Result<usize> {
        let list: Value = serde_json::from_str(
            &self.output(&["get", "monihubs", "-n", namespace, "-o", "json"])?,
        )?;
        Ok(list["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter(|h| {
                        h["status"]["conditions"].as_array().is_some_and(|cs| {
                            cs.iter()
                                .any(|c| c["type"] == "Ready" && c["status"] == "True")
                        })
                    })
                    .count()
            })
            .unwrap_or(0))
    }

    /// The API server's mutating requests on the operator's kinds so far.
    fn mutating_requests(&self) -> anyhow::Result<u64> {
        let text = self.output(&["get", "--raw", "/metrics"])?;
        Ok(count_mutating(&text))
    }
}

/// Sum `apiserver_request_total` over mutating verbs on [`OPERATOR_RESOURCES`] (any
/// subresource of `monihubs`, none of the others) and events.
fn count_mutating(metrics: &str) -> u64 {
    let mut total = 0;
    for line in metrics.lines() {
        let Some(rest) = line.strip_prefix("apiserver_request_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once("} ") else {
            continue;
        };
        let labels: BTreeMap<&str, &str> = labels
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k, v.trim_matches('"')))
            .collect();
        let resource = labels.get("resource").copied().unwrap_or_default();
        let subresource = labels.get("subresource").copied().unwrap_or_default();
        let verb = labels.get("verb").copied().unwrap_or_default();
        let ours = resource == "events"
            || resource == "monihubs"
            || (OPERATOR_RESOURCES.contains(&resource) && subresource.is_empty());
        if ours && MUTATING.contains(&verb) {
            total += value.trim().parse::<f64>().unwrap_or(0.0) as u64;
        }
    }
    total
}

/// The release operator as a process, with its metrics port.
struct OperatorProcess {
    child: Child,
    port: u16,
}

impl OperatorProcess {
    fn start(binary: &Path, kube: &Kube<'_>, log: &Path) -> anyhow::Result<Self> {
        let port = free_port()?;
        let log_file = std::fs::File::create(log)?;
        let child = Command::new(binary)
            .args([
                "run",
                "--leader-elect=false",
                "--log-format=text",
                &format!("--metrics-bind=127.0.0.1:{port}"),
            ])
            .env("KUBECONFIG", kube.kubeconfig)
            .env("RUST_LOG", "warn")
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("failed to start {}", binary.display()))?;
        let process = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while process.get("/readyz").is_err() {
            if Instant::now() > deadline {
                bail!("the operator never became ready; see {}", log.display());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(process)
    }

    fn get(&self, path: &str) -> anyhow::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        if !response.starts_with("HTTP/1.1 200") {
            bail!("{path}: {}", response.lines().next().unwrap_or_default());
        }
        Ok(response)
    }

    fn reconciles(&self) -> anyhow::Result<u64> {
        let text = self.get("/metrics")?;
        Ok(text
            .lines()
            .find_map(|l| l.strip_prefix("monihub_operator_reconciles_total "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0))
    }

    /// Peak resident memory (VmHWM) in MiB.
    fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .context("no VmHWM")?;
        Ok(kib / 1024.0)
    }

    fn stop(mut self) {
        crate::util::terminate(&mut self.child, Duration::from_secs(30));
    }
}

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn manifest(namespace: &str, count: usize) -> String {
    let mut out = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n---\n\
         apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: {namespace}\n\
         stringData:\n  url: postgres://monihub:bench@db.example.com:5432/monihub\n"
    );
    for i in 0..count {
        out.push_str(&format!(
            "---\napiVersion: monihub.aione.tech/v1alpha1\nkind: MoniHub\nmetadata:\n  \
             name: hub-{i}\n  namespace: {namespace}\nspec:\n  version: 0.1.0\n  database:\n    \
             external:\n      urlSecretRef: {{name: db, key: url}}\n"
        ));
    }
    out
}

fn wait_ready(kube: &Kube<'_>, namespace: &str, count: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut last_report = Instant::now();
    loop {
        let ready = kube.ready(namespace)?;
        if ready == count {
            return Ok(started.elapsed());
        }
        if started.elapsed() > READY_TIMEOUT {
            bail!("only {ready}/{count} Ready after {READY_TIMEOUT:?}");
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            step(&format!(
                "    {ready}/{count} Ready after {:.0?}",
                started.elapsed()
            ));
            last_report = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

struct Results {
    seconds: BTreeMap<usize, Vec<f64>>,
    peak_rss_mib: f64,
    resources_at_peak: usize,
    resync_resources: usize,
    resync_mutating: u64,
    resync_reconciles: u64,
}

pub fn operator(args: OperatorArgs) -> anyhow::Result<()> {
    if args.runs == 0 || args.counts.is_empty() {
        bail!("--runs and --counts must not be empty");
    }
    step("building the release operator");
    run_cmd(
        Command::new(env!("CARGO"))
            .current_dir(workspace_root())
            .args(["build", "--release", "-p", "monihub-operator"]),
    )?;
    let binary = super::release_dir().join("monihub-operator");
    let logs = workspace_root().join("target").join("bench");
    std::fs::create_dir_all(&logs)?;
    let results = testenv::with_control_plane(|kubeconfig, path| {
        let kube = Kube { kubeconfig, path };
        let crd = workspace_root()
            .join("crds")
            .join("monihub.aione.tech_monihubs.yaml");
        kube.run(&["apply", "--server-side", "-f", &crd.to_string_lossy()])?;
        kube.run(&[
            "wait",
            "--for=condition=Established",
            "crd/monihubs.monihub.aione.tech",
        ])?;
        measure(&args, &binary, &kube, &logs)
    })?;
    write_results(&args, &results)
}

fn measure(
    args: &OperatorArgs,
    binary: &Path,
    kube: &Kube<'_>,
    logs: &Path,
) -> anyhow::Result<Results> {
    let operator = OperatorProcess::start(binary, kube, &logs.join("operator.log"))?;
    let mut seconds: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    let mut last_namespace = String::new();
    let mut last_count = 0;
    for &count in &args.counts {
        for run in 1..=args.runs {
            // The previous batch goes first, so each batch is measured alone.
            if !last_namespace.is_empty() {
                kube.run(&["delete", "namespace", &last_namespace, "--wait=true"])?;
            }
            let namespace = format!("bench-{count}-{run}");
            step(&format!(
                "applying {count} MoniHub resource(s) (run {run}/{}) and waiting for all Ready",
                args.runs
            ));
            let started = Instant::now();
            kube.apply_stdin(&manifest(&namespace, count))?;
            wait_ready(kube, &namespace, count)?;
            let elapsed = started.elapsed();
            step(&format!("    all {count} Ready in {elapsed:.1?}"));
            seconds
                .entry(count)
                .or_default()
                .push(elapsed.as_secs_f64());
            last_namespace = namespace;
            last_count = count;
        }
    }
    let peak_rss_mib = operator.peak_rss_mib()?;
    operator.stop();

    // A no-op resync: a fresh operator reconciles every resource once on start. Everything
    // is converged, so it should write nothing.
    step(&format!(
        "restarting the operator over {last_count} converged resources and counting its writes"
    ));
    let before = kube.mutating_requests()?;
    let operator = OperatorProcess::start(binary, kube, &logs.join("operator-resync.log"))?;
    let deadline = Instant::now() + Duration::from_secs(300);
    while operator.reconciles()? < last_count as u64 {
        if Instant::now() > deadline {
            bail!("the restarted operator did not reconcile every resource");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    // Let any write that a pass started land before counting.
    std::thread::sleep(Duration::from_secs(2));
    let resync_reconciles = operator.reconciles()?;
    let after = kube.mutating_requests()?;
    operator.stop();
    Ok(Results {
        seconds,
        peak_rss_mib,
        resources_at_peak: last_count,
        resync_resources: last_count,
        resync_mutating: after.saturating_sub(before),
        resync_reconciles,
    })
}

fn write_results(args: &OperatorArgs, results: &Results) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let mut text = String::new();
    writeln!(text, "## Operator (`cargo xtask bench operator`)\n")?;
    writeln!(
        text,
        "Measured {} on {}. Release build of `monihub-operator` (one replica, no leader \
         election) against a fresh local control plane (etcd, kube-apiserver, \
         controller-manager, scheduler; kwok makes pods Ready and Jobs complete, so no container \
         runs). Each batch applies N resources with an external database in a new namespace \
         with one `kubectl apply`; the time runs from the apply to every resource reporting \
         `Ready=True` (polled every 250 ms), through the migration Job, the server and the \
         console Deployments. Medians of {} runs per N; the previous batch's namespace is \
         deleted first.\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        machine(),
        args.runs
    )?;
    writeln!(
        text,
        "| resources applied at once | median time to all Ready | runs |"
    )?;
    writeln!(text, "|---|---|---|")?;
    for (count, runs) in &results.seconds {
        let list: Vec<String> = runs.iter().map(|s| format!("{s:.1} s")).collect();
        writeln!(
            text,
            "| {count} | {:.1} s | {} |",
            median(runs.clone()),
            list.join(", ")
        )?;
    }
    writeln!(
        text,
        "\n| measurement | result | target |\n|---|---|---|\n\
         | operator peak resident memory (VmHWM over the whole run, ending with {} resources) | {:.0} MiB | < 64 MiB |\n\
         | mutating requests of a no-op resync of {} resources ({} passes; `apiserver_request_total`, verbs POST/PUT/PATCH/APPLY/DELETE on the operator's kinds and events) | {} | 0 |",
        results.resources_at_peak,
        results.peak_rss_mib,
        results.resync_resources,
        results.resync_reconciles,
        results.resync_mutating
    )?;
    write_section("Operator", &text)?;
    print!("{text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_operators_writes_are_counted() {
        let metrics = r#"# HELP apiserver_request_total x
apiserver_request_total{code="201",component="apiserver",dry_run="",group="apps",resource="deployments",scope="resource",subresource="",verb="APPLY",version="v1"} 12
apiserver_request_total{code="200",component="apiserver",dry_run="",group="apps",resource="deployments",scope="resource",subresource="status",verb="PUT",version="v1"} 40
apiserver_request_total{code="200",component="apiserver",dry_run="",group="monihub.aione.tech",resource="monihubs",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 3
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="status",verb="PATCH",version="v1"} 99
apiserver_request_total{code="200",component="apiserver",dry_run="",group="apps",resource="deployments",scope="resource",subresource="",verb="GET",version="v1"} 500
apiserver_request_total{code="201",component="apiserver",dry_run="",group="events.k8s.io",resource="events",scope="resource",subresource="",verb="POST",version="v1"} 2
"#;
        assert_eq!(count_mutating(metrics), 12 + 3 + 2);
    }

    #[test]
    fn the_batch_manifest_holds_every_resource() {
        let text = manifest("ns", 3);
        assert_eq!(text.matches("kind: MoniHub").count(), 3);
        assert!(text.contains("name: hub-2"));
        assert!(text.contains("kind: Namespace"));
    }
}
