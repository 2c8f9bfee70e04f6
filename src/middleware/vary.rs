//! The `Vary` an allowed response needs ([`AllowVary`] and [`add_vary`]), and the one `Vary`
//! line a response leaves the composition with ([`merge_vary`]).

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

/// Joins every `Vary` line of the response into one, each name once (the first spelling of
/// names that differ only in case), in the order they came; a `*` anywhere makes the line
/// `*` (RFC 9110, section 12.5.5: the response varies on more than headers, so no name adds
/// anything). Empty lines and empty list elements are dropped, and a response whose only
/// `Vary` names nothing loses it. Without a change to make (no `Vary`, or one line that names
/// each name once and has `*` alone or not at all) nothing is allocated. A line that is not
/// visible ASCII cannot be split safely: then every line is kept as it is.
pub(super) fn merge_vary(headers: &mut HeaderMap) {
    let mut lines = headers.get_all(header::VARY).iter();
    let Some(first) = lines.next() else { return };
    if lines.next().is_none() && first.to_str().is_ok_and(is_one_clean_line) {
        return;
    }
    let mut names: Vec<&str> = Vec::new();
    let mut star = false;
    for value in headers.get_all(header::VARY) {
        let Ok(text) = value.to_str() else { return };
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            star |= name == "*";
            if !names.iter().any(|seen| seen.eq_ignore_ascii_case(name)) {
                names.push(name);
            }
        }
    }
    let joined = match star {
        true => Some(HeaderValue::from_static("*")),
        false if names.is_empty() => None,
        // Visible ASCII names joined by `, ` are a valid value.
        false => HeaderValue::from_str(&names.join(", ")).ok(),
    };
    match joined {
        Some(value) => {
            headers.insert(header::VARY, value);
        }
        None if names.is_empty() => {
            headers.remove(header::VARY);
        }
        None => {}
    }
}

/// Whether one `Vary` line needs no change: no empty element, each name once (ignoring
/// case), and `*` only as the whole line. Quadratic in the names, of which a line has few.
fn is_one_clean_line(text: &str) -> bool {
    let names = || text.split(',').map(str::trim);
    if text.trim() == "*" {
        return true;
    }
    names().enumerate().all(|(index, name)| {
        !name.is_empty()
            && name != "*"
            && !names()
                .take(index)
                .any(|seen| seen.eq_ignore_ascii_case(name))
    })
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

    #[test]
    fn merged_vary_is_one_line_naming_each_name_once() {
        for (lines, expected) in [
            (&[][..], &[][..]),
            (&["origin"], &["origin"]),
            (&["*"], &["*"]),
            (
                &["Origin, Accept", "origin, access-control-request-method"],
                &["Origin, Accept, access-control-request-method"],
            ),
            (&["origin", "ORIGIN"], &["origin"]),
            (&["origin, Origin"], &["origin"]),
            (&["origin", "*"], &["*"]),
            (&["origin, *, accept"], &["*"]),
            (&["a,, b", " "], &["a, b"]),
            (&["", " , "], &[]),
            (&["accept", "caf\u{e9}"], &["accept", "caf\u{e9}"]),
        ] {
            let mut headers = HeaderMap::new();
            for value in lines {
                headers.append(
                    header::VARY,
                    HeaderValue::from_bytes(value.as_bytes()).unwrap(),
                );
            }
            merge_vary(&mut headers);
            assert_eq!(vary_values(&headers), expected, "{lines:?}");
        }
    }
}
