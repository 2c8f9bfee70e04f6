//! The text of generated entries and origins, and the labels they are made of. Every
//! generator writes through these, over its own alphabet ([`crate::alphabet`]) and its own
//! source of choices ([`crate::rng::Choices`]).

use std::fmt::Display;

use origin_policy::Scheme;

use crate::rng::Choices;

/// How an entry or an origin writes its port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortText {
    /// No port written: the scheme's default.
    Omitted,
    /// The scheme's default, written out (`:443`).
    DefaultWritten,
    /// `:port`.
    Exact(u16),
    /// `:*` (entries only).
    Any,
}

impl PortText {
    /// The text after the host: ``, `:443`, `:8080` or `:*`.
    pub fn suffix(self, scheme: Scheme) -> String {
        match self {
            PortText::Omitted => String::new(),
            PortText::DefaultWritten => format!(":{}", scheme.default_port()),
            PortText::Exact(port) => format!(":{port}"),
            PortText::Any => ":*".to_owned(),
        }
    }
}

/// The host part of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostShape<'a> {
    /// The host itself.
    Exact,
    /// `*.host`.
    Subdomains,
    /// `prefix*suffix.host`.
    Label(&'a str, &'a str),
}

/// The host part of an entry of `shape` over `host` (a wildcard's base).
///
/// ```
/// use origin_policy_testkit::text::{host, HostShape};
///
/// assert_eq!(host(HostShape::Exact, "foo.com"), "foo.com");
/// assert_eq!(host(HostShape::Subdomains, "foo.com"), "*.foo.com");
/// assert_eq!(host(HostShape::Label("pr-", ""), "foo.com"), "pr-*.foo.com");
/// ```
pub fn host(shape: HostShape<'_>, host: &str) -> String {
    match shape {
        HostShape::Exact => host.to_owned(),
        HostShape::Subdomains => format!("*.{host}"),
        HostShape::Label(prefix, suffix) => format!("{prefix}*{suffix}.{host}"),
    }
}

/// `scheme://host` and `port` as written (``, `:8080`, `:*`): an entry, or an origin.
pub fn url(scheme: impl Display, host: &str, port: &str) -> String {
    format!("{scheme}://{host}{port}")
}

/// The canonical origin of `scheme`, `host` and `port`: the port only if it is not the
/// scheme's default.
pub fn origin(scheme: Scheme, host: &str, port: u16) -> String {
    if port == scheme.default_port() {
        url(scheme, host, "")
    } else {
        url(scheme, host, &format!(":{port}"))
    }
}

/// `labels` and then `suffix`, joined with dots: `foo.bar` + `co.uk`.
pub fn domain(labels: &[impl AsRef<str>], suffix: &str) -> String {
    let mut name = String::new();
    for label in labels {
        name.push_str(label.as_ref());
        name.push('.');
    }
    name.push_str(suffix);
    name
}

/// `count` labels picked from `set`, joined with dots.
pub fn picked_labels(choices: &mut impl Choices, set: &[&str], count: usize) -> String {
    let labels: Vec<&str> = (0..count).map(|_| choices.pick(set)).collect();
    labels.join(".")
}

/// The labels of `set` at `indices` (each modulo the set's length, at most `max` of them),
/// joined with dots: what a fuzz input's list of indices names.
pub fn indexed_labels(set: &[&str], indices: &[u8], max: usize) -> String {
    let labels: Vec<&str> = indices
        .iter()
        .take(max)
        .map(|&i| crate::rng::at(set, i))
        .collect();
    labels.join(".")
}

/// The characters of a random label: its length range, and the bytes allowed first, in the
/// middle and last.
#[derive(Debug, Clone, Copy)]
pub struct LabelShape {
    /// The shortest length.
    pub min_len: usize,
    /// The longest length.
    pub max_len: usize,
    /// The bytes of the first character.
    pub first: &'static [u8],
    /// The bytes of the characters between the first and the last.
    pub middle: &'static [u8],
    /// The bytes of the last character (of two or more).
    pub last: &'static [u8],
}

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const LETTERS_DIGITS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const LETTERS_DIGITS_HYPHEN: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-";

impl LabelShape {
    /// 4 to 10 lowercase letters: realistic names, for the benchmark workloads.
    pub const WORDS: LabelShape = LabelShape {
        min_len: 4,
        max_len: 10,
        first: LETTERS,
        middle: LETTERS,
        last: LETTERS,
    };

    /// 1 to 7 characters of `a-z 0-9 -`, starting with a letter and not ending with `-`
    /// (so never `xn--…`): odd but valid labels, for the property tests.
    pub const SHORT_LDH: LabelShape = LabelShape {
        min_len: 1,
        max_len: 7,
        first: LETTERS,
        middle: LETTERS_DIGITS_HYPHEN,
        last: LETTERS_DIGITS,
    };
}

/// A random label of `shape`: the length first, then each character.
pub fn random_label(choices: &mut impl Choices, shape: &LabelShape) -> String {
    let len = choices.between(shape.min_len, shape.max_len);
    (0..len)
        .map(|i| {
            let set = match i {
                0 => shape.first,
                _ if i + 1 == len => shape.last,
                _ => shape.middle,
            };
            char::from(choices.pick(set))
        })
        .collect()
}

/// The `prefix` and `suffix` of a label wildcard, each picked from `parts`; `None` when
/// both came out empty (no label wildcard: each generator has its own way out).
pub fn label_wildcard_parts(
    choices: &mut impl Choices,
    parts: &[&'static str],
) -> Option<(&'static str, &'static str)> {
    let (prefix, suffix) = (choices.pick(parts), choices.pick(parts));
    (!prefix.is_empty() || !suffix.is_empty()).then_some((prefix, suffix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Bits, SplitMix64};

    #[test]
    fn texts() {
        assert_eq!(PortText::DefaultWritten.suffix(Scheme::Http), ":80");
        assert_eq!(PortText::Any.suffix(Scheme::Https), ":*");
        assert_eq!(origin(Scheme::Https, "x.com", 443), "https://x.com");
        assert_eq!(origin(Scheme::Http, "x.com", 443), "http://x.com:443");
        assert_eq!(domain(&["a", "b"], "co.uk"), "a.b.co.uk");
        assert_eq!(domain(&[] as &[&str], "com"), "com");
        assert_eq!(indexed_labels(&["a", "b"], &[0, 1, 2, 3], 3), "a.b.a");
    }

    #[test]
    fn random_labels_have_their_shape() {
        let mut rng = SplitMix64::new(1);
        for _ in 0..1000 {
            let label = random_label(&mut rng, &LabelShape::SHORT_LDH);
            assert!((1..=7).contains(&label.len()), "{label}");
            assert!(label.as_bytes()[0].is_ascii_lowercase(), "{label}");
            assert!(!label.ends_with('-'), "{label}");
            let word = random_label(&mut rng, &LabelShape::WORDS);
            assert!((4..=10).contains(&word.len()), "{word}");
            assert!(word.bytes().all(|b| b.is_ascii_lowercase()), "{word}");
        }
        assert_eq!(random_label(&mut Bits(0), &LabelShape::SHORT_LDH), "a");
    }
}
