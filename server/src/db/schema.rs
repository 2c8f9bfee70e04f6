//! The schema: the SQL files of `server/migrations/`, compiled in and applied in order,
//! each once, in its own transaction.

use tokio_postgres::Client;

/// The migrations, in the order they apply. A test checks that this list and the
/// directory hold the same files.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_policies.sql",
        include_str!("../../migrations/0001_policies.sql"),
    ),
    (
        "0002_history_writer.sql",
        include_str!("../../migrations/0002_history_writer.sql"),
    ),
];

/// Which migrations have been applied, recorded in the database itself.
const LEDGER: &str = "CREATE TABLE IF NOT EXISTS origin_policy_migrations (
    name       text        PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)";

/// Serializes concurrent `db migrate` runs (key: 'op-migr' as an advisory lock number).
const MIGRATE_LOCK: i64 = 0x006f_702d_6d69_6772;

/// Applies every migration not applied yet; returns the names of those it applied.
pub async fn migrate(client: &mut Client) -> Result<Vec<&'static str>, tokio_postgres::Error> {
    client.batch_execute(LEDGER).await?;
    let mut applied = Vec::new();
    for (name, sql) in MIGRATIONS {
        let transaction = client.transaction().await?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
            .await?;
        let done = transaction
            .query_opt(
                "SELECT 1 FROM origin_policy_migrations WHERE name = $1",
                &[name],
            )
            .await?
            .is_some();
        if !done {
            transaction.batch_execute(sql).await?;
            transaction
                .execute(
                    "INSERT INTO origin_policy_migrations (name) VALUES ($1)",
                    &[name],
                )
                .await?;
            applied.push(*name);
        }
        transaction.commit().await?;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_directory_is_listed_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|(name, _)| *name).collect();
        assert_eq!(files, listed);
    }
}
