//! Versioned swaps: what a change feed (a database's notifications, a message bus) needs
//! when its deliveries can arrive late, twice or out of order.

use std::hash::Hash;
use std::sync::Arc;

use super::{Held, PolicyStore, State};
use crate::policy::Policy;

/// The version of a tenant's policy, as its source of truth numbers them: a later write
/// has a greater version (a database sequence, a commit counter).
pub type Version = u64;

/// What a versioned write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a stale delivery was ignored; callers usually count or log it"]
pub enum VersionedSwap {
    /// The write was newer than what the store held and took effect. `previous` is the
    /// version it replaced, `None` when the tenant had no version (unknown, or set by an
    /// unversioned method).
    Applied {
        /// The version the tenant had before.
        previous: Option<Version>,
    },
    /// The store already held this version or a newer one; nothing changed.
    Stale {
        /// The version the tenant keeps.
        held: Version,
    },
}

impl VersionedSwap {
    /// Whether the write took effect.
    pub fn is_applied(self) -> bool {
        matches!(self, VersionedSwap::Applied { .. })
    }
}

/// One change of a batch: what tenant `key` becomes at `version`.
#[derive(Debug, Clone)]
pub struct TenantUpdate<K> {
    /// The tenant.
    pub key: K,
    /// The version of this change.
    pub version: Version,
    /// The tenant's policy from this version on, or `None` when the tenant was deleted at
    /// this version.
    pub policy: Option<Arc<Policy>>,
}

/// How many changes of a batch took effect and how many were stale.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Changes newer than what the store held, now visible.
    pub applied: usize,
    /// Changes at or below the version held, ignored.
    pub stale: usize,
}

/// The one rule of every versioned write: a change takes effect only when it is newer
/// than the version the tenant holds. A tenant without a version accepts any versioned
/// change.
fn apply<K: Hash + Eq + Clone>(state: &mut State<K>, update: TenantUpdate<K>) -> VersionedSwap {
    let previous = state.versions.get(&update.key).copied();
    if let Some(held) = previous.filter(|&held| held >= update.version) {
        return VersionedSwap::Stale { held };
    }
    match update.policy {
        Some(policy) => state
            .policies
            .insert_mut(update.key.clone(), Held::from(policy)),
        None => {
            state.policies.remove_mut(&update.key);
        }
    }
    state.versions.insert_mut(update.key, update.version);
    VersionedSwap::Applied { previous }
}

impl<K> PolicyStore<K>
where
    K: Hash + Eq + Clone,
{
    /// Sets the policy of `key` to `policy` at `version`, only if `version` is newer than
    /// the version the tenant holds, so that a duplicated or out-of-order delivery never
    /// rolls a tenant back.
    ///
    /// ```
    /// use origin_policy::{Mode, Policy};
    /// use origin_policy::store::{PolicyStore, VersionedSwap};
    ///
    /// let v1 = Policy::builder().allow(Mode::Live, "https://one.example").build()?;
    /// let v2 = Policy::builder().allow(Mode::Live, "https://two.example").build()?;
    /// let store = PolicyStore::new();
    ///
    /// assert!(store.insert_if_newer("acme".to_owned(), 2, v2).is_applied());
    /// // Version 1 arrives late: ignored.
    /// assert_eq!(
    ///     store.insert_if_newer("acme".to_owned(), 1, v1),
    ///     VersionedSwap::Stale { held: 2 }
    /// );
    /// assert_eq!(store.version("acme"), Some(2));
    /// assert_eq!(store.is_allowed("acme", Mode::Live, "https://two.example"), Some(true));
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn insert_if_newer(
        &self,
        key: K,
        version: Version,
        policy: impl Into<Arc<Policy>>,
    ) -> VersionedSwap {
        let update = TenantUpdate {
            key,
            version,
            policy: Some(policy.into()),
        };
        self.write(|state| apply(state, update))
    }

    /// Removes the tenant at `version`, only if `version` is newer than the one it holds.
    /// The version is remembered, so a late delivery of an older policy does not bring the
    /// tenant back; an unversioned [`insert`](Self::insert) or [`remove`](Self::remove)
    /// forgets it.
    pub fn remove_if_newer(&self, key: K, version: Version) -> VersionedSwap {
        let update = TenantUpdate {
            key,
            version,
            policy: None,
        };
        self.write(|state| apply(state, update))
    }

    /// Applies every change of `updates` in one atomic step: readers see the store before
    /// the batch or after all of it, never part of it. Each change follows the rule of
    /// [`insert_if_newer`](Self::insert_if_newer), in order, so a batch may hold several
    /// versions of one tenant. Costs time linear in the batch's length.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use origin_policy::{Mode, Policy};
    /// use origin_policy::store::{BatchReport, PolicyStore, TenantUpdate};
    ///
    /// let policy = Arc::new(Policy::builder().allow(Mode::Live, "https://a.example").build()?);
    /// let store = PolicyStore::new();
    /// let report = store.apply_batch([
    ///     TenantUpdate { key: "a".to_owned(), version: 7, policy: Some(policy.clone()) },
    ///     TenantUpdate { key: "b".to_owned(), version: 3, policy: Some(policy.clone()) },
    ///     TenantUpdate { key: "a".to_owned(), version: 5, policy: None },
    /// ]);
    /// assert_eq!(report, BatchReport { applied: 2, stale: 1 });
    /// assert_eq!((store.version("a"), store.version("b")), (Some(7), Some(3)));
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn apply_batch(&self, updates: impl IntoIterator<Item = TenantUpdate<K>>) -> BatchReport {
        self.write(|state| {
            let mut report = BatchReport::default();
            for update in updates {
                match apply(state, update) {
                    VersionedSwap::Applied { .. } => report.applied += 1,
                    VersionedSwap::Stale { .. } => report.stale += 1,
                }
            }
            report
        })
    }

    /// Replaces every versioned tenant in one atomic step, for a feed whose numbering
    /// restarted (a database restored from an older dump, a failover to a standby that
    /// missed the last commits): each change of `updates` takes effect whatever version the
    /// tenant held, and every tenant holding a version (a removal's included) that
    /// `updates` does not name is removed, version and all. Tenants without a version
    /// (set by the unversioned methods, from another source) are kept unless named.
    /// Readers see the store before or after, never a mix. Costs time linear in the number
    /// of versioned tenants and changes.
    ///
    /// ```
    /// use origin_policy::store::{PolicyStore, TenantUpdate};
    /// use origin_policy::{Mode, Policy};
    ///
    /// let policy = |host: &str| Policy::builder().allow(Mode::Live, host).build();
    /// let store = PolicyStore::new();
    /// assert!(store.insert_if_newer("a".to_owned(), 14, policy("https://old.example")?).is_applied());
    /// assert!(store.remove_if_newer("b".to_owned(), 15).is_applied());
    /// store.insert("file".to_owned(), policy("https://file.example")?);
    ///
    /// // The database was restored: `a` is at version 14 again, with other content.
    /// store.replace_versioned([TenantUpdate {
    ///     key: "a".to_owned(),
    ///     version: 14,
    ///     policy: Some(policy("https://new.example")?.into()),
    /// }]);
    /// assert_eq!(store.is_allowed("a", Mode::Live, "https://new.example"), Some(true));
    /// assert_eq!(store.version("b"), None);
    /// assert!(store.contains_key("file"));
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn replace_versioned(&self, updates: impl IntoIterator<Item = TenantUpdate<K>>) {
        let updates: Vec<TenantUpdate<K>> = updates.into_iter().collect();
        self.write(|state| {
            let named: std::collections::HashSet<&K> =
                updates.iter().map(|update| &update.key).collect();
            let gone: Vec<K> = state
                .versions
                .keys()
                .filter(|key| !named.contains(key))
                .cloned()
                .collect();
            for key in &gone {
                state.policies.remove_mut(key);
                state.versions.remove_mut(key);
            }
            drop(named);
            for update in updates {
                state.versions.remove_mut(&update.key);
                let _applied = apply(state, update);
            }
        });
    }
}

impl<K> PolicyStore<K>
where
    K: Hash + Eq,
{
    /// The version last applied to `key` by a versioned write, including a versioned
    /// removal; `None` when the tenant has none.
    pub fn version<Q>(&self, key: &Q) -> Option<Version>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.current.load().versions.get(key).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mode::Mode;

    fn policy(pattern: &str) -> Arc<Policy> {
        Arc::new(
            Policy::builder()
                .allow(Mode::Live, pattern)
                .build()
                .unwrap(),
        )
    }

    #[test]
    fn duplicates_and_late_deliveries_never_roll_back() {
        let store = PolicyStore::<String>::new();
        let v = |n: u64| policy(&format!("https://v{n}.example"));
        assert_eq!(
            store.insert_if_newer("t".into(), 3, v(3)),
            VersionedSwap::Applied { previous: None }
        );
        assert_eq!(
            store.insert_if_newer("t".into(), 3, v(3)),
            VersionedSwap::Stale { held: 3 }
        );
        assert_eq!(
            store.insert_if_newer("t".into(), 2, v(2)),
            VersionedSwap::Stale { held: 3 }
        );
        assert_eq!(
            store.insert_if_newer("t".into(), 4, v(4)),
            VersionedSwap::Applied { previous: Some(3) }
        );
        assert_eq!(
            store.is_allowed("t", Mode::Live, "https://v4.example"),
            Some(true)
        );
        assert_eq!(
            store.is_allowed("t", Mode::Live, "https://v3.example"),
            Some(false)
        );
    }

    #[test]
    fn a_versioned_removal_is_remembered() {
        let store = PolicyStore::<String>::new();
        assert!(store
            .insert_if_newer("t".into(), 1, policy("https://a.example"))
            .is_applied());
        assert!(store.remove_if_newer("t".into(), 2).is_applied());
        assert!(!store.contains_key("t"));
        assert_eq!(store.len(), 0);
        assert_eq!(store.version("t"), Some(2));
        // The policy of version 1, delivered again, stays out.
        assert_eq!(
            store.insert_if_newer("t".into(), 1, policy("https://a.example")),
            VersionedSwap::Stale { held: 2 }
        );
        assert!(!store.contains_key("t"));
        // An unversioned removal forgets the version.
        assert!(store.remove("t").is_none());
        assert_eq!(store.version("t"), None);
    }

    #[test]
    fn unversioned_writes_clear_the_version() {
        let store = PolicyStore::<String>::new();
        assert!(store
            .insert_if_newer("t".into(), 9, policy("https://a.example"))
            .is_applied());
        store.insert("t".into(), policy("https://b.example"));
        assert_eq!(store.version("t"), None);
        assert_eq!(
            store.insert_if_newer("t".into(), 1, policy("https://c.example")),
            VersionedSwap::Applied { previous: None }
        );
        store.replace_all([("u".to_owned(), policy("https://u.example"))]);
        assert_eq!(store.version("t"), None);
        assert!(!store.contains_key("t"));
    }

    #[test]
    fn a_replacement_takes_lower_versions_and_drops_the_versioned_tenants_it_omits() {
        let store = PolicyStore::<String>::new();
        let v = |n: u64| policy(&format!("https://v{n}.example"));
        assert!(store.insert_if_newer("a".into(), 14, v(14)).is_applied());
        assert!(store.insert_if_newer("gone".into(), 12, v(12)).is_applied());
        assert!(store.remove_if_newer("deleted".into(), 15).is_applied());
        store.insert("file".into(), v(1));
        let update = |key: &str, version, policy| TenantUpdate {
            key: key.to_owned(),
            version,
            policy,
        };
        store.replace_versioned([
            update("a", 13, Some(v(99))),
            update("deleted", 9, Some(v(9))),
            update("new", 3, None),
        ]);
        assert_eq!(store.version("a"), Some(13));
        assert_eq!(
            store.is_allowed("a", Mode::Live, "https://v99.example"),
            Some(true)
        );
        assert_eq!(store.version("deleted"), Some(9));
        assert!(store.contains_key("deleted"));
        assert_eq!(
            (store.version("gone"), store.contains_key("gone")),
            (None, false)
        );
        assert_eq!(
            (store.version("new"), store.contains_key("new")),
            (Some(3), false)
        );
        assert_eq!(
            (store.version("file"), store.contains_key("file")),
            (None, true)
        );
        // After it, the ordinary rule again.
        assert!(!store.insert_if_newer("a".into(), 12, v(12)).is_applied());
    }

    #[test]
    fn a_batch_applies_in_order_with_the_same_rule() {
        let store = PolicyStore::<String>::new();
        assert!(store
            .insert_if_newer("a".into(), 10, policy("https://a10.example"))
            .is_applied());
        let report = store.apply_batch([
            TenantUpdate {
                key: "a".into(),
                version: 9,
                policy: Some(policy("https://a9.example")),
            },
            TenantUpdate {
                key: "b".into(),
                version: 1,
                policy: Some(policy("https://b1.example")),
            },
            TenantUpdate {
                key: "b".into(),
                version: 2,
                policy: None,
            },
            TenantUpdate {
                key: "c".into(),
                version: 5,
                policy: Some(policy("https://c5.example")),
            },
        ]);
        assert_eq!(
            report,
            BatchReport {
                applied: 3,
                stale: 1
            }
        );
        assert_eq!(
            store.is_allowed("a", Mode::Live, "https://a10.example"),
            Some(true)
        );
        assert!(!store.contains_key("b"));
        assert_eq!(store.version("b"), Some(2));
        assert_eq!(store.version("c"), Some(5));
    }
}
