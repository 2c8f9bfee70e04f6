//! A [`PolicyConfig`] written back as a policy file's text, in the format the tenant's
//! policy is stored in. JSON through serde; TOML by hand, since it is two arrays and a
//! table of booleans: each string is written as a JSON string, which is also a valid TOML
//! basic string (the same escapes: `\"`, `\\`, `\n`, `\uXXXX`). Every text written is
//! loaded again before it is stored, so a mistake here is refused, never served.

use origin_policy::policy_file::Format;
use origin_policy::{EntryConfig, PolicyConfig};

/// The text of `config` in `format`.
pub fn to_text(config: &PolicyConfig, format: Format) -> String {
    match format {
        Format::Json => {
            // A struct of strings and booleans always serializes.
            let mut text = serde_json::to_string_pretty(config).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Toml => toml(config),
    }
}

fn toml(config: &PolicyConfig) -> String {
    let mut text = String::new();
    for (name, entries) in [("live", &config.live), ("test", &config.test)] {
        text.push_str(name);
        text.push_str(" = [");
        for entry in entries {
            text.push_str("\n  ");
            text.push_str(&toml_entry(entry));
            text.push(',');
        }
        if !entries.is_empty() {
            text.push('\n');
        }
        text.push_str("]\n");
    }
    if let Ok(serde_json::Value::Object(options)) = serde_json::to_value(config.options) {
        let set: Vec<_> = options
            .iter()
            .filter_map(|(key, value)| Some((key, value.as_bool()?)))
            .filter(|(_, on)| *on)
            .collect();
        if !set.is_empty() {
            text.push_str("\n[options]\n");
            for (key, on) in set {
                text.push_str(&format!("{key} = {on}\n"));
            }
        }
    }
    text
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn toml_entry(entry: &EntryConfig) -> String {
    match &entry.note {
        None => quoted(&entry.pattern),
        Some(note) => format!(
            "{{ pattern = {}, note = {} }}",
            quoted(&entry.pattern),
            quoted(note)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use origin_policy::policy_file::parse;
    use origin_policy::Mode;

    #[test]
    fn both_formats_load_back_to_the_same_policy() {
        let source = "live = [\"https://a.example\", { pattern = \"https://*.b.example\", note = \"quote \\\" back\\\\slash\\ttab é\" }]\ntest = []\n[options]\nimplicit_test_loopback = true\n";
        let policy = parse("p.toml", source, Format::Toml).unwrap();
        let config = policy.to_config();
        for format in [Format::Toml, Format::Json] {
            let text = to_text(&config, format);
            let again = parse("again", &text, format).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(again.to_config(), config, "{text}");
            assert!(again.is_allowed(Mode::Test, "http://localhost:1234"));
        }
        let empty = to_text(&PolicyConfig::default(), Format::Toml);
        assert_eq!(empty, "live = []\ntest = []\n");
    }
}
