//! [`StoreSnapshot`]: one version of a [`PolicyStore`], for reads that must agree with each
//! other.

use std::borrow::Borrow;
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use super::{PolicyStore, State, Version};
use crate::policy::Policy;

/// One published version of a [`PolicyStore`]: every read through it sees the same
/// tenants and versions, whatever writers do meanwhile. A convergence check ("is every
/// tenant at the version of the database?") or a listing reads one.
///
/// Holding a snapshot keeps that version's policies alive; take one per task, not forever.
pub struct StoreSnapshot<K> {
    state: Arc<State<K>>,
}

impl<K> PolicyStore<K>
where
    K: Hash + Eq,
{
    /// The current version of the whole store.
    pub fn snapshot(&self) -> StoreSnapshot<K> {
        StoreSnapshot {
            state: self.current.load_full(),
        }
    }
}

impl<K> StoreSnapshot<K>
where
    K: Hash + Eq,
{
    /// The policy of `key` in this version.
    pub fn get<Q>(&self, key: &Q) -> Option<&Arc<Policy>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.state.policies.get(key).map(|held| &held.shared)
    }

    /// The version of `key` in this version of the store (see [`PolicyStore::version`]).
    pub fn version<Q>(&self, key: &Q) -> Option<Version>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.state.versions.get(key).copied()
    }

    /// The number of tenants with a policy.
    pub fn len(&self) -> usize {
        self.state.policies.size()
    }

    /// Whether no tenant has a policy.
    pub fn is_empty(&self) -> bool {
        self.state.policies.is_empty()
    }

    /// Every tenant with a policy, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &Arc<Policy>)> {
        self.state
            .policies
            .iter()
            .map(|(key, held)| (key, &held.shared))
    }

    /// Every tenant with a version (removed ones included), in no particular order.
    pub fn versions(&self) -> impl Iterator<Item = (&K, Version)> {
        self.state
            .versions
            .iter()
            .map(|(key, version)| (key, *version))
    }
}

impl<K: Hash + Eq> fmt::Debug for StoreSnapshot<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSnapshot")
            .field("tenants", &self.len())
            .finish_non_exhaustive()
    }
}
