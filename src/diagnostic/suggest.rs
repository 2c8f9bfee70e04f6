//! The suggestion of a diagnostic: the corrected entry that a "Use this" button submits.
//! A rewrite is offered only when it is itself a valid entry of the mode under the policy's
//! options, and it is offered in its canonical form. No guess is made where the fault
//! leaves more than one plausible reading (`berbix,com`, whitespace inside a host).

use crate::error::{PatternError, PatternErrorKind};
use crate::mode::Mode;
use crate::options::PolicyOptions;
use crate::policy::Policy;

/// The suggestion for `error`, an entry of `mode` in a policy with `options`, or `None`.
///
/// ```
/// use origin_policy::diagnostic::suggestion;
/// use origin_policy::pattern::Pattern;
/// use origin_policy::{Mode, PolicyOptions};
///
/// let options = PolicyOptions::default();
/// let suggest = |entry: &str, mode| {
///     let error = origin_policy::Policy::builder().allow(mode, entry).build().unwrap_err();
///     suggestion(mode, &error.entries()[0].error, options)
/// };
/// assert_eq!(suggest("berbix.com", Mode::Live).as_deref(), Some("https://berbix.com"));
/// assert_eq!(suggest("http://x.com", Mode::Live).as_deref(), Some("https://x.com"));
/// assert_eq!(suggest("https//x.com", Mode::Live).as_deref(), Some("https://x.com"));
/// assert_eq!(suggest("htps://x.com", Mode::Live).as_deref(), Some("https://x.com"));
/// assert_eq!(suggest("localhost:3000", Mode::Test).as_deref(), Some("http://localhost:3000"));
/// assert_eq!(suggest("berbix,com", Mode::Live), None);
/// ```
pub fn suggestion(mode: Mode, error: &PatternError, options: PolicyOptions) -> Option<String> {
    let pattern = error.pattern();
    let trimmed = pattern.trim_matches(|c: char| c.is_ascii_whitespace());
    let span = error.span();
    let candidates: Vec<String> = match error.kind() {
        PatternErrorKind::MissingScheme => missing_scheme(mode, trimmed),
        PatternErrorKind::MissingSlashes => {
            // `https:x.com`, `https:/x.com`: the scheme, then `//` and the host.
            let (scheme, rest) = trimmed.split_once(':')?;
            vec![format!("{scheme}://{}", rest.trim_start_matches('/'))]
        }
        PatternErrorKind::UnsupportedScheme => {
            let (scheme, rest) = trimmed.split_once("://")?;
            near_schemes(scheme)
                .into_iter()
                .map(|scheme| format!("{scheme}://{rest}"))
                .collect()
        }
        PatternErrorKind::HttpInLive => {
            let (_, rest) = trimmed.split_once("://")?;
            vec![format!("https://{rest}")]
        }
        PatternErrorKind::Path | PatternErrorKind::Query | PatternErrorKind::Fragment => {
            // The origin in front of the path: what a browser sends for that page.
            let before = pattern.get(..span.start)?;
            vec![before
                .trim_start_matches(|c: char| c.is_ascii_whitespace())
                .to_owned()]
        }
        PatternErrorKind::Backslash => vec![trimmed.replace('\\', "/")],
        PatternErrorKind::PortLeadingZero => {
            let port = pattern.get(span.range())?;
            let kept = port.trim_start_matches('0');
            let before = pattern.get(..span.start)?;
            let after = pattern.get(span.end..)?;
            vec![format!("{before}{kept}{after}")]
        }
        _ => Vec::new(),
    };
    candidates
        .iter()
        .find_map(|candidate| canonical_entry(mode, candidate, options))
}

/// The canonical text of `text` as an entry of `mode` under `options`, or `None` when it is
/// not a valid entry there. Public as [`crate::validate::canonical_entry`].
pub fn canonical_entry(mode: Mode, text: &str, options: PolicyOptions) -> Option<String> {
    let policy = Policy::builder()
        .options(options)
        .allow(mode, text)
        .build()
        .ok()?;
    policy
        .rules(mode)
        .first()
        .map(|rule| rule.as_str().to_owned())
}

/// The rewrites of an entry without `scheme://`: a scheme written without its `:`
/// (`https//x.com`), a lone `//` or `://` in front, or a bare host, which gets `https://`
/// (and in test mode `http://` when `https://` is not valid there).
fn missing_scheme(mode: Mode, trimmed: &str) -> Vec<String> {
    for scheme in ["https", "http"] {
        let rest = trimmed
            .get(..scheme.len() + 2)
            .filter(|head| head.eq_ignore_ascii_case(&format!("{scheme}//")))
            .and_then(|_| trimmed.get(scheme.len() + 2..));
        if let Some(rest) = rest {
            return vec![format!("{scheme}://{rest}")];
        }
    }
    let host = trimmed
        .strip_prefix("://")
        .or_else(|| trimmed.strip_prefix("//"))
        .unwrap_or(trimmed);
    if host.is_empty() || host.contains("://") {
        return Vec::new();
    }
    let https = format!("https://{host}");
    match mode {
        Mode::Live => vec![https],
        // A loopback host gets `http://`, as a local server most often speaks it.
        Mode::Test => {
            let http = format!("http://{host}");
            let loopback =
                crate::pattern::Pattern::parse(&http).is_ok_and(|p| p.host().is_loopback());
            if loopback {
                vec![http, https]
            } else {
                vec![https, http]
            }
        }
    }
}

/// `https` and `http` in the order of their closeness to a misspelled scheme, each only if
/// it is close: at most two edits from `https`, or one from `http` (`htps`, `htttps`,
/// `hhtp`; not `ftp` or `wss`).
fn near_schemes(scheme: &str) -> Vec<&'static str> {
    if scheme.len() > 8 {
        return Vec::new();
    }
    let scheme = scheme.to_ascii_lowercase();
    let to_https = edit_distance(&scheme, "https");
    let to_http = edit_distance(&scheme, "http");
    let mut near = Vec::new();
    if to_http < to_https && to_http <= 1 {
        near.push("http");
    }
    if to_https <= 2 || to_http <= 1 {
        near.push("https");
    }
    near
}

/// The Levenshtein distance of two short ASCII words.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.as_bytes().iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggest(mode: Mode, entry: &str) -> Option<String> {
        let error = Policy::builder().allow(mode, entry).build().unwrap_err();
        suggestion(mode, &error.entries()[0].error, PolicyOptions::default())
    }

    #[test]
    fn the_issue_examples() {
        let live = |entry| suggest(Mode::Live, entry);
        assert_eq!(live("berbix.com").as_deref(), Some("https://berbix.com"));
        assert_eq!(live("http://x.com").as_deref(), Some("https://x.com"));
        assert_eq!(live("https//x.com").as_deref(), Some("https://x.com"));
        assert_eq!(live("htps://x.com").as_deref(), Some("https://x.com"));
        assert_eq!(live("berbix,com"), None);
    }

    #[test]
    fn more_rewrites_each_canonical() {
        let live = |entry| suggest(Mode::Live, entry);
        assert_eq!(live("HTTP://X.COM").as_deref(), Some("https://x.com"));
        assert_eq!(live("https:x.com").as_deref(), Some("https://x.com"));
        assert_eq!(live("https:/x.com").as_deref(), Some("https://x.com"));
        assert_eq!(live("//x.com").as_deref(), Some("https://x.com"));
        assert_eq!(
            live("https://x.com/login?a=1").as_deref(),
            Some("https://x.com")
        );
        assert_eq!(live("https://x.com#top").as_deref(), Some("https://x.com"));
        assert_eq!(live("https:\\\\x.com").as_deref(), Some("https://x.com"));
        assert_eq!(live("https://x.com:0443").as_deref(), Some("https://x.com"));
        assert_eq!(
            live("https://x.com:08443").as_deref(),
            Some("https://x.com:8443")
        );
        assert_eq!(live("htttps://x.com").as_deref(), Some("https://x.com"));
        assert_eq!(
            suggest(Mode::Test, "htp://x.com").as_deref(),
            Some("http://x.com")
        );
        // In live mode the nearest scheme, `http`, is not valid: `https` is offered.
        assert_eq!(live("htp://x.com").as_deref(), Some("https://x.com"));
    }

    #[test]
    fn no_guess_when_the_rewrite_is_still_invalid_or_far() {
        let live = |entry| suggest(Mode::Live, entry);
        assert_eq!(live("ftp://x.com"), None);
        assert_eq!(live("wss://x.com"), None);
        assert_eq!(live("localhost:3000"), None);
        assert_eq!(live("http://localhost:3000"), None);
        assert_eq!(live("*.com"), None);
        assert_eq!(live("https://www.*.com"), None);
        assert_eq!(live("https://x .com"), None);
        assert_eq!(live(""), None);
        assert_eq!(live("https://a.com,https://b.com"), None);
    }

    #[test]
    fn test_mode_loopback_gets_http() {
        assert_eq!(
            suggest(Mode::Test, "localhost:3000").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(
            suggest(Mode::Test, "staging.x.com").as_deref(),
            Some("https://staging.x.com")
        );
    }

    #[test]
    fn the_hint_agrees_with_the_suggestion() {
        let error = Policy::builder()
            .allow(Mode::Live, "https//x.com")
            .build()
            .unwrap_err();
        let hint = crate::diagnostic::hint(
            Mode::Live,
            &error.entries()[0].error,
            PolicyOptions::default(),
            "",
        );
        assert_eq!(
            hint.as_deref(),
            Some("a `:` is missing after the scheme, as in `https://x.com`")
        );
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("htps", "https"), 1);
        assert_eq!(edit_distance("ftp", "http"), 2);
        assert_eq!(edit_distance("", "http"), 4);
        assert_eq!(edit_distance("https", "https"), 0);
    }
}
