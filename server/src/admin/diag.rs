//! Diagnostics and the validation of one typed entry: the library's
//! ([`origin_policy::diagnostic`], [`origin_policy::validate`]), with the few conversions
//! the API needs.

use origin_policy::policy_file::PolicyFileError;
use origin_policy::Warning;
#[cfg(test)]
use origin_policy::{Mode, Policy, PolicyOptions};

pub use origin_policy::diagnostic::Diagnostic;
pub use origin_policy::validate::{canonical_entry, validate_entry};

/// The diagnostic of a lint warning.
pub fn of_warning(warning: &Warning<'_>) -> Diagnostic {
    Diagnostic::from(warning)
}

/// Every diagnostic of a policy text that does not build.
pub fn of_file_error(error: &PolicyFileError) -> Vec<Diagnostic> {
    error.diagnostics()
}

/// The diagnostic of a mode that is neither `live` nor `test` (an API-level code).
pub fn unknown_mode(mode: &str) -> Diagnostic {
    Diagnostic::file_error(
        "unknown_mode",
        format!("unknown mode {mode:?}: `live` or `test`"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_of_a_diagnostic_is_the_contract_the_page_reads() {
        let empty = Policy::builder().build().unwrap();
        let missing = &validate_entry(&empty, Mode::Live, "berbix.com").errors[0];
        let json = serde_json::to_value(missing).unwrap();
        assert_eq!(json["code"], "missing_scheme");
        assert_eq!(json["mode"], "live");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["suggestion"], "https://berbix.com");
        assert_eq!(json["entry"], "berbix.com");
        assert!(json["span"]["end"].as_u64().is_some());
        assert_eq!(
            serde_json::to_value(unknown_mode("prod")).unwrap()["code"],
            "unknown_mode"
        );
        assert_eq!(
            canonical_entry(Mode::Live, "HTTPS://X.COM:443/", PolicyOptions::default()).as_deref(),
            Some("https://x.com")
        );
        assert_eq!(
            canonical_entry(Mode::Live, "http://x.com", PolicyOptions::default()),
            None
        );
    }
}
