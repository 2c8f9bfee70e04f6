//! The origin of a `Referer` URL, checked in place of a missing `Origin` under
//! [`MissingOrigin::UseReferer`](super::MissingOrigin::UseReferer).

/// The origin part (`scheme://host[:port]`) of a `Referer` URL: everything before the
/// first `/`, `?` or `#` after `://`. Whatever it is, [`Policy::check`] judges it, so a
/// `Referer` that is no URL is denied as a malformed origin.
///
/// [`Policy::check`]: crate::Policy::check
pub(super) fn referer_origin(referer: &[u8]) -> &[u8] {
    let Some(separator) = referer.windows(3).position(|window| window == b"://") else {
        return referer;
    };
    let authority_start = separator + 3;
    let end = referer[authority_start..]
        .iter()
        .position(|&byte| matches!(byte, b'/' | b'?' | b'#'))
        .map_or(referer.len(), |at| authority_start + at);
    &referer[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referer_origin_is_the_part_before_the_path() {
        for (referer, origin) in [
            ("https://a.example/path?q#f", "https://a.example"),
            ("https://a.example:8443?x", "https://a.example:8443"),
            ("https://a.example#top", "https://a.example"),
            ("https://a.example", "https://a.example"),
            ("no-scheme/path", "no-scheme/path"),
        ] {
            assert_eq!(referer_origin(referer.as_bytes()), origin.as_bytes());
        }
    }
}
