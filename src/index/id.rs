//! The numbers the index stores: rule ids, with the one limit on how many rules a policy
//! holds, and the one checked narrowing from `usize`.

/// The most rules a policy holds, both modes together: 2^26 - 1 = 67,108,863, the one limit
/// that keeps every number of the index in 32 bits:
///
/// * a slot of the table keeps a rule or the start of a port run, the top bit telling which,
///   and `u32::MAX` marks an empty slot; the runs hold at most 1.5 entries per rule, so
///   their starts stay below 2^31 too;
/// * a label wildcard adds at most 63 nodes to each arena of the tries (its literals are at
///   most 62 bytes, plus a root), so a [`NodeId`] stays below 63 × 2^26 < 2^32 - 1.
///
/// [`PolicyBuilder::build`](crate::PolicyBuilder::build) reports the entries past it as
/// [`TooManyRules`](crate::PatternErrorKind::TooManyRules); a policy of that size takes
/// about 6 GB of memory.
pub(crate) const MAX_RULES: usize = (1 << 26) - 1;

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
        (stored < (1 << 26) - 1).then_some(RuleId(stored))
    }

    /// The position in the rule list.
    #[inline]
    pub(crate) fn index(self) -> usize {
        // A `u32` fits in `usize` on every target the crate builds for (32 and 64 bits).
        self.0 as usize
    }
}

/// A node of a label-wildcard trie arena, or a position in its rules arena: below
/// `u32::MAX`, which marks no node. [`MAX_RULES`] keeps every arena below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NodeId(u32);

impl NodeId {
    /// The node at `position` of an arena, if it is below `u32::MAX`: the one narrowing of a
    /// node number from `usize`.
    #[inline]
    pub(crate) fn new(position: usize) -> Option<NodeId> {
        u32::try_from(position)
            .ok()
            .filter(|&id| id < u32::MAX)
            .map(NodeId)
    }

    /// The id as the arenas store it.
    #[inline]
    pub(crate) fn get(self) -> u32 {
        self.0
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
            (MAX_RULES - 1, Some((1 << 26) - 2)),
            (MAX_RULES, None),
            (usize::MAX, None),
        ];
        for (position, want) in cases {
            assert_eq!(RuleId::new(position).map(RuleId::get), want, "{position}");
        }
        assert_eq!(RuleId::from_stored(u32::MAX), None);
        assert_eq!(RuleId::from_stored(1 << 26), None);
        assert_eq!(RuleId::from_stored(7).map(RuleId::index), Some(7));
    }

    #[test]
    fn the_rule_limit_keeps_every_trie_arena_in_32_bits() {
        // At most 63 nodes per label wildcard in each arena.
        assert!(63 * MAX_RULES < u32::MAX as usize);
        let cases: [(usize, Option<u32>); 4] = [
            (0, Some(0)),
            (63 * MAX_RULES, Some(63 * ((1 << 26) - 1))),
            (u32::MAX as usize, None),
            (usize::MAX, None),
        ];
        for (position, want) in cases {
            assert_eq!(NodeId::new(position).map(NodeId::get), want, "{position}");
        }
    }
}
