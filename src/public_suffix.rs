//! The [Public Suffix List](https://publicsuffix.org/) questions the crate asks, answered in
//! one place: whether a wildcard base covers other owners' names (a build error), whether a
//! host lies beyond a wildcard's base in another owner's namespace (a denial at match time),
//! and whether an exact host is a platform's own suffix (a lint warning).
//!
//! Both sections of the List count (ICANN and private), with its wildcard and exception
//! rules, through the `psl` crate, and so does the List's implicit `*` rule: a TLD the List
//! does not know is a public suffix of one label.

use std::cell::Cell;

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
/// use origin_policy::public_suffix::registrable_domain;
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

/// No real label is this long-winded, so an exception rule (`!city.kawasaki.jp`) cannot
/// name it: it stands for "any label".
const PROBE_LABEL: &str = "origin-policy-probe";

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
    is_public_suffix(base) || with_probe_label(base, is_public_suffix)
}

/// The public suffix that a wildcard over `base` covers ([`covers_public_suffix`]), for a
/// warning: the base (`github.io` of `*.github.io`, `com` of `app-*.com`), or the names
/// right under it (`*.sch.uk`); `None` when it covers none.
pub(crate) fn covered_suffix(base: &str) -> Option<String> {
    if is_public_suffix(base) {
        Some(base.to_owned())
    } else if with_probe_label(base, is_public_suffix) {
        Some(format!("*.{base}"))
    } else {
        None
    }
}

/// `answer` of `PROBE_LABEL.base`, written into a buffer on the stack: these run once per
/// wildcard of a build, where formatting a string was a tenth of the time.
fn with_probe_label<T>(base: &str, answer: impl FnOnce(&str) -> T) -> T {
    let mut buffer = [0u8; PROBE_LABEL.len() + 1 + crate::host::MAX_NAME_LEN];
    let len = PROBE_LABEL.len() + 1 + base.len();
    let Some(probed) = buffer.get_mut(..len) else {
        return answer(&format!("{PROBE_LABEL}.{base}"));
    };
    let (label, rest) = probed.split_at_mut(PROBE_LABEL.len());
    label.copy_from_slice(PROBE_LABEL.as_bytes());
    rest[0] = b'.';
    rest[1..].copy_from_slice(base.as_bytes());
    match std::str::from_utf8(probed) {
        Ok(probed) => answer(probed),
        Err(_) => answer(&format!("{PROBE_LABEL}.{base}")),
    }
}

/// Whether some public suffix lies strictly under `base` (a canonical domain name): a rule
/// of the List such as `s3.amazonaws.com` under `amazonaws.com`, or a wildcard rule
/// deeper down (`*.compute.amazonaws.com`). Then `*.base` written anywhere that knows no
/// public suffixes (a CSP host-source) would also match hosts in other owners' namespaces,
/// which [`within_owner`] keeps out of a policy's wildcard.
///
/// [`below_base`] decides it, from the List's own lookup.
pub(crate) fn has_public_suffix_below(base: &str) -> bool {
    below_base(base) == BelowBase::Lookup
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

/// What [`within_owner`] answers for every host under a wildcard's base, when the List
/// alone decides it at build time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BelowBase {
    /// Every host under the base is within its owner.
    Within,
    /// No host under the base is (its suffix is found, but longer than the base; or none).
    Beyond,
    /// The List has rules below the base: each host is looked up.
    Lookup,
}

/// What the List says about the hosts under `base`, from the List's own lookup: it reads a
/// name's labels right to left and asks for the next label only while some rule lies
/// deeper. So the base's labels are fed to it, then one label more ([`PROBE_LABEL`]); if it never asks for
/// that one, no rule lies below the base, and every host under it gets the answer the base
/// gets (the lookup is a function of the labels it read). Most bases are like that, so
/// most wildcard hits skip the lookup; `amazonaws.com` (with `s3.amazonaws.com` and more
/// below it) is not.
pub(crate) fn below_base(base: &str) -> BelowBase {
    use psl::Psl;

    let asked = Cell::new(0);
    let info = with_probe_label(base, |probed| {
        psl::List.find(CountedLabels {
            rest: Some(probed.as_bytes()),
            asked: &asked,
        })
    });
    if asked.get() > base.split('.').count() {
        BelowBase::Lookup
    } else if info.len != 0 && info.len <= base.len() {
        BelowBase::Within
    } else {
        BelowBase::Beyond
    }
}

/// The labels of a name, right to left, counting how many the List's lookup asks for.
/// Small on purpose (24 bytes): the lookup is generic over its iterator, and a debug build
/// keeps a copy per match arm of its first level, so a larger iterator would not fit on a
/// small thread stack.
struct CountedLabels<'a> {
    rest: Option<&'a [u8]>,
    asked: &'a Cell<usize>,
}

impl<'a> Iterator for CountedLabels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        self.asked.set(self.asked.get() + 1);
        match rest.iter().rposition(|&byte| byte == b'.') {
            Some(dot) => {
                self.rest = Some(&rest[..dot]);
                Some(&rest[dot + 1..])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_without_rules_below_it_decides_for_every_host_under_it() {
        let bases = [
            "example.com",
            "berbix.com",
            "amazonaws.com",
            "s3.amazonaws.com",
            "mybucket.s3.amazonaws.com",
            "compute.amazonaws.com",
            "bbc.co.uk",
            "co.uk",
            "kawasaki.jp",
            "city.kawasaki.jp",
            "github.io",
            "me.github.io",
            "localhost",
            "app.localhost",
            "corp.internal",
            "blogspot.com",
            "x.blogspot.com",
            "appspot.com",
        ];
        let fronts = [
            "a",
            "www",
            "s3",
            "city",
            "compute",
            "eu-west-1",
            "x.s3",
            "a.b.c",
            "origin-policy-probe",
        ];
        let mut decided = 0;
        for base in bases {
            let known = below_base(base);
            for front in fronts {
                let host = format!("{front}.{base}");
                let within = within_owner(&host, base.len());
                match known {
                    BelowBase::Lookup => {}
                    BelowBase::Within => assert!(within, "{host}"),
                    BelowBase::Beyond => assert!(!within, "{host}"),
                }
            }
            decided += usize::from(known != BelowBase::Lookup);
        }
        assert_eq!(below_base("example.com"), BelowBase::Within);
        assert_eq!(below_base("amazonaws.com"), BelowBase::Lookup);
        assert!(decided >= 8, "{decided}");
    }

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
