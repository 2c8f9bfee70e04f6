//! The admin API on the policy directory alone (no PostgreSQL): writes replace the
//! tenant's file atomically, the ETag is a hash of the content, the decision listener
//! follows within a second, and a reader that reads the file all the while never sees a
//! torn one.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::admin::{
    add_domain, admin_replica, call, live_allowed, racing_writers, token_file, within, ALICE, OPS,
};
use origin_policy::policy_file::{parse, Format};
use serde_json::json;

#[test]
fn the_admin_api_replaces_the_tenants_file_atomically() {
    let policies = common::Policies::new(&[(
        "acme.toml",
        "# the marketing sites\nlive = [\"https://www.berbix.com\"]\n",
    )]);
    let tokens_dir = tempfile::tempdir().unwrap();
    let tokens = token_file(tokens_dir.path());
    let dir = policies.path().to_str().unwrap().to_owned();
    let (replica, admin) = admin_replica(&["--policies", &dir], &tokens);
    let acme = "/admin/v1/tenants/acme";
    let file = policies.path().join("acme.toml");

    let head = call(admin, ALICE, "GET", acme, None, &[]);
    assert_eq!(head.status, 200, "{}", head.body);
    let version = head.json()["version"].as_str().unwrap().to_owned();
    assert_eq!(head.etag(), format!("\"{version}\""));
    assert_eq!(head.json()["live"][0]["pattern"], "https://www.berbix.com");

    // A reader of the file, all through the writes below.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (stop, file) = (stop.clone(), file.clone());
        std::thread::spawn(move || {
            let mut reads = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let text = std::fs::read_to_string(&file).expect("the file is always there");
                if let Err(error) = parse("acme.toml", &text, Format::Toml) {
                    panic!("a torn or invalid file was read:\n{text}\n{error}");
                }
                reads += 1;
            }
            reads
        })
    };

    let mut etag = head.etag();
    for n in 0..20 {
        let pattern = format!("https://site{n}.berbix.com");
        let entry = json!({"mode": "live", "pattern": pattern, "note": format!("site \"{n}\"")});
        let added = add_domain(admin, ALICE, "acme", entry, Some(&etag));
        assert_eq!(added.status, 201, "{}", added.body);
        etag = added.etag();
    }
    stop.store(true, Ordering::Relaxed);
    let reads = reader.join().unwrap();
    assert!(reads > 0);

    // The file is the one stored; its hash is the version.
    let text = std::fs::read_to_string(&file).unwrap();
    let policy = parse("acme.toml", &text, Format::Toml).unwrap();
    assert_eq!(policy.rules(origin_policy::Mode::Live).len(), 21);
    assert_eq!(
        policy.rules(origin_policy::Mode::Live)[20].note(),
        Some("site \"19\"")
    );
    assert!(within(Duration::from_secs(1), || live_allowed(
        &replica,
        "acme",
        "https://site19.berbix.com"
    )));
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(policies.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["acme.toml"]);

    // A stale ETag, racing writers, a removal, an unknown tenant's first policy.
    let late = json!({"mode": "live", "pattern": "https://late.berbix.com"});
    let stale = add_domain(admin, ALICE, "acme", late, Some(&head.etag()));
    assert_eq!(stale.status, 412, "{}", stale.body);
    let racers = [
        (admin, "https://a.racer.com"),
        (admin, "https://b.racer.com"),
    ];
    assert_eq!(racing_writers(&racers, "acme", &etag), [201, 412]);

    let removed = call(
        admin,
        ALICE,
        "DELETE",
        "/admin/v1/tenants/acme/domains?mode=live&pattern=https://www.berbix.com:443",
        None,
        &[],
    );
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(within(Duration::from_secs(1), || !live_allowed(
        &replica,
        "acme",
        "https://www.berbix.com"
    )));

    let local = json!({"mode": "test", "pattern": "http://localhost:3000"});
    let fresh = add_domain(admin, OPS, "new%20co", local, Some("\"none\""));
    assert_eq!(fresh.status, 201, "{}", fresh.body);
    assert!(policies.path().join("new co.toml").is_file());
    // The check and the removal both need a mode and one more value, and a known mode.
    for (method, path, status, code, needs) in [
        (
            "GET",
            "check?mode=live",
            400,
            "missing_parameter",
            "`mode` and `origin`",
        ),
        (
            "GET",
            "check?origin=https://a.example",
            400,
            "missing_parameter",
            "`mode` and `origin`",
        ),
        (
            "DELETE",
            "domains?pattern=https://a.example",
            400,
            "missing_parameter",
            "`mode` and `pattern`",
        ),
        (
            "GET",
            "check?mode=prod&origin=https://a.example",
            422,
            "unknown_mode",
            "prod",
        ),
        (
            "DELETE",
            "domains?mode=prod&pattern=https://a.example",
            422,
            "unknown_mode",
            "prod",
        ),
    ] {
        let answer = call(admin, OPS, method, &format!("{acme}/{path}"), None, &[]);
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
        assert!(
            answer.body.contains(code) && answer.body.contains(needs),
            "{method} {path}: {}",
            answer.body
        );
    }
    let traversal = call(admin, OPS, "GET", "/admin/v1/tenants/..%2Fetc", None, &[]);
    assert_eq!(traversal.status, 400, "{}", traversal.body);

    // A file edited by hand that does not build is reported; the old policy is served.
    std::fs::write(&file, "live = [\"http://plain.example\"]\n").unwrap();
    assert!(within(Duration::from_secs(2), || replica.metric(
        r#"origin_policy_reload_failures_total{source="directory"}"#
    ) >= 1.0));
    let reported = call(admin, ALICE, "GET", acme, None, &[]).json();
    assert_eq!(reported["refused"]["errors"][0]["code"], "http_in_live");
    assert!(live_allowed(&replica, "acme", "https://site3.berbix.com"));
    // History is PostgreSQL's.
    assert_eq!(
        call(
            admin,
            ALICE,
            "GET",
            "/admin/v1/tenants/acme/history",
            None,
            &[]
        )
        .status,
        404
    );
}
