//! Accounts: the system administrator creates them and resets passwords; the security administrator
//! locks and unlocks (三员分立); structure readers see the accounts of their own subtree.

use super::listing::{self, Listing};
use super::orgs::place_id_by_code;
use super::{FormData, Id, ListQuery, Q, RecordPage, done, render};
use crate::auth::{Ctx, PageCtx};
use crate::clock::format_ms;
use crate::error::{AppError, PageError};
use crate::i18n::T;
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, role_label};
use crate::{AppState, xlsx};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_domain::Role;
use jiceng_store::places::Place;
use jiceng_store::users::{NewUser, User, UserFilter};

fn can_list(ctx: &Ctx) -> bool {
    ctx.role.reads_structure() || ctx.role.manages_accounts() || ctx.role.manages_security()
}

/// Roles for the filter (all of them) or for the create form (`with_all` false: no administrators,
/// who are created on the command line).
fn role_options(t: T, with_all: bool) -> Vec<(String, String)> {
    let mut v = Vec::new();
    if with_all {
        v.push((String::new(), t.t("common.all").to_string()));
    }
    v.extend(
        Role::ALL
            .iter()
            .filter(|r| with_all || !r.is_admin())
            .map(|r| {
                (
                    r.as_str().to_string(),
                    t.lang().pick(r.zh(), r.en()).to_string(),
                )
            }),
    );
    v
}

fn state_label(t: T, u: &User, now: i64) -> String {
    if u.disabled != 0 {
        t.t("user.locked").into()
    } else if u.locked_until > now {
        format!("{} {}", t.t("user.locked_until"), format_ms(u.locked_until))
    } else {
        t.t("common.open").into()
    }
}

fn headers(t: T) -> Vec<String> {
    vec![
        t.t("login.username").into(),
        t.t("user.display_name").into(),
        t.t("user.role").into(),
        t.t("common.place").into(),
        t.t("common.status").into(),
    ]
}

async fn filter(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
) -> Result<(UserFilter, Option<Place>), AppError> {
    let under = q.under_place(state, ctx).await?;
    let f = UserFilter {
        q: q.q.clone(),
        role: q.role.clone(),
        under_prefix: under.as_ref().map(|p| p.prefix()),
    };
    Ok((f, under))
}

fn create_form(t: T) -> Form {
    Form::new("create", "/users", t.t("user.new"), t.t("common.create"))
        .field(Field::new("username", t.t("login.username"), FieldKind::Text).required())
        .field(Field::new("display_name", t.t("user.display_name"), FieldKind::Text).required())
        .field(
            Field::new(
                "role",
                t.t("user.role"),
                FieldKind::Select(role_options(t, false)),
            )
            .value("village_committee"),
        )
        .field(Field::new("place_code", t.t("user.place_code"), FieldKind::Text).required())
        .field(
            Field::new("password", t.t("login.password"), FieldKind::Password)
                .hint(t.t("user.password_hint"))
                .required()
                .autocomplete("new-password"),
        )
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
    fb: Option<Feedback>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let (f, under) = filter(state, ctx, q).await?;
    let (rows, total) = state.store.users(&ctx.scope, &f, q.list_page()).await?;
    let now = state.now();
    let rows = rows
        .iter()
        .map(|u| {
            vec![
                Cell::link(&u.username, format!("/users/{}", u.id)),
                Cell::text(&u.display_name),
                Cell::text(role_label(ctx.lang, &u.role)),
                Cell::text(&u.place_name),
                Cell::text(state_label(t, u, now)),
            ]
        })
        .collect();
    let forms = if ctx.role.manages_accounts() {
        vec![create_form(t)]
    } else {
        vec![]
    };
    Listing {
        path: "/users",
        nav: "nav.users",
        under: under.as_ref(),
        filters: q.filters(t, ("role", t.t("user.role"), role_options(t, true)), false),
        table: listing::table(t, headers(t), rows),
        total,
        count_cap: None,
        forms,
        links: vec![],
    }
    .render(state, ctx, q, fb, status)
    .await
}

pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(can_list(&ctx))?;
    list_page(&state, &ctx, &q, None, StatusCode::OK).await
}

pub async fn create(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_accounts())?;
    let r = async {
        crate::auth::creatable_role(data.get("role"))?;
        let place_id = place_id_by_code(&state, &ctx, data.get("place_code"), "place_code").await?;
        let new = NewUser {
            username: data.get("username").into(),
            display_name: data.get("display_name").into(),
            password: data.get("password").into(),
            role: data.get("role").into(),
            place_id,
        };
        Ok::<_, AppError>(
            state
                .store
                .create_user(&ctx.actor, &ctx.scope, new, state.now())
                .await?,
        )
    }
    .await;
    match r {
        Ok(u) => Ok(done(&format!("/users/{}?notice=created", u.id))),
        Err(e) => {
            let fb = Feedback::refusal("create", data.0, e, ctx.lang)?;
            list_page(
                &state,
                &ctx,
                &ListQuery::default(),
                Some(fb),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn user_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
    status: StatusCode,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let u = state.store.user(&ctx.scope, id).await?;
    let mut c = Chrome::new(
        ctx,
        u.display_name.clone(),
        "nav.users",
        &format!("/users/{id}"),
    );
    c.notice = notice;
    let facts = vec![
        (t.t("login.username").to_string(), u.username.clone()),
        (t.t("user.role").into(), role_label(ctx.lang, &u.role)),
        (
            t.t("common.place").into(),
            format!("{}（{}）", u.place_name, u.place_code),
        ),
        (t.t("common.status").into(), state_label(t, &u, state.now())),
        (t.t("common.created").into(), format_ms(u.created_at)),
    ];
    let mut forms = Vec::new();
    if ctx.role.manages_security() {
        if u.disabled != 0 || u.locked_until > state.now() {
            forms.push(Form::new(
                "unlock",
                format!("/users/{id}/unlock"),
                t.t("user.unlock"),
                t.t("user.unlock"),
            ));
        }
        if u.disabled == 0 {
            forms.push(
                Form::new(
                    "lock",
                    format!("/users/{id}/lock"),
                    t.t("user.lock"),
                    t.t("user.lock"),
                )
                .danger(),
            );
        }
    }
    if ctx.role.manages_accounts() {
        forms.push(
            Form::new(
                "password",
                format!("/users/{id}/password"),
                t.t("user.reset"),
                t.t("common.save"),
            )
            .field(
                Field::new("password", t.t("account.new_password"), FieldKind::Password)
                    .hint(t.t("user.password_hint"))
                    .required()
                    .autocomplete("new-password"),
            ),
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
            tables: vec![],
            links: vec![],
            forms,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(can_list(&ctx))?;
    let notice = q
        .notice
        .map(|_| ctx.lang.pick("已保存", "Saved").to_string());
    user_page(&state, &ctx, id, None, StatusCode::OK, notice).await
}

pub async fn lock(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_security())?;
    state
        .store
        .set_locked(&ctx.actor, &ctx.scope, id, true, state.now())
        .await?;
    Ok(done(&format!("/users/{id}?notice=saved")))
}

pub async fn unlock(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_security())?;
    state
        .store
        .set_locked(&ctx.actor, &ctx.scope, id, false, state.now())
        .await?;
    Ok(done(&format!("/users/{id}?notice=saved")))
}

pub async fn reset_password(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_accounts())?;
    match state
        .store
        .set_password(
            &ctx.actor,
            &ctx.scope,
            id,
            data.get("password"),
            state.now(),
        )
        .await
    {
        Ok(()) => Ok(done(&format!("/users/{id}?notice=saved"))),
        Err(e) => {
            let fb = Feedback::refusal("password", data.0, e.into(), ctx.lang)?;
            user_page(
                &state,
                &ctx,
                id,
                Some(fb),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
    }
}

pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(can_list(&ctx))?;
    let t = ctx.t();
    let now = state.now();
    let (f, _) = filter(&state, &ctx, &q).await?;
    let mut rows = Vec::new();
    for number in 1.. {
        let (batch, _) = state
            .store
            .users(&ctx.scope, &f, xlsx::batch(number))
            .await?;
        let n = batch.len();
        rows.extend(batch.iter().map(|u| {
            vec![
                u.username.clone(),
                u.display_name.clone(),
                role_label(ctx.lang, &u.role),
                u.place_name.clone(),
                state_label(t, u, now),
            ]
        }));
        if !xlsx::more(number, n) {
            break;
        }
    }
    xlsx::download("accounts", t.t("nav.users"), &headers(t), &rows)
}
