//! Where a policy's entries come from (a `--policy` file, `--live` / `--test` flags), how
//! they are loaded into one [`PolicyConfig`], and how a build error is reported. The file
//! is read, located and reported by the library's [`policy_file`]; this module adds the
//! flags, named by their occurrence, and reports them after the file's entries.

use std::io::Read as _;
use std::path::Path;

use clap::ArgMatches;
use origin_policy::diagnostic::suggestion;
use origin_policy::policy_file::{
    self, EntryDiagnostic, EntrySite, Format, Limits, PolicyFile, PolicyFileError,
};
use origin_policy::{BuildError, EntryConfig, Mode, Policy, PolicyConfig};

use crate::args::EntryArgs;
use crate::escape::echo;
use crate::failure::{Failure, UNREADABLE_INPUT};

/// What a hint tells to do with a flag's entry that only test mode accepts.
const MOVE_FLAG_TO_TEST: &str = "pass it with `--test`";

/// Where an entry came from, to name it in error messages.
#[derive(Debug, Clone)]
enum Source {
    /// Position `index` (from 0) of the file's list for the mode.
    File { index: usize },
    /// The `occurrence`-th (from 1) `--live` or `--test` flag, at `position` among all the
    /// command-line arguments.
    Flag { occurrence: usize, position: usize },
}

impl Source {
    /// The order errors are reported in: the file's entries (live, then test, each in list
    /// order), then the flags in command-line order.
    fn report_order(&self, mode: Mode) -> (usize, usize, usize) {
        match self {
            Source::File { index } => (0, mode_slot(mode), *index),
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
    file: Option<PolicyFile>,
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

/// The name of a policy read from stdin (`--policy -`) in messages.
pub(crate) const STDIN_NAME: &str = "<stdin>";

/// Reads the `--policy` file's text and its format: by the file's extension, else (stdin,
/// or a name without `.toml` / `.json`) by its content. The error is a message for stderr.
fn read_policy_text(path: &Path) -> Result<(String, String, Format), String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| format!("cannot read the policy from stdin: {err}"))?;
        let format = Format::of_text(&text);
        return Ok((STDIN_NAME.to_owned(), text, format));
    }
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read policy file {}: {err}", echo(&name)))?;
    let format = Format::from_path(path).unwrap_or_else(|| Format::of_text(&text));
    Ok((name, text, format))
}

/// Collects the entries of the `--policy` file and the `--live` / `--test` flags, and builds
/// the policy; the error is the failure to report.
pub(crate) fn load_policy(
    args: &EntryArgs,
    matches: Option<&ArgMatches>,
) -> Result<Policy, Failure> {
    let mut entries = Entries::default();
    if let Some(path) = &args.policy {
        let (name, text, format) =
            read_policy_text(path).map_err(|message| Failure::new(UNREADABLE_INPUT, message))?;
        let limits = Limits::default()
            .with_max_entries_per_mode(args.max_entries)
            .with_max_bytes(args.max_bytes);
        let file = PolicyFile::parse_with_limits(&name, &text, format, limits)
            .map_err(|err| Failure::invalid_policy(&err))?;
        entries.config.options = file.config().options;
        for mode in Mode::ALL {
            let list = match mode {
                Mode::Live => &file.config().live,
                Mode::Test => &file.config().test,
            };
            for (index, entry) in list.iter().enumerate() {
                entries.push(mode, entry.clone(), Source::File { index });
            }
        }
        entries.file = Some(file);
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
    entries
        .config
        .build()
        .map_err(|err| Failure::invalid_policy(&report_build_error(&err, &entries)))
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

/// Every bad entry, located and hinted by the library: the file's entries first (by the
/// file's name, line and column), then the flags in command-line order (by flag and
/// occurrence).
fn report_build_error(err: &BuildError, entries: &Entries) -> PolicyFileError {
    let mut bad: Vec<_> = err.entries().iter().collect();
    bad.sort_by_key(|entry| {
        entries
            .source_of(entry.mode, entry.index)
            .map(|source| source.report_order(entry.mode))
            .unwrap_or((2, mode_slot(entry.mode), entry.index))
    });
    let options = entries.config.options;
    let diagnostics = bad
        .into_iter()
        .map(
            |entry| match (entries.source_of(entry.mode, entry.index), &entries.file) {
                // The file's entries come first in each mode: the index is the file's own.
                (Some(Source::File { .. }), Some(file)) => file.diagnose(entry, options),
                (Some(Source::Flag { occurrence, .. }), _) => {
                    let hint =
                        policy_file::hint(entry.mode, &entry.error, options, MOVE_FLAG_TO_TEST);
                    let name = format!("--{} #{occurrence}", entry.mode);
                    EntryDiagnostic::new(EntrySite::Named(name), entry, hint)
                        .with_suggestion(suggestion(entry.mode, &entry.error, options))
                }
                _ => {
                    let hint =
                        policy_file::hint(entry.mode, &entry.error, options, "add it to test mode");
                    EntryDiagnostic::new(EntrySite::Unnamed, entry, hint)
                        .with_suggestion(suggestion(entry.mode, &entry.error, options))
                }
            },
        )
        .collect();
    PolicyFileError::invalid_entries(diagnostics)
}
