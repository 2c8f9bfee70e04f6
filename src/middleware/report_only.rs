//! The response header of a request let through in a report-only mode
//! ([`PolicyOptions::report_only`](crate::PolicyOptions::report_only)).

use http::header::HeaderName;

/// `X-Origin-Policy-Report-Only`: set by [`OriginPolicyLayer`](super::OriginPolicyLayer)
/// on the response to a request that would have been denied, had its mode not been
/// report-only; the value is the code the 403 body would have given
/// ([`PublicReason::code`](super::PublicReason::code)).
pub const REPORT_ONLY_HEADER: HeaderName = HeaderName::from_static("x-origin-policy-report-only");
