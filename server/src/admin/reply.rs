//! [`Reply`]: a response of the admin listener, with the headers every one carries (no
//! caching, no sniffing, no referrer, the page's Content-Security-Policy).

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;

use super::page;

/// A response under construction.
pub struct Reply(Box<Response<Full<Bytes>>>);

impl Reply {
    pub fn new(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
        let mut response = Response::new(Full::new(body.into()));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(page::CSP),
        );
        Reply(Box::new(response))
    }

    /// A JSON body.
    pub fn json(status: StatusCode, body: &impl serde::Serialize) -> Reply {
        // Values of strings, numbers and booleans always serialize.
        let text = serde_json::to_vec(body).unwrap_or_default();
        Reply::new(status, "application/json", text)
    }

    /// Sets a header (values the API builds are visible ASCII).
    pub fn header(&mut self, name: &'static str, value: &str) {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.0.headers_mut().insert(name, value);
        }
    }
}

impl From<Reply> for Response<Full<Bytes>> {
    fn from(reply: Reply) -> Self {
        *reply.0
    }
}
