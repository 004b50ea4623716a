//! Log in (password, then a TOTP code for administrators), log out.

use super::{FormData, LoginPage, render};
use crate::AppState;
use crate::auth::{
    Meta, PRE_CSRF_COOKIE, Resolved, SESSION_COOKIE, cookie, lang_of, resolve, set_cookie,
};
use crate::error::{AppError, PageError};
use crate::i18n::{Lang, T};
use crate::ui::{Chrome, Field, FieldKind, Form};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiceng_store::Actor;
use jiceng_store::totp::{TotpOutcome, totp};
use jiceng_store::users::{LoginError, random_token};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct Next {
    next: Option<String>,
    expired: Option<String>,
}

fn safe_next(n: Option<&str>) -> String {
    n.and_then(crate::auth::local_path)
        .filter(|p| !p.starts_with("/login"))
        .unwrap_or("/")
        .to_string()
}

fn login_form(t: T, next: &str, username: &str) -> Form {
    Form::new("login", "/login", t.t("login.title"), t.t("login.submit"))
        .field(Field::new("next", "", FieldKind::Hidden).value(next))
        .field(
            Field::new("username", t.t("login.username"), FieldKind::Text)
                .value(username)
                .required()
                .autocomplete("username"),
        )
        .field(
            Field::new("password", t.t("login.password"), FieldKind::Password)
                .required()
                .autocomplete("current-password"),
        )
}

fn login_page(
    lang: Lang,
    csrf: &str,
    next: &str,
    username: &str,
    error: Option<String>,
) -> LoginPage {
    let t = T(lang);
    let mut form = login_form(t, next, username);
    form.error = error;
    LoginPage {
        c: Chrome::anonymous(lang, t.t("login.title").into(), csrf.into(), "/login"),
        forms: vec![form],
        secret: None,
        otpauth: None,
    }
}

/// The pre-login CSRF token: the cookie's value, or a fresh one that we then set.
pub(crate) fn pre_csrf(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, PRE_CSRF_COOKIE) {
        Some(v) if v.len() == 64 => (v.to_string(), false),
        _ => (random_token(), true),
    }
}

pub async fn show(
    State(state): State<AppState>,
    meta: Meta,
    Query(n): Query<Next>,
) -> Result<Response, PageError> {
    if let Resolved::Ok(_) = resolve(&meta, &state).await? {
        return Ok(Redirect::to(&safe_next(n.next.as_deref())).into_response());
    }
    let (csrf, fresh) = pre_csrf(&meta.headers);
    let mut page = login_page(meta.lang, &csrf, &safe_next(n.next.as_deref()), "", None);
    if n.expired.is_some() {
        page.c.notice = Some(T(meta.lang).t("login.expired").into());
    }
    let mut res = render(StatusCode::OK, &page)?;
    if fresh
        && let Ok(h) = set_cookie(PRE_CSRF_COOKIE, &csrf, state.config.secure_cookies, None).parse()
    {
        res.headers_mut().append(header::SET_COOKIE, h);
    }
    Ok(res)
}

pub async fn submit(
    State(state): State<AppState>,
    meta: Meta,
    form: FormData,
) -> Result<Response, PageError> {
    let lang = meta.lang;
    let t = T(lang);
    let now = state.now();
    let actor = meta.actor();
    let username = form.get("username");
    let next = safe_next(Some(form.get("next")));
    let outcome = state
        .store
        .authenticate(&actor, username, form.get("password"), now)
        .await?;
    let user = match outcome {
        Ok(u) => u,
        Err(e) => {
            let msg = match e {
                LoginError::BadCredentials => t.t("login.bad"),
                LoginError::Locked { .. } => t.t("login.locked"),
                LoginError::Disabled => t.t("login.disabled"),
            };
            let (csrf, _) = pre_csrf(&meta.headers);
            return render(
                StatusCode::UNAUTHORIZED,
                &login_page(lang, &csrf, &next, username, Some(msg.into())),
            );
        }
    };
    let admin = user.role().is_some_and(|r| r.is_admin());
    let (token, _) = state
        .store
        .create_session(user.id, !admin, &actor.ip, now)
        .await?;
    let to = if admin {
        format!("/login/totp?next={}", crate::auth::urlencode(&next))
    } else {
        next
    };
    let mut res = Redirect::to(&to).into_response();
    if let Ok(h) = set_cookie(SESSION_COOKIE, &token, state.config.secure_cookies, None).parse() {
        res.headers_mut().append(header::SET_COOKIE, h);
    }
    Ok(res)
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.store.end_session(token).await?;
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(h) = set_cookie(SESSION_COOKIE, "", state.config.secure_cookies, Some(0)).parse() {
        res.headers_mut().append(header::SET_COOKIE, h);
    }
    Ok(res)
}

/// The session behind a cookie whose second factor is pending.
async fn pending(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<
    (
        String,
        jiceng_store::users::Session,
        jiceng_store::users::User,
    ),
    AppError,
> {
    let token = cookie(headers, SESSION_COOKIE).ok_or(AppError::Unauthorized)?;
    let (s, u) = state
        .store
        .session(
            token,
            state.now(),
            state.config.idle_timeout_minutes * 60_000,
        )
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok((token.to_string(), s, u))
}

async fn totp_page(
    state: &AppState,
    headers: &HeaderMap,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = lang_of(headers);
    let t = T(lang);
    let (_, session, user) = match pending(state, headers).await {
        Ok(p) => p,
        Err(_) => return Ok(Redirect::to("/login").into_response()),
    };
    let mut form = Form::new(
        "totp",
        "/login/totp",
        t.t("totp.title"),
        t.t("login.submit"),
    )
    .field(
        Field::new("code", t.t("totp.code"), FieldKind::Text)
            .required()
            .autocomplete("one-time-code"),
    );
    form.error = error;
    let (secret, otpauth) = if user.totp_confirmed == 0 {
        let tp = totp(state.store.totp_secret(user.id).await?, &user.username)
            .map_err(AppError::from)?;
        (Some(tp.get_secret_base32()), Some(tp.get_url()))
    } else {
        (None, None)
    };
    let page = LoginPage {
        c: Chrome::anonymous(lang, t.t("totp.title").into(), session.csrf, "/login/totp"),
        forms: vec![form],
        secret,
        otpauth,
    };
    render(status, &page)
}

pub async fn totp_show(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    totp_page(&state, &headers, None, StatusCode::OK).await
}

pub async fn totp_submit(
    State(state): State<AppState>,
    meta: Meta,
    form: FormData,
) -> Result<Response, PageError> {
    let (token, _, user) = match pending(&state, &meta.headers).await {
        Ok(p) => p,
        Err(_) => return Ok(Redirect::to("/login").into_response()),
    };
    let code: String = form
        .get("code")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let actor = Actor {
        user_id: Some(user.id),
        username: user.username.clone(),
        ..meta.actor()
    };
    let t = T(meta.lang);
    match state
        .store
        .totp_verify(&actor, user.id, &user.username, &code, state.now())
        .await?
    {
        TotpOutcome::Accepted => {
            state.store.pass_second_factor(&token).await?;
            Ok(Redirect::to("/").into_response())
        }
        TotpOutcome::Refused => {
            totp_page(
                &state,
                &meta.headers,
                Some(t.t("totp.bad").into()),
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
        // The sessions of a locked account are gone: back to the login page, which says why.
        TotpOutcome::Locked => {
            let page = login_page(
                meta.lang,
                &pre_csrf(&meta.headers).0,
                "/",
                &user.username,
                Some(t.t("login.locked").into()),
            );
            render(StatusCode::UNAUTHORIZED, &page)
        }
    }
}
