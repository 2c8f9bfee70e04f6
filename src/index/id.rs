//! The numbers the index stores: rule ids, with the one limit on how many rules a policy
//! holds, and the one checked narrowing from `usize`.

/// The most rules a policy holds, both modes together: 2^30 - 1 = 1,073,741,823. A slot of
/// the index's table keeps a rule or the start of a port run in 32 bits, the top bit telling
/// which, and `u32::MAX` marks an empty slot; the runs hold at most 1.5 entries per rule,
/// so their starts stay below 2^31 too. [`PolicyBuilder::build`](crate::PolicyBuilder::build)
/// reports the entries past it as [`TooManyRules`](crate::PatternErrorKind::TooManyRules);
/// a policy of that size would need about 100 GB of memory anyway.
pub(crate) const MAX_RULES: usize = (1 << 30) - 1;

/// A rule's position in its policy's rule list (both modes, live first), below
/// [`MAX_RULES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RuleId(u32);

impl RuleId {
    /// The id of the rule at `position`, if it is below [`MAX_RULES`]: the one narrowing
    /// from `usize`.
    #[inline]
    pub(crate) fn new(position: usize) -> Option<RuleId> {
        match u32::try_from(position) {
            Ok(id) if position < MAX_RULES => Some(RuleId(id)),
            _ => None,
        }
    }

    /// The id as stored in a slot or run of the index.
    #[inline]
    pub(crate) fn get(self) -> u32 {
        self.0
    }

    /// A stored id back, if it is one (below [`MAX_RULES`]).
    #[inline]
    pub(crate) fn from_stored(stored: u32) -> Option<RuleId> {
        (stored < (1 << 30) - 1).then_some(RuleId(stored))
    }

    /// The position in the rule list.
    #[inline]
    pub(crate) fn index(self) -> usize {
        // A `u32` fits in `usize` on every target the crate builds for (32 and 64 bits).
        self.0 as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_stops_at_the_limit() {
        let cases: [(usize, Option<u32>); 5] = [
            (0, Some(0)),
            (1, Some(1)),
            (MAX_RULES - 1, Some((1 << 30) - 2)),
            (MAX_RULES, None),
            (usize::MAX, None),
        ];
        for (position, want) in cases {
            assert_eq!(RuleId::new(position).map(RuleId::get), want, "{position}");
        }
        assert_eq!(RuleId::from_stored(u32::MAX), None);
        assert_eq!(RuleId::from_stored(1 << 30), None);
        assert_eq!(RuleId::from_stored(7).map(RuleId::index), Some(7));
    }
}
