//! Rows into policies: each stored policy is loaded by the one function that loads policy
//! files ([`policy_file::load`]), so a row is refused exactly when the same file would be.
//!
//! The builds are CPU work (linear in the size of each list, a second for 100,000
//! tenants), so callers run [`build_changes_with_limits`] in `spawn_blocking`.

use std::sync::Arc;

use origin_policy::store::{TenantUpdate, Version};

use crate::db::rows::{Change, StoredPolicy};
use crate::policy_file::{self, Limits, LoadError};

/// A change that did not build: the replica keeps what it had for the tenant.
#[derive(Debug)]
pub struct Refused {
    pub tenant: String,
    pub version: Version,
    pub error: Box<LoadError>,
}

/// What a set of changes became.
#[derive(Debug, Default)]
pub struct Built {
    /// The changes to apply: every deletion and every policy that built.
    pub updates: Vec<TenantUpdate<String>>,
    /// The policies that did not.
    pub refused: Vec<Refused>,
}

/// Loads one stored policy; the source name in errors is `TENANT (version N)`.
pub fn load(
    tenant: &str,
    version: Version,
    policy: &StoredPolicy,
) -> Result<origin_policy::Policy, LoadError> {
    load_with_limits(tenant, version, policy, Limits::default())
}

/// [`load`] within `limits`.
pub fn load_with_limits(
    tenant: &str,
    version: Version,
    policy: &StoredPolicy,
    limits: Limits,
) -> Result<origin_policy::Policy, LoadError> {
    let source = format!("{tenant} (version {version})");
    policy_file::load_with_limits(&source, &policy.text, policy.format, limits)
}

/// Builds every change within the default limits; a deletion needs no build.
#[cfg(test)]
pub fn build_changes(changes: Vec<Change>) -> Built {
    build_changes_with_limits(changes, Limits::default())
}

/// Builds every change within `limits`; a deletion needs no build.
pub fn build_changes_with_limits(changes: Vec<Change>, limits: Limits) -> Built {
    let mut built = Built {
        updates: Vec::with_capacity(changes.len()),
        refused: Vec::new(),
    };
    for change in changes {
        match build_one(change, limits) {
            Ok(update) => built.updates.push(update),
            Err(refused) => built.refused.push(refused),
        }
    }
    built
}

/// One change as an update of the store, or why its policy does not build.
pub fn build_one(change: Change, limits: Limits) -> Result<TenantUpdate<String>, Refused> {
    let Change {
        tenant,
        version,
        policy,
    } = change;
    let policy = match policy {
        None => None,
        Some(stored) => match load_with_limits(&tenant, version, &stored, limits) {
            Ok(policy) => Some(Arc::new(policy)),
            Err(error) => {
                return Err(Refused {
                    tenant,
                    version,
                    error: Box::new(error),
                })
            }
        },
    };
    Ok(TenantUpdate {
        key: tenant,
        version,
        policy,
    })
}

/// The first of `older` (a tenant's versions, newest first) that is a deletion or builds.
pub fn first_that_builds(older: Vec<Change>, limits: Limits) -> Option<TenantUpdate<String>> {
    older
        .into_iter()
        .find_map(|change| build_one(change, limits).ok())
}

#[cfg(test)]
mod tests {
    use origin_policy::Mode;

    use super::*;
    use crate::policy_file::Format;

    fn change(tenant: &str, version: Version, text: Option<&str>) -> Change {
        Change {
            tenant: tenant.to_owned(),
            version,
            policy: text.map(|text| StoredPolicy {
                text: text.to_owned(),
                format: Format::Toml,
            }),
        }
    }

    #[test]
    fn good_rows_and_deletions_become_updates_and_bad_rows_are_refused_with_their_errors() {
        let built = build_changes(vec![
            change("a", 3, Some("live = [\"https://a.example\"]")),
            change("b", 4, None),
            change(
                "c",
                5,
                Some("live = [\"http://c.example\", \"https://*.com\"]"),
            ),
        ]);
        assert_eq!(built.updates.len(), 2);
        let a = &built.updates[0];
        assert_eq!((a.key.as_str(), a.version), ("a", 3));
        assert!(a
            .policy
            .as_ref()
            .unwrap()
            .is_allowed(Mode::Live, "https://a.example"));
        assert_eq!(built.updates[1].key, "b");
        assert!(built.updates[1].policy.is_none());
        assert_eq!(built.refused.len(), 1);
        let refused = &built.refused[0];
        assert_eq!((refused.tenant.as_str(), refused.version), ("c", 5));
        let message = refused.error.to_string();
        assert!(
            message.contains("c (version 5):1:9: live[0]: HttpInLive"),
            "{message}"
        );
        assert!(
            message.contains("c (version 5):1:29: live[1]: PublicSuffixWildcard"),
            "{message}"
        );
    }

    #[test]
    fn a_policy_over_the_limits_is_refused_with_a_located_error_naming_the_limit() {
        let three = "live = [\"https://a.example\", \"https://b.example\", \"https://c.example\"]";
        let limits = Limits::default().with_max_entries_per_mode(2);
        let built = build_changes_with_limits(vec![change("t", 4, Some(three))], limits);
        assert!(built.updates.is_empty());
        let message = built.refused[0].error.to_string();
        assert!(message.starts_with("t (version 4):1:"), "{message}");
        assert!(message.contains("max_entries_per_mode"), "{message}");
        let limits = Limits::default().with_max_bytes(20);
        let built = build_changes_with_limits(vec![change("t", 5, Some(three))], limits);
        let message = built.refused[0].error.to_string();
        assert!(message.contains("max_bytes"), "{message}");
        // Within the limits it builds.
        let built = build_changes_with_limits(vec![change("t", 6, Some(three))], Limits::default());
        assert_eq!(built.updates.len(), 1);
    }

    #[test]
    fn the_fallback_is_the_newest_older_version_that_builds_or_deletes() {
        let older = vec![
            change("t", 9, Some("live = [")),
            change("t", 7, Some("live = [\"https://seven.example\"]")),
            change("t", 5, Some("live = [\"https://five.example\"]")),
        ];
        let update = first_that_builds(older, Limits::default()).unwrap();
        assert_eq!(update.version, 7);
        let deleted = first_that_builds(
            vec![change("t", 9, Some("x")), change("t", 8, None)],
            Limits::default(),
        );
        assert!(deleted.is_some_and(|u| u.version == 8 && u.policy.is_none()));
        assert!(
            first_that_builds(vec![change("t", 2, Some("live = 1"))], Limits::default()).is_none()
        );
    }
}
