//! Executes `spec-table.md`, the human-readable contract of `origin-policy`.
//!
//! The Markdown file is parsed strictly. Its five sections, their column layouts and the
//! escape syntax of the values are described in the file itself ("How to read the tables").
//! Every row is executed; every problem (a missing section, a row that does not parse, a row
//! whose behaviour differs from the table) is collected and all of them are reported at once,
//! each with its line number.
//!
//! The matching rows are also checked against `origin_policy_testkit::reference`, the naive
//! matcher, and the origin rows against its general (WHATWG-only) origin parser.

use std::collections::BTreeSet;
use std::fmt;
use std::net::Ipv4Addr;

use origin_policy::{
    Decision, DenyReason, HostKind, Mode, Origin, OriginErrorKind, Pattern, PatternErrorKind,
    Policy, Rule, Warning, WarningKind,
};

const SPEC_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/spec-table.md");

/// The example table of the product document (section "Allowed Domains"), cell by cell:
/// (Example, Allows for, Does not allow for). Section 1 of `spec-table.md` must hold exactly
/// this, so that no example can be dropped or edited there without editing this copy too.
const DOCUMENT_EXAMPLES: &[(&str, &[&str], &[&str])] = &[
    (
        "https://www.berbix.com",
        &["https://www.berbix.com"],
        &[
            "https://berbix.com",
            "https://google.com",
            "http://www.berbix.com",
            "https://www.berbix.com:9999",
        ],
    ),
    (
        "https://berbix.com",
        &["https://berbix.com"],
        &[
            "https://www.berbix.com",
            "https://google.com",
            "http://berbix.com",
            "http://berbix.com:9999",
        ],
    ),
    (
        "https://*.berbix.com",
        &[
            "https://www.berbix.com",
            "https://docs.berbix.com",
            "https://one.two.three.berbix.com",
        ],
        &[
            "https://berbix.com",
            "https://google.com",
            "http://berbix.com",
            "http://berbix.com:9999",
        ],
    ),
    (
        "https://www.berbix.com:9999",
        &["https://www.berbix.com:9999"],
        &[
            "https://berbix.com",
            "https://google.com",
            "http://www.berbix.com",
            "https://www.berbix.com:8888",
        ],
    ),
    (
        "https://www.berbix.com:*",
        &[
            "https://www.berbix.com:9999",
            "https://www.berbix.com:8888",
            "https://www.berbix.com",
        ],
        &["https://berbix.com", "https://google.com"],
    ),
];

// Golden minimum row counts per section. Removing rows makes the test fail. Raise these
// constants when you add rows; never lower them to make a removal pass.
const MIN_EXAMPLE_ROWS: usize = 5;
const MIN_PATTERN_ROWS: usize = 291;
const MIN_ORIGIN_ROWS: usize = 125;
const MIN_MATCHING_ROWS: usize = 199;
const MIN_LINT_ROWS: usize = 77;

// ---------------------------------------------------------------------------------------
// Sections and their layouts
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Examples,
    Patterns,
    Origins,
    Matching,
    Lint,
}

impl Section {
    const ALL: [Section; 5] = [
        Section::Examples,
        Section::Patterns,
        Section::Origins,
        Section::Matching,
        Section::Lint,
    ];

    /// The `## ` heading that opens the section.
    fn heading(self) -> &'static str {
        match self {
            Section::Examples => "1. Document examples",
            Section::Patterns => "2. Pattern syntax",
            Section::Origins => "3. Origin parsing",
            Section::Matching => "4. Matching",
            Section::Lint => "5. Lint",
        }
    }

    /// The header row every table of the section must have.
    fn header(self) -> &'static [&'static str] {
        match self {
            Section::Examples => &["Example", "Allows for", "Does not allow for"],
            Section::Patterns => &["pattern", "mode", "result"],
            Section::Origins => &["origin", "result"],
            Section::Matching => &["live rules", "test rules", "mode", "origin", "decision"],
            Section::Lint => &["live rules", "test rules", "warnings"],
        }
    }

    fn min_rows(self) -> usize {
        match self {
            Section::Examples => MIN_EXAMPLE_ROWS,
            Section::Patterns => MIN_PATTERN_ROWS,
            Section::Origins => MIN_ORIGIN_ROWS,
            Section::Matching => MIN_MATCHING_ROWS,
            Section::Lint => MIN_LINT_ROWS,
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

// ---------------------------------------------------------------------------------------
// Problems, reported all at once
// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Report {
    problems: Vec<String>,
}

impl Report {
    fn fail(&mut self, line: usize, message: impl fmt::Display) {
        if line == 0 {
            self.problems.push(format!("spec-table.md: {message}"));
        } else {
            self.problems
                .push(format!("spec-table.md:{line}: {message}"));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Markdown parsing
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A code span, unescaped.
    Code(String),
    /// A plain word outside backticks.
    Word(String),
}

#[derive(Debug)]
struct Row {
    line: usize,
    cells: Vec<Vec<Token>>,
}

enum TableState {
    /// Not inside a table: the next `|` line is a header.
    Outside,
    /// After a header: the next line must be the `|---|` separator.
    Separator(Section),
    /// In the body of a table.
    Body(Section),
    /// In a table whose header was wrong (already reported): its rows are skipped.
    Broken,
}

fn parse_spec(text: &str, report: &mut Report) -> [Vec<Row>; 5] {
    let mut rows: [Vec<Row>; 5] = Default::default();
    let mut seen = [0usize; 5];
    let mut section: Option<Section> = None;
    let mut state = TableState::Outside;
    let mut any_heading = false;
    for (at, line) in text.lines().enumerate() {
        let number = at + 1;
        let trimmed = line.trim();
        if !trimmed.starts_with('|') {
            state = TableState::Outside;
        }
        if let Some(title) = line.strip_prefix("## ") {
            let first_heading = !any_heading;
            any_heading = true;
            section = Section::ALL
                .into_iter()
                .find(|s| s.heading() == title.trim());
            if first_heading && section != Some(Section::Examples) {
                report.fail(
                    number,
                    format!(
                        "the first section must be `## {}`",
                        Section::Examples.heading()
                    ),
                );
            }
            if let Some(s) = section {
                if seen[s.slot()] != 0 {
                    report.fail(
                        number,
                        format!(
                            "section `## {}` appears twice (first at line {})",
                            s.heading(),
                            seen[s.slot()]
                        ),
                    );
                }
                seen[s.slot()] = number;
            }
            continue;
        }
        if !trimmed.starts_with('|') {
            continue;
        }
        let cells = match split_cells(trimmed) {
            Ok(cells) => cells,
            Err(problem) => {
                report.fail(number, problem);
                continue;
            }
        };
        state = match state {
            TableState::Outside => match section {
                None => {
                    report.fail(
                        number,
                        "a table outside the executed sections: its rows would never run",
                    );
                    TableState::Broken
                }
                Some(s) if cells != s.header() => {
                    report.fail(
                        number,
                        format!(
                            "the tables of `## {}` have the header {:?}, not {:?}",
                            s.heading(),
                            s.header(),
                            cells
                        ),
                    );
                    TableState::Broken
                }
                Some(s) => TableState::Separator(s),
            },
            TableState::Separator(s) => {
                let is_separator = cells.len() == s.header().len()
                    && cells.iter().all(|cell| {
                        let dashes = cell.trim_start_matches(':').trim_end_matches(':');
                        dashes.len() >= 3 && dashes.bytes().all(|b| b == b'-')
                    });
                if !is_separator {
                    report.fail(number, "expected the `|---|` line under the table header");
                    TableState::Broken
                } else {
                    TableState::Body(s)
                }
            }
            TableState::Body(s) => {
                if cells.len() != s.header().len() {
                    report.fail(
                        number,
                        format!(
                            "{} cells, but the table has {} columns",
                            cells.len(),
                            s.header().len()
                        ),
                    );
                } else {
                    let mut tokens = Vec::with_capacity(cells.len());
                    for (column, cell) in s.header().iter().zip(&cells) {
                        match tokenize(cell) {
                            Ok(cell_tokens) => tokens.push(cell_tokens),
                            Err(problem) => {
                                report.fail(number, format!("column `{column}`: {problem}"));
                            }
                        }
                    }
                    if tokens.len() == cells.len() {
                        rows[s.slot()].push(Row {
                            line: number,
                            cells: tokens,
                        });
                    }
                }
                TableState::Body(s)
            }
            TableState::Broken => TableState::Broken,
        };
    }
    for s in Section::ALL {
        if seen[s.slot()] == 0 {
            report.fail(0, format!("section `## {}` is missing", s.heading()));
        }
    }
    rows
}

/// Splits `| a | b |` into trimmed cells. `\|` stands for a `|` inside a cell.
fn split_cells(line: &str) -> Result<Vec<String>, String> {
    let Some(inner) = line.strip_prefix('|') else {
        return Err("a table line starts with `|`".into());
    };
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    let mut closed = false;
    while let Some(ch) = chars.next() {
        closed = false;
        match ch {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                cell.push('|');
            }
            '|' => {
                cells.push(cell.trim().to_owned());
                cell.clear();
                closed = true;
            }
            _ => cell.push(ch),
        }
    }
    if !closed {
        return Err("a table line ends with `|`".into());
    }
    Ok(cells)
}

/// Reads a cell as code spans and plain words, separated by whitespace.
fn tokenize(cell: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = cell.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`') {
            let Some(end) = after.find('`') else {
                return Err(format!("unclosed backtick in {cell:?}"));
            };
            let raw = &after[..end];
            if raw.is_empty() {
                return Err("an empty code span: write (empty) for the empty string".into());
            }
            tokens.push(Token::Code(unescape(raw)?));
            rest = &after[end + 1..];
            if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
                return Err(format!("text glued to a code span in {cell:?}"));
            }
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '`')
                .unwrap_or(rest.len());
            if rest[end..].starts_with('`') {
                return Err(format!("a word glued to a code span in {cell:?}"));
            }
            tokens.push(Token::Word(rest[..end].to_owned()));
            rest = &rest[end..];
        }
        rest = rest.trim_start();
    }
    Ok(tokens)
}

/// Resolves the escapes of a code span (see "How to read the tables" in the file):
/// `␠` and `\x20` are a space, `\t` `\n` `\r` `\\`, `\xHH` (ASCII), `\u{HEX}`, and
/// `\{TEXT*N}` is TEXT repeated N times. A literal space is refused, so that no
/// significant space can hide in the rendered table.
fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '␠' => out.push(' '),
            ' ' => {
                return Err(format!(
                    "a literal space in `{raw}`: write a significant space as ␠ or \\x20"
                ))
            }
            '\\' => match chars.next() {
                Some('\\') => out.push('\\'),
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('x') => {
                    let hex: String = chars.by_ref().take(2).collect();
                    let code = u8::from_str_radix(&hex, 16)
                        .ok()
                        .filter(|code| code.is_ascii() && hex.len() == 2)
                        .ok_or_else(|| format!("bad escape \\x{hex} in `{raw}`"))?;
                    out.push(char::from(code));
                }
                Some('u') => {
                    let rest = chars.as_str();
                    let body = rest
                        .strip_prefix('{')
                        .and_then(|r| r.split_once('}'))
                        .map(|(hex, _)| hex)
                        .ok_or_else(|| format!("bad escape \\u in `{raw}`: write \\u{{HEX}}"))?;
                    let ch = u32::from_str_radix(body, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("bad escape \\u{{{body}}} in `{raw}`"))?;
                    out.push(ch);
                    chars = rest[body.len() + 2..].chars();
                }
                Some('{') => {
                    let rest = chars.as_str();
                    let (body, after) = rest
                        .split_once('}')
                        .ok_or_else(|| format!("unclosed \\{{ in `{raw}`"))?;
                    let (text, count) = body.rsplit_once('*').ok_or_else(|| {
                        format!("bad repetition \\{{{body}}}: write \\{{TEXT*N}}")
                    })?;
                    let count: usize = count
                        .parse()
                        .map_err(|_| format!("bad count in \\{{{body}}}"))?;
                    if text.is_empty() {
                        return Err(format!("nothing to repeat in \\{{{body}}}"));
                    }
                    out.push_str(&text.repeat(count));
                    chars = after.chars();
                }
                other => {
                    return Err(format!(
                        "unknown escape \\{} in `{raw}`",
                        other.unwrap_or(' ')
                    ))
                }
            },
            _ => out.push(ch),
        }
    }
    Ok(out)
}

/// Shows a value the way the table writes it, so that a failure message can be pasted back.
fn show(value: &str) -> String {
    if value.is_empty() {
        return "(empty)".into();
    }
    let mut out = String::from("`");
    for ch in value.chars() {
        match ch {
            ' ' => out.push('␠'),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '`' | '␠' | '|' => out.push_str(&format!("\\u{{{:x}}}", u32::from(ch))),
            ch if ch.is_control() || ch.is_whitespace() => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(ch)));
            }
            ch => out.push(ch),
        }
    }
    out.push('`');
    out
}

// ---------------------------------------------------------------------------------------
// Cell readers
// ---------------------------------------------------------------------------------------

/// Exactly one value: a code span, or `(empty)` for the empty string.
fn one_value(cell: &[Token]) -> Result<String, String> {
    match cell {
        [Token::Code(value)] => Ok(value.clone()),
        [Token::Word(word)] if word == "(empty)" => Ok(String::new()),
        _ => Err(format!("expected one value in backticks, found {cell:?}")),
    }
}

/// A list of values in backticks, or `-` for none.
fn value_list(cell: &[Token], may_be_empty: bool) -> Result<Vec<String>, String> {
    match cell {
        [Token::Word(word)] if word == "-" && may_be_empty => Ok(Vec::new()),
        [] => Err("an empty cell: write `-` for none".into()),
        _ => cell
            .iter()
            .map(|token| match token {
                Token::Code(value) => Ok(value.clone()),
                Token::Word(word) => Err(format!("expected values in backticks, found {word:?}")),
            })
            .collect(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ModeSpec {
    mode: Mode,
    /// `+psl-optout`: `allow_public_suffix_wildcards(true)`.
    psl_optout: bool,
    /// `+loopback`: `implicit_test_loopback(true)`.
    loopback: bool,
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
        Ok(())
    }
}

/// A mode word with the option markers this section accepts (`psl-optout`, `loopback`).
fn mode_spec(cell: &[Token], markers: &[&str]) -> Result<ModeSpec, String> {
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

fn pattern_kind(name: &str) -> Result<PatternErrorKind, String> {
    PatternErrorKind::ALL
        .iter()
        .copied()
        .find(|kind| format!("{kind:?}") == name)
        .ok_or_else(|| format!("{name:?} is not a PatternErrorKind"))
}

fn origin_kind(name: &str) -> Result<OriginErrorKind, String> {
    OriginErrorKind::ALL
        .iter()
        .copied()
        .find(|kind| *kind != OriginErrorKind::Opaque && format!("{kind:?}") == name)
        .ok_or_else(|| format!("{name:?} is not an OriginErrorKind (other than Opaque)"))
}

// ---------------------------------------------------------------------------------------
// Outcomes: what the table says, and what the code does, in the same shape
// ---------------------------------------------------------------------------------------

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

#[derive(Debug, Clone, PartialEq, Eq)]
enum OriginOutcome {
    Parsed(String),
    Opaque,
    Malformed(OriginErrorKind),
}

impl fmt::Display for OriginOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginOutcome::Parsed(text) => f.write_str(&show(text)),
            OriginOutcome::Opaque => f.write_str("opaque"),
            OriginOutcome::Malformed(kind) => write!(f, "malformed {kind:?}"),
        }
    }
}

fn origin_outcome(cell: &[Token]) -> Result<OriginOutcome, String> {
    match cell {
        [Token::Code(text)] => Ok(OriginOutcome::Parsed(text.clone())),
        [Token::Word(word)] if word == "opaque" => Ok(OriginOutcome::Opaque),
        [Token::Word(word), Token::Word(kind)] if word == "malformed" => {
            Ok(OriginOutcome::Malformed(origin_kind(kind)?))
        }
        _ => Err(format!(
            "expected `serialization`, `opaque` or `malformed Kind`, found {cell:?}"
        )),
    }
}

fn origin_outcome_of(parsed: &Result<Origin<'_>, OriginErrorKind>) -> OriginOutcome {
    match parsed {
        Ok(origin) => OriginOutcome::Parsed(origin.to_string()),
        Err(OriginErrorKind::Opaque) => OriginOutcome::Opaque,
        Err(kind) => OriginOutcome::Malformed(*kind),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
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
        Decision::Deny(DenyReason::Malformed(kind)) => (Verdict::Malformed(kind), None),
    }
}

/// Checks one origin against a built policy, through the policy and through the reference
/// matcher. Returns the problems.
fn check_decision(policy: &Policy, mode: Mode, origin: &str, expected: &Verdict) -> Vec<String> {
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
        let (reference, wrong_mode) = verdict_of(
            mode,
            origin,
            origin_policy_testkit::reference::check(policy, mode, origin),
        );
        problems.extend(wrong_mode);
        if &reference != expected {
            problems.push(format!(
                "{mode} check of {}: the table says `{expected}`, reference::check says `{reference}`",
                show(origin)
            ));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------
// Section 1: the document's examples
// ---------------------------------------------------------------------------------------

fn run_examples(rows: &[Row], report: &mut Report) {
    let mut parsed = Vec::new();
    for row in rows {
        let read = (|| {
            Ok::<_, String>((
                one_value(&row.cells[0])?,
                value_list(&row.cells[1], false)?,
                value_list(&row.cells[2], false)?,
            ))
        })();
        match read {
            Ok(values) => parsed.push((row.line, values)),
            Err(problem) => report.fail(row.line, problem),
        }
    }

    // The section must be the document's table, cell by cell.
    let golden: Vec<(String, Vec<String>, Vec<String>)> = DOCUMENT_EXAMPLES
        .iter()
        .map(|(example, allows, denies)| {
            (
                example.to_string(),
                allows.iter().map(|s| s.to_string()).collect(),
                denies.iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect();
    let found: Vec<_> = parsed.iter().map(|(_, values)| values.clone()).collect();
    if found != golden {
        for at in 0..golden.len().max(found.len()) {
            let line = parsed.get(at).map_or(0, |(line, _)| *line);
            match (golden.get(at), found.get(at)) {
                (Some(want), Some(have)) if want == have => {}
                (Some(want), Some(have)) => report.fail(
                    line,
                    format!("document example {} differs from the document: the document has {want:?}, the table {have:?}", at + 1),
                ),
                (Some(want), None) => report.fail(
                    0,
                    format!("document example {} is missing from section 1: {want:?}", at + 1),
                ),
                (None, Some(have)) => report.fail(
                    line,
                    format!("section 1 holds a row that is not in the document: {have:?}"),
                ),
                (None, None) => {}
            }
        }
    }

    // Every example, as the only live rule.
    for (line, (example, allows, denies)) in &parsed {
        let policy = match Policy::builder().allow(Mode::Live, example).build() {
            Ok(policy) => policy,
            Err(err) => {
                report.fail(
                    *line,
                    format!("{} does not build in live mode: {err}", show(example)),
                );
                continue;
            }
        };
        let allowed = Verdict::Allow {
            index: 0,
            rule: example.clone(),
        };
        for origin in allows {
            for problem in check_decision(&policy, Mode::Live, origin, &allowed) {
                report.fail(*line, problem);
            }
        }
        for origin in denies {
            for problem in check_decision(&policy, Mode::Live, origin, &Verdict::NoMatch) {
                report.fail(*line, problem);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Section 2: pattern syntax
// ---------------------------------------------------------------------------------------

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

fn run_patterns(rows: &[Row], report: &mut Report) -> BTreeSet<String> {
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

// ---------------------------------------------------------------------------------------
// Section 3: origin parsing
// ---------------------------------------------------------------------------------------

/// The host kind a serialized host has: `[...]` is IPv6, dotted decimal IPv4, else a name.
fn kind_of_host(host: &str) -> HostKind {
    if host.starts_with('[') {
        HostKind::Ipv6
    } else if host.parse::<Ipv4Addr>().is_ok() {
        HostKind::Ipv4
    } else {
        HostKind::Domain
    }
}

fn run_origins(rows: &[Row], report: &mut Report) -> BTreeSet<String> {
    let mut kinds_shown = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for row in rows {
        let read =
            (|| Ok::<_, String>((one_value(&row.cells[0])?, origin_outcome(&row.cells[1])?)))();
        let (input, expected) = match read {
            Ok(values) => values,
            Err(problem) => {
                report.fail(row.line, problem);
                continue;
            }
        };
        if !seen.insert(input.clone()) {
            report.fail(row.line, format!("duplicate row for {}", show(&input)));
        }
        match &expected {
            OriginOutcome::Malformed(kind) => kinds_shown.insert(format!("{kind:?}")),
            OriginOutcome::Opaque => kinds_shown.insert("Opaque".to_owned()),
            OriginOutcome::Parsed(_) => false,
        };
        let parsed = Origin::parse(&input);
        let actual = origin_outcome_of(&parsed);
        if actual != expected {
            report.fail(
                row.line,
                format!(
                    "origin {}: the table says `{expected}`, Origin::parse says `{actual}`",
                    show(&input)
                ),
            );
        }
        {
            let general = origin_policy_testkit::reference::parse_origin(&input);
            if general != parsed.clone().map(Origin::into_owned) {
                report.fail(
                    row.line,
                    format!(
                        "origin {}: Origin::parse gives {parsed:?}, the general path gives {general:?}",
                        show(&input)
                    ),
                );
            }
        }
        if let Ok(origin) = &parsed {
            let serialized = origin.to_string();
            if Origin::parse(&serialized).as_ref() != Ok(origin) {
                report.fail(
                    row.line,
                    format!(
                        "origin {}: its serialization {} does not parse back to the same origin",
                        show(&input),
                        show(&serialized)
                    ),
                );
            }
            if origin.host_kind() != kind_of_host(origin.host()) {
                report.fail(
                    row.line,
                    format!(
                        "origin {}: host {} has kind {:?}",
                        show(&input),
                        show(origin.host()),
                        origin.host_kind()
                    ),
                );
            }
        }
    }
    kinds_shown
}

// ---------------------------------------------------------------------------------------
// Section 4: matching
// ---------------------------------------------------------------------------------------

/// A policy of a row's live and test rules, in order.
fn build_rules(
    live: &[String],
    test: &[String],
    mode: ModeSpec,
) -> Result<Policy, origin_policy::BuildError> {
    let mut builder = Policy::builder();
    builder
        .implicit_test_loopback(mode.loopback)
        .allow_public_suffix_wildcards(mode.psl_optout);
    for rule in live {
        builder.allow(Mode::Live, rule);
    }
    for rule in test {
        builder.allow(Mode::Test, rule);
    }
    builder.build()
}

fn run_matching(rows: &[Row], report: &mut Report) -> BTreeSet<&'static str> {
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
        shapes.insert(match expected {
            Verdict::Allow { .. } => "allow",
            Verdict::TestLoopback => "allow test-loopback",
            Verdict::NoMatch => "deny no-match",
            Verdict::PublicSuffix(_) => "deny public-suffix",
            Verdict::Opaque => "deny opaque",
            Verdict::Malformed(_) => "deny malformed",
        });
        let policy = match build_rules(&live, &test, mode) {
            Ok(policy) => policy,
            Err(err) => {
                report.fail(row.line, format!("the rules do not build: {err}"));
                continue;
            }
        };
        for problem in check_decision(&policy, mode.mode, &origin, &expected) {
            report.fail(row.line, problem);
        }
    }
    shapes
}

// ---------------------------------------------------------------------------------------
// Section 5: lint
// ---------------------------------------------------------------------------------------

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
fn rule_ref(text: &str) -> Result<(Mode, usize), String> {
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
    let words: Vec<&str> = cell
        .iter()
        .map(|token| match token {
            Token::Word(word) => Ok(word.as_str()),
            Token::Code(code) => Err(format!(
                "warnings are plain words (`Kind mode[i]~mode[j]`), found the value {}",
                show(code)
            )),
        })
        .collect::<Result<_, _>>()?;
    match words.as_slice() {
        ["-"] => return Ok(Vec::new()),
        [] => return Err("an empty cell: write `-` for no warnings".into()),
        _ => {}
    }
    if words.len() % 2 != 0 {
        return Err(format!(
            "expected pairs `Kind mode[i]` or `Kind mode[i]~mode[j]`, found {words:?}"
        ));
    }
    words
        .chunks(2)
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

/// The line the section documents for a warning, built from its parts.
fn documented_line(warning: &Warning<'_>) -> String {
    let name = |rule: &Rule| format!("{}[{}] {}", rule.mode(), rule.index(), rule.as_str());
    let rule = warning.rule();
    match (warning.kind(), warning.other()) {
        (WarningKind::Duplicate, Some(other)) => {
            format!("{} duplicates {}", name(rule), name(other))
        }
        (WarningKind::Redundant, Some(other)) => {
            format!("{} is covered by {}", name(rule), name(other))
        }
        (WarningKind::ExplicitDefaultPort, None) => format!(
            "{}[{}] {} names the default port; write {}",
            rule.mode(),
            rule.index(),
            rule.entry().trim_matches(|c: char| c.is_ascii_whitespace()),
            rule.as_str()
        ),
        (WarningKind::InsecureTestHttp, None) => format!(
            "{} uses http for a host that is not loopback: such traffic can be read and \
             changed in transit",
            name(rule)
        ),
        (WarningKind::PublicSuffixHost, None) => format!(
            "{} names a public suffix itself: the platform's own site, not one of its users' \
             sites",
            name(rule)
        ),
        (kind, other) => format!("<{kind:?} with other rule {:?}>", other.map(Rule::index)),
    }
}

fn run_lint(rows: &[Row], report: &mut Report) -> BTreeSet<String> {
    let mut kinds_shown = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for row in rows {
        let read = (|| {
            Ok::<_, String>((
                value_list(&row.cells[0], true)?,
                value_list(&row.cells[1], true)?,
                warning_list(&row.cells[2])?,
            ))
        })();
        let (live, test, expected) = match read {
            Ok(values) => values,
            Err(problem) => {
                report.fail(row.line, problem);
                continue;
            }
        };
        if !seen.insert((live.clone(), test.clone())) {
            report.fail(row.line, "duplicate row");
        }
        kinds_shown.extend(expected.iter().map(|w| format!("{:?}", w.kind)));
        let lint_mode = ModeSpec {
            mode: Mode::Live,
            psl_optout: false,
            loopback: false,
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
        for warning in &warnings {
            let line = warning.to_string();
            let documented = documented_line(warning);
            if line != documented || line.contains(['\n', '\r', '\t']) {
                report.fail(
                    row.line,
                    format!("the warning line {line:?} is not the documented {documented:?}"),
                );
            }
        }
    }
    kinds_shown
}

// ---------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------

#[test]
fn spec_table() {
    let text = std::fs::read_to_string(SPEC_FILE)
        .unwrap_or_else(|err| panic!("cannot read {SPEC_FILE}: {err}"));
    let mut report = Report::default();
    let rows = parse_spec(&text, &mut report);

    for section in Section::ALL {
        let count = rows[section.slot()].len();
        if count < section.min_rows() {
            report.fail(
                0,
                format!(
                    "section `## {}` has {count} rows, fewer than the golden minimum {}",
                    section.heading(),
                    section.min_rows()
                ),
            );
        }
    }

    run_examples(&rows[Section::Examples.slot()], &mut report);
    let pattern_kinds = run_patterns(&rows[Section::Patterns.slot()], &mut report);
    let origin_kinds = run_origins(&rows[Section::Origins.slot()], &mut report);
    let shapes = run_matching(&rows[Section::Matching.slot()], &mut report);
    let warning_kinds = run_lint(&rows[Section::Lint.slot()], &mut report);

    for kind in PatternErrorKind::ALL {
        if !pattern_kinds.contains(&format!("{kind:?}")) {
            report.fail(0, format!("no pattern row shows `error {kind:?}`"));
        }
    }
    for kind in OriginErrorKind::ALL {
        if !origin_kinds.contains(&format!("{kind:?}")) {
            report.fail(0, format!("no origin row shows {kind:?}"));
        }
    }
    for kind in WarningKind::ALL {
        if !warning_kinds.contains(&format!("{kind:?}")) {
            report.fail(0, format!("no lint row shows the warning {kind:?}"));
        }
    }
    for shape in [
        "allow",
        "allow test-loopback",
        "deny no-match",
        "deny public-suffix",
        "deny opaque",
        "deny malformed",
    ] {
        if !shapes.contains(shape) {
            report.fail(0, format!("no matching row has the decision `{shape}`"));
        }
    }

    let counts: Vec<String> = Section::ALL
        .iter()
        .map(|s| format!("{}: {} rows", s.heading(), rows[s.slot()].len()))
        .collect();
    println!("spec-table.md: {}", counts.join(", "));

    assert!(
        report.problems.is_empty(),
        "{} problem(s) in spec-table.md:\n{}",
        report.problems.len(),
        report.problems.join("\n")
    );
}

/// The escape syntax that the file documents, checked on its own.
#[test]
fn escapes_read_as_documented() {
    assert_eq!(unescape("a␠b").unwrap(), "a b");
    assert_eq!(unescape(r"\x20\t\n\r\\").unwrap(), " \t\n\r\\");
    assert_eq!(unescape(r"\u{0}\u{3000}\u{2420}").unwrap(), "\0\u{3000}␠");
    assert_eq!(unescape(r"x.\{ab*3}.com").unwrap(), "x.ababab.com");
    assert!(unescape("a b").is_err());
    assert!(unescape(r"\q").is_err());
    assert!(unescape(r"\x8").is_err());
    assert_eq!(split_cells(r"| `a\|b` | c |").unwrap(), ["`a|b`", "c"]);
    assert_eq!(
        tokenize("error Kind at `x`").unwrap(),
        [
            Token::Word("error".into()),
            Token::Word("Kind".into()),
            Token::Word("at".into()),
            Token::Code("x".into())
        ]
    );
    assert!(tokenize("`a`b").is_err());
    for value in ["", " x\t", "a\\b|`c`", "\u{0}\u{a0}␠"] {
        let shown = show(value);
        let tokens = tokenize(&shown).unwrap();
        assert_eq!(one_value(&tokens).unwrap(), value, "{shown}");
    }
}
