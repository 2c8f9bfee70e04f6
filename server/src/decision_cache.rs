//! [`DecisionCache`]: how long a gateway may keep a decision (`Cache-Control` on the
//! answers of `/v1/auth` and `/v1/frame-ancestors`), and which answers it may keep at all.
//!
//! A cache in front of the service (the shipped `nginx.conf` caches the `auth_request`
//! subrequest) keys an answer by what the decision depends on: the tenant, the key's mode
//! (`live`, `test` or none, never the key itself) and the `Origin`. An answer is marked
//! cacheable only when it is a function of that key alone, so that no request can put into
//! the cache an answer that another request with the same key would not get:
//! - a CORS preflight's grant mirrors what the preflight asks for: never kept;
//! - a denial for several `Origin` headers depends on the second one, which the key does
//!   not hold: never kept;
//! - a denial for no mode while the request has an `Authorization` value depends on that
//!   value (a cache that read the key's mode as `live` may not agree with the service):
//!   never kept. Without one, `no_mode` is the answer for every such request: kept.
//!
//! Everything else (allowed, allowed in a report-only mode, denied by the policy or for an
//! unknown tenant) is kept for at most `max-age` seconds, so that a denial for a newly
//! added origin, or an allowance for a removed one, lasts at most that long beyond the
//! replica's own convergence.

use std::time::Duration;

use http::header::{self, HeaderValue};
use http::request::Parts;
use origin_policy::middleware::is_cors_preflight;

use crate::decide::Answer;

/// `Cache-Control` of an answer no cache may keep.
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// The default of `serve --decision-max-age`, in seconds.
pub const DEFAULT_MAX_AGE_SECONDS: u64 = 1;

/// The reason code of a denial for several `Origin` headers.
const MULTIPLE_ORIGINS: &str = "multiple_origins";

/// The reason code of a denial for no mode.
const NO_MODE: &str = "no_mode";

/// What of a request, beyond its answer, says whether the answer may be kept; read before
/// the request goes to the decider.
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    /// A CORS preflight ([`is_cors_preflight`]).
    preflight: bool,
    /// An `Authorization` header with a value.
    credentials: bool,
}

impl Asked {
    pub fn of(parts: &Parts) -> Asked {
        Asked {
            preflight: is_cors_preflight(parts),
            credentials: parts
                .headers
                .get(header::AUTHORIZATION)
                .is_some_and(|value| !value.is_empty()),
        }
    }
}

/// How long a gateway may keep a decision: `Cache-Control: max-age=N`, or `no-store` for
/// 0 and for the answers that depend on more than the cache key.
#[derive(Debug, Clone)]
pub struct DecisionCache {
    keep: HeaderValue,
}

impl DecisionCache {
    /// Answers kept for `max_age` (whole seconds; 0 keeps none).
    pub fn new(max_age: Duration) -> Self {
        let keep = match max_age.as_secs() {
            0 => NO_STORE,
            seconds => HeaderValue::from_str(&format!("max-age={seconds}")).unwrap_or(NO_STORE),
        };
        DecisionCache { keep }
    }

    /// The `Cache-Control` of `answer` to a request `asked`.
    pub fn decision(&self, asked: Asked, answer: &Answer) -> HeaderValue {
        let keep = if asked.preflight {
            false
        } else if answer.allowed {
            true
        } else {
            match answer.reason {
                Some(MULTIPLE_ORIGINS) => false,
                Some(NO_MODE) => !asked.credentials,
                _ => true,
            }
        };
        match keep {
            true => self.keep.clone(),
            false => NO_STORE,
        }
    }

    /// The `Cache-Control` of a `/v1/frame-ancestors` answer: a function of the tenant
    /// and the mode in the query, kept either way.
    pub fn frame_ancestors(&self) -> HeaderValue {
        self.keep.clone()
    }
}

#[cfg(test)]
mod tests {
    use http::Request;

    use super::*;

    fn parts(method: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = Request::builder().method(method).uri("/v1/auth");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn answer(allowed: bool, reason: Option<&'static str>) -> Answer {
        Answer {
            allowed,
            reason,
            report_only: None,
            mode: None,
            grant: Default::default(),
            frame: None,
        }
    }

    #[test]
    fn keeps_what_the_key_decides_and_nothing_else() {
        let cache = DecisionCache::new(Duration::from_secs(3));
        let get = parts("GET", &[("origin", "https://a.example")]);
        let with_key = parts(
            "GET",
            &[
                ("origin", "https://a.example"),
                ("authorization", "Bearer secret_live_"),
            ],
        );
        let preflight = parts(
            "OPTIONS",
            &[
                ("origin", "https://a.example"),
                ("access-control-request-method", "POST"),
            ],
        );
        let cases = [
            (&get, answer(true, None), "max-age=3"),
            (&get, answer(false, Some("no_matching_rule")), "max-age=3"),
            (&get, answer(false, Some("unknown_tenant")), "max-age=3"),
            (&get, answer(false, Some("no_mode")), "max-age=3"),
            (&with_key, answer(false, Some("no_mode")), "no-store"),
            (&get, answer(false, Some("multiple_origins")), "no-store"),
            (&preflight, answer(true, None), "no-store"),
            (
                &preflight,
                answer(false, Some("no_matching_rule")),
                "no-store",
            ),
        ];
        for (parts, answer, expected) in cases {
            assert_eq!(
                cache.decision(Asked::of(parts), &answer),
                expected,
                "{answer:?} {:?}",
                parts.headers
            );
        }
        assert_eq!(cache.frame_ancestors(), "max-age=3");
    }

    #[test]
    fn zero_keeps_nothing() {
        let cache = DecisionCache::new(Duration::ZERO);
        let get = parts("GET", &[("origin", "https://a.example")]);
        assert_eq!(
            cache.decision(Asked::of(&get), &answer(true, None)),
            "no-store"
        );
        assert_eq!(cache.frame_ancestors(), "no-store");
    }
}
