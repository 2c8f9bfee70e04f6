//! The table on its own, as tables of cases: entries put in by home slot, then looked up.

use super::*;

/// A tag whose home slot is `home` in a table of `slots` slots, in class 0, and different
/// for each `variant`.
fn tag(slots: usize, home: usize, variant: usize) -> u32 {
    u32::try_from((home + variant * slots.max(1)) << CLASS_BITS).unwrap()
}

/// An entry: (home slot, variant of its tag, key); its value is the key.
type Put = (usize, usize, u32);

struct Case {
    name: &'static str,
    /// Entries the table is made for.
    entries: usize,
    puts: &'static [Put],
    /// (home slot, variant, key, the value found).
    finds: &'static [(usize, usize, u32, Option<u32>)],
}

const CASES: &[Case] = &[
    Case {
        name: "an empty table finds nothing",
        entries: 0,
        puts: &[],
        finds: &[(0, 0, 1, None)],
    },
    Case {
        name: "an entry at its home slot",
        entries: 2,
        puts: &[(1, 0, 10)],
        finds: &[(1, 0, 10, Some(10)), (2, 0, 10, None), (1, 1, 10, None)],
    },
    Case {
        name: "keys with one tag walk on to the next slot",
        entries: 4,
        puts: &[(3, 0, 30), (3, 0, 31), (3, 0, 32)],
        finds: &[
            (3, 0, 30, Some(30)),
            (3, 0, 31, Some(31)),
            (3, 0, 32, Some(32)),
            (3, 0, 33, None),
            // Another home, reached over the entries that took its slot.
            (4, 0, 30, None),
        ],
    },
    Case {
        name: "wrap-around from the last slot to the first",
        // 4 entries: 8 slots; three entries at home 7 take slots 7, 0 and 1.
        entries: 4,
        puts: &[(7, 0, 70), (7, 1, 71), (7, 0, 72), (0, 0, 1)],
        finds: &[
            (7, 0, 70, Some(70)),
            (7, 1, 71, Some(71)),
            (7, 0, 72, Some(72)),
            // Home 0 is taken by a wrapped entry: found at slot 2.
            (0, 0, 1, Some(1)),
            // Misses stop at the first empty slot after the wrap.
            (7, 0, 73, None),
            (7, 2, 70, None),
            (1, 0, 1, None),
        ],
    },
    Case {
        name: "other tags are passed without a key compare",
        entries: 2,
        puts: &[(0, 0, 5), (0, 1, 5)],
        finds: &[(0, 0, 5, Some(5)), (0, 1, 5, Some(5)), (0, 2, 5, None)],
    },
];

/// Puts `case`'s entries with `upsert`, or with `get_or_insert` when `insert_only`.
fn filled(case: &Case, insert_only: bool) -> Table {
    let mut table = Table::with_entries(case.entries);
    let slots = table.capacity();
    for &(home_slot, variant, key) in case.puts {
        let tag = tag(slots, home_slot, variant);
        let same = |value: Value| value.0 == key;
        let old = match insert_only {
            true => table.get_or_insert(tag, same, Value(key)),
            false => table.upsert(tag, same, Value(key)),
        };
        assert_eq!(old, None, "{}: {key} put twice", case.name);
    }
    table
}

fn assert_finds(case: &Case, table: &Table, slots: usize) {
    for &(home_slot, variant, key, want) in case.finds {
        let got = table.find(tag(slots, home_slot, variant), |value| value.0 == key);
        assert_eq!(got.map(|value| value.0), want, "{}: {key}", case.name);
    }
}

#[test]
fn every_case_finds_what_was_put() {
    for case in CASES {
        for insert_only in [false, true] {
            let table = filled(case, insert_only);
            let slots = table.capacity();
            assert!(slots == 0 || slots.is_power_of_two(), "{}", case.name);
            assert!(2 * case.puts.len() <= slots, "{}: half full", case.name);
            assert_finds(case, &table, slots);
        }
    }
}

#[test]
fn the_home_slot_is_the_tag_alone() {
    // (table entries, home slot, variant): the tag's home, masked, is the slot asked for.
    let cases = [(1, 0, 0), (1, 1, 3), (4, 7, 0), (4, 7, 9), (100, 255, 2)];
    for (entries, home_slot, variant) in cases {
        let slots = Table::with_entries(entries).capacity();
        let tag = tag(slots, home_slot, variant);
        assert_eq!(
            home(tag) & (slots - 1),
            home_slot,
            "{entries} {home_slot} {variant}"
        );
    }
    // The same hash in two classes starts at two slots.
    let hash = 0x1234_5678_0000_0000;
    let exact = Class::new(0, Kind::Exact).tag(hash);
    let base = Class::new(0, Kind::Subdomains).tag(hash);
    assert_ne!(home(exact), home(base));
    assert!(Class::is_labels(Class::new(3, Kind::Labels).tag(hash)));
    assert!(!Class::is_labels(base));
}

#[test]
fn upsert_replaces_and_get_or_insert_keeps() {
    let mut table = Table::with_entries(2);
    let tag = tag(table.capacity(), 3, 0);
    let key = |value: Value| value.0 % 100 == 7;
    assert_eq!(table.upsert(tag, key, Value(7)), None);
    assert_eq!(table.upsert(tag, key, Value(107)), Some(Value(7)));
    assert_eq!(table.get_or_insert(tag, key, Value(207)), Some(Value(107)));
    assert_eq!(table.find(tag, key), Some(Value(107)));
    table.map_values(|_, value| Value(value.0 + 100));
    assert_eq!(table.find(tag, key), Some(Value(207)));
}

#[test]
fn shrinking_keeps_every_entry_and_wrapped_ones() {
    for case in CASES {
        let mut table = filled(case, false);
        // Rebuilt from a table made for many more entries, the same entries are found
        // again in the smaller table, where their home slots (and wraps) differ.
        let mut big = Table::with_entries(64);
        let big_slots = big.capacity();
        for &(home_slot, variant, key) in case.puts {
            big.upsert(
                tag(big_slots, home_slot, variant),
                |v| v.0 == key,
                Value(key),
            );
        }
        big.shrink_to_fit();
        table.shrink_to_fit();
        assert_eq!(big.len(), case.puts.len(), "{}", case.name);
        assert!(big.capacity() <= big_slots, "{}", case.name);
        for &(home_slot, variant, key) in case.puts {
            let tag = tag(big_slots, home_slot, variant);
            assert_eq!(
                big.find(tag, |v| v.0 == key),
                Some(Value(key)),
                "{}",
                case.name
            );
        }
        let slots = table.capacity();
        assert_finds(case, &table, slots);
    }
}
