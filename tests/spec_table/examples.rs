//! Section 1: the product document's example table, held here as a golden copy, each
//! example executed as the only live rule.

use origin_policy::{Mode, Policy};

use crate::markdown::{one_value, show, value_list, Row};
use crate::matching::{check_decision, Verdict};
use crate::report::Report;

/// The example table of the product document (section "Allowed Domains"), cell by cell:
/// (Example, Allows for, Does not allow for). Section 1 of `spec-table.md` must hold exactly
/// this, so that no example can be dropped or edited there without editing this copy too.
pub const DOCUMENT_EXAMPLES: &[(&str, &[&str], &[&str])] = &[
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

/// One example row: (Example, Allows for, Does not allow for).
type Example = (String, Vec<String>, Vec<String>);

pub fn run(rows: &[Row], report: &mut Report) {
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
    compare_with_document(&parsed, report);

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
            report.fail_all(*line, check_decision(&policy, Mode::Live, origin, &allowed));
        }
        for origin in denies {
            report.fail_all(
                *line,
                check_decision(&policy, Mode::Live, origin, &Verdict::NoMatch),
            );
        }
    }
}

/// The section must be the document's table, cell by cell.
fn compare_with_document(parsed: &[(usize, Example)], report: &mut Report) {
    let golden: Vec<Example> = DOCUMENT_EXAMPLES
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
    if found == golden {
        return;
    }
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
