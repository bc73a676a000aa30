//! `cargo xtask simulate`: a fleet of simulated agents driving the real agent API, for demos,
//! tests and benchmarks. Each agent reports on its interval (with jitter) and long-polls for
//! tasks, acknowledging and answering every one it gets. The run stops by itself after
//! `--duration`, and prints what it did every ten seconds.
//!
//! The agent token comes from `MONIHUB_AGENT_TOKEN` (never from the command line, where other
//! users of the machine could read it).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use monihub_agent_protocol::report::{HardwareInfo, NetworkInfo, OsType, RuntimeInfo, SystemInfo};
use monihub_agent_protocol::{
    PollResponse, ReportRequest, ReportResponse, TaskOutcome, TaskResult,
};
use rand::Rng;

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:9080")]
    server: String,
    /// How many agents to simulate.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    instances: u32,
    /// Seconds between two reports of one agent (`10s`, `1m`, …).
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    interval: Duration,
    /// How long to run before stopping.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Prefix of the agents' instance ids (`<prefix>-<n>`).
    #[arg(long, default_value = "sim")]
    prefix: String,
    /// Agents that only report, without long-polling for tasks (a fleet with remote tasks off).
    #[arg(long)]
    reports_only: bool,
}

#[derive(Default)]
struct Counters {
    reports: AtomicU64,
    report_errors: AtomicU64,
    tasks: AtomicU64,
    task_errors: AtomicU64,
}

pub fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    let token = std::env::var("MONIHUB_AGENT_TOKEN").context(
        "set MONIHUB_AGENT_TOKEN to an application's agent token (issue one with \
         POST /api/v1/applications/{id}/agent-token)",
    )?;
    if !token.starts_with("mhat_") {
        bail!("MONIHUB_AGENT_TOKEN does not look like an agent token (it starts with mhat_)");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args, token))
}

async fn run(args: SimulateArgs, token: String) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(usize::try_from(args.instances).unwrap_or(1024))
        .build()?;
    let counters = Arc::new(Counters::default());
    let deadline = Instant::now() + args.duration;
    println!(
        "==> simulating {} agents against {} for {:?} (a report every {:?})",
        args.instances, args.server, args.duration, args.interval
    );
    let mut agents = Vec::new();
    for n in 0..args.instances {
        let agent = Agent {
            id: format!("{}-{n}", args.prefix),
            server: args.server.trim_end_matches('/').to_owned(),
            token: token.clone(),
            client: client.clone(),
            counters: counters.clone(),
        };
        agents.push(tokio::spawn(
            agent.clone().report_loop(args.interval, deadline),
        ));
        if !args.reports_only {
            agents.push(tokio::spawn(agent.task_loop(deadline)));
        }
    }
    let progress = {
        let counters = counters.clone();
        let started = Instant::now();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_secs(10));
            ticks.tick().await;
            loop {
                ticks.tick().await;
                print_counters(&counters, started.elapsed());
            }
        })
    };
    for agent in agents {
        agent.await?;
    }
    progress.abort();
    print_counters(&counters, args.duration);
    if counters.reports.load(Ordering::Relaxed) == 0 {
        bail!("no report was accepted: check the server URL and the agent token");
    }
    Ok(())
}

fn print_counters(c: &Counters, elapsed: Duration) {
    println!(
        "    [{:>4}s] reports {} (errors {}), tasks answered {} (errors {})",
        elapsed.as_secs(),
        c.reports.load(Ordering::Relaxed),
        c.report_errors.load(Ordering::Relaxed),
        c.tasks.load(Ordering::Relaxed),
        c.task_errors.load(Ordering::Relaxed),
    );
}

#[derive(Clone)]
struct Agent {
    id: String,
    server: String,
    token: String,
    client: reqwest::Client,
    counters: Arc<Counters>,
}

/// A plausible host snapshot with some movement in it.
fn snapshot(id: &str) -> ReportRequest {
    let mut rng = rand::rng();
    let gib = 1024 * 1024 * 1024;
    ReportRequest {
        agent_instance_id: id.to_owned(),
        agent_version: concat!("simulator-", env!("CARGO_PKG_VERSION")).to_owned(),
        reported_at: Utc::now(),
        system: SystemInfo {
            os_type: OsType::Linux,
            os_version: Some("Debian GNU/Linux 12".into()),
            hostname: format!("{id}.sim"),
            kernel_version: Some("6.1.0".into()),
            uptime_seconds: Some(86_400),
        },
        network: NetworkInfo::default(),
        hardware: HardwareInfo {
            cpu_model: Some("Simulated CPU".into()),
            cpu_cores: Some(4),
            cpu_usage_percent: rng.random_range(2.0..85.0),
            load_average_1m: Some(rng.random_range(0.0..4.0)),
            memory_total_bytes: 8 * gib,
            memory_used_bytes: rng.random_range(gib..7 * gib),
            disk_total_bytes: 100 * gib,
            disk_used_bytes: rng.random_range(20 * gib..90 * gib),
        },
        runtime: RuntimeInfo::default(),
        environment: Default::default(),
        custom_fields: Default::default(),
        custom_metrics: [(
            "requests_per_second".to_owned(),
            rng.random_range(0.0..500.0),
        )]
        .into_iter()
        .collect(),
        logs: Vec::new(),
    }
}

impl Agent {
    async fn report_loop(self, interval: Duration, deadline: Instant) {
        // Spread the first reports over one interval, like a fleet that did not start at once.
        let first = interval.mul_f64(rand::rng().random_range(0.0..1.0));
        tokio::time::sleep(first).await;
        let mut wait = interval;
        while Instant::now() < deadline {
            let sent = self
                .client
                .post(format!("{}/api/v1/agent/report", self.server))
                .bearer_auth(&self.token)
                .json(&snapshot(&self.id))
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => {
                    self.counters.reports.fetch_add(1, Ordering::Relaxed);
                    if let Ok(answer) = r.json::<ReportResponse>().await {
                        wait =
                            Duration::from_secs(u64::from(answer.config.report_interval_seconds))
                                .min(interval.max(Duration::from_secs(1)));
                    }
                }
                _ => {
                    self.counters.report_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            let jitter = wait.mul_f64(rand::rng().random_range(0.9..1.1));
            tokio::time::sleep(jitter.min(deadline.saturating_duration_since(Instant::now())))
                .await;
        }
    }

    async fn task_loop(self, deadline: Instant) {
        while Instant::now() + Duration::from_secs(1) < deadline {
            let wait = deadline
                .saturating_duration_since(Instant::now())
                .as_secs()
                .clamp(1, 30);
            let polled = self
                .client
                .get(format!("{}/api/v1/agent/tasks", self.server))
                .query(&[
                    ("agent_instance_id", self.id.as_str()),
                    ("wait", &wait.to_string()),
                ])
                .bearer_auth(&self.token)
                .send()
                .await;
            let tasks = match polled {
                Ok(r) if r.status().is_success() => match r.json::<PollResponse>().await {
                    Ok(answer) => answer.tasks,
                    Err(_) => Vec::new(),
                },
                // Not registered yet (404 before the first report), or the server is away.
                _ => {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    continue;
                }
            };
            for task in tasks {
                if self.answer(task.record_id).await {
                    self.counters.tasks.fetch_add(1, Ordering::Relaxed);
                } else {
                    self.counters.task_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Acknowledges a record and answers it as done.
    async fn answer(&self, record: uuid::Uuid) -> bool {
        let base = format!("{}/api/v1/agent/task-records/{record}", self.server);
        let acked = self
            .client
            .post(format!("{base}/ack"))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({"agent_instance_id": self.id}))
            .send()
            .await;
        if !acked.is_ok_and(|r| r.status().is_success()) {
            return false;
        }
        let started = Utc::now();
        let result = TaskResult {
            agent_instance_id: self.id.clone(),
            outcome: TaskOutcome::Succeeded,
            exit_code: Some(0),
            output: Some(format!("simulated run on {}", self.id)),
            output_truncated: false,
            error: None,
            started_at: Some(started),
            finished_at: Some(Utc::now()),
        };
        self.client
            .post(format!("{base}/result"))
            .bearer_auth(&self.token)
            .json(&result)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }
}

#[cfg(test)]
mod tests {
    use monihub_agent_protocol::Validate;

    use super::*;

    /// What the simulator sends is what a real agent may send.
    #[test]
    fn snapshots_pass_the_protocol_limits() {
        for n in 0..50 {
            let report = snapshot(&format!("sim-{n}"));
            assert_eq!(report.validate(Utc::now()), Ok(()), "{report:?}");
        }
    }
}
