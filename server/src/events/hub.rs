//! The event hub: publish once, every connected client of every replica receives.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{ChannelHandler, spawn_channel_listener};
use crate::entity::task_records::RecordStatus;

/// The PostgreSQL channel.
const CHANNEL: &str = "monihub_events";
/// NOTIFY payloads must stay under 8000 bytes.
const PAYLOAD_MAX: usize = 7000;
/// Events a client may fall behind by before it is disconnected.
pub const CLIENT_BACKLOG: usize = 1024;

/// One live event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// An instance reported for the first time, or again after being offline.
    #[serde(rename = "instance.online")]
    InstanceOnline {
        instance_id: Uuid,
        application_id: Uuid,
        at: DateTime<Utc>,
    },
    /// An instance stopped reporting.
    #[serde(rename = "instance.offline")]
    InstanceOffline {
        instance_id: Uuid,
        at: DateTime<Utc>,
    },
    /// A report was stored.
    #[serde(rename = "instance.report")]
    InstanceReport {
        instance_id: Uuid,
        application_id: Uuid,
        cpu_usage_percent: f64,
        memory_usage_percent: f64,
        disk_usage_percent: f64,
        at: DateTime<Utc>,
    },
    /// A task record changed status.
    #[serde(rename = "task.updated")]
    TaskUpdated {
        task_id: Uuid,
        record_id: Uuid,
        instance_id: Uuid,
        status: RecordStatus,
        at: DateTime<Utc>,
    },
}

/// Fans events out to this process's clients.
#[derive(Debug, Clone)]
pub struct EventHub {
    local: broadcast::Sender<Arc<Event>>,
    db: DatabaseConnection,
}

impl EventHub {
    pub fn new(db: DatabaseConnection) -> Self {
        let (local, _) = broadcast::channel(CLIENT_BACKLOG);
        Self { local, db }
    }

    /// A receiver of every event from now on (lagging receivers get `Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.local.subscribe()
    }

    /// Connected clients in this process.
    pub fn clients(&self) -> usize {
        self.local.receiver_count()
    }

    fn deliver(&self, event: Event) {
        // No receiver is not an error: nobody is watching.
        let _ = self.local.send(Arc::new(event));
    }

    /// Publishes events after the change they describe has committed. Never fails the caller:
    /// live events are a view; the database stays the truth.
    pub async fn publish(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        if self.db.get_database_backend() != DbBackend::Postgres {
            for event in events {
                self.deliver(event);
            }
            return;
        }
        for payload in payloads(&events) {
            let sent = self
                .db
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), payload.into()],
                ))
                .await;
            if let Err(err) = sent {
                tracing::warn!(error = %err, "failed to publish live events");
            }
        }
    }

    /// On PostgreSQL, hands every replica's events to this process's clients for as long as the
    /// runtime lives.
    pub fn spawn_listener(&self) {
        struct Deliver(EventHub);
        impl ChannelHandler for Deliver {
            fn message(&mut self, payload: &str) {
                match serde_json::from_str::<Vec<Event>>(payload) {
                    Ok(events) => events.into_iter().for_each(|e| self.0.deliver(e)),
                    Err(err) => tracing::warn!(error = %err, "unreadable live event"),
                }
            }
        }
        spawn_channel_listener(&self.db, CHANNEL, Deliver(self.clone()));
    }
}

/// JSON arrays of events, each under the NOTIFY payload limit.
fn payloads(events: &[Event]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2;
    for event in events {
        let Ok(json) = serde_json::to_string(event) else {
            continue;
        };
        if !current.is_empty() && size + json.len() + 1 > PAYLOAD_MAX {
            out.push(format!("[{}]", current.join(",")));
            current.clear();
            size = 2;
        }
        size += json.len() + 1;
        current.push(json);
    }
    if !current.is_empty() {
        out.push(format!("[{}]", current.join(",")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_stay_under_the_notify_limit_and_lose_nothing() {
        let events: Vec<Event> = (0..500)
            .map(|_| Event::InstanceReport {
                instance_id: Uuid::new_v4(),
                application_id: Uuid::new_v4(),
                cpu_usage_percent: 12.5,
                memory_usage_percent: 50.0,
                disk_usage_percent: 70.0,
                at: Utc::now(),
            })
            .collect();
        let chunks = payloads(&events);
        assert!(chunks.len() > 1);
        let mut back = Vec::new();
        for chunk in chunks {
            assert!(chunk.len() < 8000, "{}", chunk.len());
            back.extend(serde_json::from_str::<Vec<Event>>(&chunk).unwrap());
        }
        assert_eq!(back, events);
    }

    #[test]
    fn events_are_tagged_by_type() {
        let event = Event::InstanceOffline {
            instance_id: Uuid::nil(),
            at: DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
                .unwrap()
                .into(),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "instance.offline");
        assert_eq!(json["instance_id"], Uuid::nil().to_string());
    }
}
