//! The `request` target (feature `tower`): the request a fuzz input describes, and the
//! fixture it runs against; [`model`] says what the gate must answer, [`drive`] runs the
//! layer and compares.

mod drive;
mod model;

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use http::header::{HeaderName, HeaderValue};
use http::{Method, Request, Uri};

use origin_policy::middleware::{mode_from_authorization, MissingOrigin, PublicReason};
use origin_policy::store::PolicyStore;
use origin_policy::{Mode, Policy};

use super::MAX_INPUT_LEN;
use drive::check_one;
use model::{model, model_authorization};

/// Headers past this many are ignored.
const MAX_HEADERS: usize = 24;
const INNER_BODY: &str = "from the inner service";
const INNER_CONTENT_TYPE: &str = "text/html";
const LOG_MAX: usize = 128;

struct Fixture {
    default: Policy,
    acme: Policy,
    store: Arc<PolicyStore<String>>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let default = Policy::builder()
            .allow(Mode::Live, "https://berbix.com")
            .allow(Mode::Live, "https://*.berbix.com")
            .allow(Mode::Live, "https://pr-*.preview.berbix.com")
            .allow(Mode::Live, "https://xn--bcher-kva.example:8443")
            .allow(Mode::Test, "http://localhost:*")
            .allow(Mode::Test, "https://staging.berbix.com:*")
            .implicit_test_loopback(true)
            .build()
            .expect("the default tenant's policy is valid");
        let acme = Policy::builder()
            .allow(Mode::Live, "https://acme.example")
            .allow(Mode::Live, "https://*.acme.example")
            .allow(Mode::Test, "http://localhost:3000")
            .build()
            .expect("acme's policy is valid");
        let store = PolicyStore::new();
        store.insert("default".to_owned(), default.clone());
        store.insert("acme".to_owned(), acme.clone());
        Fixture {
            default,
            acme,
            store: Arc::new(store),
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tenancy {
    One,
    Store,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ModeSetting {
    Unset,
    Fixed(Mode),
    ApiSecret,
}

struct Case {
    tenancy: Tenancy,
    mode: ModeSetting,
    /// The request's headers in order, as `http` accepted them.
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The `Vary` values of the inner service's response.
    inner_vary: Vec<HeaderValue>,
    /// `OPTIONS` instead of `POST` (with `Origin` and `Access-Control-Request-Method`,
    /// a CORS preflight).
    options: bool,
}

impl Case {
    fn parse(data: &[u8]) -> Case {
        let mut lines = data.split(|&byte| byte == b'\n');
        let settings = String::from_utf8_lossy(lines.next().unwrap_or_default());
        let mut case = Case {
            tenancy: Tenancy::One,
            mode: ModeSetting::ApiSecret,
            headers: Vec::new(),
            inner_vary: Vec::new(),
            options: false,
        };
        for word in settings.split([' ', ',']) {
            match word {
                "store" => case.tenancy = Tenancy::Store,
                "live" => case.mode = ModeSetting::Fixed(Mode::Live),
                "test" => case.mode = ModeSetting::Fixed(Mode::Test),
                "unset" => case.mode = ModeSetting::Unset,
                "options" => case.options = true,
                _ => {}
            }
        }
        for line in lines {
            if case.headers.len() + case.inner_vary.len() >= MAX_HEADERS {
                break;
            }
            let Some(colon) = line.iter().position(|&byte| byte == b':') else {
                continue;
            };
            let (name, value) = (&line[..colon], &line[colon + 1..]);
            let value = value.strip_prefix(b" ").unwrap_or(value);
            let Ok(name) = HeaderName::from_bytes(name) else {
                continue;
            };
            let (name, value) = match name.as_str() {
                "basic" => {
                    let encoded = format!("Basic {}", base64(value));
                    (http::header::AUTHORIZATION, encoded.into_bytes())
                }
                "response-vary" => {
                    if let Ok(value) = HeaderValue::from_bytes(value) {
                        case.inner_vary.push(value);
                    }
                    continue;
                }
                _ => (name, value.to_vec()),
            };
            if let Ok(value) = HeaderValue::from_bytes(&value) {
                case.headers.push((name, value));
            }
        }
        case
    }

    /// The values of header `name`, in order.
    fn values(&self, name: &str) -> Vec<&[u8]> {
        self.headers
            .iter()
            .filter(|(header, _)| header.as_str() == name)
            .map(|(_, value)| value.as_bytes())
            .collect()
    }

    fn request(&self) -> Request<()> {
        let mut request = Request::new(());
        *request.method_mut() = if self.options {
            Method::OPTIONS
        } else {
            Method::POST
        };
        *request.uri_mut() = Uri::from_static("/v1/things?x=1");
        for (name, value) in &self.headers {
            request.headers_mut().append(name.clone(), value.clone());
        }
        request
    }

    fn describe(&self) -> String {
        let mut text = format!(
            "tenancy: {:?}\nmode setting: {:?}\nheaders:\n",
            self.tenancy, self.mode
        );
        for (name, value) in &self.headers {
            let _ = writeln!(text, "  {name}: {:?}", Bytes(value.as_bytes()));
        }
        for value in &self.inner_vary {
            let _ = writeln!(
                text,
                "  (inner response) vary: {:?}",
                Bytes(value.as_bytes())
            );
        }
        text
    }
}

/// Bytes shown as an escaped string.
struct Bytes<'a>(&'a [u8]);

impl std::fmt::Debug for Bytes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

/// Standard base64 with `=` padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        group[..chunk.len()].copy_from_slice(chunk);
        let bits = u32::from_be_bytes([0, group[0], group[1], group[2]]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `request` (feature `tower`): whole requests through
/// [`middleware::OriginPolicyLayer`](origin_policy::middleware::OriginPolicyLayer) around a trivial
/// inner service, polled to completion on the calling thread, under every
/// [`MissingOrigin`](origin_policy::middleware::MissingOrigin), every
/// [`PublicReason`](origin_policy::middleware::PublicReason) and both `vary_on_allow` settings. The
/// status, body and headers of each response, what the inner service received, what the
/// denial hook got, and
/// [`OriginPolicyLayer::allows`](origin_policy::middleware::OriginPolicyLayer::allows) must all
/// match a plain model of the gate written here: the mode from the credentials first, then
/// the tenant, then the `Origin` (or the `Referer`), judged by the reference matcher.
///
/// The input is text, one item per line (bytes are taken as they are; `\n` ends a line):
///
/// - the first line holds settings: `store` (two tenants, `default` and `acme`, named by
///   `X-Tenant`, `default` without one; otherwise one policy), and `live`, `test` or
///   `unset` for a fixed mode or none (otherwise the mode comes from the API secret);
/// - `name: value` is a request header (one space after the colon is dropped); a name or
///   value that `http` refuses is skipped;
/// - `basic: user:password` is `Authorization: Basic` with that text in base64;
/// - `response-vary: value` is a `Vary` value of the inner service's response.
pub fn request(data: &[u8]) {
    run(data);
}

fn run(data: &[u8]) {
    if data.len() > MAX_INPUT_LEN {
        return;
    }
    let case = Case::parse(data);
    let (parts, ()) = case.request().into_parts();
    assert_eq!(
        mode_from_authorization(&parts),
        model_authorization(&case.values("authorization")),
        "mode_from_authorization and the model disagree\n{}",
        case.describe()
    );
    for missing in [
        MissingOrigin::Deny,
        MissingOrigin::Allow,
        MissingOrigin::UseReferer,
    ] {
        let expected = model(&case, missing);
        for public in [PublicReason::Uniform, PublicReason::Precise] {
            for vary in [true, false] {
                check_one(&case, &expected, missing, public, vary);
            }
        }
    }
}
