//! What `explain` suggests for a denied origin: the entry that would allow it (or why
//! none can, or that none is offered), and for a malformed origin what a well-formed one
//! looks like.

use origin_policy::host::HostKind;
use origin_policy::public_suffix::registrable_domain;
use origin_policy::{DenyReason, Mode, Origin, OriginErrorKind, Policy};

use super::rules::any_rule_near;
use super::Report;

/// For a denied, well-formed origin: the entry that would allow it in `mode`, or why no
/// entry of `mode` can; nothing to copy when no rule is near it (a loopback origin in test
/// mode, the developer's own machine, still gets its entry and the option).
pub(super) fn suggest_entry(out: &mut Report, policy: &Policy, mode: Mode, origin: &Origin<'_>) {
    let entry = origin.to_string();
    let loopback_in_test = mode == Mode::Test && origin.is_loopback();
    let built = Policy::builder()
        .options(policy.options())
        .allow(mode, &entry)
        .build();
    match built {
        Ok(_) if !loopback_in_test && !any_rule_near(policy, origin) => {
            out.record.no_rule_near = true;
            let what = match origin.host_kind() {
                HostKind::Domain => match registrable_domain(origin.host()) {
                    Some(domain) => format!("shares this origin's registrable domain ({domain})"),
                    None => "is under this origin's name".to_owned(),
                },
                HostKind::Ipv4 | HostKind::Ipv6 => "names this address".to_owned(),
            };
            out.line(
                "near",
                &format!(
                    "no rule of the policy {what}: no entry is suggested, since one would let \
                     in another owner's site"
                ),
            );
        }
        Ok(_) if loopback_in_test => {
            out.record.allow_with = Some(entry.clone());
            out.line(
                "allow with",
                &format!(
                    "the test entry `{entry}` (this origin only), or implicit_test_loopback = \
                     true in [options] (every loopback origin)"
                ),
            );
        }
        Ok(_) => {
            let beyond =
                policy.check(mode, &entry).deny_reason() == Some(DenyReason::PublicSuffixBoundary);
            let caution = match origin.public_suffix() {
                Some(suffix) if beyond => format!(
                    ", and only if it is yours: names under {suffix} belong to whoever \
                     registered them"
                ),
                _ => String::new(),
            };
            out.line(
                "allow with",
                &format!("the {mode} entry `{entry}` (this origin only{caution})"),
            );
            out.record.allow_with = Some(entry);
        }
        Err(err) => {
            let why = err
                .entries()
                .first()
                .map(|entry| entry.error.kind().to_string())
                .unwrap_or_default();
            out.line("cannot", &format!("be allowed in {mode} mode: {why}"));
            out.record.cannot = Some(why);
        }
    }
}

/// For a malformed origin, what a well-formed one would look like, or why none can be.
pub(super) fn malformed_hint(input: &str, kind: OriginErrorKind) -> Option<String> {
    use OriginErrorKind as Kind;
    match kind {
        Kind::Opaque => Some(
            "`null` comes from sandboxed frames, file: pages and some redirects; no rule can \
             allow it"
                .to_owned(),
        ),
        Kind::Path | Kind::Query | Kind::Fragment | Kind::Whitespace | Kind::MissingScheme => {
            let trimmed = input.trim_matches(|c: char| c.is_ascii_whitespace());
            let with_scheme = if trimmed.contains("://") {
                trimmed.to_owned()
            } else {
                format!("https://{trimmed}")
            };
            let (scheme, rest) = with_scheme.split_once("://")?;
            let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            let candidate = format!("{scheme}://{authority}");
            let origin = Origin::parse(&candidate).ok()?;
            Some(format!(
                "an Origin header is only `scheme://host[:port]`: did you mean {}?",
                origin
            ))
        }
        _ => None,
    }
}
