//! The model: what the gate must answer, written from its documentation.

use origin_policy::middleware::{DenialReason, MissingOrigin};
use origin_policy::{DenyReason, Mode};

use super::{fixture, Case, ModeSetting, Tenancy, LOG_MAX};
use crate::reference;

/// Header bytes as text, if they are visible ASCII (what `HeaderValue::to_str` takes).
pub(super) fn visible_ascii(value: &[u8]) -> Option<&str> {
    value
        .iter()
        .all(|&byte| byte == b'\t' || (b' '..=b'~').contains(&byte))
        .then(|| std::str::from_utf8(value).expect("ASCII is UTF-8"))
}

/// The mode an API secret names: `secret_live_` or `secret_test_` and at least one
/// more character.
pub(super) fn model_secret(key: &str) -> Option<Mode> {
    if key.len() > "secret_live_".len() && key.starts_with("secret_live_") {
        Some(Mode::Live)
    } else if key.len() > "secret_test_".len() && key.starts_with("secret_test_") {
        Some(Mode::Test)
    } else {
        None
    }
}

/// Standard base64 decoding with optional padding, as `mode_from_authorization`
/// documents it: any other character, a lone trailing character, padding on a length
/// that is no multiple of 4, or a last character with bits set past the data (a
/// non-canonical encoding) is `None`.
pub(super) fn model_unbase64(text: &[u8]) -> Option<Vec<u8>> {
    let data = if text.ends_with(b"==") {
        &text[..text.len() - 2]
    } else if text.ends_with(b"=") {
        &text[..text.len() - 1]
    } else {
        text
    };
    if data.len() != text.len() && !text.len().is_multiple_of(4) {
        return None;
    }
    if data.len() % 4 == 1 {
        return None;
    }
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut out, mut accumulator, mut bits) = (Vec::new(), 0u32, 0u32);
    for &byte in data {
        let value = alphabet.bytes().position(|symbol| symbol == byte)? as u32;
        accumulator = (accumulator << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((accumulator >> bits) as u8);
            accumulator &= (1 << bits) - 1;
        }
    }
    // The bits left over after the last whole byte must be zero.
    (accumulator == 0).then_some(out)
}

/// The mode of a request's `Authorization` values: exactly one, at most 1024 bytes,
/// `Bearer KEY` or `Basic base64(KEY:password)`, the scheme in any case, spaces around
/// the credentials ignored.
pub(super) fn model_authorization(values: &[&[u8]]) -> Option<Mode> {
    let [value] = values else { return None };
    if value.len() > 1024 {
        return None;
    }
    let space = value.iter().position(|&byte| byte == b' ')?;
    let scheme = &value[..space];
    let mut credentials = &value[space + 1..];
    while let [b' ', rest @ ..] = credentials {
        credentials = rest;
    }
    while let [rest @ .., b' '] = credentials {
        credentials = rest;
    }
    if scheme.eq_ignore_ascii_case(b"bearer") {
        model_secret(std::str::from_utf8(credentials).ok()?)
    } else if scheme.eq_ignore_ascii_case(b"basic") {
        // The user name is what comes before the first colon; no colon, no user name.
        let decoded = model_unbase64(credentials)?;
        let (user, _password) = decoded.split_at(decoded.iter().position(|&b| b == b':')?);
        model_secret(std::str::from_utf8(user).ok()?)
    } else {
        None
    }
}

/// The `scheme://authority` of a `Referer`: up to the first `/`, `?` or `#` after the
/// first `://`; the whole value without a `://`.
pub(super) fn model_referer_origin(referer: &[u8]) -> &[u8] {
    let Some(at) = (0..referer.len().saturating_sub(2)).find(|&i| &referer[i..i + 3] == b"://")
    else {
        return referer;
    };
    let after = &referer[at + 3..];
    let end = after
        .iter()
        .position(|byte| b"/?#".contains(byte))
        .unwrap_or(after.len());
    &referer[..at + 3 + end]
}

/// Whether some `Accept` item is `application/json` without a `q` of zero or less.
pub(super) fn model_json(values: &[&[u8]]) -> bool {
    let zero_q = |param: &str| match param.split_once('=') {
        Some((name, q)) if name.trim().eq_ignore_ascii_case("q") => {
            q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
        }
        _ => false,
    };
    values
        .iter()
        .filter_map(|value| visible_ascii(value))
        .any(|text| {
            text.split(',').any(|item| {
                let mut parts = item.split(';');
                let media = parts.next().unwrap_or_default().trim();
                media.eq_ignore_ascii_case("application/json") && !parts.any(zero_q)
            })
        })
}

/// The longest prefix of `text` of at most 128 bytes that ends on a character.
pub(super) fn model_cut(text: &str) -> &str {
    let mut end = 0;
    for (at, ch) in text.char_indices() {
        if at + ch.len_utf8() > LOG_MAX {
            break;
        }
        end = at + ch.len_utf8();
    }
    &text[..end]
}

pub(super) fn model_code(reason: DenialReason) -> &'static str {
    match reason {
        DenialReason::UnknownTenant => "unknown_tenant",
        DenialReason::NoMode => "no_mode",
        DenialReason::MissingOrigin => "missing_origin",
        DenialReason::MultipleOrigins => "multiple_origins",
        DenialReason::NonUtf8Origin => "non_utf8_origin",
        DenialReason::Policy(DenyReason::NoMatchingRule) => "no_matching_rule",
        DenialReason::Policy(DenyReason::PublicSuffixBoundary) => "public_suffix_boundary",
        DenialReason::Policy(DenyReason::Opaque) => "opaque_origin",
        DenialReason::Policy(DenyReason::Malformed(_)) => "malformed_origin",
        // `DenialReason` is `#[non_exhaustive]`: a new reason needs its code here.
        other => panic!("the model has no code for {other:?}"),
    }
}

pub(super) fn model_body(mode: Option<Mode>, code: &str, json: bool) -> String {
    let name = mode.map(|mode| match mode {
        Mode::Live => "live",
        Mode::Test => "test",
    });
    match (json, name) {
        (true, Some(name)) => {
            format!(r#"{{"error":"origin_not_allowed","mode":"{name}","reason":"{code}"}}"#)
        }
        (true, None) => {
            format!(r#"{{"error":"origin_not_allowed","mode":null,"reason":"{code}"}}"#)
        }
        (false, Some(name)) => format!("origin not allowed for {name} mode: {code}\n"),
        (false, None) => format!("origin not allowed: {code}\n"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SeenDenial {
    pub(super) tenant: Option<String>,
    pub(super) mode: Option<Mode>,
    pub(super) origin: Option<String>,
    pub(super) reason: DenialReason,
}

#[derive(Debug)]
pub(super) enum Expected {
    /// Allowed; `by_referer`: the Referer decided.
    Allow {
        by_referer: bool,
    },
    Deny(SeenDenial),
}

pub(super) fn model(case: &Case, missing: MissingOrigin) -> Expected {
    let fixture = fixture();
    // A CORS preflight has no mode: its origin passes if either mode allows it; unless it
    // carries an API secret, whose mode then decides.
    let preflight = case.options
        && !case.values("origin").is_empty()
        && !case.values("access-control-request-method").is_empty();
    let mode = match case.mode {
        ModeSetting::Unset => None,
        ModeSetting::Fixed(_) if preflight => None,
        ModeSetting::Fixed(mode) => Some(mode),
        ModeSetting::ApiSecret => model_authorization(&case.values("authorization")),
    };
    let tenant = match case.tenancy {
        Tenancy::One => None,
        Tenancy::Store => match case.values("x-tenant").first() {
            None => Some("default"),
            Some(value) => visible_ascii(value),
        },
    };
    let origins = case.values("origin");
    let single_origin = match origins[..] {
        [value] => std::str::from_utf8(value).ok(),
        _ => None,
    };
    let deny = |origin: Option<&str>, reason: DenialReason| {
        Expected::Deny(SeenDenial {
            tenant: tenant.map(|tenant| model_cut(tenant).to_owned()),
            mode,
            origin: origin
                .or(single_origin)
                .map(|origin| model_cut(origin).to_owned()),
            reason,
        })
    };
    if mode.is_none() && !preflight {
        return deny(None, DenialReason::NoMode);
    }
    let policy = match (case.tenancy, tenant) {
        (Tenancy::One, _) => &fixture.default,
        (Tenancy::Store, Some("default")) => &fixture.default,
        (Tenancy::Store, Some("acme")) => &fixture.acme,
        (Tenancy::Store, _) => return deny(None, DenialReason::UnknownTenant),
    };
    let (origin, by_referer) = match (&origins[..], missing) {
        ([value], _) => (*value, false),
        ([_, _, ..], _) => return deny(None, DenialReason::MultipleOrigins),
        ([], MissingOrigin::Deny) => return deny(None, DenialReason::MissingOrigin),
        ([], MissingOrigin::Allow) => return Expected::Allow { by_referer: false },
        ([], _) => match case.values("referer")[..] {
            [] => return deny(None, DenialReason::MissingOrigin),
            [value] => (model_referer_origin(value), true),
            _ => return deny(None, DenialReason::MultipleOrigins),
        },
    };
    let Ok(origin) = std::str::from_utf8(origin) else {
        return deny(None, DenialReason::NonUtf8Origin);
    };
    let decision = match mode {
        Some(mode) => reference::check(policy, mode, origin),
        None => {
            let live = reference::check(policy, Mode::Live, origin);
            let test = reference::check(policy, Mode::Test, origin);
            if !live.is_allowed() && test.is_allowed() {
                test
            } else {
                live
            }
        }
    };
    match decision.deny_reason() {
        None => Expected::Allow { by_referer },
        Some(reason) => deny(Some(origin), DenialReason::Policy(reason)),
    }
}
