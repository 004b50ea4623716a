//! Party organisations in pages: list (with the create form), detail with rename, move and close.

use super::listing::{self, Listing};
use super::places::crumbs;
use super::{FormData, Id, ListQuery, Q, RecordPage, done, render, status_label};
use crate::auth::{Ctx, PageCtx};
use crate::error::{AppError, PageError};
use crate::i18n::T;
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Table};
use crate::{AppState, xlsx};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_domain::{DomainError, OrgKind};
use jiceng_store::StoreError;
use jiceng_store::orgs::{NewOrg, OrgFilter};
use jiceng_store::places::Place;
use jiceng_store::sql::Page;

pub fn kind_label(t: T, kind: &str) -> String {
    OrgKind::parse(kind).map_or_else(
        || kind.to_string(),
        |k| t.lang().pick(k.zh(), k.en()).to_string(),
    )
}

fn kind_options(t: T, with_all: bool) -> Vec<(String, String)> {
    let mut v = Vec::new();
    if with_all {
        v.push((String::new(), t.t("common.all").to_string()));
    }
    v.extend(OrgKind::ALL.iter().map(|k| {
        (
            k.as_str().to_string(),
            t.lang().pick(k.zh(), k.en()).to_string(),
        )
    }));
    v
}

/// Parses "3, 5,8" into ids; anything else is a rule error on the field.
pub fn ids(raw: &str, field: &'static str) -> Result<Vec<i64>, AppError> {
    raw.split([',', '，', ' '])
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            AppError::Rule(
                DomainError::new(
                    "request.ids_invalid",
                    "请填写以逗号分隔的编号",
                    "enter numbers separated by commas",
                )
                .on(field),
            )
        })
}

/// Resolves a place code typed in a form, within scope, as a rule error on the field.
pub async fn place_id_by_code(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    field: &'static str,
) -> Result<i64, AppError> {
    match state.store.place_by_code(&ctx.scope, code.trim()).await {
        Ok(p) => Ok(p.id),
        Err(StoreError::NotFound) => Err(AppError::Rule(
            DomainError::new(
                "place.unknown_code",
                "找不到该代码的地点（或不在您的管辖范围内）",
                "no place with this code in your scope",
            )
            .on(field),
        )),
        Err(e) => Err(e.into()),
    }
}

fn create_form(t: T, place_code: &str) -> Form {
    Form::new("create", "/orgs", t.t("org.new"), t.t("common.create"))
        .field(
            Field::new("place_code", t.t("user.place_code"), FieldKind::Text)
                .value(place_code)
                .required(),
        )
        .field(Field::new("name", t.t("common.name"), FieldKind::Text).required())
        .field(
            Field::new(
                "kind",
                t.t("common.kind"),
                FieldKind::Select(kind_options(t, false)),
            )
            .value("branch"),
        )
        .field(Field::new(
            "parent_id",
            t.t("org.parent_id"),
            FieldKind::Text,
        ))
        .field(Field::new("unit_ids", t.t("org.unit_ids"), FieldKind::Text))
        .field(Field::new(
            "founded_on",
            t.t("common.founded_on"),
            FieldKind::Date,
        ))
}

async fn filter(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
) -> Result<(OrgFilter, Option<Place>), AppError> {
    let under = q.under_place(state, ctx).await?;
    let f = OrgFilter {
        under_prefix: under.as_ref().map(|p| p.prefix()),
        parent_id: None,
        kind: q.kind.clone(),
        q: q.q.clone(),
        include_closed: q.include_closed(),
    };
    Ok((f, under))
}

fn headers(t: T) -> Vec<String> {
    vec![
        "#".into(),
        t.t("common.name").into(),
        t.t("common.kind").into(),
        t.t("common.place").into(),
        t.t("common.status").into(),
    ]
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
    let (rows, total) = state.store.orgs(&ctx.scope, &f, q.list_page()).await?;
    let rows = rows
        .iter()
        .map(|o| {
            vec![
                Cell::text(o.id.to_string()),
                Cell::link(&o.name, format!("/orgs/{}", o.id)),
                Cell::text(kind_label(t, &o.kind)),
                Cell::link(&o.place_name, format!("/places/{}", o.place_id)),
                Cell::text(status_label(t, o.closed_at)),
            ]
        })
        .collect();
    let code = under.as_ref().map_or("", |p| p.code.as_str());
    let forms = if ctx.role.edits_structure() {
        vec![create_form(t, code)]
    } else {
        vec![]
    };
    Listing {
        path: "/orgs",
        nav: "nav.orgs",
        under: under.as_ref(),
        filters: q.filters(t, ("kind", t.t("common.kind"), kind_options(t, true)), true),
        table: listing::table(t, headers(t), rows),
        total,
        count_cap: None,
        forms,
        links: vec![
            (
                t.lang().pick("党组织设置提醒", "Formation warnings").into(),
                "/orgs/formation".into(),
            ),
            (t.t("nav.coverage").into(), "/coverage".into()),
        ],
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
    let result = async {
        let place_id = place_id_by_code(&state, &ctx, data.get("place_code"), "place_code").await?;
        let parent_id = match data.opt("parent_id") {
            Some(_) => Some(data.int("parent_id", "上级党组织编号", "The parent number")?),
            None => None,
        };
        let new = NewOrg {
            parent_id,
            place_id,
            name: data.get("name").into(),
            kind: data.get("kind").into(),
            unit_ids: ids(data.get("unit_ids"), "unit_ids")?,
            founded_on: data.opt("founded_on"),
        };
        Ok::<_, AppError>(
            state
                .store
                .create_org(&ctx.actor, &ctx.scope, new, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(org) => Ok(done(&format!("/orgs/{}?notice=created", org.id))),
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

async fn org_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
    status: StatusCode,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let org = state.store.org(&ctx.scope, id).await?;
    let place = state
        .store
        .place(&jiceng_store::Scope::All, org.place_id)
        .await?;
    let mut c = Chrome::new(ctx, org.name.clone(), "nav.orgs", &format!("/orgs/{id}"));
    c.crumbs = crumbs(state, ctx, &place).await.unwrap_or_default();
    c.notice = notice;
    let parent = match org.parent_id {
        Some(p) => state
            .store
            .org(&ctx.scope, p)
            .await
            .map(|o| o.name)
            .unwrap_or_else(|_| "—".into()),
        None => "—".into(),
    };
    let facts = vec![
        ("#".to_string(), org.id.to_string()),
        (t.t("common.kind").into(), kind_label(t, &org.kind)),
        (
            t.t("common.place").into(),
            format!("{}（{}）", org.place_name, org.place_code),
        ),
        (t.t("common.parent").into(), parent),
        (t.t("common.status").into(), status_label(t, org.closed_at)),
    ];
    let mut facts = facts;
    let n = state.store.org_flow_counts(&ctx.scope, id).await?;
    let l = |zh: &'static str, en: &'static str| t.lang().pick(zh, en).to_string();
    facts.extend([
        (
            l("党员（含流入）", "Members (incl. hosted)"),
            n.total().to_string(),
        ),
        (l("在册党员", "Registered here"), n.registered.to_string()),
        (l("其中外出流动", "of whom away"), n.away.to_string()),
        (
            l("流入流动党员", "Flowing members hosted"),
            n.hosted.to_string(),
        ),
    ]);
    let f = OrgFilter {
        parent_id: Some(id),
        include_closed: true,
        ..Default::default()
    };
    let (children, _) = state
        .store
        .orgs(&ctx.scope, &f, Page::new(Some(1), Some(200)))
        .await?;
    let children_table = Table {
        caption: t.t("place.children").into(),
        headers: headers(t),
        rows: children
            .iter()
            .map(|o| {
                vec![
                    Cell::text(o.id.to_string()),
                    Cell::link(&o.name, format!("/orgs/{}", o.id)),
                    Cell::text(kind_label(t, &o.kind)),
                    Cell::text(&o.place_name),
                    Cell::text(status_label(t, o.closed_at)),
                ]
            })
            .collect(),
        empty: t.t("common.empty").into(),
    };
    let unit_rows = state
        .store
        .units_of_org(&ctx.scope, id)
        .await?
        .into_iter()
        .map(|u| {
            vec![
                Cell::text(u.id.to_string()),
                Cell::link(u.name, format!("/units/{}", u.id)),
            ]
        })
        .collect();
    let units_table = Table {
        caption: t.t("org.units").into(),
        headers: vec!["#".into(), t.t("common.name").into()],
        rows: unit_rows,
        empty: t.t("common.empty").into(),
    };
    let mut forms = Vec::new();
    if ctx.role.edits_structure() && org.closed_at.is_none() {
        forms.push(
            Form::new(
                "rename",
                format!("/orgs/{id}/rename"),
                t.t("common.rename"),
                t.t("common.save"),
            )
            .field(
                Field::new("name", t.t("common.name"), FieldKind::Text)
                    .value(&org.name)
                    .required(),
            ),
        );
        forms.push(
            Form::new(
                "move",
                format!("/orgs/{id}/move"),
                t.t("common.move"),
                t.t("common.move"),
            )
            .field(
                Field::new("parent_id", t.t("org.parent_id"), FieldKind::Text)
                    .value(org.parent_id.map(|p| p.to_string()).unwrap_or_default()),
            )
            .field(
                Field::new("place_code", t.t("user.place_code"), FieldKind::Text)
                    .value(&org.place_code)
                    .required(),
            ),
        );
        forms.push(
            Form::new(
                "close",
                format!("/orgs/{id}/close"),
                t.t("common.close"),
                t.t("common.close"),
            )
            .danger(),
        );
    }
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let mut links = vec![(
        t.t("org.new").to_string(),
        format!("/orgs?under={}", org.place_id),
    )];
    if ctx.role.manages_members() {
        links.insert(
            0,
            (
                t.t("member.roster").to_string(),
                format!("/members?org={id}"),
            ),
        );
        links.insert(
            1,
            (
                t.lang().pick("党费收缴", "Dues collection").into(),
                format!("/orgs/{id}/dues"),
            ),
        );
        links.insert(
            2,
            (
                t.lang().pick("组织生活（会议）", "Meetings").into(),
                format!("/orgs/{id}/meetings"),
            ),
        );
        if n.hosted > 0 {
            links.push((
                t.lang()
                    .pick("流入流动党员名单", "Hosted flowing members")
                    .into(),
                format!("/members/flowing?kind=in&org={id}"),
            ));
        }
    }
    let mut tables = vec![children_table, units_table];
    // The branch's work list: requirements falling due within a week and not met yet.
    let due = state
        .store
        .life_reminders(&ctx.scope, id, &crate::clock::day_of(state.now()))
        .await?;
    if !due.is_empty() {
        tables.insert(0, super::life::reminders_table(ctx.lang, id, &due));
    }
    if org
        .kind()
        .is_some_and(jiceng_domain::life::holds_branch_life)
    {
        links.push((
            t.lang()
                .pick("三会一课落实情况", "三会一课 compliance")
                .into(),
            format!("/orgs/{id}/life"),
        ));
    }
    render(
        status,
        &RecordPage {
            c,
            facts,
            stats: vec![],
            tables,
            links,
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
    org_page(&state, &ctx, id, None, StatusCode::OK, notice).await
}

async fn after(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: &'static str,
    data: FormData,
    r: Result<(), AppError>,
) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(done(&format!("/orgs/{id}?notice=saved"))),
        Err(e) => {
            let fb = Feedback::refusal(form, data.0, e, ctx.lang)?;
            org_page(
                state,
                ctx,
                id,
                Some(fb),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
    }
}

pub async fn rename(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.edits_structure())?;
    let r = state
        .store
        .rename_org(&ctx.actor, &ctx.scope, id, data.get("name"), state.now())
        .await
        .map(|_| ())
        .map_err(AppError::from);
    after(&state, &ctx, id, "rename", data, r).await
}

pub async fn move_to(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.edits_structure())?;
    let r = async {
        let parent = match data.opt("parent_id") {
            Some(_) => Some(data.int("parent_id", "上级党组织编号", "The parent number")?),
            None => None,
        };
        let place = place_id_by_code(&state, &ctx, data.get("place_code"), "place_code").await?;
        state
            .store
            .move_org(&ctx.actor, &ctx.scope, id, parent, Some(place), state.now())
            .await?;
        Ok(())
    }
    .await;
    after(&state, &ctx, id, "move", data, r).await
}

pub async fn close(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.edits_structure())?;
    let r = state
        .store
        .close_org(&ctx.actor, &ctx.scope, id, state.now())
        .await
        .map(|_| ())
        .map_err(AppError::from);
    after(&state, &ctx, id, "close", data, r).await
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
            .orgs(&ctx.scope, &f, xlsx::batch(number))
            .await?;
        let n = batch.len();
        rows.extend(batch.into_iter().map(|o| {
            vec![
                o.id.to_string(),
                o.name,
                kind_label(t, &o.kind),
                o.place_name,
                status_label(t, o.closed_at),
            ]
        }));
        if !xlsx::more(number, n) {
            break;
        }
    }
    xlsx::download("orgs", t.t("nav.orgs"), &headers(t), &rows)
}
