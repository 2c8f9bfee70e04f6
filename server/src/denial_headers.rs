//! The headers of a denial's answer on `/v1/auth` and `/v1/envoy/…` (`Cache-Control`, the
//! reason, the mode), built once per reason code and mode, and cloned for each answer: a
//! clone copies the map, where inserting would parse the values and hash each custom
//! header name again.

use std::sync::LazyLock;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use origin_policy::Mode;

use crate::decide::{reason_value, MODE_HEADER, REASON_HEADER, REPORT_ONLY_HEADER};
use crate::reason_codes::{self, CODES};

/// [`REASON_HEADER`], parsed at compile time.
pub const REASON: HeaderName = HeaderName::from_static(REASON_HEADER);
/// [`MODE_HEADER`], parsed at compile time.
pub const MODE: HeaderName = HeaderName::from_static(MODE_HEADER);
/// [`REPORT_ONLY_HEADER`], parsed at compile time.
pub const REPORT_ONLY: HeaderName = HeaderName::from_static(REPORT_ONLY_HEADER);

/// `Cache-Control` of every decision's answer.
pub const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// The modes of the table, in slot order.
const MODES: [Option<Mode>; 3] = [None, Some(Mode::Live), Some(Mode::Test)];

/// The headers of each code with a slot, in each mode: `CODES.len() * MODES.len()` maps.
static TABLE: LazyLock<Vec<HeaderMap>> = LazyLock::new(|| {
    CODES
        .iter()
        .flat_map(|code| MODES.map(|mode| build(code, mode)))
        .collect()
});

/// The headers of an answer denied for `code` in `mode`: `Cache-Control: no-store`, the
/// reason header and, with a mode, the mode header.
pub fn denial_headers(code: &'static str, mode: Option<Mode>) -> HeaderMap {
    let Some(slot) = reason_codes::slot(code) else {
        return build(code, mode);
    };
    let mode_slot = match mode {
        None => 0,
        Some(Mode::Live) => 1,
        Some(Mode::Test) => 2,
    };
    TABLE[slot * MODES.len() + mode_slot].clone()
}

/// The headers of a denial, built from scratch, with room for the CORS grant of a readable
/// denial.
fn build(code: &'static str, mode: Option<Mode>) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(5);
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    headers.insert(REASON, reason_value(code));
    if let Some(mode) = mode {
        headers.insert(MODE, HeaderValue::from_static(mode.as_str()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denial_s_headers_are_those_built_for_its_code_and_mode() {
        for code in CODES.into_iter().chain(["a_reason_of_tomorrow"]) {
            for mode in MODES {
                let headers = denial_headers(code, mode);
                assert_eq!(headers, build(code, mode), "{code} {mode:?}");
                assert_eq!(headers[header::CACHE_CONTROL], "no-store");
                assert_eq!(headers[REASON], code);
                assert_eq!(
                    headers.get(MODE).map(|value| value.to_str().unwrap()),
                    mode.map(Mode::as_str)
                );
                assert_eq!(headers.len(), 2 + usize::from(mode.is_some()));
            }
        }
    }
}
