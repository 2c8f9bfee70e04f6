//! Whether the database is still the one a replica followed: a restore from an older dump
//! or a failover to a standby that missed the last commits hands out version numbers
//! again, so "the newest version above my watermark" no longer finds every change.
//!
//! Two signals, read in the same snapshot as each catch-up ([`read_since`]):
//! * the change at the replica's watermark (the newest version it read) must still be the
//!   one it read: same tenant, same content, or the same deletion ([`fingerprint`]);
//! * on each periodic resync, the table's checksum, the count and the sum of the
//!   fingerprints of every current row (computed by PostgreSQL with the same function),
//!   must equal the replica's [`View`] of the table after the catch-up.
//!
//! The first finds a restore at once, whether the database then took fewer or more writes
//! than the replica had seen; the second also finds one whose writes happen to repeat, at
//! the watermark, the change the replica read (and anything else that made the table
//! differ from what the replica read). Either makes the replica reload a full snapshot.

use std::collections::HashMap;

use origin_policy::store::Version;
use sha2::{Digest, Sha256};
use tokio_postgres::{Client, IsolationLevel};

use crate::db::rows::{self, format_name, Change, RowError};

/// The fingerprint of one change, as PostgreSQL computes it in [`TABLE_SUM`]: the first 8
/// bytes (big-endian, signed) of SHA-256 over `tenant \n version \n format \n policy`
/// (format and policy empty for a deletion).
pub fn fingerprint(change: &Change) -> i64 {
    let mut hash = Sha256::new();
    hash.update(change.tenant.as_bytes());
    hash.update(b"\n");
    hash.update(change.version.to_string().as_bytes());
    hash.update(b"\n");
    if let Some(policy) = &change.policy {
        hash.update(format_name(policy.format).as_bytes());
        hash.update(b"\n");
        hash.update(policy.text.as_bytes());
    } else {
        hash.update(b"\n");
    }
    let digest = hash.finalize();
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// The count and fingerprint sum of every current row of the table.
const TABLE_SUM: &str = "SELECT count(*), coalesce(sum(('x' || left(encode(sha256(convert_to(
        tenant || E'\\n' || version::text || E'\\n' || format || E'\\n' || policy, 'UTF8')),
        'hex'), 16))::bit(64)::bigint), 0)::text
     FROM origin_policy";

/// The table as a replica read it: each tenant's current row, by fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    rows: HashMap<String, i64>,
    sum: i128,
}

/// A table's count of rows and fingerprint sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSum {
    pub rows: u64,
    pub sum: i128,
}

impl View {
    /// The view of a snapshot's rows (each tenant's current policy).
    pub fn of_rows<'a>(rows: impl IntoIterator<Item = &'a Change>) -> View {
        let mut view = View::default();
        for change in rows {
            view.apply(change);
        }
        view
    }

    /// Takes in a change read from the history: the tenant's row is now this one, or gone.
    pub fn apply(&mut self, change: &Change) {
        if let Some(old) = self.rows.remove(&change.tenant) {
            self.sum -= i128::from(old);
        }
        if change.policy.is_some() {
            let print = fingerprint(change);
            self.sum += i128::from(print);
            self.rows.insert(change.tenant.clone(), print);
        }
    }

    /// The count and sum this view expects of the table.
    pub fn sum(&self) -> TableSum {
        TableSum {
            rows: self.rows.len() as u64,
            sum: self.sum,
        }
    }
}

/// What one catch-up read, in one snapshot of the database.
#[derive(Debug)]
pub struct Read {
    /// The newest change of each tenant above the watermark.
    pub changes: Vec<Change>,
    /// The newest version in the history (0 when empty).
    pub newest: Version,
    /// The change at the watermark, when there is one.
    pub at_watermark: Option<Change>,
    /// The table's checksum, when asked for.
    pub table: Option<TableSum>,
}

/// Reads, in one repeatable-read snapshot, the changes above `watermark`, the newest
/// version, the change at `watermark`, and (with `with_sum`) the table's checksum.
pub async fn read_since(
    client: &mut Client,
    watermark: Version,
    with_sum: bool,
) -> Result<Read, RowError> {
    let transaction = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let changes = rows::changes_since(&transaction, watermark).await?;
    let newest = rows::newest_version(&transaction).await?;
    let at_watermark = change_at(&transaction, watermark).await?;
    let table = match with_sum {
        true => Some(table_sum(&transaction).await?),
        false => None,
    };
    transaction.commit().await?;
    Ok(Read {
        changes,
        newest,
        at_watermark,
        table,
    })
}

/// A snapshot for a full load: every current row, the newest version and the change at
/// it, in one repeatable-read snapshot.
pub async fn snapshot(
    client: &mut Client,
) -> Result<(Vec<Change>, Version, Option<Change>), RowError> {
    let transaction = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let changes = rows::current_rows(&transaction).await?;
    let newest = rows::newest_version(&transaction).await?;
    let at_newest = change_at(&transaction, newest).await?;
    transaction.commit().await?;
    Ok((changes, newest, at_newest))
}

async fn change_at(
    client: &impl tokio_postgres::GenericClient,
    version: Version,
) -> Result<Option<Change>, RowError> {
    if version == 0 {
        return Ok(None);
    }
    rows::history_row(client, version).await
}

async fn table_sum(client: &impl tokio_postgres::GenericClient) -> Result<TableSum, RowError> {
    let row = client.query_one(TABLE_SUM, &[]).await?;
    let rows: i64 = row.try_get(0)?;
    let sum: String = row.try_get(1)?;
    let sum = sum
        .parse()
        .map_err(|_| RowError::Unexpected(format!("checksum {sum:?}")))?;
    Ok(TableSum {
        rows: u64::try_from(rows).unwrap_or(0),
        sum,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::rows::StoredPolicy;
    use crate::policy_file::Format;

    fn change(tenant: &str, version: Version, text: Option<&str>) -> Change {
        Change {
            tenant: tenant.to_owned(),
            version,
            policy: text.map(|text| StoredPolicy {
                text: text.to_owned(),
                format: Format::Toml,
            }),
        }
    }

    #[test]
    fn fingerprints_tell_tenant_version_content_and_deletion_apart() {
        let base = fingerprint(&change("acme", 14, Some("live = []")));
        assert_eq!(base, fingerprint(&change("acme", 14, Some("live = []"))));
        for other in [
            change("acme", 14, Some("live = [ ]")),
            change("acme", 15, Some("live = []")),
            change("acmf", 14, Some("live = []")),
            change("acme", 14, None),
        ] {
            assert_ne!(fingerprint(&other), base, "{other:?}");
        }
    }

    #[test]
    fn the_view_follows_changes_and_sums_in_any_order() {
        let a = change("a", 1, Some("x"));
        let b = change("b", 2, Some("y"));
        let mut view = View::of_rows([&a, &b]);
        assert_eq!(view, View::of_rows([&b, &a]));
        assert_eq!(view.sum().rows, 2);
        view.apply(&change("a", 3, None));
        assert_eq!(view, View::of_rows([&b]));
        view.apply(&change("a", 4, Some("z")));
        assert_eq!(
            view.sum(),
            View::of_rows([&b, &change("a", 4, Some("z"))]).sum()
        );
        assert_ne!(view.sum(), View::of_rows([&b, &a]).sum());
    }
}
