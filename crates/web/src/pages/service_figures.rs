//! Service-centre figures for staff (issue 5 item 4): a node and its children over the last
//! months, by month of filing, from the `service.*` roll-ups — requests, completed, completed on
//! time (and the rate), refused, overdue (ever past the due date unfinished) — each linking to the
//! list behind it; and the same as .xlsx.

use super::places::crumbs;
use super::problems::handles;
use super::service_requests::{RequestQuery, node};
use super::{Q, RecordPage};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Table};
use axum::extract::State;
use axum::response::Response;
use jiceng_store::places::Place;
use jiceng_store::services::FigureRow;

fn rate(part: i64, all: i64) -> String {
    if all == 0 {
        "—".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / all as f64)
    }
}

fn figures_table(ctx: &Ctx, rows: &[FigureRow], caption: String) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption,
        headers: vec![
            l("地区", "Place"),
            l("申请", "Requests"),
            l("办结", "Completed"),
            l("按时办结", "On time"),
            l("按时办结率", "On-time rate"),
            l("不予受理", "Refused"),
            l("逾期件（曾超时限）", "Ever overdue"),
        ],
        rows: rows
            .iter()
            .map(|f| {
                vec![
                    Cell::link(
                        &f.name,
                        format!("/service-requests/figures?under={}", f.place_id),
                    ),
                    Cell::link(
                        f.requests.to_string(),
                        format!("/service-requests?under={}", f.place_id),
                    ),
                    Cell::link(
                        f.completed.to_string(),
                        format!("/service-requests?under={}&status=completed", f.place_id),
                    ),
                    Cell::text(f.on_time.to_string()),
                    Cell::text(rate(f.on_time, f.completed)),
                    Cell::text(f.rejected.to_string()),
                    Cell::link(
                        f.overdue.to_string(),
                        format!("/service-requests?under={}&overdue=on", f.place_id),
                    ),
                ]
            })
            .collect(),
        empty: String::new(),
    }
}

/// The last `n` months up to the current one, newest first (`YYYY-MM`).
fn months_back(today: &str, n: i64) -> Vec<String> {
    let (y, m) = (
        today
            .get(..4)
            .and_then(|y| y.parse::<i64>().ok())
            .unwrap_or(2026),
        today
            .get(5..7)
            .and_then(|m| m.parse::<i64>().ok())
            .unwrap_or(1),
    );
    (0..n)
        .map(|k| {
            let idx = y * 12 + (m - 1) - k;
            format!("{:04}-{:02}", idx / 12, idx % 12 + 1)
        })
        .collect()
}

async fn figures_of(
    state: &AppState,
    ctx: &Ctx,
    q: &RequestQuery,
) -> Result<(Place, i64, Vec<FigureRow>), AppError> {
    let node = node(state, ctx, &q.under).await?;
    let n = q
        .months
        .as_deref()
        .and_then(|m| m.parse::<i64>().ok())
        .unwrap_or(12)
        .clamp(1, 24);
    let months = months_back(&day_of(state.now()), n);
    let rows = state
        .store
        .service_figures(&ctx.scope, node.id, &months)
        .await?;
    Ok((node, n, rows))
}

/// `GET /service-requests/figures?under=&months=`: a node and its children over the last months
/// (by month of filing). Overdue = ever past its due date unfinished; the link lists those
/// overdue now.
pub async fn figures(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<RequestQuery>,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let (node, n, rows) = figures_of(&state, &ctx, &q).await?;
    let caption = format!(
        "{} · {}{n}{}",
        node.name,
        l("近", "last "),
        l("个月办件统计（按申请月份）", " months (by month filed)")
    );
    let mut c = Chrome::new(
        &ctx,
        caption.clone(),
        "nav.services",
        "/service-requests/figures",
    );
    c.crumbs = crumbs(&state, &ctx, &node).await?;
    super::render_record(&RecordPage {
        c,
        facts: vec![],
        stats: vec![],
        tables: vec![figures_table(&ctx, &rows, caption)],
        links: vec![
            (
                l("导出统计（Excel）", "Export (.xlsx)"),
                format!(
                    "/service-requests/figures/export.xlsx?under={}&months={n}",
                    node.id
                ),
            ),
            (
                l("近3个月", "Last 3 months"),
                format!("/service-requests/figures?under={}&months=3", node.id),
            ),
            (
                l("近12个月", "Last 12 months"),
                format!("/service-requests/figures?under={}&months=12", node.id),
            ),
            (
                l("逾期办件", "Overdue"),
                format!("/service-requests?under={}&overdue=on", node.id),
            ),
        ],
        forms: vec![],
    })
}

pub async fn figures_export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<RequestQuery>,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let (node, n, rows) = figures_of(&state, &ctx, &q).await?;
    let caption = format!("{} 近{n}个月办件统计", node.name);
    crate::xlsx::tables("service-figures", &[figures_table(&ctx, &rows, caption)])
}

#[cfg(test)]
mod tests {
    #[test]
    fn months_back_cross_the_year() {
        assert_eq!(
            super::months_back("2026-02-13", 3),
            ["2026-02", "2026-01", "2025-12"]
        );
    }
}
