//! The `parse_pattern` target.

use origin_policy::pattern::Pattern;

use super::text_of;

/// `parse_pattern`: parsing never panics, a parsed pattern's canonical form parses back to
/// an equal pattern, and an error's span lies on character boundaries of the input.
pub fn parse_pattern(data: &[u8]) {
    let Some(text) = text_of(data) else { return };
    match Pattern::parse(&text) {
        Ok(pattern) => {
            let canonical = pattern.to_string();
            let again = Pattern::parse(&canonical).unwrap_or_else(|err| {
                panic!("canonical form {canonical:?} of {text:?} does not parse:\n{err}")
            });
            assert_eq!(
                again, pattern,
                "round trip of {text:?} through {canonical:?}"
            );
            assert_eq!(again.to_string(), canonical, "canonical form is not stable");
        }
        Err(err) => {
            assert_eq!(err.pattern(), text);
            let span = err.span().range();
            assert!(
                span.start <= span.end
                    && span.end <= text.len()
                    && text.is_char_boundary(span.start)
                    && text.is_char_boundary(span.end),
                "span {span:?} of {text:?}"
            );
            let shown = err.to_string();
            assert!(shown.contains('^'), "no caret in {shown:?}");
        }
    }
}
