//! The Prometheus metrics of `/metrics`: decisions, their latency, loads and reloads by
//! source, tenants, the denial events the log left out, and the build's version. A
//! source's series appear only when it is configured (the `origin_policy_db_*` series with
//! `--postgres`) or, for the labelled ones, once it has loaded something.

use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use origin_policy::Mode;
use prometheus_client::encoding::{prometheus_text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::db::metrics::PostgresMetrics;
use decisions::{DecisionCounters, DecisionLabels};

mod decisions;

/// The label of a tenant source (`directory`, later `postgres`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: &'static str,
}

/// The label of the build: the server's version.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// Every metric, registered once; handles are cheap to update from any thread.
pub struct Metrics {
    registry: Registry,
    decisions: DecisionCounters,
    decision_seconds: Histogram,
    initial_loads: Family<SourceLabels, Counter>,
    last_load: Family<SourceLabels, Gauge<f64, AtomicU64>>,
    reloads: Family<SourceLabels, Counter>,
    reload_failures: Family<SourceLabels, Counter>,
    tenants: Gauge,
    denial_events_suppressed: Counter,
    postgres: PostgresMetrics,
}

/// What a decision counts as.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Allowed,
    Denied(&'static str),
    /// Allowed, since the mode is report-only, but it would have been denied for this
    /// reason: the result label `would_deny`.
    WouldDeny(&'static str),
}

impl Metrics {
    /// The metrics of a server without PostgreSQL: no `origin_policy_db_*` series.
    pub fn new() -> Self {
        Metrics::build(false)
    }

    /// The metrics of a server with the PostgreSQL source: the `origin_policy_db_*` series too.
    pub fn with_postgres() -> Self {
        Metrics::build(true)
    }

    fn build(with_postgres: bool) -> Self {
        let mut registry = Registry::with_prefix("origin_policy");
        let build_info = Family::<BuildLabels, Gauge>::default();
        registry.register(
            "build_info",
            "The server's build: its version, in a label; the value is 1",
            build_info.clone(),
        );
        build_info
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "decisions",
            "Decisions, by result, reason code and mode",
            decisions.clone(),
        );
        // 1 µs to about 33 ms: a decision is nanoseconds; the rest is the answer's build.
        let decision_seconds = Histogram::new(exponential_buckets(1e-6, 2.0, 16));
        registry.register(
            "decision_duration_seconds",
            "Time from a decision request's parsed headers to its built answer",
            decision_seconds.clone(),
        );
        let initial_loads = Family::<SourceLabels, Counter>::default();
        registry.register(
            "initial_loads",
            "Tenant policies applied by a source's first full read, by source",
            initial_loads.clone(),
        );
        let last_load = Family::<SourceLabels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "last_successful_load_timestamp_seconds",
            "When a source last applied a change or finished its first read (Unix time), by source",
            last_load.clone(),
        );
        let reloads = Family::<SourceLabels, Counter>::default();
        registry.register(
            "reloads",
            "Tenant policy changes applied after the source's first full read (added, changed \
             or removed), by source",
            reloads.clone(),
        );
        let reload_failures = Family::<SourceLabels, Counter>::default();
        registry.register(
            "reload_failures",
            "Tenant policy changes refused (unreadable or invalid); the tenant keeps its policy",
            reload_failures.clone(),
        );
        let tenants = Gauge::default();
        registry.register("tenants", "Tenants with a policy loaded", tenants.clone());
        let denial_events_suppressed = Counter::default();
        registry.register(
            "denial_log_events_suppressed",
            "Per-denial log events left out by the log rate limit (decisions still count them)",
            denial_events_suppressed.clone(),
        );
        let postgres = PostgresMetrics::default();
        if with_postgres {
            postgres.register(&mut registry);
        }
        Metrics {
            registry,
            decisions: DecisionCounters::new(decisions),
            decision_seconds,
            initial_loads,
            last_load,
            reloads,
            reload_failures,
            tenants,
            denial_events_suppressed,
            postgres,
        }
    }

    /// The PostgreSQL source's metrics (`origin_policy_db_*`).
    pub fn postgres(&self) -> &PostgresMetrics {
        &self.postgres
    }

    pub fn record_decision(&self, outcome: Outcome, mode: Option<Mode>, took: Duration) {
        let (result, reason) = match outcome {
            Outcome::Allowed => (0, "allowed"),
            Outcome::Denied(code) => (1, code),
            Outcome::WouldDeny(code) => (2, code),
        };
        self.decisions.inc(result, reason, mode);
        self.decision_seconds.observe(took.as_secs_f64());
    }

    /// `count` changes applied by `source`: reloads, or loads of its first full read while
    /// `initial`; either way the source's last successful load is now.
    pub fn record_loads(&self, source: &'static str, count: u64, initial: bool) {
        let family = if initial {
            &self.initial_loads
        } else {
            &self.reloads
        };
        family.get_or_create(&SourceLabels { source }).inc_by(count);
        self.record_successful_load(source);
    }

    /// `source` read successfully now (a change applied, or its first read done).
    pub fn record_successful_load(&self, source: &'static str) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |since| since.as_secs_f64());
        self.last_load
            .get_or_create(&SourceLabels { source })
            .set(now);
    }

    pub fn record_reload_failure(&self, source: &'static str) {
        self.reload_failures
            .get_or_create(&SourceLabels { source })
            .inc();
    }

    pub fn set_tenants(&self, count: usize) {
        self.tenants.set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    pub fn record_suppressed_denial_events(&self, count: u64) {
        self.denial_events_suppressed.inc_by(count);
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_text::encode(&mut text, &self.registry);
        text
    }

    pub const CONTENT_TYPE: &'static str = prometheus_text::CONTENT_TYPE;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_names_each_metric_with_its_labels() {
        let metrics = Metrics::new();
        let micro = Duration::from_micros(3);
        metrics.record_decision(Outcome::Allowed, Some(Mode::Live), micro);
        metrics.record_decision(Outcome::Denied("no_matching_rule"), Some(Mode::Test), micro);
        metrics.record_decision(Outcome::Denied("no_matching_rule"), Some(Mode::Test), micro);
        metrics.record_loads("directory", 2, true);
        metrics.record_loads("directory", 1, false);
        metrics.record_decision(
            Outcome::WouldDeny("no_matching_rule"),
            Some(Mode::Live),
            micro,
        );
        metrics.record_reload_failure("directory");
        metrics.set_tenants(3);
        let text = metrics.encode();
        for line in [
            r#"origin_policy_build_info{version="0.1.0"} 1"#,
            r#"origin_policy_initial_loads_total{source="directory"} 2"#,
            r#"origin_policy_decisions_total{result="allowed",reason="allowed",mode="live"} 1"#,
            r#"origin_policy_decisions_total{result="denied",reason="no_matching_rule",mode="test"} 2"#,
            r#"origin_policy_decisions_total{result="would_deny",reason="no_matching_rule",mode="live"} 1"#,
            r#"origin_policy_reloads_total{source="directory"} 1"#,
            r#"origin_policy_reload_failures_total{source="directory"} 1"#,
            "origin_policy_tenants 3",
            "origin_policy_decision_duration_seconds_count 4",
            "origin_policy_denial_log_events_suppressed_total 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
    }

    #[test]
    fn a_source_s_series_appear_only_when_it_is_configured_or_has_loaded() {
        let without = Metrics::new().encode();
        assert!(!without.contains("origin_policy_db_"), "{without}");
        assert!(!without.contains("source=\"directory\""), "{without}");
        let with = Metrics::with_postgres().encode();
        assert!(with.contains("\norigin_policy_db_"), "{with}");

        let metrics = Metrics::new();
        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        metrics.record_successful_load("directory");
        let text = metrics.encode();
        let stamp: f64 = text
            .lines()
            .find_map(|line| {
                line.strip_prefix(
                    "origin_policy_last_successful_load_timestamp_seconds{source=\"directory\"} ",
                )
            })
            .unwrap_or_else(|| panic!("no timestamp in\n{text}"))
            .parse()
            .unwrap();
        assert!(stamp >= before.as_secs_f64().floor(), "{stamp}");
        assert!(!text.contains("origin_policy_reloads_total{"), "{text}");
    }
}
