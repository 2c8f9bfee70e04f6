//! The general path of [`Origin::parse`]: any input, read the way a browser's URL parser
//! reads an origin, with a precise reason for anything that is not a single `http` or
//! `https` origin.

use std::borrow::Cow;

use super::{Origin, OriginErrorKind, MAX_ORIGIN_LEN};
use crate::host::{self, BrowserHost, BrowserHostError, Host, HostKind, NameProblem};
use crate::origin::dots::Dots;
use crate::port::{self, PortError};
use crate::scheme::Scheme;

/// The general path: any input, read the way a browser's URL parser reads a host, with a
/// precise reason for anything that is not a single `http` or `https` origin.
#[cold]
#[inline(never)]
pub(super) fn parse_as_browser(input: &str) -> Result<Origin<'static>, OriginErrorKind> {
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
        // A browser serializes no port with a leading zero: such an origin is invalid.
        Some(digits) => port::parse(digits.as_bytes()).map_err(|error| match error {
            PortError::Empty => Kind::EmptyPort,
            PortError::NotDigits | PortError::LeadingZero => Kind::InvalidPort,
            PortError::OutOfRange => Kind::PortOutOfRange,
        })?,
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
