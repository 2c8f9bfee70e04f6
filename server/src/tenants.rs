//! `GET /v1/tenants/{tenant}`: the version of a tenant's policy this replica applies, for
//! convergence checks across replicas.

use http::StatusCode;
use origin_policy::store::PolicyStore;
use serde::Serialize;

/// The path prefix; the rest of the path is the tenant.
pub const PREFIX: &str = "/v1/tenants/";

/// The answer's body.
#[derive(Debug, Serialize)]
struct TenantStatus<'a> {
    tenant: &'a str,
    /// Whether the tenant has a policy here (a deleted tenant keeps its version, without).
    loaded: bool,
    /// The version applied by a versioned source (PostgreSQL); `null` for a tenant loaded
    /// from a file or unknown.
    version: Option<u64>,
}

/// The status and JSON body for `tenant`: 200 when it has a policy, else 404 (with the
/// version of its deletion, if any).
pub fn status(store: &PolicyStore<String>, tenant: &str) -> (StatusCode, String) {
    // One snapshot, so that `loaded` and `version` come from the same state.
    let snapshot = store.snapshot();
    let body = TenantStatus {
        tenant,
        loaded: snapshot.get(tenant).is_some(),
        version: snapshot.version(tenant),
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
    use origin_policy::{Mode, Policy};

    use super::*;

    #[test]
    fn reports_the_applied_version_and_deletions() {
        let store = PolicyStore::new();
        let policy = Policy::builder()
            .allow(Mode::Live, "https://a.example")
            .build()
            .unwrap();
        assert!(store
            .insert_if_newer("a".to_owned(), 7, policy.clone())
            .is_applied());
        let (code, body) = status(&store, "a");
        assert_eq!(code, StatusCode::OK);
        assert_eq!(body, r#"{"tenant":"a","loaded":true,"version":7}"#);
        assert!(store.remove_if_newer("a".to_owned(), 8).is_applied());
        assert_eq!(
            status(&store, "a"),
            (
                StatusCode::NOT_FOUND,
                r#"{"tenant":"a","loaded":false,"version":8}"#.to_owned()
            )
        );
        store.insert("f".to_owned(), policy);
        assert_eq!(
            status(&store, "f").1,
            r#"{"tenant":"f","loaded":true,"version":null}"#
        );
        assert_eq!(status(&store, "x").0, StatusCode::NOT_FOUND);
    }
}
