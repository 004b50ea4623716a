//! Units (enterprises, social organisations…) in pages: list with create form, detail with edit and close.

use super::listing::{self, Listing};
use super::orgs::place_id_by_code;
use super::places::crumbs;
use super::{FormData, Id, ListQuery, Q, RecordPage, done, render, status_label};
use crate::auth::{Ctx, PageCtx};
use crate::error::{AppError, PageError};
use crate::i18n::T;
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form};
use crate::{AppState, xlsx};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_store::places::Place;
use jiceng_store::units::{UNIT_KINDS, Unit, UnitFilter, UnitInput};

pub fn kind_label(t: T, kind: &str) -> String {
    UNIT_KINDS.iter().find(|(k, _, _)| *k == kind).map_or_else(
        || kind.to_string(),
        |(_, zh, en)| t.lang().pick(zh, en).to_string(),
    )
}

fn kind_options(t: T, with_all: bool) -> Vec<(String, String)> {
    let mut v = Vec::new();
    if with_all {
        v.push((String::new(), t.t("common.all").to_string()));
    }
    v.extend(
        UNIT_KINDS
            .iter()
            .map(|(k, zh, en)| (k.to_string(), t.lang().pick(zh, en).to_string())),
    );
    v
}

fn unit_form(
    t: T,
    id: &'static str,
    action: String,
    title: &str,
    u: Option<&Unit>,
    place_code: &str,
) -> Form {
    Form::new(id, action, title, t.t("common.save"))
        .field(
            Field::new("place_code", t.t("user.place_code"), FieldKind::Text)
                .value(u.map_or(place_code, |u| u.place_code.as_str()))
                .required(),
        )
        .field(
            Field::new("name", t.t("common.name"), FieldKind::Text)
                .value(u.map_or("", |u| u.name.as_str()))
                .required(),
        )
        .field(
            Field::new(
                "kind",
                t.t("common.kind"),
                FieldKind::Select(kind_options(t, false)),
            )
            .value(u.map_or("enterprise", |u| u.kind.as_str())),
        )
        .field(
            Field::new("credit_code", t.t("unit.credit_code"), FieldKind::Text)
                .value(u.and_then(|u| u.credit_code.clone()).unwrap_or_default()),
        )
        .field(
            Field::new("staff", t.t("unit.staff"), FieldKind::Number)
                .value(u.map_or("0".to_string(), |u| u.staff.to_string())),
        )
        .field(
            Field::new("founded_on", t.t("common.founded_on"), FieldKind::Date)
                .value(u.and_then(|u| u.founded_on.clone()).unwrap_or_default()),
        )
        .field(
            Field::new("above_size", t.t("unit.above_size"), FieldKind::Checkbox).value(
                if u.is_some_and(|u| u.above_size != 0) {
                    "on"
                } else {
                    ""
                },
            ),
        )
}

async fn input(state: &AppState, ctx: &Ctx, data: &FormData) -> Result<UnitInput, AppError> {
    Ok(UnitInput {
        place_id: place_id_by_code(state, ctx, data.get("place_code"), "place_code").await?,
        name: data.get("name").into(),
        kind: data.get("kind").into(),
        credit_code: data.opt("credit_code"),
        above_size: data.flag("above_size"),
        staff: if data.get("staff").is_empty() {
            0
        } else {
            data.int("staff", "从业人数", "Staff")?
        },
        founded_on: data.opt("founded_on"),
    })
}

fn headers(t: T) -> Vec<String> {
    vec![
        "#".into(),
        t.t("common.name").into(),
        t.t("common.kind").into(),
        t.t("common.place").into(),
        t.t("unit.above_size").into(),
        t.t("unit.staff").into(),
        t.t("common.status").into(),
    ]
}

fn yes_no(t: T, v: i64) -> String {
    t.lang()
        .pick(
            if v != 0 { "是" } else { "否" },
            if v != 0 { "yes" } else { "no" },
        )
        .into()
}

async fn filter(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
) -> Result<(UnitFilter, Option<Place>), AppError> {
    let under = q.under_place(state, ctx).await?;
    let f = UnitFilter {
        under_prefix: under.as_ref().map(|p| p.prefix()),
        kind: q.kind.clone(),
        q: q.q.clone(),
        include_closed: q.include_closed(),
    };
    Ok((f, under))
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
    let (rows, total) = state.store.units(&ctx.scope, &f, q.list_page()).await?;
    let rows = rows
        .iter()
        .map(|u| {
            vec![
                Cell::text(u.id.to_string()),
                Cell::link(&u.name, format!("/units/{}", u.id)),
                Cell::text(kind_label(t, &u.kind)),
                Cell::link(&u.place_name, format!("/places/{}", u.place_id)),
                Cell::text(yes_no(t, u.above_size)),
                Cell::text(u.staff.to_string()),
                Cell::text(status_label(t, u.closed_at)),
            ]
        })
        .collect();
    let code = under.as_ref().map_or("", |p| p.code.as_str());
    let forms = if ctx.role.edits_structure() {
        vec![unit_form(
            t,
            "create",
            "/units".into(),
            t.t("unit.new"),
            None,
            code,
        )]
    } else {
        vec![]
    };
    Listing {
        path: "/units",
        nav: "nav.units",
        under: under.as_ref(),
        filters: q.filters(t, ("kind", t.t("common.kind"), kind_options(t, true)), true),
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
    ctx.require(ctx.role.reads_structure())?;
    list_page(&state, &ctx, &q, None, StatusCode::OK).await
}

pub async fn create(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.edits_structure())?;
    let r = async {
        Ok::<_, AppError>(
            state
                .store
                .create_unit(
                    &ctx.actor,
                    &ctx.scope,
                    input(&state, &ctx, &data).await?,
                    state.now(),
                )
                .await?,
        )
    }
    .await;
    match r {
        Ok(u) => Ok(done(&format!("/units/{}?notice=created", u.id))),
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

async fn unit_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
    status: StatusCode,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let u = state.store.unit(&ctx.scope, id).await?;
    let place = state.store.place(&ctx.scope, u.place_id).await?;
    let mut c = Chrome::new(ctx, u.name.clone(), "nav.units", &format!("/units/{id}"));
    c.crumbs = crumbs(state, ctx, &place).await?;
    c.notice = notice;
    let facts = vec![
        ("#".to_string(), u.id.to_string()),
        (t.t("common.kind").into(), kind_label(t, &u.kind)),
        (
            t.t("common.place").into(),
            format!("{}（{}）", u.place_name, u.place_code),
        ),
        (
            t.t("unit.credit_code").into(),
            u.credit_code.clone().unwrap_or_else(|| "—".into()),
        ),
        (t.t("unit.above_size").into(), yes_no(t, u.above_size)),
        (t.t("unit.staff").into(), u.staff.to_string()),
        (t.t("common.status").into(), status_label(t, u.closed_at)),
    ];
    let mut forms = Vec::new();
    if ctx.role.edits_structure() && u.closed_at.is_none() {
        forms.push(unit_form(
            t,
            "edit",
            format!("/units/{id}/edit"),
            t.t("unit.edit"),
            Some(&u),
            "",
        ));
        forms.push(
            Form::new(
                "close",
                format!("/units/{id}/close"),
                t.t("common.close"),
                t.t("common.close"),
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
    ctx.require(ctx.role.reads_structure())?;
    let notice = q
        .notice
        .map(|_| ctx.lang.pick("已保存", "Saved").to_string());
    unit_page(&state, &ctx, id, None, StatusCode::OK, notice).await
}

pub async fn edit(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.edits_structure())?;
    let r = async {
        Ok::<_, AppError>(
            state
                .store
                .update_unit(
                    &ctx.actor,
                    &ctx.scope,
                    id,
                    input(&state, &ctx, &data).await?,
                    state.now(),
                )
                .await?,
        )
    }
    .await;
    match r {
        Ok(_) => Ok(done(&format!("/units/{id}?notice=saved"))),
        Err(e) => {
            let fb = Feedback::refusal("edit", data.0, e, ctx.lang)?;
            unit_page(
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

pub async fn close(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.edits_structure())?;
    state
        .store
        .close_unit(&ctx.actor, &ctx.scope, id, state.now())
        .await?;
    Ok(done(&format!("/units/{id}?notice=closed")))
}

pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.reads_structure())?;
    let t = ctx.t();
    let (f, _) = filter(&state, &ctx, &q).await?;
    let mut rows = Vec::new();
    for number in 1.. {
        let (batch, _) = state
            .store
            .units(&ctx.scope, &f, xlsx::batch(number))
            .await?;
        let n = batch.len();
        rows.extend(batch.into_iter().map(|u| {
            vec![
                u.id.to_string(),
                u.name,
                kind_label(t, &u.kind),
                u.place_name,
                yes_no(t, u.above_size),
                u.staff.to_string(),
                status_label(t, u.closed_at),
            ]
        }));
        if !xlsx::more(number, n) {
            break;
        }
    }
    xlsx::download("units", t.t("nav.units"), &headers(t), &rows)
}
