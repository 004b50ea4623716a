//! 党员联系户 figures and lists: 入户率 (visits ÷ households) of a node and its children for a
//! month, quarter or year, from the roll-ups, each row drilling down (node → children → a village's
//! or grid's households → a household's visits); the household list of a place (masked), with the
//! registration form and Excel exports of both.

use super::life::{LifePage, LifeQuery, period_links, period_of, place};
use super::{FormData, Id, ListQuery, Q, RecordPage, render, saved};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Pager, Table, query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_domain::PlaceKind;
use jiceng_domain::life::{Every, Period};
use jiceng_store::households::{Household, HouseholdFigures, HouseholdFilter, NewHousehold};

fn percent(r: Option<i64>) -> String {
    r.map_or_else(|| "—".into(), |p| format!("{p}%"))
}

/// Where a row leads: a village, community or grid to its households, anything above to its
/// own figures.
fn href(row: &HouseholdFigures, period: &Period) -> String {
    match PlaceKind::parse(&row.kind) {
        Some(PlaceKind::Village | PlaceKind::Community | PlaceKind::Grid) => {
            format!("/places/{}/households", row.place_id)
        }
        _ => format!(
            "/household-figures?{}",
            query(&[
                ("under", &row.place_id.to_string()),
                ("period", &period.label())
            ])
        ),
    }
}

fn figures_table(ctx: &Ctx, rows: &[HouseholdFigures], period: &Period) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption: l("下级情况", "Places below"),
        headers: vec![
            l("地区", "Place"),
            l("在册户数", "Households"),
            l("联系次数", "Visits"),
            l("入户", "At home"),
            l("电话", "Phone"),
            l("线上", "Online"),
            l("入户率", "Visit rate"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::link(&r.name, href(r, period)),
                    Cell::text(r.households.to_string()),
                    Cell::text(r.visits.to_string()),
                    Cell::text(r.home.to_string()),
                    Cell::text(r.phone.to_string()),
                    Cell::text(r.online.to_string()),
                    Cell::text(percent(r.rate_percent())),
                ]
            })
            .collect(),
        empty: l("没有下级地区", "No places below"),
    }
}

async fn figures(
    state: &AppState,
    ctx: &Ctx,
    q: &LifeQuery,
) -> Result<(HouseholdFigures, Vec<HouseholdFigures>, Period), PageError> {
    let today = day_of(state.now());
    let period = match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => period_of(Some(p), &today)?,
        None => Period::of(Every::Year, &today)?,
    };
    let node = place(state, ctx, q.under.as_deref()).await?;
    let (row, children) = state
        .store
        .household_figures(&ctx.scope, node.id, &period)
        .await?;
    Ok((row, children, period))
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<LifeQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let (node, children, period) = figures(&state, &ctx, &q).await?;
    let today = day_of(state.now());
    let id = node.place_id;
    let base = format!("/household-figures?under={id}");
    let mut links = period_links(ctx.lang, &base, &period, &today)?;
    links.push((
        l("导出（Excel）", "Export (.xlsx)"),
        format!(
            "/household-figures/export.xlsx?{}",
            query(&[("under", &id.to_string()), ("period", &period.label())])
        ),
    ));
    links.push((
        l("住户名单", "Households"),
        format!("/places/{id}/households"),
    ));
    let facts = vec![
        (l("地区", "Place"), node.name.clone()),
        (l("统计期", "Period"), period.zh()),
        (l("在册户数", "Households"), node.households.to_string()),
        (
            l(
                "联系次数（入户 / 电话 / 线上）",
                "Visits (home / phone / online)",
            ),
            format!(
                "{}（{} / {} / {}）",
                node.visits, node.home, node.phone, node.online
            ),
        ),
        (
            l(
                "入户率（联系次数 ÷ 在册户数）",
                "Visit rate (visits ÷ households)",
            ),
            percent(node.rate_percent()),
        ),
    ];
    let c = Chrome::new(
        &ctx,
        l("党员联系户统计", "Household contact figures"),
        "nav.home",
        &base,
    );
    render(
        StatusCode::OK,
        &LifePage {
            c,
            action: "/household-figures".into(),
            hidden: vec![("under".into(), id.to_string())],
            period_label: l(
                "统计期（2025-11、2025-Q4 或 2025）",
                "Period (2025-11, 2025-Q4 or 2025)",
            ),
            period: period.label(),
            links,
            facts,
            tables: vec![figures_table(&ctx, &children, &period)],
        },
    )
}

pub async fn export_figures(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<LifeQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let (node, children, period) = figures(&state, &ctx, &q).await?;
    let mut rows = vec![node];
    rows.extend(children);
    crate::xlsx::tables("household-figures", &[figures_table(&ctx, &rows, &period)])
}

fn households_table(ctx: &Ctx, rows: &[Household]) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    Table {
        caption: l("住户", "Households"),
        headers: vec![
            l("户主", "Head"),
            l("网格（村）", "Grid"),
            l("人数", "People"),
            l("电话", "Phone"),
            l("住址", "Address"),
            l("联系党员", "Member"),
            l("走访次数", "Visits"),
            l("最近走访", "Last visit"),
            l("状态", "Status"),
        ],
        rows: rows
            .iter()
            .map(|h| {
                vec![
                    Cell::link(&h.head_name, format!("/households/{}", h.id)),
                    Cell::text(h.place_name.clone()),
                    Cell::text(h.people.to_string()),
                    Cell::text(dash(&h.phone_masked)),
                    Cell::text(dash(&h.address_masked)),
                    Cell::text(dash(&h.member_name)),
                    Cell::text(h.visits.to_string()),
                    Cell::text(dash(&h.last_visit_on)),
                    Cell::text(match &h.closed_on {
                        Some(d) => format!("{}（{d}）", l("已注销", "Closed")),
                        None => l("在册", "Open"),
                    }),
                ]
            })
            .collect(),
        empty: l("尚无住户", "No households yet"),
    }
}

fn filter(q: &ListQuery, under: jiceng_store::places::Place) -> HouseholdFilter {
    HouseholdFilter {
        under: Some(under),
        q: q.q.clone(),
        include_closed: q.include_closed(),
    }
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    q: &ListQuery,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let p = state.store.place(&ctx.scope, id).await?;
    let (rows, total) = state
        .store
        .households(
            &ctx.scope,
            &filter(q, p.clone()),
            jiceng_store::sql::Page::new(Some(q.page()), Some(50)),
        )
        .await?;
    let here = format!("/places/{id}/households");
    let pager = Pager::new(&here, q.page(), 50, total);
    let mut links = vec![
        (
            l("导出住户名单（Excel，已脱敏）", "Export (.xlsx, masked)"),
            format!(
                "/places/{id}/households/export.xlsx?{}",
                query(&[
                    ("q", q.q.as_deref().unwrap_or("")),
                    ("closed", q.closed.as_deref().unwrap_or(""))
                ])
            ),
        ),
        (
            l("入户率统计", "Visit figures"),
            format!("/household-figures?under={id}"),
        ),
    ];
    links.extend(pager.links(ctx.lang));
    let mut forms = vec![];
    if matches!(
        p.kind(),
        Some(PlaceKind::Grid | PlaceKind::Village | PlaceKind::Community)
    ) {
        forms.push(
            Form::new("household", here.clone(), l("登记住户", "Register a household"), l("登记", "Register"))
                .field(Field::new("head_name", l("户主姓名", "Head's name"), FieldKind::Text).required())
                .field(Field::new("people", l("户内人数", "People"), FieldKind::Number).value("3").required())
                .field(Field::new("phone", l("联系电话", "Phone"), FieldKind::Text).autocomplete("off"))
                .field(Field::new("address", l("住址", "Address"), FieldKind::Text).autocomplete("off"))
                .field(Field::new("since_on", l("登记日期", "On the register from"), FieldKind::Date)
                    .value(day_of(state.now())).required())
                .note(l(
                    "已划分网格的村（社区），住户须登记在网格下。电话和住址加密保存，页面和导出只显示脱敏信息。",
                    "In a village with grids, register in a grid. Phone and address are sealed and shown masked.",
                )),
        );
    }
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let c = Chrome::new(
        ctx,
        format!("{} · {}", p.name, l("住户", "Households")),
        "nav.home",
        &here,
    );
    super::render_record(&RecordPage {
        c,
        facts: vec![
            (l("地区", "Place"), p.name.clone()),
            (l("住户数", "Households"), total.to_string()),
        ],
        stats: vec![],
        tables: vec![households_table(ctx, &rows)],
        links,
        forms,
    })
}

pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    list_page(&state, &ctx, id, &q, None).await
}

pub async fn create(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let n = NewHousehold {
            place_id: id,
            head_name: data.get("head_name").into(),
            people: data.int("people", "户内人数", "People")?,
            address: data.opt("address"),
            phone: data.opt("phone"),
            since_on: data.get("since_on").into(),
        };
        let now = state.now();
        let h = state
            .store
            .create_household(&ctx.actor, &ctx.scope, &n, &day_of(now), now)
            .await?;
        Ok::<_, AppError>(format!("/households/{}", h.id))
    }
    .await;
    let q = ListQuery::default();
    saved(r, "household", data, ctx.lang, |fb| {
        list_page(&state, &ctx, id, &q, Some(fb))
    })
    .await
}

pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let p = state.store.place(&ctx.scope, id).await?;
    let f = filter(&q, p);
    let mut all = Vec::new();
    for n in 1.. {
        let (rows, _) = state
            .store
            .households(&ctx.scope, &f, crate::xlsx::batch(n))
            .await?;
        let more = crate::xlsx::more(n, rows.len());
        all.extend(rows);
        if !more {
            break;
        }
    }
    crate::xlsx::tables("households", &[households_table(&ctx, &all)])
}
