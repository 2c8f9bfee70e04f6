//! How text that came from input (origins, entries, notes, file names, parsers' messages)
//! is shown on a terminal, so that nothing printed can fool a terminal or a line-based tool.
//! The [`policy_file`](crate::policy_file) errors print their echoes this way, and the CLI
//! prints every echo of its input this way.
//!
//! These characters are escaped ([`is_hidden`] and the backslash):
//!
//! - the C0 controls (U+0000 to U+001F), DEL (U+007F) and the C1 controls (U+0080 to
//!   U+009F, among them NEL, U+0085);
//! - the line and paragraph separators U+2028 and U+2029;
//! - the bidirectional controls U+202A to U+202E and U+2066 to U+2069, and the marks
//!   U+200E, U+200F and U+061C;
//! - the backslash, so that every `\` in the output starts an escape.
//!
//! A tab is `\t`, a newline `\n`, a carriage return `\r`, a backslash `\\`, and every other
//! such character `\u{HEX}`, its code point in lowercase hexadecimal: ESC is `\u{1b}`, NEL
//! `\u{85}`, U+202E `\u{202e}` (the form of Rust's `char::escape_default`). Everything else
//! is printed as it is.
//!
//! [`echo`] also cuts text of more than [`MAX_ECHO`] bytes at a character boundary and says
//! how long it was: `https://aaaa… (200000 bytes)`.
//!
//! ```
//! use origin_policy::echo::{echo, with_carets};
//!
//! assert_eq!(echo("https://x.com\u{202e}moc.live"), "https://x.com\\u{202e}moc.live");
//! let (line, carets) = with_carets("https://x\t.com/a", 14..16);
//! assert_eq!(line, "https://x\\t.com/a");
//! assert_eq!(carets, "               ^^");
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

/// Echoed text longer than this many bytes is cut.
pub const MAX_ECHO: usize = 256;

/// The mark where text was cut.
const CUT: char = '…';

/// Whether `ch` is printed escaped: a control, a line or paragraph separator, a bidi
/// control or mark, or the backslash.
pub fn needs_escape(ch: char) -> bool {
    ch == '\\' || is_hidden(ch)
}

/// The characters that can move the cursor, break a line or reorder text on a terminal:
/// the controls, U+2028, U+2029, and the bidi controls and marks. (A JSON writer that
/// escapes these inside strings keeps its output as safe to print.)
pub fn is_hidden(ch: char) -> bool {
    ch.is_control()
        || matches!(
            ch,
            '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{061c}'
        )
}

/// Appends `ch`, escaped when it must be.
fn push_shown(out: &mut String, ch: char) {
    match ch {
        '\\' => out.push_str("\\\\"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        ch if is_hidden(ch) => {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{{{:x}}}", u32::from(ch));
        }
        ch => out.push(ch),
    }
}

/// The text with every character of the list above escaped; nothing is cut.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        push_shown(&mut shown, ch);
    }
    Cow::Owned(shown)
}

/// The text as the CLI echoes it: escaped, and when longer than [`MAX_ECHO`] bytes, cut
/// at a character boundary with `… (N bytes)` after it.
pub fn echo(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_ECHO {
        return escape(text);
    }
    let kept = &text[..floor_boundary(text, MAX_ECHO)];
    let mut shown = escape(kept).into_owned();
    // Writing to a String cannot fail.
    let _ = write!(shown, "{CUT} ({} bytes)", text.len());
    Cow::Owned(shown)
}

/// Each line of a message echoed on its own line (see [`echo`]); the line breaks stay.
pub fn echo_lines(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            shown.push('\n');
        }
        shown.push_str(&echo(line));
    }
    shown
}

/// The largest character boundary of `text` at or before `at`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The smallest character boundary of `text` at or after `at`.
fn ceil_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// `text` on one line, escaped, and a line of `^` under the bytes of `span`; the carets
/// count characters of the escaped line, so they stay under their text. A text of more
/// than [`MAX_ECHO`] bytes is shown as a window of at most that many bytes around the start
/// of the span, with `…` where it was cut and `(N bytes)` after it. An empty span gets one
/// caret. Gives the text line and the caret line, without indent or line ends.
pub fn with_carets(text: &str, span: Range<usize>) -> (String, String) {
    let start = floor_boundary(text, span.start);
    let end = ceil_boundary(text, span.end.max(start));
    let (from, to) = window(text, start);
    let mut line = String::new();
    let mut column = 0;
    if from > 0 {
        line.push(CUT);
        column += 1;
    }
    let mut caret_start = None;
    let mut caret_end = None;
    for (at, ch) in text[from..to].char_indices() {
        let at = from + at;
        if at == start {
            caret_start = Some(column);
        }
        if at == end {
            caret_end = Some(column);
        }
        let before = line.len();
        push_shown(&mut line, ch);
        column += line[before..].chars().count();
    }
    let caret_start = caret_start.unwrap_or(column);
    let caret_end = caret_end.unwrap_or(column).max(caret_start + 1);
    if to < text.len() {
        line.push(CUT);
    }
    if text.len() > MAX_ECHO {
        // Writing to a String cannot fail.
        let _ = write!(line, " ({} bytes)", text.len());
    }
    let carets = format!(
        "{}{}",
        " ".repeat(caret_start),
        "^".repeat(caret_end - caret_start)
    );
    (line, carets)
}

/// The byte range of `text` to show around `start`: all of it when it is short, else at
/// most [`MAX_ECHO`] bytes with up to half of them before `start`.
fn window(text: &str, start: usize) -> (usize, usize) {
    if text.len() <= MAX_ECHO {
        return (0, text.len());
    }
    let from = start
        .saturating_sub(MAX_ECHO / 2)
        .min(text.len() - MAX_ECHO);
    let from = floor_boundary(text, from);
    (from, floor_boundary(text, from + MAX_ECHO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_touches_only_the_listed_characters() {
        assert_eq!(escape("https://bücher.example"), "https://bücher.example");
        assert_eq!(
            escape("a\tb\nc\\d\u{1b}e\u{7f}f\r"),
            "a\\tb\\nc\\\\d\\u{1b}e\\u{7f}f\\r"
        );
        assert_eq!(
            escape("\u{7}\u{85}\u{9b}\u{2028}\u{2029}\u{202a}\u{202e}\u{2066}\u{2069}"),
            "\\u{7}\\u{85}\\u{9b}\\u{2028}\\u{2029}\\u{202a}\\u{202e}\\u{2066}\\u{2069}"
        );
        assert_eq!(
            escape("\u{200e}\u{200f}\u{61c}"),
            "\\u{200e}\\u{200f}\\u{61c}"
        );
        // Neighbours of the ranges are left alone.
        assert_eq!(
            escape("\u{2027}\u{202f}\u{2065}\u{206a}\u{a0}"),
            "\u{2027}\u{202f}\u{2065}\u{206a}\u{a0}"
        );
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_escape_starts_with_a_backslash_and_no_hidden_character_is_left() {
        let text: String = (0..0x3000).filter_map(char::from_u32).collect();
        let shown = escape(&text);
        assert!(!shown.chars().any(is_hidden));
    }

    #[test]
    fn echo_cuts_long_text_at_a_char_boundary_and_gives_its_length() {
        let short = "a".repeat(MAX_ECHO);
        assert_eq!(echo(&short), short);
        let long = format!("https://{}", "a".repeat(300));
        let shown = echo(&long);
        assert_eq!(shown, format!("{}… (308 bytes)", &long[..MAX_ECHO]));
        // 'é' is two bytes: the cut falls before one that would straddle the limit.
        let accents = "é".repeat(200);
        let shown = echo(&accents);
        assert_eq!(shown, format!("{}… (400 bytes)", "é".repeat(128)));
        let odd = format!("a{}", "é".repeat(200));
        assert_eq!(echo(&odd), format!("a{}… (401 bytes)", "é".repeat(127)));
        // The limit is on the input; the escapes come after the cut.
        let escapes = "\u{1b}".repeat(300);
        assert_eq!(
            echo(&escapes),
            format!("{}… (300 bytes)", "\\u{1b}".repeat(256))
        );
    }

    #[test]
    fn echo_lines_keeps_the_line_breaks_only() {
        assert_eq!(echo_lines("a\tb\nc\u{2028}d\n"), "a\\tb\nc\\u{2028}d\n");
    }

    #[test]
    fn carets_sit_under_the_escaped_text() {
        let (line, carets) = with_carets("https://x\t.com", 9..10);
        assert_eq!(line, "https://x\\t.com");
        assert_eq!(carets, "         ^^");
        let (line, carets) = with_carets("https://\u{202e}x\\.com/a", 8..13);
        assert_eq!(line, "https://\\u{202e}x\\\\.com/a");
        assert_eq!(carets, "        ^^^^^^^^^^^");
        // Carets count characters, not bytes.
        let (line, carets) = with_carets("https://bü.com/x", 15..17);
        assert_eq!(line, "https://bü.com/x");
        assert_eq!(carets, "              ^^");
        // An empty span at the end still gets one caret.
        let (_, carets) = with_carets("https://x.com:", 14..14);
        assert_eq!(carets, "              ^");
    }

    #[test]
    fn a_long_text_shows_a_window_around_the_span() {
        let text = format!("https://{}/path", "a".repeat(1000));
        let (line, carets) = with_carets(&text, 1008..text.len());
        assert!(line.starts_with('…'), "{line}");
        assert!(line.ends_with("aaaa/path (1013 bytes)"), "{line}");
        let caret_at = carets.find('^').unwrap_or_default();
        assert_eq!(line.chars().nth(caret_at), Some('/'));
        assert_eq!(carets.len() - caret_at, 5);
        assert!(line.len() < MAX_ECHO + 32);

        // A span near the start: the start of the text, cut after.
        let (line, carets) = with_carets(&text, 0..5);
        assert!(line.starts_with("https://aaa"), "{line}");
        assert!(line.ends_with("aaa… (1013 bytes)"), "{line}");
        assert_eq!(carets, "^^^^^");

        // A span in the middle of a long text of multi-byte characters.
        let text = "é".repeat(2000);
        let (line, carets) = with_carets(&text, 2001..2003);
        assert!(
            line.starts_with('…') && line.ends_with("é… (4000 bytes)"),
            "{line}"
        );
        let caret_at = carets.find('^').unwrap_or_default();
        assert_eq!(carets[caret_at..], *"^^");
        assert_eq!(line.chars().nth(caret_at), Some('é'));
    }
}
