//! Tells the unit tests whether the repository's test kit is beside the crate. The
//! published crate ships without it (`origin-policy-testkit` is a path-only
//! dev-dependency, which `cargo package` drops), so the unit tests that use it, the
//! counted-work tests of the worst list shapes, compile only in the repository.
#![forbid(unsafe_code)]

fn main() {
    println!("cargo::rustc-check-cfg=cfg(origin_policy_testkit)");
    // Whether the kit is there does not change for a checkout: no rerun but for this file.
    println!("cargo::rerun-if-changed=build.rs");
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let kit = std::path::Path::new(&manifest_dir).join("testkit/Cargo.toml");
    if kit.is_file() {
        println!("cargo::rustc-cfg=origin_policy_testkit");
    }
}
