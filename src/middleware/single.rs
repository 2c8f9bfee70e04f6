//! [`Single`]: a header that must appear at most once (`Origin`, `Referer`,
//! `Authorization`), read without allocating.

use http::header::{HeaderMap, HeaderName, HeaderValue};

/// A header that must appear at most once: absent, the one value, or several.
pub(super) enum Single<'a> {
    Absent,
    One(&'a HeaderValue),
    Several,
}

/// The values of `name` in `headers`: none, one, or several.
pub(super) fn single(headers: &HeaderMap, name: HeaderName) -> Single<'_> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Single::Absent,
        (Some(value), None) => Single::One(value),
        (Some(_), Some(_)) => Single::Several,
    }
}
