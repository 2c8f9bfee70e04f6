//! Building is linear in the size of the list, whatever its shape: a policy of 10,000
//! adversarial label wildcards (long literals, nested prefixes and suffixes, one crowded
//! base and hundreds of others) builds without error and answers like a plain scan.
//!
//! This tests success, not time: the numbers are in BENCHMARKS.md.

use origin_policy::pattern::{HostPattern, PortSpec};
use origin_policy::{Mode, Origin, Policy, Rule};
use origin_policy_testkit as testkit;
use origin_policy_testkit::rng::{Choices, SplitMix64};
use origin_policy_testkit::text::{self, LabelShape};

/// `len` random characters of `a-z 0-9 - _`: the literals of label wildcards.
fn literal(rng: &mut SplitMix64, len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_";
    let shape = LabelShape {
        min_len: len,
        max_len: len,
        first: ALPHABET,
        middle: ALPHABET,
        last: ALPHABET,
    };
    text::random_label(rng, &shape)
}

/// 10,000 label wildcards, live and test:
///
/// * every `a{p}*a{s}` with `1 <= p + s <= 62` on one base (2,015 patterns along one path
///   of each trie: the worst case of a check on `a{63}`);
/// * 3,000 random 60-byte prefixes or suffixes on a second base (the shape that took DFAs
///   over their size limit);
/// * the rest as `aaaa*x9k2`-like patterns of random lengths on 400 bases, with ports.
fn entries() -> Vec<(Mode, String)> {
    let mut rng = SplitMix64::new(0x2545_f491_4f6c_dd1d);
    let mut out = Vec::new();
    for total in 1..=62 {
        for p in 0..=total {
            let (prefix, suffix) = ("a".repeat(p), "a".repeat(total - p));
            out.push((
                Mode::Live,
                format!("https://{prefix}*{suffix}.nest.example.com"),
            ));
        }
    }
    assert_eq!(out.len(), 2_015);
    for i in 0..3_000 {
        let literal = literal(&mut rng, 60);
        let entry = if i % 2 == 0 {
            format!("https://{literal}*.long.example.com")
        } else {
            format!("https://*{literal}.long.example.com")
        };
        out.push((Mode::Live, entry));
    }
    while out.len() < 10_000 {
        let base = format!("b{}.example.com", rng.below(400));
        let prefix_len = [0, 1, 4, 20, 40][rng.below(5)];
        let suffix_len = [0, 1, 4, 20][rng.below(4)].max(usize::from(prefix_len == 0));
        // `aaaa` first, so that prefixes of one base share their start.
        let prefix: String = format!("aaaa{}", literal(&mut rng, prefix_len))
            .chars()
            .take(prefix_len)
            .collect();
        let suffix = literal(&mut rng, suffix_len);
        let port = match rng.below(4) {
            0 => ":*".to_owned(),
            1 => format!(":{}", 8000 + rng.below(3)),
            _ => String::new(),
        };
        let (mode, scheme) = match rng.below(3) {
            0 => (Mode::Test, "http"),
            _ => (Mode::Live, "https"),
        };
        out.push((mode, format!("{scheme}://{prefix}*{suffix}.{base}{port}")));
    }
    out
}

/// The plain answer: of the rules of `mode` that match, the most literal characters, then
/// an exact port, then the lowest index. (Every rule here is a label wildcard.)
fn scan(policy: &Policy, mode: Mode, origin: &str) -> Option<usize> {
    let origin = Origin::parse(origin).ok()?;
    let rank = |rule: &Rule| match (rule.to_pattern().host(), rule.to_pattern().port()) {
        (HostPattern::LabelWildcard { prefix, suffix, .. }, port) => (
            prefix.len() + suffix.len(),
            matches!(port, PortSpec::Exact(_)),
        ),
        _ => unreachable!("only label wildcards here"),
    };
    let mut best: Option<&Rule> = None;
    for rule in policy.rules(mode) {
        if rule.to_pattern().matches(&origin) && best.is_none_or(|best| rank(rule) > rank(best)) {
            best = Some(rule);
        }
    }
    best.map(Rule::index)
}

fn answer(policy: &Policy, mode: Mode, origin: &str) -> Option<usize> {
    policy
        .check(mode, origin)
        .rule()
        .map(|rule: &Rule| rule.index())
}

#[test]
fn ten_thousand_adversarial_label_wildcards_build_and_answer() {
    let entries = entries();
    assert_eq!(entries.len(), 10_000);
    let policy = testkit::builder(&entries)
        .build()
        .expect("no limit below 10,000 label wildcards");
    assert_eq!(
        policy.rules(Mode::Live).len() + policy.rules(Mode::Test).len(),
        10_000
    );

    // The nested patterns: every one fits `a{63}`; the 62-literal ones win, and of them
    // the lowest, `*a{62}`, after the 2 + 3 + ... + 62 = 1,952 shorter ones.
    let nest = |label: &str| format!("https://{label}.nest.example.com");
    let first_of_62 = (1..62).map(|total| total + 1).sum::<usize>();
    assert_eq!(
        answer(&policy, Mode::Live, &nest(&"a".repeat(63))),
        Some(first_of_62)
    );
    assert_eq!(
        scan(&policy, Mode::Live, &nest(&"a".repeat(63))),
        Some(first_of_62)
    );
    // `a{2}`: only the 1-literal `*a` (index 0) and `a*` (index 1); the lowest wins.
    assert_eq!(answer(&policy, Mode::Live, &nest("aa")), Some(0));
    assert_eq!(answer(&policy, Mode::Live, &nest("a")), None);
    assert_eq!(answer(&policy, Mode::Live, &nest("b")), None);
    for len in [3, 10, 31, 62, 63] {
        let label = "a".repeat(len);
        assert_eq!(
            answer(&policy, Mode::Live, &nest(&label)),
            scan(&policy, Mode::Live, &nest(&label)),
            "a{{{len}}}"
        );
    }

    // Every 37th rule: an origin that fills its `*`, the same with nothing for the `*`,
    // one label too many, and another base.
    let mut checked = 0;
    for mode in Mode::ALL {
        for rule in policy.rules(mode).iter().step_by(37) {
            let pattern = rule.to_pattern();
            let HostPattern::LabelWildcard {
                prefix,
                suffix,
                base,
            } = pattern.host()
            else {
                unreachable!()
            };
            let port = match pattern.port() {
                PortSpec::Exact(port) => port,
                PortSpec::Any => 9,
            };
            let scheme = pattern.scheme();
            let filled = format!("{scheme}://{prefix}x{suffix}.{base}:{port}");
            assert!(pattern.matches(&Origin::parse(&filled).unwrap()));
            assert!(answer(&policy, mode, &filled).is_some(), "{filled}");
            for origin in [
                filled.clone(),
                format!("{scheme}://{prefix}{suffix}.{base}:{port}"),
                format!("{scheme}://q.{prefix}x{suffix}.{base}:{port}"),
                format!("{scheme}://{prefix}x{suffix}.other.{base}:{port}"),
            ] {
                assert_eq!(
                    answer(&policy, mode, &origin),
                    scan(&policy, mode, &origin),
                    "{mode:?} {origin}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1_000, "{checked}");
}
