//! Section 2: pattern syntax. Each row's entry is the only rule of its mode; the row gives
//! its canonical form or its error (kind, and optionally the span's text).

use std::collections::BTreeSet;
use std::fmt;

use origin_policy::pattern::Pattern;
use origin_policy::{Mode, PatternErrorKind, Policy};

use crate::markdown::{one_value, show, Row, Token};
use crate::matching::{mode_spec, ModeSpec};
use crate::report::Report;

fn pattern_kind(name: &str) -> Result<PatternErrorKind, String> {
    PatternErrorKind::ALL
        .iter()
        .copied()
        .find(|kind| format!("{kind:?}") == name)
        .ok_or_else(|| format!("{name:?} is not a PatternErrorKind"))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PatternOutcome {
    Canonical(String),
    Error {
        kind: PatternErrorKind,
        span: Option<String>,
    },
}

impl fmt::Display for PatternOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternOutcome::Canonical(text) => f.write_str(&show(text)),
            PatternOutcome::Error { kind, span: None } => write!(f, "error {kind:?}"),
            PatternOutcome::Error {
                kind,
                span: Some(span),
            } => write!(f, "error {kind:?} at {}", show(span)),
        }
    }
}

fn pattern_outcome(cell: &[Token]) -> Result<PatternOutcome, String> {
    match cell {
        [Token::Code(text)] => Ok(PatternOutcome::Canonical(text.clone())),
        [Token::Word(error), Token::Word(kind)] if error == "error" => Ok(PatternOutcome::Error {
            kind: pattern_kind(kind)?,
            span: None,
        }),
        [Token::Word(error), Token::Word(kind), Token::Word(at), span]
            if error == "error" && at == "at" =>
        {
            Ok(PatternOutcome::Error {
                kind: pattern_kind(kind)?,
                span: Some(one_value(std::slice::from_ref(span))?),
            })
        }
        _ => Err(format!(
            "expected `canonical` or `error Kind [at `span`]`, found {cell:?}"
        )),
    }
}

/// The kinds that only `PolicyBuilder::build` reports: `Pattern::parse` accepts the text.
fn is_build_only(kind: PatternErrorKind) -> bool {
    matches!(
        kind,
        PatternErrorKind::HttpInLive
            | PatternErrorKind::LoopbackInLive
            | PatternErrorKind::LocalAddressInLive
            | PatternErrorKind::PublicSuffixWildcard
    )
}

fn build_one(spec: ModeSpec, pattern: &str) -> Result<Policy, origin_policy::BuildError> {
    Policy::builder()
        .allow_public_suffix_wildcards(spec.psl_optout)
        .allow(spec.mode, pattern)
        .build()
}

/// What the code makes of one pattern, in the table's shape, plus consistency problems.
fn pattern_outcome_of(
    spec: ModeSpec,
    pattern: &str,
    with_span: bool,
) -> (PatternOutcome, Vec<String>) {
    let mut problems = Vec::new();
    let outcome = match build_one(spec, pattern) {
        Ok(policy) => {
            let rules = policy.rules(spec.mode);
            let other = Mode::ALL.into_iter().find(|m| *m != spec.mode).unwrap();
            if rules.len() != 1 || !policy.rules(other).is_empty() {
                problems.push(format!(
                    "expected one {} rule and no {other} rule, found {} and {}",
                    spec.mode,
                    rules.len(),
                    policy.rules(other).len()
                ));
            }
            let Some(rule) = rules.first() else {
                return (PatternOutcome::Canonical(String::new()), problems);
            };
            if rule.index() != 0 || rule.mode() != spec.mode {
                problems.push(format!(
                    "the rule has index {} and mode {}, expected 0 and {}",
                    rule.index(),
                    rule.mode(),
                    spec.mode
                ));
            }
            let canonical = rule.as_str().to_owned();
            // The canonical form is a fixed point and means the same pattern.
            match (Pattern::parse(pattern), Pattern::parse(&canonical)) {
                (Ok(given), Ok(again)) if given == again && again.to_string() == canonical => {}
                (given, again) => problems.push(format!(
                    "the canonical form {} does not parse back to the same pattern: {given:?} vs {again:?}",
                    show(&canonical)
                )),
            }
            PatternOutcome::Canonical(canonical)
        }
        Err(err) => {
            let entries = err.entries();
            if entries.len() != 1 {
                problems.push(format!("expected one bad entry, found {}", entries.len()));
            }
            let entry = &entries[0];
            if entry.mode != spec.mode || entry.index != 0 || entry.error.pattern() != pattern {
                problems.push(format!(
                    "the error names entry {}[{}] {}, expected {}[0] {}",
                    entry.mode,
                    entry.index,
                    show(entry.error.pattern()),
                    spec.mode,
                    show(pattern)
                ));
            }
            let kind = entry.error.kind();
            let span_text = pattern
                .get(entry.error.span().range())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("<bad span {:?}>", entry.error.span()));
            // Syntax errors come from Pattern::parse too; mode and PSL errors only from build.
            match Pattern::parse(pattern) {
                Ok(_) if is_build_only(kind) => {}
                Err(parse_err)
                    if !is_build_only(kind)
                        && parse_err.kind() == kind
                        && parse_err.span() == entry.error.span() => {}
                other => problems.push(format!(
                    "build says {kind:?} at {}, but Pattern::parse says {:?}",
                    show(&span_text),
                    other
                        .map(|p| p.to_string())
                        .map_err(|e| (e.kind(), e.span()))
                )),
            }
            PatternOutcome::Error {
                kind,
                span: with_span.then_some(span_text),
            }
        }
    };
    (outcome, problems)
}

pub fn run(rows: &[Row], report: &mut Report) -> BTreeSet<String> {
    let mut kinds_shown = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for row in rows {
        let read = (|| {
            Ok::<_, String>((
                one_value(&row.cells[0])?,
                mode_spec(&row.cells[1], &["psl-optout"])?,
                pattern_outcome(&row.cells[2])?,
            ))
        })();
        let (pattern, spec, expected) = match read {
            Ok(values) => values,
            Err(problem) => {
                report.fail(row.line, problem);
                continue;
            }
        };
        if !seen.insert((pattern.clone(), spec.to_string())) {
            report.fail(
                row.line,
                format!("duplicate row for {} in {spec}", show(&pattern)),
            );
        }
        let with_span = matches!(expected, PatternOutcome::Error { span: Some(_), .. });
        if let PatternOutcome::Error { kind, .. } = &expected {
            kinds_shown.insert(format!("{kind:?}"));
        }
        let (actual, problems) = pattern_outcome_of(spec, &pattern, with_span);
        if actual != expected {
            report.fail(
                row.line,
                format!(
                    "pattern {} in {spec}: the table says `{expected}`, the code says `{actual}`",
                    show(&pattern)
                ),
            );
        }
        for problem in problems {
            report.fail(
                row.line,
                format!("pattern {} in {spec}: {problem}", show(&pattern)),
            );
        }
    }
    kinds_shown
}
