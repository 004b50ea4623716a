//! The caller's own account: change password, personal API tokens.

use super::{FormData, Id, ListQuery, Q, RecordPage, done, render};
use crate::AppState;
use crate::auth::{Ctx, PageCtx, SESSION_COOKIE, set_cookie};
use crate::clock::format_ms;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Table, role_label};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiceng_domain::DomainError;

async fn page(
    state: &AppState,
    ctx: &Ctx,
    fb: Option<Feedback>,
    status: StatusCode,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let mut c = Chrome::new(ctx, t.t("nav.account"), "nav.account", "/account");
    c.notice = notice;
    let u = &ctx.user;
    let facts = vec![
        (t.t("login.username").to_string(), u.username.clone()),
        (t.t("user.display_name").into(), u.display_name.clone()),
        (t.t("user.role").into(), role_label(ctx.lang, &u.role)),
        (
            t.t("common.place").into(),
            format!("{}（{}）", u.place_name, u.place_code),
        ),
    ];
    let tokens = state.store.tokens(u.id).await?;
    let table = Table {
        caption: t.t("account.tokens").into(),
        headers: vec![
            "#".into(),
            t.t("account.token_name").into(),
            t.t("common.created").into(),
            t.t("common.status").into(),
        ],
        rows: tokens
            .iter()
            .map(|k| {
                let status = if k.revoked_at.is_some() {
                    t.t("common.closed")
                } else {
                    t.t("common.open")
                };
                vec![
                    Cell::text(k.id.to_string()),
                    Cell::text(&k.name),
                    Cell::text(format_ms(k.created_at)),
                    Cell::text(status),
                ]
            })
            .collect(),
        empty: t.t("common.empty").into(),
    };
    let mut forms = vec![
        Form::new(
            "password",
            "/account/password",
            t.t("account.change_password"),
            t.t("common.save"),
        )
        .field(
            Field::new(
                "current",
                t.t("account.current_password"),
                FieldKind::Password,
            )
            .required()
            .autocomplete("current-password"),
        )
        .field(
            Field::new("password", t.t("account.new_password"), FieldKind::Password)
                .hint(t.t("user.password_hint"))
                .required()
                .autocomplete("new-password"),
        ),
        Form::new(
            "token",
            "/account/tokens",
            t.t("account.tokens"),
            t.t("common.create"),
        )
        .field(Field::new("name", t.t("account.token_name"), FieldKind::Text).required()),
    ];
    for k in tokens.iter().filter(|k| k.revoked_at.is_none()) {
        forms.push(
            Form::new(
                "revoke",
                format!("/account/tokens/{}/revoke", k.id),
                format!("{} #{} {}", t.t("account.revoke"), k.id, k.name),
                t.t("account.revoke"),
            )
            .danger(),
        );
    }
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    render(
        status,
        &RecordPage {
            c,
            facts,
            stats: vec![],
            tables: vec![table],
            links: vec![],
            forms,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    let notice = q
        .notice
        .map(|_| ctx.lang.pick("已保存", "Saved").to_string());
    page(&state, &ctx, None, StatusCode::OK, notice).await
}

pub async fn change_password(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    data: FormData,
) -> Result<Response, PageError> {
    let now = state.now();
    let current_ok = state
        .store
        .authenticate(&ctx.actor, &ctx.user.username, data.get("current"), now)
        .await?
        .is_ok();
    let r: Result<(), AppError> = if !current_ok {
        Err(AppError::Rule(
            DomainError::new(
                "account.current_password_wrong",
                "当前密码不正确",
                "The current password is wrong",
            )
            .on("current"),
        ))
    } else {
        state
            .store
            .set_password(
                &ctx.actor,
                &jiceng_store::Scope::All,
                ctx.user.id,
                data.get("password"),
                now,
            )
            .await
            .map_err(AppError::from)
    };
    match r {
        Ok(()) => {
            // Every session ended with the old password; this one too.
            let mut res = Redirect::to("/login").into_response();
            if let Ok(h) =
                set_cookie(SESSION_COOKIE, "", state.config.secure_cookies, Some(0)).parse()
            {
                res.headers_mut().append(header::SET_COOKIE, h);
            }
            Ok(res)
        }
        Err(e) => {
            let fb = Feedback::refusal("password", data.0, e, ctx.lang)?;
            page(
                &state,
                &ctx,
                Some(fb),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
    }
}

pub async fn create_token(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    data: FormData,
) -> Result<Response, PageError> {
    match state
        .store
        .create_token(&ctx.actor, ctx.user.id, data.get("name"), state.now())
        .await
    {
        Ok(token) => {
            let t = ctx.t();
            let notice = format!("{}：{token}", t.t("account.token_created"));
            page(&state, &ctx, None, StatusCode::OK, Some(notice)).await
        }
        Err(e) => {
            let fb = Feedback::refusal("token", data.0, e.into(), ctx.lang)?;
            page(
                &state,
                &ctx,
                Some(fb),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    state
        .store
        .revoke_token(&ctx.actor, ctx.user.id, id, state.now())
        .await?;
    Ok(done("/account?notice=saved"))
}
