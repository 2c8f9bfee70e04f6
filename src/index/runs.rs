//! hot path: measured with benches/instructions.sh
//!
//! Port runs: the rules that share a key (the same host, or the same `*.` base, or the same
//! label-wildcard pattern) on several ports, kept so that a check finds its port without
//! looking at the others.
//!
//! A run holds at most one rule per port, the earliest (which wins ties anyway), sorted by
//! port, with the `:*` rule first (its port is 0, [`Rule::port_order`]). A check binary
//! searches the run for the origin's port and falls back to the `:*` rule: at most
//! `log2(65,536) + 1 = 17` ports compared, whatever the number of rules. Exact duplicates
//! (the same pattern again in the same mode) are dropped here and never reach a check;
//! `Policy::lint` reports them ([`WarningKind::Duplicate`](crate::WarningKind::Duplicate)).

use super::id::RuleId;
use super::work;
use crate::rule::Rule;

/// Sorts `members` (rules of one key) into a run: by port, `:*` first, one rule per port,
/// the lowest id of each.
pub(super) fn arrange(rules: &[Rule], members: &mut Vec<RuleId>) {
    let port = |rule: RuleId| rules.get(rule.index()).map_or(0, Rule::port_order);
    members.sort_unstable_by_key(|&rule| (port(rule), rule));
    members.dedup_by_key(|rule| port(*rule));
    debug_assert!(
        members.windows(2).all(|w| port(w[0]) < port(w[1])),
        "a run is sorted by port, one rule per port"
    );
}

/// The rule of `run` (stored ids, as [`arrange`] left them) that allows `port`: the one on
/// exactly this port, or else the `:*` one.
#[inline]
pub(super) fn pick(rules: &[Rule], run: &[u32], port: u16) -> Option<RuleId> {
    let port_of = |stored: u32| {
        RuleId::from_stored(stored)
            .and_then(|rule| rules.get(rule.index()))
            .map_or(0, Rule::port_order)
    };
    let found = run.binary_search_by(|&stored| {
        work::count(1);
        port_of(stored).cmp(&port)
    });
    let at = match found {
        Ok(at) => at,
        Err(_) if run.first().is_some_and(|&first| port_of(first) == 0) => 0,
        Err(_) => return None,
    };
    run.get(at).copied().and_then(RuleId::from_stored)
}

/// [`pick`] over a run of [`Runs`], whose members carry their ports: the search reads the
/// run alone, not the rules (at 100,000 rules, each rule read is about one more cache
/// miss).
#[inline]
pub(super) fn pick_in(run: &[[u32; 2]], port: u16) -> Option<RuleId> {
    let found = run.binary_search_by(|&[member_port, _]| {
        work::count(1);
        member_port.cmp(&u32::from(port))
    });
    let at = match found {
        Ok(at) => at,
        Err(_) if run.first().is_some_and(|&[first_port, _]| first_port == 0) => 0,
        Err(_) => return None,
    };
    run.get(at).and_then(|&[_, rule]| RuleId::from_stored(rule))
}

/// Whether `ordering` puts a run's port before the origin's; for the tests' readability.
#[cfg(test)]
fn before(ordering: std::cmp::Ordering) -> bool {
    ordering == std::cmp::Ordering::Less
}

/// The runs of an index: each is a header `[length, 0]`, then its rules as `[port, rule]`
/// ([`Rule::port_order`] and the stored id), so that a check finds its port in the run
/// without reading the rules.
#[derive(Debug, Default)]
pub(super) struct Runs {
    items: Box<[[u32; 2]]>,
}

/// Builds [`Runs`].
#[derive(Debug, Default)]
pub(super) struct RunsBuilder {
    items: Vec<[u32; 2]>,
}

impl RunsBuilder {
    /// Adds the run of `members` (arranged) and returns where it starts.
    pub(super) fn push(&mut self, rules: &[Rule], members: &[RuleId]) -> usize {
        let start = self.items.len();
        // A run has at most one rule per port: 65,536 of them.
        self.items
            .push([u32::try_from(members.len()).unwrap_or(u32::MAX), 0]);
        self.items.extend(members.iter().map(|rule| {
            let port = rules.get(rule.index()).map_or(0, Rule::port_order);
            [u32::from(port), rule.get()]
        }));
        start
    }

    pub(super) fn finish(self) -> Runs {
        Runs {
            items: self.items.into_boxed_slice(),
        }
    }
}

impl Runs {
    /// The rules of the run at `start`, with their ports.
    #[inline]
    pub(super) fn get(&self, start: usize) -> &[[u32; 2]] {
        let len = self.items.get(start).map_or(0, |&[len, _]| len as usize);
        self.items
            .get(start + 1..start + 1 + len)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Mode, Policy};

    /// (entries of one key, origin port, the entry that decides or `None`).
    const CASES: &[(&[&str], u16, Option<usize>)] = &[
        (&["https://a.com:1", "https://a.com:2"], 1, Some(0)),
        (&["https://a.com:1", "https://a.com:2"], 2, Some(1)),
        (&["https://a.com:1", "https://a.com:2"], 3, None),
        (&["https://a.com:*", "https://a.com:2"], 3, Some(0)),
        (&["https://a.com:*", "https://a.com:2"], 2, Some(1)),
        (
            &["https://a.com:2", "https://a.com:*", "https://a.com:*"],
            9,
            Some(1),
        ),
        (
            &["https://a.com:2", "https://a.com:2", "https://a.com:*"],
            2,
            Some(0),
        ),
        (
            &["https://a.com:9", "https://a.com:1", "https://a.com:5"],
            5,
            Some(2),
        ),
        (
            &["https://a.com:9", "https://a.com:1", "https://a.com:5"],
            4,
            None,
        ),
        (&["https://a.com:65535", "https://a.com"], 65535, Some(0)),
        (&["https://a.com:65535", "https://a.com"], 443, Some(1)),
    ];

    #[test]
    fn a_run_picks_the_exact_port_then_star_then_the_earliest() {
        for &(entries, port, want) in CASES {
            let mut builder = Policy::builder();
            for entry in entries {
                builder.allow(Mode::Live, entry);
            }
            let policy = builder.build().unwrap();
            let rules = policy.rules(Mode::Live);
            let mut members: Vec<RuleId> = (0..rules.len()).filter_map(RuleId::new).collect();
            arrange(rules, &mut members);
            let run: Vec<u32> = members.iter().map(|rule| rule.get()).collect();
            let got = pick(rules, &run, port).map(RuleId::index);
            assert_eq!(got, want, "{entries:?} on port {port}");
            let mut runs = RunsBuilder::default();
            let start = runs.push(rules, &members);
            let got = pick_in(runs.finish().get(start), port).map(RuleId::index);
            assert_eq!(got, want, "{entries:?} on port {port}, ports in the run");
            let ports: Vec<u16> = members
                .iter()
                .map(|rule| rules[rule.index()].port_order())
                .collect();
            assert!(
                ports.windows(2).all(|w| before(w[0].cmp(&w[1]))),
                "{ports:?}"
            );
        }
    }
}
