//! Logs: `tracing` events to stderr through a non-blocking writer (text or JSON), and
//! [`DenialLog`], the per-denial events under a rate limit.
//!
//! Two rules keep a flood of denials from costing more than the requests that cause it.
//! The writer never blocks a decision: `tracing_appender::non_blocking` hands lines to a
//! thread of its own and drops them when its queue is full. And at most `limit` denial
//! events are written per second; the others are counted, written as one summary line per
//! second, and counted in `/metrics` (which counts every denial anyway).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::ValueEnum;
use origin_policy::middleware::Denial;
use origin_policy::Mode;
use tracing::level_filters::LevelFilter;
use tracing_appender::non_blocking::WorkerGuard;

use crate::log_line::OneLineFields;
use crate::metrics::Metrics;

/// The format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// `tracing`'s human-readable lines, one per event (a line break inside a field is
    /// written as `\n`).
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber; the guard flushes the writer's queue when dropped.
pub fn init(format: LogFormat, level: LevelFilter) -> WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_max_level(level)
        .with_ansi(false);
    match format {
        // One line per event: line breaks inside a field are escaped.
        LogFormat::Text => builder.fmt_fields(OneLineFields).init(),
        LogFormat::Json => builder.json().init(),
    }
    guard
}

/// The denial events, at most `limit` a second.
pub struct DenialLog {
    limit: u32,
    epoch: Instant,
    /// The second (since `epoch`) that `written` counts for.
    window: AtomicU64,
    written: AtomicU32,
    /// Events left out since the last summary.
    left_out: AtomicU64,
    metrics: Arc<Metrics>,
}

impl DenialLog {
    pub fn new(limit: u32, metrics: Arc<Metrics>) -> Self {
        DenialLog {
            limit,
            epoch: Instant::now(),
            window: AtomicU64::new(0),
            written: AtomicU32::new(0),
            left_out: AtomicU64::new(0),
            metrics,
        }
    }

    /// Writes one event for `denial`, unless this second's budget is spent. The tenant and
    /// origin come from the request: they are cut by the library and written escaped
    /// (`Debug`, in quotes), so no request byte reaches the log as is.
    pub fn record(&self, denial: &Denial<'_>) {
        if !self.admit(self.epoch.elapsed().as_secs()) {
            return;
        }
        tracing::info!(
            target: "origin_policy_server::denial",
            tenant = denial.tenant.map(tracing::field::debug),
            mode = denial.mode.map_or("none", Mode::as_str),
            reason = denial.reason.code(),
            origin = denial.origin.map(tracing::field::debug),
            result = if denial.report_only { "would_deny" } else { "denied" },
            "{}",
            if denial.report_only {
                "request would be denied (report-only mode: let through)"
            } else {
                "request denied"
            }
        );
    }

    /// Whether an event in `second` fits the budget; counts it as left out if not. Racing
    /// threads may let a few more than `limit` through at a window's turn, never many.
    fn admit(&self, second: u64) -> bool {
        let window = self.window.load(Ordering::Relaxed);
        if window != second
            && self
                .window
                .compare_exchange(window, second, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.written.store(0, Ordering::Relaxed);
        }
        if self.written.fetch_add(1, Ordering::Relaxed) < self.limit {
            return true;
        }
        self.left_out.fetch_add(1, Ordering::Relaxed);
        self.metrics.record_suppressed_denial_events(1);
        false
    }

    /// Writes how many events were left out since the last call, if any.
    pub fn summarize(&self) {
        let left_out = self.left_out.swap(0, Ordering::Relaxed);
        if left_out > 0 {
            tracing::warn!(
                target: "origin_policy_server::denial",
                left_out,
                limit_per_second = self.limit,
                "denial events left out of the log by its rate limit (metrics count every denial)"
            );
        }
    }

    /// Summarizes once a second, for ever.
    pub async fn summarize_every_second(self: Arc<Self>) {
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        loop {
            ticks.tick().await;
            self.summarize();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_the_limit_per_second_and_counts_the_rest() {
        let metrics = Arc::new(Metrics::new());
        let log = DenialLog::new(3, metrics.clone());
        let admitted: Vec<bool> = (0..5).map(|_| log.admit(7)).collect();
        assert_eq!(admitted, [true, true, true, false, false]);
        assert!(log.admit(8), "a new second has a new budget");
        assert_eq!(log.left_out.load(Ordering::Relaxed), 2);
        log.summarize();
        assert_eq!(log.left_out.load(Ordering::Relaxed), 0);
        let text = metrics.encode();
        assert!(
            text.contains("origin_policy_denial_log_events_suppressed_total 2"),
            "{text}"
        );
    }

    #[test]
    fn a_zero_limit_writes_no_denial_event() {
        let log = DenialLog::new(0, Arc::new(Metrics::new()));
        assert!(!(0..10).any(|_| log.admit(0)));
    }
}
