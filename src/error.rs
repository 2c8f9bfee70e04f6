//! Errors: what is wrong with a pattern, where, and every bad entry of a build at once.

use std::fmt;
use std::ops::Range;

use crate::echo::with_carets;
use crate::mode::{EntryName, Mode};

error_kinds! {
    /// What is wrong with a pattern. Each kind has a stable name (its `Debug` form), which
    /// `spec-table.md` uses.
    pub enum PatternErrorKind {
        /// Nothing but whitespace.
        Empty => "the pattern is empty",
        /// Longer than [`MAX_PATTERN_LEN`](crate::pattern::MAX_PATTERN_LEN) bytes; not parsed at all.
        TooLong => "the pattern is longer than 2048 bytes",
        /// A control character anywhere.
        ControlChar => "control characters are not allowed",
        /// Whitespace inside the pattern (leading and trailing whitespace is trimmed).
        InnerWhitespace => "whitespace is not allowed inside a pattern",
        /// A backslash, which browsers read as `/`.
        Backslash => "backslashes are not allowed",
        /// No `scheme://` in front of the host.
        MissingScheme => "a pattern starts with `https://` or `http://`",
        /// A scheme and `:` without the `//` that must follow.
        MissingSlashes => "the scheme must be followed by `//`",
        /// A scheme other than `http` or `https`.
        UnsupportedScheme => "only `https` and `http` are supported",
        /// `user:password@` in front of the host.
        Userinfo => "user names and passwords are not allowed",
        /// Anything after the host and port except one `/`.
        Path => "a pattern has no path (only one trailing `/` is allowed)",
        /// A `?` query.
        Query => "a pattern has no query",
        /// A `#` fragment.
        Fragment => "a pattern has no fragment",
        /// No host between `//` and the port or end.
        EmptyHost => "the host is empty",
        /// A `%` escape in the host.
        PercentInHost => "percent-escapes are not allowed in the host",
        /// A `*` anywhere but as the whole leftmost label (`*.example.com`) or once inside it
        /// (`pr-*.example.com`): in another label, twice in a label, or with no base.
        MisplacedWildcard => "`*` may only stand once, in the leftmost label, as in `*.example.com` or `pr-*.example.com`",
        /// A `*` as the whole host: it would allow every site.
        BareWildcard => "a bare `*` would allow every site; list the domains instead",
        /// A wildcard in front of an IP address.
        WildcardOnIp => "wildcards cannot be used with IP addresses",
        /// IDNA (UTS #46) mapping failed, or a code point no host may hold.
        InvalidDomain => "not a valid domain name (IDNA)",
        /// An empty label (`a..com`, `.com`).
        EmptyLabel => "empty label in the domain name",
        /// A character outside `a-z 0-9 - _` in a label, after IDNA mapping.
        LabelChar => "labels may only hold `a-z`, `0-9`, `-` and `_`",
        /// A label longer than 63 bytes.
        LabelTooLong => "a label is longer than 63 characters",
        /// A name longer than 253 bytes.
        NameTooLong => "the domain name is longer than 253 characters",
        /// A host that a browser reads as IPv4 but is not written as plain dotted decimal
        /// (`127.1`, `0x7f.0.0.1`, `010.0.0.1`, `1.2.3.4.5`, `foo.09`).
        NonCanonicalIpv4 => "IPv4 addresses must be written in plain dotted decimal, such as `127.0.0.1`",
        /// Text in brackets that is not an IPv6 address. (A zone id, `%eth0`, is reported as
        /// [`PercentInHost`](Self::PercentInHost).)
        InvalidIpv6 => "not a valid IPv6 address",
        /// A `:` with no port after it.
        EmptyPort => "the port is empty",
        /// A port that is neither decimal digits nor `*`.
        InvalidPort => "a port is decimal digits or `*`",
        /// A port with a leading zero (`:0443`).
        PortLeadingZero => "a port has no leading zeros",
        /// Port `0` or a port over 65535.
        PortOutOfRange => "a port is between 1 and 65535",
        /// `http` in live mode: live mode is HTTPS only.
        HttpInLive => "`http` is available only in test mode; live mode is HTTPS only",
        /// A loopback host (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`) in live mode.
        LoopbackInLive => "loopback hosts are available only in test mode",
        /// In live mode, an address other than loopback that reaches the local machine
        /// ([`Host::is_local_address`](crate::Host::is_local_address)): `0.0.0.0/8`,
        /// `[::]`, and the IPv4-mapped or IPv4-compatible forms of those and of loopback
        /// addresses (`[::ffff:0.0.0.0]`, `[::7f00:1]`).
        LocalAddressInLive => "addresses of the local machine (`0.0.0.0`, `[::]` and their IPv6 forms) are available only in test mode",
        /// A wildcard over a public suffix such as `*.com`, `*.co.uk` or `*.github.io`, or over
        /// a name whose subdomains are public suffixes, such as `*.sch.uk`.
        PublicSuffixWildcard => "a wildcard over a public suffix would allow sites of other owners",
        /// A valid entry past the most rules a policy holds, 67,108,863 in both modes
        /// together (2^26 - 1: the index's rule and trie-node numbers are 32 bits). Not shown in
        /// `spec-table.md`, whose rows would need a billion entries; a unit test of the
        /// builder reaches a lowered limit.
        TooManyRules => "a policy holds at most 67,108,863 rules (both modes together)",
    }
}

/// A byte range of the text a pattern was parsed from (before trimming).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    pub(crate) fn new(range: Range<usize>) -> Span {
        Span {
            start: range.start,
            end: range.end,
        }
    }

    /// The range, to slice the pattern text with.
    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

/// A pattern that cannot be a rule: the kind, the text as given, and the span at fault.
///
/// `Display` prints the message, the pattern, and `^^^` under the span. The pattern is shown
/// as [`echo`](crate::echo) shows input: controls, bidi controls and backslashes escaped,
/// and a long one cut around the span, with the carets under their characters:
///
/// ```
/// let err = origin_policy::pattern::Pattern::parse("https://www.*.com").unwrap_err();
/// let shown = err.to_string();
/// let lines: Vec<&str> = shown.lines().collect();
/// assert_eq!(lines[0], "`*` may only stand once, in the leftmost label, as in `*.example.com` or `pr-*.example.com`");
/// assert_eq!(lines[1], "  https://www.*.com");
/// assert_eq!(lines[2], "              ^");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    kind: PatternErrorKind,
    pattern: String,
    span: Span,
}

impl PatternError {
    pub(crate) fn new(kind: PatternErrorKind, pattern: &str, span: Range<usize>) -> Self {
        let span = Span::new(clamp_to_chars(pattern, span));
        PatternError {
            kind,
            pattern: pattern.to_owned(),
            span,
        }
    }

    /// What is wrong.
    pub fn kind(&self) -> PatternErrorKind {
        self.kind
    }

    /// The pattern as it was given.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Where in [`pattern`](Self::pattern) the problem is.
    pub fn span(&self) -> Span {
        self.span
    }
}

/// Keeps a span on character boundaries and inside the text, so that slicing never panics.
fn clamp_to_chars(text: &str, span: Range<usize>) -> Range<usize> {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The one caret renderer: escaped and cut as every echo of input is.
        let (line, carets) = with_carets(&self.pattern, self.span.range());
        write!(f, "{}\n  {line}\n  {carets}", self.kind)
    }
}

impl std::error::Error for PatternError {}

/// One bad entry of a [`PolicyBuilder`](crate::PolicyBuilder): which mode's list, its
/// position there, and the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    /// The mode the entry was added to.
    pub mode: Mode,
    /// The entry's position among that mode's entries, from 0.
    pub index: usize,
    /// What is wrong with it.
    pub error: PatternError,
}

impl EntryError {
    /// The entry's name in messages, `live[3]`.
    pub fn name(&self) -> EntryName {
        EntryName {
            mode: self.mode,
            index: self.index,
        }
    }
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}: {}", self.name(), self.error.kind, self.error)
    }
}

/// Every bad entry of a build, in the order they were added. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    entries: Vec<EntryError>,
}

impl BuildError {
    pub(crate) fn new(entries: Vec<EntryError>) -> Self {
        debug_assert!(!entries.is_empty());
        BuildError { entries }
    }

    /// The bad entries.
    pub fn entries(&self) -> &[EntryError] {
        &self.entries
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.entries.len();
        let noun = if count == 1 { "entry" } else { "entries" };
        write!(f, "{count} invalid {noun}:")?;
        for entry in &self.entries {
            write!(f, "\n{entry}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_sit_under_the_span() {
        let err = PatternError::new(PatternErrorKind::Path, "https://x.com/a", 13..15);
        assert_eq!(
            err.to_string(),
            "a pattern has no path (only one trailing `/` is allowed)\n  https://x.com/a\n               ^^"
        );
    }

    #[test]
    fn control_characters_are_escaped_and_carets_follow() {
        let err = PatternError::new(PatternErrorKind::ControlChar, "https://x\t.com", 9..10);
        let text = err.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "  https://x\\t.com");
        assert_eq!(lines[2], "           ^^");
    }

    #[test]
    fn spans_are_clamped_to_char_boundaries() {
        let err = PatternError::new(PatternErrorKind::LabelChar, "https://é.com", 9..9);
        assert_eq!(err.span().range(), 8..10);
        assert_eq!(&err.pattern()[err.span().range()], "é");
    }

    #[test]
    fn bidi_controls_and_backslashes_are_escaped_like_every_echo() {
        let err = PatternError::new(
            PatternErrorKind::LabelChar,
            "https://x\u{202e}moc.\\evil.com",
            9..12,
        );
        let text = err.to_string();
        assert!(!text.contains('\u{202e}'), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "  https://x\\u{202e}moc.\\\\evil.com");
        assert_eq!(lines[2], "           ^^^^^^^^");
        // The one renderer: what `echo::with_carets` gives, indented.
        let (line, carets) = with_carets(err.pattern(), err.span().range());
        assert_eq!(
            (lines[1], lines[2]),
            (&*format!("  {line}"), &*format!("  {carets}"))
        );
    }

    #[test]
    fn a_long_pattern_is_cut_around_the_span() {
        let pattern = format!("https://{}.com/x", "a".repeat(3000));
        let err = PatternError::new(PatternErrorKind::Path, &pattern, 3012..3014);
        let text = err.to_string();
        assert!(text.len() < 600, "{}", text.len());
        assert!(text.contains("(3014 bytes)"), "{text}");
    }

    #[test]
    fn an_empty_span_still_gets_one_caret() {
        let err = PatternError::new(PatternErrorKind::EmptyPort, "https://x.com:", 14..14);
        assert!(err.to_string().ends_with("\n                ^"));
    }
}
