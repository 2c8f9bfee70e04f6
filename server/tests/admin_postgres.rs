//! The admin API against a throwaway PostgreSQL with two replicas (each with its admin
//! listener): authentication, the status codes of the contract, a write on replica 1
//! decided by replica 2 within a second, racing writers, the history's writer, and a
//! policy written around the API that does not build.

mod common;

use std::process::Command;
use std::time::Duration;

use common::admin::{
    add_domain, admin_replica, call, live_allowed, racing_writers, send, token_file, within, ALICE,
    OPS,
};
use common::binary;
use common::postgres::Postgres;
use serde_json::json;

const SECOND: Duration = Duration::from_secs(1);

fn migrate(pg: &Postgres) {
    let output = Command::new(binary())
        .args(["db", "migrate", "--postgres", &pg.url()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

fn sql(pg: &Postgres, statement: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client.batch_execute(statement).await.unwrap();
    });
}

#[test]
fn the_admin_api_writes_to_postgresql_and_every_replica_follows() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    migrate(&pg);
    let dir = tempfile::tempdir().unwrap();
    let tokens = token_file(dir.path());
    let url = pg.url();
    let source = ["--postgres", url.as_str()];
    let (one, admin1) = admin_replica(&source, &tokens);
    let (two, admin2) = admin_replica(&source, &tokens);
    let acme = "/admin/v1/tenants/acme";
    let domains = "/admin/v1/tenants/acme/domains";

    // Authentication: 401 without or with an unknown token, 403 for another tenant,
    // whether it exists or not, with the same body.
    let anonymous = send(admin1, "GET", acme, &[], b"");
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    assert_eq!(anonymous.json()["error"]["code"], "unauthorized");
    assert_eq!(
        call(admin1, "not-a-token", "GET", acme, None, &[]).status,
        401
    );
    let existing = call(admin1, ALICE, "GET", "/admin/v1/tenants/default", None, &[]);
    let missing = call(admin1, ALICE, "GET", "/admin/v1/tenants/nobody", None, &[]);
    assert_eq!((existing.status, missing.status), (403, 403));
    assert_eq!(existing.body, missing.body);
    // The decision listener has no admin API.
    assert_eq!(common::replica::get(one.addr, acme).unwrap().0, 404);

    // A tenant without a policy yet.
    let empty = call(admin1, ALICE, "GET", acme, None, &[]);
    assert_eq!(empty.status, 200, "{}", empty.body);
    let body = empty.json();
    assert_eq!(body["version"], serde_json::Value::Null);
    assert_eq!(body["live"], json!([]));
    assert_eq!(body["test"], json!([]));
    let none = empty.etag();

    // Malformed, unknown mode, too large, invalid entry.
    let malformed = send(
        admin1,
        "POST",
        domains,
        &[
            ("Authorization", &format!("Bearer {ALICE}")),
            ("Content-Type", "application/json"),
        ],
        b"{\"mode\": \"live\", ",
    );
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    assert!(malformed.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("JSON"));
    let prod = json!({"mode": "prod", "pattern": "https://a.example"});
    let unknown = add_domain(admin1, ALICE, "acme", prod, None);
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    assert_eq!(unknown.json()["errors"][0]["code"], "unknown_mode");
    let huge = "x".repeat(70 * 1024);
    let too_large = add_domain(
        admin1,
        ALICE,
        "acme",
        json!({"mode": "live", "pattern": huge}),
        None,
    );
    assert_eq!(too_large.status, 413, "{}", too_large.body);
    let bare = json!({"mode": "live", "pattern": "berbix.com"});
    let invalid = add_domain(admin1, ALICE, "acme", bare, None);
    assert_eq!(invalid.status, 422, "{}", invalid.body);
    let error = &invalid.json()["errors"][0];
    assert_eq!(error["code"], "missing_scheme");
    assert_eq!(error["suggestion"], "https://berbix.com");
    assert_eq!(error["mode"], "live");

    // Added on replica 1, allowed by replica 2 within a second.
    let origin = "https://www.berbix.com";
    assert!(!live_allowed(&two, "acme", origin));
    let entry = json!({"mode": "live", "pattern": origin, "note": "marketing site"});
    let added = add_domain(admin1, ALICE, "acme", entry, Some(&none));
    assert_eq!(added.status, 201, "{}", added.body);
    let version = added.json()["version"].as_u64().unwrap();
    assert_eq!(added.etag(), format!("\"{version}\""));
    assert!(
        within(SECOND, || live_allowed(&two, "acme", origin)),
        "replica 2 does not allow {origin} within 1 s of its addition"
    );
    let listed = call(admin2, OPS, "GET", acme, None, &[]).json();
    assert_eq!(listed["version"], version);
    assert_eq!(
        listed["live"],
        json!([{"pattern": origin, "note": "marketing site"}])
    );

    // The same entry in another spelling: 409. A stale version: 412.
    let respelled = json!({"mode": "live", "pattern": "HTTPS://WWW.BERBIX.COM:443/"});
    let again = add_domain(admin2, ALICE, "acme", respelled, None);
    assert_eq!(again.status, 409, "{}", again.body);
    let docs = json!({"mode": "live", "pattern": "https://docs.berbix.com"});
    let stale = add_domain(admin2, ALICE, "acme", docs, Some(&none));
    assert_eq!(stale.status, 412, "{}", stale.body);

    // Two writers with the same If-Match, one on each replica: one wins.
    let current = format!("\"{version}\"");
    let racers = [
        (admin1, "https://one.berbix.com"),
        (admin2, "https://two.berbix.com"),
    ];
    assert_eq!(racing_writers(&racers, "acme", &current), [201, 412]);

    // Validation against the list, and a check of the applied policy.
    let redundant = call(
        admin1,
        ALICE,
        "POST",
        "/admin/v1/validate",
        Some(json!({"mode": "test", "pattern": "http://localhost:3000", "tenant": "acme"})),
        &[],
    )
    .json();
    assert_eq!(redundant["valid"], true);
    assert_eq!(redundant["canonical"], "http://localhost:3000");
    let checked = call(
        admin2,
        ALICE,
        "GET",
        "/admin/v1/tenants/acme/check?mode=live&origin=https%3A%2F%2Fwww.berbix.com",
        None,
        &[],
    )
    .json();
    assert_eq!(checked["allowed"], true);
    assert_eq!(checked["rule"], origin);
    let denied = call(
        admin2,
        ALICE,
        "GET",
        "/admin/v1/tenants/acme/check?mode=test&origin=https%3A%2F%2Fwww.berbix.com",
        None,
        &[],
    )
    .json();
    assert_eq!(
        (denied["allowed"].clone(), denied["reason"].clone()),
        (json!(false), json!("no_matching_rule"))
    );

    // Removed in another spelling on replica 2, denied by replica 1 within a second.
    let head = call(admin2, ALICE, "GET", acme, None, &[]);
    let removed = call(
        admin2,
        ALICE,
        "DELETE",
        "/admin/v1/tenants/acme/domains?mode=live&pattern=https%3A%2F%2FWWW.berbix.com%3A443",
        None,
        &[("If-Match", &head.etag())],
    );
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(
        within(SECOND, || !live_allowed(&one, "acme", origin)),
        "replica 1 still allows {origin} 1 s after its removal"
    );
    let gone = call(
        admin2,
        ALICE,
        "DELETE",
        "/admin/v1/tenants/acme/domains?mode=live&pattern=https%3A%2F%2Fwww.berbix.com",
        None,
        &[],
    );
    assert_eq!(gone.status, 404, "{}", gone.body);

    // The history names the writers.
    let history = call(
        admin1,
        ALICE,
        "GET",
        "/admin/v1/tenants/acme/history",
        None,
        &[],
    )
    .json();
    let writers: Vec<&str> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["written_by"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(writers, ["alice", "ops", "alice"]);

    // A whole policy, then one written around the API that does not build.
    let put = send(
        admin1,
        "PUT",
        acme,
        &[
            ("Authorization", &format!("Bearer {OPS}")),
            ("Content-Type", "application/toml"),
        ],
        b"live = [\"https://www.berbix.com\", \"https://*.berbix.com\"]\n",
    );
    assert_eq!(put.status, 200, "{}", put.body);
    let bad_put = send(
        admin1,
        "PUT",
        acme,
        &[
            ("Authorization", &format!("Bearer {OPS}")),
            ("Content-Type", "application/toml"),
        ],
        b"live = [\"http://www.berbix.com\"]\n",
    );
    assert_eq!(bad_put.status, 422, "{}", bad_put.body);
    assert_eq!(bad_put.json()["errors"][0]["code"], "http_in_live");
    assert!(within(SECOND, || live_allowed(
        &two,
        "acme",
        "https://docs.berbix.com"
    )));

    let failures = r#"origin_policy_reload_failures_total{source="postgres"}"#;
    let before = two.metric(failures);
    sql(
        &pg,
        "UPDATE origin_policy SET policy = 'live = [\"https://ok.example\", \"http://plain.example\"]' WHERE tenant = 'acme'",
    );
    assert!(within(Duration::from_secs(5), || two.metric(failures) > before));
    let reported = call(admin2, ALICE, "GET", acme, None, &[]).json();
    let refused = &reported["refused"];
    assert_eq!(refused["version"], reported["version"], "{reported}");
    assert_eq!(refused["errors"][0]["code"], "http_in_live", "{reported}");
    assert_eq!(refused["errors"][0]["index"], 1, "{reported}");
    // The replicas keep serving the last policy that built, and the page lists it.
    assert!(live_allowed(&two, "acme", "https://docs.berbix.com"));
    assert_eq!(reported["live"][1]["pattern"], "https://*.berbix.com");
    // `db get` says the same.
    let get = Command::new(binary())
        .args(["db", "get", "acme", "--postgres", &url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&get.stderr);
    assert!(
        stderr.contains("refused") && stderr.contains("HttpInLive"),
        "{stderr}"
    );
    // A write through the API repairs it: the base is the policy that is served.
    let served = call(admin1, ALICE, "GET", acme, None, &[]).etag();
    let pay = json!({"mode": "live", "pattern": "https://pay.example"});
    let repaired = add_domain(admin1, ALICE, "acme", pay, Some(&served));
    assert_eq!(repaired.status, 201, "{}", repaired.body);
    assert!(within(SECOND, || live_allowed(
        &two,
        "acme",
        "https://pay.example"
    )));
    assert!(call(admin1, ALICE, "GET", acme, None, &[]).json()["refused"].is_null());
}

/// `db put ARGS` with `stdin`, the database named only by `env` (no `--postgres`).
fn db_put(env: &[(&str, String)], args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write as _;
    let mut command = Command::new(binary());
    command
        .args(["db", "put"])
        .args(args)
        .env_remove("DATABASE_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for variable in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
        command.env_remove(variable);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    // A command that fails before reading stdin closes it: that is its answer, not ours.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

#[test]
fn db_put_reads_stdin_takes_the_url_from_the_environment_and_compares_versions() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    migrate(&pg);
    let url = [("DATABASE_URL", pg.url())];
    // `-` is stdin; JSON is sniffed.
    let first = db_put(&url, &["acme", "-"], r#"{"live": ["https://a.example"]}"#);
    assert!(first.status.success(), "{first:?}");
    let version = |output: &std::process::Output| -> u64 {
        let out = String::from_utf8_lossy(&output.stdout).into_owned();
        let number = out.trim().strip_prefix("acme: version ");
        number
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{out:?}"))
    };
    let one = version(&first).to_string();
    // The libpq variables, --format, and --if-version with the current version.
    let config: tokio_postgres::Config = pg.url().parse().unwrap();
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
    };
    let libpq = [
        ("PGHOST", host),
        ("PGPORT", config.get_ports()[0].to_string()),
        ("PGUSER", config.get_user().unwrap().to_owned()),
        (
            "PGDATABASE",
            config.get_dbname().unwrap_or("postgres").to_owned(),
        ),
    ];
    let second = db_put(
        &libpq,
        &["acme", "-", "--format", "toml", "--if-version", &one],
        "live = [\"https://b.example\"]\n",
    );
    assert!(second.status.success(), "{second:?}");
    let two = version(&second);
    assert!(two > version(&first));
    // A stale version: exit 3, nothing written.
    let stale = db_put(
        &url,
        &["acme", "-", "--if-version", &one],
        "live = [\"https://c.example\"]\n",
    );
    assert_eq!(stale.status.code(), Some(3), "{stale:?}");
    let refused = String::from_utf8_lossy(&stale.stderr).into_owned();
    assert!(
        refused.contains(&format!("is at version {two}, not {one}")),
        "{refused}"
    );
    // 0: only if the tenant has no policy yet.
    let fresh = db_put(&url, &["newco", "-", "--if-version", "0"], "test = []\n");
    assert!(fresh.status.success(), "{fresh:?}");
    let taken = db_put(&url, &["newco", "-", "--if-version", "0"], "test = []\n");
    assert_eq!(taken.status.code(), Some(3), "{taken:?}");
    // No database named anywhere: a clear error.
    let nowhere = db_put(&[], &["acme", "-"], "test = []\n");
    assert_eq!(nowhere.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nowhere.stderr).contains("DATABASE_URL"));
    let get = Command::new(binary())
        .args(["db", "get", "acme"])
        .env("DATABASE_URL", pg.url())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&get.stdout),
        "live = [\"https://b.example\"]\n"
    );
}
