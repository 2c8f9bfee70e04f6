//! Section 5: lint. Each row's rules are built, and `Policy::lint` must report the row's
//! warnings, in order, each with the `Display` line the row writes out.

use std::collections::BTreeSet;
use std::fmt;

use origin_policy::{Mode, Rule, Warning, WarningKind};

use crate::markdown::{show, show_text, value_list, word_pairs, Row, Token};
use crate::matching::{bound_and_rules, build_rules, ModeSpec};
use crate::report::Report;

/// One warning as the table writes it: `Kind mode[i]` or `Kind mode[i]~mode[j]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WarningSpec {
    kind: WarningKind,
    rule: (Mode, usize),
    other: Option<(Mode, usize)>,
}

impl fmt::Display for WarningSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {}[{}]", self.kind, self.rule.0, self.rule.1)?;
        if let Some((mode, index)) = self.other {
            write!(f, "~{mode}[{index}]")?;
        }
        Ok(())
    }
}

fn warning_kind(name: &str) -> Result<WarningKind, String> {
    WarningKind::ALL
        .iter()
        .copied()
        .find(|kind| format!("{kind:?}") == name)
        .ok_or_else(|| format!("{name:?} is not a WarningKind"))
}

/// `live[3]` as (mode, index).
pub fn rule_ref(text: &str) -> Result<(Mode, usize), String> {
    let bad = || format!("expected `mode[index]`, found {text:?}");
    let (mode, rest) = text.split_once('[').ok_or_else(bad)?;
    let index = rest.strip_suffix(']').ok_or_else(bad)?;
    Ok((
        mode.parse().map_err(|_| bad())?,
        index.parse().map_err(|_| bad())?,
    ))
}

/// `-`, or pairs of words: a kind, then `mode[i]` or `mode[i]~mode[j]`.
fn warning_list(cell: &[Token]) -> Result<Vec<WarningSpec>, String> {
    word_pairs(cell, "Kind mode[i]` or `Kind mode[i]~mode[j]")?
        .into_iter()
        .map(|pair| {
            let kind = warning_kind(pair[0])?;
            let (rule, other) = match pair[1].split_once('~') {
                Some((rule, other)) => (rule_ref(rule)?, Some(rule_ref(other)?)),
                None => (rule_ref(pair[1])?, None),
            };
            Ok(WarningSpec { kind, rule, other })
        })
        .collect()
}

fn warning_spec_of(warning: &Warning<'_>) -> WarningSpec {
    let at = |rule: &Rule| (rule.mode(), rule.index());
    WarningSpec {
        kind: warning.kind(),
        rule: at(warning.rule()),
        other: warning.other().map(at),
    }
}

pub fn run(rows: &[Row], report: &mut Report) -> BTreeSet<String> {
    let mut kinds_shown = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for row in rows {
        // A leading `psl-optout` word builds with `allow_public_suffix_wildcards`.
        let (psl_optout, live_cell) = match &row.cells[0][..] {
            [Token::Word(word), rest @ ..] if word == "psl-optout" => (true, rest),
            cell => (false, cell),
        };
        let read = (|| {
            Ok::<_, String>((
                bound_and_rules(live_cell)?,
                value_list(&row.cells[1], true)?,
                warning_list(&row.cells[2])?,
                value_list(&row.cells[3], true)?,
            ))
        })();
        let ((max_bytes, live), test, expected, expected_lines) = match read {
            Ok(values) => values,
            Err(problem) => {
                report.fail(row.line, problem);
                continue;
            }
        };
        if !seen.insert((psl_optout, max_bytes, live.clone(), test.clone())) {
            report.fail(row.line, "duplicate row");
        }
        kinds_shown.extend(expected.iter().map(|w| format!("{:?}", w.kind)));
        let lint_mode = ModeSpec {
            mode: Mode::Live,
            psl_optout,
            loopback: false,
            max_bytes,
        };
        let policy = match build_rules(&live, &test, lint_mode) {
            Ok(policy) => policy,
            Err(err) => {
                report.fail(row.line, format!("the rules do not build: {err}"));
                continue;
            }
        };
        let warnings = policy.lint();
        let actual: Vec<WarningSpec> = warnings.iter().map(warning_spec_of).collect();
        if actual != expected {
            let shown = |list: &[WarningSpec]| -> String {
                if list.is_empty() {
                    "-".into()
                } else {
                    list.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" ")
                }
            };
            report.fail(
                row.line,
                format!(
                    "the table says `{}`, Policy::lint says `{}`",
                    shown(&expected),
                    shown(&actual)
                ),
            );
        }
        let lines: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        report.fail_all(row.line, compare_lines(&expected_lines, &lines));
    }
    kinds_shown
}

/// The **lines** column against each warning's `Display`, position by position; and every
/// warning's `Display` must be a single line.
fn compare_lines(expected: &[String], actual: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    for (at, line) in actual.iter().enumerate() {
        if line.contains(['\n', '\r', '\t']) {
            problems.push(format!(
                "warning {}: its line {} is not one line",
                at + 1,
                show(line)
            ));
        }
    }
    let shown = |line: Option<&String>| line.map_or("(none)".into(), |line| show_text(line));
    for at in 0..expected.len().max(actual.len()) {
        let (want, have) = (expected.get(at), actual.get(at));
        if want != have {
            problems.push(format!(
                "warning {}: the table's line is {}, the warning's `Display` is {}",
                at + 1,
                shown(want),
                shown(have)
            ));
        }
    }
    problems
}
