//! The PostgreSQL feed keeps tenants apart: one tenant's large policy does not hold back
//! another tenant's change, and a policy over the size limits is refused. Real PostgreSQL
//! (`common/postgres.rs`), replicas as child processes.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::binary;
use common::postgres::Postgres;
use common::replica::Replica;

/// The count of policy rows a replica refused.
const REJECTED: &str = r#"origin_policy_reload_failures_total{source="postgres"}"#;

fn migrate(pg: &Postgres) {
    let output = Command::new(binary())
        .args(["db", "migrate", "--postgres", &pg.url()])
        .output()
        .expect("run db migrate");
    assert!(output.status.success(), "{output:?}");
}

/// Plain SQL as the cluster's owner.
fn sql(pg: &Postgres, statement: &str) -> String {
    pg.tool("psql", &["-d", "postgres", "-At", "-c", statement])
}

/// A TOML policy of `entries` live hosts under `tenant`.
fn policy(tenant: &str, entries: usize) -> String {
    let hosts: Vec<String> = (0..entries)
        .map(|i| format!("\"https://h{i}.{tenant}.example\""))
        .collect();
    format!("live = [{}]\n", hosts.join(",\n"))
}

fn upsert(tenant: &str, text: &str) -> String {
    format!(
        "INSERT INTO origin_policy (tenant, policy, format) VALUES ('{tenant}', '{text}', 'toml') \
         ON CONFLICT (tenant) DO UPDATE SET policy = EXCLUDED.policy;"
    )
}

/// The version `replica` applies for `tenant`.
fn version(replica: &Replica, tenant: &str) -> Option<u64> {
    replica.tenant(tenant).0
}

#[test]
fn a_small_tenants_change_is_applied_while_a_large_tenants_build_is_in_progress() {
    let Some(pg) = Postgres::start() else { return };
    migrate(&pg);
    sql(&pg, &upsert("big", &policy("big", 1)));
    sql(&pg, &upsert("small", &policy("small", 1)));
    let url = pg.url();
    let replica = Replica::start(&["--postgres", &url, "--max-policy-entries", "200000"]);
    replica.wait_ready(Duration::from_secs(20));
    let before = version(&replica, "big");

    // One transaction: the large policy first, the small change after it, so that one
    // catch-up reads both (the small one at the newer version).
    let both = format!(
        "BEGIN; {} {} COMMIT;",
        upsert("big", &policy("big", 100_000)),
        upsert("small", &policy("small", 2))
    );
    let file = pg.file("both.sql");
    std::fs::write(&file, both).unwrap();
    pg.tool(
        "psql",
        &[
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            file.to_str().unwrap(),
        ],
    );
    let versions = sql(
        &pg,
        "SELECT tenant, version FROM origin_policy ORDER BY tenant",
    );
    let table: Vec<(String, u64)> = versions
        .lines()
        .filter_map(|line| line.split_once('|'))
        .map(|(tenant, version)| (tenant.to_owned(), version.parse().unwrap()))
        .collect();
    let (big, small) = (table[0].1, table[1].1);
    assert!(small > big, "{table:?}");

    // The small change is applied first, while the large build is still in progress: at
    // the moment the replica has the small tenant's new version, it does not have the
    // large tenant's yet, and it counts a build in flight.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (big_then, building) = loop {
        assert!(
            Instant::now() < deadline,
            "the small change was not applied"
        );
        if version(&replica, "small") == Some(small) {
            break (
                version(&replica, "big"),
                replica.metric("origin_policy_db_builds_in_progress"),
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    assert_eq!(
        big_then, before,
        "the large policy was applied before the small change"
    );
    assert!(building >= 1.0);
    let small_applied = Instant::now();
    // Then the large one too.
    while version(&replica, "big") != Some(big) {
        assert!(
            Instant::now() < deadline,
            "the large policy was not applied"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "the large policy was applied {:?} after the small change",
        small_applied.elapsed()
    );
    assert_eq!(replica.metric("origin_policy_db_builds_in_progress"), 0.0);
    assert_eq!(replica.metric("origin_policy_db_version_lag"), 0.0);
}

#[test]
fn a_row_over_the_size_limits_is_refused_and_the_previous_version_serves() {
    let Some(pg) = Postgres::start() else { return };
    migrate(&pg);
    sql(&pg, &upsert("acme", &policy("acme", 2)));
    let url = pg.url();
    let replica = Replica::start(&["--postgres", &url, "--max-policy-entries", "2"]);
    replica.wait_ready(Duration::from_secs(20));
    let good = version(&replica, "acme").unwrap();
    sql(&pg, &upsert("acme", &policy("acme", 3)));
    let deadline = Instant::now() + Duration::from_secs(5);
    while replica.metric(REJECTED) < 1.0 {
        assert!(
            Instant::now() < deadline,
            "the row over the limit was not refused"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(replica.tenant("acme"), (Some(good), true));
}
