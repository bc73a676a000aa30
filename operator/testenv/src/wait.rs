//! Waiting for the cluster to reach a state, with a deadline, so a broken controller fails a
//! test with a message instead of hanging it.

use std::fmt::Debug;
use std::time::Duration;

use anyhow::Context;
use kube::runtime::wait::{Condition, await_condition};
use kube::{Api, Resource};
use serde_json::Value;

/// Wait until `condition` holds for `name` (it sees `None` while the object does not exist).
/// On timeout the error shows the object's last state.
pub async fn wait_for<K>(
    api: &Api<K>,
    name: &str,
    timeout: Duration,
    condition: impl Condition<K>,
) -> anyhow::Result<Option<K>>
where
    K: Clone
        + Debug
        + Send
        + Sync
        + Resource
        + serde::de::DeserializeOwned
        + serde::Serialize
        + 'static,
{
    match tokio::time::timeout(timeout, await_condition(api.clone(), name, condition)).await {
        Ok(result) => result.with_context(|| format!("failed to watch {name}")),
        Err(_) => {
            let last = api
                .get_opt(name)
                .await
                .ok()
                .flatten()
                .and_then(|o| serde_json::to_value(o).ok())
                .map(|v| summary(&v))
                .unwrap_or_else(|| "absent".to_string());
            anyhow::bail!("timed out after {timeout:?} waiting for {name}; last state: {last}")
        }
    }
}

/// The status (or the whole object when it has none), compact enough for an error message.
fn summary(object: &Value) -> String {
    object.get("status").unwrap_or(object).to_string()
}
