//! Replays every input the fuzz campaigns kept (`fuzz/corpus/<target>/`) and every crash
//! they found (`fuzz/artifacts/<target>/`) through the same checks the targets run, so
//! that each stays a regression test without cargo-fuzz or a nightly toolchain.
//!
//! The corpus lives in the repository only (the published crate ships neither `fuzz/` nor
//! this file, which needs the unpublished test kit). Where the fuzz workspace is absent
//! (`fuzz/Cargo.toml`), as in a copy of the sources without it, each replay says so and
//! skips; where it is present, as in CI's checkout, a missing or thin corpus fails.

use std::fs;
use std::path::{Path, PathBuf};

use origin_policy_testkit::fuzz_checks;

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for folder in ["corpus", "artifacts"] {
        let Ok(entries) = fs::read_dir(root.join(folder).join(target)) else {
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

/// Whether the fuzz workspace is here: then its corpus must be too.
fn fuzz_workspace_present() -> bool {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/Cargo.toml")
        .is_file()
}

/// Runs `check` on every input of `target`, and says which input failed.
fn replay(target: &str, check: fn(&[u8]), minimum_seeds: usize) {
    if !fuzz_workspace_present() {
        eprintln!(
            "skipped: no fuzz workspace at {}/fuzz (a copy of the sources without it); the \
             corpus of {target} is replayed from the repository",
            env!("CARGO_MANIFEST_DIR")
        );
        return;
    }
    let files = inputs(target);
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

#[test]
fn parse_pattern_corpus() {
    replay("parse_pattern", fuzz_checks::parse_pattern, 200);
}

#[test]
fn check_origin_corpus() {
    replay("check_origin", fuzz_checks::check_origin, 150);
}

#[test]
fn differential_corpus() {
    replay("differential", fuzz_checks::differential, 40);
}

#[test]
fn build_policy_corpus() {
    replay(
        "build_policy",
        |data| {
            fuzz_checks::build_policy(data);
            origin_policy_testkit::shapes::fuzz(data);
        },
        40,
    );
}

/// The worst shapes of the `build_policy` target at a few sizes each, whatever the corpus.
#[test]
fn build_policy_worst_shapes() {
    for which in 0..6u8 {
        for (high, low) in [(0, 0), (0, 1), (1, 0xff), (2, 0x57)] {
            origin_policy_testkit::shapes::fuzz(&[which, high, low]);
            origin_policy_testkit::shapes::fuzz(&[which, high, low, b'h', b't', b't', b'p']);
        }
    }
}

#[cfg(feature = "tower")]
#[test]
fn request_corpus() {
    replay("request", fuzz_checks::request, 30);
}
