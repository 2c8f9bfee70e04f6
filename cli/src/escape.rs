//! How the CLI echoes text that came from its input (origins, entries, notes, file names,
//! the parsers' messages), so that nothing it prints can fool a terminal or a line-based
//! tool: in text, as the library's [`origin_policy::echo`] escapes and cuts it (the same
//! rules as the library's policy-file errors); in JSON output ([`JsonEscapes`]), strings
//! carry the text whole, and the same characters are written as JSON escapes (`\u0085`,
//! `\u2028`, `\u202e`, ...), which JSON readers turn back into the characters.

use std::io;

use origin_policy::echo::is_hidden;
pub(crate) use origin_policy::echo::{echo, echo_lines, escape};

/// A `serde_json` formatter that also escapes, inside strings, the characters that JSON
/// leaves raw but a terminal acts on: DEL, the C1 controls (NEL among them), U+2028,
/// U+2029 and the bidi controls and marks, as `\u0085`-style escapes. The value is the same
/// for any JSON reader.
pub(crate) struct JsonEscapes;

impl serde_json::ser::Formatter for JsonEscapes {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        // serde_json has already escaped `"`, `\` and the C0 controls out of the fragment.
        let mut rest = fragment;
        while let Some((at, ch)) = rest.char_indices().find(|&(_, ch)| is_hidden(ch)) {
            writer.write_all(&rest.as_bytes()[..at])?;
            // Every such character is in the Basic Multilingual Plane: four hex digits.
            write!(writer, "\\u{:04x}", u32::from(ch))?;
            rest = &rest[at + ch.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

/// `value` as one line of JSON, with [`JsonEscapes`], and a line end.
pub(crate) fn json_line(value: &impl serde::Serialize) -> String {
    let mut line = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut line, JsonEscapes);
    // Plain structs of strings, numbers and options always serialize.
    if value.serialize(&mut serializer).is_err() {
        line.clear();
    }
    line.push(b'\n');
    // serde_json writes UTF-8, and the escapes are ASCII.
    String::from_utf8(line).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_what_json_leaves_raw() {
        #[derive(serde::Serialize)]
        struct Record<'a> {
            text: &'a str,
        }
        let text = "a\u{1b}\u{7f}\u{85}\u{2028}\u{2029}\u{202e}\"\\é\u{2066}b";
        let line = json_line(&Record { text });
        assert_eq!(
            line,
            "{\"text\":\"a\\u001b\\u007f\\u0085\\u2028\\u2029\\u202e\\\"\\\\é\\u2066b\"}\n"
        );
        let back: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(back["text"], text);
    }
}
