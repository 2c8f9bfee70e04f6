//! Section 7: diagnostic codes. Every code of the crate has a row and every row names a
//! code of the crate, with its kind and severity; each row's example gives its code.

use std::collections::BTreeSet;

use origin_policy::diagnostic::codes::{all_codes, FILE_CODES};
use origin_policy::diagnostic::Diagnostic;
use origin_policy::validate::validate_entry;
use origin_policy::{Mode, PatternErrorKind, Policy, WarningKind};

use crate::markdown::{one_value, Row, Token};
use crate::report::Report;

/// Runs the rows; gives the codes shown.
pub fn run(rows: &[Row], report: &mut Report) -> BTreeSet<String> {
    let mut shown = BTreeSet::new();
    for row in rows {
        match run_row(row) {
            Ok(code) => {
                if !shown.insert(code.clone()) {
                    report.fail(row.line, format!("the code `{code}` has a second row"));
                }
            }
            Err(problem) => report.fail(row.line, problem),
        }
    }
    for code in all_codes() {
        if !shown.contains(code) {
            report.fail(0, format!("no diagnostic-code row shows `{code}`"));
        }
    }
    shown
}

fn word(cell: &[Token]) -> Result<&str, String> {
    match cell {
        [Token::Word(word)] => Ok(word),
        _ => Err(format!("expected one plain word, found {cell:?}")),
    }
}

fn run_row(row: &Row) -> Result<String, String> {
    let [code, severity, kind, example] = &row.cells[..] else {
        return Err("expected four columns".into());
    };
    let code = one_value(code)?;
    let severity = word(severity)?;
    let kind = word(kind)?;
    if !all_codes().contains(&code.as_str()) {
        return Err(format!("`{code}` is not a code of the crate"));
    }
    let expected_code = match (severity, kind) {
        ("error", "file") => FILE_CODES
            .iter()
            .find(|file_code| **file_code == code)
            .map(|file_code| file_code.to_string()),
        ("error", name) => PatternErrorKind::ALL
            .iter()
            .find(|kind| format!("{kind:?}") == name)
            .map(|kind| kind.code().to_owned()),
        ("warning", name) => WarningKind::ALL
            .iter()
            .find(|kind| format!("{kind:?}") == name)
            .map(|kind| kind.code().to_owned()),
        _ => None,
    };
    match expected_code {
        Some(expected) if expected == code => {}
        Some(expected) => {
            return Err(format!(
                "{severity} {kind} has the code `{expected}`, not `{code}`"
            ))
        }
        None => {
            return Err(format!(
                "no {severity} of kind {kind} has the code `{code}`"
            ))
        }
    }
    let found = example_codes(severity, kind, example)?;
    if let Some(found) = found {
        if !found.contains(&code.as_str()) {
            return Err(format!(
                "the example gives the codes {found:?}, not `{code}`"
            ));
        }
    }
    Ok(code)
}

/// The codes the example gives, or `None` for `-`.
fn example_codes(
    severity: &str,
    kind: &str,
    example: &[Token],
) -> Result<Option<Vec<&'static str>>, String> {
    if let [Token::Word(dash)] = example {
        // The size codes, the frame-ancestors bound and the rule limit need a small limit
        // (or 2^26 rules), which a row cannot set: `tests/policy_file.rs`,
        // `tests/validate.rs` and the builder's unit tests show them. A wildcard over a
        // public suffix needs `allow_public_suffix_wildcards`: section 5 shows it.
        // ReportOnly comes from an option: `tests/report_only.rs`.
        let optioned = [
            "file",
            "FrameAncestorsTooLong",
            "TooManyRules",
            "AllowedPublicSuffixWildcard",
            "ReportOnly",
        ];
        if dash == "-" && optioned.contains(&kind) {
            return Ok(None);
        }
    }
    let (last, values) = example
        .split_last()
        .ok_or("an empty example: write `-` for none")?;
    let tail = word(std::slice::from_ref(last))?;
    let values: Vec<String> = values
        .iter()
        .map(|token| one_value(std::slice::from_ref(token)))
        .collect::<Result<_, _>>()?;
    let codes = |diagnostics: &[Diagnostic]| diagnostics.iter().map(|d| d.code).collect();
    if kind == "file" {
        if tail != "toml" {
            return Err(format!("a file example ends with `toml`, not {tail:?}"));
        }
        let [text] = &values[..] else {
            return Err("a file example is one TOML text".into());
        };
        return file_codes(text).map(Some);
    }
    let mode: Mode = tail.parse().map_err(|_| format!("unknown mode {tail:?}"))?;
    let (entry, listed) = values
        .split_last()
        .ok_or("an example names at least one entry")?;
    let mut builder = Policy::builder();
    for listed in listed {
        builder.allow(mode, listed);
    }
    let policy = builder
        .build()
        .map_err(|err| format!("the listed entries do not build: {err}"))?;
    let answer = validate_entry(&policy, mode, entry);
    Ok(Some(match severity {
        "error" => answer
            .errors
            .first()
            .map(|d| vec![d.code])
            .unwrap_or_default(),
        _ => codes(&answer.warnings),
    }))
}

#[cfg(feature = "policy-file")]
fn file_codes(text: &str) -> Result<Vec<&'static str>, String> {
    use origin_policy::policy_file::{self, Format};
    match policy_file::parse("example.toml", text, Format::Toml) {
        Ok(_) => Err("the example file builds".into()),
        Err(err) => Ok(err.diagnostics().iter().map(|d| d.code).collect()),
    }
}

#[cfg(not(feature = "policy-file"))]
fn file_codes(_text: &str) -> Result<Vec<&'static str>, String> {
    Err("the policy-file examples need the feature `policy-file`".into())
}
