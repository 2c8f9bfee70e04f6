//! The `build_policy` target: one entry per line.

use origin_policy::{DenyReason, Mode, Policy};

use super::{assert_agrees_with_reference, text_of};

/// `build_policy`: one entry per line, `test ` in front for test mode (live otherwise).
/// Building never panics; every entry is either a rule or an error, each error names a
/// distinct entry, and every rule allows an origin made from its own text, by the same
/// decision as the reference matcher.
pub fn build_policy(data: &[u8]) {
    let Some(text) = text_of(data) else { return };
    let mut builder = Policy::builder();
    let mut counts = [0usize; 2];
    for line in text.lines().take(64) {
        let (mode, pattern) = match line.strip_prefix("test ") {
            Some(pattern) => (Mode::Test, pattern),
            None => (Mode::Live, line),
        };
        counts[usize::from(mode == Mode::Test)] += 1;
        builder.allow(mode, pattern);
    }
    let policy = match builder.build() {
        Ok(policy) => policy,
        Err(err) => {
            let mut seen = Vec::new();
            for entry in err.entries() {
                let count = counts[usize::from(entry.mode == Mode::Test)];
                assert!(entry.index < count, "error index out of range: {entry}");
                assert!(
                    !seen.contains(&(entry.mode, entry.index)),
                    "duplicate {entry}"
                );
                seen.push((entry.mode, entry.index));
            }
            let _ = err.to_string();
            return;
        }
    };
    for mode in Mode::ALL {
        let rules = policy.rules(mode);
        assert_eq!(rules.len(), counts[usize::from(mode == Mode::Test)]);
        for rule in rules {
            // The rule's own text, with a port for `:*` and a label character for the
            // host's `*` (a whole label, `*.x`, or inside one, `pr-*.x`).
            let origin = rule.as_str().replace(":*", ":1").replacen('*', "a", 1);
            let decision = policy.check(mode, &origin);
            // Unless the filled-in host lands under a deeper public suffix
            // (`s3-*.amazonaws.com` as `s3-a.amazonaws.com` could be one).
            let beyond_suffix = decision.deny_reason() == Some(DenyReason::PublicSuffixBoundary);
            assert!(
                decision.is_allowed() || beyond_suffix,
                "rule {rule} does not allow {origin:?}: {decision}"
            );
            assert_agrees_with_reference(&policy, mode, &origin);
        }
    }
}
