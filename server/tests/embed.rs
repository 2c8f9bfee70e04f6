//! The service embedded in a test's process: `Server::run` on listeners the test binds
//! (ephemeral loopback ports), stopped by the test's own shutdown future.

mod common;

use std::time::Duration;

use common::{eventually, Client, Policies, DEFAULT_POLICY, LIVE_KEY};
use http::StatusCode;
use origin_policy_server::{ConfigError, Listeners, Server, ServerConfig};
use tokio::net::TcpListener;

#[test]
fn serves_decisions_in_process_until_its_shutdown_future_completes() {
    let policies = Policies::new(&[("default.toml", DEFAULT_POLICY)]);
    let runtime = common::runtime();
    runtime.block_on(async {
        let server = Server::new(ServerConfig {
            policies: Some(policies.path().to_owned()),
            shutdown_timeout: Duration::from_secs(5),
            ..ServerConfig::default()
        })
        .unwrap();
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = http.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.run(
            Listeners {
                http,
                grpc: None,
                admin: None,
            },
            async move {
                let _ = stopped.await;
            },
        ));

        let ready = eventually(Duration::from_secs(10), || async {
            let Ok(mut client) = Client::connect(address).await else {
                return false;
            };
            let answer = client.get("/readyz", &[]).await;
            answer.is_ok_and(|answer| answer.status == StatusCode::OK)
        })
        .await;
        assert!(ready.is_some(), "not ready within 10 s");

        let mut client = Client::connect(address).await.unwrap();
        let key = LIVE_KEY.as_bytes();
        let allowed = client
            .get(
                "/v1/auth",
                &[
                    ("origin", b"https://www.berbix.com"),
                    ("authorization", key),
                ],
            )
            .await
            .unwrap();
        assert_eq!(allowed.status, StatusCode::NO_CONTENT);
        let denied = client
            .get(
                "/v1/auth",
                &[("origin", b"https://evil.example"), ("authorization", key)],
            )
            .await
            .unwrap();
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        assert_eq!(denied.reason(), Some("no_matching_rule"));
        drop(client);

        assert!(!serving.is_finished(), "stopped before its shutdown future");
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), serving)
            .await
            .expect("still serving 10 s after the shutdown future completed")
            .unwrap();
        // The listener is closed: nobody accepts on the address any more.
        assert!(Client::connect(address).await.is_err());
    });
}

#[test]
fn a_configuration_that_cannot_serve_is_an_error_not_a_panic() {
    let missing = std::env::temp_dir().join("origin-policy-no-such-directory-3f1c");
    let error = Server::new(ServerConfig {
        policies: Some(missing.clone()),
        ..ServerConfig::default()
    })
    .unwrap_err();
    assert!(matches!(error, ConfigError::PolicyDirectory { .. }));
    assert!(error
        .to_string()
        .contains("cannot read the policy directory"));
    assert!(matches!(
        Server::new(ServerConfig::default()),
        Err(ConfigError::NoSource)
    ));
    assert!(matches!(
        Server::new(ServerConfig {
            postgres: Some("host=/tmp port=notanumber".to_owned()),
            ..ServerConfig::default()
        }),
        Err(ConfigError::Postgres(_))
    ));
}
