//! `origin-policy completions SHELL`: a script that the shell loads, and that completes the
//! subcommands.

mod common;

use std::process::Command;

use common::run;

#[test]
fn the_bash_script_loads_in_bash_and_completes_the_subcommands() {
    let script = run(["completions", "bash"]);
    assert_eq!(script.code, 0, "{}", script.stderr);
    let dir =
        std::env::temp_dir().join(format!("origin-policy-completions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("origin-policy.bash");
    std::fs::write(&file, &script.stdout).expect("the script is written");
    // Load it, check that it registered, and ask it what follows `origin-policy ` and
    // `origin-policy check --mo`.
    let probe = r#"set -e
source "$1"
spec=$(complete -p origin-policy)
echo "$spec"
function=${spec##*-F }
function=${function%% *}
COMP_WORDS=(origin-policy ""); COMP_CWORD=1; COMP_LINE="origin-policy "; COMP_POINT=${#COMP_LINE}
"$function" origin-policy "" origin-policy
echo "top: ${COMPREPLY[*]}"
COMP_WORDS=(origin-policy check --mo); COMP_CWORD=2; COMP_LINE="origin-policy check --mo"; COMP_POINT=${#COMP_LINE}
"$function" origin-policy --mo check
echo "check: ${COMPREPLY[*]}"
"#;
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", probe, "probe"])
        .arg(&file)
        .output()
        .expect("bash runs");
    std::fs::remove_dir_all(&dir).expect("the temp dir is removed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .lines()
            .next()
            .is_some_and(|l| l.starts_with("complete ") && l.ends_with(" origin-policy")),
        "{stdout}"
    );
    let top = stdout
        .lines()
        .find_map(|l| l.strip_prefix("top: "))
        .unwrap_or_default();
    for command in ["check", "explain", "lint", "validate", "completions"] {
        assert!(
            top.split(' ').any(|word| word == command),
            "{command}: {stdout}"
        );
    }
    let check = stdout
        .lines()
        .find_map(|l| l.strip_prefix("check: "))
        .unwrap_or_default();
    assert_eq!(check, "--mode", "{stdout}");
}

#[test]
fn every_shell_gets_a_script_and_an_unknown_one_is_a_usage_error() {
    for (shell, needle) in [
        ("zsh", "#compdef origin-policy"),
        ("fish", "complete -c origin-policy"),
        ("elvish", "origin-policy"),
        ("powershell", "origin-policy"),
    ] {
        let script = run(["completions", shell]);
        assert_eq!(script.code, 0, "{shell}");
        assert!(script.stdout.contains(needle), "{shell}");
    }
    let run = run(["completions", "tcsh"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("invalid value 'tcsh'"),
        "{}",
        run.stderr
    );
}

/// `man` prints origin-policy(1), and `man COMMAND` the origin-policy-COMMAND(1) page that
/// its SUBCOMMANDS section names, each with the command's options and the text after its
/// `--help` (the output format and exit status).
#[test]
fn man_prints_a_page_for_the_binary_and_for_each_command() {
    let top = run(["man"]);
    assert_eq!((top.code, top.stderr.as_str()), (0, ""));
    assert!(
        top.stdout
            .contains("\n.TH origin-policy 1  \"origin-policy 0.1.0\""),
        "{}",
        top.stdout
    );
    for section in ["NAME", "SYNOPSIS", "OPTIONS", "SUBCOMMANDS"] {
        assert!(
            top.stdout.contains(&format!("\n.SH {section}\n")),
            "{section}"
        );
    }
    // The subcommands the page names (all but clap's `help`), each with a page of its own.
    let named: Vec<&str> = top
        .stdout
        .lines()
        .filter_map(|line| line.strip_prefix("origin\\-policy\\-"))
        .filter_map(|line| line.strip_suffix("(1)"))
        .filter(|name| *name != "help")
        .collect();
    assert_eq!(
        named,
        ["check", "explain", "lint", "validate", "completions", "man"]
    );
    for name in named {
        let page = run(["man", name]);
        assert_eq!((page.code, page.stderr.as_str()), (0, ""), "{name}");
        assert!(
            page.stdout.contains(&format!(
                "\n.TH origin-policy-{name} 1  \"origin-policy 0.1.0\""
            )),
            "{name}: {}",
            page.stdout
        );
        // The command's options and its `--help` summary are on its page.
        assert!(
            page.stdout.contains("\\fB\\-h\\fR, \\fB\\-\\-help\\fR"),
            "{name}"
        );
        let help = run([name, "--help"]);
        let about = help.stdout.lines().next().expect("a summary line");
        let about = about
            .trim_end_matches('.')
            .replace('-', "\\-")
            .replace('\'', "\\*(Aq");
        assert!(page.stdout.contains(&about), "{name}: {about}");
    }
    let check = run(["man", "check"]).stdout;
    assert!(check.contains("Exit status:"), "{check}");
    let unknown = run(["man", "serve"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("invalid value 'serve'"),
        "{}",
        unknown.stderr
    );
}
