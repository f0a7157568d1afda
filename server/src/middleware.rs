//! Request middleware: who is calling (resolved once per request), cross-site refusal for
//! server functions, and HTTP status codes for server-function errors.

use crate::proxy::ProxyTrust;
use app::{
    auth::server::{LOCALE_COOKIE, RequestContext, SESSION_KEY, authenticate},
    error::AppError,
    i18n::Locale,
};
use axum::{
    body::{Body, to_bytes},
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};
use tower_sessions::Session;

/// What the middleware needs besides the request.
#[derive(Clone)]
pub struct MiddlewareState {
    pub pool: sqlx::PgPool,
    pub clock: app::clock::CompanyClock,
    pub proxy_trust: ProxyTrust,
    pub public_origin: Option<String>,
    pub session_idle: chrono::Duration,
}

fn client_ip(request: &Request, trust: &ProxyTrust) -> Option<IpAddr> {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())?;
    let forwarded = request.headers().get_all("x-forwarded-for");
    Some(trust.client_address(peer, forwarded.iter().filter_map(|v| v.to_str().ok())))
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Static files need no user; everything else gets a `RequestContext` in its extensions.
pub async fn resolve_request(
    State(state): State<MiddlewareState>,
    mut request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with("/pkg/") {
        return next.run(request).await;
    }
    let client_ip = client_ip(&request, &state.proxy_trust);
    let session = request.extensions().get::<Session>().cloned();
    let mut user = None;
    if let Some(session) = session {
        match session.get::<uuid::Uuid>(SESSION_KEY).await {
            Ok(Some(session_id)) => {
                match authenticate(&state.pool, session_id, client_ip, state.session_idle).await {
                    Ok(found) => user = found.map(Arc::new),
                    Err(error) => {
                        tracing::error!(%error, "resolving the session's user failed");
                        return error_response(error);
                    }
                }
            }
            Ok(None) => {}
            Err(error) => {
                // The store is unreachable (database down): the visitor is not signed out, the
                // server is unavailable, and a browser must not take it for a sign-out.
                tracing::warn!(%error, "loading the cookie session failed");
                return error_response(AppError::Busy { retry_after_secs: 5 });
            }
        }
    }
    let headers = request.headers();
    let locale = user
        .as_ref()
        .map(|u| u.user.locale)
        .or_else(|| cookie(headers, LOCALE_COOKIE).and_then(Locale::from_tag))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or_default();
    let user_agent =
        headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let time_zone = state.clock.zone(&state.pool).await;
    request.extensions_mut().insert(RequestContext {
        user,
        locale,
        client_ip,
        user_agent,
        time_zone,
        memo: Default::default(),
    });
    next.run(request).await
}

/// Whether a request to a server function may come from this origin: browsers mark cross-site
/// requests with `Sec-Fetch-Site` and send `Origin` on POST; clients without either (scripts,
/// tests) carry no ambient browser cookies to abuse.
pub fn is_same_site(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if origin == "null" {
        return false;
    }
    if let Some(public) = public_origin {
        return origin.trim_end_matches('/') == public;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, authority)| authority.trim_end_matches('/') == host)
}

/// Where server functions are mounted.
pub const API_PREFIX: &str = "/api/";

/// Server functions accept same-site POSTs only: Leptos server functions have no CSRF
/// protection of their own, and a GET encoding would let a plain link trigger one.
pub async fn refuse_cross_site(
    State(state): State<MiddlewareState>,
    request: Request,
    next: Next,
) -> Response {
    if !request.uri().path().starts_with(API_PREFIX) {
        return next.run(request).await;
    }
    if request.method() != Method::POST {
        let mut response = error_response(AppError::CrossSiteRefused);
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        return response;
    }
    if !is_same_site(request.headers(), state.public_origin.as_deref()) {
        tracing::warn!(path = %request.uri().path(), "cross-site server function call refused");
        return error_response(AppError::CrossSiteRefused);
    }
    if UPLOAD_PATHS.contains(&request.uri().path()) {
        return next.run(request).await; // Each upload route sets its own, larger limit.
    }
    match within_limit(request, SERVER_FN_MAX_BODY).await {
        Ok(request) => next.run(request).await,
        Err(refusal) => refusal,
    }
}

/// Routes under the API prefix that take files rather than server-function arguments.
pub const UPLOAD_PATHS: [&str; 2] = ["/api/import-upload", "/api/lead-import"];

/// The largest server-function body: the biggest valid argument (a segment filter, a survey,
/// a tier rule set) is a few kilobytes; anything near this limit is a mistake or an attack.
pub const SERVER_FN_MAX_BODY: usize = 1024 * 1024;

/// Reads the body up to `max` bytes; a larger one (by its declared length or by what arrives)
/// is refused with 413 before any of it is parsed.
async fn within_limit(request: Request, max: usize) -> Result<Request, Response> {
    let too_large = || error_response(AppError::TooLarge { max_bytes: max as u64 });
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return Err(too_large());
    }
    let (parts, body) = request.into_parts();
    match to_bytes(body, max).await {
        Ok(bytes) => Ok(Request::from_parts(parts, Body::from(bytes))),
        Err(_) => Err(too_large()),
    }
}

fn error_response(error: AppError) -> Response {
    let body = serde_json::to_vec(&error).unwrap_or_default();
    (error.status_code(), [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Server functions report every error as 500; this gives each `AppError` its real status
/// (401, 403, 404, 409, 422, 429) so logs, proxies and clients see what happened.
pub async fn error_status(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with(API_PREFIX) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Error bodies are a few hundred bytes; the cap only guards against surprises.
    let bytes = match to_bytes(body, 64 * 1024).await {
        Ok(bytes) => bytes,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status_code();
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn same_origin_requests_pass() {
        let same = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(is_same_site(&same, None));
        assert!(is_same_site(&headers(&[("host", "x")]), None), "no browser headers");
    }

    #[test]
    fn cross_site_requests_are_refused() {
        let evil = headers(&[("host", "127.0.0.1:3000"), ("origin", "https://evil.example")]);
        assert!(!is_same_site(&evil, None));
        let marked = headers(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "cross-site")]);
        assert!(!is_same_site(&marked, None));
        let null = headers(&[("host", "a"), ("origin", "null")]);
        assert!(!is_same_site(&null, None));
    }

    #[test]
    fn a_configured_public_origin_replaces_the_host_check() {
        let proxied = headers(&[("host", "10.0.0.5:3000"), ("origin", "https://crm.example.com")]);
        assert!(is_same_site(&proxied, Some("https://crm.example.com")));
        assert!(!is_same_site(&proxied, None));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let map = headers(&[("cookie", "a=1; guanxi_locale=en; b=2")]);
        assert_eq!(cookie(&map, "guanxi_locale"), Some("en"));
        assert_eq!(cookie(&map, "missing"), None);
    }
}
