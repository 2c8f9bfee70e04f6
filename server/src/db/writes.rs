//! The admin API's writes: read the tenant's current row, let the caller decide, and write
//! the next version, in one transaction that holds the writers' lock from the read to the
//! commit (compare-and-set on the version), with the writer's token label recorded in the
//! history (migration `0002_history_writer.sql`).

use origin_policy::store::Version;
use tokio_postgres::Client;

use crate::db::rows::{self, RowError, StoredPolicy};
use crate::policy_file::Format;

/// The schema's writers' lock (`origin_policy_serialize` takes it for every statement).
const WRITERS_LOCK: i64 = 7_955_602_758_620_427_873;

/// A tenant's current row.
#[derive(Debug, Clone)]
pub struct Current {
    pub version: Version,
    pub policy: StoredPolicy,
}

fn version_of(value: i64) -> Result<Version, RowError> {
    Version::try_from(value).map_err(|_| RowError::Unexpected(format!("version {value}")))
}

fn current_of(row: &tokio_postgres::Row) -> Result<Current, RowError> {
    let format: String = row.try_get(2)?;
    let format = match format.as_str() {
        "json" => Format::Json,
        "toml" => Format::Toml,
        other => return Err(RowError::Unexpected(format!("format {other:?}"))),
    };
    Ok(Current {
        version: version_of(row.try_get(0)?)?,
        policy: StoredPolicy {
            text: row.try_get(1)?,
            format,
        },
    })
}

/// The tenant's current row, outside any write.
pub async fn current(client: &Client, tenant: &str) -> Result<Option<Current>, RowError> {
    client
        .query_opt(
            "SELECT version, policy, format FROM origin_policy WHERE tenant = $1",
            &[&tenant],
        )
        .await?
        .map(|row| current_of(&row))
        .transpose()
}

/// The caller's decision on the current row.
pub enum Decision<E> {
    /// Write this as the next version.
    Write(StoredPolicy),
    /// Write nothing, for this reason.
    Refuse(E),
}

/// Runs `decide` on the tenant's current row (`None`: no policy) with every other writer
/// waiting, and applies its decision as `label`. Returns the version written, or the
/// refusal.
pub async fn compare_and_write<E>(
    client: &mut Client,
    tenant: &str,
    label: &str,
    decide: impl FnOnce(Option<&Current>) -> Decision<E>,
) -> Result<Result<Version, E>, RowError> {
    let transaction = client.transaction().await?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&WRITERS_LOCK])
        .await?;
    transaction
        .execute(
            "SELECT set_config('origin_policy.writer', $1, true)",
            &[&label],
        )
        .await?;
    let current = transaction
        .query_opt(
            "SELECT version, policy, format FROM origin_policy WHERE tenant = $1",
            &[&tenant],
        )
        .await?
        .map(|row| current_of(&row))
        .transpose()?;
    let version = match decide(current.as_ref()) {
        Decision::Refuse(reason) => return Ok(Err(reason)),
        Decision::Write(policy) => rows::put(&transaction, tenant, &policy).await?,
    };
    transaction.commit().await?;
    Ok(Ok(version))
}

/// One version of the history with its writer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    pub version: Version,
    pub written_at: String,
    pub deleted: bool,
    /// The admin token's label; `null` for writes by other means (`db put`, plain SQL).
    pub written_by: Option<String>,
}

/// Every version of the tenant with its writer, oldest first.
pub async fn history(client: &Client, tenant: &str) -> Result<Vec<Written>, RowError> {
    let rows = client
        .query(
            r#"SELECT version, to_char(written_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                      policy IS NULL, written_by
               FROM origin_policy_history WHERE tenant = $1 ORDER BY version"#,
            &[&tenant],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Written {
                version: version_of(row.try_get(0)?)?,
                written_at: row.try_get(1)?,
                deleted: row.try_get(2)?,
                written_by: row.try_get(3)?,
            })
        })
        .collect()
}
