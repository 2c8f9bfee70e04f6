//! The `origin-policy-server` binary: parses the command line and calls the library
//! ([`origin_policy_server::cli`]).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use origin_policy_server::cli::{self, Cli, Command};

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Serve(args) => cli::serve(args),
        Command::Db(args) => cli::db(args),
        Command::Man(args) => cli::man(args),
    }
}
