//! Leader election on a `coordination.k8s.io/v1` Lease, so that of several operator replicas only
//! one ever writes. kube-rs has none built in; this follows client-go's rules:
//!
//! - a candidate takes the lease when it is free, released, or its record has not changed for a
//!   whole lease duration *as measured on the candidate's own clock* (so clock skew between
//!   replicas cannot make two leaders);
//! - every write is a compare-and-swap on `resourceVersion`, so two candidates racing for the
//!   same lease cannot both win;
//! - the leader renews well inside the lease duration and stops its work when it could not
//!   renew for `renew_deadline` (shorter than the lease), before anyone else may take over;
//! - on shutdown the leader releases the lease so a standby takes over at once.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};

/// Timing of the election.
#[derive(Clone, Debug)]
pub struct LeaseSettings {
    pub namespace: String,
    pub name: String,
    /// This replica's identity (the pod name in a cluster).
    pub identity: String,
    /// How long a lease is valid after its last renewal.
    pub lease_duration: Duration,
    /// The leader gives up when it could not renew for this long (less than the duration).
    pub renew_deadline: Duration,
    /// How often candidates try and the leader renews.
    pub retry_period: Duration,
}

impl LeaseSettings {
    pub fn new(namespace: &str, identity: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            name: "monihub-operator".to_owned(),
            identity: identity.to_owned(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// How leading ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The work finished (shutdown); the lease was released.
    Finished,
    /// The lease could not be renewed in time; the work was stopped.
    Lost,
}

/// The lease record as a candidate last saw it, and when (on its own clock).
struct Observed {
    holder: Option<String>,
    renew: Option<Timestamp>,
    at: Instant,
}

pub struct Elector {
    api: Api<Lease>,
    settings: LeaseSettings,
    observed: Option<Observed>,
}

impl Elector {
    pub fn new(client: Client, settings: LeaseSettings) -> Self {
        Self {
            api: Api::namespaced(client, &settings.namespace),
            settings,
            observed: None,
        }
    }

    fn spec(&self, acquire: Option<MicroTime>, transitions: i32) -> LeaseSpec {
        let now = MicroTime(Timestamp::now());
        LeaseSpec {
            holder_identity: Some(self.settings.identity.clone()),
            lease_duration_seconds: Some(self.settings.lease_duration.as_secs() as i32),
            acquire_time: Some(acquire.unwrap_or_else(|| now.clone())),
            renew_time: Some(now),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }

    /// One attempt to take or renew the lease. `Ok(true)` while this replica holds it.
    pub async fn try_acquire_or_renew(&mut self) -> anyhow::Result<bool> {
        let name = &self.settings.name;
        let Some(mut lease) = self.api.get_opt(name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.spec(None, 0)),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                Err(e) => Err(e).context("failed to create the leader lease"),
            };
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let renew = spec.renew_time.as_ref().map(|t| t.0);
        let mine = holder.as_deref() == Some(self.settings.identity.as_str());
        // Note when the record last changed, on this replica's clock.
        let changed = self
            .observed
            .as_ref()
            .is_none_or(|o| o.holder != holder || o.renew != renew);
        if changed {
            self.observed = Some(Observed {
                holder: holder.clone(),
                renew,
                at: Instant::now(),
            });
        }
        let duration = spec
            .lease_duration_seconds
            .map(|s| Duration::from_secs(s.max(1) as u64))
            .unwrap_or(self.settings.lease_duration);
        let expired = self
            .observed
            .as_ref()
            .is_some_and(|o| o.at.elapsed() >= duration);
        if !mine && holder.is_some() && !expired {
            return Ok(false);
        }
        let transitions = spec.lease_transitions.unwrap_or(0) + i32::from(!mine);
        let acquire = mine.then(|| spec.acquire_time.clone()).flatten();
        lease.spec = Some(self.spec(acquire, transitions));
        match self.api.replace(name, &PostParams::default(), &lease).await {
            Ok(_) => Ok(true),
            // Someone else wrote first: they won this round.
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(e) => Err(e).context("failed to update the leader lease"),
        }
    }

    /// Give the lease up (best effort) so a standby can take over without waiting.
    pub async fn release(&mut self) {
        let name = &self.settings.name;
        if let Ok(Some(mut lease)) = self.api.get_opt(name).await {
            let spec = lease.spec.get_or_insert_default();
            if spec.holder_identity.as_deref() != Some(self.settings.identity.as_str()) {
                return;
            }
            spec.holder_identity = None;
            spec.lease_duration_seconds = Some(1);
            spec.renew_time = Some(MicroTime(Timestamp::now()));
            if let Err(e) = self.api.replace(name, &PostParams::default(), &lease).await {
                tracing::warn!(error = %e, "failed to release the leader lease");
            }
        }
    }

    /// Wait until this replica leads (or `stop` resolves: then `None`).
    pub async fn acquire(&mut self, stop: &mut (impl Future<Output = ()> + Unpin)) -> Option<()> {
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => return Some(()),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "leader election failed; retrying")
                }
            }
            tokio::select! {
                () = tokio::time::sleep(self.settings.retry_period) => {}
                () = &mut *stop => return None,
            }
        }
    }

    /// Run `work` while leading, renewing the lease; stop it if renewal fails for
    /// `renew_deadline`. Releases the lease when `work` finishes.
    pub async fn lead<F: Future<Output = ()>>(&mut self, work: F) -> Ended {
        let mut work = std::pin::pin!(work);
        let mut renewed = Instant::now();
        loop {
            tokio::select! {
                () = &mut work => {
                    self.release().await;
                    return Ended::Finished;
                }
                () = tokio::time::sleep(self.settings.retry_period) => {}
            }
            match self.try_acquire_or_renew().await {
                Ok(true) => renewed = Instant::now(),
                Ok(false) => {
                    tracing::error!("another replica took the leader lease; stopping");
                    return Ended::Lost;
                }
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "failed to renew the leader lease")
                }
            }
            if renewed.elapsed() >= self.settings.renew_deadline {
                tracing::error!("could not renew the leader lease in time; stopping");
                return Ended::Lost;
            }
        }
    }
}
