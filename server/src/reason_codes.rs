//! The reason codes a decision can carry, each with a slot: for tables built once per code
//! (the decision counters of `/metrics`, the headers of a denial's answer) instead of work
//! keyed by the code's text on every request.

/// The codes with a slot, in slot order: `allowed` (the metrics' reason of an allowed
/// request), the library's ([`origin_policy::middleware::DenialReason::code`]) and the
/// server's own (`decide::MALFORMED_REQUEST`, `decide::REQUEST_TOO_LARGE`). A code not
/// listed (a reason of a later library) has no slot: its users fall back to building per
/// request.
pub const CODES: [&str; 12] = [
    "allowed",
    "unknown_tenant",
    "no_mode",
    "missing_origin",
    "multiple_origins",
    "non_utf8_origin",
    "no_matching_rule",
    "public_suffix_boundary",
    "opaque_origin",
    "malformed_origin",
    "malformed_request",
    "request_too_large",
];

/// The slot of `code` in [`CODES`], if it has one.
pub fn slot(code: &str) -> Option<usize> {
    // A match on the text compiles to a switch on its length and one comparison.
    Some(match code {
        "allowed" => 0,
        "unknown_tenant" => 1,
        "no_mode" => 2,
        "missing_origin" => 3,
        "multiple_origins" => 4,
        "non_utf8_origin" => 5,
        "no_matching_rule" => 6,
        "public_suffix_boundary" => 7,
        "opaque_origin" => 8,
        "malformed_origin" => 9,
        "malformed_request" => 10,
        "request_too_large" => 11,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use origin_policy::middleware::DenialReason;
    use origin_policy::{DenyReason, OriginErrorKind};

    use super::*;

    #[test]
    fn every_code_has_its_own_slot() {
        for (at, code) in CODES.iter().enumerate() {
            assert_eq!(slot(code), Some(at), "{code}");
        }
        assert_eq!(slot("a_reason_of_tomorrow"), None);
        assert_eq!(slot("Allowed"), None);
    }

    #[test]
    fn the_library_s_codes_have_slots() {
        for reason in [
            DenialReason::UnknownTenant,
            DenialReason::NoMode,
            DenialReason::MissingOrigin,
            DenialReason::MultipleOrigins,
            DenialReason::NonUtf8Origin,
            DenialReason::Policy(DenyReason::NoMatchingRule),
            DenialReason::Policy(DenyReason::PublicSuffixBoundary),
            DenialReason::Policy(DenyReason::Opaque),
            DenialReason::Policy(DenyReason::from(OriginErrorKind::Path)),
        ] {
            assert!(slot(reason.code()).is_some(), "{reason:?}");
        }
    }
}
