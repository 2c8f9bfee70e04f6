//! The decider's unit tests: decisions, grants, the flow's directive, report-only.
use origin_policy::{Mode, Policy};

use super::*;

fn decider() -> Decider {
    let store = Arc::new(PolicyStore::new());
    let policy = Policy::builder()
        .allow(Mode::Live, "https://www.berbix.com")
        .allow(Mode::Test, "http://localhost:*")
        .build()
        .unwrap();
    store.insert(DEFAULT_TENANT.to_owned(), policy.clone());
    store.insert("acme".to_owned(), policy);
    let metrics = Arc::new(Metrics::new());
    Decider::new(
        store,
        metrics.clone(),
        DeciderConfig {
            tenant_header: HeaderName::from_static("x-tenant"),
            cors_max_age: Duration::from_secs(600),
            flow_path_prefix: "/flow/".to_owned(),
            denial_log: Arc::new(DenialLog::new(10, metrics)),
        },
    )
}

fn request(method: &str, headers: &[(&str, &[u8])]) -> Request<()> {
    let mut builder = Request::builder().method(method).uri("/v1/auth");
    for (name, value) in headers {
        builder = builder.header(*name, HeaderValue::from_bytes(value).unwrap());
    }
    builder.body(()).unwrap()
}

async fn decide(headers: &[(&str, &[u8])]) -> Answer {
    decider()
        .decide(request("GET", headers), Instant::now())
        .await
}

#[tokio::test]
async fn decides_by_tenant_mode_and_origin() {
    let live: (&str, &[u8]) = ("authorization", b"Bearer secret_live_k");
    let ok: (&str, &[u8]) = ("origin", b"https://www.berbix.com");
    let answer = decide(&[live, ok]).await;
    assert!(answer.allowed);
    assert!(answer.grant.is_empty(), "{:?}", answer.grant);

    for (headers, reason) in [
        (vec![ok], "no_mode"),
        (vec![live], "missing_origin"),
        (
            vec![live, ("origin", b"http://localhost:3000")],
            "no_matching_rule",
        ),
        (vec![live, ok, ("x-tenant", b"globex")], "unknown_tenant"),
        (
            vec![live, ok, ("x-tenant", b"acme"), ("x-tenant", b"acme")],
            "unknown_tenant",
        ),
        (vec![live, ok, ("x-tenant", b"acm\xe9")], "unknown_tenant"),
        (
            vec![live, ok, ("origin", b"https://www.berbix.com")],
            "multiple_origins",
        ),
        (
            vec![live, ("origin", b"https://b\xe9rbix.com")],
            "non_utf8_origin",
        ),
    ] {
        let answer = decide(&headers).await;
        assert!(!answer.allowed, "{headers:?}");
        assert_eq!(answer.reason, Some(reason), "{headers:?}");
        // Readable where the tenant allows the origin in some mode (as tower-http's
        // CorsLayer outside the gate): without a key, and the test origin with a live key.
        let readable = matches!(reason, "no_mode" | "no_matching_rule");
        assert_eq!(answer.grant.is_empty(), !readable, "{headers:?}");
    }
    let acme = decide(&[live, ok, ("x-tenant", b"acme")]).await;
    assert!(acme.allowed);
}

#[tokio::test]
async fn the_flow_gets_its_tenants_frame_ancestors_and_unknown_tenants_are_denied() {
    let decider = decider();
    let flow = |uri: &str, tenant: Option<&str>| {
        let mut builder = Request::get(uri);
        if let Some(tenant) = tenant {
            builder = builder.header("x-tenant", tenant);
        }
        builder.body(()).unwrap()
    };
    for (uri, tenant, header) in [
        ("/flow/live", None, "frame-ancestors https://www.berbix.com"),
        (
            "/flow/test/step?x=1",
            Some("acme"),
            "frame-ancestors http://localhost:*",
        ),
    ] {
        let answer = decider.decide(flow(uri, tenant), Instant::now()).await;
        assert!(answer.allowed, "{uri}");
        let (name, value) = answer.frame.expect(uri);
        assert_eq!(name, header::CONTENT_SECURITY_POLICY);
        assert_eq!(value, header, "{uri}");
    }
    for (uri, tenant, reason) in [
        ("/flow/live", Some("globex"), "unknown_tenant"),
        ("/flow/prod", None, "no_mode"),
        ("/flow/", None, "no_mode"),
    ] {
        let answer = decider.decide(flow(uri, tenant), Instant::now()).await;
        assert!(!answer.allowed, "{uri}");
        assert_eq!(answer.reason, Some(reason), "{uri}");
        assert!(answer.frame.is_none());
    }
    // Outside the flow: an origin check as ever.
    let answer = decider.decide(flow("/flowers", None), Instant::now()).await;
    assert_eq!(answer.reason, Some("no_mode"));
    let parts = flow("/", Some("acme")).into_parts().0;
    assert_eq!(
        decider.frame_ancestors(&parts, None),
        Err(FrameRefusal::NoMode)
    );
}

#[tokio::test]
async fn a_denial_whose_origin_another_mode_allows_is_readable() {
    let live: (&str, &[u8]) = ("authorization", b"Bearer secret_live_k");
    let answer = decide(&[live, ("origin", b"http://localhost:3000")]).await;
    assert!(!answer.allowed);
    assert_eq!(
        answer.grant["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert_eq!(answer.grant["vary"], "origin");
    // An origin no mode allows, or an unknown tenant, gets nothing.
    let answer = decide(&[live, ("origin", b"https://evil.example")]).await;
    assert!(!answer.allowed && answer.grant.is_empty());
    let answer = decide(&[
        live,
        ("origin", b"http://localhost:3000"),
        ("x-tenant", b"globex"),
    ])
    .await;
    assert!(!answer.allowed && answer.grant.is_empty());
}

#[tokio::test]
async fn a_preflight_with_a_key_is_decided_in_the_keys_mode() {
    let preflight = |key: Option<&'static [u8]>| {
        let mut headers: Vec<(&str, &[u8])> = vec![
            ("origin", b"http://localhost:3000"),
            ("access-control-request-method", b"POST"),
        ];
        if let Some(key) = key {
            headers.push(("authorization", key));
        }
        request("OPTIONS", &headers)
    };
    let decider = decider();
    let answer = decider.decide(preflight(None), Instant::now()).await;
    assert!(answer.allowed);
    let answer = decider
        .decide(preflight(Some(b"Bearer secret_test_k")), Instant::now())
        .await;
    assert!(answer.allowed);
    let answer = decider
        .decide(preflight(Some(b"Bearer secret_live_k")), Instant::now())
        .await;
    assert!(!answer.allowed);
    assert_eq!(answer.reason, Some("no_matching_rule"));
}

#[tokio::test]
async fn a_report_only_mode_lets_a_would_be_denial_through_and_counts_it() {
    let store = Arc::new(PolicyStore::new());
    let policy = Policy::builder()
        .allow(Mode::Live, "https://www.berbix.com")
        .allow(Mode::Test, "http://localhost:*")
        .report_only(Mode::Live, true)
        .build()
        .unwrap();
    store.insert(DEFAULT_TENANT.to_owned(), policy);
    let metrics = Arc::new(Metrics::new());
    let decider = Decider::new(
        store,
        metrics.clone(),
        DeciderConfig {
            tenant_header: HeaderName::from_static("x-tenant"),
            cors_max_age: Duration::from_secs(600),
            flow_path_prefix: "/flow/".to_owned(),
            denial_log: Arc::new(DenialLog::new(10, metrics.clone())),
        },
    );
    let live: (&str, &[u8]) = ("authorization", b"Bearer secret_live_k");
    let test: (&str, &[u8]) = ("authorization", b"Bearer secret_test_k");
    let evil: (&str, &[u8]) = ("origin", b"https://evil.example");
    let answer = decider
        .decide(request("GET", &[live, evil]), Instant::now())
        .await;
    assert!(answer.allowed);
    assert_eq!(answer.reason, None);
    assert_eq!(answer.report_only, Some("no_matching_rule"));
    let answer = decider
        .decide(request("GET", &[test, evil]), Instant::now())
        .await;
    assert!(!answer.allowed);
    assert_eq!(answer.report_only, None);
    // A preflight from an origin no mode allows gets its grant too: the browser goes on.
    let preflight = request(
        "OPTIONS",
        &[evil, ("access-control-request-method", b"POST")],
    );
    let answer = decider.decide(preflight, Instant::now()).await;
    assert!(answer.allowed);
    assert_eq!(answer.report_only, Some("no_matching_rule"));
    assert_eq!(
        answer.grant["access-control-allow-origin"],
        "https://evil.example"
    );
    let text = metrics.encode();
    for line in [
        r#"origin_policy_decisions_total{result="would_deny",reason="no_matching_rule",mode="live"} 1"#,
        r#"origin_policy_decisions_total{result="would_deny",reason="no_matching_rule",mode="none"} 1"#,
        r#"origin_policy_decisions_total{result="denied",reason="no_matching_rule",mode="test"} 1"#,
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }
}

#[tokio::test]
async fn a_preflight_is_decided_in_any_mode_and_granted_by_tower_http() {
    let preflight = request(
        "OPTIONS",
        &[
            ("origin", b"http://localhost:3000"),
            ("access-control-request-method", b"POST"),
            ("access-control-request-headers", b"authorization"),
        ],
    );
    let answer = decider().decide(preflight, Instant::now()).await;
    assert!(answer.allowed);
    let grant = &answer.grant;
    assert_eq!(
        grant["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert_eq!(grant["access-control-allow-methods"], "POST");
    assert_eq!(grant["access-control-allow-headers"], "authorization");
    assert_eq!(grant["access-control-max-age"], "600");

    let denied = request(
        "OPTIONS",
        &[
            ("origin", b"https://evil.example"),
            ("access-control-request-method", b"POST"),
        ],
    );
    let answer = decider().decide(denied, Instant::now()).await;
    assert_eq!(answer.reason, Some("no_matching_rule"));
    assert!(answer.grant.is_empty());

    // OPTIONS without Access-Control-Request-Method is an ordinary request: it needs a key,
    // and gets no preflight grant (tower-http alone would take it for a preflight).
    let plain = request(
        "OPTIONS",
        &[
            ("origin", b"https://www.berbix.com"),
            ("authorization", b"Bearer secret_live_k"),
        ],
    );
    let answer = decider().decide(plain, Instant::now()).await;
    assert!(answer.allowed);
    assert!(answer.grant.is_empty());
}

#[test]
fn the_server_s_own_codes_have_slots() {
    for code in [MALFORMED_REQUEST, REQUEST_TOO_LARGE] {
        assert!(crate::reason_codes::slot(code).is_some(), "{code}");
    }
}

#[tokio::test]
async fn the_denials_spared_the_readable_grant_would_get_none() {
    // `may_be_readable` skips `readable_denial` for these reasons; the full function finds
    // no grant for them either, even where the tenant allows the origin in some mode.
    let live: (&str, &[u8]) = ("authorization", b"Bearer secret_live_k");
    let test: (&str, &[u8]) = ("origin", b"http://localhost:3000");
    let decider = decider();
    for headers in [
        vec![live, test, ("x-tenant", b"globex")],
        vec![live, test, ("x-tenant", b"acme"), ("x-tenant", b"acme")],
        vec![live],
        vec![live, test, test],
        vec![live, ("origin", b"http://l\xe9calhost:3000")],
        vec![live, ("origin", b"null")],
        vec![live, ("origin", b"http://localhost:3000/path")],
    ] {
        let parts = request("GET", &headers).into_parts().0;
        let Verdict::Deny { reason, .. } = decider.layer.decide(&parts) else {
            panic!("{headers:?} is not denied");
        };
        assert!(!may_be_readable(reason), "{reason:?}");
        assert!(decider.readable_denial(&parts).is_empty(), "{headers:?}");
    }
    for reason in [
        DenialReason::NoMode,
        DenialReason::Policy(DenyReason::NoMatchingRule),
        DenialReason::Policy(DenyReason::PublicSuffixBoundary),
    ] {
        assert!(may_be_readable(reason), "{reason:?}");
    }
}
