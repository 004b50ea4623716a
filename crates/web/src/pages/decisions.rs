//! Figures of 四议两公开 and 村务公开 (issue 6) for a node and a month, quarter or year, read from
//! the roll-ups: matters proposed, decided (by item of the key-powers list), completed; how many
//! 决议公开 went up in time; board items by category; a row per place below, linking down to the
//! towns and villages and, at a village, to its matters — the records behind each figure.

use super::life::{LifePage, LifeQuery, period_links, period_of, place, rate};
use super::{Q, render};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::PageError;
use crate::ui::{Cell, Chrome, Table, query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_domain::PlaceKind;
use jiceng_domain::life::Period;
use jiceng_domain::village::{Category, PowerItem};
use jiceng_store::decisions::DecisionRow;

fn href(row: &DecisionRow, period: &Period) -> String {
    match PlaceKind::parse(&row.kind) {
        Some(PlaceKind::Village | PlaceKind::Community) => {
            format!("/places/{}/matters", row.place_id)
        }
        _ => format!(
            "/decisions?{}",
            query(&[
                ("under", &row.place_id.to_string()),
                ("period", &period.label())
            ])
        ),
    }
}

fn published(row: &DecisionRow, c: Category) -> i64 {
    row.published.get(c.as_str()).copied().unwrap_or(0)
}

fn children_table(ctx: &Ctx, rows: &[DecisionRow], period: &Period) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption: l("下级情况", "Places below"),
        headers: vec![
            l("地区", "Place"),
            l("提议", "Proposed"),
            l("决议", "Decided"),
            l("实施结果公开", "Completed"),
            l("决议公开及时", "Published on time"),
            l("决议公开逾期", "Published late"),
            l("及时率", "On time"),
            l("财务公开", "Finance items"),
            l("村务公开", "Affairs items"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::link(&r.name, href(r, period)),
                    Cell::text(r.proposed.to_string()),
                    Cell::text(r.decided.to_string()),
                    Cell::text(r.completed.to_string()),
                    Cell::text(r.on_time.to_string()),
                    Cell::text(r.late.to_string()),
                    Cell::text(rate(r.timeliness_per_mille())),
                    Cell::text(published(r, Category::Finance).to_string()),
                    Cell::text(published(r, Category::Affairs).to_string()),
                ]
            })
            .collect(),
        empty: l("没有下级地区", "No places below"),
    }
}

fn items_table(ctx: &Ctx, node: &DecisionRow) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let mut rows: Vec<Vec<Cell>> = PowerItem::law_list()
        .iter()
        .map(|i| {
            let n = node.by_item.get(&i.code).copied().unwrap_or(0);
            vec![Cell::text(i.name.clone()), Cell::text(n.to_string())]
        })
        .collect();
    rows.push(vec![
        Cell::text(l("各村自定事项", "Local items")),
        Cell::text(node.by_item.get("local").copied().unwrap_or(0).to_string()),
    ]);
    Table {
        caption: l("按事项类型的决议数", "Decisions by matter type"),
        headers: vec![l("事项类型", "Matter type"), l("决议数", "Decided")],
        rows,
        empty: String::new(),
    }
}

async fn figures(
    state: &AppState,
    ctx: &Ctx,
    q: &LifeQuery,
) -> Result<(DecisionRow, Vec<DecisionRow>, Period, i64), PageError> {
    let today = day_of(state.now());
    let period = match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => period_of(Some(p), &today)?,
        None => Period::of(jiceng_domain::life::Every::Year, &today)?,
    };
    let node = place(state, ctx, q.under.as_deref()).await?;
    let (row, children) = state
        .store
        .decision_figures(&ctx.scope, node.id, &period)
        .await?;
    Ok((row, children, period, node.id))
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<LifeQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let (node, children, period, id) = figures(&state, &ctx, &q).await?;
    let today = day_of(state.now());
    let base = format!("/decisions?under={id}");
    let mut links = period_links(ctx.lang, &base, &period, &today)?;
    links.push((
        l("导出下级情况（Excel）", "Export (.xlsx)"),
        format!(
            "/decisions/export.xlsx?{}",
            query(&[("under", &id.to_string()), ("period", &period.label())])
        ),
    ));
    links.push((
        l("村务公开逾期", "Publication overdue"),
        format!("/board-overdue?under={id}"),
    ));
    links.push((
        l("四议两公开事项（Excel）", "Matters (.xlsx)"),
        format!("/matters/export.xlsx?under={id}"),
    ));
    let rule = state.store.publication_rule(&today).await?;
    let facts = vec![
        (l("地区", "Place"), node.name.clone()),
        (l("统计期", "Period"), period.zh()),
        (l("提议事项", "Matters proposed"), node.proposed.to_string()),
        (l("形成决议", "Matters decided"), node.decided.to_string()),
        (
            l("实施结果已公开", "Results published"),
            node.completed.to_string(),
        ),
        (
            format!(
                "{}（{}{}）",
                l("决议公开及时率", "Decisions published on time"),
                rule.resolution_within_days,
                l("天内", " days")
            ),
            format!(
                "{}（{} / {}）",
                rate(node.timeliness_per_mille()),
                node.on_time,
                node.on_time + node.late
            ),
        ),
        (
            l(
                "公开事项：村务 / 财务 / 重大事项",
                "Board items: affairs / finance / matters",
            ),
            format!(
                "{} / {} / {}",
                published(&node, Category::Affairs),
                published(&node, Category::Finance),
                published(&node, Category::Matter)
            ),
        ),
    ];
    let c = Chrome::new(
        &ctx,
        l("四议两公开与村务公开统计", "Decisions and publication"),
        "nav.home",
        &base,
    );
    render(
        StatusCode::OK,
        &LifePage {
            c,
            action: "/decisions".into(),
            hidden: vec![("under".into(), id.to_string())],
            period_label: l(
                "统计期（2025-11、2025-Q4 或 2025）",
                "Period (2025-11, 2025-Q4 or 2025)",
            ),
            period: period.label(),
            links,
            facts,
            tables: vec![
                items_table(&ctx, &node),
                children_table(&ctx, &children, &period),
            ],
        },
    )
}

pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<LifeQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let (node, children, period, _) = figures(&state, &ctx, &q).await?;
    crate::xlsx::tables(
        "decisions",
        &[
            items_table(&ctx, &node),
            children_table(&ctx, &children, &period),
        ],
    )
}
