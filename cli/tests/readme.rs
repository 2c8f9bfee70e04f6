//! The CLI guide (`docs/cli.md`) says what the binary does: its usage lines are clap's, and
//! each `$ origin-policy ...` transcript is what the binary prints, run from the repository's
//! root. The README's first command prints what the README shows, and the policy guide's
//! error examples are what the binary prints for the files they name.

mod common;

use std::process::{Command, Stdio};

use common::{run, BIN};

const GUIDE: &str = include_str!("../../docs/cli.md");
const POLICY_GUIDE: &str = include_str!("../../docs/policy.md");
const README: &str = include_str!("../../README.md");

/// The ```text blocks of a document, each as its lines.
fn text_blocks(document: &'static str) -> Vec<Vec<&'static str>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in document.lines() {
        match (&mut current, line) {
            (None, "```text") => current = Some(Vec::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), line) => block.push(line),
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_usage_lines_are_clap_s() {
    let synopsis = text_blocks(GUIDE)
        .into_iter()
        .find(|block| {
            block
                .first()
                .is_some_and(|l| l.starts_with("origin-policy check "))
        })
        .expect("docs/cli.md has a usage block");
    let usage: Vec<String> = ["check", "explain", "lint", "validate", "completions"]
        .iter()
        .map(|command| {
            let help = run([command, "--help"]);
            let line = help.stdout.lines().find_map(|l| l.strip_prefix("Usage: "));
            line.expect("a usage line").to_owned()
        })
        .collect();
    assert_eq!(synopsis, usage);
}

#[test]
fn every_transcript_is_what_the_binary_prints() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut checked = 0;
    for block in text_blocks(GUIDE) {
        let Some(command) = block
            .first()
            .and_then(|l| l.strip_prefix("$ origin-policy "))
        else {
            continue;
        };
        let (command, stdin) = match command.split_once(" < ") {
            Some((command, file)) => (command, Some(file)),
            None => (command, None),
        };
        let mut child = Command::new(BIN);
        child
            .args(command.split(' '))
            .current_dir(root)
            .stdin(Stdio::null());
        if let Some(file) = stdin {
            let file = std::fs::File::open(format!("{root}/{file}")).expect("the stdin file ships");
            child.stdin(file);
        }
        let output = child.output().expect("the binary runs");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let printed: Vec<&str> = printed.lines().collect();
        assert_eq!(
            printed,
            block[1..],
            "docs/cli.md: $ origin-policy {command}"
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} transcripts found");
}

#[test]
fn the_readme_command_prints_what_the_readme_shows() {
    // The first of the README's two commands, which must work as written on a fresh
    // clone (`.ci/run` runs it too).
    let command = "cargo run -p origin-policy-cli -- check --policy examples/policy.toml \
                   --mode live https://docs.berbix.com https://evil.example";
    assert!(
        README.contains(&format!("```sh\n{command}\n```")),
        "the README's first command changed: {command}"
    );
    // Building everything up front is offered as a choice after the two commands, with
    // the feature set of the test command, never as a step before them.
    let build = "cargo test --workspace --all-features --no-run";
    let at = |text: &str| README.find(&format!("```sh\n{text}\n```"));
    let tests = "cargo test --workspace --all-features";
    assert!(
        at(build).is_some_and(|build| at(tests).is_some_and(|tests| tests < build)),
        "the README offers `{build}` after its two commands"
    );
    let shown = text_blocks(README)
        .into_iter()
        .next()
        .expect("the README shows the command's output");
    let output = run([
        "check",
        "--policy",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/policy.toml"),
        "--mode",
        "live",
        "https://docs.berbix.com",
        "https://evil.example",
    ]);
    assert_eq!(output.stdout.lines().collect::<Vec<_>>(), shown);
    assert_eq!(output.code, 1);
}

/// The policy guide's error examples are transcripts: the command the block starts with
/// (`$ origin-policy lint --policy cli/tests/data/NAME`, run from the repository's root)
/// prints the rest of the block, and every block that shows a test data file's error is one.
#[test]
fn the_policy_guide_s_error_examples_are_what_the_binary_prints() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut checked = 0;
    for block in text_blocks(POLICY_GUIDE) {
        if !block.iter().any(|line| line.contains("cli/tests/data/")) {
            continue;
        }
        let (command, block) = block.split_first().expect("a block with a line");
        let file = command
            .strip_prefix("$ origin-policy lint --policy cli/tests/data/")
            .unwrap_or_else(|| panic!("docs/policy.md: the block shows no command: {command}"));
        let file = format!("cli/tests/data/{file}");
        // The output names the file the command reads.
        assert!(
            block[0].contains(&file) || block[1].contains(&file),
            "{file}"
        );
        let output = Command::new(BIN)
            .args(["lint", "--policy", &file])
            .current_dir(root)
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        let printed = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            printed.lines().collect::<Vec<_>>(),
            block,
            "docs/policy.md: origin-policy lint --policy {file}"
        );
        assert_eq!(output.status.code(), Some(2), "{file}");
        checked += 1;
    }
    assert_eq!(checked, 2, "the policy guide shows two error examples");
}
