//! `completions`: a shell's completion script, generated from the command definition.

use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs};
use crate::failure::{write_stdout, Failure, OUTPUT};
use crate::EXIT_CLEAN;

/// Prints the completion script of `shell`.
pub(crate) fn completions(args: &CompletionsArgs) -> Result<u8, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "origin-policy",
        &mut script,
    );
    let text = String::from_utf8(script)
        .map_err(|_| Failure::new(OUTPUT, "the completion script is not UTF-8"))?;
    write_stdout(&fix_bash_case_labels(args.shell, text))?;
    Ok(EXIT_CLEAN)
}

/// clap_complete 4.6 names the bash functions of subcommands after the binary with `-`
/// made `__` (`origin__policy__subcmd__check`) but labels their `case` branches with every
/// `-` made `__subcmd__` (`origin__subcmd__policy__subcmd__check`), so for a binary named
/// with a `-` no subcommand's options complete. The labels are made to match the names
/// (`tests/completions.rs` completes `check --m` in bash).
fn fix_bash_case_labels(shell: clap_complete::Shell, script: String) -> String {
    if shell == clap_complete::Shell::Bash {
        script.replace("origin__subcmd__policy", "origin__policy")
    } else {
        script
    }
}
