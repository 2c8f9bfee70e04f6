//! The decision for one request, shared by the layer's services: first the mode (from the
//! credentials), then the tenant's policy, then the origin, with CORS preflights checked in
//! any mode ([`is_cors_preflight`]).

use std::sync::Arc;

use http::header;
use http::request::Parts;

use super::denial::{record_denial, DenialHook, DenialReason, PublicReason};
use super::missing_origin::MissingOrigin;
use super::referer::referer_origin;
use super::single::{single, Single};
use super::tenancy::{ModeSource, Policies};
use crate::mode::Mode;
use crate::policy::Policy;

/// The modes a request's origin is checked in: its own, or for a CORS preflight, which has
/// no credentials, any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ModeScope {
    One(Mode),
    Any,
}

/// Whether the request is a CORS preflight
/// ([Fetch, CORS-preflight request](https://fetch.spec.whatwg.org/#cors-preflight-request)):
/// `OPTIONS` with an `Origin` and an `Access-Control-Request-Method` header. A browser
/// sends it before a cross-origin request that carries `Authorization` or a custom header,
/// and never puts credentials or custom headers in it.
pub fn is_cors_preflight(parts: &Parts) -> bool {
    parts.method == http::Method::OPTIONS
        && parts.headers.contains_key(header::ORIGIN)
        && parts
            .headers
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// What the layer decides for one request ([`OriginPolicyLayer::decide`]): allowed, or
/// denied for a reason, each with the mode the request was checked in.
///
/// [`OriginPolicyLayer::decide`]: super::OriginPolicyLayer::decide
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Allowed.
    #[non_exhaustive]
    Allow {
        /// The request's mode; `None` for a CORS preflight ([`is_cors_preflight`]) without
        /// credentials, whose origin was checked in any mode.
        mode: Option<Mode>,
        /// The request had no `Origin` and its `Referer` decided
        /// ([`MissingOrigin::UseReferer`]).
        by_referer: bool,
    },
    /// Would be denied, but the mode is report-only
    /// ([`PolicyOptions::report_only`](crate::PolicyOptions::report_only)): the request
    /// passes, and the denial hook was told ([`Denial::report_only`](super::Denial::report_only)).
    /// For a CORS preflight checked in any mode: the tenant's policy has a report-only mode.
    #[non_exhaustive]
    WouldDeny {
        /// The request's mode, if it has one.
        mode: Option<Mode>,
        /// Why it would be denied.
        reason: DenialReason,
    },
    /// Denied.
    #[non_exhaustive]
    Deny {
        /// The request's mode, if it has one (a CORS preflight has one only when it carries
        /// credentials).
        mode: Option<Mode>,
        /// Why.
        reason: DenialReason,
    },
}

/// The configuration an [`OriginPolicyLayer`](super::OriginPolicyLayer) builds and all its
/// services share.
#[derive(Clone)]
pub(super) struct Shared {
    pub(super) policies: Policies,
    pub(super) mode: ModeSource,
    pub(super) missing_origin: MissingOrigin,
    pub(super) vary_on_allow: bool,
    pub(super) public_reason: PublicReason,
    pub(super) on_deny: Option<Arc<DenialHook>>,
}

impl Shared {
    /// Decides one request, calling `hook` on a denial: first the mode (from the
    /// credentials, so that a request without any learns nothing about tenants), then the
    /// tenant's policy, then the origin.
    pub(super) fn decide(&self, parts: &Parts, hook: Option<&DenialHook>) -> Verdict {
        // A CORS preflight carries no credentials by design: it is checked in every mode,
        // and the real request that follows is checked in its key's mode. A preflight that
        // does carry credentials (only a non-browser client sends one) is checked in their
        // mode, so that it cannot reach the service in a mode its origin is not allowed in.
        let preflight = is_cors_preflight(parts);
        let mode = match (&self.mode, preflight) {
            (ModeSource::FromRequest(_), true) | (_, false) => self.mode.mode(parts),
            (_, true) => None,
        };
        let tenant = self.policies.tenant(parts);
        let deny = |origin: Option<&str>, reason: DenialReason, report_only: bool| {
            record_denial(parts, hook, tenant, mode, origin, reason, report_only);
            match report_only {
                true => Verdict::WouldDeny { mode, reason },
                false => Verdict::Deny { mode, reason },
            }
        };
        let scope = match (mode, preflight) {
            (Some(mode), _) => ModeScope::One(mode),
            (None, true) => ModeScope::Any,
            (None, false) => return deny(None, DenialReason::NoMode, false),
        };
        self.policies.with_policy(tenant, |policy| match policy {
            Some(policy) => self.decide_origin(parts, policy, scope, &deny),
            None => deny(None, DenialReason::UnknownTenant, false),
        })
    }

    /// The origin step: the `Origin` header (or what [`MissingOrigin`] says instead),
    /// checked against `policy` in `mode`. `deny` takes the origin checked, if any, and
    /// whether the denial is only reported (the mode, or for a preflight some mode, of the
    /// policy is report-only).
    fn decide_origin(
        &self,
        parts: &Parts,
        policy: &Policy,
        scope: ModeScope,
        deny: &dyn Fn(Option<&str>, DenialReason, bool) -> Verdict,
    ) -> Verdict {
        let report_only = match scope {
            ModeScope::One(mode) => policy.options().is_report_only(mode),
            ModeScope::Any => !policy.options().report_only.is_empty(),
        };
        let deny = |origin: Option<&str>, reason: DenialReason| deny(origin, reason, report_only);
        let headers = &parts.headers;
        let mode = match scope {
            ModeScope::One(mode) => Some(mode),
            ModeScope::Any => None,
        };
        let (origin, by_referer) = match single(headers, header::ORIGIN) {
            Single::One(value) => (value.as_bytes(), false),
            Single::Several => return deny(None, DenialReason::MultipleOrigins),
            Single::Absent => match self.missing_origin {
                MissingOrigin::Deny => return deny(None, DenialReason::MissingOrigin),
                MissingOrigin::Allow => {
                    return Verdict::Allow {
                        mode,
                        by_referer: false,
                    }
                }
                MissingOrigin::UseReferer => match single(headers, header::REFERER) {
                    Single::One(value) => (referer_origin(value.as_bytes()), true),
                    Single::Several => return deny(None, DenialReason::MultipleOrigins),
                    Single::Absent => return deny(None, DenialReason::MissingOrigin),
                },
            },
        };
        let Ok(origin) = std::str::from_utf8(origin) else {
            return deny(None, DenialReason::NonUtf8Origin);
        };
        let decision = match scope {
            ModeScope::One(mode) => policy.check(mode, origin),
            ModeScope::Any => policy.check_any_mode(origin),
        };
        match decision.deny_reason() {
            None => Verdict::Allow { mode, by_referer },
            Some(reason) => deny(Some(origin), DenialReason::Policy(reason)),
        }
    }
}
