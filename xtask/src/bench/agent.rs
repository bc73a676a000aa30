//! `cargo xtask bench agent`: the release agent reporting to a release server (embedded SQLite)
//! every 10 s for a while; its resident memory and CPU time are read from `/proc` every
//! 10 s, and the binary's size is recorded.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::apifuzz::database::{Backend, FreshDatabase};
use crate::apifuzz::server::{RunningServer, Secrets};
use crate::util::{run_cmd, step, workspace_root};

use super::{agent_token, machine, median, release_dir, write_section};

#[derive(clap::Args)]
pub struct AgentArgs {
    /// How long to watch the agent.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    duration: Duration,
}

/// Report interval the server gives the agent.
const INTERVAL_SECS: u64 = 10;
const INSTANCE: &str = "bench-agent";

struct Sample {
    rss_kib: u64,
    cpu_ticks: u64,
}

fn sample(pid: u32) -> anyhow::Result<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("the agent is not running")?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmRSS")?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start at ") ".
    let rest = stat
        .rsplit_once(") ")
        .map(|(_, r)| r)
        .context("odd /proc stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the name.
    let cpu_ticks = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok(Sample { rss_kib, cpu_ticks })
}

fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

struct AgentProcess(Child);

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn agent(args: AgentArgs) -> anyhow::Result<()> {
    if args.duration < Duration::from_secs(30) {
        bail!("--duration must be at least 30s");
    }
    step("building monihub-server and monihub-agent (release)");
    run_cmd(
        Command::new(env!("CARGO"))
            .current_dir(workspace_root())
            .args([
                "build",
                "--release",
                "--locked",
                "-p",
                "monihub-server",
                "-p",
                "monihub-agent",
            ]),
    )?;
    let agent_binary = release_dir().join("monihub-agent");
    let binary_bytes = std::fs::metadata(&agent_binary)?.len();
    let database = FreshDatabase::create(Backend::Sqlite, None)?;
    let secrets = Secrets::generate()?;
    let work = tempfile::tempdir()?;
    let mut server = RunningServer::start(
        &release_dir().join("monihub-server"),
        database.url(),
        &secrets,
        &work.path().join("server.log"),
    )?;
    server.wait_ready()?;
    let admin = server.sign_in("admin", &secrets.admin_password)?;
    let base = server.base_url();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let token = runtime.block_on(agent_token(&base, &admin.token))?;

    step("starting the agent");
    let log = std::fs::File::create(work.path().join("agent.log"))?;
    let agent = AgentProcess(
        Command::new(&agent_binary)
            .arg("run")
            .env("MONIHUB_AGENT_SERVER_URL", &base)
            .env("MONIHUB_AGENT_TOKEN", &token)
            .env("MONIHUB_AGENT_STATE_DIR", work.path().join("state"))
            .env("MONIHUB_AGENT_INSTANCE_ID", INSTANCE)
            .env("MONIHUB_AGENT_TASKS__ALLOWED", "shell_exec")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("failed to start the agent")?,
    );
    let pid = agent.0.id();
    let instance = runtime.block_on(wait_registered(&base, &admin.token))?;
    runtime.block_on(set_interval(&base, &admin.token, &instance))?;

    step(&format!(
        "watching the agent for {} (a report every {INTERVAL_SECS} s, task long-polls of 30 s)",
        humantime::format_duration(args.duration)
    ));
    let first = sample(pid)?;
    let started = Instant::now();
    let mut rss = vec![first.rss_kib];
    let mut last = first.cpu_ticks;
    while started.elapsed() < args.duration {
        std::thread::sleep(Duration::from_secs(10));
        let now = sample(pid)?;
        rss.push(now.rss_kib);
        last = now.cpu_ticks;
        if rss.len() % 6 == 0 {
            step(&format!(
                "    {:.0?}: {} KiB resident",
                started.elapsed(),
                now.rss_kib
            ));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_percent = (last - first.cpu_ticks) as f64 / clock_ticks() as f64 / elapsed * 100.0;
    let reports = runtime.block_on(report_count(&base, &admin.token, &instance))?;
    server.ensure_running()?;
    drop(agent);

    let rss_mib: Vec<f64> = rss.iter().map(|k| *k as f64 / 1024.0).collect();
    let peak = rss_mib.iter().copied().fold(0.0, f64::max);
    let mut text = String::new();
    use std::fmt::Write as _;
    writeln!(text, "## Agent (`cargo xtask bench agent`)\n")?;
    writeln!(
        text,
        "Measured {} on {}. Release build of `monihub-agent` reporting to a release \
         `monihub-server` (embedded SQLite) on the same machine every {INTERVAL_SECS} s, with task \
         long-polls of 30 s, for {}. Resident memory (`VmRSS`) and CPU time (`utime + stime`) \
         are read from `/proc` every 10 s; CPU is the share of one core over the whole window. \
         The server stored {reports} reports from it.\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        machine(),
        humantime::format_duration(args.duration),
    )?;
    writeln!(text, "| measurement | result | target |\n|---|---|---|")?;
    writeln!(
        text,
        "| resident memory, median of {} samples | {:.1} MiB | < 10 MiB |",
        rss_mib.len(),
        median(rss_mib.clone())
    )?;
    writeln!(text, "| resident memory, peak | {peak:.1} MiB | < 10 MiB |")?;
    writeln!(
        text,
        "| CPU, share of one core | {cpu_percent:.3} % | < 0.5 % |"
    )?;
    writeln!(
        text,
        "| binary size (release, as built) | {:.1} MiB | |",
        binary_bytes as f64 / 1024.0 / 1024.0
    )?;
    write_section("Agent", &text)?;
    print!("{text}");
    Ok(())
}

async fn get(base: &str, token: &str, path: &str) -> anyhow::Result<Value> {
    let reply = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await?;
    if !reply.status().is_success() {
        bail!("{path} answered {}", reply.status());
    }
    Ok(reply.json().await?)
}

async fn wait_registered(base: &str, token: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = get(base, token, &format!("/api/v1/instances?q={INSTANCE}")).await?;
        if let Some(id) = list["items"][0]["id"].as_str() {
            return Ok(id.to_owned());
        }
        if Instant::now() > deadline {
            bail!("the agent never registered");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn set_interval(base: &str, token: &str, instance: &str) -> anyhow::Result<()> {
    let reply = reqwest::Client::new()
        .patch(format!("{base}/api/v1/instances/{instance}"))
        .bearer_auth(token)
        .json(
            &json!({"config": {"report_interval_seconds": INTERVAL_SECS, "long_poll_seconds": 30,
                                 "tasks_enabled": true, "log_level": "info"}}),
        )
        .send()
        .await?;
    if !reply.status().is_success() {
        bail!("setting the interval failed: {}", reply.status());
    }
    Ok(())
}

async fn report_count(base: &str, token: &str, instance: &str) -> anyhow::Result<i64> {
    let detail = get(base, token, &format!("/api/v1/instances/{instance}")).await?;
    detail["report_count"]
        .as_i64()
        .context("the instance has no report count")
}
