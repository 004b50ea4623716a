//! Who is asking: a session cookie (pages, and the API from a browser) or a personal API token
//! (`Authorization: Bearer jct_…`). The extracted `Ctx` carries the caller's scope, which every
//! store query takes as a predicate.

use crate::AppState;
use crate::error::{ApiError, AppError, PageError};
use crate::i18n::{Lang, T};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiceng_domain::Role;
use jiceng_store::users::User;
use jiceng_store::{Actor, Scope};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "jiceng_session";
pub const PRE_CSRF_COOKIE: &str = "jiceng_csrf";
pub const LANG_COOKIE: &str = "jiceng_lang";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    c
}

pub fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_cookie(cookie(headers, LANG_COOKIE))
}

/// A redirect target that stays on this site: a path starting with one `/`, without backslashes or
/// control characters (browsers read `/\\host` and `/<tab>/host` as another host; CR/LF would break
/// the header).
pub fn local_path(p: &str) -> Option<&str> {
    let mut chars = p.chars();
    let ok = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !p.chars().any(|c| c == '\\' || c.is_control());
    ok.then_some(p)
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Client address for the audit log.
pub fn client_ip(parts: &Parts, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(f) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        && let Some(first) = f.split(',').next()
    {
        return first.trim().to_string();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string())
}

pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The signed-in caller.
/// 三员分立: administrator accounts are created from the command line at installation, never by
/// another administrator in the application (a system administrator must not mint an auditor).
pub fn creatable_role(role: &str) -> Result<(), AppError> {
    if Role::parse(role).is_some_and(Role::is_admin) {
        return Err(AppError::Rule(
            jiceng_domain::DomainError::new(
                "account.admin_via_cli",
                "系统、安全、审计管理员账号只能用命令行 jiceng user add 创建",
                "administrator accounts are created with `jiceng user add` on the command line",
            )
            .on("role"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn redirects_stay_local() {
        assert_eq!(local_path("/places/3?x=1"), Some("/places/3?x=1"));
        assert_eq!(local_path("/"), Some("/"));
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\tevil",
            "/\t/evil.example/",
            "/a\r\nSet-Cookie: x",
            "https://evil.example",
            "evil",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}

#[derive(Debug, Clone)]
pub struct Ctx {
    pub user: User,
    pub role: Role,
    pub scope: Scope,
    pub lang: Lang,
    pub csrf: String,
    pub actor: Actor,
    pub session_token: Option<String>,
}

impl Ctx {
    pub fn t(&self) -> T {
        T(self.lang)
    }

    pub fn require(&self, allowed: bool) -> Result<(), AppError> {
        if allowed {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

pub enum Resolved {
    Ok(Box<Ctx>),
    /// Signed in with a password but the administrator's second factor is still due.
    NeedsSecondFactor,
    Anonymous,
}

/// A session already read and checked earlier in this request (by the CSRF layer).
#[derive(Debug, Clone)]
pub struct VerifiedSession(pub jiceng_store::users::Session, pub User);

/// What every handler may want to know about the request, without its body.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The session the CSRF check already read for this request, if it did.
    pub verified: Option<VerifiedSession>,
    pub headers: HeaderMap,
    pub ip: String,
    pub rid: String,
    pub lang: Lang,
    pub path_and_query: String,
}

impl FromRequestParts<AppState> for Meta {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Meta {
            verified: parts.extensions.get::<VerifiedSession>().cloned(),
            headers: parts.headers.clone(),
            ip: client_ip(parts, state.config.trust_proxy),
            rid: request_id(&parts.headers),
            lang: lang_of(&parts.headers),
            path_and_query: parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string(),
        })
    }
}

impl Meta {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: None,
            username: String::new(),
            ip: self.ip.clone(),
            request_id: self.rid.clone(),
        }
    }
}

pub async fn resolve(meta: &Meta, state: &AppState) -> Result<Resolved, AppError> {
    let now = state.now();
    let parts_headers = &meta.headers;
    let (lang, ip, rid) = (meta.lang, meta.ip.clone(), meta.rid.clone());
    if let Some(token) = bearer(parts_headers) {
        let Some(user) = state.store.token_user(token).await? else {
            return Ok(Resolved::Anonymous);
        };
        return Ok(build(user, lang, String::new(), ip, rid, None));
    }
    let Some(token) = cookie(parts_headers, SESSION_COOKIE) else {
        return Ok(Resolved::Anonymous);
    };
    let idle = state.config.idle_timeout_minutes * 60_000;
    let found = match &meta.verified {
        Some(VerifiedSession(s, u)) => Some((s.clone(), u.clone())),
        None => state.store.session(token, now, idle).await?,
    };
    let Some((session, user)) = found else {
        return Ok(Resolved::Anonymous);
    };
    let admin = user.role().is_some_and(Role::is_admin);
    if admin && session.second_factor == 0 {
        return Ok(Resolved::NeedsSecondFactor);
    }
    Ok(build(
        user,
        lang,
        session.csrf,
        ip,
        rid,
        Some(token.to_string()),
    ))
}

fn build(
    user: User,
    lang: Lang,
    csrf: String,
    ip: String,
    rid: String,
    session_token: Option<String>,
) -> Resolved {
    let Some(role) = user.role() else {
        return Resolved::Anonymous;
    };
    let actor = Actor {
        user_id: Some(user.id),
        username: user.username.clone(),
        ip,
        request_id: rid,
    };
    Resolved::Ok(Box::new(Ctx {
        scope: user.scope(),
        role,
        lang,
        csrf,
        actor,
        session_token,
        user,
    }))
}

/// Page extractor: anonymous visitors go to the login page.
pub struct PageCtx(pub Ctx);

pub enum PageReject {
    /// To the login page, saying so when a session just expired.
    Login {
        next: String,
        expired: bool,
    },
    SecondFactor,
    Error(PageError),
}

impl IntoResponse for PageReject {
    fn into_response(self) -> Response {
        match self {
            PageReject::Login { next, expired } => {
                let flag = if expired { "expired=1&" } else { "" };
                Redirect::to(&format!("/login?{flag}next={}", urlencode(&next))).into_response()
            }
            PageReject::SecondFactor => Redirect::to("/login/totp").into_response(),
            PageReject::Error(e) => e.into_response(),
        }
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|v| v.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = PageReject;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(meta) = Meta::from_request_parts(parts, state).await;
        match resolve(&meta, state)
            .await
            .map_err(|e| PageReject::Error(PageError(e)))?
        {
            Resolved::Ok(c) => Ok(PageCtx(*c)),
            Resolved::NeedsSecondFactor => Err(PageReject::SecondFactor),
            Resolved::Anonymous => {
                // A cookie that no longer opens a session: it expired (idle) or was ended.
                let expired = cookie(&meta.headers, SESSION_COOKIE).is_some_and(|v| !v.is_empty());
                Err(PageReject::Login {
                    next: meta.path_and_query,
                    expired,
                })
            }
        }
    }
}

/// API extractor: anonymous callers get 401 JSON.
pub struct ApiCtx(pub Ctx);

impl FromRequestParts<AppState> for ApiCtx {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(meta) = Meta::from_request_parts(parts, state).await;
        match resolve(&meta, state).await? {
            Resolved::Ok(c) => Ok(ApiCtx(*c)),
            Resolved::NeedsSecondFactor | Resolved::Anonymous => {
                Err(ApiError(AppError::Unauthorized))
            }
        }
    }
}
