//! Section 3: origin parsing. Each row's origin goes through `Origin::parse` (and through the
//! general WHATWG-only path too).

use std::collections::BTreeSet;
use std::fmt;
use std::net::Ipv4Addr;

use origin_policy::host::HostKind;
use origin_policy::{Origin, OriginErrorKind};

use crate::markdown::{one_value, show, Row, Token};
use crate::report::Report;

pub fn origin_kind(name: &str) -> Result<OriginErrorKind, String> {
    OriginErrorKind::ALL
        .iter()
        .copied()
        .find(|kind| *kind != OriginErrorKind::Opaque && format!("{kind:?}") == name)
        .ok_or_else(|| format!("{name:?} is not an OriginErrorKind (other than Opaque)"))
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

pub fn run(rows: &[Row], report: &mut Report) -> BTreeSet<String> {
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
            let general = crate::reference::parse_origin(&input);
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
