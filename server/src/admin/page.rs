//! The Allowed Domains page: three files under `server/assets/`, compiled into the binary
//! and served by the admin listener. The script and the stylesheet are files of their own
//! so that the page's `Content-Security-Policy` can forbid every inline script and style.

/// The admin listener's `Content-Security-Policy`: only its own files, never framed.
pub const CSP: &str =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// A file of the page.
pub struct File {
    pub content_type: &'static str,
    pub body: &'static str,
}

/// The file served at `path`, if any.
pub fn file(path: &str) -> Option<File> {
    let (content_type, body) = match path {
        "/admin/" => (
            "text/html; charset=utf-8",
            include_str!("../../assets/admin.html"),
        ),
        "/admin/admin.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../assets/admin.js"),
        ),
        "/admin/admin.css" => (
            "text/css; charset=utf-8",
            include_str!("../../assets/admin.css"),
        ),
        _ => return None,
    };
    Some(File { content_type, body })
}
