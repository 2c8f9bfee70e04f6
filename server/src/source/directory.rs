//! [`DirectorySource`]: tenants from a directory of policy files, `TENANT.toml` or
//! `TENANT.json`, watched by polling.
//!
//! Why polling and not inotify (`notify`): a directory of policy files changes rarely and
//! holds at most thousands of files, so a `stat` of each every half second costs little,
//! while polling sees every way a file can change on every filesystem: edits in place,
//! editors' write-and-rename, Kubernetes ConfigMap volumes (whose files are symlinks into a
//! directory swapped by renaming another symlink, which inotify watches on the file miss),
//! network filesystems that send no events, and a directory replaced as a whole. Each poll
//! runs on a blocking thread, and so does every read and build.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::feed::SourceFeed;
use crate::policy_file::{self, Format, Limits};

/// How often the directory is read.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// What is known of a file without reading it; a change of any part means "read it again".
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stamp {
    Seen {
        len: u64,
        modified: Option<SystemTime>,
        #[cfg(unix)]
        changed: (i64, i64),
        #[cfg(unix)]
        inode: u64,
    },
    /// `stat` failed (a dangling symlink, a permission): the error's text.
    Unreadable(String),
}

impl Stamp {
    fn of(path: &Path) -> Stamp {
        match fs::metadata(path) {
            Ok(metadata) => Stamp::of_metadata(&metadata),
            Err(error) => Stamp::Unreadable(error.to_string()),
        }
    }

    fn of_metadata(metadata: &Metadata) -> Stamp {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Stamp::Seen {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            #[cfg(unix)]
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            #[cfg(unix)]
            inode: metadata.ino(),
        }
    }
}

/// The files that name one tenant, with their stamps: normally one.
type Files = BTreeMap<PathBuf, Stamp>;

/// The directory, and what each tenant's files looked like when last applied or refused.
pub struct DirectorySource {
    dir: PathBuf,
    tenants: HashMap<String, Files>,
    /// Whether the last read of the directory itself failed (reported once).
    dir_failed: bool,
    /// Names that are not UTF-8, reported once each.
    warned_names: HashSet<OsString>,
    /// The size limits of one policy file.
    limits: Limits,
}

impl DirectorySource {
    pub fn new(dir: PathBuf) -> Self {
        DirectorySource {
            dir,
            tenants: HashMap::new(),
            dir_failed: false,
            warned_names: HashSet::new(),
            limits: Limits::default(),
        }
    }

    /// Reads each file within `limits` (`serve --max-policy-entries`, `--max-policy-bytes`).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Checks at start-up that the directory can be listed, for a clear error.
    pub fn check(dir: &Path) -> io::Result<()> {
        if !fs::metadata(dir)?.is_dir() {
            return Err(io::Error::other("not a directory"));
        }
        fs::read_dir(dir).map(drop)
    }

    /// Polls for ever: the first read, then one every [`POLL_INTERVAL`].
    pub async fn run(mut self, mut feed: SourceFeed) {
        loop {
            let polled = tokio::task::spawn_blocking(move || {
                self.poll(&feed);
                (self, feed)
            })
            .await;
            match polled {
                Ok((source, returned)) => (self, feed) = (source, returned),
                Err(error) => {
                    tracing::error!("the policy directory watcher stopped: {error}");
                    return;
                }
            }
            feed.first_read_done();
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Reads the directory once and applies what changed since the last read.
    fn poll(&mut self, feed: &SourceFeed) {
        let listing = match self.list() {
            Ok(listing) => {
                self.dir_failed = false;
                listing
            }
            Err(error) => {
                if !self.dir_failed {
                    self.dir_failed = true;
                    let dir = self.dir.display();
                    feed.source_failed(&format_args!("cannot read {dir}: {error}"));
                }
                return;
            }
        };
        let gone: Vec<String> = self
            .tenants
            .keys()
            .filter(|tenant| !listing.contains_key(*tenant))
            .cloned()
            .collect();
        for tenant in gone {
            self.tenants.remove(&tenant);
            feed.remove(&tenant);
        }
        for (tenant, files) in listing {
            if self.tenants.get(&tenant) == Some(&files) {
                continue;
            }
            apply(feed, &tenant, &files, self.limits);
            self.tenants.insert(tenant, files);
        }
    }

    /// The policy files in the directory, by tenant. Hidden files (editors' swap files)
    /// and other extensions are not policy files.
    fn list(&mut self) -> io::Result<HashMap<String, Files>> {
        let mut listing: HashMap<String, Files> = HashMap::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name_text) = name.to_str() else {
                if self.warned_names.insert(name.clone()) {
                    tracing::warn!(name = ?name, "policy directory entry ignored: its name is not UTF-8");
                }
                continue;
            };
            let path = entry.path();
            if name_text.starts_with('.') || Format::from_path(&path).is_none() {
                continue;
            }
            let Some(tenant) = Path::new(name_text).file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let stamp = Stamp::of(&path);
            listing
                .entry(tenant.to_owned())
                .or_default()
                .insert(path, stamp);
        }
        Ok(listing)
    }
}

/// Reads and builds the tenant's one file and swaps it in, or refuses the change.
fn apply(feed: &SourceFeed, tenant: &str, files: &Files, limits: Limits) {
    let mut paths = files.keys();
    let (Some(path), None) = (paths.next(), paths.next()) else {
        let names: Vec<String> = files.keys().map(|p| p.display().to_string()).collect();
        let error = format!(
            "several policy files name this tenant: {}; keep one",
            names.join(", ")
        );
        return feed.reject(tenant, &names.join(", "), &error);
    };
    let origin = path.display().to_string();
    let Some(format) = Format::from_path(path) else {
        return;
    };
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            return feed.reject(
                tenant,
                &origin,
                &format_args!("cannot read {origin}: {error}"),
            )
        }
    };
    match policy_file::load_with_limits(&origin, &text, format, limits) {
        Ok(policy) => feed.put(tenant, &origin, policy),
        Err(error) => feed.reject(tenant, &origin, &error),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use origin_policy::Mode;

    use super::*;
    use crate::feed::Feed;
    use crate::metrics::Metrics;

    #[test]
    fn applies_adds_changes_removals_and_refuses_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let metrics = Arc::new(Metrics::new());
        let feed = Feed::new(metrics.clone());
        let source_feed = feed.source("directory");
        let mut source = DirectorySource::new(dir.path().to_owned());
        let store = feed.store().clone();
        let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).unwrap();

        write("acme.toml", "live = [\"https://a.example\"]\n");
        write("globex.json", r#"{"live": ["https://g.example"]}"#);
        write("notes.txt", "not a policy");
        write(".acme.toml.swp", "junk");
        source.poll(&source_feed);
        let mut keys = store.keys();
        keys.sort();
        assert_eq!(keys, ["acme", "globex"]);

        // A bad edit keeps the running policy.
        write("acme.toml", "live = [\"http://a.example\"]\n");
        source.poll(&source_feed);
        assert_eq!(
            store.is_allowed("acme", Mode::Live, "https://a.example"),
            Some(true)
        );
        // Nothing changed: nothing is read again, nothing counted again.
        source.poll(&source_feed);
        assert!(metrics
            .encode()
            .contains("reload_failures_total{source=\"directory\"} 1"));

        write("acme.toml", "live = [\"https://b.example\"]\n");
        source.poll(&source_feed);
        assert_eq!(
            store.is_allowed("acme", Mode::Live, "https://b.example"),
            Some(true)
        );

        // Two files for one tenant: refused, the tenant keeps what it had.
        write("acme.json", r#"{"live": ["https://c.example"]}"#);
        source.poll(&source_feed);
        assert_eq!(
            store.is_allowed("acme", Mode::Live, "https://b.example"),
            Some(true)
        );
        fs::remove_file(dir.path().join("acme.json")).unwrap();

        fs::remove_file(dir.path().join("globex.json")).unwrap();
        // Unreadable for root too: a directory and a dangling symlink with policy names.
        fs::create_dir(dir.path().join("dir.toml")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("dangling.json"))
            .unwrap();
        source.poll(&source_feed);
        assert_eq!(store.keys(), ["acme"]);
        assert_eq!(
            store.is_allowed("acme", Mode::Live, "https://b.example"),
            Some(true)
        );
        let text = metrics.encode();
        assert!(
            text.contains("reload_failures_total{source=\"directory\"} 4"),
            "{text}"
        );
        assert!(text.contains("origin_policy_tenants 1"), "{text}");
    }

    #[test]
    fn a_vanished_directory_keeps_every_tenant() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("policies");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("acme.toml"), "live = [\"https://a.example\"]\n").unwrap();
        let feed = Feed::new(Arc::new(Metrics::new()));
        let source_feed = feed.source("directory");
        let mut source = DirectorySource::new(dir.clone());
        source.poll(&source_feed);
        fs::remove_dir_all(&dir).unwrap();
        source.poll(&source_feed);
        assert_eq!(feed.store().keys(), ["acme"]);
        assert!(DirectorySource::check(&dir).is_err());
    }
}
