//! `Policy::lint`: one group of tests per warning kind, the cases that must not warn, the
//! order of the warnings and their text.

use origin_policy::{Mode, Policy, Rule, Warning, WarningKind};

use origin_policy_testkit::policy;
use origin_policy_testkit::rng::{Choices, SplitMix64};

/// Each warning as `Kind mode[i]` or `Kind mode[i]~mode[j]`, as `spec-table.md` writes them.
fn compact(policy: &Policy) -> Vec<String> {
    policy.lint().iter().map(compact_one).collect()
}

fn compact_one(warning: &Warning<'_>) -> String {
    let name = |rule: &Rule| format!("{}[{}]", rule.mode(), rule.index());
    match warning.other() {
        Some(other) => format!(
            "{:?} {}~{}",
            warning.kind(),
            name(warning.rule()),
            name(other)
        ),
        None => format!("{:?} {}", warning.kind(), name(warning.rule())),
    }
}

fn lines(policy: &Policy) -> Vec<String> {
    policy.lint().iter().map(ToString::to_string).collect()
}

fn assert_clean(live: &[&str], test: &[&str]) {
    let policy = policy(live, test);
    assert_eq!(compact(&policy), Vec::<String>::new(), "{live:?} {test:?}");
}

// --- Duplicate ---

#[test]
fn duplicates_name_the_first_rule_of_the_pattern() {
    let policy = policy(
        &[
            "https://www.x.com",
            "https://a.x.com",
            "https://www.x.com",
            "HTTPS://WWW.X.COM./",
        ],
        &[],
    );
    assert_eq!(
        compact(&policy),
        ["Duplicate live[2]~live[0]", "Duplicate live[3]~live[0]"]
    );
    assert_eq!(
        lines(&policy)[0],
        "live[2] https://www.x.com duplicates live[0] https://www.x.com"
    );
}

#[test]
fn a_duplicate_is_not_also_redundant() {
    let policy = policy(
        &["https://*.x.com", "https://a.x.com", "https://a.x.com"],
        &[],
    );
    assert_eq!(
        compact(&policy),
        ["Redundant live[1]~live[0]", "Duplicate live[2]~live[1]"]
    );
}

#[test]
fn duplicate_wildcards_and_loopback_rules() {
    assert_eq!(
        compact(&policy(
            &["https://*.x.com:*", "https://*.X.com:*"],
            &["http://localhost:*", "http://LOCALHOST:*"]
        )),
        ["Duplicate live[1]~live[0]", "Duplicate test[1]~test[0]"]
    );
}

#[test]
fn the_same_pattern_in_the_other_mode_or_scheme_or_port_is_no_duplicate() {
    assert_clean(&["https://x.com"], &["https://x.com"]);
    assert_clean(&[], &["http://localhost", "https://localhost"]);
    assert_clean(&["https://x.com:8443", "https://x.com:9443"], &[]);
    assert_clean(&["https://x.com", "https://www.x.com"], &[]);
}

// --- Redundant ---

#[test]
fn an_exact_host_under_a_wildcard_is_redundant() {
    for (live, expected) in [
        (
            ["https://*.x.com", "https://a.x.com"],
            "Redundant live[1]~live[0]",
        ),
        (
            ["https://a.x.com", "https://*.x.com"],
            "Redundant live[0]~live[1]",
        ),
        (
            ["https://*.x.com", "https://a.b.c.x.com"],
            "Redundant live[1]~live[0]",
        ),
        (
            ["https://*.x.com:*", "https://a.x.com:8443"],
            "Redundant live[1]~live[0]",
        ),
        (
            ["https://*.x.com:*", "https://a.x.com:*"],
            "Redundant live[1]~live[0]",
        ),
        (
            ["https://*.x.com:8443", "https://a.x.com:8443"],
            "Redundant live[1]~live[0]",
        ),
    ] {
        assert_eq!(compact(&policy(&live, &[])), [expected], "{live:?}");
    }
    assert_eq!(
        lines(&policy(
            &["https://*.x.com", "https://x.com", "https://a.x.com"],
            &[]
        )),
        ["live[2] https://a.x.com is covered by live[0] https://*.x.com"]
    );
}

#[test]
fn a_wildcard_under_a_shorter_wildcard_is_redundant() {
    assert_eq!(
        compact(&policy(&["https://*.x.com", "https://*.a.x.com"], &[])),
        ["Redundant live[1]~live[0]"]
    );
    assert_eq!(
        compact(&policy(
            &["https://*.a.b.x.com:8443", "https://*.x.com:*"],
            &[]
        )),
        ["Redundant live[0]~live[1]"]
    );
    assert_eq!(
        compact(&policy(
            &[],
            &["http://*.localhost:*", "http://*.app.localhost:3000"]
        )),
        ["Redundant test[1]~test[0]"]
    );
}

#[test]
fn an_exact_port_under_any_port_on_the_same_host_is_redundant() {
    assert_eq!(
        compact(&policy(&["https://x.com:*", "https://x.com:8443"], &[])),
        ["Redundant live[1]~live[0]"]
    );
    assert_eq!(
        compact(&policy(&["https://x.com", "https://x.com:*"], &[])),
        ["Redundant live[0]~live[1]"]
    );
    assert_eq!(
        compact(&policy(&["https://*.x.com:*", "https://*.x.com"], &[])),
        ["Redundant live[1]~live[0]"]
    );
    assert_eq!(
        compact(&policy(
            &["https://[2001:db8::1]:*", "https://[2001:db8::1]"],
            &["http://127.0.0.1:*", "http://127.0.0.1:3000"]
        )),
        [
            "NotInFrameAncestors live[0]",
            "Redundant live[1]~live[0]",
            "NotInFrameAncestors live[1]",
            "Redundant test[1]~test[0]"
        ]
    );
}

#[test]
fn the_broadest_covering_rule_is_named() {
    let policy = policy(
        &[
            "https://b.a.x.com",
            "https://*.a.x.com",
            "https://b.a.x.com:*",
            "https://*.x.com",
        ],
        &[],
    );
    assert_eq!(
        compact(&policy),
        ["Redundant live[0]~live[3]", "Redundant live[1]~live[3]"]
    );
}

#[test]
fn a_wildcard_does_not_cover_its_own_base() {
    assert_clean(&["https://x.com", "https://*.x.com"], &[]);
    assert_clean(&["https://*.x.com", "https://x.com"], &[]);
    assert_clean(&["https://a.x.com", "https://*.a.x.com"], &[]);
}

#[test]
fn no_redundancy_across_schemes_ports_modes_or_label_boundaries() {
    // Scheme.
    assert_clean(&[], &["https://*.localhost", "http://a.localhost"]);
    assert_clean(&[], &["http://localhost:*", "https://localhost:3000"]);
    // Port: exact ports differ, and `*` is not covered by an exact port.
    assert_clean(&["https://*.x.com", "https://a.x.com:8443"], &[]);
    assert_clean(&["https://*.x.com:8443", "https://a.x.com"], &[]);
    assert_clean(&["https://*.x.com", "https://a.x.com:*"], &[]);
    assert_clean(&["https://x.com:8443", "https://y.com:*"], &[]);
    // Mode.
    assert_clean(&["https://*.x.com"], &["https://a.x.com"]);
    assert_clean(&["https://x.com:*"], &["https://x.com:8443"]);
    // Whole labels: `a.yx.com` is not under `x.com`, `x.com` is not under `a.x.com`.
    assert_clean(&["https://*.x.com", "https://a.yx.com"], &[]);
    assert_clean(&["https://*.a.x.com", "https://b.x.com"], &[]);
    assert_clean(&["https://*.a.x.com", "https://*.b.x.com"], &[]);
    // IP addresses are never under a wildcard, and other addresses are other hosts.
    assert_clean(&["https://1.2.3.4:*", "https://1.2.3.5"], &[]);
}

// --- ExplicitDefaultPort ---

#[test]
fn an_entry_that_names_the_default_port_is_reported() {
    let policy = policy(
        &[
            "https://x.com:443",
            "https://*.y.com:443/",
            "HTTPS://Z.COM.:443",
        ],
        &["http://localhost:80"],
    );
    assert_eq!(
        compact(&policy),
        [
            "ExplicitDefaultPort live[0]",
            "ExplicitDefaultPort live[1]",
            "ExplicitDefaultPort live[2]",
            "ExplicitDefaultPort test[0]",
        ]
    );
    assert_eq!(
        lines(&policy),
        [
            "live[0] https://x.com:443 names the default port; write https://x.com",
            "live[1] https://*.y.com:443/ names the default port; write https://*.y.com",
            "live[2] HTTPS://Z.COM.:443 names the default port; write https://z.com",
            "test[0] http://localhost:80 names the default port; write http://localhost",
        ]
    );
}

#[test]
fn other_ports_and_no_port_are_not_reported() {
    assert_clean(
        &["https://x.com", "https://y.com:8443", "https://z.com:*"],
        &[],
    );
    assert_clean(&[], &["http://localhost:443", "https://localhost:80"]);
}

#[test]
fn a_duplicate_that_names_the_default_port_gets_both_warnings() {
    assert_eq!(
        compact(&policy(&["https://x.com", "https://x.com:443"], &[])),
        ["Duplicate live[1]~live[0]", "ExplicitDefaultPort live[1]"]
    );
}

// --- InsecureTestHttp ---

#[test]
fn test_http_to_a_host_that_is_not_loopback_is_reported() {
    let policy = policy(
        &[],
        &[
            "http://staging.x.com",
            "http://*.y.com:*",
            "http://192.168.1.10:3000",
            "http://localhost.z.com",
            "http://[2001:db8::1]",
        ],
    );
    assert_eq!(
        compact(&policy),
        [
            "InsecureTestHttp test[0]",
            "InsecureTestHttp test[1]",
            "InsecureTestHttp test[2]",
            "InsecureTestHttp test[3]",
            "InsecureTestHttp test[4]",
            "NotInFrameAncestors test[4]",
        ]
    );
    assert_eq!(
        lines(&policy)[0],
        "test[0] http://staging.x.com uses http for a host that is not loopback: \
         such traffic can be read and changed in transit"
    );
}

#[test]
fn test_http_to_loopback_and_test_https_are_fine() {
    for test in [
        &["http://localhost:3000", "http://app.localhost"][..],
        &["http://*.localhost:*"],
        &["http://*.dev.localhost"],
    ] {
        assert_clean(&[], test);
    }
    // No InsecureTestHttp; the IPv6 hosts are only beyond frame-ancestors.
    let loopback = policy(
        &[],
        &[
            "http://127.0.0.1:*",
            "http://127.1.2.3",
            "http://[::1]:*",
            "http://[::ffff:127.0.0.1]",
            "https://staging.x.com",
        ],
    );
    assert_eq!(
        compact(&loopback),
        ["NotInFrameAncestors test[2]", "NotInFrameAncestors test[3]"]
    );
}

// --- NotInFrameAncestors ---

#[test]
fn rules_that_frame_ancestors_cannot_express_are_reported_with_the_reason() {
    let policy = policy(
        &[
            "https://pr-*.x.com",
            "https://[2001:db8::1]:8443",
            "https://my_app.x.com",
            "https://*.my_app.x.com",
            "https://*.amazonaws.com",
            "https://www.x.com",
        ],
        &["http://dev-*.localhost:*", "http://[::1]:3000"],
    );
    let found: Vec<_> = policy
        .lint()
        .iter()
        .map(|warning| (compact_one(warning), warning.left_out()))
        .collect();
    use origin_policy::LeftOutReason::*;
    assert_eq!(
        found,
        [
            (
                "NotInFrameAncestors live[0]".to_owned(),
                Some(LabelWildcard)
            ),
            ("NotInFrameAncestors live[1]".to_owned(), Some(Ipv6Host)),
            (
                "NotInFrameAncestors live[2]".to_owned(),
                Some(UnderscoreInHost)
            ),
            (
                "NotInFrameAncestors live[3]".to_owned(),
                Some(UnderscoreInHost)
            ),
            (
                "NotInFrameAncestors live[4]".to_owned(),
                Some(PublicSuffixBelowBase)
            ),
            (
                "NotInFrameAncestors test[0]".to_owned(),
                Some(LabelWildcard)
            ),
            ("NotInFrameAncestors test[1]".to_owned(), Some(Ipv6Host)),
        ]
    );
    assert_eq!(
        lines(&policy)[0],
        "live[0] https://pr-*.x.com is left out of frame-ancestors: a wildcard inside a label: \
         a CSP host-source has a wildcard only in front of whole labels"
    );
    // The lint names exactly the rules the derived lists leave out.
    for mode in Mode::ALL {
        let left_out: Vec<_> = policy
            .frame_ancestors(mode)
            .left_out()
            .iter()
            .map(|left_out| (left_out.rule(), Some(left_out.reason())))
            .collect();
        let warned: Vec<_> = policy
            .lint()
            .iter()
            .filter(|w| w.mode() == mode && w.kind() == WarningKind::NotInFrameAncestors)
            .map(|w| (Some(w.rule().name()), w.left_out()))
            .collect();
        assert_eq!(left_out, warned, "{mode}");
    }
}

#[test]
fn a_wildcard_needs_the_boundary_only_while_the_policy_enforces_it() {
    let entries = [
        (Mode::Live, "https://*.amazonaws.com"),
        (Mode::Live, "https://*.github.io"),
    ];
    let opted_out = origin_policy_testkit::builder(&entries)
        .allow_public_suffix_wildcards(true)
        .build()
        .unwrap();
    // With the boundary ignored, `*.amazonaws.com` is expressible in frame-ancestors and
    // not over a public suffix; `*.github.io` is, and only the option admits it.
    assert_eq!(compact(&opted_out), ["AllowedPublicSuffixWildcard live[1]"]);
    assert_clean(
        &["https://*.mybucket.s3.amazonaws.com", "https://*.x.com:*"],
        &[],
    );
}

// --- order and the whole picture ---

#[test]
fn warnings_come_by_mode_then_rule_then_kind() {
    let policy = policy(
        &[
            "https://b.x.com",
            "https://*.x.com",
            "https://b.x.com:443",
            "https://x.com:443",
        ],
        &["http://a.x.com", "http://a.x.com:80", "http://localhost"],
    );
    assert_eq!(
        compact(&policy),
        [
            "Redundant live[0]~live[1]",
            "Duplicate live[2]~live[0]",
            "ExplicitDefaultPort live[2]",
            "ExplicitDefaultPort live[3]",
            "InsecureTestHttp test[0]",
            "Duplicate test[1]~test[0]",
            "ExplicitDefaultPort test[1]",
            "InsecureTestHttp test[1]",
        ]
    );
    let warnings = policy.lint();
    let keys: Vec<_> = warnings
        .iter()
        .map(|w| {
            let kind = WarningKind::ALL.iter().position(|k| *k == w.kind());
            (w.mode(), w.rule().index(), kind)
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // The same policy lints the same way every time.
    assert_eq!(policy.lint(), warnings);
}

#[test]
fn an_empty_or_clean_policy_has_no_warnings() {
    assert!(Policy::builder().build().unwrap().lint().is_empty());
    assert_clean(
        &[
            "https://www.berbix.com:9999",
            "https://berbix.com",
            "https://*.berbix.com",
        ],
        &["http://localhost:*", "https://*.berbix.com"],
    );
}

#[test]
fn every_display_line_is_one_line_that_names_its_rules() {
    let policy = policy(
        &[
            "https://*.x.com",
            "  https://a.x.com:443\n",
            "https://*.x.com",
        ],
        &["http://x.com"],
    );
    let warnings = policy.lint();
    assert_eq!(warnings.len(), 4);
    for warning in &warnings {
        let line = warning.to_string();
        assert!(!line.contains(['\n', '\t']), "{line:?}");
        let rule = warning.rule();
        assert!(
            line.starts_with(&format!("{}[{}] ", rule.mode(), rule.index())),
            "{line}"
        );
        if let Some(other) = warning.other() {
            assert!(
                line.ends_with(&format!(" {}[{}] {}", other.mode(), other.index(), other)),
                "{line}"
            );
        }
    }
}

#[test]
fn a_large_policy_lints_without_pairwise_comparison() {
    // 20 000 rules; a pairwise loop would make 200 million comparisons.
    let mut entries = Vec::new();
    for group in 0..1_000 {
        entries.push(format!("https://*.g{group}.example.com"));
        for host in 0..19 {
            entries.push(format!(
                "https://h{host}.s{group}.example.com:{}",
                1000 + host
            ));
        }
    }
    // One redundant rule and one duplicate among them.
    entries.push("https://deep.g7.example.com".to_owned());
    entries.push("https://*.g7.example.com".to_owned());
    let entries: Vec<&str> = entries.iter().map(String::as_str).collect();
    let policy = policy(&entries, &[]);
    // And a `frame-ancestors` list far over its 4 KB bound, named at the rule that passes
    // it: 15 bytes of `frame-ancestors`, then 131 sources of about 31 bytes.
    assert_eq!(
        compact(&policy),
        [
            "FrameAncestorsTooLong live[131]",
            "Redundant live[20000]~live[140]",
            "Duplicate live[20001]~live[140]"
        ]
    );
}

/// Differential check over many small policies: the lint against a naive pairwise
/// definition, and every Duplicate / Redundant warning against actual matching.
#[test]
fn duplicate_and_redundant_agree_with_a_pairwise_definition() {
    use origin_policy::pattern::{HostPattern, Pattern, PortSpec};
    use origin_policy::Origin;

    const HOSTS: &[&str] = &[
        "x.com",
        "a.x.com",
        "b.a.x.com",
        "ya.x.com",
        "*.x.com",
        "*.a.x.com",
        "*.b.a.x.com",
        "*.ya.x.com",
        "p-*.x.com",
        "*-q.a.x.com",
        "y.com",
        "*.y.com",
        "1.2.3.4",
    ];
    const PORTS: &[&str] = &["", ":443", ":8443", ":*", ":80"];
    const SCHEMES: &[&str] = &["https", "http"];

    fn covers(broad: &Pattern, narrow: &Pattern) -> bool {
        let ports = broad.port() == PortSpec::Any || broad.port() == narrow.port();
        let under = |name: &str, base: &str| name.ends_with(&format!(".{base}"));
        let hosts = match (broad.host(), narrow.host()) {
            (HostPattern::Subdomains(base), HostPattern::Exact(host)) => {
                under(&host.to_string(), base)
            }
            (HostPattern::Subdomains(broad), HostPattern::Subdomains(narrow)) => {
                broad == narrow || under(narrow, broad)
            }
            (HostPattern::Exact(broad), HostPattern::Exact(narrow)) => broad == narrow,
            (HostPattern::Subdomains(broad), HostPattern::LabelWildcard { base, .. }) => {
                broad == base || under(base, broad)
            }
            (HostPattern::LabelWildcard { .. }, HostPattern::LabelWildcard { .. }) => {
                broad.host() == narrow.host()
            }
            // The lint does not look for exact hosts under a label wildcard (HOSTS holds
            // none that one would match) nor for wildcards under one (none can be).
            (HostPattern::LabelWildcard { .. }, _) => false,
            (
                HostPattern::Exact(_),
                HostPattern::Subdomains(_) | HostPattern::LabelWildcard { .. },
            ) => false,
            (broad, narrow) => panic!("host patterns this test does not know: {broad}, {narrow}"),
        };
        broad != narrow && broad.scheme() == narrow.scheme() && ports && hosts
    }

    /// Origins that a pattern allows: its host (or names under its base) on a few ports.
    fn probes(pattern: &Pattern) -> Vec<String> {
        let hosts = match pattern.host() {
            HostPattern::Exact(host) => vec![host.to_string()],
            HostPattern::Subdomains(base) => vec![format!("p.{base}"), format!("q.p.{base}")],
            HostPattern::LabelWildcard {
                prefix,
                suffix,
                base,
            } => vec![format!("{prefix}z{suffix}.{base}")],
            other => panic!("a host pattern this test does not know: {other}"),
        };
        let mut origins = Vec::new();
        for host in hosts {
            for port in ["", ":8443", ":9999", ":80", ":443"] {
                origins.push(format!("{}://{host}{port}", pattern.scheme()));
            }
        }
        origins
    }

    // A seeded generator, so that failures reproduce.
    let mut rng = SplitMix64::new(0x9e37_79b9_7f4a_7c15);
    let mut next = |bound: usize| rng.below(bound);
    for _ in 0..300 {
        let count = 1 + next(8);
        let entries: Vec<String> = (0..count)
            .map(|_| {
                format!(
                    "{}://{}{}",
                    SCHEMES[next(SCHEMES.len())],
                    HOSTS[next(HOSTS.len())],
                    PORTS[next(PORTS.len())]
                )
            })
            .collect();
        let entries: Vec<&str> = entries.iter().map(String::as_str).collect();
        let policy = policy(&[], &entries);
        let rules = policy.rules(Mode::Test);
        let warnings = policy.lint();

        for (at, rule) in rules.iter().enumerate() {
            let first = rules
                .iter()
                .position(|r| r.to_pattern() == rule.to_pattern());
            let duplicate_of = first.filter(|&first| first != at);
            let covered = rules
                .iter()
                .any(|b| covers(&b.to_pattern(), &rule.to_pattern()));
            let found = |kind| {
                warnings
                    .iter()
                    .find(|w| w.kind() == kind && w.rule().index() == at)
            };
            let duplicate = found(WarningKind::Duplicate);
            let redundant = found(WarningKind::Redundant);
            assert_eq!(
                duplicate.and_then(Warning::other).map(Rule::index),
                duplicate_of,
                "{entries:?}: duplicate of rule {at}"
            );
            assert_eq!(
                redundant.is_some(),
                duplicate_of.is_none() && covered,
                "{entries:?}: redundancy of rule {at}"
            );
            if let Some(other) = redundant.and_then(Warning::other) {
                assert!(
                    covers(&other.to_pattern(), &rule.to_pattern()),
                    "{entries:?}"
                );
                // The named rule is kept: it is neither a duplicate nor redundant.
                assert!(
                    warnings.iter().all(|w| w.rule().index() != other.index()
                        || !matches!(w.kind(), WarningKind::Duplicate | WarningKind::Redundant)),
                    "{entries:?}: rule {} is named but warned about",
                    other.index()
                );
                // Everything the rule allows, the named rule allows.
                for origin in probes(&rule.to_pattern()) {
                    let origin = Origin::parse(&origin).expect("a valid origin");
                    if rule.to_pattern().matches(&origin) {
                        assert!(other.to_pattern().matches(&origin), "{entries:?}: {origin}");
                    }
                }
            }
        }
    }
}

// Moved from the unit tests of src/lint.rs (public API only).

#[test]
fn the_named_cover_is_the_broadest_and_never_warned_about() {
    let policy = policy(
        &[
            "https://b.a.x.com:8443",
            "https://b.a.x.com:*",
            "https://*.a.x.com:8443",
            "https://*.x.com:8443",
            "https://*.x.com:*",
            "https://*.x.com:*",
        ],
        &[],
    );
    let warnings = policy.lint();
    let warned: Vec<usize> = warnings.iter().map(|w| w.rule().index()).collect();
    for warning in &warnings {
        let other = warning.other().expect("names a rule");
        assert!(!warned.contains(&other.index()), "{warning}");
    }
    assert_eq!(
        lines(&policy),
        [
            "live[0] https://b.a.x.com:8443 is covered by live[4] https://*.x.com:*",
            "live[1] https://b.a.x.com:* is covered by live[4] https://*.x.com:*",
            "live[2] https://*.a.x.com:8443 is covered by live[4] https://*.x.com:*",
            "live[3] https://*.x.com:8443 is covered by live[4] https://*.x.com:*",
            "live[5] https://*.x.com:* duplicates live[4] https://*.x.com:*",
        ]
    );
}

#[test]
fn ip_hosts_are_covered_only_by_the_same_host_on_any_port() {
    let policy = policy(
        &[
            "https://1.2.3.4:*",
            "https://1.2.3.4:8443",
            "https://1.2.3.5",
        ],
        &[],
    );
    assert_eq!(
        lines(&policy),
        ["live[1] https://1.2.3.4:8443 is covered by live[0] https://1.2.3.4:*"]
    );
}
