//! The two modes a rule can serve.

use std::fmt;
use std::str::FromStr;

/// The mode a rule is created in and a check is made for.
///
/// The source document: "domains are associated to the mode they're created in (live or
/// test)". A rule serves only its own mode; nothing carries over between the two.
///
/// | | live | test |
/// |---|---|---|
/// | schemes | `https` | `https`, `http` |
/// | loopback hosts (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`) | never | allowed |
///
/// With the `serde` feature it reads and writes as `"live"` or `"test"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "lowercase")
)]
pub enum Mode {
    /// Production: HTTPS only, no loopback hosts.
    Live,
    /// Development and testing: HTTP and loopback hosts are allowed too.
    Test,
}

impl Mode {
    /// Both modes, in a fixed order.
    pub const ALL: [Mode; 2] = [Mode::Live, Mode::Test];

    /// The lowercase name, as [`FromStr`] reads it: `"live"` or `"test"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Test => "test",
        }
    }

    /// The mode an API secret key is for, read from its prefix: `secret_live_…` is live
    /// mode and `secret_test_…` is test mode. Anything else, including a bare prefix with
    /// nothing after it or a prefix in another case, is `None`.
    ///
    /// Only the prefix is read: this says which allow-list applies to a request, it does
    /// not authenticate the key. Whatever checks the key must still run.
    ///
    /// ```
    /// use origin_policy::Mode;
    ///
    /// assert_eq!(Mode::from_api_secret("secret_live_4f9a"), Some(Mode::Live));
    /// assert_eq!(Mode::from_api_secret("secret_test_4f9a"), Some(Mode::Test));
    /// assert_eq!(Mode::from_api_secret("secret_live_"), None);
    /// assert_eq!(Mode::from_api_secret("public_live_4f9a"), None);
    /// assert_eq!(Mode::from_api_secret("SECRET_LIVE_4f9a"), None);
    /// ```
    pub fn from_api_secret(key: &str) -> Option<Mode> {
        const PREFIXES: [(&str, Mode); 2] =
            [("secret_live_", Mode::Live), ("secret_test_", Mode::Test)];
        PREFIXES.iter().find_map(|&(prefix, mode)| {
            key.strip_prefix(prefix)
                .filter(|rest| !rest.is_empty())
                .map(|_| mode)
        })
    }

    pub(crate) const fn slot(self) -> usize {
        match self {
            Mode::Live => 0,
            Mode::Test => 1,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`Mode::from_str`]: the text was neither `live` nor `test`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseModeError {
    text: String,
}

impl fmt::Display for ParseModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown mode {:?}: expected `live` or `test`", self.text)
    }
}

impl std::error::Error for ParseModeError {}

impl FromStr for Mode {
    type Err = ParseModeError;

    /// Reads exactly `live` or `test`. Anything else, even `Live`, is an error: a mode
    /// picks which allow-list applies, so a guess would be a security decision.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "live" => Ok(Mode::Live),
            "test" => Ok(Mode::Test),
            _ => Err(ParseModeError {
                text: text.to_owned(),
            }),
        }
    }
}

/// An entry's name in messages: its mode and its position among that mode's entries, from
/// 0, written `live[3]`. Rules ([`Rule::name`](crate::Rule::name)), build errors and lint warnings name entries
/// this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryName {
    /// The mode of the entry.
    pub mode: Mode,
    /// The position among the entries of that mode, from 0.
    pub index: usize,
}

impl fmt::Display for EntryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.mode, self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_both_names() {
        for mode in Mode::ALL {
            assert_eq!(mode.to_string().parse::<Mode>(), Ok(mode));
        }
    }

    #[test]
    fn api_secrets_name_their_mode_by_prefix_only() {
        for (key, mode) in [
            ("secret_live_demo", Some(Mode::Live)),
            ("secret_test_demo", Some(Mode::Test)),
            ("secret_live_x", Some(Mode::Live)),
            ("secret_live_", None),
            ("secret_test_", None),
            ("secret_live", None),
            ("secret_prod_demo", None),
            ("Secret_live_demo", None),
            (" secret_live_demo", None),
            ("", None),
        ] {
            assert_eq!(Mode::from_api_secret(key), mode, "{key:?}");
        }
    }

    #[test]
    fn rejects_other_spellings() {
        for text in ["Live", "TEST", " live", "", "prod"] {
            let err = text.parse::<Mode>().unwrap_err();
            assert!(err.to_string().contains("expected `live` or `test`"));
        }
    }
}
