//! hot path: measured with benches/instructions.sh
//!
//! The probe filters: what the keys of the index are like, so that a check skips the
//! probes that cannot hit before hashing.
//!
//! [`Keys`] is a blocked Bloom filter over every `*.` base, each with its (mode, scheme)
//! slot, keyed by a [`fingerprint`] of the key that a check reads
//! from the host with one load (the key's first eight bytes, and its length), so a parent
//! that is no base costs a few instructions instead of its hash and its walk in the table.
//! About 16 bits per base, one set per base: about 6% of the probes for absent keys pass
//! (then the table answers, as without the filter); two bits per base in one word at 8
//! bits per base cost 2–3 instructions more per check for no fewer probes.
//! [`Lengths`] is the coarser set of byte lengths (or label counts) modulo 64 that the
//! exact probe and the label-wildcard probe use: an exact probe's filter costs every exact
//! hit its price, and with this Bloom filter on the exact probe too (keyed by the
//! fingerprint or by the host's hash) the realistic workload's hits cost 10–37 instructions
//! more for 40–60 fewer on misses at 1,000 rules (BENCHMARKS.md, issue 26).

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

/// A fingerprint of `bytes[start..]`, the same for the same text whatever comes before it
/// (so a parent domain read inside its host has its key's fingerprint): its length and its
/// first eight bytes, or all of it when shorter.
#[inline(always)]
pub(super) fn fingerprint(bytes: &[u8], start: usize) -> u64 {
    let len = bytes.len().saturating_sub(start);
    let text = match bytes.get(start..).and_then(<[u8]>::first_chunk::<8>) {
        Some(first) => u64::from_le_bytes(*first),
        // Shorter: its bytes are the last `len` of the string.
        None => match bytes.last_chunk::<8>() {
            Some(last) => u64::from_le_bytes(*last)
                .checked_shr(8 * (8 - len as u32))
                .unwrap_or(0),
            None => bytes
                .iter()
                .skip(start)
                .enumerate()
                .fold(0, |word, (at, &byte)| word | u64::from(byte) << (8 * at)),
        },
    };
    // The length spread over every bit: in the top byte alone, `abcdefgh` + 1 byte would
    // meet `abcdefgi`.
    text ^ (len as u64).wrapping_mul(LENGTH)
}

/// Odd constants (digits of pi, e and the golden ratio): the spread of a fingerprint, the
/// mix of a slot and of a length.
const SPREAD: u64 = 0xa409_3822_299f_31d1;
const CLASS: u64 = 0x2b7e_1516_28ae_d2a7;
const LENGTH: u64 = 0x9e37_79b9_7f4a_7c15;

/// A blocked Bloom filter of the `*.` bases of every (mode, scheme) slot; see the module.
/// Empty (and allocating nothing) for an index without such bases.
#[derive(Debug, Default)]
pub(super) struct Keys {
    /// A power of two of words, or none.
    words: Box<[u64]>,
}

impl Keys {
    /// Room for about `keys` keys at 16 bits each.
    pub(super) fn with_room(keys: usize) -> Keys {
        if keys == 0 {
            return Keys::default();
        }
        Keys {
            words: vec![0; keys.div_ceil(4).next_power_of_two()].into_boxed_slice(),
        }
    }

    /// The word and the bit of `print` for keys of slot `slot`.
    #[inline(always)]
    fn place(&self, slot: usize, print: u64) -> (usize, u64) {
        let full = u128::from(print ^ (slot as u64).wrapping_mul(CLASS)) * u128::from(SPREAD);
        let spread = (full as u64) ^ ((full >> 64) as u64);
        let word = (spread >> 12) as usize & self.words.len().wrapping_sub(1);
        (word, 1 << (spread & 63))
    }

    pub(super) fn insert(&mut self, slot: usize, print: u64) {
        let (word, bits) = self.place(slot, print);
        if let Some(word) = self.words.get_mut(word) {
            *word |= bits;
        }
    }

    /// Whether a key of slot `slot` whose fingerprint is `print` may be in the index:
    /// false only when it is not.
    #[inline(always)]
    pub(super) fn may_contain(&self, slot: usize, print: u64) -> bool {
        let (word, bits) = self.place(slot, print);
        self.words
            .get(word)
            .is_some_and(|&word| word & bits == bits)
    }
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

    #[test]
    fn a_suffix_has_the_fingerprint_of_the_same_text_alone() {
        let hosts = [
            "a.b",
            "ab.com",
            "shop42.io",
            "x.shop42.io",
            "eu-west-1.shop42.example.com",
            "a.bb.ccc.dddd.eeeee.ffffff.ggggggg.hhhhhhhh.iiiiiiiii.example.com",
        ];
        for host in hosts {
            for start in 0..=host.len() {
                let alone = fingerprint(&host.as_bytes()[start..], 0);
                assert_eq!(
                    fingerprint(host.as_bytes(), start),
                    alone,
                    "{}",
                    &host[start..]
                );
            }
        }
    }

    #[test]
    fn fingerprints_tell_apart_texts_that_differ_in_length_or_first_bytes() {
        let texts = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "a.com",
            "b.com",
            "abcdefgh",
            "abcdefgi",
            "xabcdefgh",
            "abcdefghi",
            "shop42.io",
            "shop43.io",
        ];
        let mut seen = std::collections::HashSet::new();
        for text in texts {
            assert!(seen.insert(fingerprint(text.as_bytes(), 0)), "{text}");
        }
    }

    #[test]
    fn keys_are_found_in_their_slot() {
        // (inserted as (slot, key), probed as (slot, key), may contain)
        type Key = (usize, &'static str);
        let cases: &[(&[Key], Key, bool)] = &[
            (&[], (0, "a.com"), false),
            (&[(0, "a.com")], (0, "a.com"), true),
            (&[(3, "shop42.io")], (3, "shop42.io"), true),
            (&[(3, "shop42.io"), (3, "b.co")], (3, "b.co"), true),
            (
                &[(1, "eu-west-1.shop42.example.com")],
                (1, "eu-west-1.shop42.example.com"),
                true,
            ),
        ];
        for &(inserted, probed, want) in cases {
            let mut keys = Keys::with_room(inserted.len());
            for &(slot, key) in inserted {
                keys.insert(slot, fingerprint(key.as_bytes(), 0));
            }
            let (slot, key) = probed;
            let found = keys.may_contain(slot, fingerprint(key.as_bytes(), 0));
            assert_eq!(found, want, "{inserted:?} {probed:?}");
        }
    }

    #[test]
    fn absent_keys_pass_rarely() {
        // 1,000 keys in slot 0; other texts and other slots mostly fail.
        let key = |i: usize| format!("s{i}.example{}.com", i % 7);
        let mut keys = Keys::with_room(1_000);
        for i in 0..1_000 {
            keys.insert(0, fingerprint(key(i).as_bytes(), 0));
        }
        for i in 0..1_000 {
            assert!(
                keys.may_contain(0, fingerprint(key(i).as_bytes(), 0)),
                "{i}"
            );
        }
        let passed = |probes: &mut dyn Iterator<Item = (usize, String)>| {
            probes
                .filter(|(slot, text)| keys.may_contain(*slot, fingerprint(text.as_bytes(), 0)))
                .count()
        };
        let other_texts = passed(&mut (1_000..11_000).map(|i| (0, key(i))));
        let other_slots = passed(&mut (0..9_000).map(|i| (1 + i % 3, key(i % 1_000))));
        // About 6% at 16 bits per key; well under 10%.
        assert!(other_texts < 1_000, "{other_texts}");
        assert!(other_slots < 900, "{other_slots}");
    }

    #[test]
    fn an_empty_filter_holds_nothing_and_allocates_nothing() {
        let keys = Keys::with_room(0);
        assert!(keys.words.is_empty());
        assert!(!keys.may_contain(0, fingerprint(b"a.com", 0)));
    }
}
