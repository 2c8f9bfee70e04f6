//! Adding a `frame-ancestors` directive to a response's `Content-Security-Policy` without
//! loosening what the response already says: [`add_frame_ancestors`].

use http::header::{HeaderMap, HeaderName, HeaderValue};

/// Whether a `Content-Security-Policy` value (one or more serialized policies, split on
/// `,`) has a `frame-ancestors` directive in any of its policies.
fn has_frame_ancestors(value: &str) -> bool {
    value
        .split([',', ';'])
        .filter_map(|directive| directive.split_ascii_whitespace().next())
        .any(|name| name.eq_ignore_ascii_case("frame-ancestors"))
}

/// Adds `directive` (a whole `frame-ancestors ...` directive) to the response's
/// `Content-Security-Policy`:
///
/// - no such header: the directive becomes its value (a clone of the shared value);
/// - one value without `frame-ancestors`: the directive is appended to it after `; `, so
///   the response keeps one policy (and its `report-uri`, if any, covers the directive
///   too);
/// - anything else (a value that already has `frame-ancestors`, several values, a value
///   that is not visible ASCII): the directive is added as a value of its own. A browser
///   enforces every policy of a response, so the frame is admitted only where both
///   directives admit it: never more than either says. (Appending to a policy that
///   already has `frame-ancestors` would be ignored, as a repeated directive is, and
///   replacing it could loosen what the service chose.)
///
/// `name` is `Content-Security-Policy`, or `Content-Security-Policy-Report-Only` for a
/// report-only mode, whose values are merged by the same rules.
pub(super) fn add_frame_ancestors(
    headers: &mut HeaderMap,
    name: &HeaderName,
    directive: &HeaderValue,
) {
    let mut values = headers.get_all(name).iter();
    let merged = match (values.next(), values.next()) {
        (None, _) => Some(directive.clone()),
        (Some(existing), None) => existing
            .to_str()
            .ok()
            .filter(|text| !has_frame_ancestors(text))
            .and_then(|text| {
                let kept = text.trim_end_matches(|c: char| c == ';' || c.is_ascii_whitespace());
                let kept = kept.trim_start();
                match kept.is_empty() {
                    true => Some(directive.clone()),
                    false => {
                        let directive = directive.to_str().ok()?;
                        HeaderValue::from_str(&format!("{kept}; {directive}")).ok()
                    }
                }
            }),
        (Some(_), Some(_)) => None,
    };
    match merged {
        Some(value) => {
            headers.insert(name.clone(), value);
        }
        None => {
            headers.append(name.clone(), directive.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use http::header;

    use super::*;

    fn csp_values(existing: &[&str]) -> Vec<String> {
        let mut headers = HeaderMap::new();
        for value in existing {
            headers.append(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let directive = HeaderValue::from_static("frame-ancestors https://x.com");
        add_frame_ancestors(&mut headers, &header::CONTENT_SECURITY_POLICY, &directive);
        headers
            .get_all(header::CONTENT_SECURITY_POLICY)
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn the_directive_joins_a_policy_without_one_and_stands_beside_one_with_one() {
        for (existing, expected) in [
            (&[][..], &["frame-ancestors https://x.com"][..]),
            (
                &["default-src 'self'"],
                &["default-src 'self'; frame-ancestors https://x.com"],
            ),
            (
                &["default-src 'self'; "],
                &["default-src 'self'; frame-ancestors https://x.com"],
            ),
            (&[" ; "], &["frame-ancestors https://x.com"]),
            (
                &["default-src 'self', img-src *"],
                &["default-src 'self', img-src *; frame-ancestors https://x.com"],
            ),
            (
                &["frame-ancestors 'self'"],
                &["frame-ancestors 'self'", "frame-ancestors https://x.com"],
            ),
            (
                &["default-src 'none'; FRAME-ANCESTORS *"],
                &[
                    "default-src 'none'; FRAME-ANCESTORS *",
                    "frame-ancestors https://x.com",
                ],
            ),
            (
                &["img-src *, frame-ancestors 'none'"],
                &[
                    "img-src *, frame-ancestors 'none'",
                    "frame-ancestors https://x.com",
                ],
            ),
            (
                &["img-src *", "script-src 'self'"],
                &[
                    "img-src *",
                    "script-src 'self'",
                    "frame-ancestors https://x.com",
                ],
            ),
        ] {
            assert_eq!(csp_values(existing), expected, "{existing:?}");
        }
    }

    #[test]
    fn a_value_that_is_not_text_is_left_alone() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_bytes(b"img-src \xff").unwrap(),
        );
        let directive = HeaderValue::from_static("frame-ancestors 'none'");
        add_frame_ancestors(&mut headers, &header::CONTENT_SECURITY_POLICY, &directive);
        let values: Vec<_> = headers
            .get_all(header::CONTENT_SECURITY_POLICY)
            .iter()
            .collect();
        assert_eq!(values.len(), 2);
        assert_eq!(values[0].as_bytes(), b"img-src \xff");
        assert_eq!(values[1], &directive);
    }
}
