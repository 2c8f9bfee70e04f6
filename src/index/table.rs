//! hot path: measured with benches/instructions.sh
//!
//! The open-addressing table of the index: 8-byte slots of a 32-bit tag and a 32-bit value.
//!
//! Invariants (checked by `debug_assert!`s and by the unit tests below):
//!
//! 1. The length is 0 or a power of two, and at most half the slots are full, so a probe
//!    always reaches an empty slot.
//! 2. A slot is empty exactly when its value is [`Value::EMPTY`]; a full slot's value is
//!    never it.
//! 3. An entry sits at its home slot ([`home`] of its tag, masked) or after it, with no
//!    empty slot between (linear probing, wrapping from the last slot to the first; nothing
//!    is ever removed).
//! 4. The tag holds the entry's class in its low [`CLASS_BITS`] and 28 bits of its key's
//!    hash above; the home slot depends on the tag alone, so the table can be rebuilt
//!    smaller ([`Table::shrink_to_fit`]) without hashing a key again.
//!
//! # Why it is written by hand
//!
//! `hashbrown::HashTable` (the index before `f98b181`, see BENCHMARKS.md round 2) stores
//! what we store, a `u32`, plus one control byte of 7 hash bits per bucket: 5 bytes per
//! bucket at up to 7/8 full. Its probe compares the 7 bits and then must call the equality
//! closure, which loads the rule (32 bytes) and its text: two dependent cache misses for
//! about one candidate in 8 of a 16-slot group, and for every entry of another class, since
//! the class (mode, scheme, kind) would have to live in the rule, not in the table. Putting
//! our 28-bit tag beside the value (`HashTable<(u32, u32)>`) costs 9 bytes per bucket, more
//! than the 8 here, and growing or shrinking it calls the hasher on every entry, which
//! reads every rule's key again. The tagged table rejects other classes and almost every
//! other key on the slot alone: with it a hit reads three cache lines (slot, rule, text)
//! instead of about seven, and at 100k rules it took 834 instructions per hit and 705 per
//! miss against 908 and 737 with `hashbrown` (BENCHMARKS.md round 2, `f09e1a3` against
//! `9736b8c`), at 16 bytes per entry at the worst (half full) and about 21 per rule at
//! 100k (a third full). A SIMD group probe does not pay at these loads: a miss walks about
//! two slots.

use super::id::RuleId;
use super::work;

/// The low bits of a tag that hold the entry's class.
pub(super) const CLASS_BITS: u32 = 4;

/// What a key names, besides its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// An exact host.
    Exact,
    /// The base of `*.base`.
    Subdomains,
    /// The base of a group of label wildcards.
    Labels,
}

/// An entry's class: its (mode, scheme) slot and kind, in the low [`CLASS_BITS`] of its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Class(u32);

impl Class {
    /// The class of `kind` in (mode, scheme) slot `slot` (below 4: two modes, two schemes).
    pub(super) fn new(slot: usize, kind: Kind) -> Class {
        debug_assert!(slot < 4, "two modes and two schemes");
        let kind = match kind {
            Kind::Exact => 0,
            Kind::Subdomains => 1,
            Kind::Labels => 2,
        };
        let slot = match slot {
            0 => 0,
            1 => 1,
            2 => 2,
            _ => 3,
        };
        Class(kind << 2 | slot)
    }

    /// Whether an entry's tag is of a label-wildcard group.
    pub(super) fn is_labels(tag: u32) -> bool {
        tag >> 2 & 0b11 == 2
    }

    /// The slot's tag for a key of this class that hashes to `hash`: its high 28 bits.
    #[inline]
    pub(super) fn tag(self, hash: u64) -> u32 {
        let [.., a, b, c, d] = hash.to_le_bytes();
        u32::from_le_bytes([a, b, c, d]) << CLASS_BITS | self.0
    }
}

/// Where the probe for `tag` starts, before masking: the hash bits of the tag, moved per
/// class so that the same key in several classes starts at different slots.
#[inline]
pub(super) fn home(tag: u32) -> usize {
    let class = tag & ((1 << CLASS_BITS) - 1);
    ((tag >> CLASS_BITS) ^ class.wrapping_mul(0x9e37_79b9)) as usize
}

/// A slot's value: a rule, a run or a group number, or empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Value(pub(super) u32);

impl Value {
    /// The value of an empty slot.
    pub(super) const EMPTY: Value = Value(u32::MAX);
}

/// One slot.
#[derive(Debug, Clone, Copy)]
struct Slot {
    tag: u32,
    value: Value,
}

const EMPTY: Slot = Slot {
    tag: 0,
    value: Value::EMPTY,
};

/// The open-addressing table of an index.
#[derive(Debug, Default)]
pub(super) struct Table {
    /// A power of two in length, at most half full; empty when there is nothing to key.
    slots: Box<[Slot]>,
}

impl Table {
    /// A table for `entries` entries.
    pub(super) fn with_entries(entries: usize) -> Table {
        let slots = match entries {
            0 => 0,
            n => (2 * n).next_power_of_two(),
        };
        Table {
            slots: vec![EMPTY; slots].into_boxed_slice(),
        }
    }

    /// The value of the entry with `tag` for which `same` holds, walking from its home slot
    /// to the first empty one. The table is never full, so the walk ends there, and it is
    /// bounded by the table's length in any case.
    #[inline(always)]
    pub(super) fn find(&self, tag: u32, mut same: impl FnMut(Value) -> bool) -> Option<Value> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = home(tag) & mask;
        for _ in 0..self.slots.len() {
            work::count(1);
            let slot = self.slots[at];
            if slot.value == Value::EMPTY {
                return None;
            }
            if slot.tag == tag && same(slot.value) {
                return Some(slot.value);
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// The index of the slot of the entry with `tag` for which `same` holds, or of the empty
    /// slot where it belongs.
    fn position(&self, tag: u32, mut same: impl FnMut(Value) -> bool) -> usize {
        debug_assert!(self.slots.len().is_power_of_two(), "invariant 1");
        let mask = self.slots.len() - 1;
        let mut at = home(tag) & mask;
        loop {
            let slot = self.slots[at];
            if slot.value == Value::EMPTY || (slot.tag == tag && same(slot.value)) {
                return at;
            }
            at = (at + 1) & mask;
        }
    }

    /// Sets the value of the entry with `tag` for which `same` holds to `value`, adding the
    /// entry if there is none. Returns the value it had.
    pub(super) fn upsert(
        &mut self,
        tag: u32,
        same: impl FnMut(Value) -> bool,
        value: Value,
    ) -> Option<Value> {
        debug_assert_ne!(value, Value::EMPTY, "invariant 2");
        let at = self.position(tag, same);
        let slot = &mut self.slots[at];
        let old = slot.value;
        *slot = Slot { tag, value };
        (old != Value::EMPTY).then_some(old)
    }

    /// The value of the entry with `tag` for which `same` holds, or `value` added as a new
    /// entry (then `None`).
    pub(super) fn get_or_insert(
        &mut self,
        tag: u32,
        same: impl FnMut(Value) -> bool,
        value: Value,
    ) -> Option<Value> {
        debug_assert_ne!(value, Value::EMPTY, "invariant 2");
        let at = self.position(tag, same);
        let slot = &mut self.slots[at];
        if slot.value != Value::EMPTY {
            return Some(slot.value);
        }
        *slot = Slot { tag, value };
        None
    }

    /// Replaces the value of every entry by `f(tag, value)`.
    pub(super) fn map_values(&mut self, mut f: impl FnMut(u32, Value) -> Value) {
        for slot in self.slots.iter_mut() {
            if slot.value != Value::EMPTY {
                slot.value = f(slot.tag, slot.value);
                debug_assert_ne!(slot.value, Value::EMPTY, "invariant 2");
            }
        }
    }

    fn len(&self) -> usize {
        self.slots
            .iter()
            .filter(|slot| slot.value != Value::EMPTY)
            .count()
    }

    /// The same entries in the smallest table that holds them; no key is hashed again.
    pub(super) fn shrink_to_fit(&mut self) {
        let len = self.len();
        debug_assert!(2 * len <= self.slots.len(), "invariant 1");
        let mut smaller = Table::with_entries(len);
        if smaller.slots.len() >= self.slots.len() {
            return;
        }
        for &slot in self.slots.iter().filter(|slot| slot.value != Value::EMPTY) {
            let at = smaller.position(slot.tag, |_| false);
            smaller.slots[at] = slot;
        }
        *self = smaller;
    }

    /// The number of slots.
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.slots.len()
    }
}

/// A rule as a slot's value.
impl From<RuleId> for Value {
    fn from(rule: RuleId) -> Value {
        Value(rule.get())
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
