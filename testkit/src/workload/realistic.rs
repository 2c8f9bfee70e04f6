//! The issue-26 workload: the check a gateway makes on real traffic. Rules: 60% exact
//! hosts, 30% `*.` wildcards, 10% port variants (an earlier exact host again on an explicit
//! port, 1 in 10 of them on `*`); hosts of 2–4 labels (wildcard bases 2–3) whose labels
//! mix letters, digits and hyphens as deployed names do (`shop42`, `eu-west-1`, `api-v2`);
//! live mode only (`https`). Queries: hits for rules picked uniformly (so in the rules'
//! mix; a wildcard hit 1–2 labels deep) and misses of six kinds, all in live mode and
//! canonical. About 94% of the hit origins contain a digit, as in the issue's run.

use origin_policy::Mode;

use super::{high_port, port_variant, GenRule, Port, Query, Rng};
use crate::alphabet::workload::TLDS;
use crate::rng::Choices;
use crate::text::{self, LabelShape};

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const DIGITS: &[u8] = b"0123456789";
/// Words of deployed names, joined with `-` to the rest of a label.
const WORDS: &[&str] = &[
    "api", "app", "eu", "us", "west", "east", "prod", "stage", "cdn", "edge", "web", "shop", "pay",
    "auth", "v2", "beta", "node", "dev", "my", "go",
];

/// `len` random characters of `set`.
fn chars(rng: &mut Rng, set: &[u8], len: usize) -> String {
    (0..len).map(|_| char::from(rng.pick(set))).collect()
}

/// One label as deployed names have them: a word of 3–7 letters, and then most often
/// digits (`shop42`, `node-7`), sometimes a hyphenated word (`eu-west`) or both
/// (`eu-west-1`).
pub fn label(rng: &mut Rng) -> String {
    let shape = LabelShape {
        min_len: 3,
        max_len: 7,
        ..LabelShape::WORDS
    };
    let mut label = text::random_label(rng, &shape);
    if rng.percent(25) {
        label.push('-');
        label.push_str(rng.pick(WORDS));
    }
    match rng.below(100) {
        0..=47 => {
            let len = rng.between(1, 3);
            label.push_str(&chars(rng, DIGITS, len));
        }
        48..=77 => {
            let len = rng.between(1, 2);
            label.push('-');
            label.push_str(&chars(rng, DIGITS, len));
        }
        78..=85 => label.push(char::from(rng.pick(LETTERS))),
        _ => {}
    }
    label
}

/// `labels - 1` labels of [`label`] under a top-level domain.
fn host(rng: &mut Rng, labels: usize) -> String {
    let parts: Vec<String> = (0..labels - 1).map(|_| label(rng)).collect();
    text::domain(&parts, rng.pick(TLDS))
}

/// `n` rules of the issue-26 workload, deterministic for a given `seed`, all live `https`.
pub fn realistic_rules(n: usize, seed: u64) -> Vec<GenRule> {
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
            mode: Mode::Live,
            https: true,
            host: host(&mut rng, labels),
            wildcard,
            label: None,
            port: Port::Default,
        });
    }
    out
}

/// The live origin of `host` on `rule`'s port (a random high port for `:*`).
fn origin_on(rng: &mut Rng, rule: &GenRule, host: &str) -> String {
    let port = match rule.port {
        Port::Default => rule.default_port(),
        Port::Exact(port) => port,
        Port::Any => high_port(rng),
    };
    text::origin(rule.scheme(), host, port)
}

/// A hit for `rule`: its host, or 1–2 labels under its base.
fn hit(rng: &mut Rng, rule: &GenRule) -> String {
    if rule.wildcard {
        let depth = rng.between(1, 2);
        let mut host = String::new();
        for _ in 0..depth {
            host.push_str(&label(rng));
            host.push('.');
        }
        host.push_str(&rule.host);
        origin_on(rng, rule, &host)
    } else {
        origin_on(rng, rule, &rule.host)
    }
}

/// A miss of one of six kinds: a random host, an exact host on another port, a wildcard's
/// apex, a shared-suffix near miss (`x1foo.com` against `*.foo.com`), a subdomain of an
/// exact host, an exact host with its last character before the first dot changed.
fn miss(rng: &mut Rng, rule: &GenRule) -> String {
    let https = |host: &str| text::origin(rule.scheme(), host, rule.default_port());
    match rng.below(6) {
        0 => {
            let labels = rng.between(2, 4);
            https(&host(rng, labels))
        }
        1 => text::origin(rule.scheme(), &rule.host, high_port(rng)),
        2 => origin_on(rng, rule, &rule.host),
        3 => {
            let host = format!("{}{}", label(rng), rule.host);
            origin_on(rng, rule, &host)
        }
        4 => {
            let host = format!("{}.{}", label(rng), rule.host);
            origin_on(rng, rule, &host)
        }
        _ => {
            let mut host = rule.host.clone().into_bytes();
            let at = host.iter().position(|&b| b == b'.').unwrap_or(1) - 1;
            host[at] = if host[at].is_ascii_digit() {
                b'0' + (host[at] - b'0' + 1) % 10
            } else {
                rng.pick(DIGITS)
            };
            let host = String::from_utf8(host).expect("ASCII");
            origin_on(rng, rule, &host)
        }
    }
}

/// `count` hits and `count` misses against `rules` (live mode), deterministic for a
/// given `seed`. `allowed` is the ground truth used to keep only true hits and true misses.
///
/// # Panics
///
/// If fewer than `count` of either are found in `100 * count` attempts.
pub fn realistic_queries(
    rules: &[GenRule],
    count: usize,
    seed: u64,
    allowed: impl Fn(&Query) -> bool,
) -> (Vec<Query>, Vec<Query>) {
    let mut rng = Rng::new(seed);
    let (mut hits, mut misses) = (Vec::new(), Vec::new());
    let mut attempts = 0;
    while hits.len() < count || misses.len() < count {
        attempts += 1;
        assert!(attempts <= 100 * count, "too few queries found");
        let rule = &rules[rng.below(rules.len())];
        let query = |origin| Query {
            mode: Mode::Live,
            origin,
        };
        if hits.len() < count {
            let q = query(hit(&mut rng, rule));
            if allowed(&q) {
                hits.push(q);
            }
        }
        if misses.len() < count {
            let q = query(miss(&mut rng, rule));
            if !allowed(&q) {
                misses.push(q);
            }
        }
    }
    (hits, misses)
}

/// One tenant of [`realistic_tenants`]: its key, its policy and one hit origin of it.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub key: String,
    pub policy: origin_policy::Policy,
    pub hit: String,
}

/// `count` tenants (`tenant-0`, `tenant-1`, ...) of `rules` realistic rules each, each
/// policy built from its own seed, with one live hit origin per tenant.
pub fn realistic_tenants(count: usize, rules: usize, seed: u64) -> Vec<Tenant> {
    (0..count)
        .map(|i| {
            let seed = crate::rng::mix(seed ^ i as u64);
            let mut list = realistic_rules(rules, seed);
            let policy = super::policy(&mut list);
            let mut rng = Rng::new(seed ^ 0x417);
            let hit = loop {
                let rule = &list[rng.below(list.len())];
                let origin = hit(&mut rng, rule);
                if policy.is_allowed(Mode::Live, &origin) {
                    break origin;
                }
            };
            Tenant {
                key: format!("tenant-{i}"),
                policy,
                hit,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_is_the_issues() {
        let mut rules = realistic_rules(10_000, 26);
        let policy = super::super::policy(&mut rules);
        let share = |f: &dyn Fn(&GenRule) -> bool| {
            rules.iter().filter(|r| f(r)).count() as f64 / rules.len() as f64
        };
        let wild = share(&|r| r.wildcard);
        let ports = share(&|r| r.port != Port::Default);
        assert!((0.28..0.32).contains(&wild), "{wild}");
        assert!((0.08..0.12).contains(&ports), "{ports}");
        assert!(rules.iter().all(|r| r.mode == Mode::Live && r.https));
        assert!(rules
            .iter()
            .all(|r| (2..=4).contains(&r.host.split('.').count())));
        let (hits, misses) =
            realistic_queries(&rules, 1_024, 7, |q| policy.is_allowed(q.mode, &q.origin));
        assert_eq!((hits.len(), misses.len()), (1_024, 1_024));
        let digits = hits
            .iter()
            .filter(|q| q.origin.bytes().any(|b| b.is_ascii_digit()))
            .count() as f64
            / 1_024.0;
        assert!((0.92..0.96).contains(&digits), "{digits}");
        assert!(hits.iter().any(|q| q.origin.contains('-')));
        assert!(hits
            .iter()
            .all(|q| policy.is_allowed(Mode::Live, &q.origin)));
        assert!(misses
            .iter()
            .all(|q| !policy.is_allowed(Mode::Live, &q.origin)));
        let tenants = realistic_tenants(50, 4, 1);
        assert!(tenants
            .iter()
            .all(|t| t.policy.is_allowed(Mode::Live, &t.hit)));
        assert_eq!(tenants[49].key, "tenant-49");
        let mean = hits.iter().map(|q| q.origin.len()).sum::<usize>() as f64 / 1_024.0;
        eprintln!("digits {digits:.3}, mean hit origin {mean:.1} bytes");
    }
}
