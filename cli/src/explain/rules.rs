//! The rules that came closest to allowing an origin: how each one's host fits the
//! origin's, why it does not match (scheme, port, mode, host), and their order.

use std::cmp::Reverse;
use std::fmt::Write as _;

use origin_policy::host::HostKind;
use origin_policy::pattern::{HostPattern, PortSpec};
use origin_policy::public_suffix::registrable_domain;
use origin_policy::{Decision, DenyReason, Host, Mode, Origin, Policy, Rule};

use super::{Report, RuleRecord, MAX_RULES_SHOWN};
use crate::escape::escape;

/// `live[2] https://*.berbix.com`
pub(super) fn name(rule: &Rule) -> String {
    format!("{} {}", rule.name(), rule)
}

/// How a rule's host stands to the origin's host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostFit {
    /// The rule's host pattern allows the origin's host.
    Matches,
    /// The rule is `*.H` and the origin's host is `H`, which the wildcard never matches.
    WildcardBase,
    /// Another host of the same domain, by the heuristic of [`related_labels`]: the number
    /// of trailing labels the names share.
    Related(usize),
    /// Nothing in common.
    Unrelated,
}

/// A rule worth showing, with why it does or does not allow the origin.
struct Candidate<'p> {
    rule: &'p Rule,
    fit: HostFit,
    /// Why it does not match: empty when it does.
    reasons: Vec<String>,
    decides: bool,
}

impl Candidate<'_> {
    /// Closest first: the deciding rule, other matches, rules that fit the host but differ
    /// in scheme, port or mode (fewest differences first, the checked mode first), wildcards
    /// over the host itself, then other hosts of the same domain (most shared labels first).
    /// Ties go by mode, then index.
    fn order(&self, mode: Mode) -> (usize, usize, Reverse<usize>, bool, Mode, usize) {
        let group = match self.fit {
            _ if self.decides => 0,
            HostFit::Matches if self.reasons.is_empty() => 1,
            HostFit::Matches => 2,
            HostFit::WildcardBase => 3,
            HostFit::Related(_) | HostFit::Unrelated => 4,
        };
        let shared = match self.fit {
            HostFit::Related(shared) => shared,
            _ => 0,
        };
        (
            group,
            self.reasons.len(),
            Reverse(shared),
            self.rule.mode() != mode,
            self.rule.mode(),
            self.rule.index(),
        )
    }
}

/// The rules that came closest, with why each did or did not match.
pub(super) fn describe_rules(
    out: &mut Report,
    policy: &Policy,
    mode: Mode,
    origin: &Origin<'_>,
    decision: &Decision<'_>,
) {
    let deciding = decision.rule();
    let allowed = decision.is_allowed();
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for rule_mode in Mode::ALL {
        for rule in policy.rules(rule_mode) {
            let fit = host_fit(rule, origin);
            let same_mode = rule_mode == mode;
            // For an allowed origin, only the rules whose host fits; for a denied one, also
            // the near misses of the mode.
            let shown = match fit {
                HostFit::Matches => true,
                HostFit::WildcardBase | HostFit::Related(_) => same_mode && !allowed,
                HostFit::Unrelated => false,
            };
            if !shown {
                continue;
            }
            let decides =
                deciding.is_some_and(|d| d.mode() == rule.mode() && d.index() == rule.index());
            let reasons = reasons(policy, rule, fit, origin, mode);
            candidates.push(Candidate {
                rule,
                fit,
                reasons,
                decides,
            });
        }
    }
    candidates.sort_by_key(|candidate| candidate.order(mode));

    let count = policy.rules(mode).len();
    let header = match (count, candidates.is_empty()) {
        (0, true) => format!("none in {mode} mode"),
        (0, false) => format!("none in {mode} mode; the closest of the other mode:"),
        (_, true) => format!("{count} in {mode} mode, none for this host or its domain"),
        (_, false) => format!("{count} in {mode} mode; the closest to this origin first:"),
    };
    out.line("rules", &header);
    let shown = &candidates[..candidates.len().min(MAX_RULES_SHOWN)];
    let label = |rule: &Rule| rule.name().to_string();
    let label_width = shown.iter().map(|c| label(c.rule).len()).max().unwrap_or(0);
    let text_width = shown
        .iter()
        .map(|c| c.rule.as_str().chars().count())
        .max()
        .unwrap_or(0);
    for candidate in shown {
        let why = if candidate.decides {
            "matches: this rule decides".to_owned()
        } else if candidate.reasons.is_empty() {
            let more_specific = deciding.map(label).unwrap_or_default();
            format!("matches too, but {more_specific} is more specific")
        } else {
            candidate.reasons.join("; ")
        };
        let _ = writeln!(
            out.text,
            "  {:<label_width$}  {:<text_width$}  {why}",
            label(candidate.rule),
            candidate.rule.as_str(),
        );
        if let Some(note) = candidate.rule.note() {
            let indent = 2 + label_width + 2;
            let _ = writeln!(out.text, "{:indent$}note: {}", "", escape(note));
        }
        out.record.rules.push(RuleRecord {
            mode: candidate.rule.mode().as_str(),
            index: candidate.rule.index(),
            rule: candidate.rule.as_str().to_owned(),
            note: candidate.rule.note().map(str::to_owned),
            matches: candidate.reasons.is_empty(),
            decides: candidate.decides,
            why,
        });
    }
    let left_out = candidates.len() - shown.len();
    out.record.rules_not_shown = left_out;
    if left_out > 0 {
        let noun = if left_out == 1 { "rule" } else { "rules" };
        let _ = writeln!(
            out.text,
            "  ... and {left_out} more related {noun} not shown"
        );
    }
}

/// Why `rule` does not allow `origin` in `mode`: host, scheme, port and mode, each that
/// differs. Empty when it matches.
fn reasons(
    policy: &Policy,
    rule: &Rule,
    fit: HostFit,
    origin: &Origin<'_>,
    mode: Mode,
) -> Vec<String> {
    let pattern = rule.to_pattern();
    let host = origin.host();
    let mut reasons = Vec::new();
    match (fit, pattern.host()) {
        (HostFit::Matches, _) => {
            if let Err(DenyReason::PublicSuffixBoundary) = policy.rule_allows(rule, origin) {
                let suffix = origin.public_suffix().unwrap_or("?");
                reasons.push(format!(
                    "{host} lies under the public suffix {suffix}, beyond the wildcard's base: \
                     another owner's namespace"
                ));
            }
        }
        (HostFit::WildcardBase, _) => {
            reasons.push(format!(
                "`{}` never matches {host} itself",
                wildcard_of(rule)
            ));
        }
        (_, HostPattern::Subdomains(base)) => reasons.push(format!("host not under {base}")),
        (_, HostPattern::LabelWildcard { base, .. }) => {
            reasons.push(format!("host is not one fitting label on {base}"));
        }
        (_, _) => reasons.push("host differs".to_owned()),
    }
    let scheme_differs = pattern.scheme() != origin.scheme();
    if scheme_differs {
        reasons.push(format!(
            "scheme {}, not {}",
            origin.scheme(),
            pattern.scheme()
        ));
    }
    if let PortSpec::Exact(port) = pattern.port() {
        // Each on its scheme's default port: the scheme says it all.
        let both_default = scheme_differs
            && port == pattern.scheme().default_port()
            && origin.port() == origin.scheme().default_port();
        if port != origin.port() && !both_default {
            reasons.push(format!("port {}, not {port}", origin.port()));
        }
    }
    if rule.mode() != mode {
        reasons.push(format!("only in {} mode", rule.mode()));
    }
    reasons
}

/// `*.base` of a wildcard rule.
fn wildcard_of(rule: &Rule) -> String {
    rule.to_pattern().host().to_string()
}

/// How the rule's host pattern stands to the origin's host.
fn host_fit(rule: &Rule, origin: &Origin<'_>) -> HostFit {
    let (host, kind) = (origin.host(), origin.host_kind());
    let pattern = rule.to_pattern();
    let pattern = pattern.host();
    if pattern.matches(host, kind) {
        return HostFit::Matches;
    }
    match (pattern, kind) {
        (HostPattern::Subdomains(base), HostKind::Domain) if base == host => HostFit::WildcardBase,
        (HostPattern::Exact(Host::Domain(name)), HostKind::Domain) => related(name, host),
        (
            HostPattern::Subdomains(base) | HostPattern::LabelWildcard { base, .. },
            HostKind::Domain,
        ) => related(base, host),
        _ => HostFit::Unrelated,
    }
}

fn related(name: &str, host: &str) -> HostFit {
    match related_labels(name, host) {
        0 => HostFit::Unrelated,
        shared => HostFit::Related(shared),
    }
}

/// "Another host of the same domain": the names have the same registrable domain by the
/// Public Suffix List (`app.berbix.com` and `*.berbix.com`, but never `alice.github.io`
/// and `bob.github.io`, nor `news.bbc.co.uk` and `news.itv.co.uk`), or both are loopback
/// names (`localhost` and `app.localhost`). Gives the number of trailing labels they share,
/// for the order, or 0 when they are not related.
fn related_labels(a: &str, b: &str) -> usize {
    let same_owner = match (registrable_domain(a), registrable_domain(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    };
    let loopback = |name: &str| Host::Domain(name.to_owned()).is_loopback();
    if !(same_owner || (loopback(a) && loopback(b))) {
        return 0;
    }
    a.rsplit('.')
        .zip(b.rsplit('.'))
        .take_while(|(x, y)| x == y)
        .count()
}

/// Whether some rule of the policy, of either mode, is near `origin`: its host fits, or it
/// is another host of the origin's registrable domain ([`host_fit`]). Only then does
/// `explain` offer an entry to copy: for an origin no rule is near (`https://evil.co.uk`,
/// `https://example.com.evil.net`), an entry that allows it would let in another site.
pub(super) fn any_rule_near(policy: &Policy, origin: &Origin<'_>) -> bool {
    Mode::ALL.iter().any(|&mode| {
        policy
            .rules(mode)
            .iter()
            .any(|rule| host_fit(rule, origin) != HostFit::Unrelated)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_names_have_one_registrable_domain() {
        assert_eq!(related_labels("app.berbix.com", "www.berbix.com"), 2);
        assert_eq!(related_labels("berbix.com", "a.b.berbix.com"), 2);
        assert_eq!(related_labels("localhost", "app.localhost"), 1);
        assert_eq!(related_labels("a.b.co.uk", "c.b.co.uk"), 3);
        assert_eq!(related_labels("berbix.com", "evil.com"), 0);
        assert_eq!(related_labels("berbix.com", "berbix.net"), 0);
        assert_eq!(related_labels("com", "berbix.com"), 0);
        assert_eq!(related_labels("alice.github.io", "bob.github.io"), 0);
        assert_eq!(related_labels("news.bbc.co.uk", "news.itv.co.uk"), 0);
        assert_eq!(
            related_labels("x.bucket.s3.amazonaws.com", "other.s3.amazonaws.com"),
            0
        );
    }
}
