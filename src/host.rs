//! Hosts, and the checks that rules and origins share: what a domain name may be, and how
//! a browser reads a host.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// The longest domain name, in bytes, without a trailing dot
/// ([RFC 1035 §2.3.4](https://www.rfc-editor.org/rfc/rfc1035#section-2.3.4)).
pub const MAX_NAME_LEN: usize = 253;
/// The longest label, in bytes.
pub const MAX_LABEL_LEN: usize = 63;

/// A host as this crate stores and compares it: always in canonical form.
///
/// A domain is lowercase ASCII (punycode for Unicode names) without a trailing dot; an IP
/// address is the parsed address, shown the way a browser serializes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    /// A domain name such as `www.berbix.com` or `xn--bcher-kva.example`.
    Domain(String),
    /// A dotted-decimal IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address, written in brackets in URLs.
    Ipv6(Ipv6Addr),
}

/// Which of the three forms a host has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostKind {
    /// A domain name.
    Domain,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
}

impl Host {
    /// Whether the host is an address other than loopback that still reaches the local
    /// machine, which the source document's live mode must not name: `0.0.0.0/8` ("this
    /// host on this network",
    /// [RFC 1122 §3.2.1.3](https://www.rfc-editor.org/rfc/rfc1122#section-3.2.1.3); on
    /// Linux a connection to `0.0.0.0` reaches local listeners), the unspecified `[::]`, and
    /// the IPv4-mapped (`[::ffff:0.0.0.0]`) or IPv4-compatible (`[::7f00:1]`,
    /// `[::a.b.c.d]`) form of a loopback or `0.0.0.0/8` address, in any text form.
    /// Loopback hosts themselves ([`is_loopback`](Self::is_loopback)) are not counted here.
    pub fn is_local_address(&self) -> bool {
        let this_host = |v4: Ipv4Addr| v4.octets()[0] == 0;
        !self.is_loopback()
            && match self {
                Host::Domain(_) => false,
                Host::Ipv4(addr) => this_host(*addr),
                Host::Ipv6(addr) => {
                    addr.is_unspecified()
                        || embedded_ipv4(*addr).is_some_and(|v4| this_host(v4) || v4.is_loopback())
                }
            }
    }

    /// Which form this host has.
    pub fn kind(&self) -> HostKind {
        match self {
            Host::Domain(_) => HostKind::Domain,
            Host::Ipv4(_) => HostKind::Ipv4,
            Host::Ipv6(_) => HostKind::Ipv6,
        }
    }

    /// Whether the host is one that the source document reserves for test mode:
    /// `localhost`, any name under `.localhost`
    /// ([RFC 6761 §6.3](https://www.rfc-editor.org/rfc/rfc6761#section-6.3)),
    /// `127.0.0.0/8`, or `[::1]` (also written as the IPv4-mapped `[::ffff:127.x.y.z]`).
    pub fn is_loopback(&self) -> bool {
        match self {
            Host::Domain(name) => is_loopback_name(name),
            Host::Ipv4(addr) => addr.is_loopback(),
            Host::Ipv6(addr) => {
                addr.is_loopback() || addr.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        }
    }
}

/// The IPv4 address an IPv6 address carries in its low 32 bits, when it is IPv4-mapped
/// (`::ffff:a.b.c.d`) or IPv4-compatible (`::a.b.c.d`, deprecated by RFC 4291 §2.5.5.1 but
/// still parsed).
fn embedded_ipv4(addr: Ipv6Addr) -> Option<Ipv4Addr> {
    let octets = addr.octets();
    let compatible = octets[..12].iter().all(|&b| b == 0);
    let v4 = || Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
    addr.to_ipv4_mapped().or_else(|| compatible.then(v4))
}

/// `localhost` or a name under it. Expects a canonical (lowercase, no trailing dot) name.
pub(crate) fn is_loopback_name(name: &str) -> bool {
    name == "localhost" || name.ends_with(".localhost")
}

impl fmt::Display for Host {
    /// The canonical text: the key rules and origins are compared by.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(name) => f.write_str(name),
            Host::Ipv4(addr) => write!(f, "{addr}"),
            // url's serializer, so that IPv4-mapped addresses print as browsers print them.
            Host::Ipv6(addr) => write!(f, "{}", url::Host::<&str>::Ipv6(*addr)),
        }
    }
}

/// What can be wrong with a name that has already been mapped to ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameProblem {
    EmptyLabel,
    LabelTooLong,
    LabelChar,
    NameTooLong,
}

/// The bytes a label may hold once lowercased: `a-z 0-9 - _`.
pub(crate) const fn is_label_byte(byte: u8) -> bool {
    matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_')
}

/// Checks a lowercase ASCII name (no trailing dot) against the label rules, and says where
/// the first problem is, as a byte range of `name`.
pub(crate) fn check_name(name: &str) -> Result<(), (NameProblem, Range<usize>)> {
    let mut start = 0;
    for label in name.split('.') {
        let end = start + label.len();
        if label.is_empty() {
            return Err((NameProblem::EmptyLabel, start..(start + 1).min(name.len())));
        }
        if let Some(at) = label.bytes().position(|b| !is_label_byte(b)) {
            let char_len = label[at..].chars().next().map_or(1, char::len_utf8);
            return Err((NameProblem::LabelChar, start + at..start + at + char_len));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err((NameProblem::LabelTooLong, start..end));
        }
        start = end + 1;
    }
    if name.len() > MAX_NAME_LEN {
        return Err((NameProblem::NameTooLong, 0..name.len()));
    }
    Ok(())
}

/// Splits an origin's authority, `host[:port]`, where the host may be a bracketed IPv6
/// address: the port starts at the first `:` after the host. `None` when a `[` is not
/// closed, or something other than `:port` follows the `]`. Origins, rules' canonical
/// texts and the CLI's account of what was written all split this way. (An entry is split
/// by the pattern parser, where a wildcard may stand before the bracket: `*.[::1]`.)
///
/// ```
/// use origin_policy::host::split_host_port;
///
/// assert_eq!(split_host_port("x.com:8443"), Some(("x.com", Some("8443"))));
/// assert_eq!(split_host_port("[::1]:3000"), Some(("[::1]", Some("3000"))));
/// assert_eq!(split_host_port("[::1]"), Some(("[::1]", None)));
/// assert_eq!(split_host_port("[::1"), None);
/// assert_eq!(split_host_port("[::1]x"), None);
/// ```
pub fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (host, after) = authority.split_at(close + 1);
        return match after {
            "" => Some((host, None)),
            _ => after.strip_prefix(':').map(|port| (host, Some(port))),
        };
    }
    Some(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

/// Drops one trailing dot, as both rules and origins do (`x.com.` is `x.com`).
pub(crate) fn strip_trailing_dot(name: &str) -> &str {
    name.strip_suffix('.').unwrap_or(name)
}

/// How the WHATWG host parser read a host, before this crate's own name rules.
pub(crate) enum BrowserHost {
    /// A name, already lowercase ASCII with one trailing dot dropped, not yet checked
    /// against the label rules.
    Domain(String),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

/// Why the WHATWG host parser refused a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BrowserHostError {
    /// The name ends in a number, so a browser reads it as IPv4, but it is no valid address.
    Ipv4,
    /// A bracketed host that is not a valid IPv6 address.
    Ipv6,
    /// IDNA mapping failed, or a forbidden code point.
    Domain,
}

/// Whether the WHATWG host parser would give `text` back unchanged as a domain, so that
/// it need not run (it is most of the cost of building a policy): non-empty labels of
/// `a-z 0-9 -` only, none of them punycode (`xn--`, which IDNA decodes and checks), and a
/// last label that starts with a letter, so that the name cannot end in a number (which
/// the parser reads as IPv4). For such text, case folding and IDNA mapping change nothing.
fn is_plain_ascii_name(text: &str) -> bool {
    let plain_label = |label: &str| {
        !label.is_empty()
            && !label.starts_with("xn--")
            && label
                .bytes()
                .all(|byte| matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'-'))
    };
    let last_starts_with_letter = text
        .rsplit('.')
        .next()
        .and_then(|last| last.bytes().next())
        .is_some_and(|byte| byte.is_ascii_lowercase());
    last_starts_with_letter && text.split('.').all(plain_label)
}

/// Reads a host as a browser would
/// ([WHATWG URL, host parsing](https://url.spec.whatwg.org/#host-parsing)): case folding,
/// IDNA to punycode, the IPv4 number forms, IPv6 compression. The caller has ruled out
/// `%` already: neither rules nor origins may percent-encode a host.
pub(crate) fn parse_as_browser(text: &str) -> Result<BrowserHost, BrowserHostError> {
    if is_plain_ascii_name(text) {
        return Ok(BrowserHost::Domain(text.to_owned()));
    }
    match url::Host::parse(text) {
        Ok(url::Host::Domain(name)) => {
            let name = match name.strip_suffix('.') {
                Some(stripped) => stripped.to_owned(),
                None => name,
            };
            Ok(BrowserHost::Domain(name))
        }
        Ok(url::Host::Ipv4(addr)) => Ok(BrowserHost::Ipv4(addr)),
        Ok(url::Host::Ipv6(addr)) => Ok(BrowserHost::Ipv6(addr)),
        Err(url::ParseError::InvalidIpv4Address) => Err(BrowserHostError::Ipv4),
        Err(url::ParseError::InvalidIpv6Address) => Err(BrowserHostError::Ipv6),
        Err(_) => Err(BrowserHostError::Domain),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_skip_the_host_parser_and_read_the_same() {
        for text in [
            "www.berbix.com",
            "a-b.x1.com",
            "-a.b-.com",
            "ab--cd.com",
            "localhost",
            "1.2.3.com",
            "a.b.c4",
        ] {
            assert!(is_plain_ascii_name(text), "{text}");
            assert_eq!(
                url::Host::parse(text),
                Ok(url::Host::Domain(text.to_owned()))
            );
        }
        for text in [
            "",
            ".",
            "a..b",
            "a.",
            ".a",
            "WWW.x.com",
            "xn--bcher-kva.example",
            "a.xn--p1ai",
            "1.2.3.4",
            "a.0x1f",
            "a.123",
            "a_b.com",
            "bücher.example",
        ] {
            assert!(!is_plain_ascii_name(text), "{text}");
        }
    }

    #[test]
    fn name_rules_point_at_the_problem() {
        assert_eq!(check_name("www.berbix.com"), Ok(()));
        assert_eq!(check_name("a_b.x-y.com"), Ok(()));
        assert_eq!(check_name("a..com"), Err((NameProblem::EmptyLabel, 2..3)));
        assert_eq!(check_name(".com"), Err((NameProblem::EmptyLabel, 0..1)));
        assert_eq!(check_name("a.b!c.com"), Err((NameProblem::LabelChar, 3..4)));
        let long = "a".repeat(64);
        assert_eq!(
            check_name(&format!("x.{long}.com")),
            Err((NameProblem::LabelTooLong, 2..66))
        );
        let name = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61),
        ]
        .join(".");
        assert_eq!(name.len(), 253);
        assert_eq!(check_name(&name), Ok(()));
        let too_long = format!("{name}e");
        assert_eq!(
            check_name(&too_long),
            Err((NameProblem::NameTooLong, 0..254))
        );
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            Host::Domain("localhost".into()),
            Host::Domain("app.localhost".into()),
            Host::Ipv4(Ipv4Addr::new(127, 9, 8, 7)),
            Host::Ipv6(Ipv6Addr::LOCALHOST),
            Host::Ipv6(Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped()),
        ] {
            assert!(host.is_loopback(), "{host}");
        }
        for host in [
            Host::Domain("localhost.com".into()),
            Host::Domain("notlocalhost".into()),
            Host::Ipv4(Ipv4Addr::new(128, 0, 0, 1)),
            Host::Ipv6(Ipv6Addr::UNSPECIFIED),
        ] {
            assert!(!host.is_loopback(), "{host}");
        }
    }

    #[test]
    fn local_addresses_are_this_host_and_its_ipv6_forms() {
        let v6 = |text: &str| Host::Ipv6(text.parse().unwrap());
        for host in [
            Host::Ipv4(Ipv4Addr::UNSPECIFIED),
            Host::Ipv4(Ipv4Addr::new(0, 1, 2, 3)),
            Host::Ipv4(Ipv4Addr::new(0, 255, 255, 255)),
            v6("::"),
            v6("0:0:0:0:0:0:0:0"),
            v6("::ffff:0.0.0.0"),
            v6("::ffff:0.9.9.9"),
            v6("::7f00:1"),
            v6("::127.1.2.3"),
            v6("::0.0.0.2"),
        ] {
            assert!(host.is_local_address(), "{host}");
        }
        for host in [
            Host::Ipv4(Ipv4Addr::new(127, 0, 0, 1)),
            Host::Ipv4(Ipv4Addr::new(1, 0, 0, 0)),
            Host::Ipv4(Ipv4Addr::new(10, 0, 0, 1)),
            Host::Domain("0.example".into()),
            v6("::1"),
            v6("::ffff:127.0.0.1"),
            v6("::ffff:1.2.3.4"),
            v6("::1.2.3.4"),
            v6("2001:db8::"),
            v6("1::"),
        ] {
            assert!(!host.is_local_address(), "{host}");
        }
    }

    #[test]
    fn ipv6_prints_as_browsers_do() {
        let mapped = Host::Ipv6(Ipv4Addr::new(1, 2, 3, 4).to_ipv6_mapped());
        assert_eq!(mapped.to_string(), "[::ffff:102:304]");
        assert_eq!(Host::Ipv6(Ipv6Addr::LOCALHOST).to_string(), "[::1]");
    }
}
