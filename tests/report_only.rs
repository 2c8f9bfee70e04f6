//! Report-only modes (`PolicyOptions::report_only`, `[options] report_only = ["live"]`):
//! the policy file and the builder, the lint, `OriginPolicyLayer` (a request that would be
//! denied passes, with `X-Origin-Policy-Report-Only` and a `report_only` denial) and
//! `FrameAncestorsLayer` (`Content-Security-Policy-Report-Only`).

#![cfg(all(feature = "tower", feature = "serde"))]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http::{header, Method, Request, Response, StatusCode};
use origin_policy::middleware::{
    FrameAncestorsLayer, OriginPolicyLayer, Verdict, REPORT_ONLY_HEADER,
};
use origin_policy::{Mode, ModeSet, Policy, PolicyConfig, WarningKind};
use tower::{service_fn, Layer, ServiceExt};

const FILE: &str = r#"
live = ["https://*.berbix.com"]
test = ["http://localhost:*"]

[options]
report_only = ["live"]
"#;

fn policy() -> Policy {
    toml::from_str::<PolicyConfig>(FILE)
        .unwrap()
        .build()
        .unwrap()
}

async fn ok(_: Request<String>) -> Result<Response<String>, Infallible> {
    Ok(Response::new("hello".to_owned()))
}

fn request(method: Method, headers: &[(&str, &str)]) -> Request<String> {
    let mut builder = Request::builder().method(method).uri("/");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(String::new()).unwrap()
}

#[test]
fn the_file_the_builder_and_the_written_file_agree() {
    let from_file = policy();
    assert!(from_file.options().is_report_only(Mode::Live));
    assert!(!from_file.options().is_report_only(Mode::Test));
    let built = Policy::builder()
        .allow(Mode::Live, "https://*.berbix.com")
        .allow(Mode::Test, "http://localhost:*")
        .report_only(Mode::Live, true)
        .build()
        .unwrap();
    assert_eq!(built, from_file);
    let written = toml::to_string(&from_file.to_config()).unwrap();
    assert!(written.contains("report_only = [\"live\"]"), "{written}");
    assert_eq!(toml::from_str::<Policy>(&written).unwrap(), from_file);
    // Off by default, and then not written at all.
    let plain = Policy::builder().build().unwrap();
    assert!(plain.options().report_only.is_empty());
    let written = toml::to_string(&plain.to_config()).unwrap();
    assert!(!written.contains("report_only"), "{written}");
    // Both modes, in any order, and a mode named twice.
    let config: PolicyConfig =
        toml::from_str("[options]\nreport_only = [\"test\", \"live\", \"test\"]").unwrap();
    assert_eq!(
        config.options.report_only,
        [Mode::Live, Mode::Test].into_iter().collect::<ModeSet>()
    );
    // Anything else is refused: fail closed.
    for bad in [
        "[options]\nreport_only = [\"prod\"]",
        "[options]\nreport_only = \"live\"",
        "[options]\nreport_only = [true]",
    ] {
        assert!(toml::from_str::<PolicyConfig>(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_lint_warns_about_a_report_only_mode() {
    let policy = policy();
    let warnings = policy.lint();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].kind(), WarningKind::ReportOnly);
    assert_eq!(warnings[0].mode(), Mode::Live);
    assert_eq!(
        warnings[0].to_string(),
        "live[0] https://*.berbix.com: live mode is report-only: requests it would deny pass \
         and are only reported (options.report_only)"
    );
    // After the first rule's own warnings, before the second rule's.
    let policy = Policy::builder()
        .allow(Mode::Live, "https://x.com:443")
        .allow(Mode::Live, "https://x.com")
        .report_only(Mode::Live, true)
        .build()
        .unwrap();
    let kinds: Vec<_> = policy
        .lint()
        .iter()
        .map(|w| (w.rule().index(), w.kind()))
        .collect();
    assert_eq!(
        kinds,
        [
            (0, WarningKind::ExplicitDefaultPort),
            (0, WarningKind::ReportOnly),
            (1, WarningKind::Duplicate),
        ]
    );
}

#[tokio::test]
async fn a_request_that_would_be_denied_passes_with_the_header_and_is_reported() {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let log = heard.clone();
    let layer = OriginPolicyLayer::new(policy())
        .mode_from_api_secret()
        .on_deny(move |denial| {
            log.lock()
                .unwrap()
                .push((denial.mode, denial.reason.code(), denial.report_only));
        });
    let service = layer.layer(service_fn(ok));
    let live = ("authorization", "Bearer secret_live_k");
    let test = ("authorization", "Bearer secret_test_k");

    // Live is report-only: a disallowed origin passes, marked.
    let response = service
        .clone()
        .oneshot(request(
            Method::GET,
            &[live, ("origin", "https://evil.example")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[&REPORT_ONLY_HEADER],
        "origin_not_allowed"
    );
    assert_eq!(response.headers()[header::VARY], "origin");
    assert_eq!(response.into_body(), "hello");

    // An allowed origin carries no mark and is not reported.
    let response = service
        .clone()
        .oneshot(request(
            Method::GET,
            &[live, ("origin", "https://a.berbix.com")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.headers().contains_key(&REPORT_ONLY_HEADER));

    // Test is enforced.
    let response = service
        .clone()
        .oneshot(request(
            Method::GET,
            &[test, ("origin", "https://evil.example")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!response.headers().contains_key(&REPORT_ONLY_HEADER));

    // No mode: nothing to be report-only about.
    let response = service
        .clone()
        .oneshot(request(Method::GET, &[("origin", "https://a.berbix.com")]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // A preflight (any mode) passes when some mode is report-only.
    let preflight = request(
        Method::OPTIONS,
        &[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "POST"),
        ],
    );
    assert!(matches!(
        layer.decide(&preflight.into_parts().0),
        Verdict::WouldDeny { mode: None, .. }
    ));

    assert_eq!(
        *heard.lock().unwrap(),
        [
            (Some(Mode::Live), "no_matching_rule", true),
            (Some(Mode::Test), "no_matching_rule", false),
            (None, "no_mode", false),
            (None, "no_matching_rule", true),
        ]
    );
}

#[tokio::test]
async fn the_frame_directive_of_a_report_only_mode_is_report_only_and_merged() {
    let layer = FrameAncestorsLayer::new(policy())
        .mode_from(|parts| parts.uri.path().strip_prefix("/flow/")?.parse().ok());
    let page = |_: Request<String>| async {
        let mut response = Response::new(String::new());
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY_REPORT_ONLY,
            "script-src 'self'; report-uri /csp".parse().unwrap(),
        );
        Ok::<_, Infallible>(response)
    };
    let service = layer.layer(service_fn(page));
    let get = |path: &str| Request::get(path).body(String::new()).unwrap();
    let live = service.clone().oneshot(get("/flow/live")).await.unwrap();
    assert!(!live.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    assert_eq!(
        live.headers()[header::CONTENT_SECURITY_POLICY_REPORT_ONLY],
        "script-src 'self'; report-uri /csp; frame-ancestors https://*.berbix.com"
    );
    let test = service.oneshot(get("/flow/test")).await.unwrap();
    assert_eq!(
        test.headers()[header::CONTENT_SECURITY_POLICY],
        "frame-ancestors http://localhost:*"
    );
    assert_eq!(
        test.headers()[header::CONTENT_SECURITY_POLICY_REPORT_ONLY],
        "script-src 'self'; report-uri /csp"
    );
}
