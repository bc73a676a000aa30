//! Talking to the server: the agent API with the application's token, over HTTPS with the
//! system's CAs (plus `ca_file`) and an optional proxy. Every answer is classified so the loops
//! know whether to retry, back off, or stop and say why.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use monihub_agent_protocol::{PollResponse, ReportRequest, ReportResponse, TaskResult};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::config::Config;

/// What went wrong with a call.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// 401: the token is wrong, rotated, or the application is gone.
    #[error(
        "the server refused the agent token ({0}); issue a new token for the application and update the agent's token"
    )]
    Unauthorized(String),
    /// 403: the instance or its application is disabled.
    #[error("the server refused this instance: {0}")]
    Forbidden(String),
    /// 404 on a poll: the instance has not reported yet.
    #[error("the server does not know this instance yet")]
    UnknownInstance,
    /// Another 4xx: the request itself is wrong (a bug or a version mismatch).
    #[error("the server rejected the request ({status}): {detail}")]
    Rejected { status: u16, detail: String },
    /// 429, 503 or another 5xx: try again later (no sooner than `retry_after`).
    #[error("the server is unavailable ({status}){}", retry_after.map(|d| format!("; retry after {}s", d.as_secs())).unwrap_or_default())]
    Unavailable {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// The server could not be reached (DNS, connection, TLS, timeout).
    #[error("could not reach the server: {0}")]
    Transport(String),
}

impl CallError {
    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Transport(_))
    }

    /// The server's requested wait, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A describable transport error (reqwest hides the cause chain in `Display`).
fn transport(error: reqwest::Error) -> CallError {
    use std::error::Error as _;
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    CallError::Transport(text)
}

/// The server's client.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    config: Arc<Config>,
}

impl Client {
    pub fn new(config: Arc<Config>) -> anyhow::Result<Self> {
        let mut base = Url::parse(&config.server_url).context("server_url is not a URL")?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("monihub-agent/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(2);
        if let Some(proxy) = &config.proxy {
            builder = builder.proxy(reqwest::Proxy::all(proxy).context("proxy is not a URL")?);
        }
        if let Some(path) = &config.ca_file {
            let pem = std::fs::read(path)
                .with_context(|| format!("failed to read ca_file {}", path.display()))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("ca_file {} holds no PEM certificate", path.display()))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        Ok(Self {
            http: builder.build().context("failed to build the HTTP client")?,
            base,
            config,
        })
    }

    fn url(&self, path: &str) -> Url {
        self.base
            .join(path)
            .expect("agent API paths are relative and valid")
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        timeout: Duration,
    ) -> Result<Option<T>, CallError> {
        let token = self
            .config
            .current_token()
            .map_err(|e| CallError::Unauthorized(format!("{e:#}")))?;
        let response = request
            .bearer_auth(&token.0)
            .timeout(timeout)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if status.is_success() {
            if status == StatusCode::NO_CONTENT {
                return Ok(None);
            }
            let bytes = response.bytes().await.map_err(transport)?;
            if bytes.is_empty() {
                return Ok(None);
            }
            return serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| CallError::Rejected {
                    status: status.as_u16(),
                    detail: format!("unreadable answer: {e}"),
                });
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let detail = problem_detail(response).await;
        Err(match status.as_u16() {
            401 => CallError::Unauthorized(detail),
            403 => CallError::Forbidden(detail),
            404 => CallError::UnknownInstance,
            429 | 500..=599 => CallError::Unavailable {
                status: status.as_u16(),
                retry_after,
            },
            code => CallError::Rejected {
                status: code,
                detail,
            },
        })
    }

    /// `POST /api/v1/agent/report`.
    pub async fn report(&self, body: &ReportRequest) -> Result<ReportResponse, CallError> {
        let request = self.http.post(self.url("api/v1/agent/report")).json(body);
        self.send(request, self.config.request_timeout)
            .await?
            .ok_or_else(|| CallError::Rejected {
                status: 200,
                detail: "empty answer to a report".into(),
            })
    }

    /// `GET /api/v1/agent/tasks`: waits up to `wait` for work.
    pub async fn poll(&self, instance_id: &str, wait: u32) -> Result<PollResponse, CallError> {
        let mut url = self.url("api/v1/agent/tasks");
        url.query_pairs_mut()
            .append_pair("agent_instance_id", instance_id)
            .append_pair("wait", &wait.to_string());
        let timeout = self.config.request_timeout + Duration::from_secs(u64::from(wait));
        Ok(self
            .send(self.http.get(url), timeout)
            .await?
            .unwrap_or_default())
    }

    /// `POST /api/v1/agent/task-records/{id}/ack`: the work starts now.
    pub async fn acknowledge(&self, record: Uuid, instance_id: &str) -> Result<(), CallError> {
        let request = self
            .http
            .post(self.url(&format!("api/v1/agent/task-records/{record}/ack")))
            .json(&serde_json::json!({ "agent_instance_id": instance_id }));
        self.send::<serde_json::Value>(request, self.config.request_timeout)
            .await
            .map(|_| ())
    }

    /// `POST /api/v1/agent/task-records/{id}/result` (idempotent).
    pub async fn submit(&self, record: Uuid, result: &TaskResult) -> Result<(), CallError> {
        let request = self
            .http
            .post(self.url(&format!("api/v1/agent/task-records/{record}/result")))
            .json(result);
        self.send::<serde_json::Value>(request, self.config.request_timeout)
            .await
            .map(|_| ())
    }
}

/// The `detail` (or `title`) of a problem+json body, else the status text.
async fn problem_detail(response: reqwest::Response) -> String {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("detail")
                .or_else(|| v.get("title"))
                .and_then(|d| d.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("unexpected status")
                .to_owned()
        })
}
