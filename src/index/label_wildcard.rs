//! hot path: measured with benches/instructions.sh
//!
//! Label wildcards (`pr-*.preview.example.com`): per (mode, scheme, base), a trie of the
//! literal prefixes whose nodes own reverse tries of the literal suffixes.
//!
//! The index keys each group by its base, so a check consults a group only when the
//! origin's parent domain *is* that base, and then looks only at the origin's leftmost
//! label (at most 63 bytes). A pattern `prefix*suffix` fits a label of `n` bytes when the
//! label starts with `prefix`, ends with `suffix`, and leaves at least one byte for the
//! `*` between them.
//!
//! * The **prefix trie** holds the distinct literal prefixes of the group's patterns (the
//!   empty one too, at the root, for `*-staging`). A node that ends a prefix owns:
//! * a **suffix trie**: the suffixes of the patterns with exactly that prefix, written
//!   backwards (`-staging` as `gnigats-`). A node that ends a suffix holds the rules of
//!   that `prefix*suffix` (the same pattern on several ports) as a port run
//!   ([`super::runs`]): one rule per port, the lowest index, sorted by port.
//!
//! A check walks the label forward through the prefix trie; at each node that ends a
//! prefix, at depth `i`, it walks that node's suffix trie backward from the label's end,
//! over at most `n - i - 1` bytes so that the `*` keeps at least one, and folds the rules
//! of every suffix node it passes into the best by the precedence of the crate: the most
//! literal characters (`i` plus the suffix depth), then an exact port over `:*`, then the
//! lowest rule index. The literals are label characters by construction, so the `*` part
//! consists of label characters exactly when the whole label does, which one scan checks
//! once something fits ([`HostPattern::label_fits`](crate::pattern::HostPattern::label_fits)
//! is the plain definition).
//!
//! Bounds:
//!
//! * **Build**: time and memory linear in the bytes of the entries. Each literal byte
//!   adds at most one node, and each group and distinct prefix one root (a node is 16
//!   bytes plus 1 for its edge byte; each rule adds 4 at its suffix end). Finding a child
//!   while building scans a sorted sibling list of at most 38 entries (the label alphabet
//!   `a-z 0-9 - _`), which is also the whole cost of sorting the edges, and flattening is
//!   one breadth-first pass over each trie. No size limit is needed.
//! * **Check**: for a label of `n <= 63` bytes, at most `n - 1` steps in the prefix trie
//!   and, at a prefix of depth `i`, at most `n - i - 1` in its suffix trie: at most
//!   `62 + 62 * 63 / 2 = 2,015` steps in all, each a binary search over at most 38 sorted
//!   edge bytes, plus a binary search of the port run at each suffix node reached (at
//!   most 17 ports compared, as for an exact host). Typical lists have one or two prefixes along a label and stop after a few
//!   steps. A check allocates nothing and does not recurse.
//!
//! Layout: all tries of an index live in two flattened arenas (one for prefix nodes, one
//! for suffix nodes), filled breadth first, so that a node's children are consecutive
//! nodes, sorted by byte: a node stores where they start and how many there are, and the
//! edge bytes sit in an array of their own so that a search reads a few adjacent bytes.
//! While building, each trie is a draft with sorted sibling lists, flattened once its
//! group is complete; the drafts are scratch space reused from group to group.

use super::id::{NodeId, RuleId};
use super::{runs, work};
use crate::host::is_label_byte;
use crate::rule::Rule;

/// No node, no rule.
const NONE: u32 = u32::MAX;

/// A node or arena position as stored: [`MAX_RULES`](super::MAX_RULES) keeps every arena
/// below `u32::MAX` ([`NodeId`]).
fn id(n: usize) -> u32 {
    NodeId::new(n).map_or_else(
        || {
            debug_assert!(false, "the rule limit keeps trie arenas below 2^32 - 1");
            NONE
        },
        NodeId::get,
    )
}

/// A node's number of children: at most the 38 label bytes.
fn children(count: u32) -> u8 {
    debug_assert!(count <= 38, "at most 38 children");
    u8::try_from(count).unwrap_or(u8::MAX)
}

/// One node of a flattened trie: its children are the nodes
/// `first_child..first_child + children`, sorted by their byte.
#[derive(Debug, Clone, Copy)]
struct Node {
    first_child: u32,
    /// Prefix trie: the root of the suffix trie of the patterns with exactly this prefix,
    /// or [`NONE`]. Suffix trie: the first of the node's rules in [`LabelWildcards::rules`].
    value: u32,
    /// Suffix trie: how many rules end here (the same pattern on several ports). Prefix
    /// trie: 0.
    rules: u32,
    children: u8,
}

/// Tries in flattened form, built breadth first, so that the children of a node are
/// consecutive nodes.
#[derive(Debug, Default)]
struct Tries {
    nodes: Vec<Node>,
    /// By node: the byte of the edge into it (0 for a root).
    bytes: Vec<u8>,
}

impl Tries {
    /// The child of `node` along `byte`.
    #[inline]
    fn child(&self, node: &Node, byte: u8) -> Option<u32> {
        let first = node.first_child as usize;
        let at = self.bytes[first..first + usize::from(node.children)]
            .binary_search(&byte)
            .ok()?;
        Some(node.first_child + id(at))
    }

    fn shrink_to_fit(&mut self) {
        self.nodes.shrink_to_fit();
        self.bytes.shrink_to_fit();
    }
}

/// The label wildcards of a whole index: every group's prefix trie and suffix tries.
#[derive(Debug, Default)]
pub(crate) struct LabelWildcards {
    prefixes: Tries,
    suffixes: Tries,
    /// The rules of the suffix nodes, each node's a port run ([`runs`]).
    rules: Vec<u32>,
    /// Scratch space for building, empty once [`shrink_to_fit`](Self::shrink_to_fit) ran.
    draft: Drafts,
}

/// A trie under construction: children as sorted sibling lists.
#[derive(Debug, Default)]
struct Draft {
    first_child: Vec<u32>,
    next_sibling: Vec<u32>,
    byte: Vec<u8>,
    /// Prefix draft: the root of the node's suffix draft. Suffix draft: the newest entry of
    /// the node's rule list in [`Drafts::pending`].
    mark: Vec<u32>,
}

impl Draft {
    fn clear(&mut self) {
        self.first_child.clear();
        self.next_sibling.clear();
        self.byte.clear();
        self.mark.clear();
    }

    fn add(&mut self, byte: u8) -> u32 {
        let node = id(self.byte.len());
        self.first_child.push(NONE);
        self.next_sibling.push(NONE);
        self.byte.push(byte);
        self.mark.push(NONE);
        node
    }

    /// The child of `node` along `byte`, added in sorted position if missing: at most 38
    /// siblings to pass.
    fn step(&mut self, node: u32, byte: u8) -> u32 {
        let (mut before, mut at) = (NONE, self.first_child[node as usize]);
        while at != NONE && self.byte[at as usize] < byte {
            before = at;
            at = self.next_sibling[at as usize];
        }
        if at != NONE && self.byte[at as usize] == byte {
            return at;
        }
        let added = self.add(byte);
        self.next_sibling[added as usize] = at;
        if before == NONE {
            self.first_child[node as usize] = added;
        } else {
            self.next_sibling[before as usize] = added;
        }
        added
    }

    /// Appends the children of `node` to `queue`, in byte order, for the breadth-first
    /// copy into an arena. Returns how many there are.
    fn queue_children(&self, node: usize, queue: &mut Vec<u32>) -> u32 {
        let before = queue.len();
        let mut child = self.first_child[node];
        while child != NONE {
            queue.push(child);
            child = self.next_sibling[child as usize];
        }
        id(queue.len() - before)
    }

    fn walk(&mut self, mut node: u32, bytes: impl Iterator<Item = u8>) -> u32 {
        for byte in bytes {
            node = self.step(node, byte);
        }
        node
    }

    fn shrink_to_fit(&mut self) {
        self.first_child = Vec::new();
        self.next_sibling = Vec::new();
        self.byte = Vec::new();
        self.mark = Vec::new();
    }
}

/// The scratch space of one group's build, reused from group to group.
#[derive(Debug, Default)]
struct Drafts {
    prefixes: Draft,
    suffixes: Draft,
    /// Rule lists of suffix draft nodes: (rule, the next older entry or [`NONE`]).
    pending: Vec<(RuleId, u32)>,
    /// One suffix node's rules, while arranging them into a run.
    members: Vec<RuleId>,
    /// Draft nodes in breadth-first order, while flattening: prefix nodes, suffix nodes.
    queue: Vec<u32>,
    suffix_queue: Vec<u32>,
}

/// The best rule found so far: literal characters, exact port, rule index.
type Best = Option<(usize, bool, RuleId)>;

impl LabelWildcards {
    /// Adds one group: the label wildcards `members` (indices into `rules`, all on the
    /// same base), newest first. Returns the root of the group's prefix trie. Linear in the
    /// bytes of the members' literals.
    pub(crate) fn add_group(
        &mut self,
        rules: &[Rule],
        members: impl Iterator<Item = RuleId>,
    ) -> u32 {
        let draft = &mut self.draft;
        draft.prefixes.clear();
        draft.suffixes.clear();
        draft.pending.clear();
        let root = draft.prefixes.add(0);
        for member in members {
            let (prefix, suffix) = rules
                .get(member.index())
                .map_or(("", ""), Rule::label_parts);
            let end = draft.prefixes.walk(root, prefix.bytes());
            let mut suffix_root = draft.prefixes.mark[end as usize];
            if suffix_root == NONE {
                suffix_root = draft.suffixes.add(0);
                draft.prefixes.mark[end as usize] = suffix_root;
            }
            let end = draft.suffixes.walk(suffix_root, suffix.bytes().rev());
            // Members come newest first, so prepending leaves each list oldest first.
            let entry = id(draft.pending.len());
            draft
                .pending
                .push((member, draft.suffixes.mark[end as usize]));
            draft.suffixes.mark[end as usize] = entry;
        }
        self.flatten_prefixes(rules)
    }

    /// Copies the prefix draft, and the suffix drafts it points to, into the arenas, breadth
    /// first so that each node's children are consecutive. Returns the new root.
    fn flatten_prefixes(&mut self, rules: &[Rule]) -> u32 {
        let base = id(self.prefixes.nodes.len());
        let mut queue = std::mem::take(&mut self.draft.queue);
        queue.clear();
        queue.push(0);
        let mut at = 0;
        while at < queue.len() {
            let node = queue[at] as usize;
            at += 1;
            let value = match self.draft.prefixes.mark[node] {
                NONE => NONE,
                draft_root => self.flatten_suffixes(rules, draft_root),
            };
            let draft = &self.draft.prefixes;
            let first_child = base + id(queue.len());
            let count = draft.queue_children(node, &mut queue);
            self.prefixes.nodes.push(Node {
                first_child,
                value,
                rules: 0,
                children: children(count),
            });
            self.prefixes.bytes.push(draft.byte[node]);
        }
        self.draft.queue = queue;
        base
    }

    /// Copies the suffix draft under `draft_root`, with its rule lists, into the suffix
    /// arena. Returns the new root.
    fn flatten_suffixes(&mut self, rules: &[Rule], draft_root: u32) -> u32 {
        let base = id(self.suffixes.nodes.len());
        let mut queue = std::mem::take(&mut self.draft.suffix_queue);
        queue.clear();
        queue.push(draft_root);
        let mut at = 0;
        let draft = &self.draft.suffixes;
        while at < queue.len() {
            let node = queue[at] as usize;
            at += 1;
            let value = id(self.rules.len());
            let mut entry = draft.mark[node];
            let members = &mut self.draft.members;
            members.clear();
            while entry != NONE {
                let (rule, older) = self.draft.pending[entry as usize];
                members.push(rule);
                entry = older;
            }
            runs::arrange(rules, members);
            self.rules.extend(members.iter().map(|rule| rule.get()));
            let first_child = base + id(queue.len());
            let count = draft.queue_children(node, &mut queue);
            self.suffixes.nodes.push(Node {
                first_child,
                value,
                rules: id(self.rules.len()) - value,
                children: children(count),
            });
            self.suffixes.bytes.push(draft.byte[node]);
        }
        self.draft.suffix_queue = queue;
        base
    }

    /// Drops the scratch space and spare capacity once all groups are in.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.prefixes.shrink_to_fit();
        self.suffixes.shrink_to_fit();
        self.rules.shrink_to_fit();
        self.draft.prefixes.shrink_to_fit();
        self.draft.suffixes.shrink_to_fit();
        self.draft.pending = Vec::new();
        self.draft.queue = Vec::new();
        self.draft.suffix_queue = Vec::new();
        self.draft.members = Vec::new();
    }

    /// The best rule of the group at `root` whose pattern fits `label` and whose port
    /// allows `port`: the most literal characters, then an exact port over `*`, then the
    /// lowest index.
    #[inline]
    pub(crate) fn best(&self, root: u32, rules: &[Rule], label: &str, port: u16) -> Option<RuleId> {
        let label = label.as_bytes();
        let n = label.len();
        let mut best: Best = None;
        let (mut node, mut depth) = (&self.prefixes.nodes[root as usize], 0);
        loop {
            work::count(1);
            if node.value != NONE {
                self.collect_suffixes(node.value, rules, label, depth, port, &mut best);
            }
            // A longer prefix must still leave one byte for the `*`.
            if depth + 1 >= n {
                break;
            }
            match self.prefixes.child(node, label[depth]) {
                Some(child) => (node, depth) = (&self.prefixes.nodes[child as usize], depth + 1),
                None => break,
            }
        }
        // The literals are label bytes, so the `*` part is label bytes if the whole label
        // is. Origins are validated so, but the check costs nothing on a miss.
        if best.is_some() && !label.iter().all(|&byte| is_label_byte(byte)) {
            return None;
        }
        best.map(|(_, _, rule)| rule)
    }

    /// Walks the suffix trie at `root` backward from the end of `label`, for patterns whose
    /// prefix is `label[..prefix]`, and folds every fitting pattern's rules into `best`.
    #[inline]
    fn collect_suffixes(
        &self,
        root: u32,
        rules: &[Rule],
        label: &[u8],
        prefix: usize,
        port: u16,
        best: &mut Best,
    ) {
        let n = label.len();
        let (mut node, mut depth) = (&self.suffixes.nodes[root as usize], 0);
        loop {
            work::count(1);
            if node.rules > 0 {
                let start = node.value as usize;
                let candidates = &self.rules[start..start + node.rules as usize];
                fold(rules, candidates, prefix + depth, port, best);
            }
            // A longer suffix must still leave one byte for the `*`.
            if prefix + depth + 1 >= n {
                break;
            }
            match self.suffixes.child(node, label[n - 1 - depth]) {
                Some(child) => (node, depth) = (&self.suffixes.nodes[child as usize], depth + 1),
                None => break,
            }
        }
    }
}

/// Folds the rules of one pattern (`candidates`, a port run, all with `literals` literal
/// characters) into `best`.
#[inline]
fn fold(rules: &[Rule], candidates: &[u32], literals: usize, port: u16, best: &mut Best) {
    if best.is_some_and(|(best_literals, _, _)| best_literals > literals) {
        return;
    }
    let Some(rule) = runs::pick(rules, candidates, port) else {
        return;
    };
    let exact = rules
        .get(rule.index())
        .is_some_and(|rule| !rule.is_on_any_port());
    let better = match *best {
        None => true,
        Some((best_literals, best_exact, best_rule)) => {
            (literals, exact) > (best_literals, best_exact)
                || ((literals, exact) == (best_literals, best_exact) && rule < best_rule)
        }
    };
    if better {
        *best = Some((literals, exact, rule));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Mode, Policy};

    fn policy(entries: &[&str]) -> Policy {
        let mut builder = Policy::builder();
        for entry in entries {
            builder.allow(Mode::Live, entry);
        }
        builder.build().unwrap()
    }

    impl LabelWildcards {
        fn best_index(&self, root: u32, rules: &[Rule], label: &str, port: u16) -> Option<usize> {
            self.best(root, rules, label, port).map(RuleId::index)
        }
    }

    /// Builds one group of `members` (ascending) on its own.
    fn group(rules: &[Rule], members: &[usize]) -> (LabelWildcards, u32) {
        let mut set = LabelWildcards::default();
        let root = set.add_group(rules, members.iter().rev().copied().filter_map(RuleId::new));
        (set, root)
    }

    #[test]
    fn prefixes_suffixes_and_both_find_every_pattern() {
        let policy = policy(&[
            "https://pr-*.preview.example.com",
            "https://*-staging.preview.example.com",
            "https://app-*-eu.preview.example.com",
            "https://*.preview.example.com:*",
        ]);
        let rules = policy.rules(Mode::Live);
        let (set, root) = group(rules, &[0, 1, 2]);
        // The root ends the empty prefix of `*-staging`; `pr-` and `app-` end two more.
        let ends = set.prefixes.nodes.iter().filter(|node| node.value != NONE);
        assert_eq!(ends.count(), 3);
        let best = |label| set.best_index(root, rules, label, 443);
        assert_eq!(best("pr-1"), Some(0));
        assert_eq!(best("pr-"), None);
        assert_eq!(best("x-staging"), Some(1));
        assert_eq!(best("-staging"), None);
        assert_eq!(best("app-1-eu"), Some(2));
        assert_eq!(best("app--eu"), None);
        assert_eq!(best("pr-1-staging"), Some(1));
        assert_eq!(set.best_index(root, rules, "pr-1", 8443), None);
        assert_eq!(best("pr-1.x"), None);
        assert_eq!(best("pr-1!"), None);
    }

    #[test]
    fn more_literals_then_exact_port_then_lowest_index() {
        let policy = policy(&[
            "https://a*.example.com:*",
            "https://ab*.example.com:*",
            "https://*c.example.com",
            "https://ab*.example.com",
            "https://a*c.example.com:8443",
            "https://a*c.example.com:*",
            "https://ab*.example.com",
        ]);
        let rules = policy.rules(Mode::Live);
        let (set, root) = group(rules, &[0, 1, 2, 3, 4, 5, 6]);
        let best = |label, port| set.best_index(root, rules, label, port);
        // `ab*` (2 literals): the exact port of rule 3 over `:*` of rule 1, not rule 6.
        assert_eq!(best("abx", 443), Some(3));
        assert_eq!(best("abx", 1), Some(1));
        // `a*c` and `ab*` tie on 2 literals: exact port first, then the lowest index.
        assert_eq!(best("abc", 443), Some(3));
        assert_eq!(best("abc", 8443), Some(4));
        assert_eq!(best("abc", 1), Some(1));
        assert_eq!(best("axc", 1), Some(5));
        assert_eq!(best("xc", 443), Some(2));
        assert_eq!(best("xc", 1), None);
        assert_eq!(best("ax", 1), Some(0));
        // Every literal used and nothing left for the `*`.
        assert_eq!(best("ac", 1), Some(0));
        assert_eq!(best("ab", 1), Some(0));
        assert_eq!(best("c", 443), None);
    }

    #[test]
    fn the_star_takes_at_least_one_byte_at_every_depth() {
        let policy = policy(&[
            "https://aaaa*aaaa.example.com",
            "https://aa*aa.example.com",
            "https://a*.example.com",
        ]);
        let rules = policy.rules(Mode::Live);
        let (set, root) = group(rules, &[0, 1, 2]);
        let best = |label: &str| set.best_index(root, rules, label, 443);
        assert_eq!(best("a"), None);
        assert_eq!(best("aa"), Some(2));
        assert_eq!(best("aaaa"), Some(2));
        assert_eq!(best("aaaaa"), Some(1));
        assert_eq!(best("aaaaaaaa"), Some(1));
        assert_eq!(best("aaaaaaaaa"), Some(0));
        assert_eq!(best(&"a".repeat(63)), Some(0));
    }

    #[test]
    fn many_long_patterns_on_one_base_build_and_match() {
        let entries: Vec<String> = (0..200)
            .map(|i| format!("https://*-{i}x{}.example.com", i * 7919))
            .chain((0..200).map(|i| format!("https://{}{i}*q.example.com", "p".repeat(50))))
            .collect();
        let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
        let policy = policy(&refs);
        let rules = policy.rules(Mode::Live);
        let members: Vec<usize> = (0..400).collect();
        let (set, root) = group(rules, &members);
        assert_eq!(set.best_index(root, rules, "z-17x134623", 443), Some(17));
        assert_eq!(set.best_index(root, rules, "-17x134623", 443), None);
        let long = format!("{}199zq", "p".repeat(50));
        assert_eq!(set.best_index(root, rules, &long, 443), Some(399));
        assert_eq!(
            set.best_index(root, rules, &long[..long.len() - 1], 443),
            None
        );
    }

    #[test]
    fn groups_share_the_arenas() {
        let policy = policy(&[
            "https://pr-*.a.example.com",
            "https://pr-*.b.example.com",
            "https://*-x.a.example.com",
        ]);
        let rules = policy.rules(Mode::Live);
        let mut set = LabelWildcards::default();
        let a = set.add_group(rules, [2, 0].into_iter().filter_map(RuleId::new));
        let b = set.add_group(rules, [1].into_iter().filter_map(RuleId::new));
        set.shrink_to_fit();
        assert_ne!(a, b);
        assert_eq!(set.best_index(a, rules, "pr-1", 443), Some(0));
        assert_eq!(set.best_index(b, rules, "pr-1", 443), Some(1));
        assert_eq!(set.best_index(a, rules, "pr-x", 443), Some(0));
        assert_eq!(set.best_index(b, rules, "q-x", 443), None);
        assert_eq!(set.best_index(a, rules, "q-x", 443), Some(2));
    }
}
