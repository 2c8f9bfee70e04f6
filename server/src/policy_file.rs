//! Policy files: the one place the server turns a file's text into a [`Policy`].
//!
//! For now it reads [`PolicyConfig`] with `toml` or `serde_json` and builds it. It switches
//! to `origin_policy::policy_file::parse` (same shape: `Format`, `Format::from_path`,
//! `parse(source_name, text, format)`, errors located as `SOURCE:LINE:COL` with `^^^` and a
//! hint) when that module lands in the library; then `Format` becomes a re-export and
//! `load` a call to `parse`.

use std::fmt;
use std::path::Path;

use origin_policy::{BuildError, Policy, PolicyConfig};

/// The syntax of a policy file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// `.toml` or `.json` (in any case); anything else is no policy file.
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?;
        if extension.eq_ignore_ascii_case("toml") {
            Some(Format::Toml)
        } else if extension.eq_ignore_ascii_case("json") {
            Some(Format::Json)
        } else {
            None
        }
    }
}

/// Why a policy file gave no policy: its syntax, or its entries (every bad one).
#[derive(Debug)]
pub struct LoadError {
    source_name: String,
    kind: LoadErrorKind,
}

#[derive(Debug)]
enum LoadErrorKind {
    Toml(toml::de::Error),
    Json(serde_json::Error),
    Build(BuildError),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = &self.source_name;
        match &self.kind {
            LoadErrorKind::Toml(error) => write!(f, "{source}: not a policy file: {error}"),
            LoadErrorKind::Json(error) => write!(f, "{source}: not a policy file: {error}"),
            LoadErrorKind::Build(error) => write!(f, "{source}: bad entries:\n{error}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// The policy that `text` (the content of `source_name`, in `format`) describes.
pub fn load(source_name: &str, text: &str, format: Format) -> Result<Policy, LoadError> {
    let fail = |kind| LoadError {
        source_name: source_name.to_owned(),
        kind,
    };
    let config: PolicyConfig = match format {
        Format::Toml => toml::from_str(text).map_err(|e| fail(LoadErrorKind::Toml(e)))?,
        Format::Json => serde_json::from_str(text).map_err(|e| fail(LoadErrorKind::Json(e)))?,
    };
    config
        .build()
        .map_err(|error| fail(LoadErrorKind::Build(error)))
}

#[cfg(test)]
mod tests {
    use origin_policy::Mode;

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
        assert!(error.starts_with("acme.toml: bad entries:"), "{error}");
        assert!(
            error.contains("live[0]") && error.contains("live[2]"),
            "{error}"
        );
        assert!(error.contains("^"), "{error}");

        let error = load("acme.toml", "live = [", Format::Toml).unwrap_err();
        assert!(error
            .to_string()
            .starts_with("acme.toml: not a policy file"));
        let error = load("acme.json", "{\"lve\": []}", Format::Json).unwrap_err();
        assert!(error.to_string().contains("lve"), "{error}");
    }
}
