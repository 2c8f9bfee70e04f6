//! [`Feed`]: the one way tenant policies reach the [`PolicyStore`], whatever their source
//! (the policy directory now, a database later). Each source gets a [`SourceFeed`] that
//! applies its changes, counts and logs them, and says when its first full read is done;
//! the service is ready when every source has said so.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use origin_policy::store::{BatchReport, PolicyStore, TenantUpdate};
use origin_policy::Policy;

use crate::metrics::Metrics;

/// The store every source feeds and every decision reads, with readiness.
#[derive(Clone)]
pub struct Feed {
    store: Arc<PolicyStore<String>>,
    metrics: Arc<Metrics>,
    /// Sources registered that have not finished their first full read.
    pending: Arc<AtomicUsize>,
}

impl Feed {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Feed {
            store: Arc::new(PolicyStore::new()),
            metrics,
            pending: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn store(&self) -> &Arc<PolicyStore<String>> {
        &self.store
    }

    /// Registers a source named `name` (a metric label); the service is not ready until
    /// it calls [`SourceFeed::first_read_done`].
    pub fn source(&self, name: &'static str) -> SourceFeed {
        self.pending.fetch_add(1, Ordering::SeqCst);
        SourceFeed {
            feed: self.clone(),
            name,
            ready: false,
        }
    }

    /// Whether every source has read all its tenants once.
    pub fn is_ready(&self) -> bool {
        self.pending.load(Ordering::SeqCst) == 0
    }
}

/// One source's handle on the [`Feed`].
pub struct SourceFeed {
    feed: Feed,
    name: &'static str,
    ready: bool,
}

impl SourceFeed {
    /// Swaps in `policy` as `tenant`'s, read from `origin` (a path, a row).
    pub fn put(&self, tenant: &str, origin: &str, policy: Policy) {
        let previous = self.feed.store.insert(tenant.to_owned(), policy);
        let action = if previous.is_some() {
            "reloaded"
        } else {
            "loaded"
        };
        tracing::info!(source = self.name, tenant = ?tenant, origin = ?origin, "policy {action}");
        self.counted();
    }

    /// Refuses a change of `tenant` from `origin`: the tenant keeps the policy it has (or
    /// stays unknown), and the error, every bad entry located, is logged.
    pub fn reject(&self, tenant: &str, origin: &str, error: &dyn fmt::Display) {
        let kept = if self.feed.store.contains_key(tenant) {
            "keeps its previous policy"
        } else {
            "has no policy"
        };
        tracing::error!(
            source = self.name,
            tenant = ?tenant,
            origin = ?origin,
            "policy refused; the tenant {kept}:\n{error}"
        );
        self.feed.metrics.record_reload_failure(self.name);
    }

    /// Applies changes numbered by their source (a database's versions) in one atomic step,
    /// each only if newer than the version the tenant holds (see
    /// [`PolicyStore::apply_batch`]), so a late or repeated delivery never rolls a tenant
    /// back. A tenant that holds an unversioned policy (from another source) takes the
    /// change, with a warning: each tenant should come from one source.
    pub fn apply_versioned(&self, updates: Vec<TenantUpdate<String>>) -> BatchReport {
        for update in &updates {
            let key = update.key.as_str();
            if self.feed.store.version(key).is_none() && self.feed.store.contains_key(key) {
                tracing::warn!(
                    source = self.name,
                    tenant = ?key,
                    version = update.version,
                    "a tenant of another source is replaced; keep each tenant in one source"
                );
            }
        }
        let report = self.feed.store.apply_batch(updates);
        if report.applied > 0 {
            self.feed
                .metrics
                .record_loads(self.name, report.applied as u64, !self.ready);
            self.feed.metrics.set_tenants(self.feed.store.len());
        }
        report
    }

    /// Replaces every versioned tenant with `updates` in one atomic step (see
    /// [`PolicyStore::replace_versioned`]): after the source's database was restored, its
    /// versions restarted. Tenants of other sources are kept, unless named (with a
    /// warning, as in [`apply_versioned`](Self::apply_versioned)).
    pub fn replace_versioned(&self, updates: Vec<TenantUpdate<String>>) {
        for update in &updates {
            let key = update.key.as_str();
            if self.feed.store.version(key).is_none() && self.feed.store.contains_key(key) {
                tracing::warn!(
                    source = self.name,
                    tenant = ?key,
                    version = update.version,
                    "a tenant of another source is replaced; keep each tenant in one source"
                );
            }
        }
        let count = updates.len() as u64;
        self.feed.store.replace_versioned(updates);
        self.feed
            .metrics
            .record_loads(self.name, count, !self.ready);
        self.feed.metrics.set_tenants(self.feed.store.len());
    }

    /// The store, for reads (a source's versions).
    pub fn store(&self) -> &PolicyStore<String> {
        &self.feed.store
    }

    /// Removes `tenant`: its requests are denied as an unknown tenant from now on.
    pub fn remove(&self, tenant: &str) {
        if self.feed.store.remove(tenant).is_some() {
            tracing::info!(source = self.name, tenant = ?tenant, "policy removed");
            self.counted();
        }
    }

    /// The source failed as a whole (its directory vanished, its database is down): the
    /// tenants keep their policies.
    pub fn source_failed(&self, error: &dyn fmt::Display) {
        tracing::error!(
            source = self.name,
            "policy source unreadable; tenants keep their policies: {error}"
        );
        self.feed.metrics.record_reload_failure(self.name);
    }

    /// Says that every tenant of this source has been read once (each applied or refused).
    pub fn first_read_done(&mut self) {
        if !self.ready {
            self.ready = true;
            self.feed.pending.fetch_sub(1, Ordering::SeqCst);
            self.feed.metrics.record_successful_load(self.name);
            tracing::info!(
                source = self.name,
                tenants = self.feed.store.len(),
                "first read of the policies done"
            );
        }
    }

    /// One change applied: a load of the first full read, or a reload after it.
    fn counted(&self) {
        self.feed.metrics.record_loads(self.name, 1, !self.ready);
        self.feed.metrics.set_tenants(self.feed.store.len());
    }
}

#[cfg(test)]
mod tests {
    use origin_policy::Mode;

    use super::*;

    fn policy(pattern: &str) -> Policy {
        Policy::builder()
            .allow(Mode::Live, pattern)
            .build()
            .unwrap()
    }

    #[test]
    fn ready_once_every_source_has_read_once_and_rejects_keep_the_policy() {
        let metrics = Arc::new(Metrics::new());
        let feed = Feed::new(metrics.clone());
        let mut first = feed.source("directory");
        let mut second = feed.source("other");
        assert!(!feed.is_ready());
        first.put("acme", "acme.toml", policy("https://a.example"));
        first.reject("acme", "acme.toml", &"bad entry");
        assert_eq!(
            feed.store()
                .is_allowed("acme", Mode::Live, "https://a.example"),
            Some(true)
        );
        first.first_read_done();
        first.first_read_done();
        assert!(!feed.is_ready());
        second.first_read_done();
        assert!(feed.is_ready());
        first.remove("acme");
        first.remove("acme");
        assert!(feed.store().is_empty());
        let text = metrics.encode();
        // The put of the first read is a load; the removal after it, a reload (the second
        // removal changes nothing).
        assert!(
            text.contains("origin_policy_initial_loads_total{source=\"directory\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("origin_policy_reloads_total{source=\"directory\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "origin_policy_last_successful_load_timestamp_seconds{source=\"other\"} "
            ),
            "{text}"
        );
        assert!(text.contains("origin_policy_reload_failures_total{source=\"directory\"} 1"));
        assert!(text.contains("origin_policy_tenants 0"));
    }
}
