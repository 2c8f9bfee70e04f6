//! The `Vary` an allowed response needs: [`AllowVary`] and [`add_vary`].

use http::header::{self, HeaderMap, HeaderValue};

/// What an allowed response's `Vary` must name, besides what it already names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AllowVary {
    /// Nothing: [`OriginPolicyLayer::vary_on_allow`](super::OriginPolicyLayer::vary_on_allow)
    /// is off.
    Nothing,
    /// `origin`: the `Origin` header (or its absence) decided.
    Origin,
    /// `origin` and `referer`: there was no `Origin`, and the `Referer` decided.
    OriginAndReferer,
}

/// Adds to the response's `Vary` those of `origin` and `referer` (as `vary` asks) that it does
/// not name yet; nothing when it names `*` or both. A response without `Vary` gets one static
/// value (no allocation when the map has room); an existing `Vary` is extended, so that the
/// response keeps one `Vary` line (several lines are joined into it; one that is not
/// visible ASCII is kept as it is, and the names get a line of their own after it).
pub(super) fn add_vary(headers: &mut HeaderMap, vary: AllowVary) {
    let (mut origin, mut referer) = match vary {
        AllowVary::Nothing => return,
        AllowVary::Origin => (false, true),
        AllowVary::OriginAndReferer => (false, false),
    };
    for value in headers.get_all(header::VARY) {
        let Ok(text) = value.to_str() else { continue };
        for token in text.split(',').map(str::trim) {
            if token == "*" {
                return;
            }
            origin |= token.eq_ignore_ascii_case("origin");
            referer |= token.eq_ignore_ascii_case("referer");
        }
    }
    let missing = match (origin, referer) {
        (true, true) => return,
        (false, true) => "origin",
        (true, false) => "referer",
        (false, false) => "origin, referer",
    };
    let mut joined = Vec::new();
    for value in headers.get_all(header::VARY) {
        // A value that is not visible ASCII is left as it is, on a line of its own, and
        // the names are added on a clean line after it.
        let Ok(value) = value.to_str() else {
            headers.append(header::VARY, HeaderValue::from_static(missing));
            return;
        };
        let value = value.trim_ascii();
        if !value.is_empty() {
            joined.extend_from_slice(value.as_bytes());
            joined.extend_from_slice(b", ");
        }
    }
    if joined.is_empty() {
        headers.insert(header::VARY, HeaderValue::from_static(missing));
        return;
    }
    joined.extend_from_slice(missing.as_bytes());
    // Valid values joined by `, ` are a valid value; should it fail, keep them and append.
    match HeaderValue::from_bytes(&joined) {
        Ok(value) => {
            headers.insert(header::VARY, value);
        }
        Err(_) => {
            headers.append(header::VARY, HeaderValue::from_static(missing));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary_values(headers: &HeaderMap) -> Vec<&str> {
        headers
            .get_all(header::VARY)
            .iter()
            .map(|value| std::str::from_utf8(value.as_bytes()).unwrap())
            .collect()
    }

    #[test]
    fn vary_is_added_once() {
        for vary in [AllowVary::Origin, AllowVary::OriginAndReferer] {
            let mut headers = HeaderMap::new();
            add_vary(&mut headers, vary);
            add_vary(&mut headers, vary);
            assert_eq!(headers.get_all(header::VARY).iter().count(), 1);
        }
        let mut headers = HeaderMap::new();
        add_vary(&mut headers, AllowVary::Nothing);
        assert!(headers.is_empty());
    }

    #[test]
    fn vary_names_only_what_is_missing() {
        for (existing, vary, expected) in [
            (&[][..], AllowVary::Origin, &["origin"][..]),
            (&[], AllowVary::OriginAndReferer, &["origin, referer"]),
            (
                &["Accept-Encoding"],
                AllowVary::Origin,
                &["Accept-Encoding, origin"],
            ),
            (
                &["Origin"],
                AllowVary::OriginAndReferer,
                &["Origin, referer"],
            ),
            (
                &["REFERER, x"],
                AllowVary::OriginAndReferer,
                &["REFERER, x, origin"],
            ),
            (&["referer"], AllowVary::Origin, &["referer, origin"]),
            (
                &["accept-encoding", " ", "accept"],
                AllowVary::Origin,
                &["accept-encoding, accept, origin"],
            ),
            (&[""], AllowVary::Origin, &["origin"]),
            (
                &["accept", "caf\u{e9}"],
                AllowVary::Origin,
                &["accept", "caf\u{e9}", "origin"],
            ),
            (
                &["origin", "referer"],
                AllowVary::OriginAndReferer,
                &["origin", "referer"],
            ),
            (&["*"], AllowVary::OriginAndReferer, &["*"]),
            (&["a, *"], AllowVary::Origin, &["a, *"]),
        ] {
            let mut headers = HeaderMap::new();
            for value in existing {
                headers.append(
                    header::VARY,
                    HeaderValue::from_bytes(value.as_bytes()).unwrap(),
                );
            }
            add_vary(&mut headers, vary);
            assert_eq!(vary_values(&headers), expected, "{existing:?} {vary:?}");
        }
    }
}
