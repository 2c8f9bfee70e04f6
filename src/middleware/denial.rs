//! Why a request was denied and what each side is told: [`DenialReason`], the precise
//! reason the denial hook gets in a [`Denial`]; [`PublicReason`], what the 403 body says;
//! and the 403 response itself, built from fixed words only.

use std::fmt;

use http::header::{self, HeaderMap, HeaderValue};
use http::request::Parts;
use http::{Response, StatusCode};

use super::accept::accepts_json;
use super::missing_origin::MissingOrigin;
use super::single::{single, Single};
use crate::mode::Mode;
use crate::policy::DenyReason;

/// The longest tenant or origin text handed to the denial hook, in bytes; longer input is
/// cut at a character boundary at or below this length.
pub const DENIAL_LOG_MAX_LEN: usize = 128;

/// Why the layer denied a request: what the denial hook ([`OriginPolicyLayer::on_deny`])
/// receives, whatever the response body says ([`PublicReason`]).
///
/// [`OriginPolicyLayer::on_deny`]: super::OriginPolicyLayer::on_deny
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DenialReason {
    /// The tenant closure found no tenant in the request, or the store has no policy for
    /// the tenant it found.
    UnknownTenant,
    /// No mode for the request: the mode closure returned `None` (for the API-secret
    /// extractor: no `Authorization`, several, or a key without a `secret_live_` or
    /// `secret_test_` prefix), or the layer was given no mode at all. Decided first, before
    /// the tenant is looked up.
    NoMode,
    /// No `Origin` header (and, with [`MissingOrigin::UseReferer`], no `Referer` either).
    MissingOrigin,
    /// Several `Origin` headers (or several `Referer` headers when it stands in for one).
    MultipleOrigins,
    /// An `Origin` (or `Referer`) value that is not UTF-8.
    NonUtf8Origin,
    /// The policy denied the origin, for this reason.
    Policy(DenyReason),
}

impl DenialReason {
    /// A stable `snake_case` code, for metric labels and logs, and the `reason` of the
    /// response body under [`PublicReason::Precise`].
    ///
    /// | reason | code |
    /// |---|---|
    /// | `UnknownTenant` | `unknown_tenant` |
    /// | `NoMode` | `no_mode` |
    /// | `MissingOrigin` | `missing_origin` |
    /// | `MultipleOrigins` | `multiple_origins` |
    /// | `NonUtf8Origin` | `non_utf8_origin` |
    /// | `Policy(NoMatchingRule)` | `no_matching_rule` |
    /// | `Policy(PublicSuffixBoundary)` | `public_suffix_boundary` |
    /// | `Policy(Opaque)` | `opaque_origin` |
    /// | `Policy(Malformed(_))` | `malformed_origin` |
    ///
    /// No code is [`UNIFORM_DENIAL_CODE`], so the two kinds of body never share a word.
    pub const fn code(self) -> &'static str {
        match self {
            DenialReason::UnknownTenant => "unknown_tenant",
            DenialReason::NoMode => "no_mode",
            DenialReason::MissingOrigin => "missing_origin",
            DenialReason::MultipleOrigins => "multiple_origins",
            DenialReason::NonUtf8Origin => "non_utf8_origin",
            DenialReason::Policy(reason) => policy_code(reason),
        }
    }
}

/// The code of a policy's [`DenyReason`]: one arm per variant, so that a new variant of
/// [`DenyReason`] fails to compile here until it has a code (and a row in the table of
/// [`DenialReason::code`]).
const fn policy_code(reason: DenyReason) -> &'static str {
    match reason {
        DenyReason::NoMatchingRule => "no_matching_rule",
        DenyReason::PublicSuffixBoundary => "public_suffix_boundary",
        DenyReason::Opaque => "opaque_origin",
        DenyReason::Malformed(_) => "malformed_origin",
    }
}

/// The one code of every denial's body under [`PublicReason::Uniform`] (the default).
pub const UNIFORM_DENIAL_CODE: &str = "origin_not_allowed";

/// What a denial's body tells the client about why it was denied
/// ([`OriginPolicyLayer::public_reason`]). The denial hook gets the precise
/// [`DenialReason`] either way.
///
/// [`OriginPolicyLayer::public_reason`]: super::OriginPolicyLayer::public_reason
///
/// The threat: the client of a public API is anyone. With precise codes, a request without
/// credentials, or with a made-up `secret_live_…` key (the layer reads only the prefix),
/// tells from `unknown_tenant` against `no_matching_rule` which tenants exist, and from
/// `no_matching_rule` against `malformed_origin` or `opaque_origin` how the gate read each
/// origin it tries. Under `Uniform` every denial body is the same for a given mode and
/// `Accept`, so the 403 itself says nothing about tenants or allow-lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PublicReason {
    /// Every denial's body gives [`UNIFORM_DENIAL_CODE`] (`origin_not_allowed`) as its
    /// reason. The default.
    #[default]
    Uniform,
    /// The body gives [`DenialReason::code`]: `unknown_tenant`, `no_matching_rule`, ... For
    /// internal services, or while a client integration is being debugged.
    Precise,
}

impl PublicReason {
    /// The `reason` a denial's body gives for `reason` under this setting.
    ///
    /// ```
    /// use origin_policy::middleware::{DenialReason, PublicReason};
    ///
    /// let reason = DenialReason::UnknownTenant;
    /// assert_eq!(PublicReason::Uniform.code(reason), "origin_not_allowed");
    /// assert_eq!(PublicReason::Precise.code(reason), "unknown_tenant");
    /// ```
    pub const fn code(self, reason: DenialReason) -> &'static str {
        match self {
            PublicReason::Uniform => UNIFORM_DENIAL_CODE,
            PublicReason::Precise => reason.code(),
        }
    }
}

impl fmt::Display for DenialReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenialReason::UnknownTenant => f.write_str("unknown tenant"),
            DenialReason::NoMode => f.write_str("no mode"),
            DenialReason::MissingOrigin => f.write_str("no Origin header"),
            DenialReason::MultipleOrigins => f.write_str("several Origin headers"),
            DenialReason::NonUtf8Origin => f.write_str("Origin is not UTF-8"),
            DenialReason::Policy(reason) => fmt::Display::fmt(reason, f),
        }
    }
}

/// One denied request, as the denial hook ([`OriginPolicyLayer::on_deny`]) receives it:
/// with the precise [`DenialReason`], whatever [`PublicReason`] the body follows.
///
/// `tenant` and `origin` come from the request, so they are untrusted: they are cut to
/// [`DENIAL_LOG_MAX_LEN`] bytes, but may hold any character a header value can hold
/// (escape them when logging, for example with `{:?}`).
///
/// [`OriginPolicyLayer::on_deny`]: super::OriginPolicyLayer::on_deny
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Denial<'a> {
    /// The tenant the request named, if any (`None` with a single policy); also given for a
    /// [`DenialReason::NoMode`] denial, although the store was not consulted.
    pub tenant: Option<&'a str>,
    /// The request's mode, if it has one.
    pub mode: Option<Mode>,
    /// The origin that was checked (the `Origin` value, or the `Referer`'s origin); for a
    /// request denied before its origin was checked, its `Origin` value. `None` without
    /// a single UTF-8 value.
    pub origin: Option<&'a str>,
    /// Why the request was denied.
    pub reason: DenialReason,
    /// The request's mode is report-only
    /// ([`PolicyOptions::report_only`](crate::PolicyOptions::report_only)): it was let
    /// through, and this records that it would have been denied (`would_deny`).
    pub report_only: bool,
}

/// The denial hook ([`OriginPolicyLayer::on_deny`](super::OriginPolicyLayer::on_deny)).
pub(super) type DenialHook = dyn Fn(&Denial<'_>) + Send + Sync;

/// The 403 for a request denied in `mode` for `reason`: the body gives the code
/// `public_reason` chooses, as JSON or text by the request's `Accept`, and `Vary` names
/// `Referer` too under [`MissingOrigin::UseReferer`].
pub(super) fn denial_response<B: From<String>>(
    request_headers: &HeaderMap,
    mode: Option<Mode>,
    reason: DenialReason,
    public_reason: PublicReason,
    missing_origin: MissingOrigin,
) -> Response<B> {
    let json = accepts_json(request_headers);
    let body = denial_body(mode, public_reason.code(reason), json);
    let content_type = if json {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    let vary = if missing_origin == MissingOrigin::UseReferer {
        "origin, referer, accept"
    } else {
        "origin, accept"
    };
    let mut response = Response::new(B::from(body));
    *response.status_mut() = StatusCode::FORBIDDEN;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::VARY, HeaderValue::from_static(vary));
    response
}

/// The 403 body: built from the mode's name and a fixed code only, never from the request.
fn denial_body(mode: Option<Mode>, code: &'static str, json: bool) -> String {
    match (json, mode) {
        (true, Some(mode)) => format!(
            "{{\"error\":\"origin_not_allowed\",\"mode\":\"{}\",\"reason\":\"{code}\"}}",
            mode.as_str(),
        ),
        (true, None) => {
            format!("{{\"error\":\"origin_not_allowed\",\"mode\":null,\"reason\":\"{code}\"}}")
        }
        (false, Some(mode)) => format!("origin not allowed for {} mode: {code}\n", mode.as_str()),
        (false, None) => format!("origin not allowed: {code}\n"),
    }
}

/// Calls `hook` (if any) with the denial. `origin` is the origin that was checked; without
/// one, the hook gets the request's single UTF-8 `Origin` value, if it has one.
pub(super) fn record_denial(
    parts: &Parts,
    hook: Option<&DenialHook>,
    tenant: Option<&str>,
    mode: Option<Mode>,
    origin: Option<&str>,
    reason: DenialReason,
    report_only: bool,
) {
    if let Some(hook) = hook {
        let origin = origin.or_else(|| match single(&parts.headers, header::ORIGIN) {
            Single::One(value) => std::str::from_utf8(value.as_bytes()).ok(),
            Single::Absent | Single::Several => None,
        });
        hook(&Denial {
            tenant: tenant.map(truncate),
            mode,
            origin: origin.map(truncate),
            reason,
            report_only,
        });
    }
}

/// `text` cut to at most [`DENIAL_LOG_MAX_LEN`] bytes, at a character boundary.
fn truncate(text: &str) -> &str {
    if text.len() <= DENIAL_LOG_MAX_LEN {
        return text;
    }
    let mut end = DENIAL_LOG_MAX_LEN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_stops_at_a_char_boundary() {
        let long = "é".repeat(100);
        let cut = truncate(&long);
        assert!(cut.len() <= DENIAL_LOG_MAX_LEN && cut.len() >= DENIAL_LOG_MAX_LEN - 1);
        assert_eq!(truncate("short"), "short");
    }

    #[test]
    fn bodies_echo_nothing_from_the_request() {
        let body = denial_body(
            Some(Mode::Live),
            DenialReason::Policy(DenyReason::NoMatchingRule).code(),
            true,
        );
        assert_eq!(
            body,
            r#"{"error":"origin_not_allowed","mode":"live","reason":"no_matching_rule"}"#
        );
        assert_eq!(
            denial_body(None, DenialReason::NoMode.code(), false),
            "origin not allowed: no_mode\n"
        );
        assert_eq!(
            denial_body(None, UNIFORM_DENIAL_CODE, true),
            r#"{"error":"origin_not_allowed","mode":null,"reason":"origin_not_allowed"}"#
        );
    }
}
