//! [`DecisionCounters`]: `origin_policy_decisions_total`, with the counter of each label
//! set looked up once.
//!
//! The family's own lookup hashes the three label strings (SipHash) under a lock on every
//! decision, which costs about as much as the decision itself. The label sets are few and
//! known (three results, the reason codes, three modes), so each has a slot that keeps the
//! family's counter (a handle to the same atomic) from its first use on: the series still
//! appears in the exposition only once it has counted something, and an increment is one
//! atomic add. A reason code without a slot (a new library reason) goes through the
//! family's lookup, as before.

use std::sync::OnceLock;

use origin_policy::Mode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use crate::reason_codes::{self, CODES};

/// The labels of a decision: `allowed`, `denied` or `would_deny`, the reason code
/// (`allowed` for an allowed request) and the mode (`none` without one, as for a CORS
/// preflight).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct DecisionLabels {
    result: &'static str,
    reason: &'static str,
    mode: &'static str,
}

/// The results, in slot order.
const RESULTS: [&str; 3] = ["allowed", "denied", "would_deny"];

/// The modes, in slot order.
const MODES: [&str; 3] = ["none", "live", "test"];

/// `origin_policy_decisions_total`: the family, and the counter of each label set it has
/// counted, resolved once.
pub(super) struct DecisionCounters {
    family: Family<DecisionLabels, Counter>,
    slots: Box<[OnceLock<Counter>]>,
}

impl DecisionCounters {
    pub(super) fn new(family: Family<DecisionLabels, Counter>) -> Self {
        let slots = (0..RESULTS.len() * CODES.len() * MODES.len())
            .map(|_| OnceLock::new())
            .collect();
        DecisionCounters { family, slots }
    }

    /// Counts one decision: `result` is an index into `RESULTS`.
    pub(super) fn inc(&self, result: usize, reason: &'static str, mode: Option<Mode>) {
        let mode = match mode {
            None => 0,
            Some(Mode::Live) => 1,
            Some(Mode::Test) => 2,
        };
        let labels = || DecisionLabels {
            result: RESULTS[result],
            reason,
            mode: MODES[mode],
        };
        let Some(reason) = reason_codes::slot(reason) else {
            self.family.get_or_create(&labels()).inc();
            return;
        };
        let slot = (result * CODES.len() + reason) * MODES.len() + mode;
        self.slots[slot]
            .get_or_init(|| self.family.get_or_create(&labels()).clone())
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_counts_in_the_family_s_series() {
        let family = Family::<DecisionLabels, Counter>::default();
        let counters = DecisionCounters::new(family.clone());
        let labels = |result, reason, mode| DecisionLabels {
            result,
            reason,
            mode,
        };
        counters.inc(1, "no_matching_rule", Some(Mode::Test));
        counters.inc(1, "no_matching_rule", Some(Mode::Test));
        counters.inc(0, "allowed", None);
        counters.inc(2, "a_reason_of_tomorrow", Some(Mode::Live));
        counters.inc(2, "a_reason_of_tomorrow", Some(Mode::Live));
        let count = |labels: DecisionLabels| family.get_or_create(&labels).get();
        assert_eq!(count(labels("denied", "no_matching_rule", "test")), 2);
        assert_eq!(count(labels("allowed", "allowed", "none")), 1);
        assert_eq!(
            count(labels("would_deny", "a_reason_of_tomorrow", "live")),
            2
        );
        assert_eq!(count(labels("denied", "no_matching_rule", "live")), 0);
    }
}
