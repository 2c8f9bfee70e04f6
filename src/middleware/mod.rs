//! Tower middleware (feature `tower`): [`OriginPolicyLayer`] answers 403 to a request whose
//! origin is not allowed for its tenant and mode, and passes every other request through.
//!
//! ```
//! use origin_policy::middleware::{MissingOrigin, OriginPolicyLayer};
//! use origin_policy::{Mode, Policy};
//!
//! let policy = Policy::builder()
//!     .allow(Mode::Live, "https://*.berbix.com")
//!     .allow(Mode::Test, "http://localhost:*")
//!     .build()?;
//! let layer = OriginPolicyLayer::new(policy)
//!     .mode_from_api_secret()
//!     .on_missing_origin(MissingOrigin::UseReferer)
//!     .on_deny(|denial| eprintln!("403 {} {:?}", denial.reason.code(), denial.origin));
//! // axum: Router::new().route(...).layer(layer)
//! # let _ = layer;
//! # Ok::<(), origin_policy::BuildError>(())
//! ```
//!
//! What is here:
//!
//! - [`OriginPolicyLayer`], the layer and its settings, whose docs describe the order of the
//!   checks, the 403 response, the `Vary` of allowed responses, the denial hook and the
//!   composition with tower-http's `CorsLayer`; [`OriginPolicy`], the service it wraps
//!   around the inner one, and that service's [`ResponseFuture`];
//! - [`FrameAncestorsLayer`], the `Content-Security-Policy: frame-ancestors` of embeddable
//!   pages from the same policy, with its [`FrameAncestorsService`] and
//!   [`FrameAncestorsFuture`];
//! - [`MergeVaryLayer`], outermost, so that a response leaves the composition with one `Vary`
//!   line (tower-http's `CorsLayer` appends one of its own), with its [`MergeVary`] and
//!   [`MergeVaryFuture`];
//! - [`MissingOrigin`], what to do with a request without `Origin`;
//! - [`REPORT_ONLY_HEADER`], the header of a request let through in a report-only mode;
//! - [`mode_from_authorization`], the mode from the API secret in `Authorization`;
//! - [`is_cors_preflight`], the requests that are checked in any mode;
//! - [`Verdict`], the decision for one request, from [`OriginPolicyLayer::decide`], for
//!   adapters that answer in a protocol of their own (an nginx `auth_request` or Envoy
//!   `ext_authz` service);
//! - [`DenialReason`] and [`Denial`], what the denial hook gets; [`PublicReason`] and
//!   [`UNIFORM_DENIAL_CODE`], what the 403 body says; [`DENIAL_LOG_MAX_LEN`];
//! - and, on [`Policy`](crate::Policy) and [`PolicyStore`](crate::store::PolicyStore), the CORS
//!   predicates for tower-http's `AllowOrigin::predicate`:
//!   [`Policy::cors_predicate`](crate::Policy::cors_predicate),
//!   [`Policy::cors_predicate_any_mode`](crate::Policy::cors_predicate_any_mode) and
//!   [`PolicyStore::cors_predicate_any_mode`](crate::store::PolicyStore::cors_predicate_any_mode).

mod accept;
mod authorization;
mod cors;
mod csp_header;
mod decision;
mod denial;
mod frame_ancestors;
mod layer;
mod merge_vary;
mod missing_origin;
mod referer;
mod report_only;
mod service;
mod single;
mod tenancy;
mod vary;

pub use self::authorization::mode_from_authorization;
pub use self::decision::{is_cors_preflight, Verdict};
pub use self::denial::{
    Denial, DenialReason, PublicReason, DENIAL_LOG_MAX_LEN, UNIFORM_DENIAL_CODE,
};
pub use self::frame_ancestors::{FrameAncestorsFuture, FrameAncestorsLayer, FrameAncestorsService};
pub use self::layer::OriginPolicyLayer;
pub use self::merge_vary::{MergeVary, MergeVaryFuture, MergeVaryLayer};
pub use self::missing_origin::MissingOrigin;
pub use self::report_only::REPORT_ONLY_HEADER;
pub use self::service::{OriginPolicy, ResponseFuture};
