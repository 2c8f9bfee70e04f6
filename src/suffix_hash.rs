//! The hash of the index's keys, built so that one right-to-left pass over a host gives the
//! hash of every label-aligned suffix (the host itself and each parent domain) at a few
//! instructions each, instead of hashing each suffix from scratch.
//!
//! A string of `m` bytes is read in 8-byte words aligned to its *end*: word 0 is its last
//! 8 bytes, word 1 the 8 before, and so on; the `m % 8` bytes left at its front form a
//! partial word. The state after `k` words is a chain `S(k+1) = mix(S(k), word k)` from a
//! per-index random seed, and the hash is `finish(mix(S(m / 8), partial), m)`. Every
//! suffix of a host shares the host's end, so the suffixes share the chain: a suffix of `m`
//! bytes needs the state after `m / 8` words, stored once per host, and its own partial
//! word.
//!
//! Quality: folded 64×64→128-bit multiplies, as in `foldhash`. The keys come from the
//! trusted policy and origins only probe, so collisions cost a comparison, never a wrong
//! answer (every candidate's key is compared byte for byte).

use std::hash::{BuildHasher, RandomState};

/// Odd constants from the digits of pi, as in `foldhash`.
const MIX: u64 = 0x243f_6a88_85a3_08d3;
const FINISH: u64 = 0x1319_8a2e_0370_7344;

/// The most words a host has: a name has at most 253 bytes.
const MAX_WORDS: usize = 253 / 8;

#[inline]
fn folded_multiply(x: u64, y: u64) -> u64 {
    let full = u128::from(x) * u128::from(y);
    (full as u64) ^ ((full >> 64) as u64)
}

#[inline]
fn mix(state: u64, word: u64) -> u64 {
    folded_multiply(state ^ word, MIX)
}

/// The first `bytes.len() < 8` bytes as a little-endian number.
#[inline]
fn partial(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    if len >= 4 {
        // Two overlapping 4-byte reads; the overlap lands on the same bits twice.
        let low = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let high = u32::from_le_bytes([
            bytes[len - 4],
            bytes[len - 3],
            bytes[len - 2],
            bytes[len - 1],
        ]);
        u64::from(low) | u64::from(high) << (8 * (len - 4))
    } else if len > 0 {
        u64::from(bytes[0])
            | u64::from(bytes[len / 2]) << (8 * (len / 2))
            | u64::from(bytes[len - 1]) << (8 * (len - 1))
    } else {
        0
    }
}

/// The seed of one index: random per process, so that the layout of a table is not
/// known in advance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SuffixHasher {
    seed: u64,
}

impl Default for SuffixHasher {
    fn default() -> Self {
        SuffixHasher {
            seed: RandomState::new().hash_one(0x5eed_u64),
        }
    }
}

impl SuffixHasher {
    /// The hash of one key.
    pub(crate) fn hash(&self, key: &[u8]) -> u64 {
        Suffixes::new(*self, key).hash_from(0)
    }
}

/// The chain of states of one host, computed on first use, and the hash of any of its
/// suffixes from there on.
pub(crate) struct Suffixes<'a> {
    bytes: &'a [u8],
    /// `states[k]`: the state after the last `k` words. Valid up to `ready`.
    states: [u64; MAX_WORDS + 1],
    ready: usize,
}

impl<'a> Suffixes<'a> {
    pub(crate) fn new(hasher: SuffixHasher, bytes: &'a [u8]) -> Suffixes<'a> {
        Suffixes {
            bytes,
            states: {
                let mut states = [0; MAX_WORDS + 1];
                states[0] = hasher.seed;
                states
            },
            ready: 0,
        }
    }

    /// The hash of `bytes[start..]`, the same as [`SuffixHasher::hash`] of that text.
    #[inline]
    pub(crate) fn hash_from(&mut self, start: usize) -> u64 {
        let bytes = self.bytes;
        let len = bytes.len() - start;
        let words = (len / 8).min(MAX_WORDS);
        if self.ready < words {
            self.extend(words);
        }
        let front = &bytes[start..bytes.len() - 8 * words];
        let state = mix(self.states[words], partial(front));
        folded_multiply(state ^ len as u64, FINISH)
    }

    /// Runs the chain on to `words` words from the end.
    #[inline]
    fn extend(&mut self, words: usize) {
        let bytes = self.bytes;
        let unread = &bytes[..bytes.len() - 8 * self.ready];
        let mut state = self.states[self.ready];
        let slots = &mut self.states[self.ready + 1..=words];
        for (slot, word) in slots.iter_mut().zip(unread.rchunks_exact(8)) {
            let mut le = [0; 8];
            le.copy_from_slice(word);
            state = mix(state, u64::from_le_bytes(le));
            *slot = state;
        }
        self.ready = words;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suffix_hashes_as_the_same_text_on_its_own() {
        let hasher = SuffixHasher::default();
        let host = "a.bb.ccc.dddd.eeeee.ffffff.ggggggg.hhhhhhhh.iiiiiiiii.example.com";
        // Longest first and in any order, as the index asks.
        for order in [false, true] {
            let mut suffixes = Suffixes::new(hasher, host.as_bytes());
            let mut starts: Vec<usize> = (0..=host.len()).collect();
            if order {
                starts.reverse();
            }
            for start in starts {
                let alone = hasher.hash(&host.as_bytes()[start..]);
                assert_eq!(suffixes.hash_from(start), alone, "{}", &host[start..]);
            }
        }
    }

    #[test]
    fn nearby_texts_hash_apart() {
        let hasher = SuffixHasher::default();
        let texts = [
            "", "a", "b", "ab", "ba", "a.com", "b.com", "abcdefgh", "abcdefgi",
        ];
        let mut seen = std::collections::HashSet::new();
        for text in texts {
            assert!(seen.insert(hasher.hash(text.as_bytes())), "{text}");
        }
        // Partial words of every length read every byte.
        for len in 1..16 {
            let base = vec![b'a'; len];
            for at in 0..len {
                let mut other = base.clone();
                other[at] = b'b';
                assert_ne!(hasher.hash(&base), hasher.hash(&other), "{len} {at}");
            }
        }
    }
}
