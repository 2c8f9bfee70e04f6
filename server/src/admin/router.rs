//! The admin listener's routes: the page's files, `/admin/v1/` to [`api`](super::api),
//! `/admin` to `/admin/`, and 404 for the rest.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;

use super::reply::Reply;
use super::state::Admin;
use super::{api, page, request};

/// Answers one request of the admin listener; never fails (errors are answers).
pub async fn handle(
    admin: Arc<Admin>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let reply = if let Some(rest) = path.strip_prefix("/admin/v1/") {
        api::handle(&admin, request, rest).await
    } else if let Some(file) = page::file(&path) {
        if request.method() == http::Method::GET || request.method() == http::Method::HEAD {
            Reply::new(StatusCode::OK, file.content_type, file.body)
        } else {
            request::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "GET only",
            )
        }
    } else if path == "/admin" || path == "/" {
        let mut reply = Reply::new(StatusCode::PERMANENT_REDIRECT, "text/plain", "/admin/\n");
        reply.header("location", "/admin/");
        reply
    } else {
        request::error(StatusCode::NOT_FOUND, "not_found", "no such page")
    };
    Ok(reply.into())
}
