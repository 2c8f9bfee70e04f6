//! A policy file with a key it does not have (`tset = [...]` for `test`) is refused, and
//! reported together with every bad entry of the rest of the file, not instead of them:
//! the text is read once more with the unknown keys set aside, and its entries are built
//! for their errors.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::config::{EntryConfig, PolicyConfig};
use crate::options::PolicyOptions;

use super::{locate, Format, Limits, PolicyFile, PolicyFileError};

/// The policy file's format with every other key at the top collected, not refused.
#[derive(Deserialize)]
struct Lenient {
    #[serde(default)]
    live: Vec<EntryConfig>,
    #[serde(default)]
    test: Vec<EntryConfig>,
    #[serde(default)]
    options: PolicyOptions,
    #[serde(flatten)]
    unknown: BTreeMap<String, IgnoredAny>,
}

/// The error for a text the strict parse refused with `err`: when the only fault is keys at
/// the top that a policy file does not have, those keys and every bad entry of the rest;
/// otherwise `err` itself.
pub(super) fn with_unknown_keys(
    source_name: &str,
    text: &str,
    format: Format,
    limits: Limits,
    err: PolicyFileError,
) -> PolicyFileError {
    let Some(syntax) = err.syntax_error().cloned() else {
        return err;
    };
    let lenient = match format {
        Format::Toml => toml::from_str::<Lenient>(text).ok(),
        Format::Json => serde_json::from_str::<Lenient>(text).ok(),
    };
    let Some(lenient) = lenient.filter(|lenient| !lenient.unknown.is_empty()) else {
        return err;
    };
    let file = PolicyFile {
        source_name: source_name.to_owned(),
        config: PolicyConfig {
            live: lenient.live,
            test: lenient.test,
            options: lenient.options,
        },
        locations: locate::entry_locations(text, format),
    };
    if let Err(limit) = file.check_entry_limit(limits) {
        return limit;
    }
    let entries = match file.build() {
        Ok(_) => Vec::new(),
        Err(bad) => bad.entries().to_vec(),
    };
    let keys = lenient.unknown.into_keys().collect();
    PolicyFileError::with_unknown_keys(syntax, keys, entries)
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn a_typo_in_a_key_is_reported_with_every_bad_entry() {
        let text = "live = [\"http://x.com\", \"https://ok.com\"]\ntset = [\"localhost\"]\n\
                    zzz = 1\n";
        let err = parse("p.toml", text, Format::Toml).unwrap_err();
        assert_eq!(err.unknown_keys(), ["tset", "zzz"]);
        assert_eq!(err.entries().len(), 1);
        assert_eq!(err.entries()[0].line(), Some(1));
        let codes: Vec<_> = err.diagnostics().iter().map(|d| d.code).collect();
        assert_eq!(codes, ["unknown_key", "unknown_key", "http_in_live"]);
        let tset = &err.diagnostics()[0];
        assert_eq!(tset.hint.as_deref(), Some("did you mean `test`?"));
        assert_eq!((tset.line, tset.column), (Some(2), Some(1)));
        assert_eq!(err.diagnostics()[1].hint, None);
        let shown = err.to_string();
        assert!(shown.contains("unknown field `tset`"), "{shown}");
        assert!(shown.contains("unknown keys: `tset`, `zzz`"), "{shown}");
        assert!(
            shown.contains("1 invalid entry:\np.toml:1:9: live[0]: HttpInLive"),
            "{shown}"
        );
    }

    #[test]
    fn json_too_and_a_file_whose_entries_are_fine() {
        let text = r#"{"live": ["https://ok.com"], "Test": []}"#;
        let err = parse("p.json", text, Format::Json).unwrap_err();
        assert_eq!(err.unknown_keys(), ["Test"]);
        assert!(err.entries().is_empty());
        let diagnostics = err.diagnostics();
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].hint.as_deref(), Some("did you mean `test`?"));
    }

    #[test]
    fn other_faults_stay_syntax_errors() {
        for (text, format) in [
            ("live = [", Format::Toml),
            ("live = 3\ntset = []", Format::Toml),
            ("[options]\nimplicit = true", Format::Toml),
            (r#"{"live": [1], "x": 2}"#, Format::Json),
        ] {
            let err = parse("p", text, format).unwrap_err();
            assert!(err.unknown_keys().is_empty(), "{text}");
            assert_eq!(err.diagnostics()[0].code, "invalid_policy_file", "{text}");
        }
    }
}
