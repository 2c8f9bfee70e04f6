//! [`OneLineFields`]: the text log's field formatter, which keeps each event on one line.
//!
//! A refused policy file is logged with its located errors (`FILE:LINE:COL`, the entry,
//! `^^^`, a hint), several lines as the CLI prints them. Line-based log shippers would cut
//! such an event into pieces, so the text format writes a line break inside a field as
//! `\n` (and a carriage return as `\r`); the JSON format escapes them anyway and keeps the
//! whole rendering in its string.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::FormatFields;

/// Formats an event's fields as `tracing`'s default text format does (the message, then
/// `name=value` pairs separated by spaces), with line breaks escaped.
#[derive(Debug, Clone, Copy, Default)]
pub struct OneLineFields;

impl<'writer> FormatFields<'writer> for OneLineFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = Visitor {
            writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct Visitor<'writer> {
    writer: Writer<'writer>,
    first: bool,
    result: fmt::Result,
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        // As the default format: a string field in quotes and escaped, the message as is.
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_err() {
            return;
        }
        let separator = if self.first { "" } else { " " };
        self.first = false;
        let mut line = OneLine(&mut self.writer);
        self.result = match field.name() {
            "message" => write!(line, "{separator}{value:?}"),
            name => write!(line, "{separator}{name}={value:?}"),
        };
    }
}

/// A writer that passes text through with `\n` and `\r` written as escapes.
struct OneLine<'a, 'writer>(&'a mut Writer<'writer>);

impl fmt::Write for OneLine<'_, '_> {
    fn write_str(&mut self, mut text: &str) -> fmt::Result {
        // A byte scan: both are ASCII, so `at` is a character boundary (a `char` pattern
        // would decode every character of every field of every line).
        let line_break = |text: &str| text.bytes().position(|byte| byte == b'\n' || byte == b'\r');
        while let Some(at) = line_break(text) {
            self.0.write_str(&text[..at])?;
            self.0.write_str(if text.as_bytes()[at] == b'\n' {
                "\\n"
            } else {
                "\\r"
            })?;
            text = &text[at + 1..];
        }
        self.0.write_str(text)
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn logged(json: bool, event: impl FnOnce()) -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let builder = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .without_time();
        if json {
            tracing::subscriber::with_default(builder.json().finish(), event);
        } else {
            tracing::subscriber::with_default(builder.fmt_fields(OneLineFields).finish(), event);
        }
        let bytes = buffer.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    const LOCATED: &str = "1 invalid entry:\n\
        acme.toml:1:10: live[0]: Path: a pattern has no path\n  https://a.com/x\n               ^^\n\
        \x20 hint: origins have no path: drop it, as in `https://a.com`";

    #[test]
    fn a_text_event_is_one_line_and_json_keeps_the_whole_rendering() {
        let event = || {
            tracing::error!(
                source = "directory",
                tenant = ?"ac\nme",
                "policy refused; the tenant has no policy:\n{LOCATED}"
            )
        };
        let text = logged(false, event);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.contains(
                "policy refused; the tenant has no policy:\\n1 invalid entry:\\nacme.toml:1:10: \
                 live[0]: Path: a pattern has no path\\n  https://a.com/x\\n               ^^\\n  \
                 hint: origins have no path"
            ),
            "{text}"
        );
        // The other fields as the default format writes them: `Debug` of a string is
        // already escaped, and a `&str` field is written in quotes.
        assert!(
            text.contains(" source=\"directory\" tenant=\"ac\\nme\""),
            "{text}"
        );

        let json = logged(true, event);
        assert_eq!(json.lines().count(), 1, "{json}");
        let object: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        let message = object["fields"]["message"].as_str().unwrap();
        assert!(message.ends_with(LOCATED), "{message}");
    }

    #[test]
    fn carriage_returns_are_escaped_too() {
        let text = logged(false, || tracing::warn!(value = %"a\r\nb", "x\ry"));
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains("x\\ry value=a\\r\\nb"), "{text}");
    }
}
