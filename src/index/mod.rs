//! hot path: measured with benches/instructions.sh
//!
//! The compiled index: one open-addressing table from (mode, scheme, kind, host key) to the
//! rules keyed by it.
//!
//! An exact rule is keyed by its host, a wildcard rule by its base. A check probes the
//! origin's host for exact rules, then each parent domain, longest first, for wildcard
//! rules: at most one probe per label, whatever the number of rules. Parents with more
//! labels than the longest wildcard base of the (mode, scheme), or fewer than the shortest,
//! are not probed at all, nor is a host whose byte length no exact key has (a 64-bit mask
//! of lengths modulo 64), nor a parent that a Bloom filter of the bases, keyed by the
//! parent's length and first eight bytes, says is none ([`filter`]). The first hit is the most specific rule, so the walk
//! can stop there.
//!
//! Label wildcards (`pr-*.base`) of one (mode, scheme, base) form a group, keyed in the
//! same table by its base, whose patterns are a prefix trie with suffix tries in
//! [`LabelWildcards`], built in time linear in their bytes. Only a policy that has label
//! wildcards probes for a group, once, with the origin's parent domain (a label wildcard
//! matches hosts with exactly one label more than its base), and only when a base of that
//! byte length and label count exists. A label wildcard on the parent beats every
//! whole-label wildcard that can match the same host (their bases are the parent or
//! shorter), so a hit there ends the walk too. See [`label_wildcard`].
//!
//! Layout, for memory and for the probe path: each slot of the table is 8 bytes, a 32-bit
//! tag and a 32-bit value. The tag holds 28 bits of the key's hash and the entry's class
//! (mode, scheme, and exact, wildcard or label-wildcard), so a probe rejects every entry of
//! another class and almost every other key without reading a rule. The value is the rule;
//! rules that share a key and class (the same host on several ports) are one slot pointing
//! at a run of rule indices sorted by port, one per port, with their ports beside them
//! ([`runs`]), where a check finds its port by binary search without reading the rules: at
//! most 17 ports compared, whatever the number of rules.
//! Key bytes are never stored again: a candidate is compared with its rule's own key, a
//! range of the rule's canonical text ([`Rule::key_bytes`]). The table's size is a power of
//! two at most half full (a miss walks about two slots; at 3/4 a check at 100,000 rules
//! cost 20–30 instructions more, for 10 bytes less per rule), with linear probing from a
//! home slot that the tag alone decides, so the table can be rebuilt smaller without
//! hashing a key again. A policy without rules allocates nothing here. The table, its
//! invariants and why it is written by hand: [`table`].
//!
//! The parser hands over where the host's dots are ([`Dots`](crate::origin::dots::Dots)), so the
//! walk never searches the host for them, and the hashes of the host and of its parents
//! come from one right-to-left pass ([`Suffixes`]).
//!
//! Hashing is [`suffix_hash`], a fast non-cryptographic hash with a per-process
//! random seed. HashDoS is not a concern: every key in the table comes from the trusted
//! policy, and an attacker-chosen origin only *probes* (a bounded number of lookups, one
//! per label of a name of at most 253 bytes); it never inserts, so it cannot build
//! colliding chains.

mod filter;
mod id;
mod label_wildcard;
mod runs;
mod suffix_hash;
mod table;
mod work;

// The shapes come from the repository's test kit, which the published crate does not ship
// (`build.rs` says whether it is there).
#[cfg(all(test, origin_policy_testkit))]
mod shapes_tests;

use crate::host::HostKind;
use crate::mode::Mode;
use crate::origin::dots::{Dots, RECENT};
use crate::origin::Origin;
use crate::public_suffix::{self, BelowBase};
use crate::rule::{Rule, Shape};
use crate::scheme::Scheme;
use filter::{fingerprint, Keys, Lengths};
use label_wildcard::LabelWildcards;
use runs::{Runs, RunsBuilder};
use suffix_hash::{SuffixHasher, Suffixes};
use table::{Class, Kind, Table, Value};

pub(crate) use id::{RuleId, MAX_RULES};

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

/// What a slot's value holds, for the exact and `*.` kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Rule(RuleId),
    /// The start of a run in [`Index::runs`].
    Run(usize),
}

impl Entry {
    #[inline]
    fn of(value: Value) -> Entry {
        match value.0 & RUN {
            0 => Entry::Rule(RuleId::from_stored(value.0).unwrap_or_else(|| {
                debug_assert!(false, "a slot holds a rule id below the limit");
                RuleId::from_stored(0).unwrap_or_else(|| unreachable!())
            })),
            _ => Entry::Run((value.0 & !RUN) as usize),
        }
    }

    fn value(self) -> Value {
        match self {
            Entry::Rule(rule) => Value::from(rule),
            // Runs hold at most 1.5 entries (pairs) per rule, so a start is below 2^31 (see
            // `MAX_RULES`).
            Entry::Run(start) => {
                debug_assert!(start < RUN as usize, "a run starts below 2^31");
                Value(RUN | u32::try_from(start).unwrap_or(RUN - 1))
            }
        }
    }
}

#[derive(Debug)]
pub(crate) struct Index {
    table: Table,
    /// The runs of rules that share a slot.
    runs: Runs,
    /// The exact keys and `*.` bases of every (mode, scheme) slot, for skipping probes.
    keys: Keys,
    /// The byte lengths of exact keys, per (mode, scheme) slot.
    exact: [Lengths; 4],
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
    member: RuleId,
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

/// The chains of rules that share a slot while building: per rule, the next older rule of
/// its slot or group.
struct Older(Vec<Option<RuleId>>);

impl Older {
    /// The rules of the chain from `newest`, newest first.
    fn chain(&self, newest: RuleId) -> impl Iterator<Item = RuleId> + '_ {
        std::iter::successors(Some(newest), |rule| {
            self.0.get(rule.index()).copied().flatten()
        })
    }
}

impl Index {
    /// The index of `rules` (both modes, in the order of [`RuleId`]): linear in their
    /// number and bytes, but for sorting the ports of each key. `rules` holds at most
    /// [`MAX_RULES`] rules (the builder's check); the rest are left out.
    pub(crate) fn build(rules: &[Rule]) -> Index {
        debug_assert!(
            rules.len() <= MAX_RULES,
            "the builder bounds the rule count"
        );
        let rules = &rules[..rules.len().min(MAX_RULES)];
        let hasher = SuffixHasher::default();
        let mut table = Table::with_entries(rules.len());
        let bases = rules.iter().filter(|rule| kind(rule) == Kind::Subdomains);
        let mut keys = Keys::with_room(bases.count());
        let mut exact = [Lengths::default(); 4];
        let (mut min_base, mut max_base) = ([u8::MAX; 4], [0u8; 4]);
        let mut older = Older(vec![None; rules.len()]);
        let mut labels: Option<Box<Labels>> = None;
        let mut chained = false;
        for (this, rule) in (0..).map_while(RuleId::new).zip(rules) {
            let key = rule.key_bytes();
            let slot = slot(rule.mode(), rule.scheme());
            let kind = kind(rule);
            let tag = Class::new(slot, kind).tag(hasher.hash(key));
            let groups = labels.as_ref().map(|labels| &labels.groups);
            let head_of = |value: Value| match kind {
                Kind::Labels => groups
                    .and_then(|groups| groups.get(value.0 as usize))
                    .map(|group| group.member),
                _ => RuleId::from_stored(value.0),
            };
            let same = |value: Value| {
                head_of(value)
                    .and_then(|head| rules.get(head.index()))
                    .is_some_and(|head| head.key_bytes() == key)
            };
            match kind {
                Kind::Exact | Kind::Subdomains => {
                    if let Some(previous) = table.upsert(tag, same, Value::from(this)) {
                        older.0[this.index()] = RuleId::from_stored(previous.0);
                        chained = true;
                    }
                    if kind == Kind::Exact {
                        exact[slot].insert(key.len());
                    } else {
                        keys.insert(slot, fingerprint(key, 0));
                        let count = u8::try_from(label_count(key)).unwrap_or(u8::MAX);
                        min_base[slot] = min_base[slot].min(count);
                        max_base[slot] = max_base[slot].max(count);
                    }
                }
                Kind::Labels => {
                    // Groups are at most as many as rules, so below `MAX_RULES`.
                    let groups = labels.as_ref().map_or(0, |labels| labels.groups.len());
                    let next = Value(u32::try_from(groups).unwrap_or(RUN - 1));
                    let found = table.get_or_insert(tag, same, next);
                    let labels = labels.get_or_insert_with(Default::default);
                    match found {
                        None => labels.groups.push(Group {
                            member: this,
                            root: 0,
                        }),
                        Some(group) => {
                            if let Some(group) = labels.groups.get_mut(group.0 as usize) {
                                older.0[this.index()] = Some(group.member);
                                group.member = this;
                            }
                        }
                    }
                    labels.base_lengths[slot].insert(key.len());
                    labels.base_labels[slot].insert(label_count(key));
                }
            }
        }
        let runs = match chained {
            true => Self::runs(rules, &mut table, &older),
            false => Runs::default(),
        };
        if let Some(labels) = &mut labels {
            for group in &mut labels.groups {
                group.root = labels.tries.add_group(rules, older.chain(group.member));
            }
            labels.groups.shrink_to_fit();
            labels.tries.shrink_to_fit();
        }
        table.shrink_to_fit();
        Index {
            table,
            runs,
            keys,
            exact,
            min_base,
            max_base,
            hasher,
            labels,
        }
    }

    /// Turns every slot that several rules share into a run ([`runs`]) and returns the
    /// runs; a slot whose rules all repeat one pattern keeps the earliest alone. `older`
    /// chains each rule to the next older one of its slot.
    fn runs(rules: &[Rule], table: &mut Table, older: &Older) -> Runs {
        let mut runs = RunsBuilder::default();
        let mut members = Vec::new();
        table.map_values(|tag, value| {
            // Label-wildcard groups keep their members in tries; their heads chain too,
            // but their values are group numbers, so only rule values are looked at here.
            let Some(head) = RuleId::from_stored(value.0) else {
                return value;
            };
            if Class::is_labels(tag) || older.0.get(head.index()).copied().flatten().is_none() {
                return value;
            }
            members.clear();
            members.extend(older.chain(head));
            runs::arrange(rules, &mut members);
            match members.as_slice() {
                [only] => Entry::Rule(*only).value(),
                _ => Entry::Run(runs.push(rules, &members)).value(),
            }
        });
        runs.finish()
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
        rule: RuleId,
    ) -> Result<RuleId, Miss> {
        let within = match rules.get(rule.index()).map(Rule::below_base) {
            Some(BelowBase::Within) => true,
            Some(BelowBase::Beyond) | None => false,
            Some(BelowBase::Lookup) => public_suffix::within_owner(host, base_len),
        };
        match within {
            true => Ok(rule),
            false => Err(Miss::BeyondPublicSuffix),
        }
    }

    /// A rule of a slot's value, for comparing keys: the rule itself, or one of its run.
    #[inline]
    fn key_rule(&self, value: Value) -> Option<RuleId> {
        match Entry::of(value) {
            Entry::Rule(rule) => Some(rule),
            Entry::Run(start) => self
                .runs
                .get(start)
                .first()
                .and_then(|&[_, rule]| RuleId::from_stored(rule)),
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
    ) -> Option<RuleId> {
        let value = self.table.find(class.tag(hash), |value| {
            work::count(1);
            self.key_rule(value)
                .and_then(|rule| rules.get(rule.index()))
                .is_some_and(|rule| rule.key_bytes() == key)
        })?;
        match Entry::of(value) {
            Entry::Rule(id) => {
                let rule = rules.get(id.index())?;
                (rule.is_on_port(port) || rule.is_on_any_port()).then_some(id)
            }
            Entry::Run(start) => runs::pick_in(self.runs.get(start), port),
        }
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
    ) -> Option<RuleId> {
        let tag = Class::new(slot, Kind::Labels).tag(hash);
        let group = self.table.find(tag, |group| {
            work::count(1);
            labels
                .groups
                .get(group.0 as usize)
                .and_then(|group| rules.get(group.member.index()))
                .is_some_and(|rule| rule.key_bytes() == parent.as_bytes())
        })?;
        let root = labels.groups.get(group.0 as usize)?.root;
        labels.tries.best(root, rules, label, port)
    }

    /// The most specific rule of `mode` that allows `origin`, as an index into `rules` (the
    /// policy's rules of both modes).
    pub(crate) fn lookup(
        &self,
        mode: Mode,
        rules: &[Rule],
        origin: &Origin<'_>,
    ) -> Result<RuleId, Miss> {
        let slot = slot(mode, origin.scheme());
        let host = origin.host();
        let port = origin.port();
        let mut suffixes = Suffixes::new(self.hasher, host.as_bytes());
        if self.exact[slot].may_contain(host.len()) {
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
        // Parents deeper than the dots the parser kept are found from the previous one.
        let mut deep = None;
        for labels in (usize::from(self.min_base[slot]).max(1)..=longest).rev() {
            let start = if labels <= RECENT {
                dots.suffix_start(host, labels)
            } else {
                let start = match deep {
                    Some(longer) => Dots::next_suffix(host, longer),
                    None => dots.suffix_start(host, labels),
                };
                deep = Some(start);
                start
            };
            if !self
                .keys
                .may_contain(slot, fingerprint(host.as_bytes(), start))
            {
                continue;
            }
            let parent = host.as_bytes().get(start..).unwrap_or_default();
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
