//! Section 6: frame ancestors. Each row's rules are built with the row's option markers;
//! `Policy::frame_ancestors(mode)` must give the row's header and its left-out list, in
//! order. The header is then held against the testkit's naive `frame-ancestors` matcher
//! over origins drawn from the row's rules: every origin it admits must be allowed by the
//! policy in that mode or be the `http` upgrade the section describes, and every origin a
//! rule that is not left out allows must be admitted.

use std::collections::BTreeSet;
use std::fmt;

use origin_policy::{LeftOutReason, Mode, Origin, Policy, Scheme};
use origin_policy_testkit::csp;

use crate::examples::DOCUMENT_EXAMPLES;
use crate::markdown::{one_value, show, show_text, value_list, word_pairs, Row, Token};
use crate::matching::{bound_and_rules, build_rules, mode_spec};
use crate::report::Report;

/// One left-out entry as the table writes it: `Kind mode[i]`, or `Kind implicit` for the
/// implicit test loopback allowance.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LeftOutSpec {
    reason: LeftOutReason,
    rule: Option<(Mode, usize)>,
}

impl fmt::Display for LeftOutSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rule {
            Some((mode, index)) => write!(f, "{:?} {mode}[{index}]", self.reason),
            None => write!(f, "{:?} implicit", self.reason),
        }
    }
}

fn reason(name: &str) -> Result<LeftOutReason, String> {
    LeftOutReason::ALL
        .iter()
        .copied()
        .find(|kind| format!("{kind:?}") == name)
        .ok_or_else(|| format!("{name:?} is not a LeftOutReason"))
}

fn left_out_list(cell: &[Token]) -> Result<Vec<LeftOutSpec>, String> {
    word_pairs(cell, "Kind mode[i]` or `Kind implicit")?
        .into_iter()
        .map(|pair| {
            let rule = match pair[1] {
                "implicit" => None,
                text => Some(crate::lint::rule_ref(text)?),
            };
            Ok(LeftOutSpec {
                reason: reason(pair[0])?,
                rule,
            })
        })
        .collect()
}

pub fn run(rows: &[Row], report: &mut Report) -> BTreeSet<String> {
    let mut reasons_shown = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for row in rows {
        let read = (|| {
            Ok::<_, String>((
                bound_and_rules(&row.cells[0])?,
                value_list(&row.cells[1], true)?,
                mode_spec(&row.cells[2], &["loopback", "psl-optout"])?,
                one_value(&row.cells[3])?,
                left_out_list(&row.cells[4])?,
            ))
        })();
        let ((max_bytes, live), test, mut mode, header, expected) = match read {
            Ok(values) => values,
            Err(problem) => {
                report.fail(row.line, problem);
                continue;
            }
        };
        mode.max_bytes = max_bytes;
        if !seen.insert((live.clone(), test.clone(), mode.to_string())) {
            report.fail(row.line, "duplicate row");
        }
        reasons_shown.extend(expected.iter().map(|l| format!("{:?}", l.reason)));
        let policy = match build_rules(&live, &test, mode) {
            Ok(policy) => policy,
            Err(err) => {
                report.fail(row.line, format!("the rules do not build: {err}"));
                continue;
            }
        };
        let derived = policy.frame_ancestors(mode.mode);
        if derived.as_str() != header {
            report.fail(
                row.line,
                format!(
                    "the table says {}, Policy::frame_ancestors says {}",
                    show_text(&header),
                    show_text(derived.as_str())
                ),
            );
        }
        let actual: Vec<LeftOutSpec> = derived
            .left_out()
            .iter()
            .map(|left_out| LeftOutSpec {
                reason: left_out.reason(),
                rule: left_out.rule().map(|name| (name.mode, name.index)),
            })
            .collect();
        if actual != expected {
            let shown = |list: &[LeftOutSpec]| match list {
                [] => "-".to_owned(),
                _ => list
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            report.fail(
                row.line,
                format!(
                    "the table leaves out `{}`, Policy::frame_ancestors `{}`",
                    shown(&expected),
                    shown(&actual)
                ),
            );
        }
        report.fail_all(row.line, hold_against_csp(&policy, mode.mode, &header));
    }
    check_document_examples(rows, report);
    reasons_shown
}

/// Every example of the product document must have its row: the example as the only
/// live rule, in live mode.
fn check_document_examples(rows: &[Row], report: &mut Report) {
    let singles: BTreeSet<String> = rows
        .iter()
        .filter_map(|row| {
            let (bound, live) = bound_and_rules(&row.cells[0]).ok()?;
            let test = value_list(&row.cells[1], true).ok()?;
            let mode = mode_spec(&row.cells[2], &["loopback", "psl-optout"]).ok()?;
            let plain_live =
                mode.mode == Mode::Live && !mode.loopback && !mode.psl_optout && bound.is_none();
            match (live.as_slice(), test.is_empty() && plain_live) {
                ([only], true) => Some(only.clone()),
                _ => None,
            }
        })
        .collect();
    for (example, _, _) in DOCUMENT_EXAMPLES {
        if !singles.contains(*example) {
            report.fail(
                0,
                format!(
                    "section 6 has no row for the document example {} as the only live rule",
                    show(example)
                ),
            );
        }
    }
}

/// The origins a row's rules are probed with: each host and wildcard base, with labels in
/// front (one, two, a label-wildcard-like one, one across `s3`), on both schemes and on
/// the rules' ports and a few others; and the loopback hosts.
fn probes(policy: &Policy) -> Vec<String> {
    let mut hosts: BTreeSet<String> = [
        "localhost",
        "app.localhost",
        "127.0.0.1",
        "127.0.0.2",
        "[::1]",
        "evil.example",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let mut ports: BTreeSet<u16> = [80, 443, 3000, 8443, 9999].into_iter().collect();
    for mode in Mode::ALL {
        for rule in policy.rules(mode) {
            let pattern = rule.to_pattern();
            let base = match pattern.host().wildcard_base() {
                Some(base) => base.to_owned(),
                None => pattern.host().to_string(),
            };
            for front in ["", "a.", "a.b.", "pr-1.", "bucket.s3."] {
                hosts.insert(format!("{front}{base}"));
            }
            if let origin_policy::pattern::PortSpec::Exact(port) = pattern.port() {
                ports.insert(port);
            }
        }
    }
    let mut origins = Vec::new();
    for host in &hosts {
        for scheme in [Scheme::Http, Scheme::Https] {
            for &port in &ports {
                let origin = origin_policy_testkit::text::origin(scheme, host, port);
                if Origin::parse(&origin).is_ok() {
                    origins.push(origin);
                }
            }
        }
    }
    origins
}

fn hold_against_csp(policy: &Policy, mode: Mode, header: &str) -> Vec<String> {
    csp::problems(policy, mode, header, &probes(policy))
}
