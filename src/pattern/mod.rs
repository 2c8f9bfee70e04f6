//! Allow-list entries: `scheme://host[:port]`, validated and put in canonical form.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::error::PatternError;
use crate::host::{self, Host};
use crate::origin::Origin;
use crate::public_suffix;
use crate::scheme::Scheme;

mod parse;

pub(crate) use parse::parse_located;

/// A validated allow-list entry.
///
/// Syntax: `scheme://host[:port]`, optionally followed by one `/`, with leading and trailing
/// ASCII whitespace trimmed. `Display` gives the canonical form, which parses back to an
/// equal pattern.
///
/// ```
/// use origin_policy::pattern::Pattern;
///
/// let pattern = Pattern::parse(" HTTPS://*.Berbix.COM.:443/ ").unwrap();
/// assert_eq!(pattern.to_string(), "https://*.berbix.com");
/// assert_eq!(Pattern::parse(&pattern.to_string()).unwrap(), pattern);
/// ```
///
/// Parsing checks syntax only. What depends on the mode (HTTPS only and no loopback hosts
/// in live mode) and on the Public Suffix List is checked by
/// [`PolicyBuilder::build`](crate::PolicyBuilder::build).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern {
    scheme: Scheme,
    host: HostPattern,
    port: PortSpec,
}

/// The host part of a [`Pattern`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostPattern {
    /// Exactly this host.
    Exact(Host),
    /// `*.base`: one or more whole labels in front of `base`, at any depth, never `base`
    /// itself. Holds the canonical base domain.
    Subdomains(String),
    /// `prefix*suffix.base`: one `*` inside the leftmost label, next to literal label
    /// characters, as in `pr-*.preview.example.com` or `*-staging.example.com`. The `*`
    /// stands for one or more label characters (`a-z 0-9 - _`) inside that one label,
    /// never a dot, so the host has exactly one label more than `base`.
    LabelWildcard {
        /// The literal characters before `*` (lowercase, possibly empty).
        prefix: String,
        /// The literal characters after `*` (lowercase, possibly empty, never both).
        suffix: String,
        /// The canonical base domain: the labels after the wildcard label.
        base: String,
    },
}

impl HostPattern {
    /// Whether every host the pattern matches is loopback ([`Host::is_loopback`]): a
    /// loopback host, or a wildcard over `localhost` or a name under it.
    pub fn is_loopback(&self) -> bool {
        match self {
            HostPattern::Exact(host) => host.is_loopback(),
            HostPattern::Subdomains(base) | HostPattern::LabelWildcard { base, .. } => {
                host::is_loopback_name(base)
            }
        }
    }

    /// Whether the host part alone allows `host`, a canonical host of `kind` (as
    /// [`Origin::host`] and [`Origin::host_kind`] give it), whatever the scheme and port:
    /// the same host; for `*.base`, a domain ending in `.base` with at least one more label;
    /// for `prefix*suffix.base`, a domain whose parent is `base` and whose first label
    /// fits. The plain definition, as [`Pattern::matches`] uses it.
    pub fn matches(&self, host: &str, kind: host::HostKind) -> bool {
        match self {
            HostPattern::Exact(exact) => exact.kind() == kind && exact.to_string() == host,
            HostPattern::Subdomains(base) => {
                kind == host::HostKind::Domain
                    && host
                        .strip_suffix(base.as_str())
                        .is_some_and(|front| front.len() > 1 && front.ends_with('.'))
            }
            HostPattern::LabelWildcard {
                prefix,
                suffix,
                base,
            } => {
                kind == host::HostKind::Domain
                    && host.split_once('.').is_some_and(|(label, parent)| {
                        parent == base && HostPattern::label_fits(prefix, suffix, label)
                    })
            }
        }
    }

    /// The base of a wildcard (`*.base` or `prefix*suffix.base`); `None` for an exact host.
    pub fn wildcard_base(&self) -> Option<&str> {
        match self {
            HostPattern::Subdomains(base) | HostPattern::LabelWildcard { base, .. } => Some(base),
            HostPattern::Exact(_) => None,
        }
    }

    /// Whether this is a wildcard that would match sites of other owners: its base is a
    /// public suffix, or the names right under it are (a wildcard rule of the List, such as
    /// `*.sch.uk`). [`PolicyBuilder::build`](crate::PolicyBuilder::build) refuses such a
    /// wildcard unless the policy opts out. Both sections of the
    /// [Public Suffix List](https://publicsuffix.org/) count, and a TLD the List does not
    /// know does too.
    pub fn is_public_suffix_wildcard(&self) -> bool {
        self.wildcard_base()
            .is_some_and(public_suffix::covers_public_suffix)
    }

    /// Whether the pattern names a local address other than loopback
    /// ([`Host::is_local_address`]): `0.0.0.0`, `[::]` and their kin.
    pub fn is_local_address(&self) -> bool {
        matches!(self, HostPattern::Exact(host) if host.is_local_address())
    }
    /// Whether this is an exact domain that the Public Suffix List names as a public suffix
    /// (`github.io`, `co.uk`, `s3.amazonaws.com`): a platform's own host rather than a site
    /// of one of its users.
    pub fn is_public_suffix_host(&self) -> bool {
        match self {
            HostPattern::Exact(Host::Domain(name)) => public_suffix::is_listed_public_suffix(name),
            _ => false,
        }
    }

    /// Whether the leftmost label of `host` (a lowercase domain name whose parent domain
    /// is the pattern's base) fits `prefix*suffix`.
    pub(crate) fn label_fits(prefix: &str, suffix: &str, label: &str) -> bool {
        label.len() > prefix.len() + suffix.len()
            && label.starts_with(prefix)
            && label.ends_with(suffix)
            && label[prefix.len()..label.len() - suffix.len()]
                .bytes()
                .all(host::is_label_byte)
    }
}

/// The port part of a [`Pattern`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortSpec {
    /// Exactly this port. A pattern without a port holds the scheme's default here, so
    /// `https://x.com` and `https://x.com:443` are the same pattern.
    Exact(u16),
    /// `:*`: any port, the scheme's default included.
    Any,
}

impl PortSpec {
    /// Whether an origin on `port` (its effective port) passes.
    pub fn allows(self, port: u16) -> bool {
        match self {
            PortSpec::Exact(own) => own == port,
            PortSpec::Any => true,
        }
    }
}

/// The longest entry that is parsed, in bytes; a longer one is refused as
/// [`PatternErrorKind::TooLong`](crate::PatternErrorKind::TooLong) before any parsing.
pub const MAX_PATTERN_LEN: usize = 2048;

/// Where the parts of a pattern stand in its text, for errors found after parsing.
pub(crate) struct Located {
    pub(crate) pattern: Pattern,
    pub(crate) scheme: Range<usize>,
    pub(crate) host: Range<usize>,
    /// The port as written, if it was.
    pub(crate) port: Option<Range<usize>>,
}

impl Pattern {
    /// A pattern from parts that are already valid and canonical (a rule's own).
    pub(crate) fn from_parts(scheme: Scheme, host: HostPattern, port: PortSpec) -> Pattern {
        Pattern { scheme, host, port }
    }

    /// Parses and validates one entry. The error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        parse_located(text).map(|located| located.pattern)
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The exact host or the wildcard's base.
    pub fn host(&self) -> &HostPattern {
        &self.host
    }

    /// The port, after default-port normalization.
    pub fn port(&self) -> PortSpec {
        self.port
    }

    /// Whether this pattern, on its own, allows `origin`. This is the plain definition;
    /// a [`Policy`](crate::Policy) answers the same through its index.
    pub fn matches(&self, origin: &Origin<'_>) -> bool {
        self.scheme == origin.scheme()
            && self.port.allows(origin.port())
            && self.host.matches(origin.host(), origin.host_kind())
    }

    /// How specific the pattern is, as an ordering key: when several rules of a policy
    /// allow an origin, [`Policy::check`](crate::Policy::check) decides by the one whose
    /// key is greatest, and between equal keys by the lower index.
    ///
    /// An exact host beats any wildcard; among wildcards a longer base beats a shorter one;
    /// on the same base a label wildcard (`pr-*.base`) beats `*.base`, and between label
    /// wildcards more literal characters win; then an exact port beats `*`. The policy's
    /// index encodes the same order in its walk, without computing keys; this method states
    /// the order on its own, for tools that sort or explain rules.
    ///
    /// ```
    /// use origin_policy::pattern::Pattern;
    ///
    /// let key = |text: &str| Pattern::parse(text).unwrap().specificity();
    /// assert!(key("https://www.berbix.com") > key("https://*.www.berbix.com"));
    /// assert!(key("https://*.docs.berbix.com") > key("https://*.berbix.com:443"));
    /// assert!(key("https://pr-*.berbix.com") > key("https://*.berbix.com"));
    /// assert!(key("https://pr-*.berbix.com") > key("https://p*.berbix.com"));
    /// assert!(key("https://*.berbix.com") > key("https://*.berbix.com:*"));
    /// assert_eq!(key("https://*.berbix.com"), key("https://*.berbix.com:8443"));
    /// ```
    pub fn specificity(&self) -> Specificity {
        let (base_len, shape, literals) = match &self.host {
            HostPattern::Exact(_) => (usize::MAX, 2, 0),
            HostPattern::LabelWildcard {
                prefix,
                suffix,
                base,
            } => (base.len(), 1, prefix.len() + suffix.len()),
            HostPattern::Subdomains(base) => (base.len(), 0, 0),
        };
        Specificity {
            base_len,
            shape,
            literals,
            exact_port: matches!(self.port, PortSpec::Exact(_)),
        }
    }
}

/// The ordering key of [`Pattern::specificity`]: greater is more specific. Only its order
/// is meaningful; the fields stay private so that the order can be refined without
/// breaking callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Specificity {
    /// `usize::MAX` for an exact host, the base's length for a wildcard.
    base_len: usize,
    /// 2 for an exact host, 1 for a label wildcard, 0 for `*.base`.
    shape: u8,
    /// The literal characters of a label wildcard's leftmost label.
    literals: usize,
    exact_port: bool,
}

impl fmt::Display for HostPattern {
    /// The canonical host part: `www.x.com`, `*.x.com`, `pr-*.x.com`, `[::1]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Exact(host) => write!(f, "{host}"),
            HostPattern::Subdomains(base) => write!(f, "*.{base}"),
            HostPattern::LabelWildcard {
                prefix,
                suffix,
                base,
            } => write!(f, "{prefix}*{suffix}.{base}"),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        match self.port {
            PortSpec::Exact(port) if port == self.scheme.default_port() => Ok(()),
            PortSpec::Exact(port) => write!(f, ":{port}"),
            PortSpec::Any => f.write_str(":*"),
        }
    }
}

impl FromStr for Pattern {
    type Err = PatternError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Pattern::parse(text)
    }
}
