//! The place tree in pages: a home page per node with its figures, lists, and the forms that
//! create, rename, move and close places.

use super::listing::{self, Listing};
use super::{FormData, Id, ListQuery, Q, RecordPage, done, render, status_label};
use crate::auth::{Ctx, PageCtx};
use crate::error::{AppError, PageError};
use crate::i18n::T;
use crate::ui::{Cell, Chrome, Crumb, Feedback, Field, FieldKind, Form, Stat, Table};
use crate::{AppState, xlsx};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_domain::PlaceKind;
use jiceng_store::places::{NewPlace, Place, PlaceFilter};
use jiceng_store::rollups;
use jiceng_store::sql::Page;

pub fn kind_label(t: T, kind: &str) -> String {
    PlaceKind::parse(kind).map_or_else(
        || kind.to_string(),
        |k| t.lang().pick(k.zh(), k.en()).to_string(),
    )
}

/// Breadcrumbs: the ancestors the caller may see, then the place itself.
pub async fn crumbs(state: &AppState, ctx: &Ctx, place: &Place) -> Result<Vec<Crumb>, AppError> {
    let mut v: Vec<Crumb> = state
        .store
        .place_ancestors(&ctx.scope, place)
        .await?
        .into_iter()
        .map(|p| Crumb {
            label: p.name,
            href: format!("/places/{}", p.id),
        })
        .collect();
    v.push(Crumb {
        label: place.name.clone(),
        href: format!("/places/{}", place.id),
    });
    Ok(v)
}

/// The figures shown for a place: the levels below it, then organisations, units and accounts.
fn stats(
    t: T,
    place: &Place,
    values: &std::collections::HashMap<String, i64>,
    members: bool,
) -> Vec<Stat> {
    let level = place.kind().map_or(0, |k| k.level());
    let id = place.id;
    let mut out = Vec::new();
    let levels: [(u8, &str, &str, &str, &str); 4] = [
        (2, "places.county", "county", "区县", "Counties"),
        (3, "places.town", "town_level", "镇街", "Towns"),
        (
            4,
            "places.village",
            "village_level",
            "村（社区）",
            "Villages",
        ),
        (5, "places.grid", "grid", "网格", "Grids"),
    ];
    for (lvl, metric, kind, zh, en) in levels {
        if lvl > level {
            let value = values.get(metric).copied().unwrap_or(0);
            out.push(Stat {
                label: t.lang().pick(zh, en).into(),
                value,
                href: format!("/places?under={id}&kind={kind}"),
            });
        }
    }
    for (metric, key, path) in [
        (rollups::ORGS, "nav.orgs", "orgs"),
        (rollups::UNITS, "nav.units", "units"),
        (rollups::ACCOUNTS, "nav.users", "users"),
    ] {
        out.push(Stat {
            label: t.t(key).into(),
            value: values.get(metric).copied().unwrap_or(0),
            href: format!("/{path}?under={id}"),
        });
    }
    if members {
        out.push(Stat {
            label: t.t("nav.members").into(),
            value: values.get(rollups::MEMBERS).copied().unwrap_or(0),
            href: format!("/members?under={id}"),
        });
    }
    out
}

fn forms(ctx: &Ctx, place: &Place) -> Vec<Form> {
    let t = ctx.t();
    if !ctx.role.edits_structure() || place.closed_at.is_some() {
        return vec![];
    }
    let id = place.id;
    let mut v = Vec::new();
    if place.kind() != Some(PlaceKind::Grid) {
        let title = match place.kind() {
            Some(PlaceKind::Village | PlaceKind::Community) => {
                t.lang().pick("新增网格", "Add a grid")
            }
            Some(PlaceKind::County) => t.lang().pick("新增镇街", "Add a town"),
            Some(k) if k.level() == 3 => t.lang().pick("新增村（社区）", "Add a village"),
            _ => t.lang().pick("新增下级", "Add a place below"),
        };
        v.push(
            Form::new("create", "/places", title, t.t("common.create"))
                .field(Field::new("parent_id", "", FieldKind::Hidden).value(id.to_string()))
                .field(Field::new("name", t.t("common.name"), FieldKind::Text).required())
                .field(
                    Field::new("code", t.t("common.code"), FieldKind::Text)
                        .hint(t.t("place.new_code_hint")),
                ),
        );
    }
    v.push(
        Form::new(
            "rename",
            format!("/places/{id}/rename"),
            t.t("common.rename"),
            t.t("common.save"),
        )
        .field(
            Field::new("name", t.t("common.name"), FieldKind::Text)
                .value(&place.name)
                .required(),
        ),
    );
    if place.parent_id.is_some() {
        v.push(
            Form::new(
                "move",
                format!("/places/{id}/move"),
                t.t("common.move"),
                t.t("common.move"),
            )
            .field(Field::new("parent_code", t.t("place.parent_code"), FieldKind::Text).required())
            .field(
                Field::new("code", t.t("common.code"), FieldKind::Text)
                    .hint(t.t("place.move_code_hint")),
            ),
        );
    }
    v.push(
        Form::new(
            "close",
            format!("/places/{id}/close"),
            t.t("common.close"),
            t.t("common.close"),
        )
        .note(t.t("place.close_hint"))
        .danger(),
    );
    v
}

pub async fn place_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
    status: StatusCode,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let place = state.store.place(&ctx.scope, id).await?;
    let values = state.store.rollup_values(id).await?;
    let f = PlaceFilter {
        parent_id: Some(id),
        ..Default::default()
    };
    let (children, total) = state
        .store
        .places(&ctx.scope, &f, Page::new(Some(1), Some(200)))
        .await?;
    let mut c = Chrome::new(
        ctx,
        place.name.clone(),
        "nav.home",
        &format!("/places/{id}"),
    );
    c.crumbs = crumbs(state, ctx, &place).await?;
    c.notice = notice;
    let mut facts = vec![
        (t.t("common.code").to_string(), place.code.clone()),
        (t.t("common.kind").to_string(), kind_label(t, &place.kind)),
        (
            t.t("common.status").to_string(),
            status_label(t, place.closed_at),
        ),
    ];
    if total > 200 {
        facts.push((t.t("place.children").into(), total.to_string()));
    }
    let table = Table {
        caption: format!("{}（{}）", t.t("place.children"), total),
        headers: vec![
            t.t("common.code").into(),
            t.t("common.name").into(),
            t.t("common.kind").into(),
        ],
        rows: children
            .iter()
            .map(|p| {
                vec![
                    Cell::text(&p.code),
                    Cell::link(&p.name, format!("/places/{}", p.id)),
                    Cell::text(kind_label(t, &p.kind)),
                ]
            })
            .collect(),
        empty: t.t("common.empty").into(),
    };
    let mut forms = forms(ctx, &place);
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let mut links = vec![
        (t.t("nav.orgs").to_string(), format!("/orgs?under={id}")),
        (t.t("nav.units").to_string(), format!("/units?under={id}")),
        (
            t.t("nav.coverage").to_string(),
            format!("/coverage?under={id}"),
        ),
        (
            t.lang().pick("三会一课", "Organisational life").to_string(),
            format!("/life?under={id}"),
        ),
        (
            format!("{} · {}", t.t("nav.places"), t.t("common.all")),
            format!("/places?under={id}"),
        ),
    ];
    if ctx.role.manages_members() {
        links.extend(village_links(ctx, &place));
    }
    let mut tables = vec![table];
    if super::problems::handles(ctx.role) {
        links.push((
            t.lang().pick("问题清单", "Problem list").to_string(),
            format!("/problems?under={id}"),
        ));
        // The work list's notices: problems overdue here or escalated to this town.
        if let Some(n) = super::problems::notices_table(state, ctx, &place).await? {
            tables.insert(0, n);
        }
    }
    let page = RecordPage {
        c,
        facts,
        stats: stats(t, &place, &values, ctx.role.manages_members()),
        tables,
        links,
        forms,
    };
    render(status, &page)
}

/// The village's governance pages, or for a town or above the villages behind on publication.
fn village_links(ctx: &Ctx, place: &Place) -> Vec<(String, String)> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let id = place.id;
    match place.kind() {
        Some(PlaceKind::Village | PlaceKind::Community) => vec![
            (
                l("村级组织", "Village bodies"),
                format!("/places/{id}/village"),
            ),
            (
                l("村级会议", "Body meetings"),
                format!("/places/{id}/meetings"),
            ),
            (
                l("四议两公开", "Decisions"),
                format!("/places/{id}/matters"),
            ),
            (l("村务公开", "Public board"), format!("/places/{id}/board")),
            (
                l("四议两公开统计", "Decision figures"),
                format!("/decisions?under={id}"),
            ),
        ],
        Some(PlaceKind::Grid) => vec![],
        _ => vec![
            (
                l("四议两公开统计", "Decision figures"),
                format!("/decisions?under={id}"),
            ),
            (
                l("村务公开逾期", "Publication overdue"),
                format!("/board-overdue?under={id}"),
            ),
            (
                l("四议两公开事项（Excel）", "Decisions (.xlsx)"),
                format!("/matters/export.xlsx?under={id}"),
            ),
        ],
    }
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.reads_structure())?;
    let t = ctx.t();
    let notice = q.notice.as_deref().map(|n| match n {
        "created" => t.lang().pick("已新增", "Added").to_string(),
        "closed" => t.lang().pick("已撤销", "Closed").to_string(),
        _ => t.lang().pick("已保存", "Saved").to_string(),
    });
    place_page(&state, &ctx, id, None, StatusCode::OK, notice).await
}

/// Re-renders the page of `id` with the refusal next to its field, or shows an error page.
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: &'static str,
    data: FormData,
    e: AppError,
) -> Result<Response, PageError> {
    let fb = Feedback::refusal(form, data.0, e, ctx.lang)?;
    place_page(
        state,
        ctx,
        id,
        Some(fb),
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.edits_structure())?;
    let parent_id = data
        .get("parent_id")
        .parse::<i64>()
        .map_err(|_| AppError::NotFound)?;
    // An empty code under a village: the store numbers the grid inside its transaction.
    let new = NewPlace {
        parent_id: Some(parent_id),
        code: data.get("code").to_string(),
        name: data.get("name").to_string(),
    };
    match state
        .store
        .create_place(&ctx.actor, &ctx.scope, new, state.now())
        .await
    {
        Ok(_) => Ok(done(&format!("/places/{parent_id}?notice=created"))),
        Err(e) => refused(&state, &ctx, parent_id, "create", data, e.into()).await,
    }
}

pub async fn rename(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.edits_structure())?;
    match state
        .store
        .rename_place(&ctx.actor, &ctx.scope, id, data.get("name"), state.now())
        .await
    {
        Ok(_) => Ok(done(&format!("/places/{id}?notice=saved"))),
        Err(e) => refused(&state, &ctx, id, "rename", data, e.into()).await,
    }
}

pub async fn move_to(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.edits_structure())?;
    let result = async {
        let parent = state
            .store
            .place_by_code(&ctx.scope, data.get("parent_code"))
            .await
            .map_err(|e| match e {
                jiceng_store::StoreError::NotFound => AppError::Rule(
                    jiceng_domain::DomainError::new(
                        "place.parent_unknown",
                        "找不到该代码的上级（或不在您的管辖范围内）",
                        "no parent with this code in your scope",
                    )
                    .on("parent_code"),
                ),
                other => other.into(),
            })?;
        let code = data.opt("code");
        Ok::<_, AppError>(
            state
                .store
                .move_place(
                    &ctx.actor,
                    &ctx.scope,
                    id,
                    parent.id,
                    code.as_deref(),
                    state.now(),
                )
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Ok(done(&format!("/places/{id}?notice=saved"))),
        Err(e) => refused(&state, &ctx, id, "move", data, e).await,
    }
}

pub async fn close(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.edits_structure())?;
    match state
        .store
        .close_place(&ctx.actor, &ctx.scope, id, state.now())
        .await
    {
        Ok(_) => Ok(done(&format!("/places/{id}?notice=closed"))),
        Err(e) => refused(&state, &ctx, id, "close", data, e.into()).await,
    }
}

fn kind_options(t: T) -> Vec<(String, String)> {
    let mut v = vec![(String::new(), t.t("common.all").to_string())];
    v.push(("town_level".into(), t.lang().pick("镇街", "Towns").into()));
    v.push((
        "village_level".into(),
        t.lang().pick("村（社区）", "Villages").into(),
    ));
    for k in PlaceKind::ALL {
        v.push((k.as_str().into(), t.lang().pick(k.zh(), k.en()).into()));
    }
    v
}

async fn filter(state: &AppState, ctx: &Ctx, q: &ListQuery) -> Result<PlaceFilter, AppError> {
    Ok(PlaceFilter {
        parent_id: None,
        under: q.under_place(state, ctx).await?,
        kind: q.kind.clone(),
        q: q.q.clone(),
        include_closed: q.include_closed(),
    })
}

fn headers(t: T) -> Vec<String> {
    vec![
        t.t("common.code").into(),
        t.t("common.name").into(),
        t.t("common.kind").into(),
        t.t("common.status").into(),
    ]
}

pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.reads_structure())?;
    let t = ctx.t();
    let f = filter(&state, &ctx, &q).await?;
    let (rows, total) = state.store.places(&ctx.scope, &f, q.list_page()).await?;
    let rows = rows
        .iter()
        .map(|p| {
            vec![
                Cell::text(&p.code),
                Cell::link(&p.name, format!("/places/{}", p.id)),
                Cell::text(kind_label(t, &p.kind)),
                Cell::text(status_label(t, p.closed_at)),
            ]
        })
        .collect();
    Listing {
        path: "/places",
        nav: "nav.places",
        under: f.under.as_ref(),
        filters: q.filters(t, ("kind", t.t("common.kind"), kind_options(t)), true),
        table: listing::table(t, headers(t), rows),
        total,
        count_cap: None,
        forms: vec![],
        links: vec![],
    }
    .render(&state, &ctx, &q, None, StatusCode::OK)
    .await
}

pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.reads_structure())?;
    let t = ctx.t();
    let f = filter(&state, &ctx, &q).await?;
    let mut rows = Vec::new();
    for number in 1.. {
        let (batch, _) = state
            .store
            .places(&ctx.scope, &f, xlsx::batch(number))
            .await?;
        let n = batch.len();
        rows.extend(batch.into_iter().map(|p| {
            vec![
                p.code,
                p.name,
                kind_label(t, &p.kind),
                status_label(t, p.closed_at),
            ]
        }));
        if !xlsx::more(number, n) {
            break;
        }
    }
    xlsx::download("places", t.t("nav.places"), &headers(t), &rows)
}
