//! The compiled index: one open-addressing table from (mode, scheme, kind, host key) to the
//! rules keyed by it.
//!
//! An exact rule is keyed by its host, a wildcard rule by its base. A check probes the
//! origin's host for exact rules, then each parent domain, longest first, for wildcard
//! rules: at most one probe per label, whatever the number of rules. Parents with more
//! labels than the longest wildcard base of the (mode, scheme), or fewer than the shortest,
//! are not probed at all, and neither is a key length that no key of its kind has (a
//! 64-bit mask of lengths modulo 64). The first hit is the most specific rule, so the walk
//! can stop there.
//!
//! Label wildcards (`pr-*.base`) of one (mode, scheme, base) form a group, keyed in the
//! same table by its base, whose patterns are a prefix trie with suffix tries in
//! [`LabelWildcards`], built in time linear in their bytes. Only a policy that has label
//! wildcards probes for a group, once, with the origin's parent domain (a label wildcard
//! matches hosts with exactly one label more than its base), and only when a base of that
//! byte length and label count exists. A label wildcard on the parent beats every
//! whole-label wildcard that can match the same host (their bases are the parent or
//! shorter), so a hit there ends the walk too. See [`crate::label_wildcard`].
//!
//! Layout, for memory and for the probe path: each slot of the table is 8 bytes, a 32-bit
//! tag and a 32-bit value. The tag holds 28 bits of the key's hash and the entry's class
//! (mode, scheme, and exact, wildcard or label-wildcard), so a probe rejects every entry of
//! another class and almost every other key without reading a rule. The value is the rule;
//! rules that share a key and class (the same host on several ports) are one slot pointing
//! at a run of rule indices, oldest first, so the run decides by port in one forward scan.
//! Key bytes are never stored again: a candidate is compared with its rule's own key, a
//! range of the rule's canonical text ([`Rule::key_bytes`]). The table's size is a power of
//! two at most half full (a miss walks about two slots; at 3/4 a check at 100,000 rules
//! cost 20–30 instructions more, for 10 bytes less per rule), with linear probing from a
//! home slot that the tag alone decides, so the table can be rebuilt smaller without
//! hashing a key again. A policy without rules allocates nothing here.
//!
//! The parser hands over where the host's dots are ([`Dots`](crate::dots::Dots)), so the
//! walk never searches the host for them, and the hashes of the host and of its parents
//! come from one right-to-left pass ([`Suffixes`]).
//!
//! Hashing is [`crate::suffix_hash`], a fast non-cryptographic hash with a per-process
//! random seed. HashDoS is not a concern: every key in the table comes from the trusted
//! policy, and an attacker-chosen origin only *probes* (a bounded number of lookups, one
//! per label of a name of at most 253 bytes); it never inserts, so it cannot build
//! colliding chains.

use crate::host::HostKind;
use crate::label_wildcard::LabelWildcards;
use crate::mode::Mode;
use crate::origin::Origin;
use crate::public_suffix::{self, BelowBase};
use crate::rule::{Rule, RuleIndex, Shape};
use crate::scheme::Scheme;
use crate::suffix_hash::{SuffixHasher, Suffixes};

/// No rule, an empty slot, the end of a run.
const NONE: u32 = u32::MAX;

/// Set in a slot's value when it is the start of a run in [`Index::runs`] rather than a
/// rule.
const RUN: u32 = 1 << 31;

/// Why [`Index::lookup`] found no rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Miss {
    /// No rule fits the origin.
    NoRule,
    /// A wildcard fits, but the host lies under a public suffix longer than its base.
    BeyondPublicSuffix,
}

/// What a key names, besides its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An exact host.
    Exact,
    /// The base of `*.base`.
    Subdomains,
    /// The base of a group of label wildcards.
    Labels,
}

/// An entry's class: its (mode, scheme) slot and kind, in the low [`CLASS_BITS`] of its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Class(u32);

const CLASS_BITS: u32 = 4;

impl Class {
    fn new(slot: usize, kind: Kind) -> Class {
        let kind = match kind {
            Kind::Exact => 0,
            Kind::Subdomains => 1,
            Kind::Labels => 2,
        };
        // `slot` is below 4 (two modes, two schemes).
        Class(kind << 2 | (slot as u32 & 3))
    }

    /// Whether an entry's tag is of a label-wildcard group.
    fn is_labels(tag: u32) -> bool {
        tag >> 2 & 0b11 == 2
    }

    /// The slot's tag for a key of this class that hashes to `hash`.
    #[inline]
    fn tag(self, hash: u64) -> u32 {
        ((hash >> 32) as u32) << CLASS_BITS | self.0
    }
}

/// Where the probe for `tag` starts, before masking: the hash bits of the tag, moved per
/// class so that the same key in several classes starts at different slots.
#[inline]
fn home(tag: u32) -> usize {
    let class = tag & ((1 << CLASS_BITS) - 1);
    ((tag >> CLASS_BITS) ^ class.wrapping_mul(0x9e37_79b9)) as usize
}

/// One slot: `value` is [`NONE`] when empty.
#[derive(Debug, Clone, Copy)]
struct Slot {
    tag: u32,
    value: u32,
}

const EMPTY: Slot = Slot {
    tag: 0,
    value: NONE,
};

/// The open-addressing table of an index.
#[derive(Debug, Default)]
struct Table {
    /// A power of two in length, at most half full; empty when there is nothing to key.
    slots: Box<[Slot]>,
}

impl Table {
    /// A table for `entries` entries.
    fn with_entries(entries: usize) -> Table {
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
    fn find(&self, tag: u32, mut same: impl FnMut(u32) -> bool) -> Option<u32> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = home(tag) & mask;
        for _ in 0..self.slots.len() {
            let slot = self.slots[at];
            if slot.value == NONE {
                return None;
            }
            if slot.tag == tag && same(slot.value) {
                return Some(slot.value);
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// The slot of the entry with `tag` for which `same` holds, or the empty slot where it
    /// belongs.
    fn slot_for(&mut self, tag: u32, mut same: impl FnMut(u32) -> bool) -> &mut Slot {
        let mask = self.slots.len() - 1;
        let mut at = home(tag) & mask;
        loop {
            let slot = self.slots[at];
            if slot.value == NONE || (slot.tag == tag && same(slot.value)) {
                return &mut self.slots[at];
            }
            at = (at + 1) & mask;
        }
    }

    fn len(&self) -> usize {
        self.slots.iter().filter(|slot| slot.value != NONE).count()
    }

    /// The same entries in the smallest table that holds them; no key is hashed again.
    fn shrink_to_fit(&mut self) {
        let mut smaller = Table::with_entries(self.len());
        if smaller.slots.len() >= self.slots.len() {
            return;
        }
        for &slot in self.slots.iter().filter(|slot| slot.value != NONE) {
            *smaller.slot_for(slot.tag, |_| false) = slot;
        }
        *self = smaller;
    }
}

/// A set of lengths, modulo 64: a probe for a length that no key has is skipped before
/// hashing.
#[derive(Debug, Default, Clone, Copy)]
struct Lengths(u64);

impl Lengths {
    fn insert(&mut self, len: usize) {
        self.0 |= 1 << (len % 64);
    }

    #[inline]
    fn may_contain(self, len: usize) -> bool {
        self.0 >> (len % 64) & 1 != 0
    }
}

/// What the keys of one (mode, scheme) are like, for skipping probes.
#[derive(Debug, Default, Clone, Copy)]
struct Filter {
    /// Byte lengths of exact keys, and of `*.` bases.
    exact: Lengths,
    bases: Lengths,
}

#[derive(Debug)]
pub(crate) struct Index {
    table: Table,
    /// The runs of rules that share a slot, each oldest first and ended by [`NONE`].
    runs: Box<[RuleIndex]>,
    /// Per (mode, scheme) slot.
    filters: [Filter; 4],
    /// The fewest and most labels of a `*.` base, per slot; `max_base == 0` when there is
    /// no such wildcard.
    min_base: [u8; 4],
    max_base: [u8; 4],
    hasher: SuffixHasher,
    /// Only when the policy has label wildcards.
    labels: Option<Box<Labels>>,
}

/// The label wildcards of an index.
#[derive(Debug, Default)]
struct Labels {
    /// By group (a slot's value): one member, whose base is the group's key, and the root
    /// of the group's prefix trie in `tries`.
    groups: Vec<Group>,
    tries: LabelWildcards,
    /// Per (mode, scheme) slot: the byte lengths and label counts (modulo 64) of bases.
    base_lengths: [Lengths; 4],
    base_labels: [Lengths; 4],
}

#[derive(Debug)]
struct Group {
    member: RuleIndex,
    root: u32,
}

fn slot(mode: Mode, scheme: Scheme) -> usize {
    mode.slot() * 2 + scheme.slot()
}

fn kind(rule: &Rule) -> Kind {
    match rule.shape() {
        Shape::Domain | Shape::Ipv4 | Shape::Ipv6 => Kind::Exact,
        Shape::Subdomains => Kind::Subdomains,
        Shape::LabelWildcard => Kind::Labels,
    }
}

fn label_count(name: &[u8]) -> usize {
    name.iter().filter(|&&b| b == b'.').count() + 1
}

/// A rule or group number as a `u32` below [`RUN`]: a policy of 2^31 rules would not fit in
/// memory anyway.
fn id(n: usize) -> u32 {
    u32::try_from(n)
        .ok()
        .filter(|&n| n < RUN)
        .expect("fewer than 2^31 rules")
}

impl Index {
    /// The index of `rules` (both modes, in the order of [`RuleIndex`]): linear in their
    /// number and bytes.
    pub(crate) fn build(rules: &[Rule]) -> Index {
        let hasher = SuffixHasher::default();
        let mut table = Table::with_entries(rules.len());
        let mut filters = [Filter::default(); 4];
        let (mut min_base, mut max_base) = ([u8::MAX; 4], [0u8; 4]);
        // While building: per rule, the next older rule of its slot or group, or NONE.
        let mut older = vec![NONE; rules.len()];
        let mut labels: Option<Box<Labels>> = None;
        let mut chained = false;
        for (at, rule) in rules.iter().enumerate() {
            let this = id(at);
            let key = rule.key_bytes();
            let slot = slot(rule.mode(), rule.scheme());
            let kind = kind(rule);
            let tag = Class::new(slot, kind).tag(hasher.hash(key));
            let groups = labels.as_ref().map(|labels| &labels.groups);
            let head_of = |value: u32| match kind {
                Kind::Labels => groups.map_or(NONE, |groups| groups[value as usize].member),
                _ => value,
            };
            let entry = table.slot_for(tag, |value| {
                rules[head_of(value) as usize].key_bytes() == key
            });
            match kind {
                Kind::Exact | Kind::Subdomains => {
                    if entry.value == NONE {
                        *entry = Slot { tag, value: this };
                    } else {
                        older[at] = entry.value;
                        entry.value = this;
                        chained = true;
                    }
                    if kind == Kind::Exact {
                        filters[slot].exact.insert(key.len());
                    } else {
                        filters[slot].bases.insert(key.len());
                        let count = u8::try_from(label_count(key)).unwrap_or(u8::MAX);
                        min_base[slot] = min_base[slot].min(count);
                        max_base[slot] = max_base[slot].max(count);
                    }
                }
                Kind::Labels => {
                    let labels = labels.get_or_insert_with(Default::default);
                    if entry.value == NONE {
                        *entry = Slot {
                            tag,
                            value: id(labels.groups.len()),
                        };
                        labels.groups.push(Group {
                            member: this,
                            root: NONE,
                        });
                    } else {
                        let group = &mut labels.groups[entry.value as usize];
                        older[at] = group.member;
                        group.member = this;
                    }
                    labels.base_lengths[slot].insert(key.len());
                    labels.base_labels[slot].insert(label_count(key));
                }
            }
        }
        let runs = match chained {
            true => Self::runs(&mut table, &older),
            false => Box::default(),
        };
        if let Some(labels) = &mut labels {
            for group in &mut labels.groups {
                let mut member = group.member;
                let members = std::iter::from_fn(|| {
                    let this = member;
                    (this != NONE).then(|| {
                        member = older[this as usize];
                        this
                    })
                });
                group.root = labels.tries.add_group(rules, members);
            }
            labels.groups.shrink_to_fit();
            labels.tries.shrink_to_fit();
        }
        table.shrink_to_fit();
        Index {
            table,
            runs,
            filters,
            min_base,
            max_base,
            hasher,
            labels,
        }
    }

    /// Turns every slot that several rules share into a run, oldest first, and returns the
    /// runs. `older` chains each rule to the next older one of its slot.
    fn runs(table: &mut Table, older: &[RuleIndex]) -> Box<[RuleIndex]> {
        let mut runs = Vec::new();
        for slot in table.slots.iter_mut() {
            // Label-wildcard groups keep their members in tries; their heads chain too,
            // but their values are group numbers, so only rule values are looked at here.
            let head = slot.value;
            if head == NONE || Class::is_labels(slot.tag) {
                continue;
            }
            if older[head as usize] == NONE {
                continue;
            }
            let start = runs.len();
            let mut at = head;
            while at != NONE {
                runs.push(at);
                at = older[at as usize];
            }
            runs[start..].reverse();
            runs.push(NONE);
            slot.value = RUN | id(start);
        }
        runs.into_boxed_slice()
    }

    /// A wildcard over a base of `base_len` bytes that fits `host` decides the lookup: the
    /// first one found is the most specific, and if `host` lies beyond the public-suffix
    /// boundary of its base it does so for every shorter base too. Most bases have no rule
    /// of the List below them, so the build already knows the answer
    /// ([`BelowBase`]) and only the others cost a List lookup. A policy that ignores the
    /// boundary has every rule [`BelowBase::Within`].
    #[inline]
    fn wildcard_hit(
        rules: &[Rule],
        host: &str,
        base_len: usize,
        rule: RuleIndex,
    ) -> Result<RuleIndex, Miss> {
        let within = match rules.get(rule as usize).map(Rule::below_base) {
            Some(BelowBase::Within) => true,
            Some(BelowBase::Beyond) | None => false,
            Some(BelowBase::Lookup) => public_suffix::within_owner(host, base_len),
        };
        match within {
            true => Ok(rule),
            false => Err(Miss::BeyondPublicSuffix),
        }
    }

    /// The first rule of a slot's value: the rule itself, or the first of its run.
    #[inline]
    fn first_rule(&self, value: u32) -> RuleIndex {
        match value & RUN {
            0 => value,
            _ => self
                .runs
                .get((value & !RUN) as usize)
                .copied()
                .unwrap_or(NONE),
        }
    }

    /// The rule keyed by `key` (whose hash is `hash`) in `class` that allows `port`: a rule
    /// for exactly this port beats `*`, and among equal rules the first added wins. Inlined
    /// into the walk, where the call cost a quarter of the probe.
    #[inline(always)]
    fn find(
        &self,
        rules: &[Rule],
        class: Class,
        key: &[u8],
        hash: u64,
        port: u16,
    ) -> Option<RuleIndex> {
        let value = self.table.find(class.tag(hash), |value| {
            rules
                .get(self.first_rule(value) as usize)
                .is_some_and(|rule| rule.key_bytes() == key)
        })?;
        if value & RUN == 0 {
            let rule = rules.get(value as usize)?;
            return (rule.is_on_port(port) || rule.is_on_any_port()).then_some(value);
        }
        let run = self.runs.get((value & !RUN) as usize..)?;
        let mut any = None;
        for &at in run.iter().take_while(|&&at| at != NONE) {
            let rule = rules.get(at as usize)?;
            if rule.is_on_port(port) {
                return Some(at);
            }
            if any.is_none() && rule.is_on_any_port() {
                any = Some(at);
            }
        }
        any
    }

    /// The best label wildcard of `slot` on `parent`, the parent domain of a host whose
    /// first label is `label`, that allows `port`.
    #[inline]
    fn find_label_wildcard(
        &self,
        labels: &Labels,
        rules: &[Rule],
        slot: usize,
        (label, parent): (&str, &str),
        hash: u64,
        port: u16,
    ) -> Option<RuleIndex> {
        let tag = Class::new(slot, Kind::Labels).tag(hash);
        let group = self.table.find(tag, |group| {
            labels
                .groups
                .get(group as usize)
                .and_then(|group| rules.get(group.member as usize))
                .is_some_and(|rule| rule.key_bytes() == parent.as_bytes())
        })?;
        let root = labels.groups.get(group as usize)?.root;
        labels.tries.best(root, rules, label, port)
    }

    /// The most specific rule of `mode` that allows `origin`, as an index into `rules` (the
    /// policy's rules of both modes).
    pub(crate) fn lookup(
        &self,
        mode: Mode,
        rules: &[Rule],
        origin: &Origin<'_>,
    ) -> Result<RuleIndex, Miss> {
        let slot = slot(mode, origin.scheme());
        let filter = self.filters[slot];
        let host = origin.host();
        let port = origin.port();
        let mut suffixes = Suffixes::new(self.hasher, host.as_bytes());
        if filter.exact.may_contain(host.len()) {
            let hash = suffixes.hash_from(0);
            let class = Class::new(slot, Kind::Exact);
            if let Some(rule) = self.find(rules, class, host.as_bytes(), hash, port) {
                return Ok(rule);
            }
        }
        if origin.host_kind() != HostKind::Domain {
            return Err(Miss::NoRule);
        }
        let dots = origin.dots();
        let count = dots.labels();
        if let (Some(labels), Some(first_dot)) = (self.labels.as_deref(), dots.first()) {
            // A label wildcard's host has one label more than its base.
            let parent = &host[first_dot + 1..];
            if labels.base_labels[slot].may_contain(count - 1)
                && labels.base_lengths[slot].may_contain(parent.len())
            {
                let hash = suffixes.hash_from(first_dot + 1);
                let split = (&host[..first_dot], parent);
                if let Some(rule) = self.find_label_wildcard(labels, rules, slot, split, hash, port)
                {
                    return Self::wildcard_hit(rules, host, parent.len(), rule);
                }
            }
        }
        // Parents longest first, only with as many labels as some base has.
        let longest = usize::from(self.max_base[slot]).min(count - 1);
        let class = Class::new(slot, Kind::Subdomains);
        for labels in (usize::from(self.min_base[slot]).max(1)..=longest).rev() {
            let start = dots.suffix_start(host, labels);
            let parent = host.as_bytes().get(start..).unwrap_or_default();
            if !filter.bases.may_contain(parent.len()) {
                continue;
            }
            let hash = suffixes.hash_from(start);
            if let Some(rule) = self.find(rules, class, parent, hash, port) {
                return Self::wildcard_hit(rules, host, parent.len(), rule);
            }
        }
        Err(Miss::NoRule)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Mode, Origin, Policy};

    fn rule_of(policy: &Policy, mode: Mode, origin: &str) -> Option<usize> {
        let origin = Origin::parse(origin).unwrap();
        policy.decide(mode, &origin).rule().map(|rule| rule.index())
    }

    #[test]
    fn chains_prefer_the_exact_port_then_the_first_added() {
        let policy = Policy::builder()
            .allow(Mode::Test, "https://a.example.com:*")
            .allow(Mode::Test, "https://a.example.com:8443")
            .allow(Mode::Test, "https://a.example.com:*")
            .allow(Mode::Test, "https://a.example.com:8443")
            .allow(Mode::Test, "https://a.example.com")
            .allow(Mode::Test, "https://*.example.com:9000")
            .allow(Mode::Test, "https://*.example.com:*")
            .build()
            .unwrap();
        assert_eq!(
            rule_of(&policy, Mode::Test, "https://a.example.com:8443"),
            Some(1)
        );
        assert_eq!(
            rule_of(&policy, Mode::Test, "https://a.example.com"),
            Some(4)
        );
        assert_eq!(
            rule_of(&policy, Mode::Test, "https://a.example.com:1"),
            Some(0)
        );
        assert_eq!(
            rule_of(&policy, Mode::Test, "https://b.example.com:9000"),
            Some(5)
        );
        assert_eq!(
            rule_of(&policy, Mode::Test, "https://b.example.com:1"),
            Some(6)
        );
        assert_eq!(rule_of(&policy, Mode::Test, "https://example.com:1"), None);
        assert_eq!(rule_of(&policy, Mode::Live, "https://a.example.com"), None);
    }

    #[test]
    fn the_walk_covers_every_base_length_and_skips_the_rest() {
        let policy = Policy::builder()
            .allow(Mode::Live, "https://*.short.com")
            .allow(Mode::Live, "https://*.a.b.long.com")
            .allow(Mode::Live, "https://x.y.z.short.com")
            .build()
            .unwrap();
        let hit = |origin| rule_of(&policy, Mode::Live, origin);
        assert_eq!(hit("https://q.short.com"), Some(0));
        assert_eq!(hit("https://p.q.r.s.t.short.com"), Some(0));
        assert_eq!(hit("https://x.y.z.short.com"), Some(2));
        assert_eq!(hit("https://w.x.y.z.short.com"), Some(0));
        assert_eq!(hit("https://c.a.b.long.com"), Some(1));
        assert_eq!(hit("https://d.c.a.b.long.com"), Some(1));
        assert_eq!(hit("https://a.b.long.com"), None);
        assert_eq!(hit("https://b.long.com"), None);
        assert_eq!(hit("https://xshort.com"), None);
        assert_eq!(hit("https://short.com"), None);
    }

    #[test]
    fn ip_hosts_are_keyed_by_their_canonical_text() {
        let policy = Policy::builder()
            .allow(Mode::Test, "http://[::1]:3000")
            .allow(Mode::Test, "http://[0:0::1]")
            .allow(Mode::Test, "http://127.0.0.1:*")
            .build()
            .unwrap();
        assert_eq!(rule_of(&policy, Mode::Test, "http://[::1]:3000"), Some(0));
        assert_eq!(rule_of(&policy, Mode::Test, "http://[::1]"), Some(1));
        assert_eq!(rule_of(&policy, Mode::Test, "http://127.1:8080"), Some(2));
        assert_eq!(rule_of(&policy, Mode::Test, "http://[::2]"), None);
        assert_eq!(policy.rules(Mode::Test)[1].entry(), "http://[0:0::1]");
        assert_eq!(policy.rules(Mode::Test)[1].as_str(), "http://[::1]");
        assert_eq!(policy.rules(Mode::Test)[0].entry(), "http://[::1]:3000");
    }

    #[test]
    fn the_same_key_in_every_mode_scheme_and_kind_is_kept_apart() {
        let policy = Policy::builder()
            .allow(Mode::Live, "https://example.com")
            .allow(Mode::Live, "https://*.example.com")
            .allow(Mode::Live, "https://pr-*.example.com")
            .allow(Mode::Test, "http://example.com:*")
            .allow(Mode::Test, "http://*.example.com:8080")
            .allow(Mode::Test, "https://pr-*.example.com:*")
            .build()
            .unwrap();
        let live = |origin| rule_of(&policy, Mode::Live, origin);
        let test = |origin| rule_of(&policy, Mode::Test, origin);
        assert_eq!(live("https://example.com"), Some(0));
        assert_eq!(live("https://a.example.com"), Some(1));
        assert_eq!(live("https://pr-1.example.com"), Some(2));
        assert_eq!(live("http://example.com"), None);
        assert_eq!(test("http://example.com:1"), Some(0));
        assert_eq!(test("https://example.com"), None);
        assert_eq!(test("http://a.example.com:8080"), Some(1));
        assert_eq!(test("https://a.example.com"), None);
        assert_eq!(test("https://pr-1.example.com:5"), Some(2));
        assert_eq!(test("http://pr-1.example.com:5"), None);
    }

    #[test]
    fn many_rules_on_few_keys_shrink_the_table_and_keep_every_run() {
        let mut builder = Policy::builder();
        for port in 1..=300u16 {
            builder.allow(Mode::Live, &format!("https://a.example.com:{port}"));
        }
        builder.allow(Mode::Live, "https://a.example.com:*");
        let policy = builder.build().unwrap();
        for port in [1u16, 150, 300] {
            let origin = format!("https://a.example.com:{port}");
            assert_eq!(
                rule_of(&policy, Mode::Live, &origin),
                Some(usize::from(port) - 1)
            );
        }
        assert_eq!(
            rule_of(&policy, Mode::Live, "https://a.example.com:301"),
            Some(300)
        );
    }
}
