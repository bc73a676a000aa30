//! Logging (tracing, JSON or pretty) and Prometheus metrics.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::auth::hasher::HasherMetrics;
use crate::config::LogFormat;

/// Installs the global subscriber. `level` is a `tracing` filter; sqlx's per-statement logs are
/// kept at `warn` unless the filter says otherwise. Safe to call more than once.
pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_new(format!("sqlx=warn,sea_orm=warn,{level}"))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .try_init(),
    };
    // A second call (tests start many servers in one process) keeps the first subscriber.
    drop(result);
}

/// Labels of the request metrics. Every value comes from a fixed set, so no request can add label
/// values of its own choosing (unbounded series would grow the exposition without limit).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    /// A standard method, or `other`.
    method: &'static str,
    /// The matched route template (e.g. `/api/v1/projects/{id}`), or `unmatched`.
    route: String,
    /// The status class: `1xx` … `5xx`.
    status: &'static str,
}

/// The method as a label: one of the standard methods, anything else is `other`.
fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == method)
        .unwrap_or("other")
}

/// The status class as a label.
fn status_label(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

type HistogramFamily = Family<HttpLabels, Histogram, fn() -> Histogram>;

/// The server's Prometheus registry and the metrics it records.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: HistogramFamily,
    login_failures: Counter,
    hasher: HasherMetrics,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn request_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("monihub");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration: HistogramFamily = Family::new_with_constructor(request_histogram);
        let login_failures = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status class",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency, by method, route template and status class",
            http_duration.clone(),
        );
        registry.register(
            "login_failures",
            "Failed sign-in attempts (wrong credentials, throttled or shed)",
            login_failures.clone(),
        );
        let hasher = HasherMetrics::default();
        registry.register(
            "password_hashes_in_flight",
            "Password hashes running now (bounded by MONIHUB_PASSWORD_HASH_CONCURRENCY)",
            hasher.in_flight.clone(),
        );
        registry.register(
            "password_hash_shed",
            "Requests answered 503 because no password hashing slot became free in time",
            hasher.shed.clone(),
        );
        Self {
            registry,
            http_requests,
            http_duration,
            login_failures,
            hasher,
        }
    }
}

impl Metrics {
    /// Records one answered request. `route` must be a route template from the server's own
    /// route table (or `unmatched`), never the request path.
    pub fn observe_http(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = HttpLabels {
            method: method_label(method),
            route: route.to_owned(),
            status: status_label(status),
        };
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// The hasher's metrics, to hand to [`crate::auth::Hasher::new`].
    pub fn hasher(&self) -> HasherMetrics {
        self.hasher.clone()
    }

    pub fn login_failed(&self) {
        self.login_failures.inc();
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_fixed_sets() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("get"), "other");
        assert_eq!(method_label("X-JUNK-1"), "other");
        assert_eq!(status_label(204), "2xx");
        assert_eq!(status_label(431), "4xx");
        assert_eq!(status_label(503), "5xx");
    }
}
