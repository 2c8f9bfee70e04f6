//! One-line hints for common mistakes in entries. A concrete rewrite is offered only when
//! it is itself a valid entry of the mode under the policy's options, so that following a
//! hint never leads to another error.

use crate::echo::echo;
use crate::error::{PatternError, PatternErrorKind};
use crate::mode::Mode;
use crate::options::PolicyOptions;
use crate::policy::Policy;

/// What a hint tells the author of a policy file to do with an entry that only test mode
/// accepts.
pub const MOVE_TO_TEST_LIST: &str = "move it to the file's `test` list";

/// A hint for `error`, an entry of `mode` in a policy with `options`, or `None` when the
/// kind's message says it all. `move_to_test` says how the author lists an entry in test
/// mode instead, in the words of where it came from: [`MOVE_TO_TEST_LIST`] for a policy
/// file, `pass it with --test` for a command-line flag.
///
/// ```
/// use origin_policy::diagnostic::{hint, MOVE_TO_TEST_LIST};
/// use origin_policy::pattern::Pattern;
/// use origin_policy::{Mode, PolicyOptions};
///
/// let error = Pattern::parse("localhost:3000").unwrap_err();
/// let options = PolicyOptions::default();
/// assert_eq!(
///     hint(Mode::Test, &error, options, MOVE_TO_TEST_LIST).as_deref(),
///     Some("add `http://` in front, as in `http://localhost:3000`"),
/// );
/// ```
pub fn hint(
    mode: Mode,
    error: &PatternError,
    options: PolicyOptions,
    move_to_test: &str,
) -> Option<String> {
    let context = Context {
        mode,
        options,
        move_to_test,
    };
    context.hint(error, true)
}

struct Context<'a> {
    mode: Mode,
    options: PolicyOptions,
    move_to_test: &'a str,
}

impl Context<'_> {
    /// The error `text` gives as an entry of `mode`, or `None` when it is valid there.
    fn error_in(&self, mode: Mode, text: &str) -> Option<PatternError> {
        let built = Policy::builder()
            .options(self.options)
            .allow(mode, text)
            .build();
        built
            .err()
            .and_then(|err| err.entries().first().map(|entry| entry.error.clone()))
    }

    fn valid_in(&self, mode: Mode, text: &str) -> bool {
        self.error_in(mode, text).is_none()
    }

    /// `, as in `TEXT`` when `text` is a valid entry of the mode, else nothing.
    fn as_in(&self, text: Option<String>) -> String {
        match text {
            Some(text) if self.valid_in(self.mode, &text) => format!(", as in `{}`", echo(&text)),
            _ => String::new(),
        }
    }

    /// The hint; `follow` says whether a rewrite that is still invalid may be explained by
    /// the rewrite's own hint (once: a rewrite always has a scheme).
    fn hint(&self, error: &PatternError, follow: bool) -> Option<String> {
        let (kind, pattern, span) = (error.kind(), error.pattern(), error.span());
        let trimmed = pattern.trim_matches(|c: char| c.is_ascii_whitespace());
        if let Some(hint) = self.joined_origins(trimmed) {
            return Some(hint);
        }
        let hint = match kind {
            PatternErrorKind::Path => {
                let before = pattern.get(..span.start).map(|text| {
                    text.trim_matches(|c: char| c.is_ascii_whitespace())
                        .to_owned()
                });
                format!("origins have no path: drop it{}", self.as_in(before))
            }
            PatternErrorKind::MissingScheme if trimmed.eq_ignore_ascii_case("null") => {
                "`null` is the opaque origin, which sandboxed frames, `file:` pages and some \
                 redirects send; it names no site, so no entry can allow it and it is always \
                 denied"
                    .to_owned()
            }
            PatternErrorKind::MissingScheme => return self.missing_scheme(trimmed, follow),
            PatternErrorKind::PublicSuffixWildcard => {
                let wildcard = pattern.get(span.range()).unwrap_or("*.com");
                let base = wildcard.strip_prefix("*.").unwrap_or("com");
                format!(
                    "`{}`-style wildcards allow sites of other owners; name your registrable \
                     domain, as in `*.your-company.{}`",
                    echo(wildcard),
                    echo(base)
                )
            }
            PatternErrorKind::HttpInLive => {
                let https = trimmed
                    .split_once("://")
                    .map(|(_, rest)| format!("https://{rest}"));
                let as_in = self.as_in(https);
                let valid_there = if self.valid_in(Mode::Test, pattern) {
                    " (valid in test mode)"
                } else {
                    ""
                };
                format!(
                    "live mode is HTTPS only: use https{as_in}, or {}{valid_there}",
                    self.move_to_test
                )
            }
            PatternErrorKind::LoopbackInLive => format!(
                "localhost and 127.0.0.1 (loopback hosts) are for test mode only: {}",
                self.move_to_test
            ),
            PatternErrorKind::LocalAddressInLive => format!(
                "0.0.0.0 and [::] reach the local machine, like localhost: they are for test \
                 mode only: {}",
                self.move_to_test
            ),
            PatternErrorKind::MisplacedWildcard => {
                "`https://*.example.com` allows a.example.com and a.b.example.com (not \
                 example.com); `https://pr-*.example.com` allows pr-1.example.com; list other \
                 names one by one"
                    .to_owned()
            }
            PatternErrorKind::BareWildcard => {
                "a bare `*` would allow every site: list your domains, as in \
                 `https://www.your-company.com`, and use `https://*.your-company.com` for their \
                 subdomains"
                    .to_owned()
            }
            _ => return None,
        };
        Some(hint)
    }

    /// An entry without a scheme: the scheme to add (`http://` for a loopback host in test
    /// mode, else `https://`), or, when the entry would still be invalid with it, why.
    fn missing_scheme(&self, trimmed: &str, follow: bool) -> Option<String> {
        // `https//x.com`: the scheme is there, without its `:`.
        for scheme in ["https", "http"] {
            let head = trimmed.get(..scheme.len() + 2);
            if head.is_some_and(|head| head.eq_ignore_ascii_case(&format!("{scheme}//"))) {
                let rewrite = format!("{scheme}:{}", &trimmed[scheme.len()..]);
                return Some(format!(
                    "a `:` is missing after the scheme{}",
                    self.as_in(Some(rewrite))
                ));
            }
        }
        let host = trimmed
            .strip_prefix("://")
            .or_else(|| trimmed.strip_prefix("//"))
            .unwrap_or(trimmed);
        let http = format!("http://{host}");
        let scheme = if self.mode == Mode::Test
            && crate::pattern::Pattern::parse(&http).is_ok_and(|p| p.host().is_loopback())
        {
            "http://"
        } else {
            "https://"
        };
        let rewrite = format!("{scheme}{host}");
        match self.error_in(self.mode, &rewrite) {
            None => Some(format!(
                "add `{scheme}` in front, as in `{}`",
                echo(&rewrite)
            )),
            Some(still) if follow && still.kind() != PatternErrorKind::MissingScheme => self
                .hint(&still, false)
                .or_else(|| Some(format!("add `{scheme}` in front"))),
            Some(_) => Some(format!("add `{scheme}` in front")),
        }
    }

    /// For an entry that holds several origins joined by commas (`https://a.com,https://b.com`,
    /// as a CORS header or an environment variable lists them): say so, with each part that
    /// is a valid entry. `None` when the entry is not such a list.
    fn joined_origins(&self, trimmed: &str) -> Option<String> {
        if !trimmed.contains(',') {
            return None;
        }
        let parts: Vec<&str> = trimmed
            .split(',')
            .map(|part| part.trim_matches(|c: char| c.is_ascii_whitespace()))
            .filter(|part| !part.is_empty())
            .collect();
        if parts.len() < 2 || !parts.iter().all(|part| part.contains("://")) {
            return None;
        }
        let valid: Vec<String> = parts
            .iter()
            .filter(|part| self.valid_in(self.mode, part))
            .map(|part| format!("`{}`", echo(part)))
            .collect();
        let as_in = match valid.as_slice() {
            [] => String::new(),
            [one] => format!(", as in {one}"),
            [first @ .., last] => format!(", as in {} and {last}", first.join(", ")),
        };
        Some(format!(
            "this is {} origins joined by commas: list each as an entry of its own{as_in}",
            parts.len()
        ))
    }
}
