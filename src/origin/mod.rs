//! Origins as a check receives them: the value of an `Origin` header.
//!
//! Browsers send the [serialization of an origin](https://html.spec.whatwg.org/multipage/browsers.html#ascii-serialisation-of-an-origin):
//! `scheme://host[:port]`, lowercase, punycode, no default port. [`Origin::parse`] reads
//! exactly that form without allocating, and falls back to the WHATWG host parser (the
//! `url` crate) only for anything else, so that `http://127.1` or `https://BÜCHER.example`
//! mean what they mean to a browser.

mod browser;
pub(crate) mod dots;
mod fast;

use std::borrow::Cow;
use std::fmt;

use crate::host::{self, Host, HostKind};
use crate::public_suffix;
use crate::scheme::Scheme;
use dots::Dots;

use browser::parse_as_browser;
use fast::parse_canonical;

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
    #[inline]
    pub fn parse(input: &'a str) -> Result<Origin<'a>, OriginErrorKind> {
        if input.len() > MAX_ORIGIN_LEN {
            return Err(OriginErrorKind::TooLong);
        }
        match parse_canonical(input) {
            Some(origin) => Ok(origin),
            None => parse_as_browser(input),
        }
    }

    /// [`Origin::parse`], handing the result to `then` in place: what a check uses, since
    /// moving the parsed origin out costs more than a tenth of a check.
    #[inline]
    pub(crate) fn parse_then<R>(
        input: &str,
        then: impl FnOnce(Result<&Origin<'_>, OriginErrorKind>) -> R,
    ) -> R {
        if input.len() <= MAX_ORIGIN_LEN {
            if let Some(origin) = parse_canonical(input) {
                return then(Ok(&origin));
            }
        }
        match parse_as_browser(input) {
            Ok(origin) => then(Ok(&origin)),
            Err(kind) => then(Err(kind)),
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
            "https://a--b.example-shop.com",
            "https://abcdefg-.-hijklmn.example:8080",
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
