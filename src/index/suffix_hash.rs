//! hot path: measured with benches/instructions.sh
//!
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

/// How many states of the chain a [`Suffixes`] keeps: enough for suffixes of up to 63
/// bytes, which covers nearly every host. The states of longer suffixes are recomputed.
const KEPT: usize = 8;

#[inline]
fn folded_multiply(x: u64, y: u64) -> u64 {
    let full = u128::from(x) * u128::from(y);
    (full as u64) ^ ((full >> 64) as u64)
}

#[inline]
fn mix(state: u64, word: u64) -> u64 {
    folded_multiply(state ^ word, MIX)
}

/// The `len < 8` bytes of `bytes` from `start` as a little-endian number, read with one
/// load wherever the string is long enough.
#[inline]
fn partial(bytes: &[u8], start: usize, len: usize) -> u64 {
    if len == 0 {
        return 0;
    }
    if let Some(after) = bytes.get(start..).and_then(<[u8]>::first_chunk::<8>) {
        // Eight bytes from `start`: keep the first `len`.
        return u64::from_le_bytes(*after) & (u64::MAX >> (8 * (8 - len)));
    }
    if let Some(before) = bytes.get(..start + len).and_then(<[u8]>::last_chunk::<8>) {
        // Eight bytes ending after them: keep the last `len`.
        return u64::from_le_bytes(*before) >> (8 * (8 - len));
    }
    // A string shorter than eight bytes.
    let mut word = 0;
    for (at, &byte) in bytes.iter().skip(start).take(len).enumerate() {
        word |= u64::from(byte) << (8 * at);
    }
    word
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

/// The chain of states of one host, computed as far as needed, and the hash of any of its
/// suffixes from there on.
/// Deep states kept beyond [`KEPT`]: with them, every suffix of a 253-byte name.
const DEEP: usize = 256 / 8 - KEPT + 1;

pub(crate) struct Suffixes<'a> {
    bytes: &'a [u8],
    /// `kept[k]`: the state after the last `k` words, for `k <= ready`.
    kept: [u64; KEPT],
    ready: usize,
    /// `deep.0[j]`: the state after the last `KEPT + j` words, for `j < deep.1`; only for
    /// the rare host whose suffixes are longer than the kept states cover (a walk over deep
    /// parents), so a check of any other host never writes it.
    deep: Option<([u64; DEEP], usize)>,
}

impl<'a> Suffixes<'a> {
    #[inline]
    pub(crate) fn new(hasher: SuffixHasher, bytes: &'a [u8]) -> Suffixes<'a> {
        let mut kept = [0; KEPT];
        kept[0] = hasher.seed;
        Suffixes {
            bytes,
            kept,
            ready: 0,
            deep: None,
        }
    }

    /// The hash of `bytes[start..]` (`start <= bytes.len()`), the same as
    /// [`SuffixHasher::hash`] of that text.
    #[inline(always)]
    pub(crate) fn hash_from(&mut self, start: usize) -> u64 {
        let len = self.bytes.len().saturating_sub(start);
        let words = len / 8;
        let state = mix(self.state(words), partial(self.bytes, start, len % 8));
        folded_multiply(state ^ len as u64, FINISH)
    }

    /// The state after the last `words` words.
    #[inline(always)]
    fn state(&mut self, words: usize) -> u64 {
        if self.ready < words {
            self.extend(words.min(KEPT - 1));
        }
        if let Some(&state) = self.kept.get(words) {
            return state;
        }
        self.deep_state(words)
    }

    /// The state after the last `words >= KEPT` words: run on from the last state computed,
    /// and keep each, so that a walk over every parent of a deep host reads each word once.
    #[cold]
    fn deep_state(&mut self, words: usize) -> u64 {
        let j = words - KEPT;
        let (deep, ready) = self.deep.get_or_insert(([0; DEEP], 0));
        if *ready <= j && j < DEEP {
            let mut state = match *ready {
                0 => self.kept[KEPT - 1],
                ready => deep[ready - 1],
            };
            let unread = self.bytes.len().saturating_sub(8 * (KEPT + *ready - 1));
            let chunks = self.bytes[..unread].rchunks_exact(8);
            for (slot, word) in deep[*ready..=j].iter_mut().zip(chunks) {
                state = mix(state, le_word(word));
                *slot = state;
            }
            *ready = j + 1;
        }
        if let Some(&state) = deep.get(j) {
            return state;
        }
        // Longer than any name: run on from the last kept state.
        let unread = self.bytes.len().saturating_sub(8 * (KEPT - 1));
        let chunks = self.bytes[..unread]
            .rchunks_exact(8)
            .take(words - (KEPT - 1));
        chunks.fold(self.kept[KEPT - 1], |state, word| mix(state, le_word(word)))
    }

    /// Runs the chain on to `words < KEPT` words from the end.
    #[inline]
    fn extend(&mut self, words: usize) {
        let unread = self.bytes.len().saturating_sub(8 * self.ready);
        let mut state = self.kept[self.ready % KEPT];
        let chunks = self.bytes[..unread].rchunks_exact(8);
        for (k, word) in (self.ready + 1..=words).zip(chunks) {
            state = mix(state, le_word(word));
            self.kept[k % KEPT] = state;
        }
        self.ready = words;
    }
}

/// An 8-byte chunk as a little-endian number.
#[inline]
fn le_word(chunk: &[u8]) -> u64 {
    chunk
        .first_chunk::<8>()
        .map_or(0, |word| u64::from_le_bytes(*word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suffix_hashes_as_the_same_text_on_its_own() {
        let hasher = SuffixHasher::default();
        let deep = format!("{}example.com", "a.".repeat(121));
        let longer = "x".repeat(400);
        let hosts = [
            "a.bb.ccc.dddd.eeeee.ffffff.ggggggg.hhhhhhhh.iiiiiiiii.example.com",
            deep.as_str(),
            longer.as_str(),
        ];
        // Longest first and in any order, as the index asks; suffixes past the kept states
        // (a 253-byte name) and past the deep ones (no name is that long).
        for (host, order) in hosts
            .into_iter()
            .flat_map(|host| [(host, false), (host, true)])
        {
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
