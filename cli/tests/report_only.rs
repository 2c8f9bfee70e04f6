//! A report-only mode (`[options] report_only = ["live"]`): `check` and `explain` say so
//! when they decide in it, and `lint` warns about it.

mod common;

use common::{data, run};

const NOTE: &str = "note: live mode is report-only (options.report_only): the gate lets a \
                    denied origin through and reports it as would_deny";

#[test]
fn check_and_explain_say_when_the_mode_is_report_only() {
    let policy = data("report_only.toml");
    for command in ["check", "explain"] {
        let live = run([
            command,
            "--policy",
            &policy,
            "--mode",
            "live",
            "https://evil.example",
        ]);
        // The decision itself is the policy's: denied.
        assert_eq!(live.code, 1, "{command}: {}", live.stderr);
        assert!(live.stderr.contains(NOTE), "{command}: {}", live.stderr);
        let test = run([
            command,
            "--policy",
            &policy,
            "--mode",
            "test",
            "https://evil.example",
        ]);
        assert_eq!(test.code, 1, "{command}: {}", test.stderr);
        assert!(
            !test.stderr.contains("report-only"),
            "{command}: {}",
            test.stderr
        );
    }
}

#[test]
fn lint_warns_about_a_report_only_mode() {
    let lint = run(["lint", "--policy", &data("report_only.toml")]);
    let output = format!("{}{}", lint.stdout, lint.stderr);
    assert!(
        output.contains("live mode is report-only: requests it would deny pass"),
        "{output}"
    );
    let json = run(["lint", "--json", "--policy", &data("report_only.toml")]);
    assert!(
        json.stdout.contains("\"kind\":\"ReportOnly\""),
        "{}",
        json.stdout
    );
}
