//! Agent tokens already checked, so a busy fleet does not cost one database lookup per report.
//!
//! An entry maps a token's hash to its application and whether that application is active. Every
//! change that can invalidate one (a token rotated, an application disabled, enabled or deleted)
//! forgets them all: in this process right after the change commits, and on every replica through
//! PostgreSQL `NOTIFY monihub_applications`, sent inside the changing transaction. While a replica
//! has no working listener it does not use the cache at all, and an entry is never kept longer
//! than a minute, so a change made behind the server's back (by hand, in SQL) takes effect too.
//!
//! A lookup that started before a change cannot store what it read after the change: entries are
//! stored only if no change happened since the lookup began (a generation number).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

use crate::db::{ChannelHandler, spawn_channel_listener};

/// The PostgreSQL channel.
pub const CHANNEL: &str = "monihub_applications";
/// The longest an entry is trusted.
const MAX_AGE: Duration = Duration::from_secs(60);
/// Entries kept at most (applications with agents); beyond it, lookups are not cached.
const MAX_ENTRIES: usize = 10_000;

/// What a token resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub application_id: Uuid,
    pub active: bool,
}

#[derive(Debug)]
struct Inner {
    generation: u64,
    /// Whether changes made elsewhere reach this process (always on SQLite: one process).
    listening: bool,
    entries: HashMap<String, (Resolved, Instant)>,
}

/// The cache; one per process.
#[derive(Debug)]
pub struct AgentTokens {
    inner: Mutex<Inner>,
}

impl AgentTokens {
    /// A cache that is used at once (`listening`) or only once a listener reports in.
    pub fn new(listening: bool) -> Self {
        Self {
            inner: Mutex::new(Inner {
                generation: 0,
                listening,
                entries: HashMap::new(),
            }),
        }
    }

    /// For `backend`: SQLite has one process, so nothing can change elsewhere; PostgreSQL waits
    /// for its listener.
    pub fn for_backend(backend: DbBackend) -> Self {
        Self::new(backend != DbBackend::Postgres)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Nothing can be left half-written under this lock.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached resolution of a token hash, and the generation to store a fresh one under.
    pub fn lookup(&self, hash: &str) -> (Option<Resolved>, u64) {
        let inner = self.lock();
        let hit = inner
            .listening
            .then(|| inner.entries.get(hash))
            .flatten()
            .filter(|(_, at)| at.elapsed() < MAX_AGE)
            .map(|(resolved, _)| *resolved);
        (hit, inner.generation)
    }

    /// Stores what a lookup that began at `generation` read, unless something changed since.
    pub fn remember(&self, generation: u64, hash: String, resolved: Resolved) {
        let mut inner = self.lock();
        if !inner.listening || inner.generation != generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.retain(|_, (_, at)| at.elapsed() < MAX_AGE);
            if inner.entries.len() >= MAX_ENTRIES {
                return;
            }
        }
        inner.entries.insert(hash, (resolved, Instant::now()));
    }

    /// Forgets every entry (an application or token changed).
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }

    /// Whether changes made by other replicas reach this process; off means no caching.
    pub fn set_listening(&self, listening: bool) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
        inner.listening = listening;
    }
}

/// Tells every replica, once the transaction commits, to forget its cached tokens (PostgreSQL;
/// nothing to do on SQLite).
pub async fn announce<C: ConnectionTrait>(txn: &C) -> Result<(), sea_orm::DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, '')",
        [CHANNEL.into()],
    ))
    .await?;
    Ok(())
}

/// On PostgreSQL, forgets the cache whenever any replica announces a change, for as long as the
/// runtime lives; caches nothing while not listening.
pub fn spawn_listener(db: &DatabaseConnection, tokens: Arc<AgentTokens>) {
    struct Forget(Arc<AgentTokens>);
    impl ChannelHandler for Forget {
        fn listening(&mut self) {
            self.0.set_listening(true);
        }
        fn message(&mut self, _: &str) {
            self.0.forget_all();
        }
        fn lost(&mut self) {
            self.0.set_listening(false);
        }
    }
    spawn_channel_listener(db, CHANNEL, Forget(tokens));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved() -> Resolved {
        Resolved {
            application_id: Uuid::nil(),
            active: true,
        }
    }

    #[test]
    fn a_change_during_a_lookup_keeps_its_result_out() {
        let tokens = AgentTokens::new(true);
        let (hit, generation) = tokens.lookup("h");
        assert_eq!(hit, None);
        tokens.forget_all();
        tokens.remember(generation, "h".into(), resolved());
        assert_eq!(tokens.lookup("h").0, None);
        let (_, generation) = tokens.lookup("h");
        tokens.remember(generation, "h".into(), resolved());
        assert_eq!(tokens.lookup("h").0, Some(resolved()));
        tokens.forget_all();
        assert_eq!(tokens.lookup("h").0, None);
    }

    #[test]
    fn nothing_is_cached_without_a_listener() {
        let tokens = AgentTokens::new(false);
        let (_, generation) = tokens.lookup("h");
        tokens.remember(generation, "h".into(), resolved());
        assert_eq!(tokens.lookup("h").0, None);
        tokens.set_listening(true);
        let (_, generation) = tokens.lookup("h");
        tokens.remember(generation, "h".into(), resolved());
        assert_eq!(tokens.lookup("h").0, Some(resolved()));
        tokens.set_listening(false);
        assert_eq!(
            tokens.lookup("h").0,
            None,
            "losing the listener forgets everything"
        );
    }
}
