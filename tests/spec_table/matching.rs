//! Section 4: matching. Also the pieces other runners share: the mode words of a row, the
//! policy of a row's rules, and one checked decision (through the policy and through the
//! reference matcher).

use std::collections::BTreeSet;
use std::fmt;

use origin_policy::{Decision, DenyReason, Mode, Origin, OriginErrorKind, Policy};

use crate::markdown::{one_value, show, value_list, Row, Token};
use crate::origins::origin_kind;
use crate::report::Report;

/// Every decision shape that some row must show.
pub const SHAPES: [&str; 6] = [
    "allow",
    "allow test-loopback",
    "deny no-match",
    "deny public-suffix",
    "deny opaque",
    "deny malformed",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeSpec {
    pub mode: Mode,
    /// `+psl-optout`: `allow_public_suffix_wildcards(true)`.
    pub psl_optout: bool,
    /// `+loopback`: `implicit_test_loopback(true)`.
    pub loopback: bool,
    /// A leading `max=N` word in the **live rules** cell (sections 5 and 6):
    /// `frame_ancestors_max_bytes(N)`.
    pub max_bytes: Option<usize>,
}

impl fmt::Display for ModeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.mode)?;
        if self.psl_optout {
            f.write_str("+psl-optout")?;
        }
        if self.loopback {
            f.write_str("+loopback")?;
        }
        if let Some(max_bytes) = self.max_bytes {
            write!(f, " max={max_bytes}")?;
        }
        Ok(())
    }
}

/// A mode word with the option markers this section accepts (`psl-optout`, `loopback`).
pub fn mode_spec(cell: &[Token], markers: &[&str]) -> Result<ModeSpec, String> {
    let word = match cell {
        [Token::Word(word)] => word.as_str(),
        _ => return Err(format!("expected a mode word, found {cell:?}")),
    };
    let mut parts = word.split('+');
    let name = parts.next().unwrap_or_default();
    let mode = name
        .parse::<Mode>()
        .map_err(|_| format!("unknown mode {word:?}"))?;
    let mut spec = ModeSpec {
        mode,
        psl_optout: false,
        loopback: false,
        max_bytes: None,
    };
    for marker in parts {
        match marker {
            "psl-optout" if markers.contains(&marker) => spec.psl_optout = true,
            "loopback" if markers.contains(&marker) => spec.loopback = true,
            _ => return Err(format!("unknown option marker {marker:?} in {word:?}")),
        }
    }
    Ok(spec)
}

/// The **live rules** cell of sections 5 and 6: an optional `max=N` word (the
/// `frame-ancestors` bound), then the values.
pub fn bound_and_rules(cell: &[Token]) -> Result<(Option<usize>, Vec<String>), String> {
    match cell {
        [Token::Word(word), rest @ ..] if word.starts_with("max=") => {
            let bound = word["max=".len()..]
                .parse()
                .map_err(|_| format!("expected `max=BYTES`, found {word:?}"))?;
            Ok((Some(bound), value_list(rest, true)?))
        }
        _ => Ok((None, value_list(cell, true)?)),
    }
}

/// A policy of a row's live and test rules, in order.
pub fn build_rules(
    live: &[String],
    test: &[String],
    mode: ModeSpec,
) -> Result<Policy, origin_policy::BuildError> {
    let mut builder = Policy::builder();
    builder
        .implicit_test_loopback(mode.loopback)
        .allow_public_suffix_wildcards(mode.psl_optout);
    if let Some(max_bytes) = mode.max_bytes {
        builder.frame_ancestors_max_bytes(max_bytes);
    }
    for rule in live {
        builder.allow(Mode::Live, rule);
    }
    for rule in test {
        builder.allow(Mode::Test, rule);
    }
    builder.build()
}

/// A decision as the table writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allow {
        index: usize,
        rule: String,
    },
    TestLoopback,
    NoMatch,
    /// Denied by the public-suffix boundary; the origin's public suffix.
    PublicSuffix(String),
    Opaque,
    Malformed(OriginErrorKind),
}

impl Verdict {
    /// The decision shape, one of [`SHAPES`].
    fn shape(&self) -> &'static str {
        match self {
            Verdict::Allow { .. } => "allow",
            Verdict::TestLoopback => "allow test-loopback",
            Verdict::NoMatch => "deny no-match",
            Verdict::PublicSuffix(_) => "deny public-suffix",
            Verdict::Opaque => "deny opaque",
            Verdict::Malformed(_) => "deny malformed",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Allow { index, rule } => write!(f, "allow #{index} {}", show(rule)),
            Verdict::TestLoopback => f.write_str("allow test-loopback"),
            Verdict::NoMatch => f.write_str("deny no-match"),
            Verdict::PublicSuffix(suffix) => write!(f, "deny public-suffix {}", show(suffix)),
            Verdict::Opaque => f.write_str("deny opaque"),
            Verdict::Malformed(kind) => write!(f, "deny malformed {kind:?}"),
        }
    }
}

fn verdict(cell: &[Token]) -> Result<Verdict, String> {
    let word = |token: &Token| match token {
        Token::Word(word) => Some(word.clone()),
        Token::Code(_) => None,
    };
    let words: Vec<Option<String>> = cell.iter().map(word).collect();
    let words: Vec<&str> = words.iter().map(|w| w.as_deref().unwrap_or("`")).collect();
    match (words.as_slice(), cell) {
        (["allow", number, "`"], [_, _, Token::Code(rule)]) => {
            let index = number
                .strip_prefix('#')
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("expected #N after allow, found {number:?}"))?;
            Ok(Verdict::Allow {
                index,
                rule: rule.clone(),
            })
        }
        (["allow", "test-loopback"], _) => Ok(Verdict::TestLoopback),
        (["deny", "no-match"], _) => Ok(Verdict::NoMatch),
        (["deny", "public-suffix", "`"], [_, _, Token::Code(suffix)]) => {
            Ok(Verdict::PublicSuffix(suffix.clone()))
        }
        (["deny", "opaque"], _) => Ok(Verdict::Opaque),
        (["deny", "malformed", kind], _) => Ok(Verdict::Malformed(origin_kind(kind)?)),
        _ => Err(format!(
            "expected `allow #N `rule``, `deny no-match`, `deny public-suffix `suffix``, `deny opaque` or `deny malformed Kind`, found {cell:?}"
        )),
    }
}

/// The verdict of a decision on `origin`, and a problem if the deciding rule is of another
/// mode.
fn verdict_of(mode: Mode, origin: &str, decision: Decision<'_>) -> (Verdict, Option<String>) {
    match decision {
        Decision::Allow(rule) => {
            let wrong_mode = (rule.mode() != mode).then(|| {
                format!(
                    "the check in {mode} mode was decided by a {} rule",
                    rule.mode()
                )
            });
            let verdict = Verdict::Allow {
                index: rule.index(),
                rule: rule.as_str().to_owned(),
            };
            (verdict, wrong_mode)
        }
        Decision::AllowTestLoopback => {
            let wrong_mode = (mode != Mode::Test)
                .then(|| format!("the loopback allowance decided a check in {mode} mode"));
            (Verdict::TestLoopback, wrong_mode)
        }
        Decision::Deny(DenyReason::NoMatchingRule) => (Verdict::NoMatch, None),
        Decision::Deny(DenyReason::PublicSuffixBoundary) => {
            let parsed = Origin::parse(origin).ok();
            let suffix = parsed
                .as_ref()
                .and_then(Origin::public_suffix)
                .unwrap_or("");
            (Verdict::PublicSuffix(suffix.to_owned()), None)
        }
        Decision::Deny(DenyReason::Opaque) => (Verdict::Opaque, None),
        Decision::Deny(DenyReason::Malformed(malformed)) => {
            (Verdict::Malformed(malformed.kind()), None)
        }
        other => panic!("a decision the spec table cannot write: {other}"),
    }
}

/// Checks one origin against a built policy, through the policy and through the
/// reference matcher, whose general origin parser must also read the
/// origin as `Origin::parse` does. Returns the problems.
pub fn check_decision(
    policy: &Policy,
    mode: Mode,
    origin: &str,
    expected: &Verdict,
) -> Vec<String> {
    let mut problems = Vec::new();
    let decision = policy.check(mode, origin);
    let (actual, wrong_mode) = verdict_of(mode, origin, decision);
    problems.extend(wrong_mode);
    if &actual != expected {
        problems.push(format!(
            "{mode} check of {}: the table says `{expected}`, Policy::check says `{actual}`",
            show(origin)
        ));
    }
    if policy.is_allowed(mode, origin) != decision.is_allowed() {
        problems.push(format!(
            "{mode} check of {}: is_allowed disagrees with check",
            show(origin)
        ));
    }
    {
        let (reference, wrong_mode) =
            verdict_of(mode, origin, crate::reference::check(policy, mode, origin));
        problems.extend(wrong_mode);
        if &reference != expected {
            problems.push(format!(
                "{mode} check of {}: the table says `{expected}`, reference::check says `{reference}`",
                show(origin)
            ));
        }
        // The origin itself reads the same on the fast path and the general one.
        let (parsed, general) = (
            Origin::parse(origin),
            crate::reference::parse_origin(origin),
        );
        if general != parsed.clone().map(Origin::into_owned) {
            problems.push(format!(
                "origin {}: Origin::parse gives {parsed:?}, the general path gives {general:?}",
                show(origin)
            ));
        }
    }
    problems
}

pub fn run(rows: &[Row], report: &mut Report) -> BTreeSet<&'static str> {
    let mut shapes = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for row in rows {
        let read = (|| {
            Ok::<_, String>((
                value_list(&row.cells[0], true)?,
                value_list(&row.cells[1], true)?,
                mode_spec(&row.cells[2], &["loopback", "psl-optout"])?,
                one_value(&row.cells[3])?,
                verdict(&row.cells[4])?,
            ))
        })();
        let (live, test, mode, origin, expected) = match read {
            Ok(values) => values,
            Err(problem) => {
                report.fail(row.line, problem);
                continue;
            }
        };
        if !seen.insert((live.clone(), test.clone(), mode.to_string(), origin.clone())) {
            report.fail(row.line, "duplicate row");
        }
        shapes.insert(expected.shape());
        let policy = match build_rules(&live, &test, mode) {
            Ok(policy) => policy,
            Err(err) => {
                report.fail(row.line, format!("the rules do not build: {err}"));
                continue;
            }
        };
        report.fail_all(
            row.line,
            check_decision(&policy, mode.mode, &origin, &expected),
        );
    }
    shapes
}
