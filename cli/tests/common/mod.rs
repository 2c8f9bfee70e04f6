//! What the integration tests share: running the real binary, with or without stdin, and
//! the paths of the test data.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write;
use std::process::{Command, Stdio};
use std::thread;

pub const BIN: &str = env!("CARGO_BIN_EXE_origin-policy");

/// The shipped example policy (`examples/policy.toml`), and its JSON twin.
pub const EXAMPLE_POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/policy.toml");
pub const EXAMPLE_POLICY_JSON: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/policy.json");

/// The path of a file in `cli/tests/data/`.
pub fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn stdout_lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// Runs the binary with `args` and no stdin.
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    finish(output)
}

/// Runs the binary with `args`, writing `input` to its stdin and then closing it. The
/// input is written from another thread, so that a large output cannot block it.
pub fn run_with_stdin<I, S>(args: I, input: &[u8]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    let writer = thread::spawn(move || {
        // The binary may stop reading early (an error); a broken pipe is fine then.
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("the binary finishes");
    writer.join().expect("the writer thread ends");
    finish(output)
}

fn finish(output: std::process::Output) -> Run {
    Run {
        code: output.status.code().expect("exited with a status"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}
