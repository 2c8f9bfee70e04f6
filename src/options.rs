//! [`PolicyOptions`]: the settings of a policy beyond its rules, and the one place that
//! turns them into what the rest of the crate asks (the public-suffix boundary).

use crate::mode::Mode;
use crate::public_suffix::PublicSuffixBoundary;

/// A set of [`Mode`]s: which modes of a policy are report-only
/// ([`PolicyOptions::report_only`]). It is `Copy` and costs one byte.
///
/// With the `serde` feature it reads and writes as a list of mode names (`["live"]`), in
/// the order of [`Mode::ALL`]; a name given twice is the same as once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ModeSet {
    bits: u8,
}

impl ModeSet {
    /// No mode.
    pub const EMPTY: ModeSet = ModeSet { bits: 0 };

    const fn bit(mode: Mode) -> u8 {
        1 << mode.slot()
    }

    /// Whether `mode` is in the set.
    pub const fn contains(self, mode: Mode) -> bool {
        self.bits & Self::bit(mode) != 0
    }

    /// Adds or removes `mode`.
    pub fn set(&mut self, mode: Mode, member: bool) {
        match member {
            true => self.bits |= Self::bit(mode),
            false => self.bits &= !Self::bit(mode),
        }
    }

    /// Whether no mode is in the set.
    pub const fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// The modes in the set, in the order of [`Mode::ALL`].
    pub fn iter(self) -> impl Iterator<Item = Mode> {
        Mode::ALL
            .into_iter()
            .filter(move |&mode| self.contains(mode))
    }
}

impl FromIterator<Mode> for ModeSet {
    fn from_iter<I: IntoIterator<Item = Mode>>(modes: I) -> Self {
        let mut set = ModeSet::EMPTY;
        for mode in modes {
            set.set(mode, true);
        }
        set
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ModeSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ModeSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let modes: Vec<Mode> = serde::Deserialize::deserialize(deserializer)?;
        Ok(modes.into_iter().collect())
    }
}

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
    /// The modes whose denials are only reported, for rolling the gate out to traffic that
    /// already flows (`report_only = ["live"]`; none by default). In such a mode a request
    /// that would be denied passes: the tower middleware's `OriginPolicyLayer`
    /// lets it through with an `X-Origin-Policy-Report-Only: CODE` response header and
    /// gives it to the denial hook, and `FrameAncestorsLayer`
    /// sends the mode's directive as `Content-Security-Policy-Report-Only`. Decisions
    /// themselves ([`Policy::check`](crate::Policy::check)) do not change; the lint warns
    /// ([`WarningKind::ReportOnly`](crate::WarningKind::ReportOnly)) so that the mode is
    /// not left that way. Written to a policy file only when it is not empty.
    #[cfg_attr(
        feature = "serde",
        serde(skip_serializing_if = "ModeSet::is_empty_ref")
    )]
    pub report_only: ModeSet,
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

    /// Whether `mode`'s denials are only reported ([`report_only`](Self::report_only)).
    pub fn is_report_only(&self, mode: Mode) -> bool {
        self.report_only.contains(mode)
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
            report_only: ModeSet::EMPTY,
        }
    }
}

#[cfg(feature = "serde")]
impl ModeSet {
    fn is_empty_ref(set: &ModeSet) -> bool {
        set.is_empty()
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
        assert!(options.report_only.is_empty());
    }

    #[test]
    fn a_mode_set_holds_each_mode_once() {
        let mut set = ModeSet::EMPTY;
        assert!(!set.contains(Mode::Live) && !set.contains(Mode::Test));
        set.set(Mode::Test, true);
        set.set(Mode::Test, true);
        assert!(set.contains(Mode::Test) && !set.contains(Mode::Live));
        assert_eq!(set.iter().collect::<Vec<_>>(), [Mode::Test]);
        let both: ModeSet = [Mode::Test, Mode::Live].into_iter().collect();
        assert_eq!(both.iter().collect::<Vec<_>>(), Mode::ALL);
        set.set(Mode::Test, false);
        assert!(set.is_empty());
    }
}
