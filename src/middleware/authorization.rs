//! The mode of a request from the API secret key in its `Authorization` header:
//! [`mode_from_authorization`], with the base64 decoding of `Basic` credentials.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};
use http::header;
use http::request::Parts;

use super::single::{single, Single};
use crate::mode::Mode;

/// The longest `Authorization` value read for an API secret, in bytes; a longer one gives
/// no mode.
const MAX_AUTHORIZATION_LEN: usize = 1024;

/// The mode named by the API secret key in the request's `Authorization` header, through
/// [`Mode::from_api_secret`]: the key is the token of `Bearer <key>`, or the user name of
/// `Basic <base64(key:password)>` (what `curl -u secret_live_…:` sends). The scheme name is
/// matched in any case. No header, several, another scheme, a value over 1024 bytes, bad
/// base64 or a key without a known prefix give `None`. Reads in place, without allocating.
///
/// Use it with [`OriginPolicyLayer::mode_from`], or through
/// [`OriginPolicyLayer::mode_from_api_secret`].
///
/// ```
/// use http::Request;
/// use origin_policy::middleware::mode_from_authorization;
/// use origin_policy::Mode;
///
/// let (parts, ()) = Request::get("/")
///     .header("authorization", "Bearer secret_test_demo")
///     .body(())
///     .unwrap()
///     .into_parts();
/// assert_eq!(mode_from_authorization(&parts), Some(Mode::Test));
/// ```
///
/// [`OriginPolicyLayer::mode_from`]: super::OriginPolicyLayer::mode_from
/// [`OriginPolicyLayer::mode_from_api_secret`]: super::OriginPolicyLayer::mode_from_api_secret
pub fn mode_from_authorization(parts: &Parts) -> Option<Mode> {
    let Single::One(value) = single(&parts.headers, header::AUTHORIZATION) else {
        return None;
    };
    let value = value.as_bytes();
    if value.len() > MAX_AUTHORIZATION_LEN {
        return None;
    }
    let space = value.iter().position(|&byte| byte == b' ')?;
    let (scheme, rest) = value.split_at(space);
    let credentials = trim_spaces(rest);
    if scheme.eq_ignore_ascii_case(b"bearer") {
        Mode::from_api_secret(std::str::from_utf8(credentials).ok()?)
    } else if scheme.eq_ignore_ascii_case(b"basic") {
        let mut buffer = [0u8; MAX_AUTHORIZATION_LEN / 4 * 3];
        let decoded = decode_base64(credentials, &mut buffer)?;
        let colon = decoded.iter().position(|&byte| byte == b':')?;
        Mode::from_api_secret(std::str::from_utf8(&decoded[..colon]).ok()?)
    } else {
        None
    }
}

fn trim_spaces(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&byte| byte != b' ')
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&byte| byte != b' ')
        .map_or(start, |at| at + 1);
    &bytes[start..end]
}

/// Standard base64 (RFC 4648 §4) with its canonical `=` padding (none when the data fills
/// the last group), for input whose length is a multiple of 4.
const PADDED: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Standard base64 without padding, for any other length.
const UNPADDED: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Decodes standard base64 (`=` padding optional, but complete when present) into `out`,
/// with the `base64` crate and without allocating; `None` for any other character,
/// misplaced or partial padding, stray bits in the last character, a dangling character or
/// too little room.
fn decode_base64<'o>(input: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    let engine = if input.len().is_multiple_of(4) {
        PADDED
    } else {
        UNPADDED
    };
    let written = engine.decode_slice(input, out).ok()?;
    out.get(..written)
}

#[cfg(test)]
mod tests {
    use http::{HeaderValue, Request};

    use super::*;

    fn parts(headers: &[(&str, &[u8])]) -> Parts {
        let mut builder = Request::get("/");
        for (name, value) in headers {
            builder = builder.header(*name, HeaderValue::from_bytes(value).unwrap());
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn base64_round_trips_against_known_vectors() {
        let mut buffer = [0u8; 64];
        for (encoded, decoded) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
            ("Zm9vYg", "foob"),
            ("c2VjcmV0X2xpdmVfZGVtbzo=", "secret_live_demo:"),
        ] {
            assert_eq!(
                decode_base64(encoded.as_bytes(), &mut buffer),
                Some(decoded.as_bytes()),
                "{encoded}"
            );
        }
        // Stray bits in the last character (`Zh` is `Zg` with one more bit set) are refused.
        for bad in [
            "Z", "Zg=", "Z===", "Zm9v!", "=Zm9", "Zm 9v", "Zg==Zg==", "Zh==", "Zh", "Zm9", "Zg=a",
        ] {
            assert_eq!(decode_base64(bad.as_bytes(), &mut buffer), None, "{bad}");
        }
        assert_eq!(decode_base64(b"Zm9vYmFy", &mut [0u8; 5]), None);
    }

    #[test]
    fn mode_from_authorization_reads_bearer_and_basic() {
        for (value, mode) in [
            (&b"Bearer secret_live_demo"[..], Some(Mode::Live)),
            (b"bearer  secret_test_demo ", Some(Mode::Test)),
            (b"Basic c2VjcmV0X2xpdmVfZGVtbzo=", Some(Mode::Live)),
            (b"BASIC c2VjcmV0X3Rlc3RfZGVtbzpwdw==", Some(Mode::Test)),
            (b"Basic c2VjcmV0X2xpdmVfZGVtbw==", None),
            (b"Bearer secret_prod_demo", None),
            (b"Bearer", None),
            (b"Digest secret_live_demo", None),
            (b"Basic !!!!", None),
            (b"Bearer secret_live_\xff", None),
        ] {
            assert_eq!(
                mode_from_authorization(&parts(&[("authorization", value)])),
                mode,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
        assert_eq!(mode_from_authorization(&parts(&[])), None);
        let twice = parts(&[
            ("authorization", b"Bearer secret_live_a"),
            ("authorization", b"Bearer secret_live_b"),
        ]);
        assert_eq!(mode_from_authorization(&twice), None);
        let long = format!("Bearer secret_live_{}", "x".repeat(MAX_AUTHORIZATION_LEN));
        assert_eq!(
            mode_from_authorization(&parts(&[("authorization", long.as_bytes())])),
            None
        );
    }
}
