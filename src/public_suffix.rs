//! The [Public Suffix List](https://publicsuffix.org/) questions the crate asks, answered in
//! one place: whether a wildcard base covers other owners' names (a build error), whether a
//! host lies beyond a wildcard's base in another owner's namespace (a denial at match time),
//! and whether an exact host is a platform's own suffix (a lint warning).
//!
//! Both sections of the List count (ICANN and private), with its wildcard and exception
//! rules, through the `psl` crate, and so does the List's implicit `*` rule: a TLD the List
//! does not know is a public suffix of one label.

/// Whether a wildcard may match a host under a public suffix longer than its base
/// ([`within_owner`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PublicSuffixBoundary {
    /// It may not: the default.
    Enforced,
    /// It may: [`PolicyOptions::allow_public_suffix_wildcards`](crate::PolicyOptions::allow_public_suffix_wildcards).
    Ignored,
}

/// The public suffix of `name` (a canonical domain name: lowercase ASCII, no trailing dot),
/// as a suffix of it, or `None` when the List gives none (an empty or malformed name).
pub(crate) fn suffix_of(name: &str) -> Option<&str> {
    let suffix = psl::suffix(name.as_bytes())?;
    name.get(name.len().checked_sub(suffix.as_bytes().len())?..)
}

/// The registrable domain of `name` (a canonical domain name: lowercase ASCII, no trailing
/// dot): its public suffix and one label more, by the
/// [Public Suffix List](https://publicsuffix.org/) (both sections, with its wildcard and
/// exception rules). Names with the same registrable domain belong to the same owner;
/// `alice.github.io` and `bob.github.io` do not, since `github.io` is a public suffix.
/// `None` for a public suffix itself (`com`, `github.io`, `localhost`).
///
/// ```
/// use origin_policy::registrable_domain;
///
/// assert_eq!(registrable_domain("news.bbc.co.uk"), Some("bbc.co.uk"));
/// assert_eq!(registrable_domain("alice.github.io"), Some("alice.github.io"));
/// assert_eq!(registrable_domain("bucket.s3.amazonaws.com"), Some("bucket.s3.amazonaws.com"));
/// assert_eq!(registrable_domain("github.io"), None);
/// ```
pub fn registrable_domain(name: &str) -> Option<&str> {
    let domain = psl::domain(name.as_bytes())?;
    name.get(name.len().checked_sub(domain.as_bytes().len())?..)
}

/// Whether `name` is itself a public suffix (by any rule, the implicit `*` included).
pub(crate) fn is_public_suffix(name: &str) -> bool {
    suffix_of(name).is_none_or(|suffix| suffix.len() == name.len())
}

/// Whether `name` is a public suffix that the List names explicitly (`github.io`, `co.uk`,
/// `s3.amazonaws.com`), rather than by its implicit `*` rule for unknown TLDs.
pub(crate) fn is_listed_public_suffix(name: &str) -> bool {
    psl::suffix(name.as_bytes())
        .is_some_and(|suffix| suffix.is_known() && suffix.as_bytes() == name.as_bytes())
}

/// Whether `*.base` would match a host that belongs to someone other than the owner of
/// `base`: `base` is itself a public suffix, or the names directly under it are (the List's
/// wildcard rules, such as `*.sch.uk` or `*.compute.amazonaws.com`). A build-time check;
/// [`within_owner`] is its match-time counterpart for public suffixes deeper down.
pub(crate) fn covers_public_suffix(base: &str) -> bool {
    // No real label is this long-winded, so an exception rule (`!city.kawasaki.jp`) cannot
    // name it: it stands for "any label".
    const PROBE_LABEL: &str = "origin-policy-probe";
    is_public_suffix(base) || is_public_suffix(&format!("{PROBE_LABEL}.{base}"))
}

/// Whether some public suffix lies strictly under `base` (a canonical domain name): a rule
/// of the List such as `s3.amazonaws.com` under `amazonaws.com`, or a wildcard rule
/// deeper down (`*.compute.amazonaws.com`). Then `*.base` written anywhere that knows no
/// public suffixes (a CSP host-source) would also match hosts in other owners' namespaces,
/// which [`within_owner`] keeps out of a policy's wildcard.
///
/// The List is compiled into a lookup that reads a name's labels right to left, and the
/// answer comes from watching which labels it reads: `base`'s labels, then a probe label
/// that no rule names. A lookup that answers correctly for every name must read the probe
/// whenever a rule lies under `base` (it cannot tell `s3.amazonaws.com` from
/// `probe.amazonaws.com` otherwise, and both share the labels read before), so "the probe
/// was not read" proves that no rule lies under `base`. A lookup that reads more than it
/// needs only makes the answer `true` more often, which callers treat as the cautious one.
pub(crate) fn has_public_suffix_below(base: &str) -> bool {
    // No real label is this long-winded (see `covers_public_suffix`).
    const PROBE_LABEL: &str = "origin-policy-probe";
    let read = std::cell::Cell::new(0usize);
    let labels = base
        .as_bytes()
        .rsplit(|&byte| byte == b'.')
        .chain(std::iter::once(PROBE_LABEL.as_bytes()))
        .inspect(|_| read.set(read.get() + 1));
    psl::Psl::find(&psl::List, labels);
    let base_labels = base.bytes().filter(|&byte| byte == b'.').count() + 1;
    read.get() > base_labels
}

/// Whether `host`, a domain that a wildcard over a base of `base_len` bytes matches, still
/// belongs to the owner of that base: its public suffix is no longer than the base. A host
/// under a deeper public suffix (`bucket.s3.amazonaws.com` under `*.amazonaws.com`, whose
/// suffix is `s3.amazonaws.com`) belongs to whoever registered it there, so the wildcard
/// must not match it. No suffix at all fails closed.
///
/// One List lookup, without allocating.
#[inline]
pub(crate) fn within_owner(host: &str, base_len: usize) -> bool {
    suffix_of(host).is_some_and(|suffix| suffix.len() <= base_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_suffixes_from_both_sections() {
        for name in [
            "com",
            "co.uk",
            "github.io",
            "netlify.app",
            "example",
            "localhost",
        ] {
            assert!(covers_public_suffix(name), "{name}");
        }
        for name in ["berbix.com", "bbc.co.uk", "me.github.io", "x.example"] {
            assert!(!covers_public_suffix(name), "{name}");
        }
    }

    #[test]
    fn names_under_a_wildcard_rule_are_public_suffixes_too() {
        for name in ["sch.uk", "kawasaki.jp", "compute.amazonaws.com"] {
            assert!(!is_public_suffix(name), "{name} itself is registrable");
            assert!(covers_public_suffix(name), "{name}");
        }
        // An exception rule (`!city.kawasaki.jp`) makes the name registrable again.
        assert!(!covers_public_suffix("city.kawasaki.jp"));
    }

    #[test]
    fn suffixes_are_slices_of_the_name() {
        assert_eq!(
            suffix_of("bucket.s3.amazonaws.com"),
            Some("s3.amazonaws.com")
        );
        assert_eq!(suffix_of("www.amazonaws.com"), Some("com"));
        assert_eq!(
            suffix_of("a.b.compute.amazonaws.com"),
            Some("b.compute.amazonaws.com")
        );
        assert_eq!(suffix_of("app.localhost"), Some("localhost"));
        assert_eq!(suffix_of("x.corp.internal"), Some("internal"));
    }

    #[test]
    fn a_host_within_its_owner_has_a_suffix_no_longer_than_the_base() {
        let base = "amazonaws.com".len();
        assert!(within_owner("www.amazonaws.com", base));
        assert!(within_owner("a.b.www.amazonaws.com", base));
        assert!(!within_owner("bucket.s3.amazonaws.com", base));
        assert!(!within_owner("s3.amazonaws.com", base));
        assert!(!within_owner("s3-us-west-2.amazonaws.com", base));
        assert!(within_owner(
            "x.mybucket.s3.amazonaws.com",
            "mybucket.s3.amazonaws.com".len()
        ));
        assert!(within_owner("app.localhost", "localhost".len()));
        assert!(!within_owner("", 0));
    }

    #[test]
    fn public_suffixes_below_a_base_are_found_by_the_probe() {
        for base in [
            "amazonaws.com",
            "compute.amazonaws.com",
            "fastly.net",
            "com",
            "uk",
        ] {
            assert!(has_public_suffix_below(base), "{base}");
        }
        for base in [
            "berbix.com",
            "x.y.berbix.com",
            "bbc.co.uk",
            "mybucket.s3.amazonaws.com",
            "localhost",
            "corp.internal",
            "city.kawasaki.jp",
            "xn--bcher-kva.example",
        ] {
            assert!(!has_public_suffix_below(base), "{base}");
        }
    }

    #[test]
    fn only_listed_suffixes_are_listed() {
        assert!(is_listed_public_suffix("github.io"));
        assert!(is_listed_public_suffix("s3.amazonaws.com"));
        assert!(is_listed_public_suffix("com"));
        assert!(!is_listed_public_suffix("alice.github.io"));
        assert!(!is_listed_public_suffix("localhost"));
        assert!(!is_listed_public_suffix("intranet"));
    }
}
