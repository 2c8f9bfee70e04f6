//! [`Admin`]: what the admin listener's handlers share.

use std::path::PathBuf;
use std::sync::Arc;

use origin_policy::store::PolicyStore;

use super::store::Backend;
use super::tokens::Tokens;

/// What the admin listener needs.
pub struct Admin {
    pub tokens: Tokens,
    pub backend: Backend,
    /// The policies this replica serves (for checks, and the lists of a refused policy).
    pub store: Arc<PolicyStore<String>>,
}

impl Admin {
    /// The admin side of a server with these sources: writes go to PostgreSQL when there is
    /// one, else to the policy directory.
    pub fn new(
        tokens: Tokens,
        postgres: Option<&str>,
        policies: Option<PathBuf>,
        store: Arc<PolicyStore<String>>,
    ) -> Result<Admin, String> {
        let backend = match (postgres, policies) {
            (Some(url), _) => Backend::postgres(url).map_err(|error| error.to_string())?,
            (None, Some(dir)) => Backend::directory(dir),
            (None, None) => return Err("the admin API needs a policy source".to_owned()),
        };
        Ok(Admin {
            tokens,
            backend,
            store,
        })
    }
}
