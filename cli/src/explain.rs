//! `explain`: how one origin was read, the decision, and the rules that came closest to
//! allowing it, each with why it did not.

use std::cmp::Reverse;
use std::fmt::Write as _;

use origin_policy::host::{split_host_port, HostKind};
use origin_policy::pattern::{HostPattern, PortSpec};
use origin_policy::public_suffix::registrable_domain;
use origin_policy::{Decision, DenyReason, Host, Mode, Origin, OriginErrorKind, Policy, Rule};

use serde::Serialize;

use crate::escape::{echo, escape};

/// How many related rules are listed at most; the rest are counted.
const MAX_RULES_SHOWN: usize = 8;

/// The width of the label column (`origin`, `host`, `decision`, ...).
const LABEL_WIDTH: usize = 11;

/// One `explain --json` object: the same facts as the text, as fields. Strings hold the
/// text whole (the JSON writer escapes what a terminal would act on).
#[derive(Debug, Default, Serialize)]
pub(crate) struct ExplainRecord {
    origin: String,
    mode: &'static str,
    /// `allow` or `deny`.
    decision: &'static str,
    /// The rule that allowed the origin (canonical text), else null.
    rule: Option<String>,
    /// Why it was allowed without a rule or denied, else null.
    reason: Option<String>,
    /// The origin as a browser sends it; null for a malformed one.
    normalized: Option<String>,
    /// What is wrong with a malformed origin, and the hint for it.
    problem: Option<String>,
    hint: Option<String>,
    /// The closest rules, closest first (at most 8), and how many more were left out.
    rules: Vec<RuleRecord>,
    rules_not_shown: usize,
    /// For a denied origin near a rule: the entry that would allow exactly it.
    allow_with: Option<String>,
    /// Instead, why no entry of the mode can allow it.
    cannot: Option<String>,
    /// For a denied origin that no rule is near: true, and no entry is suggested.
    no_rule_near: bool,
}

/// One rule of [`ExplainRecord::rules`].
#[derive(Debug, Serialize)]
struct RuleRecord {
    mode: &'static str,
    index: usize,
    rule: String,
    note: Option<String>,
    matches: bool,
    decides: bool,
    /// Why it does not match, or what the text says of a match.
    why: String,
}

/// What `explain` prints: the text, the JSON record, and whether the origin is allowed.
pub(crate) struct Explanation {
    pub(crate) text: String,
    pub(crate) record: ExplainRecord,
    pub(crate) allowed: bool,
}

/// The explanation of `input` under `policy` in `mode`.
pub(crate) fn explain(policy: &Policy, mode: Mode, input: &str) -> Explanation {
    let mut out = Report::default();
    out.record.origin = input.to_owned();
    out.record.mode = mode.as_str();
    out.line("origin", &echo(input));
    let decision = policy.check(mode, input);
    out.record.decision = if decision.is_allowed() {
        "allow"
    } else {
        "deny"
    };
    match Origin::parse(input) {
        Ok(origin) => {
            out.record.normalized = Some(origin.to_string());
            describe_origin(&mut out, input, &origin);
            describe_decision(&mut out, mode, input, &decision);
            describe_rules(&mut out, policy, mode, &origin, &decision);
            if matches!(decision, Decision::Deny(_)) {
                suggest_entry(&mut out, policy, mode, &origin);
            }
        }
        Err(kind) => {
            out.record.problem = Some(kind.to_string());
            out.line("problem", &kind.to_string());
            describe_decision(&mut out, mode, input, &decision);
            if let Some(hint) = malformed_hint(input, kind) {
                out.line("hint", &hint);
                out.record.hint = Some(hint);
            }
        }
    }
    Explanation {
        text: out.text,
        record: out.record,
        allowed: decision.is_allowed(),
    }
}

/// The text being written and the record being filled.
#[derive(Default)]
struct Report {
    text: String,
    record: ExplainRecord,
}

impl Report {
    /// `label` padded to the label column, then `text`.
    fn line(&mut self, label: &str, text: &str) {
        // Writing to a String cannot fail.
        let _ = writeln!(self.text, "{label:<LABEL_WIDTH$}{text}");
    }
}

/// The parts of a well-formed origin, as written and as normalized.
fn describe_origin(out: &mut Report, input: &str, origin: &Origin<'_>) {
    let written = Written::of(input);
    let scheme = origin.scheme().as_str();
    if written.scheme == scheme {
        out.line("scheme", scheme);
    } else {
        out.line("scheme", &format!("{} -> {scheme}", echo(written.scheme)));
    }

    let kind = match origin.host_kind() {
        HostKind::Domain => "domain",
        HostKind::Ipv4 => "IPv4",
        HostKind::Ipv6 => "IPv6",
    };
    let mut about = vec![kind.to_owned()];
    if origin.is_loopback() {
        about.push("loopback".to_owned());
    }
    let host = origin.host();
    if written.host == host {
        out.line("host", &format!("{host} ({})", about.join(", ")));
    } else {
        let steps = normalization_steps(written.host, origin.host_kind());
        out.line(
            "host",
            &format!(
                "{} -> {host} ({}; {})",
                echo(written.host),
                about.join(", "),
                steps.join(", ")
            ),
        );
    }

    let port = origin.port();
    let default = origin.scheme().default_port();
    let port_text = match written.port {
        None => format!("{port} (the {scheme} default)"),
        Some(_) if port == default => format!("{port} (written out; the {scheme} default)"),
        Some(text) if text != port.to_string() => format!("{} -> {port}", echo(text)),
        Some(_) => port.to_string(),
    };
    out.line("port", &port_text);

    let normalized = origin.to_string();
    if normalized == input {
        out.line("normalized", &format!("{normalized} (as given)"));
    } else {
        out.line("normalized", &normalized);
    }
}

/// The scheme, host and port of a well-formed origin as they were written.
struct Written<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<&'a str>,
}

impl<'a> Written<'a> {
    /// Splits an input that [`Origin::parse`] accepted: `scheme://host[:port]`, where the
    /// host may be a bracketed IPv6 address.
    fn of(input: &'a str) -> Written<'a> {
        let (scheme, authority) = input.split_once("://").unwrap_or(("", input));
        let (host, port) = split_host_port(authority).unwrap_or((authority, None));
        Written { scheme, host, port }
    }
}

/// What normalization did to a host as written, in words.
fn normalization_steps(written: &str, kind: HostKind) -> Vec<&'static str> {
    let mut steps = Vec::new();
    match kind {
        HostKind::Ipv4 => steps.push("dotted-decimal form"),
        HostKind::Ipv6 => steps.push("compressed form"),
        HostKind::Domain => {
            if written.ends_with('.') {
                steps.push("trailing dot dropped");
            }
            if written.bytes().any(|b| b.is_ascii_uppercase()) {
                steps.push("lowercased");
            }
            if !written.is_ascii() {
                steps.push("IDNA: Unicode to punycode");
            }
        }
    }
    if steps.is_empty() {
        steps.push("normalized");
    }
    steps
}

fn describe_decision(out: &mut Report, mode: Mode, input: &str, decision: &Decision<'_>) {
    let text = match decision {
        Decision::Allow(rule) => {
            out.record.rule = Some(rule.as_str().to_owned());
            format!("allow in {mode} mode, by {}", name(rule))
        }
        Decision::AllowTestLoopback => {
            out.record.reason = Some("implicit test loopback".to_owned());
            format!(
                "allow in {mode} mode, without a rule: the host is loopback and the policy has \
                 implicit_test_loopback on"
            )
        }
        Decision::Deny(reason) => {
            out.record.reason = Some(reason.describe(input));
            format!("deny in {mode} mode: {}", reason.describe(input))
        }
        other => {
            out.record.reason = Some(other.to_string());
            format!("{other} in {mode} mode")
        }
    };
    out.line("decision", &text);
}

/// `live[2] https://*.berbix.com`
fn name(rule: &Rule) -> String {
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
fn describe_rules(
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
fn any_rule_near(policy: &Policy, origin: &Origin<'_>) -> bool {
    Mode::ALL.iter().any(|&mode| {
        policy
            .rules(mode)
            .iter()
            .any(|rule| host_fit(rule, origin) != HostFit::Unrelated)
    })
}

/// For a denied, well-formed origin: the entry that would allow it in `mode`, or why no
/// entry of `mode` can; nothing to copy when no rule is near it (a loopback origin in test
/// mode, the developer's own machine, still gets its entry and the option).
fn suggest_entry(out: &mut Report, policy: &Policy, mode: Mode, origin: &Origin<'_>) {
    let entry = origin.to_string();
    let loopback_in_test = mode == Mode::Test && origin.is_loopback();
    let built = Policy::builder()
        .options(policy.options())
        .allow(mode, &entry)
        .build();
    match built {
        Ok(_) if !loopback_in_test && !any_rule_near(policy, origin) => {
            out.record.no_rule_near = true;
            let what = match origin.host_kind() {
                HostKind::Domain => match registrable_domain(origin.host()) {
                    Some(domain) => format!("shares this origin's registrable domain ({domain})"),
                    None => "is under this origin's name".to_owned(),
                },
                HostKind::Ipv4 | HostKind::Ipv6 => "names this address".to_owned(),
            };
            out.line(
                "near",
                &format!(
                    "no rule of the policy {what}: no entry is suggested, since one would let \
                     in another owner's site"
                ),
            );
        }
        Ok(_) if loopback_in_test => {
            out.record.allow_with = Some(entry.clone());
            out.line(
                "allow with",
                &format!(
                    "the test entry `{entry}` (this origin only), or implicit_test_loopback = \
                     true in [options] (every loopback origin)"
                ),
            );
        }
        Ok(_) => {
            let beyond =
                policy.check(mode, &entry).deny_reason() == Some(DenyReason::PublicSuffixBoundary);
            let caution = match origin.public_suffix() {
                Some(suffix) if beyond => format!(
                    ", and only if it is yours: names under {suffix} belong to whoever \
                     registered them"
                ),
                _ => String::new(),
            };
            out.line(
                "allow with",
                &format!("the {mode} entry `{entry}` (this origin only{caution})"),
            );
            out.record.allow_with = Some(entry);
        }
        Err(err) => {
            let why = err
                .entries()
                .first()
                .map(|entry| entry.error.kind().to_string())
                .unwrap_or_default();
            out.line("cannot", &format!("be allowed in {mode} mode: {why}"));
            out.record.cannot = Some(why);
        }
    }
}

/// For a malformed origin, what a well-formed one would look like, or why none can be.
fn malformed_hint(input: &str, kind: OriginErrorKind) -> Option<String> {
    use OriginErrorKind as Kind;
    match kind {
        Kind::Opaque => Some(
            "`null` comes from sandboxed frames, file: pages and some redirects; no rule can \
             allow it"
                .to_owned(),
        ),
        Kind::Path | Kind::Query | Kind::Fragment | Kind::Whitespace | Kind::MissingScheme => {
            let trimmed = input.trim_matches(|c: char| c.is_ascii_whitespace());
            let with_scheme = if trimmed.contains("://") {
                trimmed.to_owned()
            } else {
                format!("https://{trimmed}")
            };
            let (scheme, rest) = with_scheme.split_once("://")?;
            let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            let candidate = format!("{scheme}://{authority}");
            let origin = Origin::parse(&candidate).ok()?;
            Some(format!(
                "an Origin header is only `scheme://host[:port]`: did you mean {}?",
                origin
            ))
        }
        _ => None,
    }
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

    #[test]
    fn written_parts_of_an_origin() {
        let w = Written::of("HTTPS://Www.X.com:443");
        assert_eq!(
            (w.scheme, w.host, w.port),
            ("HTTPS", "Www.X.com", Some("443"))
        );
        let w = Written::of("http://[0:0::1]:8080");
        assert_eq!(
            (w.scheme, w.host, w.port),
            ("http", "[0:0::1]", Some("8080"))
        );
        let w = Written::of("http://[::1]");
        assert_eq!((w.host, w.port), ("[::1]", None));
    }
}
