//! Wakes agents waiting for work the moment a task record becomes pending for their instance.
//!
//! In one process a waiter holds a [`Notify`] per instance. Across replicas on PostgreSQL the
//! writer also sends `NOTIFY monihub_tasks` inside its transaction (delivered on commit), and
//! every replica's listener wakes its local waiters. Nothing polls the database while agents wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::pin::Pin;

use tokio::sync::Notify;
use tokio::sync::futures::OwnedNotified;
use uuid::Uuid;

use crate::db::{ChannelHandler, spawn_channel_listener};

/// The PostgreSQL channel.
const CHANNEL: &str = "monihub_tasks";
/// NOTIFY payloads must stay under 8000 bytes: 36-character ids and commas.
const IDS_PER_NOTIFY: usize = 200;

/// Waiters by instance.
#[derive(Debug, Default)]
pub struct TaskNotifier {
    waiters: Mutex<HashMap<Uuid, Arc<Notify>>>,
}

/// A registration of interest in one instance, already listening when it is made (a wake that
/// comes before [`Subscription::woken`] is awaited is not lost). It owns what it needs, so it can
/// outlive the request that made it; dropping the last one forgets the instance.
pub struct Subscription {
    notifier: Arc<TaskNotifier>,
    instance: Uuid,
    /// Holds the only reference to the instance's `Notify` besides the map's (and those of other
    /// subscriptions to the same instance).
    woken: Option<Pin<Box<OwnedNotified>>>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// Resolves once work for the instance may have arrived since the subscription was made.
    pub async fn woken(&mut self) {
        if let Some(woken) = self.woken.as_mut() {
            woken.as_mut().await;
            self.woken = None;
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.woken = None;
        let mut waiters = self.notifier.lock();
        // Only the map holds it now: nobody else is waiting for this instance.
        if waiters
            .get(&self.instance)
            .is_some_and(|notify| Arc::strong_count(notify) <= 1)
        {
            waiters.remove(&self.instance);
        }
    }
}

impl TaskNotifier {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<Notify>>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers interest in `instance`; await [`Subscription::woken`].
    pub fn subscribe(self: &Arc<Self>, instance: Uuid) -> Subscription {
        let notify = self.lock().entry(instance).or_default().clone();
        let mut woken = Box::pin(notify.notified_owned());
        woken.as_mut().enable();
        Subscription {
            notifier: self.clone(),
            instance,
            woken: Some(woken),
        }
    }

    /// Wakes everyone waiting for these instances in this process.
    pub fn wake(&self, instances: impl IntoIterator<Item = Uuid>) {
        let waiters = self.lock();
        for instance in instances {
            if let Some(notify) = waiters.get(&instance) {
                notify.notify_waiters();
            }
        }
    }

    /// Wakes every waiter (after a lost listener connection: notifications may have been missed).
    pub fn wake_all(&self) {
        for notify in self.lock().values() {
            notify.notify_waiters();
        }
    }

    /// Waiters registered now (for tests and metrics).
    pub fn waiting_instances(&self) -> usize {
        self.lock().len()
    }
}

/// Tells the other replicas, from inside the transaction that made the records pending.
pub async fn announce<C: ConnectionTrait>(
    db: &C,
    instances: &[Uuid],
) -> Result<(), sea_orm::DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for chunk in instances.chunks(IDS_PER_NOTIFY) {
        let payload = chunk
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",");
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        ))
        .await?;
    }
    Ok(())
}

/// On PostgreSQL, listens for other replicas' announcements for as long as the runtime lives.
pub fn spawn_listener(db: &DatabaseConnection, notifier: Arc<TaskNotifier>) {
    struct Wake(Arc<TaskNotifier>);
    impl ChannelHandler for Wake {
        fn listening(&mut self) {
            // Anything announced while not listening: let every waiter look again.
            self.0.wake_all();
        }
        fn message(&mut self, payload: &str) {
            self.0
                .wake(payload.split(',').filter_map(|id| Uuid::parse_str(id).ok()));
        }
    }
    spawn_channel_listener(db, CHANNEL, Wake(notifier));
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_wake_reaches_only_that_instances_waiters_and_entries_are_forgotten() {
        let notifier = Arc::new(TaskNotifier::default());
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let gone = notifier.subscribe(a);
        let mut sub_a = notifier.subscribe(a);
        let mut sub_a_too = notifier.subscribe(a);
        let mut sub_b = notifier.subscribe(b);
        drop(gone);
        assert_eq!(notifier.waiting_instances(), 2, "a still has waiters");
        // Woken before anyone awaits: the subscriptions were already listening.
        notifier.wake([a]);
        tokio::time::timeout(Duration::from_secs(5), sub_a.woken())
            .await
            .expect("a is woken");
        tokio::time::timeout(Duration::from_secs(5), sub_a_too.woken())
            .await
            .expect("every waiter of a is woken");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), sub_b.woken())
                .await
                .is_err(),
            "b is not"
        );
        drop(sub_a);
        drop(sub_a_too);
        assert_eq!(notifier.waiting_instances(), 1);
        drop(sub_b);
        assert_eq!(notifier.waiting_instances(), 0);
    }
}
