//! A rule: one validated entry of a built policy, with the text the index keys it by.

use std::fmt;

use crate::host::{self, Host};
use crate::mode::{EntryName, Mode};
use crate::pattern::{HostPattern, Pattern};
use crate::public_suffix::{self, BelowBase};

/// A rule's position in its mode's rule list, as the index stores it.
pub(crate) type RuleIndex = u32;

/// One entry of a built policy: its pattern, the mode it serves and its position there.
///
/// Kept small, because a policy may hold 100,000 of them: the entry as written and the
/// note are stored (boxed, together) only when there is a note or the entry differs from
/// the canonical text, which is the common case of neither.
#[derive(Clone, PartialEq, Eq)]
pub struct Rule {
    pattern: Pattern,
    text: Box<str>,
    extra: Option<Box<Extra>>,
    index: u32,
    mode: Mode,
    /// For a wildcard, what the Public Suffix List says about the hosts under its base.
    below_base: BelowBase,
}

/// The rarely present parts of a rule.
#[derive(Clone, PartialEq, Eq)]
struct Extra {
    /// The entry as written, when it is not the canonical text.
    entry: Option<Box<str>>,
    note: Option<Box<str>>,
}

impl Rule {
    /// A rule from a validated pattern: `mode`'s entry number `position`, written as
    /// `entry`, with an optional note.
    pub(crate) fn new(
        mode: Mode,
        position: usize,
        pattern: Pattern,
        entry: &str,
        note: Option<&str>,
    ) -> Rule {
        let canonical = pattern.to_string();
        let entry = (entry != canonical).then(|| Box::from(entry));
        let note = note.map(Box::from);
        let extra = (entry.is_some() || note.is_some()).then(|| Box::new(Extra { entry, note }));
        let below_base = pattern
            .host()
            .wildcard_base()
            .map_or(BelowBase::Within, public_suffix::below_base);
        Rule {
            mode,
            below_base,
            // More than 2^32 entries would not fit in memory anyway.
            index: u32::try_from(position).unwrap_or(u32::MAX),
            text: canonical.into_boxed_str(),
            extra,
            pattern,
        }
    }

    /// The rule's name in messages: its mode and index, as in `live[3]`.
    pub fn name(&self) -> EntryName {
        EntryName {
            mode: self.mode,
            index: self.index(),
        }
    }

    /// The mode the rule was created in, and the only one it serves.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The position among the entries of its mode, from 0, as given to the builder.
    pub fn index(&self) -> usize {
        self.index as usize
    }

    /// The parsed pattern.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// The canonical text of the pattern.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The entry exactly as it was given to the builder.
    pub fn entry(&self) -> &str {
        self.extra
            .as_ref()
            .and_then(|extra| extra.entry.as_deref())
            .unwrap_or(&self.text)
    }

    /// The note given with the entry ([`PolicyBuilder::allow_with_note`](crate::PolicyBuilder::allow_with_note)), such as why the
    /// domain is on the list. Decisions carry it through [`Decision::rule`](crate::Decision::rule).
    pub fn note(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|extra| extra.note.as_deref())
    }

    /// For a wildcard, whether the hosts under its base are within its owner, or must be
    /// looked up one by one ([`public_suffix::below_base`]).
    pub(crate) fn below_base(&self) -> BelowBase {
        self.below_base
    }

    /// The text the index keys this rule by: the host of an exact rule (its canonical
    /// text), the base of a wildcard. Borrowed from the rule, never stored twice.
    pub(crate) fn host_key(&self) -> &str {
        match self.pattern.host() {
            HostPattern::Exact(Host::Domain(name)) => name,
            HostPattern::Subdomains(base) | HostPattern::LabelWildcard { base, .. } => base,
            HostPattern::Exact(Host::Ipv4(_) | Host::Ipv6(_)) => {
                // The canonical text is `scheme://host[:port]`.
                let authority = &self.text[self.pattern.scheme().as_str().len() + 3..];
                host::split_host_port(authority).map_or(authority, |(host, _)| host)
            }
        }
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("mode", &self.mode)
            .field("index", &self.index())
            .field("pattern", &self.pattern)
            .field("text", &self.as_str())
            .field("entry", &self.entry())
            .field("note", &self.note())
            .finish()
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
