//! Label wildcards (`pr-*.preview.example.com`): per (mode, scheme, base), the rules'
//! leftmost-label patterns compiled into regex-automata dense DFAs at build time.
//!
//! The index keys each group by its base, so a check consults a group only when the
//! origin's parent domain *is* that base, and then runs at most two DFAs over the origin's
//! leftmost label (at most 63 bytes):
//!
//! * a forward DFA for the patterns whose literal prefix is at least as long as their
//!   suffix (`pr-*`, `app-*-eu`), scanning the label left to right;
//! * a reverse DFA for the others (`*-staging`), whose patterns are written reversed and
//!   which scans the label right to left.
//!
//! Either way the literal characters come first and the `*` loop late in the scanned bytes,
//! so determinization stays close to a trie of the literals instead of the subset explosion
//! of many leading loops. Both DFAs are anchored, report every pattern that matches
//! (`MatchKind::All`), and are stepped by hand (`next_state` / `next_eoi_state`), which
//! reads only the transition table: a check allocates nothing and shares the DFAs between
//! threads without a cache.
//!
//! Each DFA pattern ID maps back to the rules that share that `prefix*suffix` (the same
//! label pattern on several ports), lowest rule index first. The NFA, the determinization
//! and the finished DFA are bounded by [`MAX_LABEL_WILDCARD_DFA_BYTES`] each, and all
//! groups of a policy together by [`MAX_LABEL_WILDCARD_TOTAL_BYTES`]; a policy over a limit
//! fails to build with [`PatternErrorKind::LabelWildcardLimit`](crate::PatternErrorKind::LabelWildcardLimit).

use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, MatchKind};

use crate::index::RuleIndex;
use crate::pattern::{HostPattern, PortSpec};
use crate::policy::Rule;

/// The size limit, in bytes, of each of the NFA, the determinization and the finished DFA
/// of one direction of one (mode, scheme, base) group of label wildcards.
pub const MAX_LABEL_WILDCARD_DFA_BYTES: usize = 8 << 20;

/// The limit, in bytes, on the DFAs of all label wildcards of a policy together.
pub const MAX_LABEL_WILDCARD_TOTAL_BYTES: usize = 64 << 20;

/// The regex for the `*` of a label wildcard: one or more label characters.
const STAR: &str = "[-0-9_a-z]+";

/// The compiled label wildcards of one (mode, scheme, base).
#[derive(Debug)]
pub(crate) struct LabelSet {
    forward: Option<Matcher>,
    reverse: Option<Matcher>,
}

#[derive(Debug)]
struct Matcher {
    dfa: dense::DFA<Vec<u32>>,
    start: StateID,
    /// By pattern ID: the literal characters of the pattern, and its rules, lowest first.
    patterns: Vec<(usize, Box<[RuleIndex]>)>,
}

/// Why a group could not be compiled: over a size limit.
#[derive(Debug)]
pub(crate) struct OverLimit;

fn parts(rule: &Rule) -> (&str, &str) {
    match rule.pattern().host() {
        HostPattern::LabelWildcard { prefix, suffix, .. } => (prefix, suffix),
        _ => unreachable!("only label wildcards are grouped"),
    }
}

impl LabelSet {
    /// Compiles `members` (rule indices into `rules`, ascending), all label wildcards on
    /// the same base, with `limit` bytes per automaton. Returns the set and its size.
    pub(crate) fn build(
        rules: &[Rule],
        members: &[RuleIndex],
        limit: usize,
    ) -> Result<(LabelSet, usize), OverLimit> {
        // Distinct (prefix, suffix) in order of first appearance, with their rules.
        let mut distinct: Vec<(&str, &str, Vec<RuleIndex>)> = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for &member in members {
            let key = parts(&rules[member as usize]);
            let at = *seen.entry(key).or_insert_with(|| {
                distinct.push((key.0, key.1, Vec::new()));
                distinct.len() - 1
            });
            distinct[at].2.push(member);
        }
        let (forward, reverse): (Vec<_>, Vec<_>) = distinct
            .into_iter()
            .partition(|(prefix, suffix, _)| prefix.len() >= suffix.len());
        let forward = Matcher::build(forward, false, limit)?;
        let reverse = Matcher::build(reverse, true, limit)?;
        let size = [&forward, &reverse]
            .into_iter()
            .flatten()
            .map(|matcher| matcher.dfa.memory_usage())
            .sum();
        Ok((LabelSet { forward, reverse }, size))
    }

    /// The best rule whose pattern fits `label` and whose port allows `port`: the most
    /// literal characters, then an exact port over `*`, then the lowest index.
    #[inline]
    pub(crate) fn best(&self, rules: &[Rule], label: &str, port: u16) -> Option<RuleIndex> {
        let mut best: Option<(usize, bool, RuleIndex)> = None;
        if let Some(forward) = &self.forward {
            forward.collect(rules, label.bytes(), port, &mut best);
        }
        if let Some(reverse) = &self.reverse {
            reverse.collect(rules, label.bytes().rev(), port, &mut best);
        }
        best.map(|(_, _, rule)| rule)
    }
}

impl Matcher {
    fn build(
        patterns: Vec<(&str, &str, Vec<RuleIndex>)>,
        reversed: bool,
        limit: usize,
    ) -> Result<Option<Matcher>, OverLimit> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let regexes: Vec<String> = patterns
            .iter()
            .map(|(prefix, suffix, _)| {
                // Label characters are never regex metacharacters outside a class.
                debug_assert!(prefix
                    .bytes()
                    .chain(suffix.bytes())
                    .all(|b| { crate::host::is_label_byte(b) }));
                if reversed {
                    let prefix: String = prefix.chars().rev().collect();
                    let suffix: String = suffix.chars().rev().collect();
                    format!("{suffix}{STAR}{prefix}")
                } else {
                    format!("{prefix}{STAR}{suffix}")
                }
            })
            .collect();
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::All)
                    .start_kind(StartKind::Anchored)
                    .determinize_size_limit(Some(limit))
                    .dfa_size_limit(Some(limit)),
            )
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .thompson(
                thompson::Config::new()
                    .utf8(false)
                    .nfa_size_limit(Some(limit)),
            )
            .build_many(&regexes)
            .map_err(|_| OverLimit)?;
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .map_err(|_| OverLimit)?;
        let patterns = patterns
            .into_iter()
            .map(|(prefix, suffix, members)| (prefix.len() + suffix.len(), members.into()))
            .collect();
        Ok(Some(Matcher {
            dfa,
            start,
            patterns,
        }))
    }

    /// Runs the DFA over `bytes` and folds every matching pattern's rules into `best`.
    #[inline]
    fn collect(
        &self,
        rules: &[Rule],
        bytes: impl Iterator<Item = u8>,
        port: u16,
        best: &mut Option<(usize, bool, RuleIndex)>,
    ) {
        let dfa = &self.dfa;
        let mut state = self.start;
        for byte in bytes {
            state = dfa.next_state(state, byte);
            if dfa.is_dead_state(state) {
                return;
            }
        }
        state = dfa.next_eoi_state(state);
        if !dfa.is_match_state(state) {
            return;
        }
        for at in 0..dfa.match_len(state) {
            let (literals, members) = &self.patterns[dfa.match_pattern(state, at).as_usize()];
            for &rule in members.iter() {
                let exact = match rules[rule as usize].pattern().port() {
                    PortSpec::Exact(own) if own == port => true,
                    PortSpec::Exact(_) => continue,
                    PortSpec::Any => false,
                };
                let better = match *best {
                    None => true,
                    Some((best_literals, best_exact, best_rule)) => {
                        (*literals, exact) > (best_literals, best_exact)
                            || ((*literals, exact) == (best_literals, best_exact)
                                && rule < best_rule)
                    }
                };
                if better {
                    *best = Some((*literals, exact, rule));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Mode, Policy};

    fn policy(entries: &[&str]) -> Policy {
        let mut builder = Policy::builder();
        for entry in entries {
            builder.allow(Mode::Live, entry);
        }
        builder.build().unwrap()
    }

    #[test]
    fn both_directions_find_every_pattern() {
        let policy = policy(&[
            "https://pr-*.preview.example.com",
            "https://*-staging.preview.example.com",
            "https://app-*-eu.preview.example.com",
            "https://*.preview.example.com:*",
        ]);
        let rules = policy.rules(Mode::Live);
        let members: Vec<RuleIndex> = vec![0, 1, 2];
        let (set, size) = LabelSet::build(rules, &members, MAX_LABEL_WILDCARD_DFA_BYTES).unwrap();
        assert!(size > 0);
        assert!(set.forward.is_some() && set.reverse.is_some());
        assert_eq!(set.best(rules, "pr-1", 443), Some(0));
        assert_eq!(set.best(rules, "pr-", 443), None);
        assert_eq!(set.best(rules, "x-staging", 443), Some(1));
        assert_eq!(set.best(rules, "-staging", 443), None);
        assert_eq!(set.best(rules, "app-1-eu", 443), Some(2));
        assert_eq!(set.best(rules, "pr-1-staging", 443), Some(1));
        assert_eq!(set.best(rules, "pr-1", 8443), None);
        assert_eq!(set.best(rules, "pr-1.x", 443), None);
    }

    #[test]
    fn a_tiny_limit_is_refused_not_exceeded() {
        let entries: Vec<String> = (0..200)
            .map(|i| format!("https://*-{i}x{}.example.com", i * 7919))
            .collect();
        let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
        let policy = policy(&refs);
        let rules = policy.rules(Mode::Live);
        let members: Vec<RuleIndex> = (0..200).collect();
        assert!(LabelSet::build(rules, &members, 1024).is_err());
        assert!(LabelSet::build(rules, &members, MAX_LABEL_WILDCARD_DFA_BYTES).is_ok());
    }
}
