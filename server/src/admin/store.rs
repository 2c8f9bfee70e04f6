//! Where the admin API reads and writes a tenant's policy: PostgreSQL (`--postgres`; the
//! version is the database's, and every replica follows the table) or the policy directory
//! (`--policies` alone; the version is a hash of the file, replaced atomically, and every
//! replica that reads the directory polls it).
//!
//! A write is one [`Backend::write`]: the tenant's current policy is read, the caller's
//! change applied to it (or refused), the result written as a policy file's text and
//! loaded again exactly as the replicas will load it (refused with every error if it does
//! not build), and stored only if the version is still the one the caller read
//! (`If-Match`). A write that fails changes nothing: the replicas keep serving the old
//! policy.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use origin_policy::policy_file::{Format, PolicyFileError};
use origin_policy::{Policy, PolicyConfig};
use sha2::{Digest, Sha256};

use crate::db::connection;
use crate::db::rows::StoredPolicy;
use crate::db::writes::{self, Decision, Written};

/// The version of a tenant's stored policy, as the JSON `version` and the `ETag` carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// No policy stored.
    Absent,
    /// PostgreSQL's version.
    Number(u64),
    /// The first 128 bits of the SHA-256 of the file, in hex.
    Hash(String),
}

impl Tag {
    /// The `ETag` header's value.
    pub fn etag(&self) -> String {
        match self {
            Tag::Absent => "\"none\"".to_owned(),
            Tag::Number(version) => format!("\"{version}\""),
            Tag::Hash(hash) => format!("\"{hash}\""),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        match self {
            Tag::Absent => serde_json::Value::Null,
            Tag::Number(version) => (*version).into(),
            Tag::Hash(hash) => hash.clone().into(),
        }
    }

    /// Whether an `If-Match` header's value names this version: `*` when there is a
    /// policy, or one of its comma-separated entity tags (compared strongly; quotes may be
    /// left out).
    pub fn matches(&self, if_match: &str) -> bool {
        let ours = self.etag();
        if_match.split(',').map(str::trim).any(|tag| match tag {
            "*" => *self != Tag::Absent,
            tag if tag.starts_with('"') => tag == ours,
            tag => format!("\"{tag}\"") == ours,
        })
    }
}

fn hash_tag(text: &str) -> Tag {
    let digest = Sha256::digest(text.as_bytes());
    Tag::Hash(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
}

/// A tenant's stored policy as it stands.
#[derive(Debug, Clone)]
pub struct Head {
    pub tag: Tag,
    /// The text and format; `None` without a policy.
    pub stored: Option<StoredPolicy>,
}

impl Head {
    /// The policy the text builds, or why not.
    pub fn build(&self, tenant: &str) -> Option<Result<Policy, PolicyFileError>> {
        let stored = self.stored.as_ref()?;
        Some(crate::policy_file::load(
            tenant,
            &stored.text,
            stored.format,
        ))
    }
}

/// What a change does with the policy it is given (the stored one if it builds, else the
/// one the replica serves, else none).
pub type Change<R> = Box<dyn FnOnce(Option<PolicyConfig>) -> Result<Outcome, R> + Send>;

/// The result of a change.
pub enum Outcome {
    /// Store this policy.
    Put(PolicyConfig),
}

/// Why a write did not happen.
#[derive(Debug)]
pub enum WriteError<R> {
    /// `If-Match` names another version: the current one.
    Precondition(Tag),
    /// The change refused.
    Refused(R),
    /// The new text does not build (every error).
    Invalid(Box<PolicyFileError>),
    /// The store failed.
    Failed(String),
}

/// The store of writes.
pub enum Backend {
    Postgres(Box<tokio_postgres::Config>),
    Directory(Directory),
}

impl Backend {
    pub fn postgres(url: &str) -> Result<Backend, tokio_postgres::Error> {
        let mut config = tokio_postgres::Config::from_str(url)?;
        config.application_name("origin-policy-server admin");
        Ok(Backend::Postgres(Box::new(config)))
    }

    pub fn directory(dir: PathBuf) -> Backend {
        Backend::Directory(Directory {
            dir,
            lock: Arc::new(Mutex::new(())),
        })
    }

    /// Whether `tenant` can name a stored policy here.
    pub fn accepts_tenant(&self, tenant: &str) -> bool {
        let plain = !tenant.is_empty()
            && tenant.chars().count() <= 200
            && !tenant.chars().any(char::is_control);
        match self {
            Backend::Postgres(_) => plain,
            Backend::Directory(_) => {
                plain && !tenant.starts_with('.') && !tenant.contains(['/', '\\'])
            }
        }
    }

    pub async fn head(&self, tenant: &str) -> Result<Head, String> {
        match self {
            Backend::Postgres(config) => {
                let client = connection::connect(config, "admin").await?;
                let current = writes::current(&client, tenant)
                    .await
                    .map_err(|error| error.to_string())?;
                Ok(match current {
                    Some(current) => Head {
                        tag: Tag::Number(current.version),
                        stored: Some(current.policy),
                    },
                    None => Head {
                        tag: Tag::Absent,
                        stored: None,
                    },
                })
            }
            Backend::Directory(directory) => {
                let directory = directory.clone();
                let tenant = tenant.to_owned();
                tokio::task::spawn_blocking(move || directory.head(&tenant))
                    .await
                    .map_err(|error| error.to_string())?
                    .map_err(|error| error.to_string())
            }
        }
    }

    /// The history with writers (PostgreSQL only).
    pub async fn history(&self, tenant: &str) -> Option<Result<Vec<Written>, String>> {
        let Backend::Postgres(config) = self else {
            return None;
        };
        let result = async {
            let client = connection::connect(config, "admin").await?;
            writes::history(&client, tenant)
                .await
                .map_err(|error| error.to_string())
        };
        Some(result.await)
    }

    /// Applies `change` as described in the module's documentation, as `label`. `serving`
    /// is the policy the replica serves for the tenant (the base when the stored one does
    /// not build). Returns the new version and policy.
    pub async fn write<R: Send + 'static>(
        &self,
        tenant: &str,
        if_match: Option<String>,
        label: &str,
        serving: Option<PolicyConfig>,
        change: Change<R>,
    ) -> Result<(Tag, Policy), WriteError<R>> {
        let tenant_owned = tenant.to_owned();
        let prepare = move |head: &Head| -> Result<(StoredPolicy, Policy), WriteError<R>> {
            if let Some(if_match) = &if_match {
                if !head.tag.matches(if_match) {
                    return Err(WriteError::Precondition(head.tag.clone()));
                }
            }
            let base = match head.build(&tenant_owned) {
                Some(Ok(policy)) => Some(policy.to_config()),
                _ => serving,
            };
            let Outcome::Put(config) = change(base).map_err(WriteError::Refused)?;
            let format = head.stored.as_ref().map_or(Format::Toml, |s| s.format);
            let text = super::text::to_text(&config, format);
            let policy = crate::policy_file::load(&tenant_owned, &text, format)
                .map_err(|error| WriteError::Invalid(Box::new(error)))?;
            Ok((StoredPolicy { text, format }, policy))
        };
        match self {
            Backend::Postgres(config) => {
                let mut client = connection::connect(config, "admin")
                    .await
                    .map_err(WriteError::Failed)?;
                let mut built = None;
                let written = writes::compare_and_write(&mut client, tenant, label, |current| {
                    let head = match current {
                        Some(current) => Head {
                            tag: Tag::Number(current.version),
                            stored: Some(current.policy.clone()),
                        },
                        None => Head {
                            tag: Tag::Absent,
                            stored: None,
                        },
                    };
                    match prepare(&head) {
                        Ok((stored, policy)) => {
                            built = Some(policy);
                            Decision::Write(stored)
                        }
                        Err(error) => Decision::Refuse(error),
                    }
                })
                .await
                .map_err(|error| WriteError::Failed(error.to_string()))?;
                let version = written?;
                let policy = built.ok_or_else(|| WriteError::Failed("nothing built".into()))?;
                Ok((Tag::Number(version), policy))
            }
            Backend::Directory(directory) => {
                let directory = directory.clone();
                let tenant = tenant.to_owned();
                tokio::task::spawn_blocking(move || directory.write(&tenant, prepare))
                    .await
                    .map_err(|error| WriteError::Failed(error.to_string()))?
            }
        }
    }
}

/// The policy directory, with one writer at a time in this process.
#[derive(Clone)]
pub struct Directory {
    dir: PathBuf,
    lock: Arc<Mutex<()>>,
}

/// Temporary files get distinct names, even from concurrent writers of one process.
static TEMPORARY: AtomicU64 = AtomicU64::new(0);

impl Directory {
    /// The tenant's file: `TENANT.toml` or `TENANT.json`, whichever exists (`.toml`
    /// first), else the `.toml` a new tenant gets.
    fn file(&self, tenant: &str) -> (PathBuf, bool) {
        let toml = self.dir.join(format!("{tenant}.toml"));
        if toml.exists() {
            return (toml, true);
        }
        let json = self.dir.join(format!("{tenant}.json"));
        if json.exists() {
            return (json, true);
        }
        (toml, false)
    }

    fn head(&self, tenant: &str) -> std::io::Result<Head> {
        let (path, exists) = self.file(tenant);
        if !exists {
            return Ok(Head {
                tag: Tag::Absent,
                stored: None,
            });
        }
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Head {
                    tag: Tag::Absent,
                    stored: None,
                })
            }
            Err(error) => return Err(error),
        };
        let format = Format::from_path(&path).unwrap_or(Format::Toml);
        Ok(Head {
            tag: hash_tag(&text),
            stored: Some(StoredPolicy { text, format }),
        })
    }

    fn write<R>(
        &self,
        tenant: &str,
        prepare: impl FnOnce(&Head) -> Result<(StoredPolicy, Policy), WriteError<R>>,
    ) -> Result<(Tag, Policy), WriteError<R>> {
        let _one_writer = self
            .lock
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let failed = |error: std::io::Error| WriteError::Failed(error.to_string());
        let head = self.head(tenant).map_err(failed)?;
        let (stored, policy) = prepare(&head)?;
        let (path, _) = self.file(tenant);
        replace_atomically(&path, &stored.text).map_err(failed)?;
        Ok((hash_tag(&stored.text), policy))
    }
}

/// Replaces `path` with `text` so that a reader sees the old file or the new one, never
/// part of one: a temporary file beside it (hidden, so the directory source skips it),
/// written and flushed to disk, renamed over the file, and the directory flushed.
fn replace_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("policy");
    let number = TEMPORARY.fetch_add(1, Ordering::Relaxed);
    let temporary = dir.join(format!(".{name}.{}.{number}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create_new(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_compares_strongly_and_star_needs_a_policy() {
        let five = Tag::Number(5);
        assert!(five.matches("\"5\""));
        assert!(five.matches("5"));
        assert!(five.matches("\"4\", \"5\""));
        assert!(five.matches("*"));
        assert!(!five.matches("\"6\""));
        assert!(!five.matches("W/\"5\""));
        assert!(!Tag::Absent.matches("*"));
        assert!(Tag::Absent.matches("\"none\""));
        assert_eq!(Tag::Absent.json(), serde_json::Value::Null);
        let hash = hash_tag("live = []\n");
        assert!(matches!(&hash, Tag::Hash(h) if h.len() == 32));
    }

    #[test]
    fn a_replaced_file_is_whole_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acme.toml");
        replace_atomically(&path, "live = []\n").unwrap();
        replace_atomically(&path, "test = []\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "test = []\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
