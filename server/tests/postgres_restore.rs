//! The PostgreSQL feed when the database is not the one the replicas followed: restored
//! from an older dump (which hands out version numbers again) with replicas running, and
//! forged notifications. Real PostgreSQL (`common/postgres.rs`), `pg_dump` / `pg_restore`
//! of the same installation, replicas as child processes.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::binary;
use common::postgres::Postgres;
use common::replica::{request, Replica};
use sha2::{Digest, Sha256};

/// The resync interval of the replicas.
const RESYNC_SECONDS: u64 = 2;
/// How long convergence may take: a resync interval, plus the reconnection backoff (at
/// most 5 s) when the restore ended the replicas' sessions.
const CONVERGE: Duration = Duration::from_secs(RESYNC_SECONDS + 8);

fn db(pg: &Postgres, args: &[&str]) -> String {
    let output = Command::new(binary())
        .arg("db")
        .args(args)
        .arg("--postgres")
        .arg(pg.url())
        .output()
        .expect("run db");
    assert!(
        output.status.success(),
        "db {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The policy text allowing `https://MARKER.example` in live mode.
fn text(marker: &str) -> String {
    format!("live = [\"https://{marker}.example\"]\n")
}

/// `db put TENANT` of the policy allowing `marker`; the version written.
fn put(pg: &Postgres, dir: &Path, tenant: &str, marker: &str) -> u64 {
    let file = dir.join(format!("{tenant}-{marker}.toml"));
    std::fs::write(&file, text(marker)).unwrap();
    let out = db(pg, &["put", tenant, file.to_str().unwrap()]);
    out.trim()
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("db put said {out:?}"))
}

/// The content hash a replica reports for a policy text (the server's: SHA-256 of the
/// policy's serialization).
fn content_hash(text: &str) -> String {
    let policy =
        origin_policy::policy_file::parse("t.toml", text, origin_policy::policy_file::Format::Toml)
            .unwrap();
    let digest = Sha256::digest(serde_json::to_vec(&policy).unwrap());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The content hash `replica` serves for `tenant` (`None`: no policy).
fn served(replica: &Replica, tenant: &str) -> Option<String> {
    let (_, body) = replica
        .get(&format!("/v1/tenants/{tenant}"))
        .unwrap_or_else(|| panic!("{}: no answer", replica.addr));
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    json["content_hash"].as_str().map(str::to_owned)
}

/// Every tenant's current policy text in the database.
fn table(pg: &Postgres) -> HashMap<String, String> {
    let out = pg.tool(
        "psql",
        &[
            "-d",
            "postgres",
            "-At",
            "-F",
            "\t",
            "-c",
            "SELECT tenant, replace(policy, E'\\n', '') FROM origin_policy",
        ],
    );
    out.lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(tenant, policy)| (tenant.to_owned(), format!("{policy}\n")))
        .collect()
}

/// The `/v1/auth` status for a live-mode request of `tenant` from `https://MARKER.example`.
fn auth(replica: &Replica, tenant: &str, marker: &str) -> u16 {
    let origin = format!("https://{marker}.example");
    let headers = [
        ("X-Tenant", tenant),
        ("Origin", origin.as_str()),
        ("Authorization", common::LIVE_KEY),
    ];
    request(replica.addr, "/v1/auth", &headers)
        .expect("an answer")
        .0
}

fn replica(pg: &Postgres) -> Replica {
    let url = pg.url();
    let resync = RESYNC_SECONDS.to_string();
    let replica = Replica::start(&["--postgres", &url, "--postgres-resync-seconds", &resync]);
    replica.wait_ready(Duration::from_secs(20));
    replica
}

/// Waits until every replica serves, for every tenant of `tenants`, exactly the content
/// of the database (no policy for a tenant it does not have); panics with the differences
/// after [`CONVERGE`]. Returns how long it took.
fn wait_converged(replicas: &[&Replica], pg: &Postgres, tenants: &[&str]) -> Duration {
    let started = Instant::now();
    loop {
        let table = table(pg);
        let mut differ = Vec::new();
        for (index, replica) in replicas.iter().enumerate() {
            for tenant in tenants {
                let expected = table.get(*tenant).map(|text| content_hash(text));
                let held = served(replica, tenant);
                if held != expected {
                    differ.push((index, *tenant, held, expected));
                }
            }
        }
        if differ.is_empty() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < CONVERGE,
            "not converged after {CONVERGE:?}: (replica, tenant, served, table) {differ:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The issue's reproduction: a dump; `acme` changed and `other` deleted; the database
/// dropped and restored from the dump; `acme` written again with other content (reusing
/// the version it had), and a new tenant at the next version (reusing the deletion's).
#[test]
fn after_a_restore_from_an_older_dump_running_and_new_replicas_serve_the_database() {
    let Some(pg) = Postgres::start() else { return };
    db(&pg, &["migrate"]);
    let dir = tempfile::tempdir().unwrap();
    put(&pg, dir.path(), "acme", "acme-one");
    put(&pg, dir.path(), "other", "other-one");
    put(&pg, dir.path(), "stays", "stays-one");
    let replicas = [replica(&pg), replica(&pg)];

    let dump = pg.file("before.dump");
    pg.tool(
        "pg_dump",
        &["-Fc", "-d", "postgres", "-f", dump.to_str().unwrap()],
    );
    let changed = put(&pg, dir.path(), "acme", "acme-two");
    let deleted: u64 = db(&pg, &["delete", "other"])
        .trim()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let tenants = ["acme", "other", "stays", "late"];
    wait_converged(&[&replicas[0], &replicas[1]], &pg, &tenants);

    // Drop and restore: the running replicas' sessions end, the versions restart.
    let drop = "DROP DATABASE postgres WITH (FORCE)";
    pg.tool("psql", &["-d", "template1", "-c", drop]);
    pg.tool(
        "psql",
        &["-d", "template1", "-c", "CREATE DATABASE postgres"],
    );
    pg.tool("pg_restore", &["-d", "postgres", dump.to_str().unwrap()]);
    let again = put(&pg, dir.path(), "acme", "acme-three");
    assert_eq!(
        again, changed,
        "the restored sequence hands out the version again"
    );
    let reused = put(&pg, dir.path(), "late", "late-one");
    assert_eq!(reused, deleted);

    let third = replica(&pg);
    let all = [&replicas[0], &replicas[1], &third];
    let took = wait_converged(&all, &pg, &tenants);
    eprintln!("converged {took:?} after the restore");
    for replica in all {
        assert_eq!(auth(replica, "acme", "acme-three"), 204);
        assert_eq!(auth(replica, "acme", "acme-two"), 403);
        assert_eq!(auth(replica, "other", "other-one"), 204);
        assert_eq!(auth(replica, "late", "late-one"), 204);
    }
    let by_watermark = r#"origin_policy_db_full_reloads_total{signal="watermark"}"#;
    for replica in &replicas {
        assert!(replica.metric(by_watermark) >= 1.0);
    }
    assert!(!third
        .get("/metrics")
        .unwrap()
        .1
        .contains("full_reloads_total{"));
    // From now on each replica keeps serving the database's content.
    let watched = Instant::now();
    while watched.elapsed() < Duration::from_secs(RESYNC_SECONDS + 1) {
        wait_converged(&all, &pg, &tenants);
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A restore while the replicas stay connected (`pg_restore --clean` into the same
/// database, as a failover keeps the clients' address), after which the writes repeat, at
/// the replicas' watermark, exactly the change they read there: only the checksum of the
/// periodic resync can tell, and it does.
#[test]
fn a_restore_whose_writes_repeat_the_change_at_the_watermark_is_found_by_the_checksum() {
    let Some(pg) = Postgres::start() else { return };
    db(&pg, &["migrate"]);
    let dir = tempfile::tempdir().unwrap();
    put(&pg, dir.path(), "acme", "acme-one");
    put(&pg, dir.path(), "other", "other-one");
    let running = replica(&pg);

    let dump = pg.file("before.dump");
    pg.tool(
        "pg_dump",
        &["-Fc", "-d", "postgres", "-f", dump.to_str().unwrap()],
    );
    let changed = put(&pg, dir.path(), "acme", "acme-two");
    let deleted: u64 = db(&pg, &["delete", "other"])
        .trim()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let tenants = ["acme", "other"];
    wait_converged(&[&running], &pg, &tenants);
    assert_eq!(
        running.metric("origin_policy_db_applied_version"),
        deleted as f64
    );

    pg.tool(
        "pg_restore",
        &[
            "--clean",
            "--if-exists",
            "-d",
            "postgres",
            dump.to_str().unwrap(),
        ],
    );
    // Both writes in one transaction, so that the replica never reads between them: the
    // history's newest change is again the deletion of `other`, at the same version. (An
    // update stamps one version, as `db put` of an existing tenant does.)
    let sql = format!(
        "BEGIN; UPDATE origin_policy SET policy = '{}' WHERE tenant = 'acme'; \
         DELETE FROM origin_policy WHERE tenant = 'other'; COMMIT;",
        text("acme-three")
    );
    pg.tool("psql", &["-d", "postgres", "-c", &sql]);
    let versions = pg.tool(
        "psql",
        &["-d", "postgres", "-At", "-c", "SELECT version, tenant, policy IS NULL FROM origin_policy_history ORDER BY version DESC LIMIT 2"],
    );
    assert_eq!(
        versions.lines().collect::<Vec<_>>(),
        [format!("{deleted}|other|t"), format!("{changed}|acme|f")]
    );

    wait_converged(&[&running], &pg, &tenants);
    assert_eq!(auth(&running, "acme", "acme-three"), 204);
    assert_eq!(auth(&running, "acme", "acme-two"), 403);
    let reloads = r#"origin_policy_db_full_reloads_total{signal="checksum"}"#;
    assert_eq!(running.metric(reloads), 1.0);
    let by_watermark = r#"origin_policy_db_full_reloads_total{signal="watermark"}"#;
    assert_eq!(running.metric(by_watermark), 0.0);
}

/// Any role can `NOTIFY origin_policy` with any payload: a forged version is a hint to
/// read again, nothing more.
#[test]
fn a_forged_notification_changes_no_decision_and_no_lag() {
    let Some(pg) = Postgres::start() else { return };
    db(&pg, &["migrate"]);
    let dir = tempfile::tempdir().unwrap();
    put(&pg, dir.path(), "acme", "acme-one");
    let newest = put(&pg, dir.path(), "other", "other-one");
    let replicas = [replica(&pg), replica(&pg)];
    for payload in [
        r#"{"version": 9223372036854775807}"#,
        r#"{"tenant": "acme", "version": 9223372036854775807}"#,
        r#"{"tenant": "acme", "version": 1}"#,
        "not json",
    ] {
        let sql = format!("SELECT pg_notify('origin_policy', '{payload}')");
        pg.tool("psql", &["-d", "postgres", "-c", &sql]);
    }
    for replica in &replicas {
        let deadline = Instant::now() + Duration::from_secs(5);
        while replica.metric("origin_policy_db_notifications_total") < 4.0 {
            assert!(
                Instant::now() < deadline,
                "the notifications did not arrive"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // Let the catch-ups they started finish: a resync reads the same database.
        let resyncs = replica.metric("origin_policy_db_resyncs_total");
        let deadline = Instant::now() + Duration::from_secs(RESYNC_SECONDS * 3);
        while replica.metric("origin_policy_db_resyncs_total") < resyncs + 1.0 {
            assert!(Instant::now() < deadline, "no resync");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(replica.metric("origin_policy_db_version_lag"), 0.0);
        assert_eq!(
            replica.metric("origin_policy_db_announced_version"),
            newest as f64
        );
        assert_eq!(
            replica.metric("origin_policy_db_applied_version"),
            newest as f64
        );
        let metrics = replica.get("/metrics").unwrap().1;
        assert!(!metrics.contains("full_reloads_total{"), "{metrics}");
        assert_eq!(auth(replica, "acme", "acme-one"), 204);
        assert_eq!(auth(replica, "acme", "evil"), 403);
        assert_eq!(auth(replica, "other", "other-one"), 204);
        assert_eq!(
            served(replica, "acme"),
            Some(content_hash(&text("acme-one")))
        );
    }
}
