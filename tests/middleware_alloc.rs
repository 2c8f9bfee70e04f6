//! The allow path of `OriginPolicy` allocates nothing of its own.
//!
//! A counting global allocator (per thread, like `tests/zero_alloc.rs`) counts every
//! allocation made while one request goes through the service and its future is polled to
//! the response. The request and the inner service's response are built without allocating
//! inside the measured part, so whatever is counted is the layer's. Each case runs once
//! first, so that thread-local state (the `ArcSwap` debt list of the store) is set up.
//!
//! Measured, asserted:
//! * no allocation: a single policy with a fixed mode, and a store looked up by an
//!   `X-Tenant` header with the mode from `Authorization: Bearer` or `Basic` (decoded on the
//!   stack), with `vary_on_allow(false)`; with `vary_on_allow(true)` when the response's
//!   header map has room for one more header, including `Vary: origin, referer` for a
//!   request that `MissingOrigin::UseReferer` decided by its `Referer`; and with
//!   `MergeVaryLayer` outside the gate, which leaves that one clean `Vary` line as it is;
//! * two allocations: `vary_on_allow(true)` (the default) on a response whose header map is
//!   empty, since `http::HeaderMap` allocates its two tables on the first insert. Real
//!   responses (axum's, hyper's) already carry headers.

#![cfg(feature = "tower")]

use std::cell::Cell;
use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use http::{HeaderMap, Request, Response, StatusCode};
use origin_policy::middleware::{MergeVaryLayer, MissingOrigin, OriginPolicyLayer};
use origin_policy::store::PolicyStore;
use origin_policy::{Mode, Policy};
use tower_layer::Layer;
use tower_service::Service;

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

/// An inner service that answers with a response made before the measurement.
#[derive(Clone)]
struct Prepared;

impl Service<Request<()>> for Prepared {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        RESPONSE.with(|slot| ready(Ok(slot.take().expect("a prepared response"))))
    }
}

thread_local! {
    static RESPONSE: Cell<Option<Response<String>>> = const { Cell::new(None) };
}

/// The allocations of one request through `service`, from `call` to the response.
fn count<S>(service: &mut S, request: Request<()>, response: Response<String>) -> (u64, StatusCode)
where
    S: Service<Request<()>, Response = Response<String>, Error = Infallible>,
{
    RESPONSE.with(|slot| slot.set(Some(response)));
    let mut cx = Context::from_waker(Waker::noop());
    let before = allocations();
    let future = service.call(request);
    let mut future = pin!(future);
    let Poll::Ready(Ok(response)) = future.as_mut().poll(&mut cx) else {
        panic!("not ready");
    };
    let counted = allocations() - before;
    let status = response.status();
    drop(response);
    (counted, status)
}

fn request(headers: &[(&'static str, &'static str)]) -> Request<()> {
    let mut builder = Request::get("/");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap()
}

fn empty_response() -> Response<String> {
    Response::new(String::new())
}

/// A response with room for one more header in its map.
fn roomy_response() -> Response<String> {
    let mut response = Response::new(String::new());
    *response.headers_mut() = HeaderMap::with_capacity(8);
    response
        .headers_mut()
        .insert("content-type", "text/plain".parse().unwrap());
    response
}

fn policy() -> Policy {
    Policy::builder()
        .allow(Mode::Live, "https://*.berbix.com")
        .allow(Mode::Test, "http://localhost:*")
        .build()
        .unwrap()
}

/// Runs the case twice (warm-up, then measured) and returns the measured count.
fn measure<S>(
    service: &mut S,
    headers: &[(&'static str, &'static str)],
    response: fn() -> Response<String>,
) -> u64
where
    S: Service<Request<()>, Response = Response<String>, Error = Infallible>,
{
    let (_, status) = count(service, request(headers), response());
    assert_eq!(status, StatusCode::OK, "{headers:?}");
    let (request, response) = (request(headers), response());
    let (counted, status) = count(service, request, response);
    assert_eq!(status, StatusCode::OK, "{headers:?}");
    counted
}

#[test]
fn the_allow_path_does_not_allocate() {
    let origin = ("origin", "https://docs.berbix.com");

    let mut single = OriginPolicyLayer::new(policy())
        .fixed_mode(Mode::Live)
        .vary_on_allow(false)
        .layer(Prepared);
    assert_eq!(measure(&mut single, &[origin], empty_response), 0);

    let store = Arc::new(PolicyStore::<String>::new());
    for i in 0..1_000 {
        store.insert(format!("tenant-{i}"), policy());
    }
    fn tenant(parts: &http::request::Parts) -> Option<&str> {
        parts.headers.get("x-tenant")?.to_str().ok()
    }
    let layer = OriginPolicyLayer::with_store(store, tenant).mode_from_api_secret();
    let mut quiet = layer.clone().vary_on_allow(false).layer(Prepared);
    let bearer = ("authorization", "Bearer secret_live_demo");
    let basic = ("authorization", "Basic c2VjcmV0X3Rlc3RfZGVtbzo="); // secret_test_demo:
    let x_tenant = ("x-tenant", "tenant-42");
    assert_eq!(
        measure(&mut quiet, &[x_tenant, bearer, origin], empty_response),
        0
    );
    assert_eq!(
        measure(
            &mut quiet,
            &[x_tenant, basic, ("origin", "http://localhost:3000")],
            empty_response
        ),
        0
    );

    let mut vary = layer.clone().layer(Prepared);
    assert_eq!(
        measure(&mut vary, &[x_tenant, bearer, origin], roomy_response),
        0
    );
    assert_eq!(
        measure(&mut vary, &[x_tenant, bearer, origin], empty_response),
        2
    );
    let mut merged = MergeVaryLayer::new().layer(layer.clone().layer(Prepared));
    assert_eq!(
        measure(&mut merged, &[x_tenant, bearer, origin], roomy_response),
        0
    );

    let mut referer = layer
        .on_missing_origin(MissingOrigin::UseReferer)
        .layer(Prepared);
    let page = ("referer", "https://docs.berbix.com/page?q=1");
    assert_eq!(
        measure(&mut referer, &[x_tenant, bearer, page], roomy_response),
        0
    );
    assert_eq!(
        measure(
            &mut referer,
            &[x_tenant, bearer, origin, page],
            roomy_response
        ),
        0
    );
}
