//! The policy lint: rules that are valid but probably not what their author meant.

use std::collections::HashMap;
use std::fmt;

use crate::frame_ancestors::{self, ClosedReason, FrameAncestors, LeftOutReason};
use crate::host::Host;
use crate::mode::Mode;
use crate::options::PolicyOptions;
use crate::pattern::{self, HostPattern, Pattern, PortSpec};
use crate::policy::Policy;
use crate::public_suffix::{self, PublicSuffixBoundary};
use crate::rule::Rule;
use crate::scheme::Scheme;

error_kinds! {
    /// What a [`Warning`] is about. Each kind has a stable name (its `Debug` form), which
    /// `spec-table.md` and the CLI's `lint` output use.
    ///
    /// Unlike a [`PatternErrorKind`](crate::PatternErrorKind), a warning never stops a
    /// build: the policy means what its rules say, and the lint only points at rules that
    /// add nothing or that may not be what was meant.
    pub enum WarningKind {
        /// The same canonical pattern as an earlier rule of the same mode
        /// (`https://x.com` and `HTTPS://X.COM:443/`). The warning names the first one.
        Duplicate => "the same pattern as an earlier rule of the mode",
        /// Every origin the rule allows is allowed by a broader rule of the same mode, so
        /// removing it changes no decision to allow or deny (only, at most, which rule a
        /// [`Decision`](crate::Decision) names). A rule `R` is covered by a rule `B` of the
        /// same scheme when `B`'s port is `*` or equal to `R`'s, and
        ///
        /// * `B` is `*.base` and `R`'s host is a domain under `base` (`https://a.x.com`
        ///   under `https://*.x.com`; never `https://x.com` itself), or
        /// * both are wildcards and `R`'s base is under `B`'s (`*.a.x.com` under
        ///   `*.x.com`), or
        /// * both have the same host, `B`'s port is `*` and `R`'s is not
        ///   (`https://x.com:8443` under `https://x.com:*`).
        ///
        /// The warning names the broadest such rule (shortest wildcard base, then port `*`,
        /// then the earliest entry), which is never itself reported as a duplicate or
        /// redundant. A duplicate is reported as [`Duplicate`](Self::Duplicate) only.
        Redundant => "every origin it allows is allowed by a broader rule of the mode",
        /// The entry as written names its scheme's default port (`https://x.com:443`,
        /// `http://x.com:80`). It means the same as the entry without the port, which is
        /// how the rule is shown everywhere else.
        ExplicitDefaultPort => "the entry names the scheme's default port, which is implied",
        /// A test-mode `http` rule for a host that is not loopback (loopback being
        /// `localhost`, names under `.localhost`, `127.0.0.0/8` and `[::1]`; a wildcard is
        /// loopback when its base is) nor another local address (`0.0.0.0`, `[::]`): the
        /// traffic crosses a network in plain text.
        InsecureTestHttp => "`http` for a host that is not loopback: such traffic can be read and changed in transit",
        /// An exact rule whose host is itself a public suffix that the List names
        /// (`https://github.io`, `https://s3.amazonaws.com`): the platform's own site,
        /// rarely what the author meant (`https://me.github.io` is more likely).
        PublicSuffixHost => "the host is itself a public suffix: the platform's own site, not one of its users' sites",
        /// A rule that the mode's `frame-ancestors` list leaves out, because CSP cannot
        /// express it without admitting more ([`Policy::frame_ancestors`]): a label
        /// wildcard, an IPv6 host, a host with `_`, or a `*.` wildcard with public suffixes
        /// under its base. Pages on the rule's origins may call the service, but the
        /// browser refuses to let them embed it. [`Warning::left_out`] says why.
        NotInFrameAncestors => "frame-ancestors cannot express the rule: pages on its origins cannot embed the service",
        /// The mode's `frame-ancestors` directive would pass
        /// [`PolicyOptions::frame_ancestors_max_bytes`](crate::PolicyOptions::frame_ancestors_max_bytes),
        /// so it is `frame-ancestors 'none'`: no page may embed the service in that mode.
        /// The warning is about the rule whose source first takes the directive over the
        /// bound ([`ClosedReason::TooLong`](crate::ClosedReason::TooLong) `first_over`; none
        /// when the implicit test loopback sources do, and then there is no warning, only
        /// [`FrameAncestors::closed_reason`](crate::FrameAncestors::closed_reason)).
        /// [`Warning::closed`] gives the numbers.
        FrameAncestorsTooLong => "the frame-ancestors directive would pass its bound, so it is 'none': no page may embed the service",
        /// A wildcard over a public suffix (`https://*.github.io`, `https://app-*.com`),
        /// which builds only because the policy sets
        /// [`allow_public_suffix_wildcards`](crate::PolicyOptions::allow_public_suffix_wildcards):
        /// it allows the sites of every owner under the suffix, which the warning names
        /// (test mode's own `*.localhost` wildcards are not reported).
        AllowedPublicSuffixWildcard => "a wildcard over a public suffix, allowed by allow_public_suffix_wildcards: it admits sites of other owners",
        /// The mode is report-only ([`PolicyOptions::report_only`](crate::PolicyOptions::report_only)):
        /// requests it would deny pass and are only reported, so that the gate can be
        /// rolled out; left on, it protects nothing. The warning is about the mode's first
        /// rule (a mode without rules gets none: the CLI's `check` and `explain` still say
        /// the mode is report-only).
        ReportOnly => "the mode is report-only: requests it would deny pass and are only reported",
    }
}

/// One finding of [`Policy::lint`]: its kind, the rule it is about, and for
/// [`Duplicate`](WarningKind::Duplicate) and [`Redundant`](WarningKind::Redundant) the other
/// rule involved.
///
/// `Display` gives one line that names the rules by mode, index and canonical text:
///
/// ```text
/// live[3] https://www.x.com duplicates live[0] https://www.x.com
/// live[2] https://a.x.com is covered by live[0] https://*.x.com
/// live[1] https://x.com:443 names the default port; write https://x.com
/// test[0] http://staging.x.com uses http for a host that is not loopback: such traffic can be read and changed in transit
/// live[0] https://github.io names a public suffix itself: the platform's own site, not one of its users' sites
/// live[2] https://pr-*.x.com is left out of frame-ancestors: a wildcard inside a label: a CSP host-source has a wildcard only in front of whole labels
/// ```
///
/// (An [`ExplicitDefaultPort`](WarningKind::ExplicitDefaultPort) line shows the entry as it
/// was written, without surrounding whitespace, and then its canonical form.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning<'p> {
    kind: WarningKind,
    rule: &'p Rule,
    other: Option<&'p Rule>,
    left_out: Option<LeftOutReason>,
    closed: Option<ClosedReason>,
}

impl<'p> Warning<'p> {
    /// What the warning is about.
    pub fn kind(&self) -> WarningKind {
        self.kind
    }

    /// The mode of the rule (and of the other rule, if there is one: the lint never
    /// compares rules of different modes).
    pub fn mode(&self) -> Mode {
        self.rule.mode()
    }

    /// The rule the warning is about. Its [`index`](Rule::index) is its position among the
    /// entries of its mode.
    pub fn rule(&self) -> &'p Rule {
        self.rule
    }

    /// The earlier rule that a [`Duplicate`](WarningKind::Duplicate) repeats, or the broader
    /// rule that makes a rule [`Redundant`](WarningKind::Redundant); `None` for the other
    /// kinds.
    pub fn other(&self) -> Option<&'p Rule> {
        self.other
    }

    /// Why `frame-ancestors` leaves the rule out, for
    /// [`NotInFrameAncestors`](WarningKind::NotInFrameAncestors); `None` for the other
    /// kinds.
    pub fn left_out(&self) -> Option<LeftOutReason> {
        self.left_out
    }

    /// Why the mode's `frame-ancestors` is `'none'`, for
    /// [`FrameAncestorsTooLong`](WarningKind::FrameAncestorsTooLong); `None` for the other
    /// kinds.
    pub fn closed(&self) -> Option<ClosedReason> {
        self.closed
    }
}

impl fmt::Display for Warning<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = self.rule;
        let name = |rule: &Rule| format!("{} {}", rule.name(), rule);
        match (self.kind, self.other) {
            (WarningKind::Duplicate, Some(other)) => {
                write!(f, "{} duplicates {}", name(rule), name(other))
            }
            (WarningKind::Redundant, Some(other)) => {
                write!(f, "{} is covered by {}", name(rule), name(other))
            }
            (WarningKind::ExplicitDefaultPort, _) => write!(
                f,
                "{} {} names the default port; write {}",
                rule.name(),
                rule.entry().trim_matches(|c: char| c.is_ascii_whitespace()),
                rule
            ),
            (WarningKind::InsecureTestHttp, _) => write!(
                f,
                "{} uses http for a host that is not loopback: such traffic can be read and \
                 changed in transit",
                name(rule)
            ),
            (WarningKind::NotInFrameAncestors, _) => match self.left_out {
                Some(reason) => {
                    write!(f, "{} is left out of frame-ancestors: {reason}", name(rule))
                }
                None => write!(f, "{} is left out of frame-ancestors", name(rule)),
            },
            (WarningKind::FrameAncestorsTooLong, _) => match self.closed {
                Some(reason) => write!(
                    f,
                    "{} takes frame-ancestors over its bound: {reason}",
                    name(rule)
                ),
                None => write!(f, "{} takes frame-ancestors over its bound", name(rule)),
            },
            (WarningKind::AllowedPublicSuffixWildcard, _) => write!(
                f,
                "{} is a wildcard over the public suffix {}: allow_public_suffix_wildcards \
                 admits it, and with it the sites of every owner under that suffix",
                name(rule),
                rule.to_pattern()
                    .host()
                    .wildcard_base()
                    .and_then(public_suffix::covered_suffix)
                    .unwrap_or_default()
            ),
            (WarningKind::ReportOnly, _) => write!(
                f,
                "{}: {} mode is report-only: requests it would deny pass and are only \
                 reported (options.report_only)",
                name(rule),
                rule.mode()
            ),
            (WarningKind::PublicSuffixHost, _) => write!(
                f,
                "{} names a public suffix itself: the platform's own site, not one of its \
                 users' sites",
                name(rule)
            ),
            // Not built by the lint; kept readable all the same.
            (kind, _) => write!(f, "{}: {kind}", name(rule)),
        }
    }
}

impl Policy {
    /// Reports rules that are valid but add nothing or may not be meant: duplicates, rules
    /// made redundant by a broader rule, entries that spell out the default port,
    /// test-mode `http` for hosts that are not loopback, public suffixes as hosts, rules
    /// that `frame-ancestors` cannot express, and wildcards over public suffixes that the
    /// options admit. See [`WarningKind`] for each.
    ///
    /// Rules are compared only within their mode. The warnings come in a stable order: live
    /// mode first, then by the index of the rule the warning is about, then in the order of
    /// [`WarningKind::ALL`]. Rules are never compared pairwise: each rule costs at most two
    /// hash lookups per label of its host, so the lint stays fast on large policies.
    ///
    /// ```
    /// use origin_policy::{Mode, Policy, WarningKind};
    ///
    /// let policy = Policy::builder()
    ///     .allow(Mode::Live, "https://*.x.com")
    ///     .allow(Mode::Live, "https://x.com:443")
    ///     .allow(Mode::Live, "https://a.x.com")
    ///     .allow(Mode::Live, "https://*.x.com")
    ///     .allow(Mode::Test, "http://staging.x.com")
    ///     .allow(Mode::Test, "http://localhost:*")
    ///     .build()?;
    ///
    /// let warnings = policy.lint();
    /// let kinds: Vec<_> = warnings.iter().map(|w| (w.mode(), w.rule().index(), w.kind())).collect();
    /// assert_eq!(
    ///     kinds,
    ///     [
    ///         (Mode::Live, 1, WarningKind::ExplicitDefaultPort),
    ///         (Mode::Live, 2, WarningKind::Redundant),
    ///         (Mode::Live, 3, WarningKind::Duplicate),
    ///         (Mode::Test, 0, WarningKind::InsecureTestHttp),
    ///     ],
    /// );
    /// assert_eq!(
    ///     warnings[1].to_string(),
    ///     "live[2] https://a.x.com is covered by live[0] https://*.x.com",
    /// );
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn lint(&self) -> Vec<Warning<'_>> {
        let mut warnings = Vec::new();
        let boundary = self.options().public_suffix_boundary();
        for mode in Mode::ALL {
            let closed = self.frame_ancestors(mode).closed_reason();
            let start = warnings.len();
            lint_mode(self.rules(mode), boundary, closed, &mut warnings);
            if let (true, Some(first)) = (
                self.options().is_report_only(mode),
                self.rules(mode).first(),
            ) {
                // After the first rule's own warnings: ReportOnly is the last kind.
                let at = start
                    + warnings[start..]
                        .iter()
                        .take_while(|warning| warning.rule.index() == 0)
                        .count();
                warnings.insert(
                    at,
                    Warning {
                        kind: WarningKind::ReportOnly,
                        rule: first,
                        other: None,
                        left_out: None,
                        closed: None,
                    },
                );
            }
        }
        warnings
    }
}

/// The warnings for `rules`, the rules of `mode` in index order, in a policy with
/// `options`: what [`Policy::lint`] gives for that mode.
pub(crate) fn lint_rules(rules: &[Rule], mode: Mode, options: PolicyOptions) -> Vec<Warning<'_>> {
    let closed = FrameAncestors::derive(rules, mode, &options).closed_reason();
    let mut warnings = Vec::new();
    lint_mode(
        rules,
        options.public_suffix_boundary(),
        closed,
        &mut warnings,
    );
    warnings
}

/// A pattern as a hash key that borrows from its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum HostKey<'a> {
    Exact(&'a Host),
    Subdomains(&'a str),
    LabelWildcard(&'a str, &'a str, &'a str),
}

type Key<'a> = (Scheme, HostKey<'a>, PortSpec);

fn key_of(pattern: &Pattern) -> Key<'_> {
    let host = match pattern.host() {
        HostPattern::Exact(host) => HostKey::Exact(host),
        HostPattern::Subdomains(base) => HostKey::Subdomains(base),
        HostPattern::LabelWildcard {
            prefix,
            suffix,
            base,
        } => HostKey::LabelWildcard(prefix, suffix, base),
    };
    (pattern.scheme(), host, pattern.port())
}

/// The warnings for the rules of one mode, in rule order.
fn lint_mode<'p>(
    rules: &'p [Rule],
    boundary: PublicSuffixBoundary,
    closed: Option<ClosedReason>,
    warnings: &mut Vec<Warning<'p>>,
) {
    let first_over = closed.and_then(|closed| match closed {
        ClosedReason::TooLong { first_over, .. } => first_over,
    });
    // Each rule's pattern, rebuilt once; then the first rule of each pattern.
    let patterns: Vec<Pattern> = rules.iter().map(Rule::to_pattern).collect();
    let mut first: HashMap<Key<'_>, &'p Rule> = HashMap::with_capacity(rules.len());
    for (rule, pattern) in rules.iter().zip(&patterns) {
        first.entry(key_of(pattern)).or_insert(rule);
    }
    let mut warn = |kind, rule, other, left_out, closed| {
        warnings.push(Warning {
            kind,
            rule,
            other,
            left_out,
            closed,
        })
    };
    for (rule, pattern) in rules.iter().zip(&patterns) {
        match first.get(&key_of(pattern)) {
            Some(earlier) if earlier.index() != rule.index() => {
                warn(WarningKind::Duplicate, rule, Some(*earlier), None, None);
            }
            _ => {
                if let Some(cover) = broadest_cover(&first, pattern, boundary) {
                    warn(WarningKind::Redundant, rule, Some(cover), None, None);
                }
            }
        }
        if names_default_port(rule, pattern) {
            warn(WarningKind::ExplicitDefaultPort, rule, None, None, None);
        }
        if is_insecure_test_http(rule, pattern) {
            warn(WarningKind::InsecureTestHttp, rule, None, None, None);
        }
        if pattern.host().is_public_suffix_host() {
            warn(WarningKind::PublicSuffixHost, rule, None, None, None);
        }
        if let Err(reason) = frame_ancestors::source_of(pattern, boundary) {
            warn(
                WarningKind::NotInFrameAncestors,
                rule,
                None,
                Some(reason),
                None,
            );
        }
        if first_over == Some(rule.name()) {
            warn(WarningKind::FrameAncestorsTooLong, rule, None, None, closed);
        }
        let own_loopback = rule.mode() == Mode::Test && pattern.host().is_loopback();
        if pattern.host().is_public_suffix_wildcard() && !own_loopback {
            let kind = WarningKind::AllowedPublicSuffixWildcard;
            warn(kind, rule, None, None, None);
        }
    }
}

/// The broadest rule, other than `pattern` itself, that allows every origin `pattern`
/// allows: wildcards over the shortest base first, port `*` before an exact port, and the
/// same host with port `*` last. `first` holds the first rule of each pattern, so that the
/// rule found is never a duplicate. With the public-suffix boundary enforced, a wildcard
/// whose base is shorter than the public suffix of `pattern`'s name covers nothing of it
/// (`*.amazonaws.com` does not cover `https://bucket.s3.amazonaws.com`).
fn broadest_cover<'p>(
    first: &HashMap<Key<'_>, &'p Rule>,
    pattern: &Pattern,
    boundary: PublicSuffixBoundary,
) -> Option<&'p Rule> {
    let scheme = pattern.scheme();
    let port = pattern.port();
    let lookup = |host, port| first.get(&(scheme, host, port)).copied();
    // The name whose proper suffixes a covering wildcard may stand on: the host itself, or
    // the wildcard's base (a wildcard never covers its own base).
    let name = match pattern.host() {
        HostPattern::Exact(Host::Domain(name)) => Some(name.as_str()),
        HostPattern::Exact(Host::Ipv4(_) | Host::Ipv6(_)) => None,
        HostPattern::Subdomains(base) => Some(base.as_str()),
        HostPattern::LabelWildcard { base, .. } => Some(base.as_str()),
    };
    // A label wildcard's hosts are all under `*.base` too, the narrowest cover, tried last.
    let own_base = match pattern.host() {
        HostPattern::LabelWildcard { base, .. } => Some(base.as_str()),
        _ => None,
    };
    let within_owner = |base: &str| match (boundary, name) {
        (PublicSuffixBoundary::Ignored, _) | (_, None) => true,
        (PublicSuffixBoundary::Enforced, Some(name)) => {
            public_suffix::within_owner(name, base.len())
        }
    };
    let bases = name
        .into_iter()
        .flat_map(proper_suffixes)
        .filter(|base| within_owner(base))
        .chain(own_base);
    for base in bases {
        let wildcard = HostKey::Subdomains(base);
        let found = lookup(wildcard, PortSpec::Any).or_else(|| match port {
            PortSpec::Exact(_) => lookup(wildcard, port),
            PortSpec::Any => None,
        });
        if found.is_some() {
            return found;
        }
    }
    match port {
        PortSpec::Exact(_) => lookup(key_of(pattern).1, PortSpec::Any),
        PortSpec::Any => None,
    }
}

/// The names a domain is under, shortest first: `a.b.c` gives `c`, then `b.c`.
fn proper_suffixes(name: &str) -> impl Iterator<Item = &str> {
    name.rmatch_indices('.').map(move |(at, _)| &name[at + 1..])
}

/// Whether the entry, as written, names the port its scheme implies.
fn names_default_port(rule: &Rule, pattern: &Pattern) -> bool {
    let default = pattern.scheme().default_port();
    if pattern.port() != PortSpec::Exact(default) {
        return false;
    }
    // A written port ends the entry, before at most one `/`. Only an entry that looks so
    // is parsed again, for the port's span, which spares the parse for nearly every rule.
    let entry = rule.entry();
    let trimmed = entry.trim_end_matches(|c: char| c.is_ascii_whitespace());
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let looks_written = trimmed
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse() == Ok(default));
    looks_written
        && pattern::parse_located(entry).is_ok_and(|located| {
            located.port.is_some_and(|span| {
                entry.get(span).and_then(|port| port.parse().ok()) == Some(default)
            })
        })
}

/// A test-mode `http` rule for a host that is neither loopback nor another local address
/// (`0.0.0.0`, `[::]`): traffic to those never leaves the machine.
fn is_insecure_test_http(rule: &Rule, pattern: &Pattern) -> bool {
    let local = pattern.host().is_loopback() || pattern.host().is_local_address();
    rule.mode() == Mode::Test && pattern.scheme() == Scheme::Http && !local
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(live: &[&str], test: &[&str]) -> Policy {
        let mut builder = Policy::builder();
        for entry in live {
            builder.allow(Mode::Live, entry);
        }
        for entry in test {
            builder.allow(Mode::Test, entry);
        }
        builder.build().expect("valid entries")
    }

    fn lines(policy: &Policy) -> Vec<String> {
        policy.lint().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn proper_suffixes_are_whole_labels_shortest_first() {
        assert_eq!(
            proper_suffixes("a.b.x.com").collect::<Vec<_>>(),
            ["com", "x.com", "b.x.com"]
        );
        assert_eq!(proper_suffixes("localhost").count(), 0);
    }

    #[test]
    fn display_names_both_rules() {
        let policy = policy(
            &[
                "https://www.x.com",
                "https://x.com:443",
                "https://*.x.com",
                "https://www.x.com",
            ],
            &["http://staging.x.com"],
        );
        assert_eq!(
            lines(&policy),
            [
                "live[0] https://www.x.com is covered by live[2] https://*.x.com",
                "live[1] https://x.com:443 names the default port; write https://x.com",
                "live[3] https://www.x.com duplicates live[0] https://www.x.com",
                "test[0] http://staging.x.com uses http for a host that is not loopback: \
                 such traffic can be read and changed in transit",
            ]
        );
    }

    #[test]
    fn the_entry_is_shown_trimmed() {
        let policy = policy(&[" \tHTTPS://X.COM.:443/\n"], &[]);
        assert_eq!(
            lines(&policy),
            ["live[0] HTTPS://X.COM.:443/ names the default port; write https://x.com"]
        );
    }

    #[test]
    fn accessors() {
        let policy = policy(&["https://x.com", "https://x.com"], &["http://x.com"]);
        let warnings = policy.lint();
        assert_eq!(warnings.len(), 2);
        assert_eq!(warnings[0].kind(), WarningKind::Duplicate);
        assert_eq!(warnings[0].mode(), Mode::Live);
        assert_eq!(warnings[0].rule().index(), 1);
        assert_eq!(warnings[0].other().map(Rule::index), Some(0));
        assert_eq!(warnings[1].kind(), WarningKind::InsecureTestHttp);
        assert_eq!(warnings[1].mode(), Mode::Test);
        assert_eq!(warnings[1].other(), None);
    }

    #[test]
    fn every_kind_has_a_message() {
        for kind in WarningKind::ALL {
            assert!(!kind.message().is_empty());
            assert_eq!(kind.to_string(), kind.message());
        }
    }
}
