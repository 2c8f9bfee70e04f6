//! The crate docs name repository files (`spec-table.md`, source files, the fuzz targets)
//! by links that resolve both on docs.rs and in a local `cargo doc`: absolute URLs under the
//! repository of `Cargo.toml`, to files that exist. A path in backticks without a link would
//! be plain text on docs.rs, and an intra-doc link to another crate's item is plain text in
//! `cargo doc --no-deps`. (Not shipped: it reads `fuzz/`, which the package leaves out.)

use std::path::Path;

const LIB: &str = include_str!("../src/lib.rs");
const MANIFEST: &str = include_str!("../Cargo.toml");

fn repository() -> &'static str {
    MANIFEST
        .lines()
        .find_map(|line| line.strip_prefix("repository = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("Cargo.toml names its repository")
}

/// The crate docs' text: its `//!` lines.
fn crate_docs() -> Vec<&'static str> {
    LIB.lines()
        .filter_map(|line| line.trim_start().strip_prefix("//!"))
        .collect()
}

#[test]
fn crate_docs_link_repository_files_by_the_repository_url() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repository = repository();
    let mut linked = 0;
    for line in crate_docs() {
        // Reference definitions: [`PATH`]: URL.
        let definition = line
            .trim()
            .strip_prefix("[`")
            .and_then(|rest| rest.split_once("`]: "))
            .filter(|(path, url)| !path.contains(['`', ' ']) && !url.contains(' '));
        if let Some((path, url)) = definition {
            let label = path;
            let expected = [
                format!("{repository}/blob/main/{path}"),
                format!("{repository}/tree/main/{}", path.trim_end_matches('/')),
            ];
            assert!(expected.contains(&url.to_owned()), "{label}: {url}");
            assert!(root.join(path).exists(), "{path} does not exist");
            linked += 1;
            continue;
        }
        // Elsewhere a repository path in backticks is a link: `[`path`]`, never bare.
        for (at, _) in line.match_indices('`') {
            let rest = &line[at + 1..];
            let Some(end) = rest.find('`') else { break };
            let span = &rest[..end];
            let is_path = span.ends_with(".md") && !span.contains(' ')
                || span.ends_with(".rs") && span.contains('/')
                || span == "fuzz/";
            if is_path {
                assert!(
                    line[..at].ends_with('[') && rest[end + 1..].starts_with(']'),
                    "a bare path in the crate docs: {span} in {line:?}"
                );
            }
        }
    }
    assert!(linked >= 4, "only {linked} repository links");
}

#[test]
fn the_layers_link_tower_s_layer_by_url() {
    for (name, source) in [
        ("layer.rs", include_str!("../src/middleware/layer.rs")),
        (
            "frame_ancestors.rs",
            include_str!("../src/middleware/frame_ancestors.rs"),
        ),
    ] {
        assert!(!source.contains("[`tower_layer::Layer`]"), "{name}");
        assert!(
            source.contains(
                "/// [`Layer`]: https://docs.rs/tower-layer/0.3/tower_layer/trait.Layer.html"
            ),
            "{name}"
        );
    }
}
