//! `cargo xtask bench server`: the server's throughput, measured with wrk (Debian's package)
//! against a release build on a throwaway PostgreSQL, all on this machine. Results go to
//! `BENCHMARKS.md` as medians of several runs, with the machine and the method.
//!
//! - report ingestion: `POST /api/v1/agent/report` from 1,000 distinct agents at fixed
//!   concurrency;
//! - instance list: `GET /api/v1/instances?per_page=50` with 10,000 instances;
//! - idle long-polls: 10,000 agents waiting in `GET /api/v1/agent/tasks?wait=60` at once, with
//!   the server's resident memory and the database statements per second while they wait.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::apifuzz::database::{Backend, FreshDatabase};
use crate::apifuzz::server::{RunningServer, Secrets};
use crate::postgres::TestPostgres;
use crate::util::{run_cmd, step, workspace_root};

mod agent;
mod kind;
mod operator;

#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    target: BenchTarget,
}

#[derive(clap::Subcommand)]
enum BenchTarget {
    /// Report ingestion and instance listing on PostgreSQL.
    Server(ServerArgs),
    /// Time to Ready, memory and no-op writes of the operator on the local control plane.
    Operator(operator::OperatorArgs),
    /// The host agent's memory, CPU and size while it reports every 10 s.
    Agent(agent::AgentArgs),
    /// MoniHub on kind: apply → Ready with real images, image sizes, container memory.
    Kind(kind::KindArgs),
}

#[derive(clap::Args)]
struct ServerArgs {
    /// Runs per measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Seconds per run.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// Connections for report ingestion.
    #[arg(long, default_value_t = 64)]
    connections: u32,
}

pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    match args.target {
        BenchTarget::Server(args) => server(args),
        BenchTarget::Operator(args) => operator::operator(args),
        BenchTarget::Agent(args) => agent::agent(args),
        BenchTarget::Kind(args) => kind::kind(args),
    }
}

/// One wrk run's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
struct WrkRun {
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `1.23ms`, `456.00us`, `1.20s` → milliseconds.
fn parse_duration_ms(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    number.trim().parse::<f64>().ok().map(|n| n * factor)
}

/// Reads wrk's `--latency` output.
fn parse_wrk(output: &str) -> anyhow::Result<WrkRun> {
    let mut run = WrkRun {
        requests_per_sec: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        errors: 0,
    };
    for line in output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", value] => run.requests_per_sec = value.parse()?,
            ["50%", value] => run.p50_ms = parse_duration_ms(value).context("p50")?,
            ["99%", value] => run.p99_ms = parse_duration_ms(value).context("p99")?,
            ["Non-2xx", "or", "3xx", "responses:", n] => run.errors += n.parse::<u64>()?,
            ["Socket", "errors:", rest @ ..] => {
                run.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    if run.requests_per_sec == 0.0 {
        bail!("wrk printed no throughput:\n{output}");
    }
    Ok(run)
}

/// Round-robin over 1,000 agents per thread, each report a little different.
const REPORT_SCRIPT: &str = r#"
local counter = 0
local token = os.getenv("MONIHUB_AGENT_TOKEN")
request = function()
  counter = counter + 1
  local agent = counter % 1000
  local body = string.format([[{"agent_instance_id":"bench-%d","agent_version":"bench",
    "reported_at":"%s","system":{"os_type":"linux","hostname":"bench-%d.local"},
    "hardware":{"cpu_usage_percent":%d,"memory_total_bytes":8589934592,
    "memory_used_bytes":4294967296,"disk_total_bytes":107374182400,
    "disk_used_bytes":53687091200},"custom_metrics":{"seq":%d}}]],
    agent, os.date("!%Y-%m-%dT%H:%M:%SZ"), agent, counter % 100, counter)
  return wrk.format("POST", "/api/v1/agent/report",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
"#;

const LIST_SCRIPT: &str = r#"
local token = os.getenv("MONIHUB_ADMIN_TOKEN")
wrk.headers["Authorization"] = "Bearer " .. token
wrk.path = "/api/v1/instances?per_page=50"
"#;

/// Where release builds land.
fn release_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("release")
}

fn release_binary() -> PathBuf {
    release_dir().join("monihub-server")
}

fn ensure_wrk() -> anyhow::Result<()> {
    crate::util::ensure_packages("wrk", &["wrk"])
}

fn run_wrk(
    script: &std::path::Path,
    base_url: &str,
    connections: u32,
    seconds: u64,
    env: &[(&str, &str)],
) -> anyhow::Result<WrkRun> {
    let mut command = Command::new("wrk");
    command
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
        ])
        .arg("-s")
        .arg(script)
        .arg(base_url);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().context("failed to run wrk")?;
    if !output.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    parse_wrk(&String::from_utf8_lossy(&output.stdout))
}

fn summarize(runs: &[WrkRun]) -> (f64, f64, f64, u64) {
    (
        median(runs.iter().map(|r| r.requests_per_sec).collect()),
        median(runs.iter().map(|r| r.p50_ms).collect()),
        median(runs.iter().map(|r| r.p99_ms).collect()),
        runs.iter().map(|r| r.errors).sum(),
    )
}

fn server(args: ServerArgs) -> anyhow::Result<()> {
    if args.runs == 0 || args.seconds == 0 {
        bail!("--runs and --seconds must be at least 1");
    }
    ensure_wrk()?;
    step("building monihub-server (release)");
    run_cmd(
        Command::new(env!("CARGO"))
            .current_dir(workspace_root())
            .args(["build", "--release", "--locked", "-p", "monihub-server"]),
    )?;
    let postgres = TestPostgres::start()?;
    let database = FreshDatabase::create(Backend::Postgres, Some(&postgres.url()))?;
    let secrets = Secrets::generate()?;
    let work = tempfile::tempdir()?;
    let mut server = RunningServer::start(
        &release_binary(),
        database.url(),
        &secrets,
        &work.path().join("server.log"),
    )?;
    server.wait_ready()?;
    let admin = server.sign_in("admin", &secrets.admin_password)?;
    let base = server.base_url();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let agent_token = runtime.block_on(agent_token(&base, &admin.token))?;
    let report_script = work.path().join("report.lua");
    let list_script = work.path().join("list.lua");
    std::fs::write(&report_script, REPORT_SCRIPT)?;
    std::fs::write(&list_script, LIST_SCRIPT)?;

    let mut ingestion = Vec::new();
    for run in 1..=args.runs {
        step(&format!(
            "report ingestion, run {run}/{}: {} connections for {} s",
            args.runs, args.connections, args.seconds
        ));
        let result = run_wrk(
            &report_script,
            &base,
            args.connections,
            args.seconds,
            &[("MONIHUB_AGENT_TOKEN", &agent_token)],
        )?;
        println!("    {result:?}");
        ingestion.push(result);
        server.ensure_running()?;
    }

    step("registering 10,000 instances for the list benchmark");
    runtime.block_on(seed_instances(&base, &agent_token, 10_000))?;
    let mut listing = Vec::new();
    for run in 1..=args.runs {
        step(&format!(
            "instance list, run {run}/{}: 16 connections for {} s",
            args.runs, args.seconds
        ));
        let result = run_wrk(
            &list_script,
            &base,
            16,
            args.seconds,
            &[("MONIHUB_ADMIN_TOKEN", &admin.token)],
        )?;
        println!("    {result:?}");
        listing.push(result);
    }
    let idle = runtime.block_on(idle_long_polls(
        &server,
        &postgres,
        database.url(),
        &agent_token,
        10_000,
        args.runs,
    ))?;
    server.ensure_running()?;
    write_results(&args, &ingestion, &listing, &idle)?;
    drop(server);
    drop(database);
    drop(postgres);
    Ok(())
}

async fn agent_token(base: &str, admin: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        let request = client
            .post(format!("{base}{path}"))
            .bearer_auth(admin)
            .json(&body);
        async move {
            let reply = request.send().await?;
            if !reply.status().is_success() {
                bail!("{} answered {}", reply.url(), reply.status());
            }
            Ok::<Value, anyhow::Error>(reply.json().await?)
        }
    };
    let project = post(
        "/api/v1/projects",
        json!({"name": "Bench", "code": "bench"}),
    )
    .await?;
    let application = post(
        "/api/v1/applications",
        json!({"name": "Bench", "code": "bench-app", "project_id": project["id"]}),
    )
    .await?;
    let id = application["id"].as_str().context("application id")?;
    let issued = post(&format!("/api/v1/applications/{id}/agent-token"), json!({})).await?;
    Ok(issued["token"].as_str().context("agent token")?.to_owned())
}

async fn seed_instances(base: &str, token: &str, count: usize) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = Vec::with_capacity(count);
    for n in 0..count {
        let permit = semaphore.clone().acquire_owned().await?;
        let request = client
            .post(format!("{base}/api/v1/agent/report"))
            .bearer_auth(token)
            .json(&json!({
                "agent_instance_id": format!("fleet-{n}"),
                "agent_version": "bench",
                "reported_at": chrono::Utc::now(),
                "system": {"os_type": "linux", "hostname": format!("fleet-{n}.local")},
                "hardware": {"cpu_usage_percent": 5.0, "memory_total_bytes": 2,
                             "memory_used_bytes": 1, "disk_total_bytes": 2, "disk_used_bytes": 1}
            }));
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            for _ in 0..5 {
                if let Ok(reply) = request.try_clone().unwrap().send().await
                    && reply.status().is_success()
                {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            false
        }));
    }
    let mut failed = 0;
    for task in tasks {
        if !task.await? {
            failed += 1;
        }
    }
    if failed > 0 {
        bail!("{failed} of {count} instances could not be registered");
    }
    Ok(())
}

/// What holding many idle long-polls costs.
#[derive(Debug, Clone, Copy)]
struct IdleRun {
    agents: usize,
    rss_before_mib: f64,
    rss_waiting_mib: f64,
    statements_per_sec_baseline: f64,
    statements_per_sec_waiting: f64,
    window_secs: u64,
    rounds: usize,
}

/// How long each benchmark poll asks to wait: longer than opening them all and measuring.
const POLL_WAIT_SECS: u64 = 40;
/// After the polls end, time for the allocator to hand freed memory back before the next round.
const SETTLE_SECS: u64 = 15;

/// Seconds each statement-counting window lasts.
const IDLE_WINDOW_SECS: u64 = 10;

fn rss_mib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmRSS missing from /proc status")?;
    Ok(kib / 1024.0)
}

/// Statements the database executed so far (every database, every role).
fn statements(postgres: &TestPostgres, url: &str) -> anyhow::Result<f64> {
    let text = postgres.query_value(url, "SELECT sum(calls) FROM pg_stat_statements")?;
    text.parse()
        .with_context(|| format!("unexpected statement count {text:?}"))
}

/// Statements per second over one window, not counting the two that read the counter.
async fn statement_rate(postgres: &TestPostgres, url: &str) -> anyhow::Result<f64> {
    let before = statements(postgres, url)?;
    tokio::time::sleep(Duration::from_secs(IDLE_WINDOW_SECS)).await;
    let after = statements(postgres, url)?;
    Ok(((after - before - 1.0).max(0.0)) / IDLE_WINDOW_SECS as f64)
}

/// Whether what a long-poll connection received so far is the head of a 200 answer whose body
/// has not ended.
fn still_waiting(received: &[u8]) -> bool {
    let text = String::from_utf8_lossy(received).to_ascii_lowercase();
    text.starts_with("http/1.1 200")
        && text.contains("transfer-encoding: chunked")
        && !text.contains("\r\n0\r\n\r\n")
}

/// Opens `agents` connections, each sending one long-poll for its own instance (`fleet-N`,
/// registered by the list benchmark), and measures while they all wait.
async fn idle_long_polls(
    server: &RunningServer,
    postgres: &TestPostgres,
    url: &str,
    agent_token: &str,
    agents: usize,
    rounds: usize,
) -> anyhow::Result<IdleRun> {
    use tokio::io::AsyncWriteExt;

    postgres.query_value(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")?;
    let address = server.base_url().trim_start_matches("http://").to_owned();
    step(&format!(
        "idle long-polls: {IDLE_WINDOW_SECS} s of database statements with no agent waiting"
    ));
    let rss_before_mib = rss_mib(server.pid())?;
    let statements_per_sec_baseline = statement_rate(postgres, url).await?;

    let mut rss = Vec::with_capacity(rounds);
    let mut rates = Vec::with_capacity(rounds);
    for round in 1..=rounds.max(1) {
        step(&format!(
            "idle long-polls, round {round}/{rounds}: opening {agents} waiting agents"
        ));
        let mut connections = Vec::with_capacity(agents);
        for n in 0..agents {
            let mut stream = tokio::net::TcpStream::connect(&address)
                .await
                .with_context(|| {
                    format!("connection {n} failed (is `ulimit -n` above {agents}?)")
                })?;
            let request = format!(
                "GET /api/v1/agent/tasks?agent_instance_id=fleet-{n}&wait={POLL_WAIT_SECS} HTTP/1.1\r\n\
                 Host: {address}\r\nAuthorization: Bearer {agent_token}\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).await?;
            connections.push(stream);
            if (n + 1) % 2_000 == 0 {
                println!("    {} connected", n + 1);
            }
        }
        let opened = std::time::Instant::now();
        // Each poll looks for work once when it arrives; wait until those lookups are over.
        let mut last = statements(postgres, url)?;
        for _ in 0..30 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let now = statements(postgres, url)?;
            if now - last < 20.0 {
                break;
            }
            last = now;
        }
        step(&format!(
            "idle long-polls, round {round}/{rounds}: {IDLE_WINDOW_SECS} s of database statements \
             with {agents} agents waiting"
        ));
        let statements_per_sec_waiting = statement_rate(postgres, url).await?;
        let rss_waiting_mib = rss_mib(server.pid())?;
        // Every poll must still be waiting: an early answer (an error, a closed connection) would
        // make the figures meaningless. A waiting poll has its status line and headers (200, chunked)
        // and no end of body yet.
        let mut buffer = [0u8; 2048];
        let mut answered = 0;
        for stream in &connections {
            match stream.try_read(&mut buffer) {
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
                Ok(n) if n > 0 && still_waiting(&buffer[..n]) => {}
                _ => answered += 1,
            }
        }
        if answered > 0 {
            bail!(
                "{answered} of {agents} long-polls were answered or closed early; see the server log"
            );
        }
        drop(connections);
        println!(
            "    round {round}: {rss_waiting_mib:.0} MiB, {statements_per_sec_waiting:.2} statements/s"
        );
        rss.push(rss_waiting_mib);
        rates.push(statements_per_sec_waiting);
        // The server answers the polls when their wait ends; then its memory settles.
        let settled = opened + Duration::from_secs(POLL_WAIT_SECS + SETTLE_SECS);
        tokio::time::sleep(settled.saturating_duration_since(std::time::Instant::now())).await;
    }
    let run = IdleRun {
        agents,
        rss_before_mib,
        rss_waiting_mib: median(rss),
        statements_per_sec_baseline,
        statements_per_sec_waiting: median(rates),
        window_secs: IDLE_WINDOW_SECS,
        rounds: rounds.max(1),
    };
    println!("    {run:?}");
    Ok(run)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    format!("{cores} cores ({cpu})")
}

fn write_results(
    args: &ServerArgs,
    ingestion: &[WrkRun],
    listing: &[WrkRun],
    idle: &IdleRun,
) -> anyhow::Result<()> {
    let (rps, p50, p99, errors) = summarize(ingestion);
    let (list_rps, list_p50, list_p99, list_errors) = summarize(listing);
    let mut text = String::new();
    writeln!(text, "## Server (`cargo xtask bench server`)\n")?;
    writeln!(
        text,
        "Measured {} on {}. Release build of `monihub-server` on a throwaway PostgreSQL (the \
         distribution's packages; fsync, synchronous commit and full-page writes off, as for a \
         disposable test cluster); server, database and wrk share the machine. \
         Medians of {} runs of {} s each.\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        machine(),
        args.runs,
        args.seconds
    )?;
    writeln!(
        text,
        "| measurement | median req/s | p50 | p99 | non-2xx or socket errors | target |"
    )?;
    writeln!(text, "|---|---|---|---|---|---|")?;
    writeln!(
        text,
        "| report ingestion, {} connections, 1,000 agents | {rps:.0} | {p50:.1} ms | {p99:.1} ms | {errors} | ≥ 5,300/s, p99 < 50 ms |",
        args.connections
    )?;
    writeln!(
        text,
        "| instance list (10,000 instances, page of 50), 16 connections | {list_rps:.0} | {list_p50:.1} ms | {list_p99:.1} ms | {list_errors} | ≥ 1,100/s, p99 < 25 ms |"
    )?;
    writeln!(
        text,
        "\nIdle long-polls: {} agents each hold `GET /api/v1/agent/tasks?wait={}` open (one \
         connection each, opened by the benchmark itself, as fast as it can). The database's \
         statements are counted with `pg_stat_statements` over {} s, first with no agent waiting, \
         then with all of them waiting; the difference is what waiting costs. The remaining \
         statements are the server's periodic sweeps (task leases and timeouts every 5 s, \
         presence), which do not grow with the fleet. Resident memory is read from \
         `/proc/<pid>/status` at the end of the window. Medians of {} rounds; each round waits \
         for the polls to end and memory to settle before the next. (The benchmark's instances \
         report only once, so one round's window may also hold the presence sweep taking them \
         offline.)\n",
        idle.agents, POLL_WAIT_SECS, idle.window_secs, idle.rounds
    )?;
    writeln!(
        text,
        "| measurement | no agent waiting | {} agents waiting | target |",
        idle.agents
    )?;
    writeln!(text, "|---|---|---|---|")?;
    writeln!(
        text,
        "| server resident memory | {:.0} MiB | {:.0} MiB | < 200 MiB |",
        idle.rss_before_mib, idle.rss_waiting_mib
    )?;
    writeln!(
        text,
        "| database statements per second | {:.2} | {:.2} | none caused by waiting agents (original: 0.56 per agent) |",
        idle.statements_per_sec_baseline, idle.statements_per_sec_waiting
    )?;
    writeln!(text, "\nPer run:\n")?;
    for (name, runs) in [("ingestion", ingestion), ("list", listing)] {
        for run in runs {
            writeln!(
                text,
                "- {name}: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, errors {}",
                run.requests_per_sec, run.p50_ms, run.p99_ms, run.errors
            )?;
        }
    }
    write_section("Server", &text)?;
    print!("{text}");
    Ok(())
}

/// Replace the `## <name> (…)` section of `BENCHMARKS.md` with `text` (appending it when the
/// file has none), keeping the other sections.
fn write_section(name: &str, text: &str) -> anyhow::Result<()> {
    let path = workspace_root().join("BENCHMARKS.md");
    let header = "# Benchmarks\n\nNumbers from a shared, noisy machine: compare ratios, not absolutes. \
                  Reproduce with the command in each section's title.\n\n";
    let current = std::fs::read_to_string(&path).unwrap_or_else(|_| header.to_owned());
    std::fs::write(&path, replace_section(&current, name, text))?;
    step(&format!("results written to {}", path.display()));
    Ok(())
}

fn replace_section(current: &str, name: &str, text: &str) -> String {
    let marker = format!("## {name} (");
    let Some(start) = current.find(&marker) else {
        return format!("{}\n\n{}", current.trim_end(), text);
    };
    let end = current[start + marker.len()..]
        .find("\n## ")
        .map_or(current.len(), |i| start + marker.len() + i + 1);
    let after = &current[end..];
    let gap = if after.is_empty() { "\n" } else { "\n\n" };
    format!("{}{}{gap}{after}", &current[..start], text.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK_OUTPUT: &str = "Running 15s test @ http://127.0.0.1:1234
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    11.92ms    5.55ms  83.21ms   79.90%
  Latency Distribution
     50%   10.93ms
     75%   13.80ms
     90%   17.97ms
     99%   32.10ms
  81234 requests in 15.10s, 30.12MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
  Non-2xx or 3xx responses: 12
Requests/sec:   5379.73
Transfer/sec:      1.99MB
";

    #[test]
    fn sections_are_replaced_in_place() {
        let doc = "# B\n\n## Server (x)\nold server\n\n## Operator (y)\nold operator\n";
        let text = replace_section(doc, "Server", "## Server (x)\nnew\n");
        assert_eq!(
            text,
            "# B\n\n## Server (x)\nnew\n\n## Operator (y)\nold operator\n"
        );
        let text = replace_section(doc, "Operator", "## Operator (y)\nnew\n");
        assert_eq!(
            text,
            "# B\n\n## Server (x)\nold server\n\n## Operator (y)\nnew\n"
        );
        let text = replace_section("# B\n", "Agent", "## Agent (z)\nnew\n");
        assert_eq!(text, "# B\n\n## Agent (z)\nnew\n");
    }

    #[test]
    fn wrk_output_is_read() {
        let run = parse_wrk(WRK_OUTPUT).unwrap();
        assert_eq!(
            run,
            WrkRun {
                requests_per_sec: 5379.73,
                p50_ms: 10.93,
                p99_ms: 32.10,
                errors: 15
            }
        );
        assert_eq!(parse_duration_ms("850.00us"), Some(0.85));
        assert_eq!(parse_duration_ms("1.50s"), Some(1500.0));
        assert!(parse_wrk("nothing useful").is_err());
    }

    #[test]
    fn a_waiting_poll_is_told_from_an_answered_one() {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    transfer-encoding: chunked\r\n\r\n";
        assert!(still_waiting(head.as_bytes()));
        let done = format!("{head}1e\r\n{{\"tasks\":[],\"cancelled\":[]}}\r\n0\r\n\r\n");
        assert!(!still_waiting(done.as_bytes()));
        assert!(!still_waiting(
            b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n"
        ));
    }

    #[test]
    fn medians_ignore_outliers() {
        assert_eq!(median(vec![1.0, 100.0, 3.0]), 3.0);
    }
}
