//! Origins as a check receives them: the value of an `Origin` header.
//!
//! Browsers send the [serialization of an origin](https://html.spec.whatwg.org/multipage/browsers.html#ascii-serialisation-of-an-origin):
//! `scheme://host[:port]`, lowercase, punycode, no default port. [`Origin::parse`] reads
//! exactly that form without allocating, and falls back to the WHATWG host parser (the
//! `url` crate) only for anything else, so that `http://127.1` or `https://BÜCHER.example`
//! mean what they mean to a browser.

use std::borrow::Cow;
use std::fmt;

use crate::dots::Dots;
use crate::host::{self, BrowserHost, BrowserHostError, Host, HostKind, NameProblem};
use crate::public_suffix;
use crate::scheme::Scheme;

error_kinds! {
    /// Why an origin cannot be allowed. Each kind has a stable name (its `Debug` form), which
    /// `spec-table.md` uses.
    pub enum OriginErrorKind {
        /// The empty string.
        Empty => "the origin is empty",
        /// Longer than [`MAX_ORIGIN_LEN`] bytes; not parsed at all.
        TooLong => "longer than 2048 bytes",
        /// `null`, the serialization of an opaque origin (sandboxed frames, `file:` pages).
        Opaque => "`null` is an opaque origin",
        /// Several origins in one value (a comma, or `://` more than once).
        MultipleOrigins => "several origins in one value",
        /// A control character anywhere.
        ControlChar => "control character",
        /// Whitespace anywhere: origins are not trimmed.
        Whitespace => "whitespace",
        /// A backslash.
        Backslash => "backslash",
        /// No `scheme://`.
        MissingScheme => "no `scheme://`",
        /// A scheme other than `http` or `https`; no rule can allow it.
        UnsupportedScheme => "scheme other than http or https",
        /// `user@` in front of the host.
        Userinfo => "user info",
        /// A path, even a lone `/`.
        Path => "path after the host",
        /// A `?` query.
        Query => "query",
        /// A `#` fragment.
        Fragment => "fragment",
        /// No host.
        EmptyHost => "empty host",
        /// A `%` escape in the host, which no browser sends.
        PercentInHost => "percent-escape in the host",
        /// The WHATWG host parser refuses the name (IDNA or a forbidden code point).
        InvalidDomain => "invalid domain name",
        /// The name ends in a number, so it is read as IPv4, but it is no valid address.
        InvalidIpv4 => "invalid IPv4 address",
        /// Not a valid IPv6 address.
        InvalidIpv6 => "invalid IPv6 address",
        /// An empty label (`a..x.com`, `.x.com`).
        EmptyLabel => "empty label",
        /// A character outside `a-z 0-9 - _` in a label (`*.x.com` sent as an origin).
        LabelChar => "character not allowed in a label",
        /// A label longer than 63 bytes.
        LabelTooLong => "label longer than 63 characters",
        /// A name longer than 253 bytes.
        NameTooLong => "name longer than 253 characters",
        /// A `:` with no port after it.
        EmptyPort => "empty port",
        /// A port that is not plain decimal digits without leading zeros.
        InvalidPort => "port is not plain decimal",
        /// Port `0` or over 65535.
        PortOutOfRange => "port out of range",
    }
}

impl std::error::Error for OriginErrorKind {}

/// The longest `Origin` value that is parsed, in bytes; a longer one is denied as
/// [`OriginErrorKind::TooLong`] before any parsing. The longest canonical origin is 267 bytes
/// (`https://`, a 253-byte name, `:65535`); the margin is for Unicode and uppercase spellings.
pub const MAX_ORIGIN_LEN: usize = 2048;

/// A parsed, normalized origin. Borrows the input when it was already canonical.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin<'a> {
    scheme: Scheme,
    host: Cow<'a, str>,
    host_kind: HostKind,
    port: u16,
    /// Where the host's labels begin, for the index (derived from `host`).
    dots: Dots,
}

impl<'a> Origin<'a> {
    /// Parses the value of an `Origin` header. Canonical ASCII input (what browsers send)
    /// is read without allocating.
    ///
    /// ```
    /// use origin_policy::{Origin, OriginErrorKind};
    ///
    /// let origin = Origin::parse("http://127.1:8080").unwrap();
    /// assert_eq!(origin.host(), "127.0.0.1");
    /// assert_eq!(origin.to_string(), "http://127.0.0.1:8080");
    /// assert_eq!(Origin::parse("https://x.com/"), Err(OriginErrorKind::Path));
    /// ```
    pub fn parse(input: &'a str) -> Result<Origin<'a>, OriginErrorKind> {
        if input.len() > MAX_ORIGIN_LEN {
            return Err(OriginErrorKind::TooLong);
        }
        match parse_canonical(input) {
            Some(origin) => Ok(origin),
            None => parse_as_browser(input),
        }
    }

    /// Parses the value of an `Origin` header through the general path only: the host is
    /// always read by the WHATWG host parser (the `url` crate), which [`Origin::parse`]
    /// calls only for input that is not already in canonical ASCII form.
    ///
    /// The result is the same as [`Origin::parse`]'s, for every input: the allocation-free
    /// path is an optimisation, and the test suite compares the two on every origin it
    /// generates. This function is that comparison's other side, and a way to get an owned
    /// origin without borrowing the input. It always allocates the host.
    ///
    /// ```
    /// use origin_policy::{Origin, OriginErrorKind};
    ///
    /// for input in ["https://www.berbix.com", "HTTP://127.1:8080", "https://x.com/"] {
    ///     assert_eq!(Origin::parse_whatwg(input), Origin::parse(input).map(Origin::into_owned));
    /// }
    /// assert_eq!(Origin::parse_whatwg("null"), Err(OriginErrorKind::Opaque));
    /// ```
    pub fn parse_whatwg(input: &str) -> Result<Origin<'static>, OriginErrorKind> {
        parse_as_browser(input)
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The canonical host: lowercase punycode without a trailing dot, dotted-decimal IPv4,
    /// or bracketed, compressed IPv6.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the host is a domain, IPv4 or IPv6.
    pub fn host_kind(&self) -> HostKind {
        self.host_kind
    }

    /// The effective port: the explicit one, or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the host is a loopback host (see [`Host::is_loopback`]).
    pub fn is_loopback(&self) -> bool {
        match self.host_kind {
            HostKind::Domain => host::is_loopback_name(&self.host),
            HostKind::Ipv4 | HostKind::Ipv6 => self.ip_host().is_some_and(|ip| ip.is_loopback()),
        }
    }

    /// Whether the host is a local address other than loopback, such as `0.0.0.0` or
    /// `[::]` (see [`Host::is_local_address`]).
    pub fn is_local_address(&self) -> bool {
        self.ip_host().is_some_and(|ip| ip.is_local_address())
    }

    /// The host as an address, when it is one.
    fn ip_host(&self) -> Option<Host> {
        match self.host_kind {
            HostKind::Domain => None,
            HostKind::Ipv4 => self.host.parse().ok().map(Host::Ipv4),
            HostKind::Ipv6 => self
                .host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .ok()
                .map(Host::Ipv6),
        }
    }

    /// The public suffix of a domain host, by the
    /// [Public Suffix List](https://publicsuffix.org/) (both sections, and its implicit `*`
    /// rule for unknown TLDs): `s3.amazonaws.com` for `bucket.s3.amazonaws.com`, `co.uk` for
    /// `news.bbc.co.uk`. `None` for an IP address.
    ///
    /// A wildcard rule never allows a host whose public suffix is longer than the rule's
    /// base ([`DenyReason::PublicSuffixBoundary`](crate::DenyReason::PublicSuffixBoundary)).
    ///
    /// ```
    /// use origin_policy::Origin;
    ///
    /// let origin = Origin::parse("https://bucket.s3.amazonaws.com").unwrap();
    /// assert_eq!(origin.public_suffix(), Some("s3.amazonaws.com"));
    /// assert_eq!(Origin::parse("https://1.2.3.4").unwrap().public_suffix(), None);
    /// ```
    pub fn public_suffix(&self) -> Option<&str> {
        match self.host_kind {
            HostKind::Domain => public_suffix::suffix_of(&self.host),
            HostKind::Ipv4 | HostKind::Ipv6 => None,
        }
    }

    /// Where the host's labels begin.
    pub(crate) fn dots(&self) -> &Dots {
        &self.dots
    }

    /// Detaches the origin from the input it borrows.
    pub fn into_owned(self) -> Origin<'static> {
        Origin {
            scheme: self.scheme,
            host: Cow::Owned(self.host.into_owned()),
            host_kind: self.host_kind,
            port: self.port,
            dots: self.dots,
        }
    }
}

impl fmt::Display for Origin<'_> {
    /// The ASCII serialization, as a browser sends it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if self.port != self.scheme.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// How the fast path classifies a byte of the authority.
const OTHER: u8 = 0;
const LABEL: u8 = 1;
const DOT: u8 = 2;

/// [`LABEL`] for `a-z 0-9 - _` ([`host::is_label_byte`]), [`DOT`], else [`OTHER`].
static BYTE_CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut byte = 0;
    while byte < 256 {
        if host::is_label_byte(byte as u8) {
            table[byte] = LABEL;
        }
        byte += 1;
    }
    table[b'.' as usize] = DOT;
    table
};

/// Eight bytes, one per lane, little-endian: lane `i` is byte `i`.
const LANES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each lane of `word` (whose lanes are all ASCII) that holds a lowercase
/// letter or a dot; the second mask is the dots alone. A lane plus `0x80 - c` reaches
/// 0x80 exactly when it is at least `c`, and no lane carries into the next, since an ASCII
/// lane plus at most 0x80 stays below 0x100. (A word with a non-ASCII byte may carry; the
/// caller tests for one and does not use the masks then.)
#[inline]
fn letters_and_dots(word: u64) -> (u64, u64) {
    let letters = word.wrapping_add(LANES * 0x1f) & !word.wrapping_add(LANES * 0x05) & HIGH;
    let dots = !(word ^ (LANES * u64::from(b'.'))).wrapping_add(LANES * 0x7f) & HIGH;
    (letters | dots, dots)
}

/// The high bit of each lane of `word` (all ASCII) that holds a digit or `-`.
#[inline]
fn digits_and_hyphens(word: u64) -> u64 {
    let digits = word.wrapping_add(LANES * 0x50) & !word.wrapping_add(LANES * 0x46) & HIGH;
    let hyphens = !(word ^ (LANES * u64::from(b'-'))).wrapping_add(LANES * 0x7f) & HIGH;
    digits | hyphens
}

/// The state of the host scan: where the current label began, whether a label starts with
/// `xn--`, and the dots so far.
struct HostScan {
    label_start: usize,
    needs_idna: bool,
    dots: Dots,
}

impl HostScan {
    /// Ends the label before the dot at `at` (an index into `bytes`, whose host starts at
    /// `host_start`): `false` when that label is empty or too long.
    #[inline]
    fn dot(&mut self, bytes: &[u8], host_start: usize, at: usize) -> bool {
        if !self.label_ends(bytes, at) {
            return false;
        }
        self.dots.push(at - host_start);
        self.label_start = at + 1;
        true
    }

    /// Checks the label that ends at `end`: 1 to 63 bytes; `xn--` is looked for only when
    /// it starts with `x`.
    #[inline]
    fn label_ends(&mut self, bytes: &[u8], end: usize) -> bool {
        let len = end - self.label_start;
        if len == 0 || len > host::MAX_LABEL_LEN {
            return false;
        }
        if bytes[self.label_start] == b'x' {
            self.needs_idna |= bytes[self.label_start..end].starts_with(b"xn--");
        }
        true
    }
}

/// The fast path: exactly the form browsers send, with a domain or dotted-decimal IPv4
/// host. `None` sends the input to [`parse_as_browser`], which also gives the reason when
/// the input is malformed.
///
/// One pass over the host, eight bytes at a time: a word whose bytes are all letters,
/// digits, `-` or dots (the common case) is accepted with a few arithmetic tests per word,
/// and its dots are taken from the same test (the last few bytes are read as the input's
/// last word); any other word goes through a byte-class table. Every byte is checked. No allocation, no second scan: the
/// dots are recorded for the index, the port is read digit by digit.
#[inline]
fn parse_canonical(input: &str) -> Option<Origin<'_>> {
    let (scheme, host_start) = if input.starts_with("https://") {
        (Scheme::Https, "https://".len())
    } else if input.starts_with("http://") {
        (Scheme::Http, "http://".len())
    } else {
        return None;
    };
    let bytes = input.as_bytes();
    let mut scan = HostScan {
        label_start: host_start,
        needs_idna: false,
        dots: Dots::default(),
    };
    let end = bytes.len();
    let mut at = host_start;
    let mut host_end = end;
    while at < end {
        // The next eight bytes; at the end, the last eight of the input, shifted so that
        // the unread ones come first and letters fill the lanes already read.
        let (word, width) = match bytes.get(at..at + 8) {
            Some(word) => (u64::from_le_bytes(word.try_into().ok()?), 8),
            None => {
                let last = u64::from_le_bytes(bytes.get(end.checked_sub(8)?..)?.try_into().ok()?);
                let width = end - at;
                let read = 8 * (8 - width);
                (
                    (last >> read) | (LANES * u64::from(b'a')) << (8 * width),
                    width,
                )
            }
        };
        let ascii = word & HIGH == 0;
        let (mut good, dots) = letters_and_dots(word);
        if good != HIGH {
            good |= digits_and_hyphens(word);
        }
        if ascii && good == HIGH {
            let mut dots = dots;
            while dots != 0 {
                let lane = (dots.trailing_zeros() / 8) as usize;
                if !scan.dot(bytes, host_start, at + lane) {
                    return None;
                }
                dots &= dots - 1;
            }
            at += width;
            continue;
        }
        // A word with a byte outside the common set: the colon that ends the host, an
        // underscore, or a byte that sends the input to the browser path.
        let stop = (at..at + width).find(|&byte_at| bytes[byte_at] == b':');
        for byte_at in at..stop.unwrap_or(at + width) {
            match BYTE_CLASS[usize::from(bytes[byte_at])] {
                LABEL => {}
                DOT if scan.dot(bytes, host_start, byte_at) => {}
                _ => return None,
            }
        }
        if let Some(colon) = stop {
            host_end = colon;
            break;
        }
        at += width;
    }
    if !scan.label_ends(bytes, host_end) {
        return None;
    }
    let host = input.get(host_start..host_end)?;
    if host.len() > host::MAX_NAME_LEN {
        return None;
    }
    let host_kind = if bytes[scan.label_start].is_ascii_digit() {
        // A browser reads a name ending in a number as IPv4; only plain dotted decimal is
        // handled here.
        if !is_dotted_decimal(host) {
            return None;
        }
        HostKind::Ipv4
    } else {
        HostKind::Domain
    };
    if scan.needs_idna {
        // Punycode labels must decode; idna hands back the input itself when they do.
        match idna::domain_to_ascii_cow(host.as_bytes(), idna::AsciiDenyList::URL) {
            Ok(Cow::Borrowed(mapped)) if mapped == host => {}
            _ => return None,
        }
    }
    let port = match bytes.get(host_end + 1..) {
        None => scheme.default_port(),
        Some(digits) => parse_canonical_port(digits)?,
    };
    Some(Origin {
        scheme,
        host: Cow::Borrowed(host),
        host_kind,
        port,
        dots: scan.dots,
    })
}

/// Four decimal numbers 0–255 without leading zeros: the only IPv4 text that is its own
/// serialization.
fn is_dotted_decimal(host: &str) -> bool {
    let mut parts = 0;
    for part in host.split('.') {
        parts += 1;
        let valid = !part.is_empty()
            && part.len() <= 3
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'))
            && part.parse::<u16>().is_ok_and(|n| n <= 255);
        if !valid {
            return false;
        }
    }
    parts == 4
}

/// Decimal 1–65535 without leading zeros.
fn parse_canonical_port(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || digits[0] == b'0' {
        return None;
    }
    let mut port: u32 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        port = port * 10 + u32::from(digit - b'0');
    }
    u16::try_from(port).ok()
}

/// The general path: any input, read the way a browser's URL parser reads a host, with a
/// precise reason for anything that is not a single `http` or `https` origin.
pub(crate) fn parse_as_browser(input: &str) -> Result<Origin<'static>, OriginErrorKind> {
    use OriginErrorKind as Kind;

    if input.is_empty() {
        return Err(Kind::Empty);
    }
    if input.len() > MAX_ORIGIN_LEN {
        return Err(Kind::TooLong);
    }
    if input == "null" {
        return Err(Kind::Opaque);
    }
    if input.contains(',') || input.matches("://").nth(1).is_some() {
        return Err(Kind::MultipleOrigins);
    }
    for ch in input.chars() {
        if ch.is_control() {
            return Err(Kind::ControlChar);
        }
        if ch.is_whitespace() {
            return Err(Kind::Whitespace);
        }
        if ch == '\\' {
            return Err(Kind::Backslash);
        }
    }
    let Some(separator) = input.find("://") else {
        return Err(Kind::MissingScheme);
    };
    let scheme_text = &input[..separator];
    let scheme = match Scheme::from_ascii_case_insensitive(scheme_text) {
        Some(scheme) => scheme,
        None if is_scheme_syntax(scheme_text) => return Err(Kind::UnsupportedScheme),
        None => return Err(Kind::MissingScheme),
    };
    let rest = &input[separator + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.contains('@') {
        return Err(Kind::Userinfo);
    }
    match rest.as_bytes().get(authority_end) {
        None => {}
        Some(b'/') => return Err(Kind::Path),
        Some(b'?') => return Err(Kind::Query),
        Some(_) => return Err(Kind::Fragment),
    }
    let (host_text, port_text) =
        host::split_host_port(authority).ok_or(OriginErrorKind::InvalidIpv6)?;
    let port = match port_text {
        None => scheme.default_port(),
        Some("") => return Err(Kind::EmptyPort),
        Some(digits) if !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') => {
            // `0` alone is out of range rather than a leading zero.
            return Err(if digits == "0" {
                Kind::PortOutOfRange
            } else {
                Kind::InvalidPort
            });
        }
        Some(digits) => digits.parse().map_err(|_| Kind::PortOutOfRange)?,
    };
    if host_text.is_empty() {
        return Err(Kind::EmptyHost);
    }
    if host_text.contains('%') {
        return Err(Kind::PercentInHost);
    }
    let (host, host_kind) = match host::parse_as_browser(host_text) {
        Err(BrowserHostError::Ipv4) => return Err(Kind::InvalidIpv4),
        Err(BrowserHostError::Ipv6) => return Err(Kind::InvalidIpv6),
        Err(BrowserHostError::Domain) => return Err(Kind::InvalidDomain),
        Ok(BrowserHost::Ipv4(addr)) => (Host::Ipv4(addr).to_string(), HostKind::Ipv4),
        Ok(BrowserHost::Ipv6(addr)) => (Host::Ipv6(addr).to_string(), HostKind::Ipv6),
        Ok(BrowserHost::Domain(name)) => {
            host::check_name(&name).map_err(|(problem, _)| name_problem_kind(problem))?;
            (name, HostKind::Domain)
        }
    };
    Ok(Origin {
        scheme,
        dots: Dots::of(&host),
        host: Cow::Owned(host),
        host_kind,
        port,
    })
}

/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`
/// ([RFC 3986 §3.1](https://www.rfc-editor.org/rfc/rfc3986#section-3.1)).
fn is_scheme_syntax(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

fn name_problem_kind(problem: NameProblem) -> OriginErrorKind {
    match problem {
        NameProblem::EmptyLabel => OriginErrorKind::EmptyLabel,
        NameProblem::LabelChar => OriginErrorKind::LabelChar,
        NameProblem::LabelTooLong => OriginErrorKind::LabelTooLong,
        NameProblem::NameTooLong => OriginErrorKind::NameTooLong,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_input_is_borrowed() {
        for input in [
            "https://www.berbix.com",
            "http://localhost:3000",
            "http://127.0.0.1:8080",
            "https://xn--bcher-kva.example",
            "https://a_b.example.com:65535",
        ] {
            let origin = parse_canonical(input).unwrap_or_else(|| panic!("{input}"));
            assert!(matches!(origin.host, Cow::Borrowed(_)), "{input}");
            assert_eq!(origin.to_string(), input);
            assert_eq!(Ok(origin), parse_as_browser(input));
        }
    }

    #[test]
    fn other_input_takes_the_browser_path() {
        for (input, host, port) in [
            ("HTTPS://WWW.Berbix.COM", "www.berbix.com", 443),
            ("https://www.berbix.com.", "www.berbix.com", 443),
            ("http://127.1", "127.0.0.1", 80),
            ("http://0x7f.0.0.1", "127.0.0.1", 80),
            ("http://2130706433", "127.0.0.1", 80),
            ("http://[0:0::1]:8080", "[::1]", 8080),
            ("https://bücher.example", "xn--bcher-kva.example", 443),
        ] {
            assert!(parse_canonical(input).is_none(), "{input}");
            let origin = Origin::parse(input).unwrap();
            assert_eq!((origin.host(), origin.port()), (host, port), "{input}");
        }
    }

    #[test]
    fn malformed_origins_say_why() {
        use OriginErrorKind as Kind;
        for (input, kind) in [
            ("", Kind::Empty),
            ("null", Kind::Opaque),
            ("https://a.com https://b.com", Kind::MultipleOrigins),
            ("https://a.com,https://b.com", Kind::MultipleOrigins),
            (" https://x.com", Kind::Whitespace),
            ("https://x.com\n", Kind::ControlChar),
            ("https://x.com\\", Kind::Backslash),
            ("x.com", Kind::MissingScheme),
            ("ftp://x.com", Kind::UnsupportedScheme),
            ("https://u@x.com", Kind::Userinfo),
            ("https://x.com/", Kind::Path),
            ("https://x.com?", Kind::Query),
            ("https://x.com#", Kind::Fragment),
            ("https://", Kind::EmptyHost),
            ("https://:443", Kind::EmptyHost),
            ("https://x%2ecom", Kind::PercentInHost),
            ("https://*.x.com", Kind::LabelChar),
            ("https://a..x.com", Kind::EmptyLabel),
            ("https://.x.com", Kind::EmptyLabel),
            ("http://1.2.3.4.5", Kind::InvalidIpv4),
            ("http://[::1", Kind::InvalidIpv6),
            ("https://x.com:", Kind::EmptyPort),
            ("https://x.com:0", Kind::PortOutOfRange),
            ("https://x.com:65536", Kind::PortOutOfRange),
            ("https://x.com:08", Kind::InvalidPort),
            ("https://x.com:8a", Kind::InvalidPort),
        ] {
            assert_eq!(Origin::parse(input), Err(kind), "{input:?}");
        }
    }
}
