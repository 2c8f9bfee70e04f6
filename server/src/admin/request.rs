//! What the endpoints read from a request: the body (at most [`MAX_BODY`] bytes), JSON,
//! a mode, the query's pairs; and the error replies when they are not there.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, Limited};
use origin_policy::Mode;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::json;
use std::str::FromStr;

use super::diag;
use super::reply::Reply;

/// The largest request body read, in bytes; a larger one is answered 413.
pub const MAX_BODY: usize = 64 * 1024;

pub fn error(status: StatusCode, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}

pub async fn read_body<B>(headers: &HeaderMap, body: B) -> Result<Bytes, Reply>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the body is over 64 KiB",
        )
    };
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY as u64) {
        return Err(too_large());
    }
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(failure) if failure.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(failure) => Err(error(
            StatusCode::BAD_REQUEST,
            "unreadable_body",
            &failure.to_string(),
        )),
    }
}

pub fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|failure| {
        error(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            &format!("the body is not the JSON expected: {failure}"),
        )
    })
}

/// A JSON body and its `mode` field (read by `mode_of`), parsed: a 400 for a body that is
/// not the JSON expected, a 422 for a mode that is neither `live` nor `test`.
pub fn parse_json_with_mode<T: for<'de> Deserialize<'de>>(
    body: &[u8],
    mode_of: impl FnOnce(&T) -> &str,
) -> Result<(T, Mode), Reply> {
    let parsed: T = parse_json(body)?;
    let mode = parse_mode(mode_of(&parsed))?;
    Ok((parsed, mode))
}

pub fn unknown_mode(mode: &str) -> Reply {
    Reply::json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({"errors": [diag::unknown_mode(mode)]}),
    )
}

pub fn parse_mode(mode: &str) -> Result<Mode, Reply> {
    Mode::from_str(mode).map_err(|_| unknown_mode(mode))
}

/// The query's `key=value` pairs, percent-decoded (`+` is a space).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |text: &str| {
        percent_decode_str(&text.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

pub fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
}

/// The query's `mode`, parsed, and the value of its parameter `other`: a 400 naming both
/// when either is missing, a 422 for a mode that is neither `live` nor `test`.
pub fn mode_and_value(query: &str, other: &str) -> Result<(Mode, String), Reply> {
    let pairs = query_pairs(query);
    let (Some(mode), Some(value)) = (query_value(&pairs, "mode"), query_value(&pairs, other))
    else {
        return Err(missing(&format!("mode` and `{other}")));
    };
    Ok((parse_mode(mode)?, value.to_owned()))
}

pub fn missing(what: &str) -> Reply {
    error(
        StatusCode::BAD_REQUEST,
        "missing_parameter",
        &format!("the query needs `{what}`"),
    )
}
