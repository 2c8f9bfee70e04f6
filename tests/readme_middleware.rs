//! The middleware guide's snippet (`docs/middleware.md`), compiled and run. The module
//! below holds the snippet, indented;
//! `the_guide_holds_this_snippet` checks that the guide's `rust,ignore` block is exactly that
//! text, so the two cannot drift apart. (The block is `ignore` because the guides' doctests
//! also run without the `tower` feature.)

#![cfg(feature = "tower")]

#[allow(dead_code)]
mod snippet {
    // GUIDE SNIPPET START
    use axum::{routing::get, Router};
    use origin_policy::middleware::{MergeVaryLayer, OriginPolicyLayer};
    use origin_policy::{Mode, Policy};
    use tower_http::cors::{AllowOrigin, CorsLayer};

    fn app() -> Result<Router, origin_policy::BuildError> {
        let policy = Policy::builder()
            .allow(Mode::Live, "https://*.berbix.com")
            .allow(Mode::Test, "http://localhost:*")
            .build()?;
        // A preflight carries no key, so CORS grants an origin that any mode allows ...
        let cors = CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(policy.cors_predicate_any_mode()))
            .allow_headers([http::header::AUTHORIZATION, http::header::CONTENT_TYPE]);
        // ... and the gate checks the real request in the mode of its key.
        let gate = OriginPolicyLayer::new(policy)
            // secret_live_… / secret_test_… keys: Bearer token or Basic user name
            .mode_from_api_secret()
            .on_deny(|denial| {
                eprintln!(
                    "403 tenant={:?} mode={:?} origin={:?} reason={}",
                    denial.tenant,
                    denial.mode,
                    denial.origin,
                    denial.reason.code(),
                )
            });
        Ok(Router::new()
            .route("/", get(|| async { "hello" }))
            .layer(gate)
            // the last layer is the outermost: CORS answers preflights before the gate
            .layer(cors)
            // one `Vary` line on every response (CorsLayer appends its own after the gate's)
            .layer(MergeVaryLayer::new()))
    }

    #[tokio::main]
    async fn main() -> Result<(), Box<dyn std::error::Error>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
        axum::serve(listener, app()?).await?;
        Ok(())
    }
    // GUIDE SNIPPET END

    /// Runs the snippet's `app` (a child module sees its private items).
    mod run {
        use http::{Request, StatusCode};
        use tower::ServiceExt;

        #[tokio::test]
        async fn the_snippet_app_gates_by_origin_and_api_secret() {
            let app = super::app().unwrap();
            let request = |key: &str, origin: &str| {
                Request::get("/")
                    .header("authorization", format!("Bearer {key}"))
                    .header("origin", origin)
                    .body(axum::body::Body::empty())
                    .unwrap()
            };
            for (key, origin, status) in [
                (
                    "secret_live_demo",
                    "https://docs.berbix.com",
                    StatusCode::OK,
                ),
                (
                    "secret_live_demo",
                    "http://localhost:3000",
                    StatusCode::FORBIDDEN,
                ),
                ("secret_test_demo", "http://localhost:3000", StatusCode::OK),
                (
                    "secret_test_demo",
                    "https://evil.example",
                    StatusCode::FORBIDDEN,
                ),
            ] {
                let response = app.clone().oneshot(request(key, origin)).await.unwrap();
                assert_eq!(response.status(), status, "{key} {origin}");
                let vary: Vec<_> = response.headers().get_all("vary").iter().collect();
                assert_eq!(vary.len(), 1, "{key} {origin}: {vary:?}");
            }
            // A browser's preflight from a test-mode origin is granted, and the live-key
            // request that follows gets a 403 the page can read.
            let preflight = Request::options("/")
                .header("origin", "http://localhost:3000")
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "authorization")
                .body(axum::body::Body::empty())
                .unwrap();
            let response = app.clone().oneshot(preflight).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(
                response.headers()["access-control-allow-origin"],
                "http://localhost:3000"
            );
            let response = app
                .clone()
                .oneshot(request("secret_live_demo", "http://localhost:3000"))
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
            assert_eq!(
                response.headers()["access-control-allow-origin"],
                "http://localhost:3000"
            );
        }
    }
}

#[test]
fn the_guide_holds_this_snippet() {
    let this_file = include_str!("readme_middleware.rs");
    let start = "    // GUIDE SNIPPET START\n";
    let end = "    // GUIDE SNIPPET END\n";
    let from = this_file.find(start).unwrap() + start.len();
    let to = this_file.find(end).unwrap();
    let snippet: String = this_file[from..to]
        .lines()
        .map(|line| format!("{}\n", line.strip_prefix("    ").unwrap_or(line)))
        .collect();
    let block = format!("```rust,ignore\n{snippet}```\n");
    let guide = include_str!("../docs/middleware.md");
    assert!(
        guide.contains(&block),
        "docs/middleware.md's block differs from tests/readme_middleware.rs:\n{block}"
    );
}
