//! One typed entry checked against a policy's list before it is added: the entry's errors
//! (with a suggestion where one exists), or its canonical form and the lint warnings that
//! adding it would cause in that list. What an "Add Domain" form or an admin API answers.
//!
//! ```
//! use origin_policy::validate::validate_entry;
//! use origin_policy::{Mode, Policy};
//!
//! let policy = Policy::builder().allow(Mode::Live, "https://*.berbix.com").build()?;
//!
//! let typed = validate_entry(&policy, Mode::Live, "berbix.com");
//! assert!(!typed.is_valid());
//! assert_eq!(typed.errors[0].code, "missing_scheme");
//! assert_eq!(typed.errors[0].suggestion.as_deref(), Some("https://berbix.com"));
//!
//! let typed = validate_entry(&policy, Mode::Live, "HTTPS://Docs.Berbix.com:443");
//! assert_eq!(typed.canonical.as_deref(), Some("https://docs.berbix.com"));
//! let codes: Vec<_> = typed.warnings.iter().map(|w| w.code).collect();
//! assert_eq!(codes, ["redundant_entry", "explicit_default_port"]);
//! # Ok::<(), origin_policy::BuildError>(())
//! ```

use std::collections::HashSet;

use crate::diagnostic::{Diagnostic, MOVE_TO_TEST_MODE};

/// The canonical text of an entry of a mode under some options, or `None` when it is not a
/// valid entry there: how an entry typed in any spelling (`HTTPS://X.COM:443/`) is found
/// in a list that holds it canonically (`https://x.com`).
///
/// ```
/// use origin_policy::validate::canonical_entry;
/// use origin_policy::{Mode, PolicyOptions};
///
/// let options = PolicyOptions::default();
/// assert_eq!(
///     canonical_entry(Mode::Live, "HTTPS://X.COM:443/", options).as_deref(),
///     Some("https://x.com"),
/// );
/// assert_eq!(canonical_entry(Mode::Live, "http://x.com", options), None);
/// ```
pub use crate::diagnostic::suggest::canonical_entry;
use crate::lint::{lint_rules, WarningKind};
use crate::mode::Mode;
use crate::policy::Policy;
use crate::rule::Rule;

/// The answer for one entry: its canonical form and warnings, or its errors.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Validation {
    /// The entry's canonical text, when it is valid.
    pub canonical: Option<String>,
    /// Why the entry is refused (empty when it is valid). Each names the index the entry
    /// would take in its mode's list.
    pub errors: Vec<Diagnostic>,
    /// What adding the entry would cause in the list: the warnings about the entry itself
    /// (a duplicate, covered by a wildcard, the default port written out, not expressible
    /// in `frame-ancestors`, ...) and those about rules already listed that it would make
    /// redundant. Warnings the list already had are not repeated.
    pub warnings: Vec<Diagnostic>,
}

impl Validation {
    /// Whether the entry is valid (it may still cause warnings).
    pub fn is_valid(&self) -> bool {
        self.canonical.is_some() && self.errors.is_empty()
    }
}

/// Checks `entry` as an addition to `mode`'s list of `policy`, under the policy's options.
///
/// Linear in the size of the mode's list: the list is linted once as it is and once with
/// the entry appended, by the lint's hash lookups ([`Policy::lint`]), never pairwise.
pub fn validate_entry(policy: &Policy, mode: Mode, entry: &str) -> Validation {
    let options = policy.options();
    let existing = policy.rules(mode);
    let position = existing.len();
    let single = Policy::builder()
        .options(options)
        .allow(mode, entry)
        .build();
    let candidate: Rule = match single {
        Ok(built) => match built.rules(mode).first() {
            Some(rule) => rule.clone().at_index(position),
            None => return Validation::default_invalid(),
        },
        Err(err) => {
            let errors = err
                .entries()
                .iter()
                .map(|bad| {
                    let mut diagnostic =
                        Diagnostic::of_entry_error(bad, options, MOVE_TO_TEST_MODE);
                    diagnostic.index = Some(position);
                    diagnostic
                })
                .collect();
            return Validation {
                canonical: None,
                errors,
                warnings: Vec::new(),
            };
        }
    };
    let canonical = candidate.as_str().to_owned();
    let before: HashSet<(WarningKind, usize)> = lint_rules(existing, mode, options)
        .iter()
        .map(|warning| (warning.kind(), warning.rule().index()))
        .collect();
    let mut rules = Vec::with_capacity(position + 1);
    rules.extend_from_slice(existing);
    rules.push(candidate);
    let warnings = lint_rules(&rules, mode, options)
        .iter()
        .filter(|warning| {
            let index = warning.rule().index();
            index == position || !before.contains(&(warning.kind(), index))
        })
        .map(Diagnostic::from)
        .collect();
    Validation {
        canonical: Some(canonical),
        errors: Vec::new(),
        warnings,
    }
}

impl Validation {
    /// A build that succeeded without the rule it was given cannot happen; answered as
    /// invalid rather than trusted.
    fn default_invalid() -> Validation {
        Validation {
            canonical: None,
            errors: vec![Diagnostic::file_error(
                crate::PatternErrorKind::Empty.code(),
                crate::PatternErrorKind::Empty.message(),
            )],
            warnings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;

    fn policy(live: &[&str], test: &[&str]) -> Policy {
        let mut builder = Policy::builder();
        for entry in live {
            builder.allow(Mode::Live, entry);
        }
        for entry in test {
            builder.allow(Mode::Test, entry);
        }
        builder.build().unwrap()
    }

    fn codes(diagnostics: &[Diagnostic]) -> Vec<(&'static str, Option<usize>)> {
        diagnostics.iter().map(|d| (d.code, d.index)).collect()
    }

    #[test]
    fn errors_carry_the_suggestion_and_the_index_the_entry_would_take() {
        let policy = policy(&["https://a.com", "https://b.com"], &[]);
        let answer = validate_entry(&policy, Mode::Live, "http://x.com");
        assert!(!answer.is_valid());
        assert_eq!(answer.canonical, None);
        assert_eq!(codes(&answer.errors), [("http_in_live", Some(2))]);
        assert_eq!(answer.errors[0].severity, Severity::Error);
        assert_eq!(
            answer.errors[0].suggestion.as_deref(),
            Some("https://x.com")
        );
        assert!(answer.warnings.is_empty());
    }

    #[test]
    fn a_duplicate_in_another_spelling() {
        let listed = policy(&["https://x.com"], &["https://x.com"]);
        let answer = validate_entry(&listed, Mode::Live, " HTTPS://X.COM./ ");
        assert_eq!(answer.canonical.as_deref(), Some("https://x.com"));
        assert_eq!(codes(&answer.warnings), [("duplicate_entry", Some(1))]);
        // Another mode's list is another list.
        let fresh = validate_entry(
            &policy(&[], &["https://x.com"]),
            Mode::Live,
            "https://x.com",
        );
        assert!(fresh.is_valid() && fresh.warnings.is_empty());
    }

    #[test]
    fn covered_by_a_wildcard_and_covering_listed_rules() {
        let policy = policy(
            &[
                "https://a.x.com",
                "https://b.x.com",
                "https://*.y.com",
                "https://c.y.com",
            ],
            &[],
        );
        let covered = validate_entry(&policy, Mode::Live, "https://d.y.com");
        assert_eq!(codes(&covered.warnings), [("redundant_entry", Some(4))]);
        // A wildcard makes the two listed x.com rules redundant; c.y.com was already.
        let covering = validate_entry(&policy, Mode::Live, "https://*.x.com");
        assert_eq!(
            codes(&covering.warnings),
            [("redundant_entry", Some(0)), ("redundant_entry", Some(1))]
        );
        assert!(covering.warnings[0]
            .message
            .contains("live[4] https://*.x.com"));
    }

    #[test]
    fn own_warnings_of_the_entry() {
        let policy = policy(&[], &[]);
        let answer = validate_entry(&policy, Mode::Live, "https://pr-*.x.com");
        assert_eq!(
            codes(&answer.warnings),
            [("not_in_frame_ancestors", Some(0))]
        );
        let answer = validate_entry(&policy, Mode::Test, "http://staging.x.com");
        assert_eq!(codes(&answer.warnings), [("insecure_test_http", Some(0))]);
    }

    #[test]
    fn the_policy_options_apply() {
        let strict = policy(&[], &[]);
        assert!(!validate_entry(&strict, Mode::Live, "https://*.github.io").is_valid());
        let open = Policy::builder()
            .allow_public_suffix_wildcards(true)
            .build()
            .unwrap();
        assert!(validate_entry(&open, Mode::Live, "https://*.github.io").is_valid());
    }
}
