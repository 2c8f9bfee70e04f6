//! The check of the `grpc_request` fuzz target (`fuzz/fuzz_targets/grpc_request.rs`): an
//! Envoy `CheckRequest` built from arbitrary bytes, read and decided as the gRPC listener
//! does. Public only for the fuzz target; not a stable API.
//!
//! What it asserts, for every input: nothing panics; a check that describes more than
//! 100 headers or 64 KiB of their names and values is denied as
//! `request_too_large` before any header is copied; a request that is read stays within
//! both bounds; and its decision is allowed without a reason or denied with one.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use envoy_types::pb::envoy::config::core::v3::{HeaderMap, HeaderValue};
use envoy_types::pb::envoy::service::auth::v3::attribute_context::{HttpRequest, Request};
use envoy_types::pb::envoy::service::auth::v3::{AttributeContext, CheckRequest};
use http::HeaderName;
use origin_policy::store::PolicyStore;
use origin_policy::{Mode, Policy};

use crate::decide::{Decider, DeciderConfig, MALFORMED_REQUEST, REQUEST_TOO_LARGE};
use crate::grpc::{http_request_of, MAX_HEADERS, MAX_HEADER_BYTES};
use crate::logging::DenialLog;
use crate::metrics::Metrics;

/// Names and values the input picks from, so that the interesting ones (the tenant, the
/// origin, the key, pseudo-headers, names HTTP refuses) come up often.
const NAMES: [&str; 8] = [
    "origin",
    "authorization",
    "x-tenant",
    ":path",
    "access-control-request-method",
    "bad name",
    "x-filler",
    "Origin",
];
const VALUES: [&[u8]; 6] = [
    b"https://www.berbix.com",
    b"Bearer secret_live_k",
    b"acme",
    b"POST",
    b"http://localhost:3000",
    b"x\n",
];

/// Builds a `CheckRequest` from `data` and checks what the gRPC listener makes of it.
pub fn grpc_check(data: &[u8]) {
    let (check, described) = check_of(data);
    let read = http_request_of(&check);
    let (count, bytes) = described;
    if count > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        assert_eq!(
            read.as_ref().err(),
            Some(&REQUEST_TOO_LARGE),
            "{count} headers, {bytes} bytes"
        );
        return;
    }
    match read {
        Err(reason) => assert_eq!(reason, MALFORMED_REQUEST),
        Ok(request) => {
            let headers = request.headers();
            assert!(headers.len() <= MAX_HEADERS);
            let size: usize = headers
                .iter()
                .map(|(name, value)| name.as_str().len() + value.len())
                .sum();
            assert!(size <= MAX_HEADER_BYTES);
            let answer = runtime().block_on(decider().decide(request, Instant::now()));
            assert_eq!(answer.allowed, answer.reason.is_none());
        }
    }
}

/// The request `data` describes, and how many headers and bytes of names and values it
/// describes (counted here, apart from the listener's own count).
fn check_of(data: &[u8]) -> (CheckRequest, (usize, usize)) {
    let (&flags, rest) = data.split_first().unwrap_or((&0, &[]));
    let raw = flags & 1 == 1;
    // Up to 255 copies of the headers, to go over the count bound.
    let copies = usize::from(rest.first().copied().unwrap_or(1)).max(1);
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    for piece in rest.get(1..).unwrap_or(&[]).chunks(3) {
        let name = match piece.first() {
            Some(&byte) if byte & 0x80 == 0 => NAMES[usize::from(byte) % NAMES.len()].to_owned(),
            Some(&byte) => format!("x-h{byte}"),
            None => continue,
        };
        let value = match piece.get(1) {
            Some(&byte) if byte & 0x80 == 0 => VALUES[usize::from(byte) % VALUES.len()].to_vec(),
            // A long value, to go over the byte bound.
            Some(&byte) => vec![b'v'; usize::from(byte) * 256],
            None => Vec::new(),
        };
        headers.push((name, value));
    }
    // Generation stops a little past the bounds: what is over them is refused whatever
    // its size, and the fuzzer's memory stays small.
    let mut all = Vec::new();
    let mut size = 0;
    'copies: for copy in 0..copies {
        for (name, value) in &headers {
            if all.len() > 2 * MAX_HEADERS || size > 2 * MAX_HEADER_BYTES {
                break 'copies;
            }
            size += name.len() + value.len();
            // Copies get names of their own where Envoy's map would merge them.
            let name = match (raw, copy) {
                (true, _) | (false, 0) => name.clone(),
                (false, _) => format!("{name}-{copy}"),
            };
            all.push((name, value.clone()));
        }
    }
    let mut http = HttpRequest {
        method: if flags & 2 == 2 { "OPTIONS" } else { "GET" }.to_owned(),
        path: "/".to_owned(),
        ..Default::default()
    };
    let described;
    if raw {
        described = (
            all.len(),
            all.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>(),
        );
        http.header_map = Some(HeaderMap {
            headers: all
                .into_iter()
                .map(|(key, raw_value)| HeaderValue {
                    key,
                    raw_value,
                    ..Default::default()
                })
                .collect(),
        });
    } else {
        // Envoy's map: one value per name (UTF-8), the last one kept.
        for (name, value) in all {
            http.headers
                .insert(name, String::from_utf8_lossy(&value).into_owned());
        }
        described = (
            http.headers.len(),
            http.headers.iter().map(|(n, v)| n.len() + v.len()).sum(),
        );
    }
    let check = CheckRequest {
        attributes: Some(AttributeContext {
            request: Some(Request {
                http: Some(http),
                ..Default::default()
            }),
            ..Default::default()
        }),
    };
    (check, described)
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

fn decider() -> &'static Decider {
    static DECIDER: OnceLock<Decider> = OnceLock::new();
    DECIDER.get_or_init(|| {
        let store = Arc::new(PolicyStore::new());
        let policy = Policy::builder()
            .allow(Mode::Live, "https://www.berbix.com")
            .allow(Mode::Test, "http://localhost:*")
            .build()
            .expect("a valid policy");
        store.insert("default".to_owned(), policy.clone());
        store.insert("acme".to_owned(), policy);
        let metrics = Arc::new(Metrics::new());
        Decider::new(
            store,
            metrics.clone(),
            DeciderConfig {
                tenant_header: HeaderName::from_static("x-tenant"),
                cors_max_age: Duration::from_secs(600),
                // The fuzzed requests are origin checks: no hosted-flow path.
                flow_path_prefix: String::new(),
                denial_log: Arc::new(DenialLog::new(0, metrics)),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz check on inputs of every shape, so that `cargo test` runs it too.
    #[test]
    fn the_check_holds_for_every_shape_of_input() {
        let mut inputs: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 1, 0, 0, 1, 1],
            vec![1, 1, 0, 0, 1, 1, 2, 2],
            // Many copies: over the count bound, in both layouts.
            vec![0, 200, 0x81, 0, 0x82, 1],
            vec![1, 255, 0x81, 0, 0x82, 1],
            // Long values: over the byte bound.
            vec![0, 1, 0x81, 0xff, 0x82, 0xff, 0x83, 0xff],
            // Names and values HTTP refuses.
            vec![1, 1, 5, 0, 0, 5],
        ];
        let mut state = 0x2545_f491_u32;
        for length in 0..200 {
            let mut input = Vec::with_capacity(length);
            for _ in 0..length {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                input.push(state.to_le_bytes()[0]);
            }
            inputs.push(input);
        }
        for input in &inputs {
            grpc_check(input);
        }
        // The bound cases were reached.
        assert!(inputs[4..7]
            .iter()
            .all(|input| { http_request_of(&check_of(input).0).err() == Some(REQUEST_TOO_LARGE) }));
    }
}
