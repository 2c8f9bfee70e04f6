//! The shipped example files: `examples/policy.toml` and `examples/policy.json` hold the
//! same policy, the policy guide (`docs/policy.md`) shows them as they are, and
//! `examples/origins.txt` gives the CLI guide's stdin example its origins.
#![cfg(feature = "policy-file")]

use origin_policy::policy_file::{self, Format};
use origin_policy::Mode;

const TOML: &str = include_str!("../examples/policy.toml");
const JSON: &str = include_str!("../examples/policy.json");
const ORIGINS: &str = include_str!("../examples/origins.txt");
const GUIDE: &str = include_str!("../docs/policy.md");

/// The body of the policy guide's first block fenced as ```LANG.
fn guide_block(lang: &str) -> String {
    let fence = format!("```{lang}\n");
    let start = GUIDE.find(&fence).expect("docs/policy.md has the block") + fence.len();
    let end = start + GUIDE[start..].find("```\n").expect("the block ends");
    GUIDE[start..end].to_owned()
}

#[test]
fn the_toml_and_json_examples_hold_the_same_policy() {
    let toml = policy_file::parse("examples/policy.toml", TOML, Format::Toml).expect("valid");
    let json = policy_file::parse("examples/policy.json", JSON, Format::Json).expect("valid");
    assert_eq!(toml, json);
    // Notes and options are part of the comparison, and there is something to compare.
    assert_eq!(toml.to_config(), json.to_config());
    assert!(!toml.rules(Mode::Live).is_empty() && !toml.rules(Mode::Test).is_empty());
    assert!(toml
        .rules(Mode::Live)
        .iter()
        .any(|rule| rule.note().is_some()));
}

#[test]
fn the_policy_guide_shows_the_example_files_as_they_are() {
    assert_eq!(guide_block("json"), JSON);
    // The TOML file after its header comment (the guide says so).
    let body_start = TOML
        .lines()
        .take_while(|line| line.starts_with('#') || line.trim().is_empty())
        .map(|line| line.len() + 1)
        .sum::<usize>();
    assert_eq!(guide_block("toml"), TOML[body_start..]);
}

#[test]
fn the_stdin_example_origins_ship() {
    let policy = policy_file::parse("examples/policy.toml", TOML, Format::Toml).expect("valid");
    let decisions: Vec<bool> = ORIGINS
        .lines()
        .map(|origin| policy.is_allowed(Mode::Live, origin))
        .collect();
    // The CLI guide's transcript: 4 allowed, 2 denied, in this order.
    assert_eq!(decisions, [true, true, true, false, true, false]);
}
