//! [`Builds`]: the policy builds of the PostgreSQL feed's catch-ups, each tenant's large
//! policy on its own, so that one tenant's large list never holds back another tenant's
//! change.
//!
//! A catch-up hands its changes to [`Builds::submit`]: the small ones (deletions, and
//! policies under [`LARGE_POLICY_BYTES`]) are built together by one blocking task, each
//! large one by a task of its own; [`Builds::next`] gives each task's result as soon as it
//! is done, in whatever order they finish, and the feed applies it right away with the
//! store's versioned rule (so a late, older result never replaces a newer one). A tenant
//! has at most one large build in flight: a newer large change waits for it (only the
//! newest waiting one is kept), and a newer small change supersedes the waiting one.

use std::collections::HashMap;
use std::sync::Arc;

use origin_policy::store::Version;
use tokio::task::{Id, JoinSet};

use crate::db::build::{self, Built};
use crate::db::rows::Change;
use crate::policy_file::Limits;

/// A policy text at least this long is built by a task of its own (about 2,000 entries;
/// a build of that size takes about a millisecond, one of 20,000 entries ten times more).
pub const LARGE_POLICY_BYTES: usize = 64 * 1024;

/// How changes become policies (the real build, or a test's).
pub type BuildFn = Arc<dyn Fn(Vec<Change>) -> Built + Send + Sync>;

/// The builds in flight.
pub struct Builds {
    build: BuildFn,
    tasks: JoinSet<(Option<String>, Built)>,
    /// The oldest version each task builds, for the applied-version gauge.
    oldest: HashMap<Id, Version>,
    /// Tenants with a large build in flight, and the newest large change waiting for it.
    large: HashMap<String, Option<Change>>,
}

impl Builds {
    /// The real build, within `limits`.
    pub fn with_limits(limits: Limits) -> Self {
        Builds::new(Arc::new(move |changes| {
            build::build_changes_with_limits(changes, limits)
        }))
    }
}

fn is_large(change: &Change) -> bool {
    change
        .policy
        .as_ref()
        .is_some_and(|policy| policy.text.len() >= LARGE_POLICY_BYTES)
}

impl Builds {
    pub fn new(build: BuildFn) -> Self {
        Builds {
            build,
            tasks: JoinSet::new(),
            oldest: HashMap::new(),
            large: HashMap::new(),
        }
    }

    /// Starts building `changes` (at most one change per tenant, as a catch-up reads them).
    pub fn submit(&mut self, changes: Vec<Change>) {
        let mut small = Vec::new();
        for change in changes {
            let waiting = self.large.get_mut(&change.tenant);
            match (is_large(&change), waiting) {
                (true, Some(waiting)) => *waiting = Some(change),
                (true, None) => self.spawn_large(change),
                (false, waiting) => {
                    // A newer small change makes a waiting large one pointless.
                    if let Some(waiting) = waiting {
                        *waiting = None;
                    }
                    small.push(change);
                }
            }
        }
        if !small.is_empty() {
            self.spawn(None, small);
        }
    }

    fn spawn_large(&mut self, change: Change) {
        self.large.insert(change.tenant.clone(), None);
        self.spawn(Some(change.tenant.clone()), vec![change]);
    }

    fn spawn(&mut self, large: Option<String>, changes: Vec<Change>) {
        let oldest = changes.iter().map(|change| change.version).min();
        let build = self.build.clone();
        let handle = self.tasks.spawn_blocking(move || (large, build(changes)));
        if let Some(oldest) = oldest {
            self.oldest.insert(handle.id(), oldest);
        }
    }

    /// The result of the next build to finish; never returns while none is in flight (so
    /// it can wait in a `select!`). Cancel-safe.
    pub async fn next(&mut self) -> Built {
        loop {
            let Some(joined) = self.tasks.join_next_with_id().await else {
                return std::future::pending().await;
            };
            let (id, large, built) = match joined {
                Ok((id, (large, built))) => (id, large, built),
                Err(error) => {
                    self.oldest.remove(&error.id());
                    tracing::error!("postgres feed: a policy build failed: {error}");
                    continue;
                }
            };
            self.oldest.remove(&id);
            if let Some(tenant) = large {
                if let Some(Some(waiting)) = self.large.remove(&tenant) {
                    self.spawn_large(waiting);
                }
            }
            return built;
        }
    }

    /// Builds in flight.
    pub fn in_progress(&self) -> usize {
        self.tasks.len()
    }

    /// The oldest version a build in flight will apply, if any.
    pub fn oldest_in_flight(&self) -> Option<Version> {
        self.oldest.values().copied().min()
    }

    /// Forgets every build in flight (their results are dropped): after a full reload,
    /// what they built is of another numbering.
    pub fn reset(&mut self) {
        self.tasks = JoinSet::new();
        self.oldest.clear();
        self.large.clear();
    }
}

/// Changes below this count are built by one blocking task; above, by one per core.
const PARALLEL_ABOVE: usize = 1024;

/// Builds `changes` within `limits` on the blocking pool, split over the cores when there
/// are many (a snapshot: 100,000 tenants take seconds on one core), in their order: the
/// build of a snapshot, applied as one batch.
pub async fn build_in_parallel(
    mut changes: Vec<Change>,
    limits: Limits,
) -> Result<Built, tokio::task::JoinError> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if changes.len() <= PARALLEL_ABOVE || cores == 1 {
        return tokio::task::spawn_blocking(move || {
            build::build_changes_with_limits(changes, limits)
        })
        .await;
    }
    let chunk = changes.len().div_ceil(cores);
    let mut tasks = Vec::with_capacity(cores);
    while !changes.is_empty() {
        let rest = changes.split_off(chunk.min(changes.len()));
        let part = std::mem::replace(&mut changes, rest);
        tasks.push(tokio::task::spawn_blocking(move || {
            build::build_changes_with_limits(part, limits)
        }));
    }
    let mut built = Built::default();
    for task in tasks {
        let part = task.await?;
        built.updates.extend(part.updates);
        built.refused.extend(part.refused);
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::sync::Mutex;

    use super::*;
    use crate::db::rows::StoredPolicy;
    use crate::policy_file::Format;

    fn change(tenant: &str, version: Version, entries: usize) -> Change {
        let hosts: Vec<String> = (0..entries)
            .map(|i| format!("\"https://h{i}.{tenant}.example\""))
            .collect();
        Change {
            tenant: tenant.to_owned(),
            version,
            policy: Some(StoredPolicy {
                text: format!("live = [{}]\n", hosts.join(", ")),
                format: Format::Toml,
            }),
        }
    }

    /// The real build, except that a build of tenant `big` first waits for the test to
    /// let it go, so the test decides when it ends.
    fn gated_build() -> (BuildFn, mpsc::Sender<()>, mpsc::Receiver<Version>) {
        let (release, gate) = mpsc::channel::<()>();
        let (started, big_started) = mpsc::channel::<Version>();
        let gate = Mutex::new(gate);
        let build: BuildFn = Arc::new(move |changes: Vec<Change>| {
            if let Some(big) = changes.iter().find(|change| change.tenant == "big") {
                started.send(big.version).unwrap();
                gate.lock().unwrap().recv().unwrap();
            }
            build::build_changes(changes)
        });
        (build, release, big_started)
    }

    fn versions(built: &Built) -> Vec<(String, Version)> {
        built
            .updates
            .iter()
            .map(|update| (update.key.clone(), update.version))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_change_is_built_while_a_large_build_is_in_progress() {
        let (build, release, big_started) = gated_build();
        let mut builds = Builds::new(build);
        // 20,000 entries: about 800 KB, a large build of its own.
        builds.submit(vec![change("big", 10, 20_000)]);
        assert_eq!(big_started.recv().unwrap(), 10);
        builds.submit(vec![change("small", 11, 1), change("other", 12, 2)]);
        assert_eq!(builds.in_progress(), 2);
        // The small changes come out first, the large build still in progress (it waits
        // for the release that only comes after this point).
        let first = builds.next().await;
        assert_eq!(
            versions(&first),
            [("small".to_owned(), 11), ("other".to_owned(), 12)]
        );
        assert_eq!(builds.in_progress(), 1);
        assert_eq!(builds.oldest_in_flight(), Some(10));
        release.send(()).unwrap();
        let second = builds.next().await;
        assert_eq!(versions(&second), [("big".to_owned(), 10)]);
        assert_eq!((builds.in_progress(), builds.oldest_in_flight()), (0, None));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_large_build_per_tenant_and_only_the_newest_waits() {
        let (build, release, big_started) = gated_build();
        let mut builds = Builds::new(build);
        builds.submit(vec![change("big", 10, 20_000)]);
        assert_eq!(big_started.recv().unwrap(), 10);
        builds.submit(vec![change("big", 11, 20_000)]);
        builds.submit(vec![change("big", 12, 20_000)]);
        assert_eq!(builds.in_progress(), 1);
        release.send(()).unwrap();
        assert_eq!(versions(&builds.next().await), [("big".to_owned(), 10)]);
        // The newest waiting change starts when the first ends; 11 was superseded.
        assert_eq!(big_started.recv().unwrap(), 12);
        release.send(()).unwrap();
        assert_eq!(versions(&builds.next().await), [("big".to_owned(), 12)]);
        assert_eq!(builds.in_progress(), 0);

        // A newer small change drops the waiting large one.
        builds.submit(vec![change("big", 13, 20_000)]);
        assert_eq!(big_started.recv().unwrap(), 13);
        builds.submit(vec![change("big", 14, 20_000)]);
        builds.submit(vec![change("big", 15, 1)]);
        // The small build of `big` waits for the gate too (the gated build waits for any
        // change of `big`): release both.
        assert_eq!(big_started.recv().unwrap(), 15);
        release.send(()).unwrap();
        release.send(()).unwrap();
        let mut done = [builds.next().await, builds.next().await];
        done.sort_by_key(|built| built.updates[0].version);
        assert_eq!(versions(&done[0]), [("big".to_owned(), 13)]);
        assert_eq!(versions(&done[1]), [("big".to_owned(), 15)]);
        assert_eq!(builds.in_progress(), 0);
    }

    #[tokio::test]
    async fn a_parallel_build_keeps_the_order_and_every_refusal() {
        let changes: Vec<Change> = (0..3 * PARALLEL_ABOVE as u64)
            .map(|version| Change {
                tenant: format!("t{version}"),
                version,
                policy: Some(StoredPolicy {
                    text: if version % 1000 == 7 {
                        "live = [\"http://bad.example\"]".to_owned()
                    } else {
                        format!("live = [\"https://t{version}.example\"]")
                    },
                    format: Format::Toml,
                }),
            })
            .collect();
        let built = build_in_parallel(changes, Limits::default()).await.unwrap();
        let refused: Vec<Version> = built.refused.iter().map(|r| r.version).collect();
        assert_eq!(refused, [7, 1007, 2007, 3007]);
        let versions: Vec<Version> = built.updates.iter().map(|u| u.version).collect();
        let expected: Vec<Version> = (0..3 * PARALLEL_ABOVE as u64)
            .filter(|version| version % 1000 != 7)
            .collect();
        assert_eq!(versions, expected);
    }
}
