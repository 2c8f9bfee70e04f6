//! `PolicyBuilder` collects entries per mode; `Policy` answers checks.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::error::{BuildError, EntryError, PatternError, PatternErrorKind};
use crate::frame_ancestors::FrameAncestors;
use crate::index::{Index, Miss, RuleId, MAX_RULES};
use crate::mode::Mode;
use crate::options::PolicyOptions;
use crate::origin::{Origin, OriginErrorKind};
use crate::pattern::{self, Located, Pattern};
use crate::public_suffix::{self, PublicSuffixBoundary};
use crate::rule::Rule;
use crate::scheme::Scheme;

/// Why a check denied an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DenyReason {
    /// A well-formed `http` or `https` origin that no rule of the mode allows.
    NoMatchingRule,
    /// A wildcard rule (`*.base` or a label wildcard) fits the host, but the host lies
    /// under a public suffix longer than the wildcard's base, in another owner's namespace:
    /// `bucket.s3.amazonaws.com` under `*.amazonaws.com` belongs to whoever created the
    /// bucket, because `s3.amazonaws.com` is a public suffix. [`Origin::public_suffix`]
    /// names that suffix. [`PolicyOptions::allow_public_suffix_wildcards`] turns the check
    /// off.
    PublicSuffixBoundary,
    /// `null`: an opaque origin, which no rule can name.
    Opaque,
    /// Not a single, well-formed origin; [`Malformed::kind`] says what is wrong.
    Malformed(Malformed),
}

/// What is wrong with a malformed origin: an [`OriginErrorKind`] other than
/// [`Opaque`](OriginErrorKind::Opaque), which is [`DenyReason::Opaque`]. Only the crate
/// builds it, so `null` has one representation; build a reason with
/// `DenyReason::from(kind)`.
///
/// ```
/// use origin_policy::{DenyReason, OriginErrorKind};
///
/// assert_eq!(DenyReason::from(OriginErrorKind::Opaque), DenyReason::Opaque);
/// let DenyReason::Malformed(malformed) = DenyReason::from(OriginErrorKind::Path) else {
///     unreachable!()
/// };
/// assert_eq!(malformed.kind(), OriginErrorKind::Path);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Malformed(OriginErrorKind);

impl Malformed {
    /// What is wrong with the origin; never [`OriginErrorKind::Opaque`].
    pub fn kind(self) -> OriginErrorKind {
        self.0
    }
}

impl fmt::Debug for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl From<OriginErrorKind> for DenyReason {
    fn from(kind: OriginErrorKind) -> Self {
        match kind {
            OriginErrorKind::Opaque => DenyReason::Opaque,
            kind => DenyReason::Malformed(Malformed(kind)),
        }
    }
}

impl DenyReason {
    /// The reason as text about the origin it was given for: the [`Display`](fmt::Display)
    /// text, except that [`PublicSuffixBoundary`](Self::PublicSuffixBoundary) names the
    /// public suffix the host lies under.
    ///
    /// ```
    /// use origin_policy::{Mode, Policy};
    ///
    /// let policy = Policy::builder().allow(Mode::Live, "https://*.amazonaws.com").build()?;
    /// let origin = "https://bucket.s3.amazonaws.com";
    /// let reason = policy.check(Mode::Live, origin).deny_reason().unwrap();
    /// assert_eq!(
    ///     reason.describe(origin),
    ///     "the host lies under the public suffix s3.amazonaws.com, another owner's namespace",
    /// );
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn describe(self, origin: &str) -> String {
        let parsed = Origin::parse(origin).ok();
        match (self, parsed.as_ref().and_then(Origin::public_suffix)) {
            (DenyReason::PublicSuffixBoundary, Some(suffix)) => {
                format!("the host lies under the public suffix {suffix}, another owner's namespace")
            }
            (reason, _) => reason.to_string(),
        }
    }
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenyReason::NoMatchingRule => f.write_str("no matching rule"),
            DenyReason::PublicSuffixBoundary => f.write_str(
                "the host lies under a public suffix below the wildcard's base, \
                 another owner's namespace",
            ),
            DenyReason::Opaque => f.write_str("opaque origin (null)"),
            DenyReason::Malformed(malformed) => write!(f, "malformed origin: {}", malformed.kind()),
        }
    }
}

/// The answer of [`Policy::check`]: allowed by a rule, or denied for a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum Decision<'p> {
    /// Allowed by this rule, the most specific one that matched.
    Allow(&'p Rule),
    /// Allowed in test mode without a rule because the host is loopback and the policy
    /// has [`PolicyOptions::implicit_test_loopback`] on. A matching rule is named instead
    /// when there is one.
    AllowTestLoopback,
    /// Denied.
    Deny(DenyReason),
}

impl<'p> Decision<'p> {
    /// Whether the origin is allowed.
    pub fn is_allowed(&self) -> bool {
        !matches!(self, Decision::Deny(_))
    }

    /// The rule that allowed the origin.
    pub fn rule(&self) -> Option<&'p Rule> {
        match self {
            Decision::Allow(rule) => Some(rule),
            Decision::AllowTestLoopback | Decision::Deny(_) => None,
        }
    }

    /// Why the origin was denied.
    pub fn deny_reason(&self) -> Option<DenyReason> {
        match self {
            Decision::Allow(_) | Decision::AllowTestLoopback => None,
            Decision::Deny(reason) => Some(*reason),
        }
    }
}

impl fmt::Display for Decision<'_> {
    /// `allow live[2] https://*.berbix.com`, `allow test loopback (implicit_test_loopback)`
    /// or `deny no matching rule`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allow(rule) => write!(f, "allow {} {}", rule.name(), rule),
            Decision::AllowTestLoopback => {
                f.write_str("allow test loopback (implicit_test_loopback)")
            }
            Decision::Deny(reason) => write!(f, "deny {reason}"),
        }
    }
}

/// An immutable, compiled allow-list for both modes.
///
/// Cloning is cheap (one `Arc`), and a `Policy` is `Send + Sync`.
///
/// ```
/// use origin_policy::{Mode, Policy};
///
/// let policy = Policy::builder()
///     .allow(Mode::Live, "https://www.berbix.com")
///     .allow(Mode::Live, "https://*.berbix.com")
///     .allow(Mode::Test, "http://localhost:*")
///     .build()
///     .unwrap();
///
/// assert!(policy.is_allowed(Mode::Live, "https://docs.berbix.com"));
/// assert!(!policy.is_allowed(Mode::Live, "https://berbix.com"));
/// assert!(!policy.is_allowed(Mode::Live, "http://localhost:3000"));
/// assert!(policy.is_allowed(Mode::Test, "http://localhost:3000"));
///
/// let decision = policy.check(Mode::Live, "https://www.berbix.com");
/// assert_eq!(decision.rule().unwrap().as_str(), "https://www.berbix.com");
/// ```
#[derive(Clone)]
pub struct Policy {
    inner: Arc<Compiled>,
}

struct Compiled {
    /// Live rules, then test rules: the index's `RuleId` numbers them so.
    rules: Box<[Rule]>,
    live_rules: u32,
    index: Index,
    options: PolicyOptions,
    /// Per mode, derived on first use: [`Policy::frame_ancestors`]. Boxed, because most
    /// policies never derive it and a policy of a few rules is a few hundred bytes.
    frame_ancestors: OnceLock<Box<[OnceLock<FrameAncestors>; 2]>>,
}

impl Policy {
    /// Starts an empty builder.
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::default()
    }

    /// Decides whether `origin` (an `Origin` header value) may use the service in `mode`.
    ///
    /// A canonical ASCII origin is checked without allocating.
    pub fn check(&self, mode: Mode, origin: &str) -> Decision<'_> {
        Origin::parse_then(origin, |parsed| match parsed {
            Ok(origin) => self.decide(mode, origin),
            Err(kind) => Decision::Deny(kind.into()),
        })
    }

    /// The decision for a request whose mode is not known, such as a CORS preflight (it
    /// carries no credentials by design): the first allowing decision of
    /// [`Mode::ALL`] (live, then test), or else live mode's denial. An origin allowed here
    /// may still be refused in the mode of the real request's key; that check is
    /// [`check`](Self::check).
    ///
    /// ```
    /// use origin_policy::{Mode, Policy};
    ///
    /// let policy = Policy::builder()
    ///     .allow(Mode::Live, "https://www.berbix.com")
    ///     .allow(Mode::Test, "http://localhost:*")
    ///     .build()?;
    /// assert!(policy.check_any_mode("http://localhost:3000").is_allowed());
    /// assert!(policy.check_any_mode("https://www.berbix.com").is_allowed());
    /// assert!(!policy.check_any_mode("https://evil.example").is_allowed());
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn check_any_mode(&self, origin: &str) -> Decision<'_> {
        Origin::parse_then(origin, |parsed| {
            let parsed = match parsed {
                Ok(parsed) => parsed,
                Err(kind) => return Decision::Deny(kind.into()),
            };
            let live = self.decide(Mode::Live, parsed);
            if live.is_allowed() {
                return live;
            }
            match self.decide(Mode::Test, parsed) {
                test if test.is_allowed() => test,
                _ => live,
            }
        })
    }

    /// `self.check(mode, origin).is_allowed()`.
    pub fn is_allowed(&self, mode: Mode, origin: &str) -> bool {
        self.check(mode, origin).is_allowed()
    }

    /// [`check`](Self::check) for an already parsed origin.
    pub fn decide(&self, mode: Mode, origin: &Origin<'_>) -> Decision<'_> {
        let rules = &self.inner.rules;
        match self.inner.index.lookup(mode, rules, origin) {
            Ok(index) => match rules.get(index.index()) {
                Some(rule) => Decision::Allow(rule),
                None => Decision::Deny(DenyReason::NoMatchingRule),
            },
            Err(_) if self.allows_as_test_loopback(mode, origin) => Decision::AllowTestLoopback,
            Err(Miss::NoRule) => Decision::Deny(DenyReason::NoMatchingRule),
            Err(Miss::BeyondPublicSuffix) => Decision::Deny(DenyReason::PublicSuffixBoundary),
        }
    }

    /// Whether `rule` on its own allows `origin` under this policy's options: its pattern
    /// matches ([`Pattern::matches`]) and, for a wildcard, the host lies within the owner
    /// of its base (unless [`PolicyOptions::allow_public_suffix_wildcards`]). The error is
    /// [`DenyReason::NoMatchingRule`] or [`DenyReason::PublicSuffixBoundary`]. A check
    /// answers the same through the index, for every rule at once.
    pub fn rule_allows(&self, rule: &Rule, origin: &Origin<'_>) -> Result<(), DenyReason> {
        let pattern = rule.to_pattern();
        if !pattern.matches(origin) {
            return Err(DenyReason::NoMatchingRule);
        }
        let Some(base) = pattern.host().wildcard_base() else {
            return Ok(());
        };
        if self.inner.options.public_suffix_boundary() == PublicSuffixBoundary::Ignored
            || public_suffix::within_owner(origin.host(), base.len())
        {
            Ok(())
        } else {
            Err(DenyReason::PublicSuffixBoundary)
        }
    }

    /// Whether [`PolicyOptions::implicit_test_loopback`] allows `origin` in `mode` without a
    /// rule: on, test mode, and a loopback host (see [`Origin::is_loopback`]).
    fn allows_as_test_loopback(&self, mode: Mode, origin: &Origin<'_>) -> bool {
        mode == Mode::Test && self.inner.options.implicit_test_loopback && origin.is_loopback()
    }

    /// The rules of `mode`, in the order they were added.
    pub fn rules(&self, mode: Mode) -> &[Rule] {
        let (live, test) = self.inner.rules.split_at(self.inner.live_rules as usize);
        match mode {
            Mode::Live => live,
            Mode::Test => test,
        }
    }

    /// The options the policy was built with.
    pub fn options(&self) -> PolicyOptions {
        self.inner.options
    }

    /// The `frame-ancestors` directive for `mode`: the rules of that mode as CSP3
    /// host-sources, with what CSP cannot express left out and named, or `'none'` when the
    /// directive would pass [`PolicyOptions::frame_ancestors_max_bytes`]
    /// ([`FrameAncestors`]). Derived on the first call for each mode and kept with the
    /// policy (clones share it), so later calls cost a pointer read.
    pub fn frame_ancestors(&self, mode: Mode) -> &FrameAncestors {
        self.inner.frame_ancestors.get_or_init(Box::default)[mode.slot()]
            .get_or_init(|| FrameAncestors::derive(self.rules(mode), mode, &self.inner.options))
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let texts =
            |mode: Mode| -> Vec<&str> { self.rules(mode).iter().map(Rule::as_str).collect() };
        f.debug_struct("Policy")
            .field("live", &texts(Mode::Live))
            .field("test", &texts(Mode::Test))
            .finish()
    }
}

/// Two policies are equal when their options are equal and, per mode, their rules have the
/// same canonical texts ([`Rule::as_str`]) and notes, in the same order. The entries as
/// written ([`Rule::entry`]) do not count, so `https://X.com:443/` and `https://x.com` are the
/// same rule.
impl PartialEq for Policy {
    fn eq(&self, other: &Self) -> bool {
        if Arc::ptr_eq(&self.inner, &other.inner) {
            return true;
        }
        let same_rules = |mode: Mode| {
            let (ours, theirs) = (self.rules(mode), other.rules(mode));
            ours.len() == theirs.len()
                && ours
                    .iter()
                    .zip(theirs)
                    .all(|(a, b)| a.as_str() == b.as_str() && a.note() == b.note())
        };
        self.options() == other.options() && Mode::ALL.iter().all(|&mode| same_rules(mode))
    }
}

impl Eq for Policy {}

/// Collects entries per mode, then validates them all at once in [`build`](Self::build).
#[derive(Debug, Clone, Default)]
pub struct PolicyBuilder {
    entries: Vec<Entry>,
    options: PolicyOptions,
}

/// One entry as given to the builder.
#[derive(Debug, Clone)]
struct Entry {
    mode: Mode,
    pattern: String,
    note: Option<String>,
}

impl PolicyBuilder {
    /// Adds an entry to `mode`'s list. Nothing is checked until [`build`](Self::build),
    /// which reports every bad entry.
    pub fn allow(&mut self, mode: Mode, pattern: &str) -> &mut Self {
        self.entries.push(Entry {
            mode,
            pattern: pattern.to_owned(),
            note: None,
        });
        self
    }

    /// Adds an entry with a note (why it is there, who asked for it). A decision made by
    /// the rule carries the note: [`Rule::note`].
    pub fn allow_with_note(&mut self, mode: Mode, pattern: &str, note: &str) -> &mut Self {
        self.entries.push(Entry {
            mode,
            pattern: pattern.to_owned(),
            note: Some(note.to_owned()),
        });
        self
    }

    /// Sets all options at once.
    pub fn options(&mut self, options: PolicyOptions) -> &mut Self {
        self.options = options;
        self
    }

    /// Sets [`PolicyOptions::frame_ancestors_max_bytes`]: the most bytes a mode's
    /// `frame-ancestors` directive may take before it is `'none'` (default 4096).
    pub fn frame_ancestors_max_bytes(&mut self, max_bytes: usize) -> &mut Self {
        self.options.frame_ancestors_max_bytes = max_bytes;
        self
    }

    /// Makes `mode`'s denials report-only, or enforced again
    /// ([`PolicyOptions::report_only`]).
    pub fn report_only(&mut self, mode: Mode, report_only: bool) -> &mut Self {
        self.options.report_only.set(mode, report_only);
        self
    }

    /// Sets [`PolicyOptions::implicit_test_loopback`].
    pub fn implicit_test_loopback(&mut self, allow: bool) -> &mut Self {
        self.options.implicit_test_loopback = allow;
        self
    }

    /// Opts out of the public-suffix check, so that `*.github.io`, `*.sch.uk` or
    /// `*.example` are accepted. Off by default: a wildcard over a public suffix allows sites that other
    /// people own. Turn it on only for a suffix you control, such as a private TLD.
    pub fn allow_public_suffix_wildcards(&mut self, allow: bool) -> &mut Self {
        self.options.allow_public_suffix_wildcards = allow;
        self
    }

    /// Validates every entry and compiles the index. The error lists every bad entry,
    /// with its mode, index, kind and span. A policy holds at most 67,108,863 rules in
    /// both modes together; the entries past that are
    /// [`TooManyRules`](PatternErrorKind::TooManyRules).
    pub fn build(&self) -> Result<Policy, BuildError> {
        self.build_within(MAX_RULES)
    }

    /// [`build`](Self::build) with at most `limit` rules (at most [`MAX_RULES`]), so that
    /// the tests can reach the limit.
    fn build_within(&self, limit: usize) -> Result<Policy, BuildError> {
        let limit = limit.min(MAX_RULES);
        let mut rules: [Vec<Rule>; 2] = Default::default();
        let mut errors = Vec::new();
        let mut entries_seen = [0usize; 2];
        let mut accepted = 0usize;
        let boundary = self.options.public_suffix_boundary();
        for entry in &self.entries {
            let mode = entry.mode;
            let position = entries_seen[mode.slot()];
            entries_seen[mode.slot()] += 1;
            let text = &entry.pattern;
            let admitted = pattern::parse_located(text)
                .and_then(|located| self.admit(mode, text, located))
                .and_then(|pattern| {
                    // The one narrowing of a position: below the limit, a rule's position
                    // in its mode (at most its position in both) fits the index's ids.
                    match RuleId::new(position).filter(|_| accepted < limit) {
                        Some(id) => Ok((pattern, id)),
                        None => Err(PatternError::new(
                            PatternErrorKind::TooManyRules,
                            text,
                            0..text.len(),
                        )),
                    }
                });
            match admitted {
                // Once an entry failed, the build fails: the rest are only validated.
                Ok((pattern, id)) => {
                    accepted += 1;
                    if errors.is_empty() {
                        rules[mode.slot()].push(Rule::new(
                            mode,
                            id.get(),
                            &pattern,
                            (text, entry.note.as_deref()),
                            boundary,
                        ));
                    }
                }
                Err(error) => errors.push(EntryError {
                    mode,
                    index: position,
                    error,
                }),
            }
        }
        if !errors.is_empty() {
            return Err(BuildError::new(errors));
        }
        let [mut live, test] = rules;
        // At most `MAX_RULES` rules, so the count is an id's too.
        let live_rules = RuleId::new(live.len()).map_or(0, RuleId::get);
        debug_assert_eq!(live_rules as usize, live.len(), "below MAX_RULES");
        live.reserve_exact(test.len());
        live.extend(test);
        let rules = live.into_boxed_slice();
        let index = Index::build(&rules);
        Ok(Policy {
            inner: Arc::new(Compiled {
                rules,
                live_rules,
                index,
                options: self.options,
                frame_ancestors: Default::default(),
            }),
        })
    }

    /// The checks that depend on the mode and the builder's options.
    fn admit(&self, mode: Mode, text: &str, located: Located) -> Result<Pattern, PatternError> {
        let pattern = located.pattern;
        let fail = |kind, span| Err(PatternError::new(kind, text, span));
        if mode == Mode::Live {
            if pattern.scheme() == Scheme::Http {
                return fail(PatternErrorKind::HttpInLive, located.scheme);
            }
            if pattern.host().is_loopback() {
                return fail(PatternErrorKind::LoopbackInLive, located.host);
            }
            if pattern.host().is_local_address() {
                return fail(PatternErrorKind::LocalAddressInLive, located.host);
            }
        }
        // `*.localhost` is a public suffix by the List's implicit rule, and test mode's own.
        let test_loopback = mode == Mode::Test && pattern.host().is_loopback();
        if pattern.host().is_public_suffix_wildcard()
            && self.options.public_suffix_boundary() == PublicSuffixBoundary::Enforced
            && !test_loopback
        {
            return fail(PatternErrorKind::PublicSuffixWildcard, located.host);
        }
        Ok(pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Policy>();
    }

    #[test]
    fn entries_past_the_rule_limit_are_errors_not_panics() {
        let mut builder = Policy::builder();
        builder
            .allow(Mode::Live, "https://a.example.com")
            .allow(Mode::Test, "http://localhost:*")
            .allow(Mode::Live, "not a pattern")
            .allow(Mode::Live, "https://b.example.com")
            .allow(Mode::Test, "http://c.example.com");
        let err = builder.build_within(2).unwrap_err();
        let got: Vec<(Mode, usize, PatternErrorKind)> = err
            .entries()
            .iter()
            .map(|entry| (entry.mode, entry.index, entry.error.kind()))
            .collect();
        assert_eq!(
            got,
            [
                (Mode::Live, 1, PatternErrorKind::InnerWhitespace),
                (Mode::Live, 2, PatternErrorKind::TooManyRules),
                (Mode::Test, 1, PatternErrorKind::TooManyRules),
            ]
        );
        assert_eq!(builder.build().unwrap_err().entries().len(), 1);
        let mut fine = Policy::builder();
        fine.allow(Mode::Live, "https://a.example.com");
        fine.allow(Mode::Test, "http://localhost:*");
        assert_eq!(fine.build_within(2).unwrap().rules(Mode::Test).len(), 1);
        assert!(fine.build_within(1).is_err());
    }
}
