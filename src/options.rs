//! [`PolicyOptions`]: the settings of a policy beyond its rules, and the one place that
//! turns them into what the rest of the crate asks (the public-suffix boundary).

use crate::public_suffix::PublicSuffixBoundary;

/// Settings of a policy beyond its rules. The two switches are off by default; the
/// `frame-ancestors` bound is [`DEFAULT_FRAME_ANCESTORS_MAX_BYTES`](Self::DEFAULT_FRAME_ANCESTORS_MAX_BYTES).
///
/// In a policy file they are the `[options]` table; a missing key keeps its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct PolicyOptions {
    /// In test mode, allow any `http` or `https` origin whose host is loopback
    /// (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`) on any port, without a rule.
    /// The decision is [`Decision::AllowTestLoopback`](crate::Decision::AllowTestLoopback).
    /// Live mode is never affected.
    pub implicit_test_loopback: bool,
    /// Accept wildcards over public suffixes (`*.github.io`, `*.sch.uk`, `*.example`).
    /// Off by default: such a wildcard allows sites that other people own. Turn it on
    /// only for a suffix you control, such as a private TLD.
    pub allow_public_suffix_wildcards: bool,
    /// The most bytes the `frame-ancestors` directive of one mode may take, the words
    /// `frame-ancestors ` included ([`Policy::frame_ancestors`](crate::Policy::frame_ancestors)).
    /// A mode whose directive would be longer gets `frame-ancestors 'none'` and the reason
    /// ([`FrameAncestors::closed_reason`](crate::FrameAncestors::closed_reason)), never a
    /// list cut short; the lint warns
    /// ([`WarningKind::FrameAncestorsTooLong`](crate::WarningKind::FrameAncestorsTooLong)).
    /// Default 4096: nginx's default proxy buffer holds all of a response's headers in
    /// 4 KB, and browsers refuse far longer headers. Written to a policy file only when it
    /// is not the default.
    #[cfg_attr(
        feature = "serde",
        serde(skip_serializing_if = "PolicyOptions::is_default_frame_ancestors_bound")
    )]
    pub frame_ancestors_max_bytes: usize,
}

impl PolicyOptions {
    /// The default of [`frame_ancestors_max_bytes`](Self::frame_ancestors_max_bytes):
    /// 4096 bytes.
    pub const DEFAULT_FRAME_ANCESTORS_MAX_BYTES: usize = 4096;

    /// Whether a wildcard may reach over a public suffix: the one mapping from the options
    /// to the boundary that the builder, the index, the lint and `frame-ancestors` follow.
    pub(crate) fn public_suffix_boundary(&self) -> PublicSuffixBoundary {
        match self.allow_public_suffix_wildcards {
            true => PublicSuffixBoundary::Ignored,
            false => PublicSuffixBoundary::Enforced,
        }
    }

    #[cfg(feature = "serde")]
    fn is_default_frame_ancestors_bound(max_bytes: &usize) -> bool {
        *max_bytes == Self::DEFAULT_FRAME_ANCESTORS_MAX_BYTES
    }
}

impl Default for PolicyOptions {
    fn default() -> Self {
        PolicyOptions {
            implicit_test_loopback: false,
            allow_public_suffix_wildcards: false,
            frame_ancestors_max_bytes: Self::DEFAULT_FRAME_ANCESTORS_MAX_BYTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boundary_follows_the_switch() {
        let mut options = PolicyOptions::default();
        assert_eq!(
            options.public_suffix_boundary(),
            PublicSuffixBoundary::Enforced
        );
        options.allow_public_suffix_wildcards = true;
        assert_eq!(
            options.public_suffix_boundary(),
            PublicSuffixBoundary::Ignored
        );
    }

    #[test]
    fn defaults() {
        let options = PolicyOptions::default();
        assert!(!options.implicit_test_loopback);
        assert!(!options.allow_public_suffix_wildcards);
        assert_eq!(options.frame_ancestors_max_bytes, 4096);
    }
}
