//! `GET /v1/tenants/{tenant}`: the version and the content hash of a tenant's policy as
//! this replica applies it, for convergence checks across replicas.
//!
//! The tenant in the path is percent-decoded (`/v1/tenants/a%20b` is tenant `a b`). The
//! answer names tenants and their versions, so who may ask is a `serve` flag
//! ([`TenantStatusAccess`]): anyone who reaches the decision listener, only loopback peers
//! (the default), or nobody.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use http::StatusCode;
use origin_policy::store::PolicyStore;
use origin_policy::Policy;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The path prefix; the rest of the path is the tenant, percent-encoded.
pub const PREFIX: &str = "/v1/tenants/";

/// Who may read `/v1/tenants/{tenant}` (`serve --tenant-status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TenantStatusAccess {
    /// Anyone who reaches the decision listener.
    Open,
    /// Only clients connected from a loopback address (a sidecar, a check run on the host).
    #[default]
    Loopback,
    /// Nobody: the path answers 404 like any unknown path.
    Off,
}

impl TenantStatusAccess {
    /// Whether a client at `peer` (unknown: `None`) may read the tenants' status.
    pub fn allows(self, peer: Option<SocketAddr>) -> bool {
        match self {
            TenantStatusAccess::Open => true,
            TenantStatusAccess::Loopback => peer.is_some_and(|peer| peer.ip().is_loopback()),
            TenantStatusAccess::Off => false,
        }
    }
}

/// The answer's body.
#[derive(Debug, Serialize)]
struct TenantStatus<'a> {
    tenant: &'a str,
    /// Whether the tenant has a policy here (a deleted tenant keeps its version, without).
    loaded: bool,
    /// The version applied by a versioned source (PostgreSQL); `null` for a tenant loaded
    /// from a file or unknown.
    version: Option<u64>,
    /// `sha256:HEX` of the policy's content (its canonical entries, notes and options, as
    /// `Policy` serializes them): equal on two replicas exactly when they decide alike,
    /// whatever the version numbers say. `null` without a policy.
    content_hash: Option<&'a str>,
}

/// The content hash of each tenant's policy, computed once per policy (a 20,000-entry
/// policy takes milliseconds to hash) and kept while that policy is the one served.
#[derive(Debug, Default)]
pub struct ContentHashes {
    cache: Mutex<HashMap<String, Hashed>>,
}

/// A policy (held weakly: the store owns it) and its content hash.
type Hashed = (Weak<Policy>, Arc<str>);

impl ContentHashes {
    /// The hash of `policy`, the policy `tenant` has now.
    fn of(&self, tenant: &str, policy: &Arc<Policy>, tenants: usize) -> Arc<str> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((held, hash)) = cache.get(tenant) {
            if held.as_ptr() == Arc::as_ptr(policy) && held.strong_count() > 0 {
                return hash.clone();
            }
        }
        // Entries of replaced or removed tenants are dropped once they outnumber the live.
        if cache.len() > 2 * tenants + 64 {
            cache.retain(|_, (held, _)| held.strong_count() > 0);
        }
        let hash: Arc<str> = content_hash(policy).into();
        cache.insert(tenant.to_owned(), (Arc::downgrade(policy), hash.clone()));
        hash
    }
}

/// `sha256:HEX` of the policy's serialization (canonical patterns, notes, options).
pub fn content_hash(policy: &Policy) -> String {
    // Serializing a policy into memory cannot fail.
    let json = serde_json::to_vec(policy).unwrap_or_default();
    let digest = Sha256::digest(&json);
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256:");
    for byte in digest.iter() {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// The status and JSON body for the tenant of `path_rest` (the path after [`PREFIX`],
/// percent-encoded): 200 when it has a policy, 404 otherwise (with the version of its
/// deletion, if any), 400 when the name does not decode to UTF-8.
pub fn status(
    store: &PolicyStore<String>,
    hashes: &ContentHashes,
    path_rest: &str,
) -> (StatusCode, String) {
    let Ok(tenant) = percent_encoding::percent_decode_str(path_rest).decode_utf8() else {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"error":"the tenant name is not percent-encoded UTF-8"}"#.to_owned(),
        );
    };
    // One snapshot, so that `loaded`, `version` and the hash come from the same state.
    let snapshot = store.snapshot();
    let policy = snapshot.get(&*tenant);
    let hash = policy.map(|policy| hashes.of(&tenant, policy, snapshot.len()));
    let body = TenantStatus {
        tenant: &tenant,
        loaded: policy.is_some(),
        version: snapshot.version(&*tenant),
        content_hash: hash.as_deref(),
    };
    let code = if body.loaded {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    // Serializing a struct of strings, a bool and an integer cannot fail.
    let json = serde_json::to_string(&body).unwrap_or_default();
    (code, json)
}

#[cfg(test)]
mod tests {
    use origin_policy::Mode;

    use super::*;

    fn policy(pattern: &str) -> Policy {
        Policy::builder()
            .allow(Mode::Live, pattern)
            .build()
            .unwrap()
    }

    fn json(body: &str) -> serde_json::Value {
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn reports_the_applied_version_the_content_hash_and_deletions() {
        let store = PolicyStore::new();
        let hashes = ContentHashes::default();
        assert!(store
            .insert_if_newer("a".to_owned(), 7, policy("https://a.example"))
            .is_applied());
        let (code, body) = status(&store, &hashes, "a");
        assert_eq!(code, StatusCode::OK);
        let a = json(&body);
        assert_eq!(
            (a["tenant"].as_str(), a["loaded"].as_bool()),
            (Some("a"), Some(true))
        );
        assert_eq!(a["version"], 7);
        let hash = a["content_hash"].as_str().unwrap().to_owned();
        assert!(hash.starts_with("sha256:") && hash.len() == 71, "{hash}");
        assert_eq!(hash, content_hash(&policy("https://a.example")));

        // Another spelling of the same entries is the same content; other entries are not.
        assert!(store
            .insert_if_newer("a".to_owned(), 8, policy("HTTPS://A.example:443"))
            .is_applied());
        assert_eq!(json(&status(&store, &hashes, "a").1)["content_hash"], *hash);
        assert!(store
            .insert_if_newer("a".to_owned(), 9, policy("https://b.example"))
            .is_applied());
        assert_ne!(json(&status(&store, &hashes, "a").1)["content_hash"], *hash);

        assert!(store.remove_if_newer("a".to_owned(), 10).is_applied());
        assert_eq!(
            status(&store, &hashes, "a"),
            (
                StatusCode::NOT_FOUND,
                r#"{"tenant":"a","loaded":false,"version":10,"content_hash":null}"#.to_owned()
            )
        );
        store.insert("f".to_owned(), policy("https://f.example"));
        let f = json(&status(&store, &hashes, "f").1);
        assert_eq!(f["version"], serde_json::Value::Null);
        assert!(f["content_hash"].is_string());
        assert_eq!(status(&store, &hashes, "x").0, StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_tenant_is_percent_decoded() {
        let store = PolicyStore::new();
        let hashes = ContentHashes::default();
        store.insert("a b/ü".to_owned(), policy("https://a.example"));
        let (code, body) = status(&store, &hashes, "a%20b%2F%C3%BC");
        assert_eq!(code, StatusCode::OK, "{body}");
        assert_eq!(json(&body)["tenant"], "a b/ü");
        assert_eq!(status(&store, &hashes, "a%20b").0, StatusCode::NOT_FOUND);
        assert_eq!(status(&store, &hashes, "%FF").0, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn access_is_open_loopback_only_or_off() {
        let loopback: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let loopback6: SocketAddr = "[::1]:5000".parse().unwrap();
        let remote: SocketAddr = "192.0.2.7:5000".parse().unwrap();
        use TenantStatusAccess::*;
        for (access, peer, allowed) in [
            (Open, Some(remote), true),
            (Open, None, true),
            (Loopback, Some(loopback), true),
            (Loopback, Some(loopback6), true),
            (Loopback, Some(remote), false),
            (Loopback, None, false),
            (Off, Some(loopback), false),
        ] {
            assert_eq!(access.allows(peer), allowed, "{access:?} {peer:?}");
        }
    }
}
