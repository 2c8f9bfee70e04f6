//! A rule: one validated entry of a built policy, stored compactly, with the text the index
//! keys it by.

use std::fmt::{self, Write};

use crate::host::Host;
use crate::mode::{EntryName, Mode};
use crate::pattern::{HostPattern, Pattern, PortSpec};
use crate::public_suffix::{self, BelowBase, PublicSuffixBoundary};
use crate::scheme::Scheme;

/// `port` of a rule that allows any port (`:*`); a real port is 1–65535.
const ANY_PORT: u16 = 0;

/// One entry of a built policy: its pattern, the mode it serves and its position there.
///
/// Kept to 32 bytes plus one heap block, because a policy may hold 100,000 of them: the
/// block holds the canonical text once, then the entry as written (only when it differs)
/// and the note (only when there is one). The host, or a wildcard's base, is a range of
/// the canonical text, and [`to_pattern`](Self::to_pattern) rebuilds the parsed pattern from it
/// on demand.
///
/// Aligned to its 32 bytes, so that a rule never straddles two cache lines: the check reads
/// one line per rule it compares (at 100,000 rules, 4.29 L1 read misses per hit became
/// 3.81; `benches/cache_misses.sh`). Its size does not change.
#[derive(Clone, PartialEq, Eq)]
#[repr(align(32))]
pub struct Rule {
    /// The canonical text, then the entry as written when it differs, then the note.
    text: Box<str>,
    index: u32,
    /// The port, or [`ANY_PORT`].
    port: u16,
    /// The length of the entry as written after the canonical text; 0 when the entry is
    /// the canonical text (an entry is never empty).
    entry_len: u16,
    mode: Mode,
    scheme: Scheme,
    shape: Shape,
    /// For a wildcard, how a hit stands to the public-suffix boundary: what the Public
    /// Suffix List says about the hosts under its base, or [`BelowBase::Within`] for every
    /// rule of a policy that ignores the boundary.
    below_base: BelowBase,
    /// The key ([`host_key`](Self::host_key)) as a range of the canonical text: a host or
    /// base has at most 253 bytes and starts within the first 73.
    key_start: u8,
    key_len: u8,
    /// For a label wildcard, where its `*` is in the leftmost label (at most 62).
    star: u8,
    has_note: bool,
}

/// The form of a rule's host part, which decides how the index keys it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// An exact domain name.
    Domain,
    /// An exact IPv4 address.
    Ipv4,
    /// An exact IPv6 address; its key is the text in brackets.
    Ipv6,
    /// `*.base`: keyed by the base.
    Subdomains,
    /// `prefix*suffix.base`: keyed by the base.
    LabelWildcard,
}

/// A length or offset that validation bounds (see [`Rule::key_start`]).
fn small(n: usize) -> u8 {
    u8::try_from(n).expect("validated hosts are at most 253 bytes")
}

/// The canonical text of `pattern` ([`Pattern`]'s `Display`), written into a string of
/// exactly its length, so that boxing it does not reallocate: building a policy of 100,000
/// rules spent a quarter of its time growing these strings.
fn canonical_text(pattern: &Pattern) -> String {
    let host = match pattern.host() {
        HostPattern::Exact(Host::Domain(name)) => name.len(),
        HostPattern::Exact(host) => host.to_string().len(),
        HostPattern::Subdomains(base) => "*.".len() + base.len(),
        HostPattern::LabelWildcard {
            prefix,
            suffix,
            base,
        } => prefix.len() + "*".len() + suffix.len() + ".".len() + base.len(),
    };
    let port = match pattern.port() {
        PortSpec::Exact(port) if port == pattern.scheme().default_port() => 0,
        PortSpec::Exact(port) => ":".len() + port.ilog10() as usize + 1,
        PortSpec::Any => ":*".len(),
    };
    let mut text =
        String::with_capacity(pattern.scheme().as_str().len() + "://".len() + host + port);
    // Writing to a `String` cannot fail.
    let _ = write!(text, "{pattern}");
    text
}

impl Rule {
    /// A rule from a validated pattern: `mode`'s entry number `position` (the builder
    /// keeps it below the index's limit, `index::MAX_RULES`), written as
    /// `entry`, with an optional note, in a policy that treats the public-suffix boundary
    /// as `boundary` says.
    pub(crate) fn new(
        mode: Mode,
        position: u32,
        pattern: &Pattern,
        (entry, note): (&str, Option<&str>),
        boundary: PublicSuffixBoundary,
    ) -> Rule {
        let canonical = canonical_text(pattern);
        let host_start = pattern.scheme().as_str().len() + "://".len();
        let (shape, key_start, key_len, star) = match pattern.host() {
            HostPattern::Exact(Host::Domain(name)) => (Shape::Domain, host_start, name.len(), 0),
            HostPattern::Exact(host) => {
                let shape = match host {
                    Host::Ipv4(_) => Shape::Ipv4,
                    _ => Shape::Ipv6,
                };
                (shape, host_start, host.to_string().len(), 0)
            }
            HostPattern::Subdomains(base) => {
                (Shape::Subdomains, host_start + "*.".len(), base.len(), 0)
            }
            HostPattern::LabelWildcard {
                prefix,
                suffix,
                base,
            } => {
                let label = prefix.len() + 1 + suffix.len();
                let start = host_start + label + 1;
                (Shape::LabelWildcard, start, base.len(), prefix.len())
            }
        };
        let below_base = match (pattern.host().wildcard_base(), boundary) {
            (Some(base), PublicSuffixBoundary::Enforced) => public_suffix::below_base(base),
            (None, _) | (_, PublicSuffixBoundary::Ignored) => BelowBase::Within,
        };
        let same_entry = entry == canonical;
        let mut text = canonical;
        let extra = match same_entry {
            true => 0,
            false => entry.len(),
        } + note.map_or(0, str::len);
        if extra > 0 {
            text.reserve_exact(extra);
        }
        if !same_entry {
            text.push_str(entry);
        }
        if let Some(note) = note {
            text.push_str(note);
        }
        Rule {
            text: text.into_boxed_str(),
            index: position,
            port: match pattern.port() {
                PortSpec::Exact(port) => port,
                PortSpec::Any => ANY_PORT,
            },
            // Entries are at most `MAX_PATTERN_LEN` bytes.
            entry_len: match same_entry {
                true => 0,
                false => u16::try_from(entry.len()).expect("entries are at most 2048 bytes"),
            },
            mode,
            scheme: pattern.scheme(),
            shape,
            below_base,
            key_start: small(key_start),
            key_len: small(key_len),
            star: small(star),
            has_note: note.is_some(),
        }
    }

    /// The same rule at another position among its mode's entries (validation appends a
    /// candidate to a mode's rules to lint it there).
    pub(crate) fn at_index(mut self, position: usize) -> Rule {
        self.index = u32::try_from(position).unwrap_or(u32::MAX);
        self
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

    /// The parsed pattern, rebuilt from the rule's canonical text (it allocates the host's
    /// text; a check never calls it).
    pub fn to_pattern(&self) -> Pattern {
        let key = self.host_key();
        let host = match self.shape {
            Shape::Domain => HostPattern::Exact(Host::Domain(key.to_owned())),
            Shape::Ipv4 => HostPattern::Exact(Host::Ipv4(
                key.parse()
                    .expect("the canonical text of an address parses back"),
            )),
            Shape::Ipv6 => HostPattern::Exact(Host::Ipv6(
                key.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse()
                    .expect("the canonical text of an address parses back"),
            )),
            Shape::Subdomains => HostPattern::Subdomains(key.to_owned()),
            Shape::LabelWildcard => {
                let (prefix, suffix) = self.label_parts();
                HostPattern::LabelWildcard {
                    prefix: prefix.to_owned(),
                    suffix: suffix.to_owned(),
                    base: key.to_owned(),
                }
            }
        };
        Pattern::from_parts(self.scheme, host, self.port_spec())
    }

    /// The canonical text of the pattern.
    pub fn as_str(&self) -> &str {
        &self.text[..self.canonical_len()]
    }

    /// The entry exactly as it was given to the builder.
    pub fn entry(&self) -> &str {
        match self.entry_len {
            0 => self.as_str(),
            len => {
                let start = self.canonical_len();
                &self.text[start..start + usize::from(len)]
            }
        }
    }

    /// The note given with the entry ([`PolicyBuilder::allow_with_note`](crate::PolicyBuilder::allow_with_note)), such as why the
    /// domain is on the list. Decisions carry it through [`Decision::rule`](crate::Decision::rule).
    pub fn note(&self) -> Option<&str> {
        let start = self.canonical_len() + usize::from(self.entry_len);
        self.has_note.then(|| &self.text[start..])
    }

    /// The canonical text ends after the key, and after the port when it is written.
    fn canonical_len(&self) -> usize {
        let key_end = usize::from(self.key_start) + usize::from(self.key_len);
        let port = match self.port {
            ANY_PORT => ":*".len(),
            port if port == self.scheme.default_port() => 0,
            port => 1 + port.ilog10() as usize + 1,
        };
        key_end + port
    }

    /// For a wildcard, whether the hosts under its base are within its owner, or must be
    /// looked up one by one ([`public_suffix::below_base`]); always within when the policy
    /// ignores the public-suffix boundary.
    pub(crate) fn below_base(&self) -> BelowBase {
        self.below_base
    }

    pub(crate) fn scheme(&self) -> Scheme {
        self.scheme
    }

    pub(crate) fn shape(&self) -> Shape {
        self.shape
    }

    pub(crate) fn port_spec(&self) -> PortSpec {
        match self.port {
            ANY_PORT => PortSpec::Any,
            port => PortSpec::Exact(port),
        }
    }

    /// Whether the rule's port is exactly `port` (not `:*`).
    #[inline]
    pub(crate) fn is_on_port(&self, port: u16) -> bool {
        self.port == port
    }

    /// The port, or 0 for `:*` (which no real port is): the order of a port run, `:*` first.
    #[inline]
    pub(crate) fn port_order(&self) -> u16 {
        self.port
    }

    /// Whether the rule allows any port.
    #[inline]
    pub(crate) fn is_on_any_port(&self) -> bool {
        self.port == ANY_PORT
    }

    /// The text the index keys this rule by: the host of an exact rule (as an origin
    /// writes it), the base of a wildcard. A range of the canonical text.
    pub(crate) fn host_key(&self) -> &str {
        let start = usize::from(self.key_start);
        &self.text[start..start + usize::from(self.key_len)]
    }

    /// [`host_key`](Self::host_key) as bytes, for the index's comparisons.
    #[inline]
    pub(crate) fn key_bytes(&self) -> &[u8] {
        let start = usize::from(self.key_start);
        let end = start + usize::from(self.key_len);
        self.text.as_bytes().get(start..end).unwrap_or_default()
    }

    /// A label wildcard's literal prefix and suffix around its `*`.
    pub(crate) fn label_parts(&self) -> (&str, &str) {
        if self.shape != Shape::LabelWildcard {
            return ("", "");
        }
        let host_start = self.scheme.as_str().len() + "://".len();
        let star = host_start + usize::from(self.star);
        let label_end = usize::from(self.key_start) - 1;
        (
            &self.text[host_start..star],
            &self.text[star + 1..label_end],
        )
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("mode", &self.mode)
            .field("index", &self.index())
            .field("pattern", &self.to_pattern())
            .field("text", &self.as_str())
            .field("entry", &self.entry())
            .field("note", &self.note())
            .finish()
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(entry: &str, note: Option<&str>) -> Rule {
        let pattern = Pattern::parse(entry).unwrap();
        Rule::new(
            Mode::Test,
            7,
            &pattern,
            (entry, note),
            PublicSuffixBoundary::Enforced,
        )
    }

    #[test]
    fn canonical_texts_are_boxed_without_spare_capacity() {
        for entry in [
            "https://www.example.com:8443",
            "https://*.example.com:*",
            "http://pr-*-x.example.com:1",
            "http://[::1]:65535",
            "http://127.0.0.1",
        ] {
            let text = canonical_text(&Pattern::parse(entry).unwrap());
            assert_eq!(text, entry);
            assert_eq!(text.capacity(), text.len(), "{entry}");
        }
    }

    #[test]
    fn is_32_bytes_on_a_32_byte_boundary() {
        assert_eq!(std::mem::size_of::<Rule>(), 32);
        assert_eq!(std::mem::align_of::<Rule>(), 32);
    }

    #[test]
    fn every_shape_gives_back_its_pattern_text_key_entry_and_note() {
        let cases = [
            ("https://www.example.com", "www.example.com"),
            ("HTTPS://WWW.example.com:443/", "www.example.com"),
            ("http://www.example.com:8080", "www.example.com"),
            ("https://*.example.com:*", "example.com"),
            (
                "https://pr-*-x.preview.example.com:9",
                "preview.example.com",
            ),
            ("https://*-x.example.com", "example.com"),
            ("https://pr-*.example.com", "example.com"),
            ("http://127.0.0.1:65535", "127.0.0.1"),
            ("http://[0:0::1]", "[::1]"),
            ("http://[::ffff:127.0.0.1]:*", "[::ffff:7f00:1]"),
        ];
        for (entry, key) in cases {
            let pattern = Pattern::parse(entry).unwrap();
            for note in [None, Some(""), Some("why: ünïcode")] {
                let rule = rule(entry, note);
                assert_eq!(rule.to_pattern(), pattern, "{entry}");
                assert_eq!(rule.as_str(), pattern.to_string(), "{entry}");
                assert_eq!(rule.host_key(), key, "{entry}");
                assert_eq!(rule.key_bytes(), key.as_bytes(), "{entry}");
                assert_eq!(rule.entry(), entry);
                assert_eq!(rule.note(), note);
                assert_eq!(rule.port_spec(), pattern.port());
                assert_eq!((rule.mode(), rule.index()), (Mode::Test, 7));
            }
        }
        assert_eq!(
            rule("https://ab*cd.example.com", None).label_parts(),
            ("ab", "cd")
        );
        assert_eq!(rule("https://*.example.com", None).label_parts(), ("", ""));
    }
}
