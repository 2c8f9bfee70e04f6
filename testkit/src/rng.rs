//! The one source of pseudo-random choices of the generators: splitmix64, and [`Choices`],
//! which the seeded generators (over [`SplitMix64`]) and the proptest decoders (over
//! [`Bits`]) share, so that the label and text builders of [`crate::text`] serve both.

/// splitmix64's increment, the golden ratio in 64 bits.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// splitmix64's output for the state `seed`: 64 well-mixed bits out of any seed (the first
/// number `SplitMix64::new(seed)` gives).
///
/// ```
/// use origin_policy_testkit::rng::{mix, SplitMix64};
///
/// assert_eq!(SplitMix64::new(7).next_u64(), mix(7));
/// ```
pub fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// splitmix64: tiny, seeded, deterministic, good enough to pick from short lists. A failure
/// of a seeded generator is reproduced from its seed.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator in state `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        let out = mix(self.0);
        self.0 = self.0.wrapping_add(GAMMA);
        out
    }
}

/// Choices in `0..n`, and what the generators build from them. Every provided method
/// draws through [`Choices::below`] only, so a sequence of choices is fixed by its source.
pub trait Choices {
    /// In `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize;

    /// In `low..=high`.
    fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    /// True with probability `p`% (for a uniform source).
    fn percent(&mut self, p: u64) -> bool {
        (self.below(100) as u64) < p
    }

    /// True once in `n` times: the last of `n` choices, so never for [`Bits(0)`](Bits).
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == n - 1
    }

    /// One of `items` (not empty).
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

impl Choices for SplitMix64 {
    /// Uniform in `0..n` (modulo bias is irrelevant here).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Choices read out of given bits, low digits first (`bits % n`, then `bits / n`): how the
/// property tests decode one `u64` of proptest into many choices cheaply. Zero makes the
/// first choice everywhere, so shrinking heads to the plainest values.
#[derive(Debug, Clone, Copy)]
pub struct Bits(pub u64);

impl Choices for Bits {
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let choice = self.0 % n;
        self.0 /= n;
        choice as usize
    }
}

/// `items[index % len]`: the choice an index of a fuzz input (from `arbitrary`) makes.
pub fn at<T: Copy>(items: &[T], index: u8) -> T {
    Bits(u64::from(index)).pick(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The splitmix64 reference values for seed 0 (Vigna's `splitmix64.c`).
    #[test]
    fn splitmix64_is_splitmix64() {
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn bits_read_low_digits_first() {
        let mut bits = Bits(2 + 3 * 4);
        assert_eq!(bits.below(3), 2);
        assert_eq!(bits.below(5), 4);
        assert_eq!(bits.below(7), 0);
        assert!(!Bits(0).one_in(2));
        assert_eq!(at(&["a", "b", "c"], 4), "b");
    }
}
