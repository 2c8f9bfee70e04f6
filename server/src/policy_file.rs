//! Policy files: the one place the server turns a file's text into a [`Policy`], so the
//! policy directory, `db put` and the PostgreSQL feed refuse exactly the same texts.
//!
//! It is the library's [`origin_policy::policy_file`]: the errors are the CLI's, every bad
//! entry located (`SOURCE:LINE:COL`, the `^^^` span) and hinted.

use origin_policy::Policy;

pub use origin_policy::policy_file::{Format, Limits};

/// Why a policy file gave no policy: its syntax, or its entries (every bad one).
pub type LoadError = origin_policy::policy_file::PolicyFileError;

/// The policy that `text` (the content of `source_name`, in `format`) describes, within
/// the default [`Limits`].
pub fn load(source_name: &str, text: &str, format: Format) -> Result<Policy, LoadError> {
    origin_policy::policy_file::parse(source_name, text, format)
}

/// [`load`] within `limits` (`serve --max-policy-entries`, `--max-policy-bytes`): a text
/// over one is refused with an error located in it that names the limit.
pub fn load_with_limits(
    source_name: &str,
    text: &str,
    format: Format,
    limits: Limits,
) -> Result<Policy, LoadError> {
    origin_policy::policy_file::parse_with_limits(source_name, text, format, limits)
}

#[cfg(test)]
mod tests {
    use origin_policy::Mode;

    use std::path::Path;

    use super::*;

    #[test]
    fn format_comes_from_the_extension() {
        for (path, format) in [
            ("acme.toml", Some(Format::Toml)),
            ("acme.JSON", Some(Format::Json)),
            ("acme.toml.swp", None),
            ("acme", None),
            (".toml", None),
        ] {
            assert_eq!(Format::from_path(Path::new(path)), format, "{path}");
        }
    }

    #[test]
    fn loads_both_formats_and_reports_every_bad_entry() {
        let toml = load("a.toml", "live = [\"https://a.example\"]\n", Format::Toml).unwrap();
        assert!(toml.is_allowed(Mode::Live, "https://a.example"));
        let json = load(
            "a.json",
            r#"{"test": ["http://localhost:*"]}"#,
            Format::Json,
        )
        .unwrap();
        assert!(json.is_allowed(Mode::Test, "http://localhost:3000"));

        let text = "live = [\"http://a.example\", \"https://ok.example\", \"https://*.com\"]\n";
        let error = load("acme.toml", text, Format::Toml)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("acme.toml:1:9: live[0]: HttpInLive"),
            "{error}"
        );
        assert!(
            error.contains("acme.toml:1:51: live[2]: PublicSuffixWildcard"),
            "{error}"
        );
        assert!(error.contains("^"), "{error}");

        let error = load("acme.toml", "live = [", Format::Toml).unwrap_err();
        assert!(error.to_string().starts_with("acme.toml:1:"), "{error}");
        let error = load("acme.json", "{\"lve\": []}", Format::Json).unwrap_err();
        assert!(error.to_string().contains("lve"), "{error}");
    }
}
