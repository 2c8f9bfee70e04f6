//! The policy as a `Content-Security-Policy: frame-ancestors` directive: which pages may
//! embed the service in a frame, decided by the browser from the same allow-list that
//! the 403 gate and the CORS grant answer from.
//!
//! Each rule becomes one CSP3 host-source
//! ([CSP3, source lists](https://www.w3.org/TR/CSP3/#framework-directive-source-list)),
//! or is left out with a [`LeftOutReason`] when the host-source grammar and matching
//! cannot say exactly what the rule means. The derived list never admits an ancestor the
//! policy denies, with one exception that CSP itself makes and that only test mode can
//! meet: an `http` source also admits `https` on the same host (see [`FrameAncestors`]).

use std::collections::HashSet;
use std::fmt;

use crate::host::Host;
use crate::mode::{EntryName, Mode};
use crate::options::PolicyOptions;
use crate::pattern::{HostPattern, Pattern};
use crate::public_suffix::{self, PublicSuffixBoundary};
use crate::rule::Rule;

error_kinds! {
    /// Why a rule (or the implicit test loopback allowance) is left out of a
    /// [`FrameAncestors`] list: CSP3 host-source syntax or matching cannot express it
    /// without admitting more than the policy allows. Each kind has a stable name (its
    /// `Debug` form), which `spec-table.md` and the lint use.
    pub enum LeftOutReason {
        /// A label wildcard (`pr-*.x.com`): a host-source has a wildcard only as a whole
        /// leftmost `*.`, and `*.x.com` would admit far more.
        LabelWildcard => "a wildcard inside a label: a CSP host-source has a wildcard only in front of whole labels",
        /// An IPv6 host (`[2001:db8::1]`): the host-source grammar has no bracketed form.
        Ipv6Host => "an IPv6 host: a CSP host-source has no bracketed form",
        /// A host with `_` (`my_app.x.com`): not a host-source character, so a browser
        /// would drop the source (or the directive) as invalid.
        UnderscoreInHost => "an underscore in the host: not a CSP host-source character",
        /// A wildcard whose base has public suffixes under it (`*.amazonaws.com`, under
        /// which `s3.amazonaws.com` is one): the policy keeps a wildcard out of other
        /// owners' namespaces (`bucket.s3.amazonaws.com`), but CSP's `*.` knows nothing of
        /// public suffixes and would admit them. Never reported when the policy turns the
        /// boundary off ([`PolicyOptions::allow_public_suffix_wildcards`](crate::PolicyOptions::allow_public_suffix_wildcards)).
        PublicSuffixBelowBase => "public suffixes lie under the wildcard's base: the CSP wildcard would admit hosts of other owners that the policy refuses",
        /// The part of the implicit test loopback allowance
        /// ([`PolicyOptions::implicit_test_loopback`](crate::PolicyOptions::implicit_test_loopback))
        /// that no host-source names: `127.0.0.0/8` other than `127.0.0.1`, and `[::1]`.
        /// `localhost`, names under it and `127.0.0.1` are written out.
        LoopbackAddresses => "loopback addresses other than 127.0.0.1: a CSP host-source names one address, and no IPv6 address",
    }
}

/// The directive's name, which starts it.
const PREFIX: &str = "frame-ancestors";

/// The directive that admits no ancestor.
const NONE: &str = "frame-ancestors 'none'";

/// The text that names the implicit test loopback allowance in a [`LeftOut`].
const IMPLICIT_TEST_LOOPBACK: &str = "implicit_test_loopback";

/// The sources that stand for the implicit test loopback allowance. `http` sources also
/// admit `https` (the CSP upgrade), which the allowance allows too, so these admit exactly
/// loopback origins.
const IMPLICIT_LOOPBACK_SOURCES: [&str; 3] = [
    "http://localhost:*",
    "http://*.localhost:*",
    "http://127.0.0.1:*",
];

/// One rule that a [`FrameAncestors`] list leaves out, and why; or the part of the
/// implicit test loopback allowance that it leaves out ([`rule`](Self::rule) is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    rule: Option<EntryName>,
    text: Box<str>,
    reason: LeftOutReason,
}

impl LeftOut {
    /// The rule left out, by mode and index; `None` for the implicit test loopback
    /// allowance.
    pub fn rule(&self) -> Option<EntryName> {
        self.rule
    }

    /// The rule's canonical text, or `implicit_test_loopback`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Why it is left out.
    pub fn reason(&self) -> LeftOutReason {
        self.reason
    }
}

impl fmt::Display for LeftOut {
    /// `live[2] https://pr-*.x.com: a wildcard inside a label: ...`, or
    /// `test implicit_test_loopback: loopback addresses ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rule {
            Some(name) => write!(f, "{name} {}: {}", self.text, self.reason),
            None => write!(f, "test {}: {}", self.text, self.reason),
        }
    }
}

/// Why a [`FrameAncestors`] list is `frame-ancestors 'none'` although its mode has
/// sources to write: the list fails closed rather than being cut short
/// ([`FrameAncestors::closed_reason`]). Log it: pages that should embed the service cannot
/// until the policy changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClosedReason {
    /// The directive would take more than
    /// [`PolicyOptions::frame_ancestors_max_bytes`](crate::PolicyOptions::frame_ancestors_max_bytes).
    TooLong {
        /// The bytes the whole directive would take.
        bytes: usize,
        /// The bound it passes.
        max_bytes: usize,
        /// The distinct sources it would hold.
        sources: usize,
        /// The rule whose source first takes the directive over the bound; `None` when
        /// the implicit test loopback sources do.
        first_over: Option<EntryName>,
    },
}

impl fmt::Display for ClosedReason {
    /// `the frame-ancestors directive would take 5012 bytes (180 sources), over its bound
    /// of 4096 (frame_ancestors_max_bytes): it is 'none'`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClosedReason::TooLong {
                bytes,
                max_bytes,
                sources,
                ..
            } => {
                let noun = if *sources == 1 { "source" } else { "sources" };
                write!(
                    f,
                    "the frame-ancestors directive would take {bytes} bytes ({sources} {noun}), \
                     over its bound of {max_bytes} (frame_ancestors_max_bytes): it is 'none'"
                )
            }
        }
    }
}

/// The `frame-ancestors` directive of one mode of a policy: which pages may embed the
/// service in a frame ([`Policy::frame_ancestors`](crate::Policy::frame_ancestors)).
///
/// Browsers do not send `Origin` on a frame navigation, so the 403 gate cannot refuse to
/// be embedded; the framed page's `Content-Security-Policy: frame-ancestors ...` header
/// makes the browser refuse instead, checking every ancestor of the frame (not only its
/// parent) against the list. The list here is derived from the same rules as the gate:
///
/// | rule | source | admits |
/// |---|---|---|
/// | `https://www.x.com`, `https://www.x.com:8443`, `https://www.x.com:*` | the same text | the same origins |
/// | `https://*.x.com` | `https://*.x.com` | one or more labels in front of `x.com`, never `x.com` (as the rule) |
/// | `https://1.2.3.4` | the same text | that address, or nothing: CSP3 matches host-sources against domains only, Chromium also against an equal IPv4 address |
/// | `http://localhost:3000` (test mode) | the same text | also `https://localhost:3000`: see below |
/// | `https://pr-*.x.com`, `https://[::1]`, `https://my_app.x.com`, `https://*.amazonaws.com` | none: [`left_out`](Self::left_out) | nothing |
///
/// A mode with no source gives `frame-ancestors 'none'`. With
/// [`implicit_test_loopback`](crate::PolicyOptions::implicit_test_loopback), test mode
/// also gets `http://localhost:*`, `http://*.localhost:*` and `http://127.0.0.1:*`, and
/// the other loopback addresses are left out ([`LeftOutReason::LoopbackAddresses`]).
///
/// # The `http` upgrade
///
/// CSP3 lets an `http` source also match `https` (scheme-part matching: "http" matches
/// "https") on any port its port-part matches, and a source without a port (the default,
/// 80) also matches `https` on its default port 443. Chromium follows it when the port is
/// `*` or the default, and also lets an explicit `:80` match `https` on 443. So a
/// test-mode rule `http://localhost:3000` admits `https://localhost:3000` as an ancestor
/// too (in CSP3), and `http://x.com` admits `https://x.com`. That is the one way the list
/// can admit more than the policy: only `http` rules, so only in test mode (live mode is
/// `https` only), and only the same host and port over TLS, or 443 for 80. CSP has no way
/// to say "http only".
///
/// ```
/// use origin_policy::{LeftOutReason, Mode, Policy};
///
/// let policy = Policy::builder()
///     .allow(Mode::Live, "https://www.berbix.com")
///     .allow(Mode::Live, "https://*.berbix.com")
///     .allow(Mode::Live, "https://pr-*.preview.berbix.com")
///     .allow(Mode::Test, "http://localhost:*")
///     .build()?;
///
/// let live = policy.frame_ancestors(Mode::Live);
/// assert_eq!(live.as_str(), "frame-ancestors https://www.berbix.com https://*.berbix.com");
/// assert_eq!(live.left_out()[0].reason(), LeftOutReason::LabelWildcard);
/// assert_eq!(
///     policy.frame_ancestors(Mode::Test).as_str(),
///     "frame-ancestors http://localhost:*",
/// );
/// let empty = Policy::builder().build()?;
/// assert_eq!(empty.frame_ancestors(Mode::Live).as_str(), "frame-ancestors 'none'");
/// # Ok::<(), origin_policy::BuildError>(())
/// ```
///
/// # A bounded length
///
/// A directive longer than
/// [`PolicyOptions::frame_ancestors_max_bytes`](crate::PolicyOptions::frame_ancestors_max_bytes)
/// (4096 bytes by default, about 140 sources) is not written: the list is
/// `frame-ancestors 'none'` and [`closed_reason`](Self::closed_reason) says why. Proxies
/// refuse long headers (nginx's default 4 KB buffer answers 502) and browsers ignore huge
/// ones, and a list cut short would refuse some allowed pages with no word about which, so
/// the list fails closed, loudly: the lint warns
/// ([`WarningKind::FrameAncestorsTooLong`](crate::WarningKind::FrameAncestorsTooLong)) and
/// `middleware::FrameAncestorsLayer` reports it to its hook. A policy that needs more
/// sources can raise the bound, or narrow its rules (one `*.x.com` for many hosts of
/// `x.com`).
///
/// The list is derived once per policy and mode, on first use, and kept with the policy;
/// with the `tower` feature it also holds the header value that
/// `middleware::FrameAncestorsLayer` clones into responses.
pub struct FrameAncestors {
    mode: Mode,
    /// `frame-ancestors` and the sources, or `'none'`, separated by single spaces.
    directive: Box<str>,
    none: bool,
    left_out: Vec<LeftOut>,
    closed: Option<ClosedReason>,
    #[cfg(feature = "tower")]
    header: http::HeaderValue,
}

impl FrameAncestors {
    /// The list for `mode` of a policy with `rules` (those of `mode`) and `options`:
    /// every rule's source in rule order (each distinct source once), then the implicit
    /// test loopback sources; what cannot be expressed is left out and named. When the
    /// directive would pass [`PolicyOptions::frame_ancestors_max_bytes`], it is `'none'`
    /// with a [`ClosedReason`]. Linear in the size of the rules, with one Public Suffix
    /// List lookup per `*.` wildcard.
    pub(crate) fn derive(rules: &[Rule], mode: Mode, options: &PolicyOptions) -> FrameAncestors {
        let boundary = options.public_suffix_boundary();
        let max_bytes = options.frame_ancestors_max_bytes;
        let mut sources: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut left_out = Vec::new();
        // The directive's length so far, and the rule whose source first passed the bound.
        let mut bytes = PREFIX.len();
        let mut first_over: Option<Option<EntryName>> = None;
        let mut add = |source: String, rule: Option<EntryName>, sources: &mut Vec<String>| {
            if seen.contains(&source) {
                return;
            }
            bytes += 1 + source.len();
            if bytes > max_bytes && first_over.is_none() {
                first_over = Some(rule);
            }
            seen.insert(source.clone());
            sources.push(source);
        };
        for rule in rules {
            match source_of(&rule.to_pattern(), boundary) {
                Ok(source) => add(source, Some(rule.name()), &mut sources),
                Err(reason) => left_out.push(LeftOut {
                    rule: Some(rule.name()),
                    text: rule.as_str().into(),
                    reason,
                }),
            }
        }
        if mode == Mode::Test && options.implicit_test_loopback {
            for source in IMPLICIT_LOOPBACK_SOURCES {
                add(source.to_owned(), None, &mut sources);
            }
            left_out.push(LeftOut {
                rule: None,
                text: IMPLICIT_TEST_LOOPBACK.into(),
                reason: LeftOutReason::LoopbackAddresses,
            });
        }
        let closed = first_over.map(|first_over| ClosedReason::TooLong {
            bytes,
            max_bytes,
            sources: sources.len(),
            first_over,
        });
        let none = sources.is_empty() || closed.is_some();
        let directive = match none {
            true => NONE.to_owned(),
            false => format!("{PREFIX} {}", sources.join(" ")),
        };
        FrameAncestors {
            mode,
            #[cfg(feature = "tower")]
            header: header_value(&directive),
            directive: directive.into_boxed_str(),
            none,
            left_out,
            closed,
        }
    }

    /// The mode the list is for.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The directive: `frame-ancestors` followed by the sources, or `frame-ancestors
    /// 'none'`. This is the value of a `Content-Security-Policy` header of its own, or a
    /// directive to add to one after `; `.
    pub fn as_str(&self) -> &str {
        &self.directive
    }

    /// The sources, in order; none for `'none'`.
    ///
    /// ```
    /// use origin_policy::{Mode, Policy};
    ///
    /// let policy = Policy::builder()
    ///     .allow(Mode::Live, "https://www.berbix.com:*")
    ///     .allow(Mode::Live, "https://[2001:db8::1]")
    ///     .build()?;
    /// let sources: Vec<&str> = policy.frame_ancestors(Mode::Live).sources().collect();
    /// assert_eq!(sources, ["https://www.berbix.com:*"]);
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn sources(&self) -> impl Iterator<Item = &str> {
        let list = self
            .directive
            .strip_prefix("frame-ancestors ")
            .filter(|_| !self.none)
            .unwrap_or("");
        list.split(' ').filter(|source| !source.is_empty())
    }

    /// Whether no ancestor is admitted: `frame-ancestors 'none'`, because the mode has no
    /// source to write or because the list failed closed ([`closed_reason`](Self::closed_reason)).
    pub fn is_none(&self) -> bool {
        self.none
    }

    /// Why the list is `'none'` although the mode has sources to write: it would pass
    /// [`PolicyOptions::frame_ancestors_max_bytes`]. `None` when the directive is written
    /// out (or the mode simply has no source). A list is never cut short: a bound that
    /// dropped some hosts would silently refuse their pages.
    ///
    /// ```
    /// use origin_policy::{ClosedReason, Mode, Policy};
    ///
    /// let mut builder = Policy::builder();
    /// builder.frame_ancestors_max_bytes(80);
    /// for n in 0..3 {
    ///     builder.allow(Mode::Live, &format!("https://site-{n}.example.com"));
    /// }
    /// let policy = builder.build()?;
    /// let list = policy.frame_ancestors(Mode::Live);
    /// assert_eq!(list.as_str(), "frame-ancestors 'none'");
    /// let Some(ClosedReason::TooLong { bytes, first_over, .. }) = list.closed_reason() else {
    ///     unreachable!()
    /// };
    /// assert_eq!(bytes, 96);
    /// assert_eq!(first_over.unwrap().to_string(), "live[2]");
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn closed_reason(&self) -> Option<ClosedReason> {
        self.closed
    }

    /// What the list leaves out, in rule order (the implicit test loopback allowance
    /// last), each with its reason. [`Policy::lint`](crate::Policy::lint) reports the same rules
    /// ([`WarningKind::NotInFrameAncestors`](crate::WarningKind::NotInFrameAncestors)).
    pub fn left_out(&self) -> &[LeftOut] {
        &self.left_out
    }

    /// The directive as a header value, ready to clone into responses (a clone shares the
    /// bytes).
    #[cfg(feature = "tower")]
    pub fn header_value(&self) -> &http::HeaderValue {
        &self.header
    }
}

impl fmt::Debug for FrameAncestors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameAncestors")
            .field("mode", &self.mode)
            .field("directive", &self.as_str())
            .field("left_out", &self.left_out)
            .field("closed", &self.closed)
            .finish()
    }
}

impl fmt::Display for FrameAncestors {
    /// The directive, as [`as_str`](Self::as_str).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.directive)
    }
}

/// The header value of a directive. Sources are printable ASCII (canonical punycode
/// hosts, digits, `*`, `:`, `/`, `.`, `-`), so the conversion cannot fail; if it did, the
/// value would be `'none'`, which admits nothing.
#[cfg(feature = "tower")]
fn header_value(directive: &str) -> http::HeaderValue {
    http::HeaderValue::from_str(directive).unwrap_or_else(|_| http::HeaderValue::from_static(NONE))
}

/// The host-source of one pattern, or why there is none: the one place that decides what
/// CSP can express. Lint and [`FrameAncestors`] both ask here.
///
/// An expressible pattern's source is its canonical text (`scheme://host[:port]`, the
/// default port omitted): CSP3 reads that text with the same meaning, host, `*.`, port
/// and `:*` alike, but for the `http` upgrade ([`FrameAncestors`]).
pub(crate) fn source_of(
    pattern: &Pattern,
    boundary: PublicSuffixBoundary,
) -> Result<String, LeftOutReason> {
    let underscore = |name: &str| name.contains('_');
    match pattern.host() {
        HostPattern::LabelWildcard { .. } => return Err(LeftOutReason::LabelWildcard),
        HostPattern::Exact(Host::Ipv6(_)) => return Err(LeftOutReason::Ipv6Host),
        HostPattern::Exact(Host::Domain(name)) if underscore(name) => {
            return Err(LeftOutReason::UnderscoreInHost)
        }
        HostPattern::Subdomains(base) if underscore(base) => {
            return Err(LeftOutReason::UnderscoreInHost)
        }
        HostPattern::Subdomains(base)
            if boundary == PublicSuffixBoundary::Enforced
                && public_suffix::has_public_suffix_below(base) =>
        {
            return Err(LeftOutReason::PublicSuffixBelowBase)
        }
        HostPattern::Exact(Host::Domain(_) | Host::Ipv4(_)) | HostPattern::Subdomains(_) => {}
    }
    Ok(pattern.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Result<String, LeftOutReason> {
        let pattern = Pattern::parse(text).unwrap();
        source_of(&pattern, PublicSuffixBoundary::Enforced)
    }

    #[test]
    fn expressible_patterns_keep_their_canonical_text() {
        for (text, expected) in [
            ("https://www.x.com", "https://www.x.com"),
            ("https://www.x.com:443", "https://www.x.com"),
            ("https://www.x.com:8443", "https://www.x.com:8443"),
            ("https://www.x.com:*", "https://www.x.com:*"),
            ("https://*.x.com", "https://*.x.com"),
            ("http://localhost:3000", "http://localhost:3000"),
            ("http://127.0.0.1:*", "http://127.0.0.1:*"),
            ("https://bücher.example", "https://xn--bcher-kva.example"),
            (
                "https://*.mybucket.s3.amazonaws.com",
                "https://*.mybucket.s3.amazonaws.com",
            ),
        ] {
            assert_eq!(source(text).as_deref(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn inexpressible_patterns_name_their_reason() {
        for (text, reason) in [
            ("https://pr-*.x.com", LeftOutReason::LabelWildcard),
            ("https://*-eu.x.com", LeftOutReason::LabelWildcard),
            ("https://[2001:db8::1]", LeftOutReason::Ipv6Host),
            ("http://[::1]:3000", LeftOutReason::Ipv6Host),
            ("https://my_app.x.com", LeftOutReason::UnderscoreInHost),
            ("https://*.my_app.x.com", LeftOutReason::UnderscoreInHost),
            (
                "https://*.amazonaws.com",
                LeftOutReason::PublicSuffixBelowBase,
            ),
            ("https://*.fastly.net", LeftOutReason::PublicSuffixBelowBase),
        ] {
            assert_eq!(source(text), Err(reason), "{text}");
        }
        let pattern = Pattern::parse("https://*.amazonaws.com").unwrap();
        assert_eq!(
            source_of(&pattern, PublicSuffixBoundary::Ignored).as_deref(),
            Ok("https://*.amazonaws.com")
        );
    }

    #[test]
    fn every_reason_has_a_message() {
        for kind in LeftOutReason::ALL {
            assert!(!kind.message().is_empty());
        }
    }
}
