//! The Prometheus metrics of `/metrics`: decisions, their latency, reloads, tenants and
//! the denial events the log left out.

use std::time::Duration;

use origin_policy::Mode;
use prometheus_client::encoding::{prometheus_text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::db::metrics::PostgresMetrics;

/// The labels of a decision: `allowed` or `denied`, the reason code (`allowed` for an
/// allowed request) and the mode (`none` without one, as for a CORS preflight).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    result: &'static str,
    reason: &'static str,
    mode: &'static str,
}

/// The label of a tenant source (`directory`, later `postgres`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: &'static str,
}

/// Every metric, registered once; handles are cheap to update from any thread.
pub struct Metrics {
    registry: Registry,
    decisions: Family<DecisionLabels, Counter>,
    decision_seconds: Histogram,
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
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("origin_policy");
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
        let reloads = Family::<SourceLabels, Counter>::default();
        registry.register(
            "reloads",
            "Tenant policy changes applied (added, changed or removed), by source",
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
        postgres.register(&mut registry);
        Metrics {
            registry,
            decisions,
            decision_seconds,
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
            Outcome::Allowed => ("allowed", "allowed"),
            Outcome::Denied(code) => ("denied", code),
            Outcome::WouldDeny(code) => ("would_deny", code),
        };
        let mode = mode.map_or("none", Mode::as_str);
        self.decisions
            .get_or_create(&DecisionLabels {
                result,
                reason,
                mode,
            })
            .inc();
        self.decision_seconds.observe(took.as_secs_f64());
    }

    pub fn record_reload(&self, source: &'static str) {
        self.reloads.get_or_create(&SourceLabels { source }).inc();
    }

    pub fn record_reloads(&self, source: &'static str, count: u64) {
        self.reloads
            .get_or_create(&SourceLabels { source })
            .inc_by(count);
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
        metrics.record_decision(
            Outcome::WouldDeny("no_matching_rule"),
            Some(Mode::Live),
            micro,
        );
        metrics.record_reload("directory");
        metrics.record_reload_failure("directory");
        metrics.set_tenants(3);
        let text = metrics.encode();
        for line in [
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
}
