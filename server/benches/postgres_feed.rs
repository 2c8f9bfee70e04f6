//! Scale of the PostgreSQL feed, on a throwaway cluster (as the tests start it):
//!
//! * snapshot: 100,000 tenants of 4 rules in the table; a replica's time from start to
//!   `/readyz`, the snapshot's own duration (its metric), and its resident memory against
//!   a replica with no tenant;
//! * propagation: the write `db put` sends, then the time until both of two replicas
//!   report the new version through `/v1/tenants/{tenant}`, p50 and p99.
//!
//! `cargo bench -p origin-policy-server --bench postgres_feed` (the numbers go to
//! BENCHMARKS.md; nothing here is asserted). `TENANTS=N` and `ROUNDS=N` change the sizes.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::binary;
use common::postgres::Postgres;
use common::replica::Replica;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let Some(mut pg) = Postgres::start() else {
        return;
    };
    let status = std::process::Command::new(binary())
        .args(["db", "migrate", "--postgres", &pg.url()])
        .status()
        .expect("db migrate");
    assert!(status.success());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(connection);
        client
    });

    propagation(&pg, &runtime, &client, env_or("ROUNDS", 500));
    snapshot(&pg, &runtime, &client, env_or("TENANTS", 100_000));
    pg.stop();
}

fn propagation(
    pg: &Postgres,
    runtime: &tokio::runtime::Runtime,
    client: &tokio_postgres::Client,
    rounds: usize,
) {
    let url = pg.url();
    let replicas = [
        Replica::start(&["--postgres", &url]),
        Replica::start(&["--postgres", &url]),
    ];
    for replica in &replicas {
        replica.wait_ready(Duration::from_secs(30));
    }
    let mut latencies = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let policy =
            format!("live = [\"https://r{round}.example\", \"https://*.r{round}.example\"]\n");
        let started = Instant::now();
        // The statement of `db put` (server/src/db/rows.rs).
        let row = runtime
            .block_on(client.query_one(
                "INSERT INTO origin_policy (tenant, policy, format) VALUES ($1, $2, $3)
                 ON CONFLICT (tenant) DO UPDATE SET policy = EXCLUDED.policy, format = EXCLUDED.format
                 RETURNING version",
                &[&"bench", &policy, &"toml"],
            ))
            .expect("write");
        let version = row.get::<_, i64>(0) as u64;
        for replica in &replicas {
            while replica.tenant("bench").0 != Some(version) {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "no propagation"
                );
            }
        }
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "propagation, write to both replicas ({rounds} rounds): p50 {:?}, p99 {:?}, max {:?}",
        at(0.5),
        at(0.99),
        latencies[latencies.len() - 1]
    );
}

fn snapshot(
    pg: &Postgres,
    runtime: &tokio::runtime::Runtime,
    client: &tokio_postgres::Client,
    tenants: usize,
) {
    let url = pg.url();
    let empty = Replica::start(&["--postgres", &url]);
    empty.wait_ready(Duration::from_secs(30));
    let baseline = empty.rss_kib();
    drop(empty);

    let started = Instant::now();
    runtime
        .block_on(client.batch_execute(&format!(
            "INSERT INTO origin_policy (tenant, policy, format)
             SELECT 'tenant' || i,
                    format('live = [\"https://t%s.example\", \"https://*.t%s.example\"]
test = [\"http://localhost:*\", \"https://staging.t%s.example\"]
', i, i, i),
                    'toml'
             FROM generate_series(1, {tenants}) AS i"
        )))
        .expect("insert the tenants");
    println!(
        "inserted {tenants} tenants of 4 rules in {:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let replica = Replica::start(&["--postgres", &url]);
    replica.wait_ready(Duration::from_secs(300));
    let ready = started.elapsed();
    let snapshot = replica.metric("origin_policy_db_snapshot_seconds");
    assert!(replica.tenant("tenant1").1);
    let rss = replica.rss_kib();
    println!(
        "snapshot of {tenants} tenants: ready {ready:?} after start, snapshot {snapshot:.3} s \
         (query, build, swap); RSS {} MiB, {} MiB with no tenant",
        rss.map_or(0, |kib| kib / 1024),
        baseline.map_or(0, |kib| kib / 1024)
    );
}
