//! The operator's own health and metrics: `/metrics` (Prometheus text: reconciles, failures by
//! reason, pass duration, leadership), `/healthz` (the process runs) and `/readyz` (the
//! preflight passed), served by a small hyper server.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: String,
}

/// Counters and flags shared by the controller, the leader election and the HTTP server.
pub struct Metrics {
    registry: Registry,
    reconciles: Counter,
    failures: Family<Reason, Counter>,
    duration: Histogram,
    leader: Gauge,
    ready: AtomicBool,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("monihub_operator");
        let reconciles = Counter::default();
        let failures = Family::<Reason, Counter>::default();
        let duration = Histogram::new(exponential_buckets(0.005, 2.0, 12));
        let leader = Gauge::default();
        registry.register(
            "reconciles",
            "Reconcile passes, successful or not",
            reconciles.clone(),
        );
        registry.register(
            "reconcile_failures",
            "Failed reconcile passes by reason",
            failures.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Duration of reconcile passes",
            duration.clone(),
        );
        registry.register(
            "leader",
            "1 while this replica holds the leader lease",
            leader.clone(),
        );
        Self {
            registry,
            reconciles,
            failures,
            duration,
            leader,
            ready: AtomicBool::new(false),
        }
    }
}

impl Metrics {
    /// Count a pass and, if it failed, its reason.
    pub fn record(&self, elapsed: Duration, failure: Option<String>) {
        self.reconciles.inc();
        self.duration.observe(elapsed.as_secs_f64());
        if let Some(reason) = failure {
            self.failures.get_or_create(&Reason { reason }).inc();
        }
    }

    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// Reconcile passes so far.
    pub fn reconciles(&self) -> u64 {
        self.reconciles.get()
    }

    /// Whether this replica holds the leader lease.
    pub fn leading(&self) -> bool {
        self.leader.get() == 1
    }

    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }

    fn respond(&self, path: &str) -> Response<Full<Bytes>> {
        let (status, body) = match path {
            "/metrics" => (StatusCode::OK, self.encode()),
            "/healthz" => (StatusCode::OK, "ok\n".to_owned()),
            "/readyz" if self.ready.load(Ordering::Acquire) => (StatusCode::OK, "ok\n".to_owned()),
            "/readyz" => (
                StatusCode::SERVICE_UNAVAILABLE,
                "preflight has not passed\n".to_owned(),
            ),
            _ => (StatusCode::NOT_FOUND, "not found\n".to_owned()),
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        response
    }
}

/// Serve `/metrics`, `/healthz` and `/readyz` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let response = metrics.respond(request.uri().path());
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(5))
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Bind `address` (a clear error when it is taken).
pub async fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    use anyhow::Context as _;
    TcpListener::bind(address)
        .await
        .with_context(|| format!("failed to listen on {address} for metrics and probes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_count_passes_and_failures() {
        let metrics = Metrics::default();
        metrics.record(Duration::from_millis(3), None);
        metrics.record(Duration::from_millis(40), Some("api_409".into()));
        metrics.set_leader(true);
        let text = metrics.encode();
        assert!(
            text.contains("monihub_operator_reconciles_total 2"),
            "{text}"
        );
        assert!(text.contains("monihub_operator_reconcile_failures_total{reason=\"api_409\"} 1"));
        assert!(text.contains("monihub_operator_reconcile_duration_seconds_count 2"));
        assert!(text.contains("monihub_operator_leader 1"));
    }

    #[tokio::test]
    async fn served_over_http() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let metrics = Arc::new(Metrics::default());
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(serve(listener, metrics.clone()));
        let get = |path: &'static str| async move {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            stream
                .write_all(
                    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await
                .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).await.unwrap();
            response
        };
        assert!(get("/healthz").await.starts_with("HTTP/1.1 200"));
        assert!(get("/readyz").await.starts_with("HTTP/1.1 503"));
        metrics.set_ready();
        assert!(get("/readyz").await.starts_with("HTTP/1.1 200"));
        assert!(
            get("/metrics")
                .await
                .contains("monihub_operator_reconciles_total 0")
        );
        server.abort();
    }

    #[test]
    fn ready_only_after_preflight() {
        let metrics = Metrics::default();
        assert_eq!(
            metrics.respond("/readyz").status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(metrics.respond("/healthz").status(), StatusCode::OK);
        metrics.set_ready();
        assert_eq!(metrics.respond("/readyz").status(), StatusCode::OK);
        assert_eq!(metrics.respond("/nope").status(), StatusCode::NOT_FOUND);
    }
}
