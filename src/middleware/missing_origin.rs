//! [`MissingOrigin`]: what the layer does with a request that has no `Origin` header.

/// What the layer does with a request that has no `Origin` header.
///
/// Browsers send `Origin` on every cross-origin request and on every `POST`, but not on a
/// same-origin `GET` or a top-level navigation, and non-browser clients (curl, servers)
/// usually send none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MissingOrigin {
    /// Deny it ([`DenialReason::MissingOrigin`]). The default.
    ///
    /// [`DenialReason::MissingOrigin`]: super::DenialReason::MissingOrigin
    #[default]
    Deny,
    /// Let it through, for same-origin navigations and server-to-server calls. The tenant
    /// and the mode are still required.
    Allow,
    /// Check the origin of the `Referer` header instead (its `scheme://host[:port]`);
    /// deny when there is no `Referer` either, or when there are several.
    UseReferer,
}
