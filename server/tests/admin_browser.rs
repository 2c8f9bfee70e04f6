//! The Allowed Domains page in headless Chromium (Debian's `chromium` through
//! `chromedriver`), against replicas of a throwaway PostgreSQL, driven as a person would:
//! type the token and the tenant and press Enter; add `berbix.com` in live and see the
//! error with its suggestion; use the suggestion; test an origin; remove the entry; and
//! see the conflict message after another session's edit.
//!
//! Screenshots go to the test's temporary directory, or to `docs/` with
//! `UPDATE_SCREENSHOTS=1` (how `docs/admin-page*.png` are made). Without Chromium,
//! chromedriver or PostgreSQL the test fails when `CI=true` and is skipped otherwise.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::admin::{admin_replica, call, send, token_file, ALICE, OPS};
use common::postgres::Postgres;
use common::webdriver::{installed, Driver, ENTER};
use serde_json::json;

fn screenshot_dir() -> PathBuf {
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs"))
    } else {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
    }
}

#[test]
fn a_person_manages_the_allowed_domains_in_a_browser() {
    for program in ["chromium", "chromedriver"] {
        if !installed(program) {
            assert!(!common::required(), "{program} is not installed (CI=true)");
            eprintln!("SKIPPED: {program} is not installed");
            return;
        }
    }
    let Some(pg) = Postgres::start() else {
        return;
    };
    let migrated = Command::new(common::binary())
        .args(["db", "migrate", "--postgres", &pg.url()])
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{migrated:?}");
    let dir = tempfile::tempdir().unwrap();
    let tokens = token_file(dir.path());
    let url = pg.url();
    let (_replica, admin) = admin_replica(&["--postgres", &url], &tokens);
    let seeded = send(
        admin,
        "PUT",
        "/admin/v1/tenants/acme",
        &[
            ("Authorization", &format!("Bearer {OPS}")),
            ("Content-Type", "application/toml"),
        ],
        br#"live = [
  { pattern = "https://www.berbix.com", note = "Marketing site" },
  { pattern = "https://*.berbix-cdn.com", note = "Asset CDN" },
]
test = [
  { pattern = "http://localhost:3000", note = "Local development" },
  "https://staging.berbix.com",
]
"#,
    );
    assert_eq!(seeded.status, 200, "{}", seeded.body);

    // The page's own headers.
    let page = send(admin, "GET", "/admin/", &[], b"");
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(page.header("set-cookie").is_none());
    assert!(!page.body.contains("<script>") && !page.body.contains("style="));

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.session(profile.path());
    browser.goto(&format!("http://{admin}/admin/"));

    // Every field has a label.
    let unlabelled = browser.run(
        "return [...document.querySelectorAll('input, select')]
            .filter(e => !document.querySelector('label[for=\"' + e.id + '\"]')).length",
    );
    assert_eq!(unlabelled, json!(0));

    // Token, tenant, Enter: the lists load.
    browser.type_text(&browser.testid("token"), ALICE);
    browser.type_text(&browser.testid("tenant"), &format!("acme{ENTER}"));
    let marketing =
        browser.find("[data-testid=entries-live] [data-pattern=\"https://www.berbix.com\"]");
    let text = browser.text(&marketing);
    assert!(text.contains("Marketing site"), "{text:?}");
    let version = call(admin, ALICE, "GET", "/admin/v1/tenants/acme", None, &[]).json()["version"]
        .as_u64()
        .unwrap();
    browser.wait_text("version", &version.to_string());
    browser.find("[data-testid=entries-test] [data-pattern=\"http://localhost:3000\"]");
    assert_eq!(browser.run("return document.cookie"), json!(""));
    assert_eq!(
        browser.run("return sessionStorage.getItem('origin-policy-admin-token')"),
        json!(ALICE)
    );

    // berbix.com in live: the error, its caret line, and the suggestion.
    browser.type_text(&browser.testid("add-pattern"), "berbix.com");
    browser.click(&browser.testid("add-submit"));
    let error = browser.wait_text("add-error", "https://");
    assert!(error.contains("berbix.com\n^"), "{error:?}");
    let suggestion = browser.wait_text("add-suggestion", "Use https://berbix.com");
    assert_eq!(suggestion, "Use https://berbix.com");
    browser.screenshot(&screenshot_dir().join("admin-page-error.png"));

    // Use it: listed, the error gone.
    browser.click(&browser.testid("add-suggestion"));
    browser.find("[data-testid=entries-live] [data-pattern=\"https://berbix.com\"]");
    let add_error = browser.testid("add-error");
    browser.wait("the error to go", || !browser.displayed(&add_error));

    // Test an origin: allowed by that rule.
    browser.type_text(&browser.testid("check-origin"), "https://berbix.com");
    browser.click(&browser.testid("check-submit"));
    browser.wait_text("check-result", "Allowed by https://berbix.com");
    browser.screenshot(&screenshot_dir().join("admin-page.png"));
    // And in test mode (chosen in the select), denied, with why.
    browser.click(&browser.find("[data-testid=check-mode] option[value=test]"));
    browser.click(&browser.testid("check-submit"));
    browser.wait_text("check-result", "Denied: no rule of this mode matches");

    // Remove it: gone.
    let entry = "[data-testid=entries-live] [data-pattern=\"https://berbix.com\"]";
    browser.click(&browser.find(&format!("{entry} button")));
    browser.wait("the entry to go", || browser.find_all(entry).is_empty());
    let listed = call(admin, ALICE, "GET", "/admin/v1/tenants/acme", None, &[]).json();
    assert!(
        !listed.to_string().contains("\"https://berbix.com\""),
        "{listed}"
    );

    // Another session edits the list; this page's next write is refused with the
    // conflict message, and nothing is written.
    let other = call(
        admin,
        OPS,
        "POST",
        "/admin/v1/tenants/acme/domains",
        Some(json!({"mode": "live", "pattern": "https://docs.berbix.com",
                    "note": "<img src=x onerror=\"document.title='owned'\">"})),
        &[],
    );
    assert_eq!(other.status, 201, "{}", other.body);
    browser.type_text(&browser.testid("add-pattern"), "https://shop.berbix.com");
    browser.click(&browser.testid("add-submit"));
    browser.wait_text("conflict", "Someone else changed this list");
    browser.screenshot(&screenshot_dir().join("admin-page-conflict.png"));
    let after = call(admin, ALICE, "GET", "/admin/v1/tenants/acme", None, &[]).json();
    assert!(!after.to_string().contains("shop.berbix.com"), "{after}");
    // Reload shows the other session's entry and clears the message.
    browser.click(&browser.find("#conflict-reload"));
    let docs =
        browser.find("[data-testid=entries-live] [data-pattern=\"https://docs.berbix.com\"]");
    // Its note is shown as text, never as HTML.
    let shown = browser.text(&docs);
    assert!(shown.contains("<img src=x onerror="), "{shown:?}");
    assert_eq!(
        browser.run("return document.querySelectorAll('main img').length"),
        json!(0)
    );
    let conflict = browser.testid("conflict");
    browser.wait("the conflict message to go", || {
        !browser.displayed(&conflict)
    });
}
