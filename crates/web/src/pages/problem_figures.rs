//! Problem-list figures (issue 5) for a node and a month, quarter, year or 累计 (every month on
//! record: a campaign across the turn of a year), from the roll-ups: of
//! the problems filed in the period, how many were collected, solved (销号), the solve rate, the
//! average days to close, the residents' rating, escalations; a row per place below linking down
//! to the towns and villages, and at a village to its problem list — the records behind each one.

use super::life::{LifePage, LifeQuery, period_links, period_of, place, rate};
use super::problems::handles;
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
use jiceng_domain::life::{Every, Period};
use jiceng_store::voice::figures::{Span, VoiceRow};

/// The period's name in links for 累计 (every month on record).
const ALL: &str = "all";

fn label(span: &Span) -> String {
    match span {
        Span::Period(p) => p.label(),
        Span::All => ALL.into(),
    }
}

fn href(row: &VoiceRow, period: &Span) -> String {
    match PlaceKind::parse(&row.kind) {
        Some(PlaceKind::Village | PlaceKind::Community) => {
            format!("/problems?under={}", row.place_id)
        }
        _ => format!(
            "/problems/figures?{}",
            query(&[
                ("under", &row.place_id.to_string()),
                ("period", &label(period))
            ])
        ),
    }
}

/// Tenths as a decimal ("4.3"), or a dash.
fn tenths(v: Option<i64>) -> String {
    v.map_or_else(|| "—".into(), |t| format!("{}.{}", t / 10, t % 10))
}

fn children_table(ctx: &Ctx, rows: &[VoiceRow], period: &Span) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption: l("下级情况（按受理月份）", "Places below (by month filed)"),
        headers: vec![
            l("地区", "Place"),
            l("收集", "Collected"),
            l("已销号", "Solved"),
            l("解决率", "Solve rate"),
            l("平均办结天数", "Average days to close"),
            l("群众评价（5分制）", "Rating (of 5)"),
            l("升级督办", "Escalated"),
            l("并入重复", "Merged duplicates"),
            l("当前逾期", "Overdue now"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::link(&r.name, href(r, period)),
                    Cell::text(r.collected.to_string()),
                    Cell::text(r.solved.to_string()),
                    Cell::text(rate(r.solve_per_mille())),
                    Cell::text(tenths(r.close_days_tenths())),
                    Cell::text(tenths(r.score_tenths())),
                    Cell::text(r.escalated.to_string()),
                    Cell::text(r.merged.to_string()),
                    Cell::text(r.overdue.to_string()),
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
) -> Result<(VoiceRow, Vec<VoiceRow>, Span, i64), PageError> {
    let today = day_of(state.now());
    let period = match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(ALL | "累计") => Span::All,
        Some(p) => Span::Period(period_of(Some(p), &today)?),
        None => Span::Period(Period::of(Every::Year, &today)?),
    };
    let node = place(state, ctx, q.under.as_deref()).await?;
    let (row, children) = state
        .store
        .voice_figures_on(&ctx.scope, node.id, period, &today)
        .await?;
    Ok((row, children, period, node.id))
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<LifeQuery>,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let (node, children, period, id) = figures(&state, &ctx, &q).await?;
    let today = day_of(state.now());
    let base = format!("/problems/figures?under={id}");
    let mut links = match &period {
        Span::Period(p) => period_links(ctx.lang, &base, p, &today)?,
        // No previous or next of everything: this month, quarter and year.
        Span::All => period_links(ctx.lang, &base, &Period::of(Every::Year, &today)?, &today)?
            .into_iter()
            .skip(2)
            .collect(),
    };
    links.push((
        l("累计（全部记录）", "All time"),
        format!("{base}&period={ALL}"),
    ));
    links.push((
        l("导出下级情况（Excel）", "Export (.xlsx)"),
        format!(
            "/problems/figures/export.xlsx?{}",
            query(&[("under", &id.to_string()), ("period", &label(&period))])
        ),
    ));
    links.push((
        l("问题清单", "Problem list"),
        format!("/problems?under={id}"),
    ));
    let facts = vec![
        (l("地区", "Place"), node.name.clone()),
        (
            l("统计期（按受理月份）", "Period (by month filed)"),
            match &period {
                Span::Period(p) => p.zh(),
                Span::All => l("累计（全部记录）", "All time"),
            },
        ),
        (l("收集问题", "Collected"), node.collected.to_string()),
        (l("已销号", "Solved"), node.solved.to_string()),
        (
            l("解决率", "Solve rate"),
            format!(
                "{}（{} / {}）",
                rate(node.solve_per_mille()),
                node.solved,
                node.collected
            ),
        ),
        (
            l("平均办结天数", "Average days to close"),
            tenths(node.close_days_tenths()),
        ),
        (
            l("群众评价（5分制）", "Residents' rating (of 5)"),
            format!(
                "{}（{}{}）",
                tenths(node.score_tenths()),
                node.rated,
                l("人评价", " ratings")
            ),
        ),
        (
            l("逾期升级督办", "Escalated when overdue"),
            node.escalated.to_string(),
        ),
        (l("当前逾期未办结", "Overdue now"), node.overdue.to_string()),
    ];
    let c = Chrome::new(
        &ctx,
        l("问题清单统计", "Problem-list figures"),
        "nav.problems",
        &base,
    );
    render(
        StatusCode::OK,
        &LifePage {
            c,
            action: "/problems/figures".into(),
            hidden: vec![("under".into(), id.to_string())],
            period_label: l(
                "统计期（2025-11、2025-Q4、2025，或 all 表示累计）",
                "Period (2025-11, 2025-Q4, 2025, or all)",
            ),
            period: label(&period),
            links,
            facts,
            tables: vec![children_table(&ctx, &children, &period)],
        },
    )
}

pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<LifeQuery>,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let (_, children, period, _) = figures(&state, &ctx, &q).await?;
    crate::xlsx::tables(
        "problem-figures",
        &[children_table(&ctx, &children, &period)],
    )
}
