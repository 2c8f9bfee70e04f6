//! Every query of the feed and the `db` commands, one function each, on the schema of
//! `server/migrations/`.

use origin_policy::store::Version;
use tokio_postgres::{Client, GenericClient, Row};

use crate::policy_file::Format;

/// A policy as stored: its text and the syntax it is written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    pub text: String,
    pub format: Format,
}

/// One version of one tenant: its policy, or `None` when the tenant was deleted at that
/// version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub tenant: String,
    pub version: Version,
    pub policy: Option<StoredPolicy>,
}

/// A version as `db history` and `db get` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub change: Change,
    /// When it was written, RFC 3339 in UTC.
    pub written_at: String,
}

/// A failed query, or a row the schema should not allow (a version below 0, an unknown
/// format).
#[derive(Debug)]
pub enum RowError {
    Query(tokio_postgres::Error),
    Unexpected(String),
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // tokio-postgres says "db error" and keeps the server's message as the source.
            RowError::Query(error) => match std::error::Error::source(error) {
                Some(source) => write!(f, "{error}: {source}"),
                None => write!(f, "{error}"),
            },
            RowError::Unexpected(what) => write!(f, "unexpected row: {what}"),
        }
    }
}

impl std::error::Error for RowError {}

impl From<tokio_postgres::Error> for RowError {
    fn from(error: tokio_postgres::Error) -> Self {
        RowError::Query(error)
    }
}

/// `toml` or `json`, as the `format` column holds it.
pub fn format_name(format: Format) -> &'static str {
    match format {
        Format::Toml => "toml",
        Format::Json => "json",
    }
}

fn parse_format(name: &str) -> Result<Format, RowError> {
    match name {
        "toml" => Ok(Format::Toml),
        "json" => Ok(Format::Json),
        other => Err(RowError::Unexpected(format!("format {other:?}"))),
    }
}

fn version_of(value: i64) -> Result<Version, RowError> {
    Version::try_from(value).map_err(|_| RowError::Unexpected(format!("version {value}")))
}

/// A row of (tenant, version, policy, format), the shape every change query selects.
fn change_of(row: &Row) -> Result<Change, RowError> {
    let policy: Option<String> = row.try_get(2)?;
    let format: Option<String> = row.try_get(3)?;
    let policy = match (policy, format) {
        (Some(text), Some(format)) => Some(StoredPolicy {
            text,
            format: parse_format(&format)?,
        }),
        _ => None,
    };
    Ok(Change {
        tenant: row.try_get(0)?,
        version: version_of(row.try_get(1)?)?,
        policy,
    })
}

const WRITTEN_AT: &str =
    r#"to_char(written_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#;

/// Writes `policy` as the tenant's next version and returns that version.
///
/// An existing tenant is updated, a new one inserted, so that one write stamps one version
/// (a plain `INSERT ... ON CONFLICT DO UPDATE` fires the stamping trigger for the insert
/// it tries and again for the update, and a writer's versions would skip one). The
/// insert keeps `ON CONFLICT` for a tenant another writer inserted after this statement's
/// snapshot: that write is still correct, and only then is a version skipped.
pub async fn put(
    client: &impl GenericClient,
    tenant: &str,
    policy: &StoredPolicy,
) -> Result<Version, RowError> {
    let row = client
        .query_one(
            "WITH updated AS (
                 UPDATE origin_policy SET policy = $2, format = $3 WHERE tenant = $1
                 RETURNING version
             ), inserted AS (
                 INSERT INTO origin_policy (tenant, policy, format)
                 SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM updated)
                 ON CONFLICT (tenant) DO UPDATE
                     SET policy = EXCLUDED.policy, format = EXCLUDED.format
                 RETURNING version
             )
             SELECT version FROM updated UNION ALL SELECT version FROM inserted",
            &[&tenant, &policy.text, &format_name(policy.format)],
        )
        .await?;
    version_of(row.try_get(0)?)
}

/// Deletes the tenant; returns the version of the deletion, `None` when there was no such
/// tenant.
pub async fn delete(client: &mut Client, tenant: &str) -> Result<Option<Version>, RowError> {
    let transaction = client.transaction().await?;
    let deleted = transaction
        .execute("DELETE FROM origin_policy WHERE tenant = $1", &[&tenant])
        .await?;
    if deleted == 0 {
        return Ok(None);
    }
    // The deletion's version is the newest history row of the tenant, written by the
    // trigger in this transaction (writers are serialized until it commits).
    let row = transaction
        .query_one(
            "SELECT max(version) FROM origin_policy_history WHERE tenant = $1",
            &[&tenant],
        )
        .await?;
    let version = version_of(row.try_get(0)?)?;
    transaction.commit().await?;
    Ok(Some(version))
}

/// The tenant's current policy, version and time of writing.
pub async fn current(client: &Client, tenant: &str) -> Result<Option<Entry>, RowError> {
    let row = client
        .query_opt(
            &format!(
                "SELECT tenant, version, policy, format, {} FROM origin_policy WHERE tenant = $1",
                WRITTEN_AT.replace("written_at", "updated_at")
            ),
            &[&tenant],
        )
        .await?;
    row.map(|row| entry_of(&row)).transpose()
}

fn entry_of(row: &Row) -> Result<Entry, RowError> {
    Ok(Entry {
        change: change_of(row)?,
        written_at: row.try_get(4)?,
    })
}

/// Every version of the tenant, oldest first.
pub async fn history(client: &Client, tenant: &str) -> Result<Vec<Entry>, RowError> {
    client
        .query(
            &format!(
                "SELECT tenant, version, policy, format, {WRITTEN_AT} FROM origin_policy_history
                 WHERE tenant = $1 ORDER BY version"
            ),
            &[&tenant],
        )
        .await?
        .iter()
        .map(entry_of)
        .collect()
}

/// One version of the tenant, from the history.
pub async fn at_version(
    client: &Client,
    tenant: &str,
    version: Version,
) -> Result<Option<Change>, RowError> {
    let Ok(version) = i64::try_from(version) else {
        return Ok(None);
    };
    let row = client
        .query_opt(
            "SELECT tenant, version, policy, format FROM origin_policy_history
             WHERE tenant = $1 AND version = $2",
            &[&tenant, &version],
        )
        .await?;
    row.map(|row| change_of(&row)).transpose()
}

/// Up to `limit` versions of the tenant below `below`, newest first: where a replica looks
/// for the newest version that builds.
pub async fn versions_below(
    client: &Client,
    tenant: &str,
    below: Version,
    limit: i64,
) -> Result<Vec<Change>, RowError> {
    let below = i64::try_from(below).unwrap_or(i64::MAX);
    client
        .query(
            "SELECT tenant, version, policy, format FROM origin_policy_history
             WHERE tenant = $1 AND version < $2 ORDER BY version DESC LIMIT $3",
            &[&tenant, &below, &limit],
        )
        .await?
        .iter()
        .map(change_of)
        .collect()
}

/// The newest change of each tenant changed after `version`, deletions included (one
/// query, from the history).
pub async fn changes_since(
    client: &impl GenericClient,
    version: Version,
) -> Result<Vec<Change>, RowError> {
    let version = i64::try_from(version).unwrap_or(i64::MAX);
    client
        .query(
            "SELECT DISTINCT ON (tenant) tenant, version, policy, format
             FROM origin_policy_history WHERE version > $1
             ORDER BY tenant, version DESC",
            &[&version],
        )
        .await?
        .iter()
        .map(change_of)
        .collect()
}

/// The newest version written (0 before the first).
pub async fn newest_version(client: &impl GenericClient) -> Result<Version, RowError> {
    let row = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM origin_policy_history",
            &[],
        )
        .await?;
    version_of(row.try_get(0)?)
}

/// Every tenant's current row (a full load reads it in a snapshot of its own).
pub async fn current_rows(client: &impl GenericClient) -> Result<Vec<Change>, RowError> {
    client
        .query(
            "SELECT tenant, version, policy, format FROM origin_policy",
            &[],
        )
        .await?
        .iter()
        .map(change_of)
        .collect()
}

/// The change recorded at `version`, whichever tenant it is.
pub async fn history_row(
    client: &impl GenericClient,
    version: Version,
) -> Result<Option<Change>, RowError> {
    let Ok(version) = i64::try_from(version) else {
        return Ok(None);
    };
    let row = client
        .query_opt(
            "SELECT tenant, version, policy, format FROM origin_policy_history
             WHERE version = $1",
            &[&version],
        )
        .await?;
    row.map(|row| change_of(&row)).transpose()
}
