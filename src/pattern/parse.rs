//! The entry parser: `scheme://host[:port]` text to a [`Pattern`], with the span of each
//! part, or the kind and span of the first fault.

use std::ops::Range;

use super::{HostPattern, Located, Pattern, PortSpec, MAX_PATTERN_LEN};
use crate::error::{PatternError, PatternErrorKind};
use crate::host::{self, BrowserHost, BrowserHostError, Host, NameProblem};
use crate::port::{self, PortError};
use crate::scheme::Scheme;

/// The parser behind [`Pattern::parse`]. Positions are byte offsets into `text`.
pub(crate) fn parse_located(text: &str) -> Result<Located, PatternError> {
    let fail = |kind, span: Range<usize>| Err(PatternError::new(kind, text, span));
    if text.len() > MAX_PATTERN_LEN {
        return fail(PatternErrorKind::TooLong, MAX_PATTERN_LEN..text.len());
    }

    let start = text.len()
        - text
            .trim_start_matches(|c: char| c.is_ascii_whitespace())
            .len();
    let end = text
        .trim_end_matches(|c: char| c.is_ascii_whitespace())
        .len();
    if start >= end {
        return fail(PatternErrorKind::Empty, 0..text.len());
    }
    let body = &text[start..end];
    for (at, ch) in body.char_indices() {
        let span = start + at..start + at + ch.len_utf8();
        if ch.is_control() {
            return fail(PatternErrorKind::ControlChar, span);
        }
        if ch.is_whitespace() {
            return fail(PatternErrorKind::InnerWhitespace, span);
        }
        if ch == '\\' {
            return fail(PatternErrorKind::Backslash, span);
        }
    }

    // scheme "://"
    let Some(colon) = body.find(':') else {
        return fail(PatternErrorKind::MissingScheme, start..end);
    };
    let scheme_span = start..start + colon;
    let scheme = Scheme::from_ascii_case_insensitive(&body[..colon]);
    if !body[colon + 1..].starts_with("//") {
        return match scheme {
            Some(_) => fail(
                PatternErrorKind::MissingSlashes,
                start + colon..start + colon + 1,
            ),
            None => fail(PatternErrorKind::MissingScheme, start..end),
        };
    }
    let Some(scheme) = scheme else {
        return if colon == 0 {
            fail(PatternErrorKind::MissingScheme, start..start + 1)
        } else {
            fail(PatternErrorKind::UnsupportedScheme, scheme_span)
        };
    };

    // authority, then at most one "/"
    let authority_start = colon + 3;
    let authority_len = body[authority_start..]
        .find(['/', '?', '#'])
        .unwrap_or(body.len() - authority_start);
    let authority_end = authority_start + authority_len;
    let authority = &body[authority_start..authority_end];
    if let Some(at) = authority.rfind('@') {
        return fail(
            PatternErrorKind::Userinfo,
            start + authority_start..start + authority_start + at + 1,
        );
    }
    let rest = &body[authority_end..];
    if rest != "/" && !rest.is_empty() {
        let rest_span = start + authority_end..end;
        let after_slash = rest.strip_prefix('/').unwrap_or(rest);
        let kind = match after_slash.as_bytes()[0] {
            b'?' => PatternErrorKind::Query,
            b'#' => PatternErrorKind::Fragment,
            _ => PatternErrorKind::Path,
        };
        return fail(kind, rest_span);
    }

    // host [":" port]
    // The port starts at the first `:` after an IPv6 literal's `]`, if there is one.
    let host_len = match authority.rfind(']') {
        Some(close) => close + 1,
        None if authority.contains('[') => {
            let span = start + authority_start..start + authority_end;
            return fail(PatternErrorKind::InvalidIpv6, span);
        }
        None => authority.find(':').unwrap_or(authority.len()),
    };
    let port_text = match &authority[host_len..] {
        "" => None,
        after => match after.strip_prefix(':') {
            Some(port) => Some(port),
            None => {
                let at = start + authority_start + host_len;
                return fail(PatternErrorKind::InvalidIpv6, at..start + authority_end);
            }
        },
    };
    let host_start = start + authority_start;
    let host_span = host_start..host_start + host_len;
    let port_span = port_text.map(|port_text| {
        let port_start = host_span.end + 1;
        port_start..port_start + port_text.len()
    });
    let port = match (port_text, &port_span) {
        (Some(port_text), Some(span)) => match parse_port(port_text) {
            Ok(port) => port,
            Err(kind) => return fail(kind, span.clone()),
        },
        _ => PortSpec::Exact(scheme.default_port()),
    };
    let host = parse_host(&text[host_span.clone()]).map_err(|(kind, span)| {
        let span = span.map_or(host_span.clone(), |span| {
            host_start + span.start..host_start + span.end
        });
        PatternError::new(kind, text, span)
    })?;

    Ok(Located {
        pattern: Pattern { scheme, host, port },
        scheme: scheme_span,
        host: host_span,
        port: port_span,
    })
}

/// A port: `*`, or the port grammar ([`port::parse`]).
fn parse_port(text: &str) -> Result<PortSpec, PatternErrorKind> {
    if text == "*" {
        return Ok(PortSpec::Any);
    }
    port::parse(text.as_bytes())
        .map(PortSpec::Exact)
        .map_err(|error| match error {
            PortError::Empty => PatternErrorKind::EmptyPort,
            PortError::NotDigits => PatternErrorKind::InvalidPort,
            PortError::LeadingZero => PatternErrorKind::PortLeadingZero,
            PortError::OutOfRange => PatternErrorKind::PortOutOfRange,
        })
}

/// A problem in the host, with its span inside the host text when it can be pinned down
/// (`None` means the whole host).
type HostProblem = (PatternErrorKind, Option<Range<usize>>);

fn parse_host(text: &str) -> Result<HostPattern, HostProblem> {
    if text.is_empty() {
        return Err((PatternErrorKind::EmptyHost, None));
    }
    if let Some(at) = text.find('%') {
        return Err((PatternErrorKind::PercentInHost, Some(at..at + 1)));
    }
    if text == "*" || text == "*." {
        return Err((PatternErrorKind::BareWildcard, None));
    }
    if let Some(base) = text.strip_prefix("*.") {
        if let Some(at) = base.find('*') {
            return Err((PatternErrorKind::MisplacedWildcard, Some(at + 2..at + 3)));
        }
        let shift = |span: Range<usize>| span.start + 2..span.end + 2;
        return match parse_exact_host(base) {
            Ok(Host::Domain(name)) => Ok(HostPattern::Subdomains(name)),
            Ok(Host::Ipv4(_) | Host::Ipv6(_)) | Err((PatternErrorKind::NonCanonicalIpv4, _)) => {
                Err((PatternErrorKind::WildcardOnIp, None))
            }
            Err((PatternErrorKind::InvalidIpv6, _)) if base.starts_with('[') => {
                Err((PatternErrorKind::WildcardOnIp, None))
            }
            Err((kind, span)) => Err((kind, span.map(shift))),
        };
    }
    if let Some(at) = text.find('*') {
        return parse_label_wildcard(text, at);
    }
    parse_exact_host(text).map(HostPattern::Exact)
}

/// `prefix*suffix.base`, where `at` is the first `*` of `text` and `text` does not start
/// with `*.`.
fn parse_label_wildcard(text: &str, at: usize) -> Result<HostPattern, HostProblem> {
    let misplaced = |at: usize| Err((PatternErrorKind::MisplacedWildcard, Some(at..at + 1)));
    let Some(dot) = text.find('.') else {
        return misplaced(at);
    };
    if at > dot {
        return misplaced(at);
    }
    if let Some(second) = text[at + 1..].find('*') {
        return misplaced(at + 1 + second);
    }
    let (prefix, suffix) = (&text[..at], &text[at + 1..dot]);
    for (start, part) in [(0, prefix), (at + 1, suffix)] {
        if let Some((i, ch)) = part
            .char_indices()
            .find(|&(_, ch)| !ch.is_ascii() || !host::is_label_byte(ch.to_ascii_lowercase() as u8))
        {
            let span = start + i..start + i + ch.len_utf8();
            return Err((PatternErrorKind::LabelChar, Some(span)));
        }
    }
    let base_text = &text[dot + 1..];
    if host::strip_trailing_dot(base_text).is_empty() {
        return misplaced(at);
    }
    let shift = |span: Range<usize>| span.start + dot + 1..span.end + dot + 1;
    let base = match parse_exact_host(base_text) {
        Ok(Host::Domain(name)) => name,
        Ok(Host::Ipv4(_) | Host::Ipv6(_)) | Err((PatternErrorKind::NonCanonicalIpv4, _)) => {
            return Err((PatternErrorKind::WildcardOnIp, None))
        }
        Err((PatternErrorKind::InvalidIpv6, _)) if base_text.starts_with('[') => {
            return Err((PatternErrorKind::WildcardOnIp, None))
        }
        Err((kind, span)) => return Err((kind, span.map(shift))),
    };
    // The shortest host the pattern matches: one character for the `*`.
    if prefix.len() + 1 + suffix.len() > host::MAX_LABEL_LEN {
        return Err((PatternErrorKind::LabelTooLong, Some(0..dot)));
    }
    if prefix.len() + 1 + suffix.len() + 1 + base.len() > host::MAX_NAME_LEN {
        return Err((PatternErrorKind::NameTooLong, None));
    }
    Ok(HostPattern::LabelWildcard {
        prefix: prefix.to_ascii_lowercase(),
        suffix: suffix.to_ascii_lowercase(),
        base,
    })
}

/// A host without wildcard: a domain, dotted-decimal IPv4, or bracketed IPv6.
fn parse_exact_host(text: &str) -> Result<Host, HostProblem> {
    match host::parse_as_browser(text) {
        Err(BrowserHostError::Ipv4) => Err((PatternErrorKind::NonCanonicalIpv4, None)),
        Err(BrowserHostError::Ipv6) => Err((PatternErrorKind::InvalidIpv6, None)),
        Err(BrowserHostError::Domain) => Err((PatternErrorKind::InvalidDomain, None)),
        Ok(BrowserHost::Ipv6(addr)) => Ok(Host::Ipv6(addr)),
        Ok(BrowserHost::Ipv4(addr)) => {
            // Only the dotted-decimal text of the address itself: no shorthand, hex, octal.
            if host::strip_trailing_dot(text) == addr.to_string() {
                Ok(Host::Ipv4(addr))
            } else {
                Err((PatternErrorKind::NonCanonicalIpv4, None))
            }
        }
        Ok(BrowserHost::Domain(name)) => match host::check_name(&name) {
            Ok(()) => Ok(Host::Domain(name)),
            Err((problem, span)) => {
                // The span is in the mapped name; it holds for the text only when mapping
                // changed nothing but ASCII case.
                let same_shape =
                    text.is_ascii() && host::strip_trailing_dot(text).len() == name.len();
                Err((name_problem_kind(problem), same_shape.then_some(span)))
            }
        },
    }
}

pub(crate) fn name_problem_kind(problem: NameProblem) -> PatternErrorKind {
    match problem {
        NameProblem::EmptyLabel => PatternErrorKind::EmptyLabel,
        NameProblem::LabelChar => PatternErrorKind::LabelChar,
        NameProblem::LabelTooLong => PatternErrorKind::LabelTooLong,
        NameProblem::NameTooLong => PatternErrorKind::NameTooLong,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Pattern;

    fn error(text: &str) -> (PatternErrorKind, &str) {
        let err = Pattern::parse(text).unwrap_err();
        let kind = err.kind();
        (kind, &text[err.span().range()])
    }

    #[test]
    fn canonical_forms() {
        for (text, canonical) in [
            ("https://www.berbix.com", "https://www.berbix.com"),
            ("HTTPS://WWW.Berbix.Com./", "https://www.berbix.com"),
            ("  https://x.com:443\t", "https://x.com"),
            ("http://x.com:80", "http://x.com"),
            ("http://x.com:443", "http://x.com:443"),
            ("https://x.com:*", "https://x.com:*"),
            ("https://*.x.com:8443", "https://*.x.com:8443"),
            ("https://bücher.example", "https://xn--bcher-kva.example"),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
            ("http://[0:0:0:0:0:0:0:1]:*", "http://[::1]:*"),
            ("https://a_b.example.com", "https://a_b.example.com"),
        ] {
            let pattern = Pattern::parse(text).unwrap();
            assert_eq!(pattern.to_string(), canonical, "{text:?}");
            assert_eq!(Pattern::parse(canonical).unwrap(), pattern);
        }
    }

    #[test]
    fn errors_point_at_the_fault() {
        assert_eq!(
            error("https://www.*.com"),
            (PatternErrorKind::MisplacedWildcard, "*")
        );
        assert_eq!(
            error("https://*.*.x.com"),
            (PatternErrorKind::MisplacedWildcard, "*")
        );
        assert_eq!(
            error("https://x.com/path"),
            (PatternErrorKind::Path, "/path")
        );
        assert_eq!(error("https://x.com/?q"), (PatternErrorKind::Query, "/?q"));
        assert_eq!(error("https://x.com#f"), (PatternErrorKind::Fragment, "#f"));
        assert_eq!(
            error("https://u:p@x.com"),
            (PatternErrorKind::Userinfo, "u:p@")
        );
        assert_eq!(
            error("ftp://x.com"),
            (PatternErrorKind::UnsupportedScheme, "ftp")
        );
        assert_eq!(error("https:x.com").0, PatternErrorKind::MissingSlashes);
        assert_eq!(error("x.com").0, PatternErrorKind::MissingScheme);
        assert_eq!(
            error("https://x.com:0443"),
            (PatternErrorKind::PortLeadingZero, "0443")
        );
        assert_eq!(
            error("https://x.com:65536"),
            (PatternErrorKind::PortOutOfRange, "65536")
        );
        assert_eq!(
            error("https://x.com:0"),
            (PatternErrorKind::PortOutOfRange, "0")
        );
        assert_eq!(error("https://x.com:"), (PatternErrorKind::EmptyPort, ""));
        assert_eq!(
            error("https://x.com:8o"),
            (PatternErrorKind::InvalidPort, "8o")
        );
        assert_eq!(error("https://a..com"), (PatternErrorKind::EmptyLabel, "."));
        assert_eq!(
            error("https://a.b!.com"),
            (PatternErrorKind::LabelChar, "!")
        );
        assert_eq!(
            error("https://x%41.com"),
            (PatternErrorKind::PercentInHost, "%")
        );
        assert_eq!(
            error("https://127.1"),
            (PatternErrorKind::NonCanonicalIpv4, "127.1")
        );
        assert_eq!(
            error("https://*.1.2.3.4"),
            (PatternErrorKind::WildcardOnIp, "*.1.2.3.4")
        );
        assert_eq!(
            error("https://*.[::1]"),
            (PatternErrorKind::WildcardOnIp, "*.[::1]")
        );
        assert_eq!(
            error("https://x .com"),
            (PatternErrorKind::InnerWhitespace, " ")
        );
        assert_eq!(
            error("https://x\\.com"),
            (PatternErrorKind::Backslash, "\\")
        );
        assert_eq!(error(" \t "), (PatternErrorKind::Empty, " \t "));
    }

    #[test]
    fn port_normalization_makes_equal_patterns() {
        assert_eq!(
            Pattern::parse("https://x.com").unwrap(),
            Pattern::parse("https://x.com:443").unwrap()
        );
        assert_ne!(
            Pattern::parse("https://x.com").unwrap(),
            Pattern::parse("https://x.com:*").unwrap()
        );
    }
}
