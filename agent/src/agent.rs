//! The agent's two loops: reports on the configured interval (with jitter), and task long-polls
//! once the instance is registered. Failures back off exponentially with jitter and honour
//! `Retry-After`; nothing is queued without bound — a report that could not be sent is simply
//! replaced by a fresh one (latest state wins), and results are retried until accepted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use monihub_agent_protocol::{AgentConfig, ReportRequest, TaskAssignment, TaskResult};
use tokio::sync::{Semaphore, watch};
use uuid::Uuid;

use crate::client::{CallError, Client};
use crate::config::Config;
use crate::host::{Host, now};
use crate::logs::LogBuffer;
use crate::retry::{Backoff, jittered};
use crate::tasks::Executor;

/// What the loops share.
pub struct Agent {
    config: Arc<Config>,
    client: Client,
    logs: LogBuffer,
    instance_id: String,
    /// The server's settings for this instance, from the last accepted report.
    settings: watch::Sender<Option<AgentConfig>>,
    /// Records running here, to stop them when the server cancels them.
    running: Mutex<HashMap<Uuid, watch::Sender<bool>>>,
}

impl Agent {
    pub fn new(
        config: Arc<Config>,
        logs: LogBuffer,
        instance_id: String,
    ) -> anyhow::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            client: Client::new(config.clone())?,
            config,
            logs,
            instance_id,
            settings: watch::channel(None).0,
            running: Mutex::new(HashMap::new()),
        }))
    }

    /// The settings the server sent last (`None` before the first accepted report).
    pub fn settings(&self) -> watch::Receiver<Option<AgentConfig>> {
        self.settings.subscribe()
    }

    /// Build a report from a host snapshot and the next batch of log lines.
    pub fn report(
        &self,
        host: &mut Host,
        logs: Vec<monihub_agent_protocol::report::AgentLogLine>,
    ) -> ReportRequest {
        let snapshot = host.sample();
        let mut custom_metrics = snapshot.metrics;
        custom_metrics.insert("agent_log_lines_dropped".into(), self.logs.dropped() as f64);
        while custom_metrics.len() > monihub_agent_protocol::limits::CUSTOM_ENTRIES_MAX {
            let last = custom_metrics.keys().next_back().cloned();
            if let Some(key) = last {
                custom_metrics.remove(&key);
            }
        }
        ReportRequest {
            agent_instance_id: self.instance_id.clone(),
            agent_version: env!("CARGO_PKG_VERSION").into(),
            reported_at: now(),
            system: snapshot.system,
            network: snapshot.network,
            hardware: snapshot.hardware,
            runtime: snapshot.runtime,
            environment: Default::default(),
            custom_fields: self.config.labels.clone(),
            custom_metrics,
            logs,
        }
    }

    /// Send one report; on success apply the server's settings and return them.
    pub async fn report_once(&self, host: &mut Host) -> Result<AgentConfig, CallError> {
        let batch = self.logs.take_batch();
        let report = self.report(host, batch.clone());
        match self.client.report(&report).await {
            Ok(answer) => {
                self.logs.set_level(answer.config.log_level);
                self.settings.send_replace(Some(answer.config.clone()));
                Ok(answer.config)
            }
            Err(e) => {
                self.logs.put_back(batch);
                Err(e)
            }
        }
    }

    /// Report forever.
    pub async fn report_loop(self: Arc<Self>) {
        let mut host = match Host::new() {
            Ok(host) => host,
            Err(e) => {
                tracing::error!("{e:#}; the agent cannot report");
                return;
            }
        };
        // The first CPU figure needs a baseline sample.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(300));
        loop {
            let wait = match self.report_once(&mut host).await {
                Ok(settings) => {
                    backoff.reset();
                    let interval = Duration::from_secs(u64::from(settings.report_interval_seconds));
                    tracing::debug!(?interval, "report accepted");
                    jittered(interval)
                }
                Err(e) => {
                    let wait = backoff.next(e.retry_after());
                    match &e {
                        CallError::Unauthorized(_) | CallError::Forbidden(_) => {
                            tracing::error!(error = %e, retry_in = ?wait, "report refused");
                        }
                        _ => tracing::warn!(error = %e, retry_in = ?wait, "report failed"),
                    }
                    wait
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Long-poll for tasks forever (while the server's settings allow tasks).
    pub async fn task_loop(self: Arc<Self>) {
        let executor = Executor::new(self.config.clone(), self.instance_id.clone());
        let slots = Arc::new(Semaphore::new(self.config.tasks.concurrency));
        let mut settings = self.settings();
        let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(300));
        loop {
            let current = settings.borrow_and_update().clone();
            let Some(current) = current.filter(|s| s.tasks_enabled) else {
                // Not registered yet, or tasks are off for this instance: wait for a change.
                if settings.changed().await.is_err() {
                    return;
                }
                continue;
            };
            match self
                .client
                .poll(&self.instance_id, current.long_poll_seconds)
                .await
            {
                Ok(answer) => {
                    backoff.reset();
                    for record in answer.cancelled {
                        if let Some(stop) = self
                            .running
                            .lock()
                            .ok()
                            .and_then(|r| r.get(&record).cloned())
                        {
                            tracing::info!(%record, "task cancelled by the server");
                            let _ = stop.send(true);
                        }
                    }
                    for task in answer.tasks {
                        self.clone().start(task, executor.clone(), slots.clone());
                    }
                }
                Err(CallError::UnknownInstance) => {
                    tokio::time::sleep(backoff.next(None)).await;
                }
                Err(e) => {
                    let wait = backoff.next(e.retry_after());
                    tracing::warn!(error = %e, retry_in = ?wait, "task poll failed");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    fn start(self: Arc<Self>, task: TaskAssignment, executor: Executor, slots: Arc<Semaphore>) {
        let record = task.record_id;
        let (stop, stopped) = watch::channel(false);
        {
            let Ok(mut running) = self.running.lock() else {
                return;
            };
            // A record handed out again while it still runs here is already being handled.
            if running.contains_key(&record) {
                return;
            }
            running.insert(record, stop);
        }
        tokio::spawn(async move {
            let Ok(_slot) = slots.acquire_owned().await else {
                return;
            };
            if let Err(e) = self.client.acknowledge(record, &self.instance_id).await {
                tracing::warn!(%record, error = %e, "could not acknowledge a task; the server will hand it out again");
                if let Ok(mut running) = self.running.lock() {
                    running.remove(&record);
                }
                return;
            }
            tracing::info!(%record, kind = task.content.type_name(), "task started");
            let result = executor.run(&task, stopped).await;
            tracing::info!(%record, outcome = ?result.outcome, "task finished");
            self.deliver(record, result).await;
            if let Ok(mut running) = self.running.lock() {
                running.remove(&record);
            }
        });
    }

    /// Send a result until the server has it (it is idempotent), or until it says the record
    /// can never take it.
    async fn deliver(&self, record: Uuid, result: TaskResult) {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(120));
        loop {
            match self.client.submit(record, &result).await {
                Ok(()) => return,
                // The record was closed meanwhile (cancelled, or answered by a retry).
                Err(CallError::Rejected {
                    status: 409,
                    detail,
                }) => {
                    tracing::info!(%record, %detail, "the server had already closed this task");
                    return;
                }
                Err(e @ (CallError::Rejected { .. } | CallError::UnknownInstance)) => {
                    tracing::error!(%record, error = %e, "the server will not take this task's result");
                    return;
                }
                Err(e) => {
                    let wait = backoff.next(e.retry_after());
                    tracing::warn!(%record, error = %e, retry_in = ?wait, "could not deliver a task result");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Both loops until `shutdown` resolves.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        let reports = tokio::spawn(self.clone().report_loop());
        let tasks = tokio::spawn(self.clone().task_loop());
        shutdown.await;
        reports.abort();
        tasks.abort();
        // Stop what still runs: its process groups get SIGTERM, then SIGKILL; give them that long
        // (and their results a moment to reach the server) before the process ends.
        if let Ok(running) = self.running.lock() {
            for stop in running.values() {
                let _ = stop.send(true);
            }
        }
        let deadline = tokio::time::Instant::now() + crate::tasks::process::KILL_GRACE * 2;
        while self.running.lock().map(|r| !r.is_empty()).unwrap_or(false)
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
