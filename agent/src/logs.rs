//! The agent's own log lines, shipped with its reports: a bounded buffer fed by a tracing layer.
//! When the buffer is full new lines are dropped and counted (the count is reported), so a
//! server that is down for a day costs the agent a fixed amount of memory.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use monihub_agent_protocol::limits::{LOG_CONTEXT_ENTRIES_MAX, LOG_LINES_MAX, LOG_MESSAGE_MAX};
use monihub_agent_protocol::report::{AgentLogLine, LogLevel};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The shared buffer.
#[derive(Clone)]
pub struct LogBuffer {
    inner: Arc<Inner>,
}

struct Inner {
    lines: Mutex<VecDeque<AgentLogLine>>,
    capacity: usize,
    dropped: AtomicU64,
    /// The lowest level shipped (the server's per-instance setting).
    level: AtomicU8,
}

fn rank(level: LogLevel) -> u8 {
    match level {
        LogLevel::Trace => 0,
        LogLevel::Debug => 1,
        LogLevel::Info => 2,
        LogLevel::Warn => 3,
        LogLevel::Error => 4,
    }
}

impl LogBuffer {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                lines: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
                capacity,
                dropped: AtomicU64::new(0),
                level: AtomicU8::new(rank(LogLevel::Info)),
            }),
        }
    }

    /// Ship lines at `level` and above from now on.
    pub fn set_level(&self, level: LogLevel) {
        self.inner.level.store(rank(level), Ordering::Relaxed);
    }

    fn wants(&self, level: LogLevel) -> bool {
        rank(level) >= self.inner.level.load(Ordering::Relaxed)
    }

    /// Add a line, or count it as dropped when the buffer is full.
    pub fn push(&self, line: AgentLogLine) {
        let Ok(mut lines) = self.inner.lines.lock() else {
            return;
        };
        if lines.len() >= self.inner.capacity {
            self.inner.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            lines.push_back(line);
        }
    }

    /// Up to one report's worth of the oldest lines.
    pub fn take_batch(&self) -> Vec<AgentLogLine> {
        let Ok(mut lines) = self.inner.lines.lock() else {
            return Vec::new();
        };
        let n = lines.len().min(LOG_LINES_MAX);
        lines.drain(..n).collect()
    }

    /// Put back a batch whose report was not accepted (oldest first); what no longer fits is
    /// dropped and counted.
    pub fn put_back(&self, batch: Vec<AgentLogLine>) {
        let Ok(mut lines) = self.inner.lines.lock() else {
            return;
        };
        let room = self.inner.capacity.saturating_sub(lines.len());
        let kept = batch.len().min(room);
        self.inner
            .dropped
            .fetch_add((batch.len() - kept) as u64, Ordering::Relaxed);
        for line in batch.into_iter().take(kept).rev() {
            lines.push_front(line);
        }
    }

    /// Lines dropped since the agent started.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    pub fn len(&self) -> usize {
        self.inner.lines.lock().map(|l| l.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Collects an event's message and fields.
#[derive(Default)]
struct Fields {
    message: String,
    context: BTreeMap<String, String>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else if self.context.len() < LOG_CONTEXT_ENTRIES_MAX {
            self.context
                .insert(field.name().to_owned(), format!("{value:?}"));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else if self.context.len() < LOG_CONTEXT_ENTRIES_MAX {
            self.context
                .insert(field.name().to_owned(), value.to_owned());
        }
    }
}

impl<S: Subscriber> Layer<S> for LogBuffer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = match *event.metadata().level() {
            tracing::Level::TRACE => LogLevel::Trace,
            tracing::Level::DEBUG => LogLevel::Debug,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::ERROR => LogLevel::Error,
        };
        // Only the agent's own lines: libraries' internals stay local.
        if !self.wants(level) || !event.metadata().target().starts_with("monihub_agent") {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut message: String = fields.message.chars().take(LOG_MESSAGE_MAX).collect();
        if message.is_empty() {
            message = event.metadata().name().to_owned();
        }
        self.push(AgentLogLine {
            level,
            message,
            logged_at: Some(Utc::now()),
            trace_id: None,
            context: fields.context,
        });
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    fn line(n: usize) -> AgentLogLine {
        AgentLogLine {
            level: LogLevel::Info,
            message: format!("line {n}"),
            logged_at: None,
            trace_id: None,
            context: BTreeMap::new(),
        }
    }

    #[test]
    fn the_buffer_is_bounded_and_counts_what_it_drops() {
        let buffer = LogBuffer::new(3);
        for n in 0..5 {
            buffer.push(line(n));
        }
        assert_eq!(buffer.len(), 3);
        assert_eq!(buffer.dropped(), 2);
        let batch = buffer.take_batch();
        assert_eq!(batch[0].message, "line 0");
        buffer.push(line(9));
        // A failed report puts its batch back in front; what does not fit is counted.
        buffer.put_back(batch);
        assert_eq!(buffer.len(), 3);
        assert_eq!(buffer.take_batch()[0].message, "line 0");
        assert_eq!(buffer.dropped(), 3);
    }

    #[test]
    fn batches_respect_the_protocol_limit() {
        let buffer = LogBuffer::new(1000);
        for n in 0..450 {
            buffer.push(line(n));
        }
        assert_eq!(buffer.take_batch().len(), LOG_LINES_MAX);
        assert_eq!(buffer.len(), 450 - LOG_LINES_MAX);
    }

    #[test]
    fn the_layer_ships_the_agents_lines_at_the_chosen_level() {
        let buffer = LogBuffer::new(10);
        let subscriber = tracing_subscriber::registry().with(buffer.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(attempt = 3, "report sent");
            tracing::debug!("not shipped at info");
            buffer.set_level(LogLevel::Warn);
            tracing::info!("not shipped at warn");
            tracing::warn!("server slow");
        });
        let lines = buffer.take_batch();
        let messages: Vec<_> = lines.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(messages, ["report sent", "server slow"]);
        assert_eq!(lines[0].context["attempt"], "3");
    }
}
