//! `completions` and `man`: a shell's completion script and the manual page, generated from
//! the command definition.

use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs, ManArgs};
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

/// Prints the manual page of `origin-policy`, or of `origin-policy-COMMAND`: the page the
/// top page's SUBCOMMANDS section refers to.
pub(crate) fn man(args: &ManArgs) -> Result<u8, Failure> {
    let top = Cli::command();
    let command = match &args.command {
        None => top,
        Some(name) => {
            let sub = top
                .find_subcommand(name)
                .ok_or_else(|| Failure::new(OUTPUT, "no such command"))?;
            let page = format!("origin-policy-{name}");
            sub.clone().bin_name(page.clone()).display_name(page)
        }
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .source(concat!("origin-policy ", env!("CARGO_PKG_VERSION")))
        .render(&mut page)
        .map_err(|_| Failure::new(OUTPUT, "cannot render the manual page"))?;
    let text = String::from_utf8(page)
        .map_err(|_| Failure::new(OUTPUT, "the manual page is not UTF-8"))?;
    write_stdout(&text)?;
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
