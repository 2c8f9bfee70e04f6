//! The stable `code` of every diagnostic: one snake_case name per entry error kind, lint
//! warning kind and policy-file problem. `spec-table.md` lists them all (section
//! "Diagnostic codes"), and a test holds the two lists equal. A code is never renamed once
//! released; a new kind gets a new code.

use crate::error::PatternErrorKind;
use crate::lint::WarningKind;

/// A policy file that its format cannot read, or whose values have the wrong type.
pub const INVALID_POLICY_FILE: &str = "invalid_policy_file";
/// A key of a policy file that is not `live`, `test` or `options` (`tset = [...]`).
pub const UNKNOWN_KEY: &str = "unknown_key";
/// A policy with more entries in one mode than the reader's limit allows.
pub const TOO_MANY_ENTRIES: &str = "too_many_entries";
/// A policy file of more bytes than the reader's limit allows.
pub const POLICY_TOO_LARGE: &str = "policy_too_large";

/// The codes of the policy file as a whole, beside those of the entry errors and warnings.
pub const FILE_CODES: [&str; 4] = [
    INVALID_POLICY_FILE,
    UNKNOWN_KEY,
    TOO_MANY_ENTRIES,
    POLICY_TOO_LARGE,
];

impl PatternErrorKind {
    /// The stable code of the kind in a [`Diagnostic`](crate::diagnostic::Diagnostic): its
    /// name in snake_case (`MisplacedWildcard` is `misplaced_wildcard`).
    pub const fn code(self) -> &'static str {
        match self {
            PatternErrorKind::Empty => "empty",
            PatternErrorKind::TooLong => "too_long",
            PatternErrorKind::ControlChar => "control_char",
            PatternErrorKind::InnerWhitespace => "inner_whitespace",
            PatternErrorKind::Backslash => "backslash",
            PatternErrorKind::MissingScheme => "missing_scheme",
            PatternErrorKind::MissingSlashes => "missing_slashes",
            PatternErrorKind::UnsupportedScheme => "unsupported_scheme",
            PatternErrorKind::Userinfo => "userinfo",
            PatternErrorKind::Path => "path",
            PatternErrorKind::Query => "query",
            PatternErrorKind::Fragment => "fragment",
            PatternErrorKind::EmptyHost => "empty_host",
            PatternErrorKind::PercentInHost => "percent_in_host",
            PatternErrorKind::MisplacedWildcard => "misplaced_wildcard",
            PatternErrorKind::BareWildcard => "bare_wildcard",
            PatternErrorKind::WildcardOnIp => "wildcard_on_ip",
            PatternErrorKind::InvalidDomain => "invalid_domain",
            PatternErrorKind::EmptyLabel => "empty_label",
            PatternErrorKind::LabelChar => "label_char",
            PatternErrorKind::LabelTooLong => "label_too_long",
            PatternErrorKind::NameTooLong => "name_too_long",
            PatternErrorKind::NonCanonicalIpv4 => "non_canonical_ipv4",
            PatternErrorKind::InvalidIpv6 => "invalid_ipv6",
            PatternErrorKind::EmptyPort => "empty_port",
            PatternErrorKind::InvalidPort => "invalid_port",
            PatternErrorKind::PortLeadingZero => "port_leading_zero",
            PatternErrorKind::PortOutOfRange => "port_out_of_range",
            PatternErrorKind::HttpInLive => "http_in_live",
            PatternErrorKind::LoopbackInLive => "loopback_in_live",
            PatternErrorKind::LocalAddressInLive => "local_address_in_live",
            PatternErrorKind::PublicSuffixWildcard => "public_suffix_wildcard",
            PatternErrorKind::TooManyRules => "too_many_rules",
        }
    }
}

impl WarningKind {
    /// The stable code of the kind in a [`Diagnostic`](crate::diagnostic::Diagnostic)
    /// (`Duplicate` is `duplicate_entry`).
    pub const fn code(self) -> &'static str {
        match self {
            WarningKind::Duplicate => "duplicate_entry",
            WarningKind::Redundant => "redundant_entry",
            WarningKind::ExplicitDefaultPort => "explicit_default_port",
            WarningKind::InsecureTestHttp => "insecure_test_http",
            WarningKind::PublicSuffixHost => "public_suffix_host",
            WarningKind::NotInFrameAncestors => "not_in_frame_ancestors",
            WarningKind::FrameAncestorsTooLong => "frame_ancestors_too_long",
            WarningKind::AllowedPublicSuffixWildcard => "allowed_public_suffix_wildcard",
            WarningKind::ReportOnly => "report_only_mode",
        }
    }
}

/// Every code a [`Diagnostic`](crate::diagnostic::Diagnostic) can carry: the entry errors'
/// (in the order of [`PatternErrorKind::ALL`]), the warnings' (in the order of
/// [`WarningKind::ALL`]), then the policy file's.
pub fn all_codes() -> Vec<&'static str> {
    let errors = PatternErrorKind::ALL.iter().map(|kind| kind.code());
    let warnings = WarningKind::ALL.iter().map(|kind| kind.code());
    errors.chain(warnings).chain(FILE_CODES).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn snake_case(name: &str) -> String {
        let mut out = String::new();
        for (at, ch) in name.char_indices() {
            if ch.is_ascii_uppercase() {
                let after_digit = name[..at].ends_with(|c: char| c.is_ascii_digit());
                if at > 0 && !after_digit {
                    out.push('_');
                }
                out.push(ch.to_ascii_lowercase());
            } else {
                out.push(ch);
            }
        }
        out
    }

    #[test]
    fn error_codes_are_the_kind_names_in_snake_case() {
        for kind in PatternErrorKind::ALL {
            let name = format!("{kind:?}");
            let expected = snake_case(&name).replace("ipv_4", "ipv4");
            assert_eq!(kind.code(), expected, "{name}");
        }
    }

    #[test]
    fn codes_are_unique_and_snake_case() {
        let codes = all_codes();
        let unique: HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len(), "{codes:?}");
        for code in codes {
            assert!(
                !code.is_empty()
                    && code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    && !code.starts_with('_')
                    && !code.ends_with('_'),
                "{code}"
            );
        }
    }
}
