//! The compiled index: per (mode, scheme), one hash table from host key to the rules keyed
//! by it.
//!
//! An exact rule is keyed by its host, a wildcard rule by its base. A check probes the
//! origin's host for exact rules, then each parent domain, longest first, for wildcard
//! rules: at most one probe per label, whatever the number of rules. Parents with more
//! labels than the longest wildcard base of the table, or fewer than the shortest, are not
//! probed at all. The first hit is the most specific rule, so the walk can stop there.
//!
//! Label wildcards (`pr-*.base`) are not in the hash table of exact and whole-label
//! keys: each (mode, scheme, base) is a group in a second table keyed by base, whose
//! patterns are a prefix trie with suffix tries in [`LabelWildcards`], built by
//! [`Index::finish`] in time linear in their bytes. Only a table that has label wildcards
//! probes it, once, with the origin's parent domain (a label wildcard matches hosts with
//! exactly one label more than its base), and only when a base of that byte length and
//! label count exists. A label wildcard on the parent beats every whole-label wildcard
//! that can match the same host (their bases are the parent or shorter), so a hit there
//! ends the walk too. See [`crate::label_wildcard`].
//!
//! Layout, for memory: the table stores only a `u32` rule index per (key, kind); the key
//! itself is the rule's own host text ([`Rule::host_key`]), so no string is stored twice.
//! Rules that share a key and kind (the same host on several ports, the label wildcards of
//! one base) are chained through `next`, newest first.
//!
//! Exact keys and wildcard bases sit in two tables, so a probe never compares a key of the
//! other kind. The parser hands over where the host's dots are ([`Dots`]), so the walk
//! never searches the host for them, and the hashes of the host and of its parents come
//! from one right-to-left pass ([`Suffixes`]).
//!
//! Hashing is [`crate::suffix_hash`], a fast non-cryptographic hash with a per-process
//! random seed. HashDoS is not a concern: every key in the table comes from the trusted
//! policy, and an attacker-chosen origin only *probes* (a bounded number of lookups, one
//! per label of a name of at most 253 bytes); it never inserts, so it cannot build
//! colliding chains.

use hashbrown::HashTable;

use crate::host::HostKind;
use crate::label_wildcard::LabelWildcards;
use crate::mode::Mode;
use crate::origin::Origin;
use crate::pattern::{HostPattern, PortSpec};
use crate::public_suffix::{self, BelowBase, PublicSuffixBoundary};
use crate::rule::{Rule, RuleIndex};
use crate::scheme::Scheme;
use crate::suffix_hash::{SuffixHasher, Suffixes};

/// The end of a chain.
const NONE: RuleIndex = RuleIndex::MAX;

/// Why [`Index::lookup`] found no rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Miss {
    /// No rule fits the origin.
    NoRule,
    /// A wildcard fits, but the host lies under a public suffix longer than its base.
    BeyondPublicSuffix,
}

#[derive(Debug)]
pub(crate) struct Index {
    tables: [Table; 4],
    boundary: PublicSuffixBoundary,
    /// Per mode, by rule index: the next (older) rule with the same key and kind, or [`NONE`].
    next: [Vec<RuleIndex>; 2],
    /// The tries of every label-wildcard group of every table.
    label_wildcards: LabelWildcards,
    hasher: SuffixHasher,
}

#[derive(Debug, Default)]
struct Table {
    /// The newest rule of each exact host.
    exact: HashTable<RuleIndex>,
    /// The newest rule of each wildcard base.
    wild: HashTable<RuleIndex>,
    /// The fewest and most labels of a wildcard base in this table; `max_base == 0` when
    /// there is no wildcard.
    min_base: usize,
    max_base: usize,
    /// The byte lengths of exact keys, and of wildcard bases, present in this table: a
    /// probe for a length that no key has is skipped before hashing.
    exact_lengths: LengthSet,
    base_lengths: LengthSet,
    /// Label wildcards: a group index into `label_groups` per base.
    labels: HashTable<u32>,
    label_groups: Vec<LabelGroup>,
    label_base_lengths: LengthSet,
    /// The label counts of those bases: a host is looked up only if its parent has one.
    label_base_labels: LengthSet,
}

/// The label wildcards of one base in one table.
#[derive(Debug)]
struct LabelGroup {
    /// The newest rule; its base is the key, and the older ones are chained through `next`.
    head: RuleIndex,
    /// The root of the group's prefix trie in [`Index::label_wildcards`], set by
    /// [`Index::finish`].
    root: u32,
}

/// A set of lengths 0–255 (longer keys cannot exist: a name has at most 253 bytes).
#[derive(Debug, Default)]
struct LengthSet([u64; 4]);

impl LengthSet {
    fn insert(&mut self, len: usize) {
        let len = len.min(255);
        self.0[len / 64] |= 1 << (len % 64);
    }

    #[inline]
    fn contains(&self, len: usize) -> bool {
        len < 256 && self.0[len / 64] & (1 << (len % 64)) != 0
    }
}

fn slot(mode: Mode, scheme: Scheme) -> usize {
    mode.slot() * 2 + scheme.slot()
}

fn is_label_wildcard(rule: &Rule) -> bool {
    matches!(rule.pattern().host(), HostPattern::LabelWildcard { .. })
}

fn is_wildcard(rule: &Rule) -> bool {
    matches!(rule.pattern().host(), HostPattern::Subdomains(_))
}

fn hash_key(hasher: &SuffixHasher, rules: &[Rule], rule: RuleIndex) -> u64 {
    hasher.hash(rules[rule as usize].host_key().as_bytes())
}

fn labels(name: &str) -> usize {
    name.bytes().filter(|&b| b == b'.').count() + 1
}

impl Index {
    pub(crate) fn new(boundary: PublicSuffixBoundary) -> Index {
        Index {
            tables: Default::default(),
            boundary,
            next: Default::default(),
            label_wildcards: LabelWildcards::default(),
            hasher: SuffixHasher::default(),
        }
    }

    /// A wildcard over a base of `base_len` bytes that fits `host` decides the lookup: the
    /// first one found is the most specific, and if `host` lies beyond the public-suffix
    /// boundary of its base it does so for every shorter base too. Most bases have no rule
    /// of the List below them, so the build already knows the answer
    /// ([`BelowBase`]) and only the others cost a List lookup.
    #[inline]
    fn wildcard_hit(
        &self,
        rules: &[Rule],
        host: &str,
        base_len: usize,
        rule: RuleIndex,
    ) -> Result<RuleIndex, Miss> {
        if self.boundary == PublicSuffixBoundary::Ignored {
            return Ok(rule);
        }
        let within = match rules[rule as usize].below_base() {
            BelowBase::Within => true,
            BelowBase::Beyond => false,
            BelowBase::Lookup => public_suffix::within_owner(host, base_len),
        };
        match within {
            true => Ok(rule),
            false => Err(Miss::BeyondPublicSuffix),
        }
    }

    /// Adds `rules[rule]`, the latest rule of `mode`. Rules must come in index order.
    pub(crate) fn insert(&mut self, mode: Mode, rules: &[Rule], rule: RuleIndex) {
        let added = &rules[rule as usize];
        let pattern = added.pattern();
        if is_label_wildcard(added) {
            self.insert_label_wildcard(mode, rules, rule);
            return;
        }
        let wildcard = is_wildcard(added);
        let key = added.host_key();
        let hash = self.hasher.hash(key.as_bytes());
        let hasher = &self.hasher;
        let table = &mut self.tables[slot(mode, pattern.scheme())];
        let next = &mut self.next[mode.slot()];
        debug_assert_eq!(next.len(), rule as usize);
        let same = |&head: &RuleIndex| rules[head as usize].host_key() == key;
        let rehash = |&head: &RuleIndex| hash_key(hasher, rules, head);
        let heads = match wildcard {
            true => &mut table.wild,
            false => &mut table.exact,
        };
        match heads.find_mut(hash, same) {
            Some(head) => {
                next.push(*head);
                *head = rule;
            }
            None => {
                next.push(NONE);
                heads.insert_unique(hash, rule, rehash);
            }
        }
        if wildcard {
            table.base_lengths.insert(key.len());
            let count = labels(key);
            if table.max_base == 0 {
                (table.min_base, table.max_base) = (count, count);
            } else {
                table.min_base = table.min_base.min(count);
                table.max_base = table.max_base.max(count);
            }
        } else {
            table.exact_lengths.insert(key.len());
        }
    }

    fn insert_label_wildcard(&mut self, mode: Mode, rules: &[Rule], rule: RuleIndex) {
        let added = &rules[rule as usize];
        let key = added.host_key();
        let hash = self.hasher.hash(key.as_bytes());
        let hasher = &self.hasher;
        let table = &mut self.tables[slot(mode, added.pattern().scheme())];
        let next = &mut self.next[mode.slot()];
        debug_assert_eq!(next.len(), rule as usize);
        let found = {
            let groups = &table.label_groups;
            table.labels.find(hash, |&group| {
                rules[groups[group as usize].head as usize].host_key() == key
            })
        }
        .copied();
        let groups = &mut table.label_groups;
        match found {
            Some(group) => {
                let head = &mut groups[group as usize].head;
                next.push(*head);
                *head = rule;
            }
            None => {
                next.push(NONE);
                let group = u32::try_from(groups.len()).unwrap_or(u32::MAX);
                groups.push(LabelGroup {
                    head: rule,
                    root: NONE,
                });
                let groups = &table.label_groups;
                let rehash = |&group: &u32| hash_key(hasher, rules, groups[group as usize].head);
                table.labels.insert_unique(hash, group, rehash);
            }
        }
        table.label_base_lengths.insert(key.len());
        table.label_base_labels.insert(labels(key));
    }

    /// Builds the tries of the label wildcards, once all rules are in: linear in the bytes
    /// of their literals, whatever their number, shapes and bases.
    pub(crate) fn finish(&mut self, rules: &[Vec<Rule>; 2]) {
        for (at, table) in self.tables.iter_mut().enumerate() {
            let mode = Mode::ALL[at / 2];
            let rules = &rules[mode.slot()];
            let next = &self.next[mode.slot()];
            for group in &mut table.label_groups {
                let mut member = group.head;
                let members = std::iter::from_fn(|| {
                    let this = member;
                    (this != NONE).then(|| {
                        member = next[this as usize];
                        this
                    })
                });
                group.root = self.label_wildcards.add_group(rules, members);
            }
        }
    }

    /// Drops spare capacity once all rules are in.
    pub(crate) fn shrink_to_fit(&mut self, rules: &[Vec<Rule>; 2]) {
        let hasher = &self.hasher;
        for (at, table) in self.tables.iter_mut().enumerate() {
            let rules = &rules[at / 2];
            table
                .exact
                .shrink_to_fit(|&head| hash_key(hasher, rules, head));
            table
                .wild
                .shrink_to_fit(|&head| hash_key(hasher, rules, head));
            let groups = &table.label_groups;
            table
                .labels
                .shrink_to_fit(|&group| hash_key(hasher, rules, groups[group as usize].head));
            table.label_groups.shrink_to_fit();
        }
        for next in &mut self.next {
            next.shrink_to_fit();
        }
        self.label_wildcards.shrink_to_fit();
    }

    /// The rule keyed by `key` (whose hash is `hash`) in `heads` that allows `port`: a rule
    /// for exactly this port beats `*`, and among equal rules the first added wins.
    #[inline]
    fn find(
        heads: &HashTable<RuleIndex>,
        rules: &[Rule],
        next: &[RuleIndex],
        key: &str,
        hash: u64,
        port: u16,
    ) -> Option<RuleIndex> {
        let head = *heads.find(hash, |&head| rules[head as usize].host_key() == key)?;
        // The chain runs newest first, so the last match seen is the first added.
        let (mut listed, mut any) = (None, None);
        let mut at = head;
        while at != NONE {
            match rules[at as usize].pattern().port() {
                PortSpec::Exact(p) if p == port => listed = Some(at),
                PortSpec::Exact(_) => {}
                PortSpec::Any => any = Some(at),
            }
            at = next[at as usize];
        }
        listed.or(any)
    }

    /// The best label wildcard on `parent`, the parent domain of a host whose first label is
    /// `label`, that allows `port`.
    #[inline]
    fn find_label_wildcard(
        &self,
        table: &Table,
        rules: &[Rule],
        (label, parent): (&str, &str),
        hash: u64,
        port: u16,
    ) -> Option<RuleIndex> {
        let groups = &table.label_groups;
        let group = *table.labels.find(hash, |&group| {
            rules[groups[group as usize].head as usize].host_key() == parent
        })?;
        self.label_wildcards
            .best(groups[group as usize].root, rules, label, port)
    }

    /// The most specific rule of `mode` (whose rules are `rules`) that allows `origin`.
    pub(crate) fn lookup(
        &self,
        mode: Mode,
        rules: &[Rule],
        origin: &Origin<'_>,
    ) -> Result<RuleIndex, Miss> {
        let table = &self.tables[slot(mode, origin.scheme())];
        let next = &self.next[mode.slot()];
        let host = origin.host();
        let port = origin.port();
        let mut suffixes = Suffixes::new(self.hasher, host.as_bytes());
        if table.exact_lengths.contains(host.len()) {
            let hash = suffixes.hash_from(0);
            if let Some(rule) = Self::find(&table.exact, rules, next, host, hash, port) {
                return Ok(rule);
            }
        }
        if origin.host_kind() != HostKind::Domain {
            return Err(Miss::NoRule);
        }
        let dots = origin.dots();
        let count = dots.labels();
        // A label wildcard's host has one label more than its base.
        if table.label_base_labels.contains(count - 1) {
            if let Some(first_dot) = dots.first() {
                let parent = &host[first_dot + 1..];
                if table.label_base_lengths.contains(parent.len()) {
                    let hash = suffixes.hash_from(first_dot + 1);
                    let split = (&host[..first_dot], parent);
                    if let Some(rule) = self.find_label_wildcard(table, rules, split, hash, port) {
                        return self.wildcard_hit(rules, host, parent.len(), rule);
                    }
                }
            }
        }
        // Parents longest first, only with as many labels as some base has.
        let longest = table.max_base.min(count - 1);
        for labels in (table.min_base.max(1)..=longest).rev() {
            let start = dots.suffix_start(host, labels);
            let parent = &host[start..];
            if !table.base_lengths.contains(parent.len()) {
                continue;
            }
            let hash = suffixes.hash_from(start);
            if let Some(rule) = Self::find(&table.wild, rules, next, parent, hash, port) {
                return self.wildcard_hit(rules, host, parent.len(), rule);
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
        policy.matching_rule(mode, &origin).map(|rule| rule.index())
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
}
