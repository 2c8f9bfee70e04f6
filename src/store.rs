//! Policies of many tenants (feature `store`): [`PolicyStore`] holds one policy per
//! tenant, swapped atomically while requests are served; [`StoreSnapshot`] is one
//! consistent view of it; [`Version`], [`VersionedSwap`], [`TenantUpdate`] and
//! [`BatchReport`] are what a versioned feed (a database, a directory of files) swaps in
//! with.

use std::borrow::Borrow;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use foldhash::fast::RandomState;
use rpds::HashTrieMapSync;

use crate::mode::Mode;
use crate::policy::Policy;

mod snapshot;
mod versioned;

pub use snapshot::StoreSnapshot;
pub use versioned::{BatchReport, TenantUpdate, Version, VersionedSwap};

/// A concurrent map from a tenant key to that tenant's [`Policy`], for a gateway that
/// serves many tenants and reloads their lists while it runs.
///
/// Reads and writes take `&self`, so one store (usually in an `Arc`) serves every request
/// thread while another thread updates it:
///
/// ```
/// use std::sync::Arc;
/// use origin_policy::{Mode, Policy};
/// use origin_policy::store::PolicyStore;
///
/// let store: Arc<PolicyStore<String>> = Arc::new(PolicyStore::new());
/// let acme = Policy::builder().allow(Mode::Live, "https://*.acme.example").build()?;
/// store.insert("acme".to_owned(), acme);
///
/// assert_eq!(store.is_allowed("acme", Mode::Live, "https://app.acme.example"), Some(true));
/// assert_eq!(store.is_allowed("globex", Mode::Live, "https://app.acme.example"), None);
///
/// // Hot reload: the new list replaces the old one in one step.
/// let acme_v2 = Policy::builder().allow(Mode::Live, "https://acme.example").build()?;
/// let previous = store.insert("acme".to_owned(), acme_v2);
/// assert!(previous.is_some());
/// assert_eq!(store.is_allowed("acme", Mode::Live, "https://app.acme.example"), Some(false));
/// # Ok::<(), origin_policy::BuildError>(())
/// ```
///
/// # Versioned swaps, for change feeds
///
/// A feed that numbers its changes (a database's versions, delivered by notifications that
/// may arrive late, twice or out of order) writes with
/// [`insert_if_newer`](Self::insert_if_newer) and [`remove_if_newer`](Self::remove_if_newer):
/// a change older than what the tenant holds is ignored, so a tenant never goes back.
/// [`apply_batch`](Self::apply_batch) applies many such changes in one atomic step (a
/// snapshot load, a resync), and [`snapshot`](Self::snapshot) reads one consistent version
/// of every tenant and its [`version`](Self::version).
///
/// # Why a persistent map behind an atomic pointer
///
/// The store is an [`arc_swap::ArcSwap`] holding an immutable hash array mapped trie
/// ([`rpds::HashTrieMapSync`]) from the key to an `Arc<Policy>`, with a clone of the policy
/// beside it in the entry, which checks read without following the `Arc`. A read loads the current
/// version with `ArcSwap::load` (lock-free, no reference-count traffic in the common case)
/// and looks the key up in it, so it never waits for a writer. A writer takes a mutex that
/// only writers use, copies the path from the root to its key (about ⌈log₆₄ n⌉ nodes of
/// at most 64 pointers on a 64-bit target: 1 at 10 tenants, 3 or 4 at 100,000; the rest of
/// the trie is shared) and
/// publishes the new version with one atomic pointer store, so updating or removing one
/// tenant costs about the same at 10 or 100,000 tenants (`tests/store.rs` measures it), and
/// a reader sees the old version or the new one, never a mix; [`replace_all`](Self::replace_all)
/// swaps every tenant in one step the same way. The alternatives each miss one property:
/// one `HashMap` behind `ArcSwap` copies every tenant on each write; a sharded map of
/// `RwLock`s (`dashmap`) lets a writer block the readers of its shard; and the lock-free
/// open-addressing map `papaya`, measured here, became about a hundred times slower at
/// 100,000 tenants than at 10 when one key was removed and re-inserted repeatedly (removed
/// slots stay tombstones, and the table is copied to clear them). Old versions are freed when
/// the last reader lets go of them. Keys are compared through [`Borrow`], so a
/// `PolicyStore<String>` is read with a `&str` and no allocation.
///
/// # Hashing, and why tenant names cannot be chosen to collide
///
/// Keys are hashed with [foldhash](https://docs.rs/foldhash) keyed by a seed drawn for each
/// store (on top of a process-wide random seed), not with std's SipHash: on a 10-byte
/// tenant name it costs about 30 instructions instead of about 180, a sixth of the lookup.
/// HashDoS resistance stays: without the store's seed, which never leaves the process,
/// nobody can compute which names collide, so a list of tenant names cannot be prepared to
/// collide in advance. The trie also needs more than a colliding bucket to slow down: it
/// branches on all 64 bits of the hash, 6 per level, so names that share some hash bits
/// only make their path a level or two deeper (11 levels at most), and only names whose
/// whole 64-bit hashes are equal share a list that a lookup walks. foldhash is not a
/// cryptographic hash (its authors call it minimally DoS-resistant); SipHash's stronger
/// claim would matter for a table indexed by a few low bits, not for this trie.
pub struct PolicyStore<K> {
    current: ArcSwap<State<K>>,
    /// Serializes writers, so that none loses another's update; readers never take it.
    writer: Mutex<()>,
    /// This store's keyed hasher, drawn when the store is made and kept by every version
    /// (see "Why a persistent map behind an atomic pointer").
    hasher: RandomState,
}

/// A map of one version of the store, hashed with the store's key.
type Map<K, V> = HashTrieMapSync<K, V, RandomState>;

/// One published version of the store.
struct State<K> {
    /// What readers look up: the policy of each tenant.
    policies: Map<K, Held>,
    /// The version last applied to each tenant by a versioned swap, kept after a versioned
    /// removal too, so that an older delivery arriving late cannot bring the tenant back.
    /// Tenants set by the unversioned methods have none.
    versions: Map<K, Version>,
}

/// A tenant's policy as the map holds it: the `Arc<Policy>` that [`PolicyStore::get`] and
/// snapshots hand out, and beside it a clone of the policy itself (a reference count on
/// the same compiled rules). A check reads the clone, which sits in the map's entry, so a
/// cold tenant's check skips the `Arc<Policy>`'s cache line (issue 26: one dependent miss
/// less per lookup), for 8 bytes per tenant.
#[derive(Clone)]
struct Held {
    policy: Policy,
    shared: Arc<Policy>,
}

impl From<Arc<Policy>> for Held {
    fn from(shared: Arc<Policy>) -> Self {
        Held {
            policy: Policy::clone(&shared),
            shared,
        }
    }
}

impl<K: Hash + Eq> State<K> {
    fn empty(hasher: RandomState) -> Self {
        State {
            policies: Map::new_with_hasher_and_ptr_kind(hasher.clone()),
            versions: Map::new_with_hasher_and_ptr_kind(hasher),
        }
    }
}

// Cloning a version shares every node of both tries (rpds is persistent), so it costs two
// reference-count increments, whatever the number of tenants.
impl<K: Hash + Eq> Clone for State<K> {
    fn clone(&self) -> Self {
        State {
            policies: self.policies.clone(),
            versions: self.versions.clone(),
        }
    }
}

impl<K> PolicyStore<K>
where
    K: Hash + Eq,
{
    /// An empty store.
    pub fn new() -> Self {
        let hasher = RandomState::default();
        PolicyStore {
            current: ArcSwap::from_pointee(State::empty(hasher.clone())),
            writer: Mutex::new(()),
            hasher,
        }
    }

    /// Runs `change` on the next version of the map and publishes it; returns what
    /// `change` returns. Writers queue on the mutex; readers go on with the current
    /// version meanwhile.
    fn write<R>(&self, change: impl FnOnce(&mut State<K>) -> R) -> R {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = State::clone(&self.current.load());
        let result = change(&mut next);
        self.current.store(Arc::new(next));
        result
    }

    /// Sets the policy of `key`, atomically replacing any previous one, which is returned.
    /// Readers see either the previous policy or this one. The tenant then has no
    /// [`version`](Self::version): this unconditional write overrides any versioned one.
    pub fn insert(&self, key: K, policy: impl Into<Arc<Policy>>) -> Option<Arc<Policy>> {
        let policy = Held::from(policy.into());
        self.write(|state| {
            let previous = state.policies.get(&key).map(|held| held.shared.clone());
            state.versions.remove_mut(&key);
            state.policies.insert_mut(key, policy);
            previous
        })
    }

    /// Removes the tenant, and any version it had; its requests are then denied by the
    /// middleware as an unknown tenant. Returns the policy it had.
    pub fn remove<Q>(&self, key: &Q) -> Option<Arc<Policy>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let current = self.current.load();
        if !current.policies.contains_key(key) && !current.versions.contains_key(key) {
            return None;
        }
        drop(current);
        self.write(|state| {
            let previous = state.policies.get(key).map(|held| held.shared.clone());
            state.policies.remove_mut(key);
            state.versions.remove_mut(key);
            previous
        })
    }

    /// Replaces every tenant at once: readers see the whole old set or the whole new one.
    /// Every version is forgotten. This costs time linear in the number of tenants given,
    /// like building them.
    pub fn replace_all(&self, tenants: impl IntoIterator<Item = (K, Arc<Policy>)>) {
        let mut next = State::empty(self.hasher.clone());
        for (key, policy) in tenants {
            next.policies.insert_mut(key, Held::from(policy));
        }
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        self.current.store(Arc::new(next));
    }

    /// The current policy of `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<Arc<Policy>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let current = self.current.load();
        current.policies.get(key).map(|held| held.shared.clone())
    }

    /// Calls `f` with the current policy of `key`, without touching its reference count:
    /// the cheapest read, and the one the middleware uses.
    pub fn with_policy<Q, R>(&self, key: &Q, f: impl FnOnce(Option<&Policy>) -> R) -> R
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let state = self.current.load();
        f(state.policies.get(key).map(|held| &held.policy))
    }

    /// `Some(allowed)` for a known tenant, `None` for an unknown one.
    pub fn is_allowed<Q>(&self, key: &Q, mode: Mode, origin: &str) -> Option<bool>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.with_policy(key, |policy| policy.map(|p| p.is_allowed(mode, origin)))
    }

    /// Whether `key` has a policy.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.current.load().policies.contains_key(key)
    }

    /// The number of tenants.
    pub fn len(&self) -> usize {
        self.current.load().policies.size()
    }

    /// Whether there is no tenant.
    pub fn is_empty(&self) -> bool {
        self.current.load().policies.is_empty()
    }

    /// The keys of the tenants, in no particular order, from one version of the store.
    pub fn keys(&self) -> Vec<K>
    where
        K: Clone,
    {
        self.current.load().policies.keys().cloned().collect()
    }

    /// Keeps only the tenants for which `keep` is true (for example, those still present
    /// in a freshly read configuration), removing the others, and their versions, in one
    /// atomic step.
    pub fn retain(&self, mut keep: impl FnMut(&K, &Policy) -> bool)
    where
        K: Clone,
    {
        self.write(|state| {
            let gone: Vec<K> = state
                .policies
                .iter()
                .filter(|(key, held)| !keep(key, &held.policy))
                .map(|(key, _)| key.clone())
                .collect();
            for key in &gone {
                state.policies.remove_mut(key);
                state.versions.remove_mut(key);
            }
        });
    }
}

#[cfg(feature = "serde")]
impl<K> PolicyStore<K>
where
    K: Hash + Eq,
{
    /// Builds `config` (the policy-file format of the `serde` feature) and, when every
    /// entry is valid, swaps it in as the policy of `key`, returning the previous one. On
    /// error the tenant keeps its current policy and the error lists every bad entry, named
    /// `live[i]` / `test[i]`. With the text of the file at hand, `insert_file` (feature
    /// `policy-file`) gives the same swap with errors located in the text and hinted.
    ///
    /// The build runs on the calling thread, in time linear in the size of `config` (label
    /// wildcards included): microseconds for a short list, milliseconds for tens of
    /// thousands of entries. Readers are never blocked by it, but in async code a reload of
    /// a tenant-supplied list belongs off the runtime's worker threads, in
    /// `tokio::task::spawn_blocking` or its equivalent, as `examples/gateway.rs` does.
    ///
    /// ```
    /// use origin_policy::{Mode, PolicyConfig};
    /// use origin_policy::store::PolicyStore;
    ///
    /// let store = PolicyStore::new();
    /// let json = r#"{ "live": ["https://*.acme.example"] }"#;
    /// let config: PolicyConfig = serde_json::from_str(json)?;
    /// store.insert_config("acme".to_owned(), &config)?;
    /// assert_eq!(store.is_allowed("acme", Mode::Live, "https://a.acme.example"), Some(true));
    ///
    /// let bad: PolicyConfig = serde_json::from_str(r#"{ "live": ["http://acme.example"] }"#)?;
    /// assert!(store.insert_config("acme".to_owned(), &bad).is_err());
    /// assert_eq!(store.is_allowed("acme", Mode::Live, "https://a.acme.example"), Some(true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert_config(
        &self,
        key: K,
        config: &crate::PolicyConfig,
    ) -> Result<Option<Arc<Policy>>, crate::BuildError> {
        let policy = config.build()?;
        Ok(self.insert(key, policy))
    }
}

#[cfg(feature = "policy-file")]
impl<K> PolicyStore<K>
where
    K: Hash + Eq,
{
    /// Parses and builds a policy file's `text` ([`policy_file::parse`](crate::policy_file::parse))
    /// and, when it is a valid policy, swaps it in as the policy of `key`, returning the
    /// previous one. On error the tenant keeps its current policy, and the error is the one
    /// the CLI prints: a located syntax error, or every bad entry with its line, column,
    /// `^^^` span and hint. `source_name` names the text in those messages.
    ///
    /// A hot reload that reads the file again calls this; it runs on the calling thread,
    /// like [`insert_config`](Self::insert_config).
    ///
    /// ```
    /// use origin_policy::policy_file::Format;
    /// use origin_policy::Mode;
    /// use origin_policy::store::PolicyStore;
    ///
    /// let store = PolicyStore::new();
    /// store.insert_file("acme".to_owned(), "acme.toml", "live = [\"https://*.acme.example\"]", Format::Toml)?;
    ///
    /// let err = store
    ///     .insert_file("acme".to_owned(), "acme.toml", "live = [\"acme.example\"]", Format::Toml)
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("acme.toml:1:9: live[0]: MissingScheme"));
    /// assert!(err.to_string().contains("hint: add `https://` in front, as in `https://acme.example`"));
    /// assert_eq!(store.is_allowed("acme", Mode::Live, "https://a.acme.example"), Some(true));
    /// # Ok::<(), origin_policy::policy_file::PolicyFileError>(())
    /// ```
    pub fn insert_file(
        &self,
        key: K,
        source_name: &str,
        text: &str,
        format: crate::policy_file::Format,
    ) -> Result<Option<Arc<Policy>>, crate::policy_file::PolicyFileError> {
        let policy = crate::policy_file::parse(source_name, text, format)?;
        Ok(self.insert(key, policy))
    }
}

impl<K> Default for PolicyStore<K>
where
    K: Hash + Eq,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Hash + Eq> fmt::Debug for PolicyStore<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyStore")
            .field("tenants", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(pattern: &str) -> Policy {
        Policy::builder()
            .allow(Mode::Live, pattern)
            .build()
            .unwrap()
    }

    #[test]
    fn insert_get_remove() {
        let store = PolicyStore::<String>::new();
        assert!(store.is_empty());
        assert!(store
            .insert("a".into(), policy("https://a.example"))
            .is_none());
        assert!(store
            .insert("b".into(), policy("https://b.example"))
            .is_none());
        assert_eq!(store.len(), 2);
        assert!(store.contains_key("a"));
        let old = store
            .insert("a".into(), policy("https://a2.example"))
            .unwrap();
        assert!(old.is_allowed(Mode::Live, "https://a.example"));
        assert_eq!(
            store.is_allowed("a", Mode::Live, "https://a2.example"),
            Some(true)
        );
        assert_eq!(
            store.is_allowed("a", Mode::Live, "https://a.example"),
            Some(false)
        );
        assert!(store.remove("a").is_some());
        assert!(store.get("a").is_none());
        let mut keys = store.keys();
        keys.sort();
        assert_eq!(keys, ["b"]);
        store.retain(|key, _| key != "b");
        assert!(store.is_empty());
        assert!(format!("{store:?}").contains("tenants: 0"));
    }

    #[test]
    fn readers_get_the_arc_that_was_inserted() {
        // The server's content-hash cache keys on this identity; the entry's own clone of
        // the policy must not replace it.
        let store = PolicyStore::<String>::new();
        let shared = Arc::new(policy("https://a.example"));
        store.insert("a".into(), Arc::clone(&shared));
        assert!(Arc::ptr_eq(&store.get("a").unwrap(), &shared));
        let snapshot = store.snapshot();
        assert!(Arc::ptr_eq(snapshot.get("a").unwrap(), &shared));
        assert!(Arc::ptr_eq(snapshot.iter().next().unwrap().1, &shared));
        let previous = store.insert("a".into(), policy("https://b.example"));
        assert!(Arc::ptr_eq(&previous.unwrap(), &shared));
        assert_eq!(
            store.is_allowed("a", Mode::Live, "https://b.example"),
            Some(true)
        );
    }

    #[test]
    fn store_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PolicyStore<String>>();
    }
}
