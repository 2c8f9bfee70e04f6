//! Content negotiation for the 403 body: JSON when the request's `Accept` asks for it.

use http::header::{self, HeaderMap};

/// Whether an `Accept` header lists `application/json` with a `q` other than zero.
pub(super) fn accepts_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut params = item.split(';');
            let media = params.next().unwrap_or("").trim();
            media.eq_ignore_ascii_case("application/json")
                && !params.any(|param| {
                    let param = param.trim();
                    let Some((name, value)) = param.split_once('=') else {
                        return false;
                    };
                    name.trim().eq_ignore_ascii_case("q")
                        && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
                })
        })
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn accept_json_honours_q_zero() {
        for (accept_value, json) in [
            ("application/json", true),
            ("text/html, Application/JSON;q=0.5", true),
            ("application/json;q=0", false),
            ("application/json; q=0.0", false),
            ("application/jsonx", false),
            ("*/*", false),
        ] {
            assert_eq!(accepts_json(&accept(accept_value)), json, "{accept_value}");
        }
    }
}
