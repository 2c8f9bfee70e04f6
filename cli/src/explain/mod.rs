//! `explain`: how one origin was read, the decision, and the rules that came closest to
//! allowing it, each with why it did not.

use std::fmt::Write as _;

use origin_policy::host::{split_host_port, HostKind};
use origin_policy::{Decision, Mode, Origin, Policy};

use serde::Serialize;

use crate::escape::echo;

mod rules;
mod suggest;

use rules::{describe_rules, name};
use suggest::{malformed_hint, suggest_entry};

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

#[cfg(test)]
mod tests {
    use super::*;

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
