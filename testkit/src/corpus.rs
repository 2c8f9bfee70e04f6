//! Replays what the fuzz campaigns kept (`fuzz/corpus/<target>/`) and the crashes they found
//! (`fuzz/artifacts/<target>/`) through the checks of [`fuzz_checks`](crate::fuzz_checks):
//! the library's `tests/fuzz_corpus.rs` for most targets, and the kit's own
//! `tests/request_corpus.rs` for `request`, which needs the kit's `tower` feature.

use std::fs;
use std::path::{Path, PathBuf};

/// The inputs of `target` under the fuzz workspace `fuzz`, sorted; hidden files left out.
pub fn inputs(fuzz: &Path, target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in ["corpus", "artifacts"] {
        let Ok(entries) = fs::read_dir(fuzz.join(folder).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if path.is_file() && !hidden {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Runs `check` on every input of `target` under the fuzz workspace `fuzz`, and says which
/// input failed.
///
/// Where the fuzz workspace is absent (`fuzz/Cargo.toml`), as in a copy of the sources
/// without it, it says so and returns; where it is present, as in CI's checkout, fewer
/// than `minimum_seeds` inputs fail.
///
/// # Panics
///
/// When an input makes `check` panic, or the corpus is thinner than `minimum_seeds`.
pub fn replay(fuzz: &Path, target: &str, check: fn(&[u8]), minimum_seeds: usize) {
    if !fuzz.join("Cargo.toml").is_file() {
        eprintln!(
            "skipped: no fuzz workspace at {} (a copy of the sources without it); the \
             corpus of {target} is replayed from the repository",
            fuzz.display()
        );
        return;
    }
    let files = inputs(fuzz, target);
    assert!(
        files.len() >= minimum_seeds,
        "fuzz/corpus/{target} holds {} inputs, expected at least {minimum_seeds}",
        files.len()
    );
    for path in files {
        let data = fs::read(&path).expect("corpus file is readable");
        let outcome = std::panic::catch_unwind(|| check(&data));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{target} fails on {}:\n{message}", path.display());
        }
    }
}
