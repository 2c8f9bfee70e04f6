//! A seeded generator of realistic rule sets and query sets, for the benchmarks
//! (`benches/check.rs`, `benches/public_suffix.rs`) and the examples that measure the same
//! policies (`examples/memory.rs`, `examples/check_instructions.rs`).
//!
//! Rules: about 70% exact hosts and 30% wildcards, 2–4 labels, about 20% explicit ports and
//! 5% `*` ports, both modes (live is `https` only, as the policy demands; test mixes
//! `http` and `https`). Queries: hits (exact, and wildcard at depth 1–3) and misses (a
//! random host, the right host on the wrong port, a wildcard apex, the wrong mode, a
//! shared-suffix near miss such as `barfoo.com`), all canonical ASCII origins.

use origin_policy::{Mode, Policy, PolicyBuilder, Scheme};

use crate::alphabet::workload::TLDS;
use crate::rng::{Choices, SplitMix64};
use crate::text::{self, HostShape, LabelShape, PortText};

mod realistic;

pub use realistic::{realistic_queries, realistic_rules, realistic_tenants, Tenant};

type Rng = SplitMix64;

/// A random label of 4 to 10 letters.
fn label(rng: &mut Rng) -> String {
    text::random_label(rng, &LabelShape::WORDS)
}

/// The port part of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    Default,
    Exact(u16),
    Any,
}

/// One generated rule, kept in structured form so that baselines can be built from it.
#[derive(Debug, Clone)]
pub struct GenRule {
    pub mode: Mode,
    pub https: bool,
    /// The host of an exact rule, the base of a wildcard.
    pub host: String,
    pub wildcard: bool,
    /// A label wildcard `prefix*suffix.host`: its literals (then `wildcard` is false).
    pub label: Option<(String, String)>,
    pub port: Port,
}

impl GenRule {
    /// `https` or `http`.
    pub fn scheme(&self) -> Scheme {
        if self.https {
            Scheme::Https
        } else {
            Scheme::Http
        }
    }

    /// The scheme's default port.
    pub fn default_port(&self) -> u16 {
        self.scheme().default_port()
    }

    /// The rule as written in a policy (already canonical).
    pub fn text(&self) -> String {
        let shape = match &self.label {
            Some((prefix, suffix)) => HostShape::Label(prefix, suffix),
            None if self.wildcard => HostShape::Subdomains,
            None => HostShape::Exact,
        };
        let port = match self.port {
            Port::Default => PortText::Omitted,
            Port::Exact(port) => PortText::Exact(port),
            Port::Any => PortText::Any,
        };
        text::url(
            self.scheme(),
            &text::host(shape, &self.host),
            &port.suffix(self.scheme()),
        )
    }

    /// Whether the rule allows the parsed origin (scheme, host, effective port).
    pub fn allows(&self, https: bool, host: &str, port: u16) -> bool {
        if https != self.https {
            return false;
        }
        let port_ok = match self.port {
            Port::Default => port == self.default_port(),
            Port::Exact(p) => port == p,
            Port::Any => true,
        };
        if !port_ok {
            return false;
        }
        if let Some((prefix, suffix)) = &self.label {
            host.split_once('.').is_some_and(|(label, parent)| {
                parent == self.host
                    && label.len() > prefix.len() + suffix.len()
                    && label.starts_with(prefix.as_str())
                    && label.ends_with(suffix.as_str())
            })
        } else if self.wildcard {
            host.len() > self.host.len() + 1
                && host.ends_with(self.host.as_str())
                && host.as_bytes()[host.len() - self.host.len() - 1] == b'.'
        } else {
            host == self.host
        }
    }
}

/// `labels - 1` random labels under a top-level domain.
fn host(rng: &mut Rng, labels: usize) -> String {
    let parts: Vec<String> = (0..labels - 1).map(|_| label(rng)).collect();
    let tld = rng.pick(TLDS);
    text::domain(&parts, tld)
}

/// A port above 1023.
fn high_port(rng: &mut Rng) -> u16 {
    rng.between(1024, 65535) as u16
}

/// A port variant of the workloads that have them: an earlier exact host (one of `exact`,
/// indices into `out`) again, on an explicit port above 1023, or 1 in 10 on `*`.
fn port_variant(rng: &mut Rng, out: &[GenRule], exact: &[usize]) -> GenRule {
    let earlier = out[exact[rng.below(exact.len())]].clone();
    let port = if rng.percent(10) {
        Port::Any
    } else {
        Port::Exact(high_port(rng))
    };
    GenRule { port, ..earlier }
}

fn port(rng: &mut Rng) -> Port {
    match rng.below(100) {
        0..=19 => Port::Exact(high_port(rng)),
        20..=24 => Port::Any,
        _ => Port::Default,
    }
}

/// `n` rules, deterministic for a given `seed`.
pub fn rules(n: usize, seed: u64) -> Vec<GenRule> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let mode = if rng.percent(50) {
                Mode::Live
            } else {
                Mode::Test
            };
            let https = mode == Mode::Live || rng.percent(50);
            let wildcard = rng.percent(30);
            // A wildcard's base has 2–3 labels, so that the pattern has 3–4; an exact host 2–4.
            let labels = if wildcard {
                rng.between(2, 3)
            } else {
                rng.between(2, 4)
            };
            GenRule {
                mode,
                https,
                host: host(&mut rng, labels),
                wildcard,
                label: None,
                port: port(&mut rng),
            }
        })
        .collect()
}

/// `n - label_rules` rules of [`rules`] with `label_rules` label wildcards mixed in at
/// random positions: 50 bases of 3 labels, each with its share of `pr-*`, `*-staging` and
/// `app-*-eu` style patterns over random literals, ports as for other rules.
pub fn rules_with_label_wildcards(n: usize, label_rules: usize, seed: u64) -> Vec<GenRule> {
    let mut out = rules(n - label_rules, seed);
    let mut rng = Rng::new(seed ^ 0x1ABE1);
    let bases: Vec<String> = (0..50).map(|_| host(&mut rng, 3)).collect();
    for _ in 0..label_rules {
        let mode = if rng.percent(50) {
            Mode::Live
        } else {
            Mode::Test
        };
        let https = mode == Mode::Live || rng.percent(50);
        let base = bases[rng.below(bases.len())].clone();
        let (prefix, suffix) = match rng.between(0, 2) {
            0 => (format!("{}-", label(&mut rng)), String::new()),
            1 => (String::new(), format!("-{}", label(&mut rng))),
            _ => (
                format!("{}-", label(&mut rng)),
                format!("-{}", label(&mut rng)),
            ),
        };
        let rule = GenRule {
            mode,
            https,
            host: base,
            wildcard: false,
            label: Some((prefix, suffix)),
            port: port(&mut rng),
        };
        let at = rng.below(out.len() + 1);
        out.insert(at, rule);
    }
    out
}

/// `n` label wildcards built to be hard for an automaton, spread round-robin over `bases`
/// bases (`b0.example.com`, ...): 20–30 `a`s before the `*` (so the prefixes nest), and
/// 16–24 random letters and digits and `x9k2` after it (so that after the prefix every
/// suffix is a live candidate at once), all live `https` on the default port.
pub fn adversarial_label_wildcards(n: usize, bases: usize, seed: u64) -> Vec<GenRule> {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let prefix = "a".repeat(rng.between(20, 30));
            let len = rng.between(16, 24);
            let suffix: String = (0..len)
                .map(|_| char::from(ALNUM[rng.below(ALNUM.len())]))
                .chain("x9k2".chars())
                .collect();
            GenRule {
                mode: Mode::Live,
                https: true,
                host: format!("b{}.example.com", i % bases),
                wildcard: false,
                label: Some((prefix, suffix)),
                port: Port::Default,
            }
        })
        .collect()
}

/// The exact hosts of the same size as `rules`' label wildcards: each `*` replaced by `x`.
pub fn exact_twins(rules: &[GenRule]) -> Vec<GenRule> {
    rules
        .iter()
        .map(|rule| {
            let (prefix, suffix) = rule.label.as_ref().expect("a label wildcard");
            GenRule {
                host: format!("{prefix}x{suffix}.{}", rule.host),
                label: None,
                ..rule.clone()
            }
        })
        .collect()
}

/// The builder for `rules`.
pub fn builder(rules: &[GenRule]) -> PolicyBuilder {
    let entries: Vec<(Mode, String)> = rules.iter().map(|rule| (rule.mode, rule.text())).collect();
    crate::builder(&entries)
}

/// Builds the policy. A random base may happen to be a public suffix; such rules are
/// dropped (from `rules` too, so that baselines see the same list).
pub fn policy(rules: &mut Vec<GenRule>) -> Policy {
    loop {
        match builder(rules).build() {
            Ok(policy) => return policy,
            Err(error) => {
                let mut bad: Vec<(Mode, usize)> = error
                    .entries()
                    .iter()
                    .map(|entry| (entry.mode, entry.index))
                    .collect();
                bad.sort_by_key(|&(mode, index)| (mode == Mode::Test, index));
                let mut seen = [0usize; 2];
                rules.retain(|rule| {
                    let slot = usize::from(rule.mode == Mode::Test);
                    let position = seen[slot];
                    seen[slot] += 1;
                    !bad.contains(&(rule.mode, position))
                });
            }
        }
    }
}

/// One query: the mode and the `Origin` header value.
#[derive(Debug, Clone)]
pub struct Query {
    pub mode: Mode,
    pub origin: String,
}

/// The origin of `host` with `rule`'s scheme, on `port` or the scheme's default.
fn origin(rule: &GenRule, host: &str, port: Option<u16>) -> String {
    text::origin(rule.scheme(), host, port.unwrap_or(rule.default_port()))
}

fn hit_port(rng: &mut Rng, rule: &GenRule) -> Option<u16> {
    match rule.port {
        Port::Default => None,
        Port::Exact(port) => Some(port),
        Port::Any => Some(high_port(rng)),
    }
}

fn other(mode: Mode) -> Mode {
    match mode {
        Mode::Live => Mode::Test,
        _ => Mode::Live,
    }
}

/// `count` hits and `count` misses against `rules`, each kind of miss equally often.
/// `allowed` is the ground truth used to keep only true hits and true misses.
pub fn queries(
    rules: &[GenRule],
    count: usize,
    seed: u64,
    allowed: impl Fn(&Query) -> bool,
) -> (Vec<Query>, Vec<Query>) {
    let mut rng = Rng::new(seed);
    let mut hits = Vec::new();
    let mut misses = Vec::new();
    let exact: Vec<&GenRule> = rules
        .iter()
        .filter(|r| !r.wildcard && r.label.is_none())
        .collect();
    let wild: Vec<&GenRule> = rules.iter().filter(|r| r.wildcard).collect();
    let labeled: Vec<&GenRule> = rules.iter().filter(|r| r.label.is_some()).collect();
    // The label of a label-wildcard rule's origin: `middle` stands for the `*`.
    let fill = |rule: &GenRule, middle: &str| {
        let (prefix, suffix) = rule.label.as_ref().expect("a label wildcard");
        format!("{prefix}{middle}{suffix}.{}", rule.host)
    };
    let mut attempts = 0;
    while (hits.len() < count || misses.len() < count) && attempts < count * 100 {
        attempts += 1;
        let pick = |rng: &mut Rng, list: &[&GenRule]| -> Option<GenRule> {
            if list.is_empty() {
                None
            } else {
                Some(list[rng.below(list.len())].clone())
            }
        };
        if hits.len() < count {
            let query = if !labeled.is_empty() && rng.percent(20) {
                pick(&mut rng, &labeled).map(|rule| {
                    let middle = label(&mut rng);
                    let port = hit_port(&mut rng, &rule);
                    Query {
                        mode: rule.mode,
                        origin: origin(&rule, &fill(&rule, &middle), port),
                    }
                })
            } else if rng.percent(50) {
                pick(&mut rng, &exact).map(|rule| {
                    let port = hit_port(&mut rng, &rule);
                    Query {
                        mode: rule.mode,
                        origin: origin(&rule, &rule.host, port),
                    }
                })
            } else {
                pick(&mut rng, &wild).map(|rule| {
                    let depth = rng.between(1, 3);
                    let mut host = String::new();
                    for _ in 0..depth {
                        host.push_str(&label(&mut rng));
                        host.push('.');
                    }
                    host.push_str(&rule.host);
                    let port = hit_port(&mut rng, &rule);
                    Query {
                        mode: rule.mode,
                        origin: origin(&rule, &host, port),
                    }
                })
            };
            if let Some(query) = query.filter(|q| allowed(q)) {
                hits.push(query);
            }
        }
        if misses.len() < count {
            let kinds = if labeled.is_empty() { 4 } else { 5 };
            let query = match rng.between(0, kinds) {
                // A label wildcard's near miss: nothing for the `*`, or one label too many.
                5 => pick(&mut rng, &labeled).map(|rule| {
                    let host = if rng.percent(50) {
                        fill(&rule, "")
                    } else {
                        format!("{}.{}", label(&mut rng), fill(&rule, "x"))
                    };
                    let port = hit_port(&mut rng, &rule);
                    Query {
                        mode: rule.mode,
                        origin: origin(&rule, &host, port),
                    }
                }),
                // A random host.
                0 => {
                    let labels = rng.between(2, 4);
                    let mode = if rng.percent(50) {
                        Mode::Live
                    } else {
                        Mode::Test
                    };
                    Some(Query {
                        mode,
                        origin: format!("https://{}", host(&mut rng, labels)),
                    })
                }
                // The right host on the wrong port.
                1 => pick(&mut rng, &exact)
                    .filter(|rule| rule.port != Port::Any)
                    .map(|rule| Query {
                        mode: rule.mode,
                        origin: origin(&rule, &rule.host, Some(high_port(&mut rng))),
                    }),
                // A wildcard's apex.
                2 => pick(&mut rng, &wild).map(|rule| {
                    let port = hit_port(&mut rng, &rule);
                    Query {
                        mode: rule.mode,
                        origin: origin(&rule, &rule.host, port),
                    }
                }),
                // The wrong mode.
                3 => pick(&mut rng, &exact).map(|rule| {
                    let port = hit_port(&mut rng, &rule);
                    Query {
                        mode: other(rule.mode),
                        origin: origin(&rule, &rule.host, port),
                    }
                }),
                // A shared-suffix near miss: `barfoo.com` against `*.foo.com`.
                _ => pick(&mut rng, &wild).map(|rule| {
                    let host = format!("{}{}", label(&mut rng), rule.host);
                    let port = hit_port(&mut rng, &rule);
                    Query {
                        mode: rule.mode,
                        origin: origin(&rule, &host, port),
                    }
                }),
            };
            if let Some(query) = query.filter(|q| !allowed(q)) {
                misses.push(query);
            }
        }
    }
    (hits, misses)
}

/// A label of exactly `len` lowercase letters.
fn letters(rng: &mut Rng, len: usize) -> String {
    let shape = LabelShape {
        min_len: len,
        max_len: len,
        ..LabelShape::WORDS
    };
    text::random_label(rng, &shape)
}

/// A host of `labels` labels (2–4) and 20–40 bytes, 30 on average: the labels before the
/// top-level domain share what the dots and the TLD leave of the drawn length.
fn sized_host(rng: &mut Rng, labels: usize) -> String {
    let tld = rng.pick(TLDS);
    let total = rng.between(20, 40);
    let front = labels - 1;
    let letters_left = total - tld.len() - front;
    let mut parts = Vec::with_capacity(front);
    for at in 0..front {
        let share = letters_left / front + usize::from(at < letters_left % front);
        parts.push(letters(rng, share.clamp(1, 63)));
    }
    text::domain(&parts, tld)
}

/// `n` rules of the issue-17 workload, deterministic for a given `seed`: about 60% exact
/// hosts, 30% `*.` wildcards and 10% port variants (an earlier exact host again, on an
/// explicit port, 1 in 10 of them on `*`); hosts and wildcard bases of 2–4 labels and 20–40
/// bytes (30 on average; bases 2–3 labels); both modes, as [`rules`].
pub fn sized_rules(n: usize, seed: u64) -> Vec<GenRule> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<GenRule> = Vec::with_capacity(n);
    let mut exact: Vec<usize> = Vec::new();
    while out.len() < n {
        let kind = rng.below(100);
        if kind >= 90 && !exact.is_empty() {
            let variant = port_variant(&mut rng, &out, &exact);
            out.push(variant);
            continue;
        }
        let mode = if rng.percent(50) {
            Mode::Live
        } else {
            Mode::Test
        };
        let https = mode == Mode::Live || rng.percent(50);
        let wildcard = (60..90).contains(&kind);
        let labels = if wildcard {
            rng.between(2, 3)
        } else {
            rng.between(2, 4)
        };
        if !wildcard {
            exact.push(out.len());
        }
        out.push(GenRule {
            mode,
            https,
            host: sized_host(&mut rng, labels),
            wildcard,
            label: None,
            port: Port::Default,
        });
    }
    out
}
