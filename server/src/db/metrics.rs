//! What `/metrics` tells about the PostgreSQL source, beside the counts every source has
//! (`origin_policy_reloads_total` and `origin_policy_reload_failures_total`, where a policy
//! row that does not build is counted, with `source="postgres"`).

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// What found a database that is not the one followed: `watermark` (the change at the
/// replica's newest version is gone or another) or `checksum` (the table differs from
/// what the replica read).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SignalLabels {
    pub signal: &'static str,
}

/// The feed's counters and gauges; cheap to update from its task.
#[derive(Debug, Default)]
pub struct PostgresMetrics {
    /// The newest version applied (the replica's watermark).
    pub applied_version: Gauge,
    /// The newest version in the database, as the last read found it (never a
    /// notification's payload, which any role can forge).
    pub announced_version: Gauge,
    /// `announced_version - applied_version`: how far behind the replica is.
    pub version_lag: Gauge,
    /// Notifications received.
    pub notifications: Counter,
    /// Changes read by catch-ups that a notification started (each applied when its
    /// build finishes).
    pub notifications_applied: Counter,
    /// Catch-ups started by the timer or a reconnect.
    pub resyncs: Counter,
    /// Changes those read (each one a notification that was lost or not yet read).
    pub resync_applied: Counter,
    /// Full reloads after the database was found not to be the one followed (restored
    /// from an older dump, failed over to a standby that missed commits), by the signal
    /// that found it.
    pub full_reloads: Family<SignalLabels, Counter>,
    /// Policy builds in flight (each large policy has its own).
    pub builds_in_progress: Gauge,
    /// Sessions that ended (lost connections, failed connection attempts).
    pub reconnects: Counter,
    /// How long the first snapshot took, from the query to the swap.
    pub snapshot_seconds: Gauge<f64, AtomicU64>,
}

impl PostgresMetrics {
    /// Adds every metric to `registry` (the service's, prefixed `origin_policy`), named
    /// `origin_policy_db_*`; counters end in `_total`.
    pub fn register(&self, registry: &mut Registry) {
        let db = registry.sub_registry_with_prefix("db");
        db.register(
            "applied_version",
            "The newest policy version this replica has applied",
            self.applied_version.clone(),
        );
        db.register(
            "announced_version",
            "The newest policy version in the database, as the last read found it",
            self.announced_version.clone(),
        );
        db.register(
            "version_lag",
            "Announced minus applied version: how far behind this replica is",
            self.version_lag.clone(),
        );
        db.register(
            "notifications",
            "NOTIFY messages received",
            self.notifications.clone(),
        );
        db.register(
            "notifications_applied",
            "Policy changes read by catch-ups after a notification",
            self.notifications_applied.clone(),
        );
        db.register(
            "resyncs",
            "Re-reads of every change above the applied version (periodic or after a reconnect)",
            self.resyncs.clone(),
        );
        db.register(
            "resync_applied",
            "Policy changes read by resyncs (notifications missed or not yet read)",
            self.resync_applied.clone(),
        );
        db.register(
            "full_reloads",
            "Full reloads after the database was found restored or failed over (the change at \
             the applied version or the table's checksum differed from what was read)",
            self.full_reloads.clone(),
        );
        db.register(
            "builds_in_progress",
            "Policy builds in flight (each large policy has its own)",
            self.builds_in_progress.clone(),
        );
        db.register(
            "reconnects",
            "PostgreSQL sessions that ended and were started again",
            self.reconnects.clone(),
        );
        db.register(
            "snapshot_seconds",
            "Duration of the first snapshot load, query to swap",
            self.snapshot_seconds.clone(),
        );
    }
}
