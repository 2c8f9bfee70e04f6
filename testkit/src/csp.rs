//! A naive `frame-ancestors` matcher: whether the `Content-Security-Policy` header values
//! of a framed response admit an ancestor origin. The tests hold the crate's derived
//! directives against it.
//!
//! It reads the header the way CSP3 does (policies split on `,`, directives on `;`, the
//! first `frame-ancestors` of a policy counts, sources that do not parse are ignored, a
//! policy without the directive admits every ancestor, and every policy must admit), and
//! matches a host-source by the *wider* of two readings wherever they differ, so that a
//! directive it finds narrow enough is narrow enough for both:
//!
//! - CSP3 (<https://www.w3.org/TR/CSP3/#match-url-to-source-expression>): `http`
//!   matches `https` on any port the port-part matches; host-sources match domains only;
//! - Chromium (`network::CheckCSPSource`): a host-source also matches an equal IP address,
//!   and `http://h:80` also matches `https://h:443`.

use origin_policy::{Mode, Origin, Policy, Scheme};

/// A host-source: `scheme://host[:port]`, parsed strictly; no path (the crate writes
/// none).
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostSource {
    scheme: String,
    /// Lowercase; `*.rest` keeps its `*.`.
    host: String,
    port: Port,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Port {
    Default,
    Any,
    Number(u32),
}

fn parse_source(text: &str) -> Option<HostSource> {
    let (scheme, rest) = text.split_once("://")?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return None;
    }
    let (host, port) = match rest.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let labels = host.strip_prefix("*.").unwrap_or(host);
    let host_ok = host == "*"
        || (!labels.is_empty()
            && labels.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }));
    if !host_ok {
        return None;
    }
    let port = match port {
        None => Port::Default,
        Some("*") => Port::Any,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Port::Number(digits.parse().unwrap_or(u32::MAX))
        }
        Some(_) => return None,
    };
    Some(HostSource {
        scheme: scheme.to_ascii_lowercase(),
        host: host.to_ascii_lowercase(),
        port,
    })
}

fn source_matches(source: &HostSource, origin: &Origin<'_>) -> bool {
    let scheme = origin.scheme().as_str();
    let upgrade = source.scheme == "http" && origin.scheme() == Scheme::Https;
    if source.scheme != scheme && !upgrade {
        return false;
    }
    let host = origin.host();
    let host_ok = match source.host.strip_prefix('*') {
        Some("") => true,
        Some(dot_rest) => host.ends_with(dot_rest),
        None => source.host == host,
    };
    let port = u32::from(origin.port());
    let port_ok = match source.port {
        Port::Any => true,
        Port::Default => port == u32::from(origin.scheme().default_port()),
        Port::Number(number) => number == port || (upgrade && number == 80 && port == 443),
    };
    host_ok && port_ok
}

/// Whether one serialized policy admits `origin` as an ancestor.
fn policy_admits(policy: &str, origin: &Origin<'_>) -> bool {
    let directive = policy.split(';').find_map(|directive| {
        let directive = directive.trim_matches(|c: char| c.is_ascii_whitespace());
        let mut words = directive.split_ascii_whitespace();
        let name = words.next()?;
        name.eq_ignore_ascii_case("frame-ancestors")
            .then_some(words)
    });
    let Some(sources) = directive else {
        return true;
    };
    sources
        .filter_map(parse_source)
        .any(|source| source_matches(&source, origin))
}

/// Whether the `Content-Security-Policy` header values `headers` admit `origin` (an
/// ancestor's origin, as a browser serializes it) as an ancestor of the framed page. An
/// origin that does not parse is never admitted.
///
/// ```
/// use origin_policy_testkit::csp::admits;
///
/// let header = ["frame-ancestors https://*.x.com http://localhost:3000"];
/// assert!(admits(&header, "https://a.b.x.com"));
/// assert!(!admits(&header, "https://x.com"));
/// assert!(admits(&header, "https://localhost:3000"));
/// assert!(!admits(&["frame-ancestors 'none'"], "https://x.com"));
/// assert!(admits(&["default-src 'self'"], "https://x.com"));
/// assert!(!admits(&["default-src 'self'", "frame-ancestors https://y.com"], "https://x.com"));
/// ```
pub fn admits(headers: &[&str], origin: &str) -> bool {
    let Ok(origin) = Origin::parse(origin) else {
        return false;
    };
    headers
        .iter()
        .flat_map(|value| value.split(','))
        .all(|policy| policy_admits(policy, &origin))
}

/// The `http` upgrade that CSP makes and [`origin_policy::FrameAncestors`] documents:
/// `https` on the same host and port as an origin that the policy allows over `http` in
/// `mode`, or on 443 when it allows port 80.
pub fn is_http_upgrade(policy: &Policy, mode: Mode, origin: &Origin<'_>) -> bool {
    if origin.scheme() != Scheme::Https {
        return false;
    }
    let http = |port: u16| {
        let text = crate::text::origin(Scheme::Http, origin.host(), port);
        policy.is_allowed(mode, &text)
    };
    http(origin.port()) || (origin.port() == 443 && http(80))
}

/// Holds `header` (a `frame-ancestors` directive for `mode` of `policy`) against the
/// policy over `origins`, and returns what is wrong:
///
/// - an origin the header admits must be allowed by the policy in `mode`, or be its
///   [`is_http_upgrade`];
/// - an origin that a rule the directive does not leave out allows
///   ([`Policy::rule_allows`]), or that the implicit test loopback allowance allows on a
///   host the directive writes (`localhost`, names under it, `127.0.0.1`), must be
///   admitted, unless the list failed closed ([`FrameAncestors::closed_reason`]), which
///   admits nothing.
///
/// [`FrameAncestors::closed_reason`]: origin_policy::FrameAncestors::closed_reason
pub fn problems(policy: &Policy, mode: Mode, header: &str, origins: &[String]) -> Vec<String> {
    let list = policy.frame_ancestors(mode);
    let closed = list.closed_reason().is_some();
    let left_out: std::collections::BTreeSet<usize> = list
        .left_out()
        .iter()
        .filter_map(|left_out| left_out.rule().map(|name| name.index))
        .collect();
    let mut problems = Vec::new();
    for text in origins {
        let Ok(origin) = Origin::parse(text) else {
            continue;
        };
        let admitted = admits(&[header], text);
        if admitted && !policy.is_allowed(mode, text) && !is_http_upgrade(policy, mode, &origin) {
            problems.push(format!(
                "{header:?} admits {text:?} as an ancestor, which {mode} mode denies"
            ));
        }
        let by_written_rule = policy
            .rules(mode)
            .iter()
            .filter(|rule| !left_out.contains(&rule.index()))
            .any(|rule| policy.rule_allows(rule, &origin).is_ok());
        let host = origin.host();
        // The implicit test loopback allowance, as `Policy` documents it.
        let by_loopback_allowance =
            mode == Mode::Test && policy.options().implicit_test_loopback && origin.is_loopback();
        let by_written_loopback = by_loopback_allowance
            && (host == "localhost" || host.ends_with(".localhost") || host == "127.0.0.1");
        if closed && admitted {
            problems.push(format!(
                "{header:?} failed closed but admits {text:?} as an ancestor"
            ));
        }
        if !closed && (by_written_rule || by_written_loopback) && !admitted {
            problems.push(format!(
                "{mode} mode allows {text:?} by what {header:?} writes out, but it does not admit it"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_upgrades_follow_the_wider_reading() {
        let yes =
            |source: &str, origin: &str| admits(&[&format!("frame-ancestors {source}")], origin);
        assert!(yes("https://x.com", "https://x.com"));
        assert!(!yes("https://x.com", "https://x.com:8443"));
        assert!(yes("https://x.com:443", "https://x.com"));
        assert!(yes("https://x.com:*", "https://x.com:1"));
        assert!(yes("http://x.com", "https://x.com"));
        assert!(!yes("http://x.com", "https://x.com:80"));
        assert!(yes("http://x.com:80", "https://x.com"));
        assert!(!yes("https://x.com:80", "https://x.com"));
        assert!(yes("http://x.com:3000", "https://x.com:3000"));
        assert!(!yes("https://x.com", "http://x.com"));
        assert!(yes("http://127.0.0.1:*", "http://127.0.0.1:5"));
        assert!(!yes("https://*.x.com", "https://x.com"));
        assert!(!yes("https://*.x.com", "https://ax.com"));
        assert!(!yes("https://my_app.x.com", "https://my_app.x.com"));
        assert!(!yes("https://[::1]", "https://[::1]"));
        assert!(!yes("'none'", "https://x.com"));
    }
}
