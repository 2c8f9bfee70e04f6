//! hot path: measured with benches/instructions.sh
//!
//! The probe filter: what the keys of one (mode, scheme) are like, so that a check skips
//! the probes that cannot hit before hashing.

/// A set of lengths, modulo 64: a probe for a length that no key has is skipped before
/// hashing.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Lengths(u64);

impl Lengths {
    pub(super) fn insert(&mut self, len: usize) {
        self.0 |= 1 << (len % 64);
    }

    #[inline]
    pub(super) fn may_contain(self, len: usize) -> bool {
        self.0 >> (len % 64) & 1 != 0
    }
}

/// What the keys of one (mode, scheme) are like, for skipping probes.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Filter {
    /// Byte lengths of exact keys, and of `*.` bases.
    pub(super) exact: Lengths,
    pub(super) bases: Lengths,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_kept_modulo_64() {
        // (inserted, probed, may contain)
        let cases: &[(&[usize], usize, bool)] = &[
            (&[], 0, false),
            (&[11], 11, true),
            (&[11], 12, false),
            (&[11], 75, true),
            (&[63, 64], 0, true),
            (&[253], 253 % 64, true),
        ];
        for &(inserted, probed, want) in cases {
            let mut lengths = Lengths::default();
            inserted.iter().for_each(|&len| lengths.insert(len));
            assert_eq!(lengths.may_contain(probed), want, "{inserted:?} {probed}");
        }
    }
}
