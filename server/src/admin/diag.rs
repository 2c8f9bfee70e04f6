//! Diagnostics and the validation of one typed entry, in the shape agreed with the library
//! (`origin_policy::diagnostic::Diagnostic`, `origin_policy::validate::validate_entry`,
//! built on branch `diag`). Until the library has them, this file stands in with the same
//! names and JSON; the switch is the one edit of replacing this file's body with
//! `pub use` lines.
//!
//! A diagnostic's `code` is the snake_case name of its kind (`PatternErrorKind::MissingScheme`
//! → `missing_scheme`, `WarningKind::Redundant` → `redundant`), as `spec-table.md` lists them.

use origin_policy::policy_file::{hint, PolicyFileError};
use origin_policy::{Mode, PatternError, Policy, PolicyConfig, PolicyOptions, Warning};
use serde::Serialize;

/// How the dashboard tells an author to list an entry in test mode instead.
const MOVE_TO_TEST: &str = "add it in test mode instead";

/// An error (the entry is refused) or a warning (accepted, probably not what was meant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A byte range of the entry text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DiagnosticSpan {
    pub start: usize,
    pub end: usize,
}

/// One finding about one entry, as the admin API's JSON carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: String,
    pub message: String,
    #[serde(serialize_with = "mode_name")]
    pub mode: Option<Mode>,
    pub index: Option<usize>,
    pub entry: Option<String>,
    pub span: Option<DiagnosticSpan>,
    pub hint: Option<String>,
    pub suggestion: Option<String>,
}

fn mode_name<S: serde::Serializer>(mode: &Option<Mode>, serializer: S) -> Result<S::Ok, S::Error> {
    match mode {
        Some(mode) => serializer.serialize_str(mode.as_str()),
        None => serializer.serialize_none(),
    }
}

/// `MissingScheme` → `missing_scheme`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (at, ch) in name.char_indices() {
        if ch.is_ascii_uppercase() {
            if at > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// The diagnostic of `error`, an entry of `mode` at `index` in a policy with `options`.
pub fn of_pattern_error(
    mode: Mode,
    index: Option<usize>,
    error: &PatternError,
    options: PolicyOptions,
) -> Diagnostic {
    let kind = error.kind();
    Diagnostic {
        severity: Severity::Error,
        code: snake_case(&format!("{kind:?}")),
        message: kind.to_string(),
        mode: Some(mode),
        index,
        entry: Some(error.pattern().to_owned()),
        span: Some(DiagnosticSpan {
            start: error.span().start,
            end: error.span().end,
        }),
        hint: hint(mode, error, options, MOVE_TO_TEST),
        suggestion: suggestion(mode, error.pattern(), options),
    }
}

/// The diagnostic of a lint warning.
pub fn of_warning(warning: &Warning<'_>) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        code: snake_case(&format!("{:?}", warning.kind())),
        message: warning.to_string(),
        mode: Some(warning.mode()),
        index: Some(warning.rule().index()),
        entry: Some(warning.rule().entry().to_owned()),
        span: None,
        hint: None,
        suggestion: None,
    }
}

/// Every diagnostic of a policy text that does not build: each bad entry, or the syntax
/// error as one diagnostic without an entry.
pub fn of_file_error(error: &PolicyFileError, options: PolicyOptions) -> Vec<Diagnostic> {
    if let Some(syntax) = error.syntax_error() {
        return vec![Diagnostic {
            severity: Severity::Error,
            code: "syntax".to_owned(),
            message: syntax.to_string(),
            mode: None,
            index: None,
            entry: None,
            span: None,
            hint: None,
            suggestion: None,
        }];
    }
    error
        .entries()
        .iter()
        .map(|entry| {
            let mut diagnostic =
                of_pattern_error(entry.mode(), Some(entry.index()), entry.error(), options);
            if let Some(hint) = entry.hint() {
                diagnostic.hint = Some(hint.to_owned());
            }
            diagnostic
        })
        .collect()
}

/// The answer for one typed entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    /// The canonical entry, when it is valid.
    pub canonical: Option<String>,
    pub errors: Vec<Diagnostic>,
    /// What adding it would cause in the list.
    pub warnings: Vec<Diagnostic>,
}

impl Validation {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The error `entry` gives in `mode` under `options`, or its canonical text.
fn check_alone(mode: Mode, entry: &str, options: PolicyOptions) -> Result<String, PatternError> {
    let policy = Policy::builder()
        .options(options)
        .allow(mode, entry)
        .build()
        .map_err(|error| error.entries()[0].error.clone())?;
    Ok(policy.rules(mode)[0].as_str().to_owned())
}

/// The corrected entry for a few common slips, when the correction is itself valid:
/// a missing scheme, `https//`, a misspelt scheme, `http` in live mode.
fn suggestion(mode: Mode, entry: &str, options: PolicyOptions) -> Option<String> {
    let entry = entry.trim();
    let mut candidates = Vec::new();
    if let Some((scheme, rest)) = entry.split_once("://") {
        if !scheme.eq_ignore_ascii_case("https") {
            candidates.push(format!("https://{rest}"));
            if mode == Mode::Test && !scheme.eq_ignore_ascii_case("http") {
                candidates.push(format!("http://{rest}"));
            }
        }
    } else {
        let lower = entry.to_ascii_lowercase();
        let rest = [
            "https//", "https:/", "https:", "http//", "http:/", "http:", "//",
        ]
        .iter()
        .find(|prefix| lower.starts_with(*prefix))
        .map_or(entry, |prefix| &entry[prefix.len()..]);
        candidates.push(format!("https://{rest}"));
        if mode == Mode::Test {
            candidates.push(format!("http://{rest}"));
        }
    }
    candidates
        .into_iter()
        .find_map(|candidate| check_alone(mode, &candidate, options).ok())
}

/// Validates `entry` as an addition to `policy`'s `mode` list: its errors, or its
/// canonical text and the lint warnings that involve it once added.
pub fn validate_entry(policy: &Policy, mode: Mode, entry: &str) -> Validation {
    let options = policy.options();
    let canonical = match check_alone(mode, entry, options) {
        Ok(canonical) => canonical,
        Err(error) => {
            return Validation {
                canonical: None,
                errors: vec![of_pattern_error(mode, None, &error, options)],
                warnings: Vec::new(),
            }
        }
    };
    let mut config: PolicyConfig = policy.to_config();
    let list = match mode {
        Mode::Live => &mut config.live,
        Mode::Test => &mut config.test,
    };
    let index = list.len();
    list.push(origin_policy::EntryConfig {
        pattern: entry.to_owned(),
        note: None,
    });
    let warnings = match config.build() {
        Ok(with_entry) => with_entry
            .lint()
            .iter()
            .filter(|warning| {
                warning.mode() == mode
                    && (warning.rule().index() == index
                        || warning.other().is_some_and(|other| other.index() == index))
            })
            .map(of_warning)
            .collect(),
        Err(_) => Vec::new(),
    };
    Validation {
        canonical: Some(canonical),
        errors: Vec::new(),
        warnings,
    }
}

/// The canonical text of `pattern` as an entry of `mode`, when it is valid there (for a
/// removal by any spelling).
pub fn canonical_of(mode: Mode, pattern: &str, options: PolicyOptions) -> Option<String> {
    check_alone(mode, pattern, options).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(live: &[&str]) -> Policy {
        let mut builder = Policy::builder();
        for pattern in live {
            builder.allow(Mode::Live, pattern);
        }
        builder.build().unwrap()
    }

    #[test]
    fn suggestions_for_common_slips_and_none_for_a_guess() {
        let empty = policy(&[]);
        for (entry, suggested) in [
            ("berbix.com", Some("https://berbix.com")),
            ("http://x.com", Some("https://x.com")),
            ("https//x.com", Some("https://x.com")),
            ("htps://x.com", Some("https://x.com")),
            ("berbix,com", None),
        ] {
            let validation = validate_entry(&empty, Mode::Live, entry);
            assert!(!validation.is_valid(), "{entry}");
            assert_eq!(
                validation.errors[0].suggestion.as_deref(),
                suggested,
                "{entry}"
            );
        }
        let missing = &validate_entry(&empty, Mode::Live, "berbix.com").errors[0];
        assert_eq!(missing.code, "missing_scheme");
        assert_eq!(missing.mode, Some(Mode::Live));
        let json = serde_json::to_value(missing).unwrap();
        assert_eq!(json["mode"], "live");
        assert_eq!(json["severity"], "error");
        assert!(json["span"]["end"].as_u64().is_some());
    }

    #[test]
    fn a_valid_entry_gets_its_canonical_text_and_the_warnings_it_causes() {
        let list = policy(&["https://*.x.com", "https://y.com"]);
        let redundant = validate_entry(&list, Mode::Live, "HTTPS://A.X.COM:443/");
        assert_eq!(redundant.canonical.as_deref(), Some("https://a.x.com"));
        let codes: Vec<&str> = redundant.warnings.iter().map(|w| w.code.as_str()).collect();
        assert!(codes.contains(&"redundant"), "{codes:?}");
        assert!(codes.contains(&"explicit_default_port"), "{codes:?}");
        let duplicate = validate_entry(&list, Mode::Live, "https://y.com");
        assert_eq!(duplicate.warnings[0].code, "duplicate");
        let fresh = validate_entry(&list, Mode::Live, "https://z.com");
        assert!(fresh.is_valid() && fresh.warnings.is_empty());
        // Warnings about other rules of the list are not the new entry's.
        let unrelated = policy(&["https://*.x.com", "https://a.x.com"]);
        assert!(validate_entry(&unrelated, Mode::Live, "https://z.com")
            .warnings
            .is_empty());
    }
}
