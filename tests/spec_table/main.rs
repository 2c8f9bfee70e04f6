//! Executes `spec-table.md`, the human-readable contract of `origin-policy`.
//!
//! The Markdown file is parsed strictly ([`markdown`]). Its seven sections, their column
//! layouts and the escape syntax of the values are described in the file itself ("How to
//! read the tables"); each section has its runner here ([`examples`], [`patterns`],
//! [`origins`], [`matching`], [`lint`], [`frame_ancestors`], [`codes`]). Every row is executed; every problem (a missing
//! section, a row that does not parse, a row whose behaviour differs from the table) is
//! collected and all of them are reported at once, each with its line number ([`report`]).
//!
//! The matching rows are also checked against `origin_policy_testkit::reference`, the naive
//! matcher, and the origin rows against its general (WHATWG-only) origin parser.

mod codes;
mod examples;
mod frame_ancestors;
mod lint;
mod markdown;
mod matching;
mod origins;
mod patterns;
mod report;

/// The naive matcher and the general origin parser, consulted with the `testing` feature.
use origin_policy_testkit::reference;

use origin_policy::{LeftOutReason, OriginErrorKind, PatternErrorKind, WarningKind};

use markdown::Spaces::{Escaped, Inner};
use markdown::{one_value, show, show_text, split_cells, tokenize, unescape, Layout, Token};
use report::Report;

const SPEC_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/spec-table.md");

// Golden minimum row counts per section. Removing rows makes the test fail. Raise these
// constants when you add rows; never lower them to make a removal pass.
const MIN_EXAMPLE_ROWS: usize = 5;
const MIN_PATTERN_ROWS: usize = 291;
const MIN_ORIGIN_ROWS: usize = 159;
const MIN_MATCHING_ROWS: usize = 295;
const MIN_LINT_ROWS: usize = 96;
const MIN_FRAME_ANCESTOR_ROWS: usize = 47;
const MIN_CODE_ROWS: usize = 42;

/// The executed sections, in the order of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Examples,
    Patterns,
    Origins,
    Matching,
    Lint,
    FrameAncestors,
    Codes,
}

impl Section {
    const ALL: [Section; 7] = [
        Section::Examples,
        Section::Patterns,
        Section::Origins,
        Section::Matching,
        Section::Lint,
        Section::FrameAncestors,
        Section::Codes,
    ];

    /// The `## ` heading that opens the section, and the header row every table of the
    /// section must have.
    fn layout(self) -> Layout {
        let (heading, header): (_, &[_]) = match self {
            Section::Examples => (
                "1. Document examples",
                &["Example", "Allows for", "Does not allow for"],
            ),
            Section::Patterns => ("2. Pattern syntax", &["pattern", "mode", "result"]),
            Section::Origins => ("3. Origin parsing", &["origin", "result"]),
            Section::Matching => (
                "4. Matching",
                &["live rules", "test rules", "mode", "origin", "decision"],
            ),
            Section::Lint => (
                "5. Lint",
                &["live rules", "test rules", "warnings", "lines"],
            ),
            Section::FrameAncestors => (
                "6. Frame ancestors",
                &["live rules", "test rules", "mode", "header", "left out"],
            ),
            Section::Codes => (
                "7. Diagnostic codes",
                &["code", "severity", "kind", "example"],
            ),
        };
        // The lint's output lines are text, with plain inner spaces.
        let text_columns: &[_] = match self {
            Section::Lint => &["lines"],
            Section::FrameAncestors => &["header"],
            _ => &[],
        };
        Layout {
            heading,
            header,
            text_columns,
        }
    }

    fn min_rows(self) -> usize {
        match self {
            Section::Examples => MIN_EXAMPLE_ROWS,
            Section::Patterns => MIN_PATTERN_ROWS,
            Section::Origins => MIN_ORIGIN_ROWS,
            Section::Matching => MIN_MATCHING_ROWS,
            Section::Lint => MIN_LINT_ROWS,
            Section::FrameAncestors => MIN_FRAME_ANCESTOR_ROWS,
            Section::Codes => MIN_CODE_ROWS,
        }
    }
}

/// Fails for every name of `all` that is not in `shown`.
fn check_all_shown<K: std::fmt::Debug>(
    all: &[K],
    shown: &std::collections::BTreeSet<String>,
    what: impl Fn(&K) -> String,
    report: &mut Report,
) {
    for kind in all {
        if !shown.contains(&format!("{kind:?}")) {
            report.fail(0, what(kind));
        }
    }
}

#[test]
fn spec_table() {
    let text = std::fs::read_to_string(SPEC_FILE)
        .unwrap_or_else(|err| panic!("cannot read {SPEC_FILE}: {err}"));
    let mut report = Report::default();
    let layouts = Section::ALL.map(Section::layout);
    let rows = markdown::parse(&text, &layouts, &mut report);

    for (section, rows) in Section::ALL.into_iter().zip(&rows) {
        if rows.len() < section.min_rows() {
            report.fail(
                0,
                format!(
                    "section `## {}` has {} rows, fewer than the golden minimum {}",
                    section.layout().heading,
                    rows.len(),
                    section.min_rows()
                ),
            );
        }
    }

    let [example_rows, pattern_rows, origin_rows, matching_rows, lint_rows, frame_rows, code_rows] =
        &rows[..]
    else {
        unreachable!("one row list per section");
    };
    examples::run(example_rows, &mut report);
    let pattern_kinds = patterns::run(pattern_rows, &mut report);
    let origin_kinds = origins::run(origin_rows, &mut report);
    let shapes = matching::run(matching_rows, &mut report);
    let warning_kinds = lint::run(lint_rows, &mut report);
    let left_out_reasons = frame_ancestors::run(frame_rows, &mut report);
    codes::run(code_rows, &mut report);

    // `TooManyRules` takes a billion entries; the prose of section 2 names it, and a unit
    // test of the builder reaches a lowered limit.
    let shown_kinds: Vec<PatternErrorKind> = PatternErrorKind::ALL
        .iter()
        .copied()
        .filter(|&kind| kind != PatternErrorKind::TooManyRules)
        .collect();
    check_all_shown(
        &shown_kinds,
        &pattern_kinds,
        |kind| format!("no pattern row shows `error {kind:?}`"),
        &mut report,
    );
    check_all_shown(
        OriginErrorKind::ALL,
        &origin_kinds,
        |kind| format!("no origin row shows {kind:?}"),
        &mut report,
    );
    // ReportOnly comes from an option, not from the rules, which no row sets (section 5):
    // `tests/report_only.rs` holds it.
    let warning_kinds_of_rules: Vec<WarningKind> = WarningKind::ALL
        .iter()
        .copied()
        .filter(|kind| *kind != WarningKind::ReportOnly)
        .collect();
    check_all_shown(
        &warning_kinds_of_rules,
        &warning_kinds,
        |kind| format!("no lint row shows the warning {kind:?}"),
        &mut report,
    );
    check_all_shown(
        LeftOutReason::ALL,
        &left_out_reasons,
        |kind| format!("no frame-ancestors row leaves a rule out for {kind:?}"),
        &mut report,
    );
    for shape in matching::SHAPES {
        if !shapes.contains(shape) {
            report.fail(0, format!("no matching row has the decision `{shape}`"));
        }
    }

    let counts: Vec<String> = Section::ALL
        .iter()
        .zip(&rows)
        .map(|(s, rows)| format!("{}: {} rows", s.layout().heading, rows.len()))
        .collect();
    println!("spec-table.md: {}", counts.join(", "));

    report.finish();
}

/// The escape syntax that the file documents, checked on its own.
#[test]
fn escapes_read_as_documented() {
    assert_eq!(unescape("a␠b", Escaped).unwrap(), "a b");
    assert_eq!(unescape(r"\x20\t\n\r\\", Escaped).unwrap(), " \t\n\r\\");
    assert_eq!(
        unescape(r"\u{0}\u{3000}\u{2420}", Escaped).unwrap(),
        "\0\u{3000}␠"
    );
    assert_eq!(unescape(r"x.\{ab*3}.com", Escaped).unwrap(), "x.ababab.com");
    assert!(unescape("a b", Escaped).is_err());
    assert!(unescape(r"\q", Escaped).is_err());
    assert!(unescape(r"\x8", Escaped).is_err());
    assert_eq!(split_cells(r"| `a\|b` | c |").unwrap(), ["`a|b`", "c"]);
    assert_eq!(
        tokenize("error Kind at `x`", Escaped).unwrap(),
        [
            Token::Word("error".into()),
            Token::Word("Kind".into()),
            Token::Word("at".into()),
            Token::Code("x".into())
        ]
    );
    assert!(tokenize("`a`b", Escaped).is_err());
    for value in ["", " x\t", "a\\b|`c`", "\u{0}\u{a0}␠"] {
        let shown = show(value);
        let tokens = tokenize(&shown, Escaped).unwrap();
        assert_eq!(one_value(&tokens).unwrap(), value, "{shown}");
    }
    // A line of text may write an inner space plainly, but no space at an end or twice.
    assert_eq!(unescape("a b␠\\x20c", Inner).unwrap(), "a b  c");
    for raw in [" a", "a ", "a  b"] {
        assert!(unescape(raw, Inner).is_err(), "{raw:?}");
    }
    assert_eq!(
        tokenize("`a b` `c: d`", Inner).unwrap(),
        [Token::Code("a b".into()), Token::Code("c: d".into())]
    );
    for value in [
        "live[0] https://x.com names; write y",
        " a",
        "a  b",
        "a\tb c",
    ] {
        let shown = show_text(value);
        let tokens = tokenize(&shown, Inner).unwrap();
        assert_eq!(one_value(&tokens).unwrap(), value, "{shown}");
    }
}
