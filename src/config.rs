//! Policy files (feature `serde`): [`PolicyConfig`] and [`EntryConfig`], and `Serialize` /
//! `Deserialize` for [`Policy`].

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::error::BuildError;
use crate::mode::Mode;
use crate::options::PolicyOptions;
use crate::policy::{Policy, PolicyBuilder};
use crate::rule::Rule;

/// A policy as a file holds it: the entries of each mode, with optional notes, and the
/// options. [`build`](Self::build) validates it into a [`Policy`].
///
/// In TOML:
///
/// ```toml
/// live = ["https://www.berbix.com", "https://*.berbix.com"]
/// test = [
///   "http://localhost:*",
///   { pattern = "https://staging.berbix.com", note = "staging site" },
/// ]
///
/// [options]
/// implicit_test_loopback = true
/// allow_public_suffix_wildcards = false
/// ```
///
/// Every key is optional: a missing list is empty and a missing option keeps its default
/// (`false`, and 4096 for `frame_ancestors_max_bytes`). Unknown
/// keys, at the top, in `[options]` or in an entry table, are errors. An entry is a pattern
/// string, or a table with `pattern` and an optional `note`.
///
/// [`Policy`] itself implements `Deserialize` through this type (and `Serialize` through
/// [`Policy::to_config`]), so a file can be read straight into a `Policy`. A bad file then
/// fails with every bad entry at once, each named `live[i]` or `test[i]`:
///
/// ```
/// use origin_policy::{Mode, Policy, PolicyConfig};
///
/// let json = r#"{
///     "live": ["https://www.berbix.com", "https://*.berbix.com"],
///     "test": [
///         "http://localhost:*",
///         { "pattern": "https://staging.berbix.com", "note": "staging site" }
///     ],
///     "options": { "implicit_test_loopback": true }
/// }"#;
///
/// let config: PolicyConfig = serde_json::from_str(json)?;
/// let policy = config.build()?;
/// let decision = policy.check(Mode::Test, "https://staging.berbix.com");
/// assert_eq!(decision.rule().unwrap().note(), Some("staging site"));
/// assert!(policy.options().implicit_test_loopback);
///
/// // Or in one step, with every bad entry in the message.
/// let err = serde_json::from_str::<Policy>(r#"{ "live": ["http://x.com", "https://*.com"] }"#)
///     .unwrap_err()
///     .to_string();
/// assert!(err.contains("live[0]: HttpInLive"));
/// assert!(err.contains("live[1]: PublicSuffixWildcard"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// The entries of live mode, in order.
    #[serde(default)]
    pub live: Vec<EntryConfig>,
    /// The entries of test mode, in order.
    #[serde(default)]
    pub test: Vec<EntryConfig>,
    /// The `[options]` table. Missing keys keep their defaults
    /// ([`PolicyOptions::default`]); unknown keys are errors.
    #[serde(default)]
    pub options: PolicyOptions,
}

impl PolicyConfig {
    /// The entries of `mode`.
    fn entries(&self, mode: Mode) -> &[EntryConfig] {
        match mode {
            Mode::Live => &self.live,
            Mode::Test => &self.test,
        }
    }

    /// Builds the policy: every entry is validated and the error lists all bad ones at once
    /// (see [`PolicyBuilder::build`]). An [`EntryError`](crate::EntryError)'s index is the
    /// position in that mode's list, so `live[3]` is `self.live[3]`.
    pub fn build(&self) -> Result<Policy, BuildError> {
        PolicyBuilder::from(self).build()
    }
}

/// A builder with the config's entries, live first and then test (each mode's entries keep
/// their order, and their indices), and its options.
impl From<&PolicyConfig> for PolicyBuilder {
    fn from(config: &PolicyConfig) -> Self {
        let mut builder = Policy::builder();
        builder.options(config.options);
        for mode in Mode::ALL {
            for entry in config.entries(mode) {
                match &entry.note {
                    Some(note) => builder.allow_with_note(mode, &entry.pattern, note),
                    None => builder.allow(mode, &entry.pattern),
                };
            }
        }
        builder
    }
}

/// One entry of a [`PolicyConfig`]: a pattern and an optional note.
///
/// It reads from a pattern string, or from a table (map) with a `pattern` and an optional
/// `note`; any other key, or a missing `pattern`, is an error. It writes as a plain string
/// when there is no note, else as a table `{ pattern, note }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryConfig {
    /// The pattern, as [`PolicyBuilder::allow`] takes it.
    pub pattern: String,
    /// Why the entry is there; a decision made by its rule carries it ([`Rule::note`]).
    pub note: Option<String>,
}

impl EntryConfig {
    fn of_rule(rule: &Rule) -> Self {
        EntryConfig {
            pattern: rule.as_str().to_owned(),
            note: rule.note().map(str::to_owned),
        }
    }
}

impl Serialize for EntryConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.note {
            None => serializer.serialize_str(&self.pattern),
            Some(note) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("pattern", &self.pattern)?;
                map.serialize_entry("note", note)?;
                map.end()
            }
        }
    }
}

/// The keys of an entry table.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum EntryKey {
    Pattern,
    Note,
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = EntryConfig;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an entry: a pattern string, or a table with `pattern` and optional `note`")
    }

    fn visit_str<E: de::Error>(self, pattern: &str) -> Result<EntryConfig, E> {
        Ok(EntryConfig {
            pattern: pattern.to_owned(),
            note: None,
        })
    }

    fn visit_string<E: de::Error>(self, pattern: String) -> Result<EntryConfig, E> {
        Ok(EntryConfig {
            pattern,
            note: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EntryConfig, A::Error> {
        let mut pattern: Option<String> = None;
        let mut note: Option<Option<String>> = None;
        while let Some(key) = map.next_key()? {
            match key {
                EntryKey::Pattern => {
                    if pattern.is_some() {
                        return Err(de::Error::duplicate_field("pattern"));
                    }
                    pattern = Some(map.next_value()?);
                }
                EntryKey::Note => {
                    if note.is_some() {
                        return Err(de::Error::duplicate_field("note"));
                    }
                    note = Some(map.next_value()?);
                }
            }
        }
        Ok(EntryConfig {
            pattern: pattern.ok_or_else(|| de::Error::missing_field("pattern"))?,
            note: note.flatten(),
        })
    }
}

impl<'de> Deserialize<'de> for EntryConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EntryVisitor)
    }
}

impl Policy {
    /// The canonical config of the policy: each rule's canonical text ([`Rule::as_str`]) and
    /// note, in order, and the options. Building it gives an equal policy.
    ///
    /// ```
    /// use origin_policy::{EntryConfig, Mode, Policy};
    ///
    /// let policy = Policy::builder()
    ///     .allow_with_note(Mode::Live, "HTTPS://WWW.Berbix.com:443/", "main site")
    ///     .build()?;
    /// let config = policy.to_config();
    /// assert_eq!(
    ///     config.live,
    ///     [EntryConfig {
    ///         pattern: "https://www.berbix.com".to_owned(),
    ///         note: Some("main site".to_owned()),
    ///     }],
    /// );
    /// assert_eq!(config.build()?, policy);
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn to_config(&self) -> PolicyConfig {
        let entries = |mode: Mode| -> Vec<EntryConfig> {
            self.rules(mode).iter().map(EntryConfig::of_rule).collect()
        };
        PolicyConfig {
            live: entries(Mode::Live),
            test: entries(Mode::Test),
            options: self.options(),
        }
    }
}

/// Writes [`Policy::to_config`]: canonical patterns, notes and options.
impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_config().serialize(serializer)
    }
}

/// Reads a [`PolicyConfig`] and builds it. A [`BuildError`] becomes a custom error with its
/// `Display`: every bad entry, as `live[i]` or `test[i]`, with its kind and `^^^` under the
/// fault.
impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        PolicyConfig::deserialize(deserializer)?
            .build()
            .map_err(de::Error::custom)
    }
}
