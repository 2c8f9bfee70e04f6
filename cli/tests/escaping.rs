//! Nothing the CLI prints can fool a terminal or a line-based tool: every echo of input is
//! escaped (`\u{1b}`, `\r`, `\u{202e}`, `\\`, ...) in text output, cut past 256 bytes with
//! its length, and written with JSON escapes in `--json` output.

mod common;

use std::path::PathBuf;

use common::{data, run, run_with_stdin, Run};

/// ESC (with the rest of a colour sequence), BEL, CR, RIGHT-TO-LEFT OVERRIDE, LINE
/// SEPARATOR, NEL, and then DEL, CSI (C1), LEFT-TO-RIGHT ISOLATE, a right-to-left mark and
/// a backslash.
const NASTY: &str = "\u{1b}[31m\u{7}\r\u{202e}\u{2028}\u{85}\u{7f}\u{9b}\u{2066}\u{200f}\\";

/// [`NASTY`] as text output shows it.
const NASTY_SHOWN: &str =
    "\\u{1b}[31m\\u{7}\\r\\u{202e}\\u{2028}\\u{85}\\u{7f}\\u{9b}\\u{2066}\\u{200f}\\\\";

/// [`NASTY`] as JSON output writes it.
const NASTY_JSON: &str =
    "\\u001b[31m\\u0007\\r\\u202e\\u2028\\u0085\\u007f\\u009b\\u2066\\u200f\\\\";

/// Whether a terminal or a line-based tool would act on `ch`: a control character other
/// than the line end and the tab (the field separator), a line or paragraph separator, or
/// a bidi control or mark.
fn is_hidden(ch: char) -> bool {
    (ch.is_control() && ch != '\n' && ch != '\t')
        || matches!(
            ch,
            '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{61c}'
        )
}

/// Neither stdout nor stderr holds a raw control byte (but the line ends, and the tabs
/// between fields) or one of the invisible characters that reorder or break lines.
fn assert_clean(out: &Run) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let bad: Vec<char> = text.chars().filter(|&ch| is_hidden(ch)).collect();
        assert!(bad.is_empty(), "{name} holds {bad:?}: {text:?}");
        // The same, byte by byte: no C0 control but LF and TAB, no DEL, no C1 (C2 80-9F).
        let bytes = text.as_bytes();
        for (at, &byte) in bytes.iter().enumerate() {
            assert!(
                byte >= 0x20 && byte != 0x7f || byte == b'\n' || byte == b'\t',
                "{name} has byte {byte:#04x} at {at}"
            );
            if byte == 0xc2 {
                let next = bytes.get(at + 1).copied().unwrap_or(0);
                assert!(
                    !(0x80..=0x9f).contains(&next),
                    "{name} has a C1 control at {at}"
                );
            }
        }
    }
}

/// The origin with every nasty character, as an argument.
fn nasty_origin() -> String {
    format!("https://x{NASTY}.example.com")
}

#[test]
fn check_escapes_the_origin_and_keeps_one_line_of_three_fields() {
    let origin = nasty_origin();
    let out = run([
        "check",
        "--mode",
        "live",
        "--live",
        "https://x.example.com",
        "--",
        &origin,
        "https://x.example.com",
    ]);
    assert_eq!(
        out.stdout,
        format!(
            "deny\thttps://x{NASTY_SHOWN}.example.com\tmalformed origin: control character\n\
             allow\thttps://x.example.com\thttps://x.example.com\n"
        )
    );
    for line in out.stdout.lines() {
        assert_eq!(line.split('\t').count(), 3, "{line:?}");
    }
    assert_eq!(out.stderr, "");
    assert_eq!(out.code, 1);
    assert_clean(&out);
}

#[test]
fn check_json_writes_the_separators_and_controls_as_json_escapes() {
    let origin = nasty_origin();
    let out = run([
        "check",
        "--json",
        "--mode",
        "live",
        "--live",
        "https://x.example.com",
        "--",
        &origin,
    ]);
    assert_eq!(
        out.stdout,
        format!(
            "{{\"origin\":\"https://x{NASTY_JSON}.example.com\",\"mode\":\"live\",\
             \"decision\":\"deny\",\"rule\":null,\"note\":null,\
             \"reason\":\"malformed origin: control character\"}}\n"
        )
    );
    // The origin comes back exactly from the JSON.
    let value: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON line");
    assert_eq!(value["origin"], origin);
    assert_eq!(out.code, 1);
    assert_clean(&out);
}

#[test]
fn explain_escapes_the_origin() {
    let origin = nasty_origin();
    let out = run([
        "explain",
        "--mode",
        "live",
        "--live",
        "https://x.example.com",
        "--",
        &origin,
    ]);
    assert_eq!(
        out.stdout,
        format!(
            "origin     https://x{NASTY_SHOWN}.example.com\n\
             problem    control character\n\
             decision   deny in live mode: malformed origin: control character\n"
        )
    );
    assert_eq!(out.code, 1);
    assert_clean(&out);
}

#[test]
fn notes_are_escaped_in_text_and_json_escaped_in_json() {
    let file = data("nasty_note.toml");
    let explain = run([
        "explain",
        "--mode",
        "live",
        "--policy",
        &file,
        "https://www.example.com",
    ]);
    assert!(
        explain
            .stdout
            .contains(&format!("\n           note: see{NASTY_SHOWN}here\n")),
        "{}",
        explain.stdout
    );
    assert_eq!(explain.code, 0);
    assert_clean(&explain);

    let check = run([
        "check",
        "--json",
        "--mode",
        "live",
        "--policy",
        &file,
        "https://www.example.com",
    ]);
    assert!(
        check
            .stdout
            .contains(&format!("\"note\":\"see{NASTY_JSON}here\"")),
        "{}",
        check.stdout
    );
    let value: serde_json::Value = serde_json::from_str(&check.stdout).expect("one JSON line");
    assert_eq!(value["note"], format!("see{NASTY}here"));
    assert_clean(&check);
}

/// The report of one bad entry `https://x{NASTY}.example.com`: the pattern escaped, and
/// the carets under the escape of the first control character (the ESC).
fn nasty_entry_report(location: &str) -> String {
    format!(
        "error: 1 invalid entry:\n\
         {location}: ControlChar: control characters are not allowed\n  \
         https://x{NASTY_SHOWN}.example.com\n  \
         {}{}\n",
        " ".repeat("https://x".len()),
        "^".repeat("\\u{1b}".len())
    )
}

#[test]
fn an_entry_flag_is_escaped_in_the_error_of_every_subcommand() {
    let entry = nasty_origin();
    for args in [
        &["check", "--mode", "live", "--live", &entry, "https://a.com"][..],
        &[
            "explain",
            "--mode",
            "live",
            "--live",
            &entry,
            "https://a.com",
        ][..],
        &["lint", "--live", &entry][..],
    ] {
        // (With --json the failure is JSON on stdout: `json_failures.rs`.)
        let out = run(args);
        assert_eq!(out.stderr, nasty_entry_report("--live #1"), "{args:?}");
        assert_eq!(out.stdout, "", "{args:?}");
        assert_eq!(out.code, 2, "{args:?}");
        assert_clean(&out);
    }
}

#[test]
fn an_entry_in_a_policy_file_is_escaped_in_the_error() {
    for (name, location) in [
        ("nasty_entry.toml", ":2:3: live[0]"),
        ("nasty_entry.json", ":1:12: live[0]"),
    ] {
        let file = data(name);
        let out = run(["lint", "--policy", &file]);
        assert_eq!(
            out.stderr,
            nasty_entry_report(&format!("{file}{location}")),
            "{name}"
        );
        assert_eq!(out.code, 2, "{name}");
        assert_clean(&out);
    }
}

#[test]
fn the_carets_stay_under_a_backslash_and_a_bidi_override() {
    let entry = "https://a\u{202e}b\\c.example.com";
    let out = run(["lint", "--live", entry]);
    // The first fault found is the backslash, after the override's 8-character escape.
    assert_eq!(
        out.stderr,
        format!(
            "error: 1 invalid entry:\n\
             --live #1: Backslash: backslashes are not allowed\n  \
             https://a\\u{{202e}}b\\\\c.example.com\n  \
             {}^^\n",
            " ".repeat("https://a\\u{202e}b".len())
        )
    );
    assert_clean(&out);
}

/// A temporary file of `contents`, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &[u8]) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("origin-policy-cli-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("the temporary file is written");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }

    /// The path as the CLI prints it: escaped.
    fn shown(&self) -> String {
        self.path()
            .replace('\u{1b}', "\\u{1b}")
            .replace('\n', "\\n")
            .replace('\u{202e}', "\\u{202e}")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(unix)]
#[test]
fn a_file_name_with_control_characters_is_escaped_in_every_message() {
    let name = "bad\u{1b}[2J\nname\u{202e}.toml";
    let file = TempFile::new(name, b"live = [\"http://www.example.com\"]\n");
    let out = run(["lint", "--policy", file.path()]);
    let shown = file.shown();
    assert!(
        shown.ends_with("bad\\u{1b}[2J\\nname\\u{202e}.toml"),
        "{shown}"
    );
    assert!(
        out.stderr.starts_with(&format!(
            "error: 1 invalid entry:\n{shown}:1:9: live[0]: HttpInLive: "
        )),
        "{}",
        out.stderr
    );
    assert_eq!(out.code, 2);
    assert_clean(&out);

    let missing = format!("{}.missing", file.path());
    let out = run(["lint", "--policy", &missing]);
    assert!(
        out.stderr
            .starts_with(&format!("error: cannot read policy file {shown}.missing: ")),
        "{}",
        out.stderr
    );
    assert_clean(&out);

    let unparsable = TempFile::new(&format!("{name}.json"), b"{\"live\": [}");
    let out = run(["lint", "--policy", unparsable.path()]);
    assert!(
        out.stderr.starts_with(&format!(
            "error: {}:1:11: not a valid policy file",
            unparsable.shown()
        )),
        "{}",
        out.stderr
    );
    assert_clean(&out);
}

#[test]
fn a_toml_syntax_error_shows_the_line_escaped_with_the_carets_under_the_fault() {
    let file = TempFile::new(
        "syntax.toml",
        "live = [\"https://a.com\"]\ntest = [\"a\u{202e}\u{1b}b\"]\r\n".as_bytes(),
    );
    let out = run(["lint", "--policy", file.path()]);
    let path = file.path();
    assert_eq!(
        out.stderr,
        format!(
            "error: {path}:2:12: not a valid policy file (expected `live = [...]`, `test = [...]` \
             and an optional `[options]` table):\n\
             TOML parse error at line 2, column 12\n  \
             |\n\
             2 | test = [\"a\\u{{202e}}\\u{{1b}}b\"]\n  \
             | {}^^^^^^\n\
             invalid basic string\n",
            " ".repeat("test = [\"a\\u{202e}".len())
        )
    );
    assert_eq!(out.code, 2);
    assert_clean(&out);
}

#[test]
fn a_wrong_key_is_escaped_in_the_parsers_message() {
    // In TOML, a quoted key may hold a line break: the message stays on one line.
    let toml = TempFile::new(
        "key.toml",
        "live = []\n\"x\\u001b\\nerror: fake\\u2028\" = 1\n".as_bytes(),
    );
    let out = run(["lint", "--policy", toml.path()]);
    assert!(
        out.stderr.ends_with(
            "\nunknown field `x\\u{1b}\\nerror: fake\\u{2028}`, expected one of `live`, \
             `test`, `options`\n"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("\nerror: fake"), "{}", out.stderr);
    assert_clean(&out);

    let json = TempFile::new(
        "key.json",
        b"{\"live\": [], \"x\\u001b\\nerror: fake\\u0085\": 1}",
    );
    let out = run(["lint", "--policy", json.path()]);
    assert!(
        out.stderr.ends_with(
            "\nunknown field `x\\u{1b}\\nerror: fake\\u{85}`, expected one of `live`, `test`, \
             `options` at line 1 column 41\n"
        ),
        "{}",
        out.stderr
    );
    assert_clean(&out);
}

/// A 200,000-byte origin.
fn huge_origin() -> String {
    let origin = format!("https://{}.example.com", "a".repeat(200_000 - 20));
    assert_eq!(origin.len(), 200_000);
    origin
}

#[test]
fn a_huge_origin_is_cut_in_text_and_whole_in_json() {
    // Too long for one argument on Linux: through stdin.
    let origin = huge_origin();
    let input = format!("{origin}\n");
    let args = ["check", "--mode", "live", "--live", "https://a.com", "-"];
    let text = run_with_stdin(args, input.as_bytes());
    assert_eq!(
        text.stdout,
        format!(
            "deny\t{}… (200000 bytes)\tmalformed origin: longer than 2048 bytes\n",
            &origin[..256]
        )
    );
    assert_clean(&text);

    let json = run_with_stdin(
        [
            "check",
            "--json",
            "--mode",
            "live",
            "--live",
            "https://a.com",
            "-",
        ],
        input.as_bytes(),
    );
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("one JSON line");
    assert_eq!(value["origin"], origin);
    assert_eq!(json.stdout.lines().count(), 1);
}

#[test]
fn a_long_origin_is_cut_at_a_char_boundary_with_escapes_after_the_cut() {
    // 'é' is two bytes, from an odd offset: byte 256 falls inside one.
    let origin = format!("https://x{}\u{1b}", "é".repeat(60_000));
    let out = run([
        "explain",
        "--mode",
        "live",
        "--live",
        "https://a.com",
        "--",
        &origin,
    ]);
    let first = out.stdout.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!("origin     https://x{}… (120010 bytes)", "é".repeat(123))
    );
    assert_clean(&out);
}

#[test]
fn a_huge_entry_is_cut_around_the_fault() {
    let origin = huge_origin();
    let file = TempFile::new("huge.toml", format!("live = [\"{origin}\"]\n").as_bytes());
    let out = run(["lint", "--policy", file.path()]);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{}", out.stderr.len());
    assert!(lines[1].ends_with("TooLong: the pattern is longer than 2048 bytes"));
    // A window around byte 2048, where the pattern turns too long.
    assert_eq!(
        lines[2],
        format!("  …{}… (200000 bytes)", &origin[2048 - 128..2048 + 128])
    );
    assert_eq!(
        lines[3],
        format!("  {}{}", " ".repeat(1 + 128), "^".repeat(128))
    );
    assert_clean(&out);
}

#[test]
fn a_json_policy_file_may_start_with_a_byte_order_mark() {
    let plain = run([
        "check",
        "--mode",
        "live",
        "--policy",
        &data("good.json"),
        "https://www.example.com",
    ]);
    let with_bom = run([
        "check",
        "--mode",
        "live",
        "--policy",
        &data("bom.json"),
        "https://www.example.com",
    ]);
    assert_eq!(with_bom.stderr, "");
    assert_eq!(with_bom.stdout, plain.stdout);
    assert_eq!(with_bom.code, plain.code);
    assert_eq!(
        std::fs::read(data("bom.json")).expect("bom.json")[..3],
        [0xef, 0xbb, 0xbf]
    );

    // TOML too; the mark is not counted in the columns.
    let toml = TempFile::new("bom.toml", "\u{feff}live = [\"http://a.com\"]\n".as_bytes());
    let out = run(["lint", "--policy", toml.path()]);
    assert!(
        out.stderr
            .contains(&format!("\n{}:1:9: live[0]: HttpInLive: ", toml.path())),
        "{}",
        out.stderr
    );
}

#[test]
fn usage_errors_escape_the_arguments_clap_quotes() {
    let out = run(["check", "--mode", "live", "--bogus\u{1b}[2J\u{202e}", "x"]);
    assert!(
        out.stderr
            .starts_with("error: unexpected argument '--bogus\\u{1b}[2J\\u{202e}' found\n"),
        "{}",
        out.stderr
    );
    assert_eq!(out.code, 2);
    assert_clean(&out);

    let out = run(["check", "--mode", "li\u{1b}ve\u{2028}", "x"]);
    assert!(
        out.stderr
            .starts_with("error: invalid value 'li\\u{1b}ve\\u{2028}' for '--mode <live|test>'"),
        "{}",
        out.stderr
    );
    assert_eq!(out.code, 2);
    assert_clean(&out);
}
