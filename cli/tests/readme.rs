//! The README's CLI section says what the binary does: its usage lines are clap's, and each
//! `$ origin-policy ...` transcript is what the binary prints, run from the repository's
//! root.

mod common;

use std::process::{Command, Stdio};

use common::{run, BIN};

const README: &str = include_str!("../../README.md");

/// The README's ```text blocks, each as its lines.
fn text_blocks() -> Vec<Vec<&'static str>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in README.lines() {
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
    let synopsis = text_blocks()
        .into_iter()
        .find(|block| {
            block
                .first()
                .is_some_and(|l| l.starts_with("origin-policy check "))
        })
        .expect("the README has a usage block");
    let usage: Vec<String> = ["check", "explain", "lint", "completions"]
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
    for block in text_blocks() {
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
        assert_eq!(printed, block[1..], "README: $ origin-policy {command}");
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} transcripts found");
}
