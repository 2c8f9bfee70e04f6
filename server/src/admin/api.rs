//! The endpoints of `/admin/v1/`: JSON in and out, every request authorized by its bearer
//! token for the tenant it names (see the README's "Admin API" for the contract).

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use origin_policy::middleware::DenialReason;
use origin_policy::{EntryConfig, Mode, Policy, PolicyConfig};
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::{json, Value};

use super::diag::{self, Diagnostic};
use super::reply::Reply;
use super::request::{error, mode_and_value, parse_json_with_mode, read_body};
use super::state::Admin;
use super::store::{Change, Outcome, Tag, WriteError};
use super::tokens::Refusal;

/// A route of `/admin/v1/`.
enum Route {
    Validate,
    Tenant(String),
    Domains(String),
    Check(String),
    History(String),
}

/// Answers a request for `/admin/v1/{rest}`.
pub async fn handle<B>(admin: &Admin, request: http::Request<B>, rest: &str) -> Reply
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let route = match route(rest) {
        Ok(route) => route,
        Err(reply) => return reply,
    };
    let (parts, body) = request.into_parts();
    let tenant = match &route {
        Route::Validate => None,
        Route::Tenant(t) | Route::Domains(t) | Route::Check(t) | Route::History(t) => Some(t),
    };
    let authorization = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .map(|value| value.as_bytes());
    let label = match admin
        .tokens
        .authorize(authorization, tenant.map(String::as_str))
    {
        Ok(label) => label,
        Err(Refusal::Unauthorized) => {
            let mut reply = error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid admin token is required",
            );
            reply.header("www-authenticate", "Bearer");
            return reply;
        }
        Err(Refusal::Forbidden) => {
            return error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "the token may not act on this tenant",
            )
        }
    };
    if let Some(tenant) = tenant {
        if !admin.backend.accepts_tenant(tenant) {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_tenant",
                "not a valid tenant name",
            );
        }
    }
    let method = parts.method.clone();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let if_match = parts
        .headers
        .get(http::header::IF_MATCH)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    match (route, method) {
        (Route::Tenant(tenant), Method::GET) => get_tenant(admin, &tenant).await,
        (Route::Tenant(tenant), Method::PUT) => {
            let body = match read_body(&parts.headers, body).await {
                Ok(body) => body,
                Err(reply) => return reply,
            };
            put_tenant(admin, &tenant, &parts.headers, &body, if_match, &label).await
        }
        (Route::Domains(tenant), Method::POST) => {
            let body = match read_body(&parts.headers, body).await {
                Ok(body) => body,
                Err(reply) => return reply,
            };
            add_domain(admin, &tenant, &body, if_match, &label).await
        }
        (Route::Domains(tenant), Method::DELETE) => {
            remove_domain(admin, &tenant, &query, if_match, &label).await
        }
        (Route::Validate, Method::POST) => {
            let body = match read_body(&parts.headers, body).await {
                Ok(body) => body,
                Err(reply) => return reply,
            };
            validate(admin, &body)
        }
        (Route::Check(tenant), Method::GET) => check(admin, &tenant, &query),
        (Route::History(tenant), Method::GET) => history(admin, &tenant).await,
        (route, _) => {
            let allow = match route {
                Route::Validate => "POST",
                Route::Tenant(_) => "GET, PUT",
                Route::Domains(_) => "POST, DELETE",
                Route::Check(_) | Route::History(_) => "GET",
            };
            let mut reply = error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed here",
            );
            reply.header("allow", allow);
            reply
        }
    }
}

fn route(rest: &str) -> Result<Route, Reply> {
    if rest == "validate" {
        return Ok(Route::Validate);
    }
    let not_found = || error(StatusCode::NOT_FOUND, "not_found", "no such endpoint");
    let Some(rest) = rest.strip_prefix("tenants/") else {
        return Err(not_found());
    };
    let (segment, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let tenant = percent_decode_str(segment)
        .decode_utf8()
        .map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "invalid_tenant",
                "the tenant is not UTF-8",
            )
        })?
        .into_owned();
    match tail {
        "" => Ok(Route::Tenant(tenant)),
        "domains" => Ok(Route::Domains(tenant)),
        "check" => Ok(Route::Check(tenant)),
        "history" => Ok(Route::History(tenant)),
        _ => Err(not_found()),
    }
}

/// The entries of a built policy, as the API lists them.
fn lists(policy: Option<&Policy>) -> (Value, Value) {
    let list = |mode| -> Value {
        policy
            .map(|policy| {
                policy
                    .rules(mode)
                    .iter()
                    .map(|rule| json!({"pattern": rule.as_str(), "note": rule.note()}))
                    .collect()
            })
            .unwrap_or_else(|| json!([]))
    };
    (list(Mode::Live), list(Mode::Test))
}

fn warnings_of(policy: &Policy) -> Vec<Diagnostic> {
    policy.lint().iter().map(diag::of_warning).collect()
}

async fn get_tenant(admin: &Admin, tenant: &str) -> Reply {
    let head = match admin.backend.head(tenant).await {
        Ok(head) => head,
        Err(failure) => return unavailable(&failure),
    };
    let mut body = json!({"tenant": tenant, "version": head.tag.json()});
    let serving = admin.store.get(tenant);
    let shown = match head.build(tenant) {
        Some(Ok(policy)) => Some(std::sync::Arc::new(policy)),
        Some(Err(failure)) => {
            body["refused"] = json!({
                "version": head.tag.json(),
                "errors": diag::of_file_error(&failure),
            });
            serving
        }
        None => None,
    };
    let (live, test) = lists(shown.as_deref());
    body["live"] = live;
    body["test"] = test;
    body["warnings"] = json!(shown.as_deref().map(warnings_of).unwrap_or_default());
    let mut reply = Reply::json(StatusCode::OK, &body);
    reply.header("etag", &head.tag.etag());
    reply
}

fn unavailable(failure: &str) -> Reply {
    tracing::error!("admin: the policy store failed: {failure}");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "store_unavailable",
        "the policy store cannot be reached; nothing was changed",
    )
}

/// Why a change was refused.
enum Refused {
    Invalid(Vec<Diagnostic>),
    Listed(String),
    NotListed,
}

/// The reply to a write's result: `status` and `extra` on success.
fn written(
    tenant: &str,
    result: Result<(Tag, Policy), WriteError<Refused>>,
    status: StatusCode,
    extra: impl FnOnce(&Policy) -> Value,
) -> Reply {
    match result {
        Ok((tag, policy)) => {
            let mut body = json!({"tenant": tenant, "version": tag.json()});
            if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra(&policy)) {
                body.extend(extra);
            }
            let mut reply = Reply::json(status, &body);
            reply.header("etag", &tag.etag());
            reply
        }
        Err(WriteError::Precondition(current)) => {
            let mut reply = Reply::json(
                StatusCode::PRECONDITION_FAILED,
                &json!({"error": {
                    "code": "version_changed",
                    "message": "the policy changed since it was read; reload it and try again",
                }, "version": current.json()}),
            );
            reply.header("etag", &current.etag());
            reply
        }
        Err(WriteError::Refused(Refused::Invalid(errors))) => {
            Reply::json(StatusCode::UNPROCESSABLE_ENTITY, &json!({"errors": errors}))
        }
        Err(WriteError::Invalid(failure)) => Reply::json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"errors": diag::of_file_error(&failure)}),
        ),
        Err(WriteError::Refused(Refused::Listed(canonical))) => Reply::json(
            StatusCode::CONFLICT,
            &json!({"error": {"code": "already_listed", "message": format!("{canonical} is already listed in this mode")}, "canonical": canonical}),
        ),
        Err(WriteError::Refused(Refused::NotListed)) => error(
            StatusCode::NOT_FOUND,
            "not_listed",
            "the pattern is not listed in this mode",
        ),
        Err(WriteError::Failed(failure)) => unavailable(&failure),
    }
}

fn list_mut(config: &mut PolicyConfig, mode: Mode) -> &mut Vec<EntryConfig> {
    match mode {
        Mode::Live => &mut config.live,
        Mode::Test => &mut config.test,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddDomain {
    mode: String,
    pattern: String,
    #[serde(default)]
    note: Option<String>,
}

async fn add_domain(
    admin: &Admin,
    tenant: &str,
    body: &[u8],
    if_match: Option<String>,
    label: &str,
) -> Reply {
    let (add, mode) = match parse_json_with_mode(body, |add: &AddDomain| &add.mode) {
        Ok(parsed) => parsed,
        Err(reply) => return reply,
    };
    let note = add.note.filter(|note| !note.trim().is_empty());
    let pattern = add.pattern;
    let change: Change<Refused> = Box::new(move |base| {
        let mut config = base.unwrap_or_default();
        let policy = config.build().map_err(|_| Refused::NotListed)?;
        let validation = diag::validate_entry(&policy, mode, &pattern);
        let Some(canonical) = validation.canonical else {
            return Err(Refused::Invalid(validation.errors));
        };
        if policy
            .rules(mode)
            .iter()
            .any(|rule| rule.as_str() == canonical)
        {
            return Err(Refused::Listed(canonical));
        }
        list_mut(&mut config, mode).push(EntryConfig {
            pattern: canonical,
            note,
        });
        Ok(Outcome::Put(config))
    });
    let result = write_over_serving(admin, tenant, if_match, label, change).await;
    written(tenant, result, StatusCode::CREATED, |policy| {
        let rules = policy.rules(mode);
        let index = rules.len().saturating_sub(1);
        let warnings: Vec<Diagnostic> = policy
            .lint()
            .iter()
            .filter(|w| {
                w.mode() == mode
                    && (w.rule().index() == index || w.other().is_some_and(|o| o.index() == index))
            })
            .map(diag::of_warning)
            .collect();
        json!({"canonical": rules.last().map(|rule| rule.as_str()), "warnings": warnings})
    })
}

/// Writes `change` of one entry as `label`, with the policy this replica serves for the
/// tenant as its base when the stored one does not build.
async fn write_over_serving(
    admin: &Admin,
    tenant: &str,
    if_match: Option<String>,
    label: &str,
    change: Change<Refused>,
) -> Result<(Tag, Policy), WriteError<Refused>> {
    let serving = admin.store.get(tenant).map(|policy| policy.to_config());
    admin
        .backend
        .write(tenant, if_match, label, serving, change)
        .await
}

async fn remove_domain(
    admin: &Admin,
    tenant: &str,
    query: &str,
    if_match: Option<String>,
    label: &str,
) -> Reply {
    let (mode, pattern) = match mode_and_value(query, "pattern") {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let change: Change<Refused> = Box::new(move |base| {
        let mut config = base.ok_or(Refused::NotListed)?;
        let options = config.options;
        let wanted = diag::canonical_entry(mode, &pattern, options);
        let list = list_mut(&mut config, mode);
        let before = list.len();
        list.retain(|entry| {
            let same = entry.pattern == pattern
                || wanted.is_some()
                    && diag::canonical_entry(mode, &entry.pattern, options) == wanted;
            !same
        });
        if list.len() == before {
            return Err(Refused::NotListed);
        }
        Ok(Outcome::Put(config))
    });
    let result = write_over_serving(admin, tenant, if_match, label, change).await;
    written(tenant, result, StatusCode::OK, |_| json!({}))
}

async fn put_tenant(
    admin: &Admin,
    tenant: &str,
    headers: &HeaderMap,
    body: &[u8],
    if_match: Option<String>,
    label: &str,
) -> Reply {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let format = match essence.to_ascii_lowercase().as_str() {
        "application/toml" => origin_policy::policy_file::Format::Toml,
        "application/json" => origin_policy::policy_file::Format::Json,
        _ => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "a policy is sent as application/toml or application/json",
            )
        }
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return error(StatusCode::BAD_REQUEST, "not_utf8", "the body is not UTF-8");
    };
    let policy = match crate::policy_file::load(tenant, text, format) {
        Ok(policy) => policy,
        Err(failure) => {
            let errors = diag::of_file_error(&failure);
            let status = if failure.syntax_error().is_some()
                && format == origin_policy::policy_file::Format::Json
            {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return Reply::json(status, &json!({"errors": errors}));
        }
    };
    let config = policy.to_config();
    let change: Change<Refused> = Box::new(move |_| Ok(Outcome::Put(config)));
    let result = admin
        .backend
        .write(tenant, if_match, label, None, change)
        .await;
    written(
        tenant,
        result,
        StatusCode::OK,
        |policy| json!({"warnings": warnings_of(policy)}),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateRequest {
    mode: String,
    pattern: String,
    #[serde(default)]
    tenant: Option<String>,
}

fn validate(admin: &Admin, body: &[u8]) -> Reply {
    let (request, mode) =
        match parse_json_with_mode(body, |request: &ValidateRequest| &request.mode) {
            Ok(parsed) => parsed,
            Err(reply) => return reply,
        };
    let empty;
    let serving = request.tenant.as_deref().and_then(|t| admin.store.get(t));
    let policy = match &serving {
        Some(policy) => policy.as_ref(),
        None => {
            empty = Policy::builder().build().unwrap_or_else(|_| unreachable!());
            &empty
        }
    };
    let validation = diag::validate_entry(policy, mode, &request.pattern);
    Reply::json(
        StatusCode::OK,
        &json!({
            "valid": validation.is_valid(),
            "canonical": validation.canonical,
            "errors": validation.errors,
            "warnings": validation.warnings,
        }),
    )
}

fn check(admin: &Admin, tenant: &str, query: &str) -> Reply {
    let (mode, origin) = match mode_and_value(query, "origin") {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let Some(policy) = admin.store.get(tenant) else {
        return Reply::json(
            StatusCode::OK,
            &json!({"allowed": false, "rule": null, "reason": DenialReason::UnknownTenant.code()}),
        );
    };
    let decision = policy.check(mode, &origin);
    let body = json!({
        "allowed": decision.is_allowed(),
        "rule": decision.rule().map(|rule| rule.as_str()),
        "note": decision.rule().and_then(|rule| rule.note()),
        "reason": decision.deny_reason().map(|reason| DenialReason::Policy(reason).code()),
    });
    Reply::json(StatusCode::OK, &body)
}

async fn history(admin: &Admin, tenant: &str) -> Reply {
    match admin.backend.history(tenant).await {
        None => error(
            StatusCode::NOT_FOUND,
            "no_history",
            "versions are kept only in PostgreSQL (serve --postgres)",
        ),
        Some(Err(failure)) => unavailable(&failure),
        Some(Ok(versions)) => Reply::json(
            StatusCode::OK,
            &json!({"tenant": tenant, "versions": versions}),
        ),
    }
}
