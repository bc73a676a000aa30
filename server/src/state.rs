//! The state every request shares: the database, settings, signing keys, the password hasher, the
//! metrics and the report writer. It sits below the feature folders so they can use it without knowing how the
//! server is put together (`startup` builds it; features only read it).

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::agent::ReportWriter;
use crate::agent::tokens::AgentTokens;
use crate::auth::service::LoginPolicy;
use crate::auth::{Hasher, JwtKeys};
use crate::config::Settings;
use crate::events::EventHub;
use crate::instances::totals::ListTotals;
use crate::tasks::notifier::TaskNotifier;
use crate::telemetry::Metrics;

/// State shared by every request.
#[derive(Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub jwt: JwtKeys,
    pub hasher: Hasher,
    pub metrics: Metrics,
    /// Stores agent reports in batches.
    pub reports: ReportWriter,
    /// Wakes agents waiting for tasks.
    pub tasks: Arc<TaskNotifier>,
    /// Live events for WebSocket clients.
    pub events: EventHub,
    /// Exact instance-list totals, kept while the instance set is unchanged.
    pub instance_totals: ListTotals,
    /// Agent tokens already checked.
    pub agent_tokens: Arc<AgentTokens>,
}

impl AppState {
    pub fn login_policy(&self) -> LoginPolicy {
        LoginPolicy {
            token_ttl: chrono::Duration::from_std(self.settings.token_ttl)
                .unwrap_or(chrono::Duration::hours(1)),
            throttle: self.settings.throttle_policy(),
        }
    }
}
