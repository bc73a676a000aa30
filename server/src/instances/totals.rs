//! Exact list totals without counting the fleet on every page.
//!
//! The database keeps a version number that triggers bump whenever a committed change could alter
//! which instances a list filter matches (see migration `000008`). A total counted while the
//! version was `v` stays exact for as long as the version is still `v`, so each server process
//! keeps the totals of the current version and drops them all when it moves on. Replicas agree
//! because the version lives in the shared database.
//!
//! Correctness rests on the order of reads: the version is read *before* counting. A change that
//! commits in between makes the count fresher than its version, never staler; the next request
//! sees the new version and counts again.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use sea_orm::{ConnectionTrait, DbErr, Statement};

use super::dto::InstanceFilter;

/// At most this many distinct filters are remembered per version; a full cache still answers
/// correctly, it just counts.
const MAX_ENTRIES: usize = 1024;

#[derive(Debug, Default)]
pub struct ListTotals {
    cache: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    version: i64,
    totals: HashMap<InstanceFilter, u64>,
}

impl ListTotals {
    /// The total for `filter`: remembered if the instance set has not changed since it was
    /// counted, otherwise `count` runs and its result is remembered.
    pub async fn total<C, F>(&self, db: &C, filter: &InstanceFilter, count: F) -> Result<u64, DbErr>
    where
        C: ConnectionTrait,
        F: Future<Output = Result<u64, DbErr>>,
    {
        let version = current_version(db).await?;
        if let Some(total) = self.lookup(version, filter) {
            return Ok(total);
        }
        let total = count.await?;
        self.remember(version, filter, total);
        Ok(total)
    }

    fn lookup(&self, version: i64, filter: &InstanceFilter) -> Option<u64> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        (cache.version == version)
            .then(|| cache.totals.get(filter).copied())
            .flatten()
    }

    fn remember(&self, version: i64, filter: &InstanceFilter, total: u64) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if version > cache.version {
            cache.version = version;
            cache.totals.clear();
        }
        // A count made under an older version than the cache holds is not stored: it may miss
        // changes the cached version already includes.
        if version == cache.version && cache.totals.len() < MAX_ENTRIES {
            cache.totals.insert(filter.clone(), total);
        }
    }
}

async fn current_version<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM instance_set_version WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("instance_set_version has no row".into()))?;
    row.try_get_by_index::<i64>(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(q: &str) -> InstanceFilter {
        InstanceFilter {
            application_id: None,
            project_id: None,
            online: None,
            status: None,
            q: Some(q.into()),
        }
    }

    #[test]
    fn totals_are_kept_per_version_and_filter() {
        let totals = ListTotals::default();
        totals.remember(3, &filter("a"), 10);
        assert_eq!(totals.lookup(3, &filter("a")), Some(10));
        assert_eq!(totals.lookup(3, &filter("b")), None);
        assert_eq!(totals.lookup(4, &filter("a")), None);
    }

    #[test]
    fn a_newer_version_drops_older_totals_and_an_older_one_is_not_stored() {
        let totals = ListTotals::default();
        totals.remember(3, &filter("a"), 10);
        totals.remember(5, &filter("b"), 7);
        assert_eq!(totals.lookup(3, &filter("a")), None);
        assert_eq!(totals.lookup(5, &filter("a")), None);
        totals.remember(4, &filter("a"), 9);
        assert_eq!(totals.lookup(5, &filter("a")), None);
        assert_eq!(totals.lookup(4, &filter("a")), None);
        assert_eq!(totals.lookup(5, &filter("b")), Some(7));
    }

    #[test]
    fn the_cache_is_bounded() {
        let totals = ListTotals::default();
        for n in 0..(MAX_ENTRIES + 10) {
            totals.remember(1, &filter(&n.to_string()), n as u64);
        }
        let cache = totals.cache.lock().unwrap();
        assert_eq!(cache.totals.len(), MAX_ENTRIES);
    }
}
