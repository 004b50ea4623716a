//! CSRF protection for every state-changing request made with a cookie:
//! 1. `Sec-Fetch-Site: cross-site` or an `Origin` of another host is refused outright;
//! 2. the request must carry the session's token, in the form field `_csrf` (for a file upload, in
//!    the query string) or the header `X-CSRF-Token` (before login: the `jiceng_csrf` cookie's value).
//!
//! Requests authenticated by a bearer token carry no ambient credential and are exempt.

use crate::AppState;
use crate::auth::{PRE_CSRF_COOKIE, SESSION_COOKIE, VerifiedSession, bearer, cookie};
use crate::error::{ApiError, AppError, PageError};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

fn reject(api: bool) -> Response {
    if api {
        ApiError(AppError::Csrf).into_response()
    } else {
        PageError(AppError::Csrf).into_response()
    }
}

fn same_origin(req: &Request) -> bool {
    let h = req.headers();
    if h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return false;
    }
    // HTTP/2 carries the host in the URI's authority instead of a Host header.
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    match (h.get(header::ORIGIN).and_then(|v| v.to_str().ok()), host) {
        (Some(origin), Some(host)) => origin.split("://").nth(1).is_some_and(|o| o == host),
        // An Origin we cannot compare with anything ("null", or no host known) is refused.
        (Some(_), None) => false,
        (None, _) => true,
    }
}

fn form_token(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v)
}

pub async fn protect(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Open311 partners authenticate with the api_key in the form, never with a cookie.
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || bearer(req.headers()).is_some()
        || req.uri().path().starts_with("/open311/")
    {
        return next.run(req).await;
    }
    let api = req.uri().path().starts_with("/api/");
    if !same_origin(&req) {
        return reject(api);
    }
    let expected = match cookie(req.headers(), SESSION_COOKIE) {
        Some(token) => match state
            .store
            .session(
                token,
                state.now(),
                state.config.idle_timeout_minutes * 60_000,
            )
            .await
        {
            Ok(Some((s, user))) => {
                // The handler's extractor reuses this instead of reading the session again.
                let csrf = s.csrf.clone();
                req.extensions_mut().insert(VerifiedSession(s, user));
                Some(csrf)
            }
            Ok(None) => None,
            Err(e) => return PageError(AppError::from(e)).into_response(),
        },
        None => None,
    }
    .or_else(|| cookie(req.headers(), PRE_CSRF_COOKIE).map(str::to_string));
    let Some(expected) = expected.filter(|e| !e.is_empty()) else {
        return reject(api);
    };
    if let Some(h) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if h == expected {
            next.run(req).await
        } else {
            reject(api)
        };
    }
    // A file upload cannot be re-read here (it may be megabytes): its form carries the token in the
    // query string instead, which the request log never records (paths only).
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        let token = req.uri().query().and_then(|q| form_token(q.as_bytes()));
        return if token.as_deref() == Some(expected.as_str()) {
            next.run(req).await
        } else {
            reject(api)
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return reject(api);
    }
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, state.config.body_limit).await {
        Ok(b) => b,
        Err(_) => {
            let e = AppError::Bad {
                status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                code: "request.too_large",
                zh: "提交的内容过大".into(),
                en: "The request is too large".into(),
            };
            return if api {
                ApiError(e).into_response()
            } else {
                PageError(e).into_response()
            };
        }
    };
    if form_token(&bytes).as_deref() != Some(expected.as_str()) {
        return reject(api);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
