//! Where a policy's entries come from (a `--policy` file, `--live` / `--test` flags), how
//! they are loaded into one [`PolicyConfig`], and how a build error is reported: every bad
//! entry, named by where it came from, with a hint for common mistakes.

use std::fmt::Write as _;
use std::path::Path;

use clap::ArgMatches;
use origin_policy::{
    BuildError, EntryConfig, Mode, PatternError, PatternErrorKind, Policy, PolicyConfig,
    PolicyOptions,
};
use serde::Deserialize;

use crate::escape::{echo, echo_lines, with_carets};
use crate::{EntryArgs, EXIT_ERROR};

/// The format of a policy file, chosen by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Toml,
    Json,
}

impl Format {
    /// JSON when the file name ends in `.json` (in any case), TOML otherwise.
    fn of(path: &Path) -> Format {
        match path.extension() {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Toml,
        }
    }

    /// What a policy file of this format holds, for the message about one that does not.
    fn expected(self) -> &'static str {
        match self {
            Format::Toml => {
                "expected `live = [...]`, `test = [...]` and an optional `[options]` table"
            }
            Format::Json => {
                "expected an object with `\"live\": [...]`, `\"test\": [...]` and an optional \
                 `\"options\": {...}`"
            }
        }
    }
}

/// Where an entry came from, to name it in error messages.
#[derive(Debug, Clone)]
enum Source {
    /// Position `index` (from 0) of the file's list for the mode, and where the entry starts
    /// in the file (line and column, from 1) when the format tells.
    File {
        path: String,
        index: usize,
        line_col: Option<(usize, usize)>,
    },
    /// The `occurrence`-th (from 1) `--live` or `--test` flag, at `position` among all the
    /// command-line arguments.
    Flag { occurrence: usize, position: usize },
}

impl Source {
    /// The order errors are reported in: the file's entries (live, then test, each in list
    /// order), then the flags in command-line order.
    fn report_order(&self, mode: Mode) -> (usize, usize, usize) {
        match self {
            Source::File { index, .. } => (0, mode_slot(mode), *index),
            Source::Flag { position, .. } => (1, *position, 0),
        }
    }
}

fn mode_slot(mode: Mode) -> usize {
    match mode {
        Mode::Live => 0,
        Mode::Test => 1,
    }
}

/// The entries of both modes in one config (the file's first, then the flags), and the
/// source of each, indexed the way the library counts them: `sources[slot][i]` is the
/// source of `config.live[i]` or `config.test[i]`.
#[derive(Debug, Default)]
struct Entries {
    config: PolicyConfig,
    sources: [Vec<Source>; 2],
}

impl Entries {
    fn push(&mut self, mode: Mode, entry: EntryConfig, source: Source) {
        match mode {
            Mode::Live => self.config.live.push(entry),
            Mode::Test => self.config.test.push(entry),
        }
        self.sources[mode_slot(mode)].push(source);
    }

    fn source_of(&self, mode: Mode, index: usize) -> Option<&Source> {
        self.sources[mode_slot(mode)].get(index)
    }
}

/// Collects the entries of the `--policy` file and the `--live` / `--test` flags, and builds
/// the policy. On failure, stderr already says why, and the error is the exit status.
pub(crate) fn load_policy(args: &EntryArgs, matches: Option<&ArgMatches>) -> Result<Policy, u8> {
    let mut entries = Entries::default();
    if let Some(path) = &args.policy {
        let file = load_policy_file(path).map_err(|message| {
            eprintln!("error: {message}");
            EXIT_ERROR
        })?;
        let shown = echo(&path.display().to_string()).into_owned();
        entries.config.options = file.config.options;
        for (mode, list) in [
            (Mode::Live, file.config.live),
            (Mode::Test, file.config.test),
        ] {
            for (index, entry) in list.into_iter().enumerate() {
                let line_col = file.locations[mode_slot(mode)].get(index).copied();
                let source = Source::File {
                    path: shown.clone(),
                    index,
                    line_col,
                };
                entries.push(mode, entry, source);
            }
        }
    }
    for (mode, pattern, occurrence, position) in flags_in_order(args, matches) {
        let entry = EntryConfig {
            pattern,
            note: None,
        };
        entries.push(
            mode,
            entry,
            Source::Flag {
                occurrence,
                position,
            },
        );
    }
    entries.config.build().map_err(|err| {
        eprint!("{}", report_build_error(&err, &entries));
        EXIT_ERROR
    })
}

/// A parsed policy file, with where each entry starts (empty lists when the format does
/// not say).
struct PolicyFile {
    config: PolicyConfig,
    locations: [Vec<(usize, usize)>; 2],
}

/// Reads and parses the `--policy` file; the error is a message for stderr. A leading
/// byte-order mark is skipped, in either format.
fn load_policy_file(path: &Path) -> Result<PolicyFile, String> {
    let shown = echo(&path.display().to_string()).into_owned();
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read policy file {shown}: {err}"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let format = Format::of(path);
    let invalid = |message: String| {
        format!(
            "{shown}: not a valid policy file ({}):\n{message}",
            format.expected(),
        )
    };
    match format {
        Format::Toml => {
            let config = toml::from_str(text).map_err(|err| invalid(toml_error(text, &err)))?;
            Ok(PolicyFile {
                config,
                locations: toml_locations(text),
            })
        }
        Format::Json => {
            let config = serde_json::from_str(text).map_err(|err| invalid(json_error(&err)))?;
            Ok(PolicyFile {
                config,
                locations: Default::default(),
            })
        }
    }
}

/// A TOML error laid out as the `toml` crate does (where, the line with `^` under the
/// fault, the message), with the line and the message escaped and cut like every echo.
fn toml_error(text: &str, err: &toml::de::Error) -> String {
    // A syntax error's message may span lines of its own (`invalid array` / `expected ...`);
    // a wrong key or value gives a one-line message, where a line break can only come from
    // the file and is escaped.
    let syntax_error = toml::from_str::<toml::Table>(text).is_err();
    let message = err.message().trim_end();
    let message = if syntax_error {
        echo_lines(message)
    } else {
        echo(message).into_owned()
    };
    let Some(span) = err.span() else {
        return message;
    };
    let (line, column) = line_col(text, span.start);
    let line_start = text
        .get(..span.start)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |at| at + 1);
    let rest = text.get(line_start..).unwrap_or_default();
    let content = rest.split('\n').next().unwrap_or_default();
    let content = content.strip_suffix('\r').unwrap_or(content);
    let start = span.start - line_start;
    let end = span.end.saturating_sub(line_start).min(content.len());
    let (shown_line, carets) = with_carets(content, start..end);
    let gutter = " ".repeat(line.to_string().len() + 1);
    format!(
        "TOML parse error at line {line}, column {column}\n{gutter}|\n{line} | \
         {shown_line}\n{gutter}| {carets}\n{message}"
    )
}

/// A JSON error: serde_json's message, escaped and cut like every echo, and where it is.
fn json_error(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let at = format!(" at line {} column {}", err.line(), err.column());
    match full.strip_suffix(&at) {
        Some(message) if err.line() > 0 => format!("{}{at}", echo(message)),
        _ => echo(&full).into_owned(),
    }
}

/// The same TOML read again, for where each entry stands: `Spanned` keeps the byte range of
/// each value. Other keys are ignored here (the real parse already checked them).
#[derive(Deserialize)]
struct TomlLocator {
    #[serde(default)]
    live: Vec<toml::Spanned<toml::Value>>,
    #[serde(default)]
    test: Vec<toml::Spanned<toml::Value>>,
}

/// The line and column (from 1, columns in characters) where each entry of each list
/// starts; empty lists if the text cannot be read that way.
fn toml_locations(text: &str) -> [Vec<(usize, usize)>; 2] {
    let Ok(locator) = toml::from_str::<TomlLocator>(text) else {
        return Default::default();
    };
    let positions = |list: Vec<toml::Spanned<toml::Value>>| -> Vec<(usize, usize)> {
        list.iter()
            .map(|value| line_col(text, value.span().start))
            .collect()
    };
    [positions(locator.live), positions(locator.test)]
}

/// The line and column (both from 1; the column counts characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The `--live` and `--test` values in command-line order, each with its mode, its
/// position (from 1) among that flag's occurrences, and its position among all arguments.
fn flags_in_order(
    args: &EntryArgs,
    matches: Option<&ArgMatches>,
) -> Vec<(Mode, String, usize, usize)> {
    let indices = |id: &str, count: usize| -> Vec<usize> {
        matches
            .and_then(|m| m.indices_of(id))
            .map(|indices| indices.collect())
            .filter(|indices: &Vec<usize>| indices.len() == count)
            // Without positions, keep live before test; only the order of errors changes.
            .unwrap_or_else(|| (0..count).collect())
    };
    let live = indices("live", args.live.len());
    let test = indices("test", args.test.len());
    let mut flags: Vec<(usize, Mode, String, usize)> = Vec::new();
    for (mode, values, positions) in [
        (Mode::Live, &args.live, &live),
        (Mode::Test, &args.test, &test),
    ] {
        for (n, (value, &position)) in values.iter().zip(positions).enumerate() {
            flags.push((position, mode, value.clone(), n + 1));
        }
    }
    // Stable: when positions are unknown, live (added first) stays before test.
    flags.sort_by_key(|(position, ..)| *position);
    flags
        .into_iter()
        .map(|(position, mode, value, occurrence)| (mode, value, occurrence, position))
        .collect()
}

/// Every bad entry: where it came from, the kind, the message, the pattern with `^^^` under
/// the fault, and a hint for common mistakes. File entries come first, then flags in
/// command-line order.
fn report_build_error(err: &BuildError, entries: &Entries) -> String {
    let mut bad: Vec<_> = err.entries().iter().collect();
    bad.sort_by_key(|entry| {
        entries
            .source_of(entry.mode, entry.index)
            .map(|source| source.report_order(entry.mode))
            .unwrap_or((2, mode_slot(entry.mode), entry.index))
    });
    let noun = if bad.len() == 1 { "entry" } else { "entries" };
    let mut report = format!("error: {} invalid {noun}:\n", bad.len());
    let options = entries.config.options;
    for entry in bad {
        let source = entries.source_of(entry.mode, entry.index);
        let location = match source {
            Some(Source::File {
                path,
                index,
                line_col: Some((line, column)),
            }) => format!("{path}:{line}:{column}: {}[{index}]", entry.mode),
            Some(Source::File {
                path,
                index,
                line_col: None,
            }) => format!("{path}: {}[{index}]", entry.mode),
            Some(Source::Flag { occurrence, .. }) => format!("--{} #{occurrence}", entry.mode),
            None => entry.name().to_string(),
        };
        let error = &entry.error;
        // The library's `Display` of the error shows the pattern with only control
        // characters escaped; the CLI escapes it like every echo, and cuts it.
        let (pattern, carets) = with_carets(error.pattern(), error.span().range());
        // Writing to a String cannot fail.
        let _ = writeln!(
            report,
            "{location}: {:?}: {}\n  {pattern}\n  {carets}",
            error.kind(),
            error.kind()
        );
        if let Some(hint) = hint(entry.mode, source, error, options) {
            let _ = writeln!(report, "  hint: {hint}");
        }
    }
    report
}

/// A one-line hint for common mistakes. A concrete rewrite is offered only when it is
/// itself a valid entry of the mode, under the policy's options.
fn hint(
    mode: Mode,
    source: Option<&Source>,
    error: &PatternError,
    options: PolicyOptions,
) -> Option<String> {
    let (kind, pattern, span) = (error.kind(), error.pattern(), error.span());
    let to_test = match source {
        Some(Source::File { .. }) => "move it to the file's `test` list",
        Some(Source::Flag { .. }) => "pass it with `--test`",
        None => "add it to test mode",
    };
    let trimmed = pattern.trim_matches(|c: char| c.is_ascii_whitespace());
    let valid_in = |mode: Mode, text: &str| {
        Policy::builder()
            .options(options)
            .allow(mode, text)
            .build()
            .is_ok()
    };
    let suggest = |text: Option<String>| -> String {
        match text {
            Some(text) if valid_in(mode, &text) => format!(", as in `{}`", echo(&text)),
            _ => String::new(),
        }
    };
    let hint = match kind {
        PatternErrorKind::Path => {
            let before = pattern.get(..span.start).map(|text| {
                text.trim_matches(|c: char| c.is_ascii_whitespace())
                    .to_owned()
            });
            format!("origins have no path: drop it{}", suggest(before))
        }
        PatternErrorKind::MissingScheme => {
            let host = trimmed
                .strip_prefix("://")
                .or_else(|| trimmed.strip_prefix("//"))
                .unwrap_or(trimmed);
            format!(
                "add `https://` in front{}",
                suggest(Some(format!("https://{host}")))
            )
        }
        PatternErrorKind::PublicSuffixWildcard => {
            let wildcard = pattern.get(span.range()).unwrap_or("*.com");
            let base = wildcard.strip_prefix("*.").unwrap_or("com");
            format!(
                "`{}`-style wildcards allow sites of other owners; name your registrable \
                 domain, as in `*.your-company.{}`",
                echo(wildcard),
                echo(base)
            )
        }
        PatternErrorKind::HttpInLive => {
            let https = trimmed
                .split_once("://")
                .map(|(_, rest)| format!("https://{rest}"));
            let as_in = suggest(https);
            let valid_there = if valid_in(Mode::Test, pattern) {
                " (valid in test mode)"
            } else {
                ""
            };
            format!("live mode is HTTPS only: use https{as_in}, or {to_test}{valid_there}")
        }
        PatternErrorKind::LoopbackInLive => {
            format!("localhost and 127.0.0.1 (loopback hosts) are for test mode only: {to_test}")
        }
        PatternErrorKind::LocalAddressInLive => format!(
            "0.0.0.0 and [::] reach the local machine, like localhost: they are for test mode \
             only: {to_test}"
        ),
        PatternErrorKind::MisplacedWildcard => {
            "`https://*.example.com` allows a.example.com and a.b.example.com (not \
             example.com); `https://pr-*.example.com` allows pr-1.example.com; list other names \
             one by one"
                .to_owned()
        }
        PatternErrorKind::BareWildcard => {
            "a bare `*` would allow every site: list your domains, and use \
             `https://*.your-company.com` for their subdomains"
                .to_owned()
        }
        _ => return None,
    };
    Some(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_from_1_and_columns_count_characters() {
        let text = "a = 1\nlive = [\"é\", \"x\"]\r\nb";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        let x = text.find("\"x\"").unwrap();
        assert_eq!(line_col(text, x), (2, 14));
        assert_eq!(line_col(text, text.len()), (3, 2));
        // Inside a multi-byte character: the character's own column.
        let e = text.find('é').unwrap();
        assert_eq!(line_col(text, e + 1), line_col(text, e));
    }

    #[test]
    fn the_format_follows_the_file_name() {
        assert_eq!(Format::of(Path::new("p.json")), Format::Json);
        assert_eq!(Format::of(Path::new("dir/p.JSON")), Format::Json);
        assert_eq!(Format::of(Path::new("p.toml")), Format::Toml);
        assert_eq!(Format::of(Path::new("json")), Format::Toml);
        assert_eq!(Format::of(Path::new("p.json.bak")), Format::Toml);
    }

    #[test]
    fn toml_locations_find_strings_tables_and_arrays_of_tables() {
        let text = "live = [\n  \"https://a.com\",\n    { pattern = \"https://b.com\" },\n]\n\
                    [[test]]\npattern = \"http://localhost\"\n";
        let [live, test] = toml_locations(text);
        assert_eq!(live, [(2, 3), (3, 5)]);
        assert_eq!(test.len(), 1);
    }
}
