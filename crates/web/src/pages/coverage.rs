//! Two-new coverage for a place in scope: the trend as a server-side SVG chart with its data table,
//! the places below, and every figure drilling down to the units behind it (exportable).

use super::{ListPage, Q, render};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::error::{AppError, PageError};
use crate::i18n::T;
use crate::ui::{Cell, Chrome, Pager, Table, query};
use crate::xlsx;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_domain::coverage::{CoverageRule, percent, permille};
use jiceng_store::coverage::{CoveragePoint, CoverageUnit, month_end};
use jiceng_store::places::Place;
use jiceng_store::sql::Page;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct CoverageQuery {
    pub under: Option<String>,
    /// The rule's code.
    pub kind: Option<String>,
    /// `YYYY-MM`, or empty for now.
    pub period: Option<String>,
    /// `covered` | `uncovered` | empty for all.
    pub status: Option<String>,
    pub page: Option<String>,
}

pub struct Dot {
    pub x: i64,
    pub y: i64,
    pub label: String,
    pub href: String,
}

/// A line chart of rates (0–100%), drawn on the server.
pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub left: i64,
    pub right: i64,
    pub label_x: i64,
    pub x_label_y: i64,
    pub title: String,
    pub caption: String,
    pub empty: String,
    /// `x,y x,y …`: numbers only.
    pub points: String,
    pub dots: Vec<Dot>,
    pub y_ticks: Vec<(i64, String)>,
    pub x_ticks: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "chart.html")]
pub struct ChartPage {
    pub c: Chrome,
    pub facts: Vec<(String, String)>,
    pub action: String,
    pub under: String,
    pub rule_label: String,
    pub rules: Vec<(String, String)>,
    pub rule: String,
    pub export: String,
    pub chart: Chart,
    pub tables: Vec<Table>,
}

fn l(t: T, zh: &'static str, en: &'static str) -> String {
    t.lang().pick(zh, en).to_string()
}

fn rate(covered: i64, qualifying: i64) -> String {
    permille(covered, qualifying).map_or_else(|| "—".into(), percent)
}

/// The place asked for (in scope), else the caller's own.
async fn place(state: &AppState, ctx: &Ctx, under: Option<&str>) -> Result<Place, AppError> {
    let id = under
        .and_then(|u| u.parse().ok())
        .unwrap_or(ctx.user.place_id);
    Ok(state.store.place(&ctx.scope, id).await?)
}

async fn rule(state: &AppState, code: Option<&str>) -> Result<CoverageRule, AppError> {
    let rules = state.store.coverage_rules().await?;
    let code = code.filter(|c| !c.is_empty()).unwrap_or("above_size");
    rules
        .into_iter()
        .rev()
        .find(|r| r.code == code)
        .ok_or(AppError::NotFound)
}

/// What every coverage handler reads first: the place (in scope), the rule, the moment.
async fn context(
    state: &AppState,
    ctx: &Ctx,
    q: &CoverageQuery,
) -> Result<(Place, CoverageRule, Option<(i64, String)>), AppError> {
    ctx.require(ctx.role.reads_structure())?;
    let place = place(state, ctx, q.under.as_deref()).await?;
    let rule = rule(state, q.kind.as_deref()).await?;
    Ok((place, rule, at(q.period.as_deref())?))
}

/// One page of the units behind a figure.
async fn unit_page(
    state: &AppState,
    ctx: &Ctx,
    q: &CoverageQuery,
    (place, rule, at): (&Place, &CoverageRule, &Option<(i64, String)>),
    page: Page,
) -> Result<(Vec<CoverageUnit>, i64), AppError> {
    Ok(state
        .store
        .coverage_units(
            &ctx.scope,
            &place.prefix(),
            &rule.code,
            at.as_ref().map(|(ms, d)| (*ms, d.as_str())),
            covered(q),
            page,
        )
        .await?)
}

fn units_href(place: i64, rule: &str, period: &str, status: &str) -> String {
    format!(
        "/coverage/units?{}",
        query(&[
            ("under", &place.to_string()),
            ("kind", rule),
            ("period", period),
            ("status", status),
        ])
    )
}

fn chart(t: T, place: &Place, rule: &CoverageRule, points: &[CoveragePoint]) -> Chart {
    let (width, height, left, right, top, bottom) = (720i64, 280i64, 48i64, 704i64, 16i64, 240i64);
    let rated: Vec<(&CoveragePoint, i64)> = points
        .iter()
        .filter_map(|p| permille(p.covered, p.qualifying).map(|r| (p, r)))
        .collect();
    let n = rated.len() as i64;
    let x = |i: i64| {
        if n <= 1 {
            (left + right) / 2
        } else {
            left + (right - left) * i / (n - 1)
        }
    };
    let y = |r: i64| bottom - (bottom - top) * r / 1000;
    let now = l(t, "当前", "now");
    let label = |p: &CoveragePoint| {
        if p.period == "current" {
            now.clone()
        } else {
            p.period.clone()
        }
    };
    let dots: Vec<Dot> = rated
        .iter()
        .enumerate()
        .map(|(i, (p, r))| Dot {
            x: x(i as i64),
            y: y(*r),
            label: format!(
                "{}：{}（{}/{}）",
                label(p),
                percent(*r),
                p.covered,
                p.qualifying
            ),
            href: units_href(
                place.id,
                &rule.code,
                if p.period == "current" { "" } else { &p.period },
                "",
            ),
        })
        .collect();
    let points_attr = dots
        .iter()
        .map(|d| format!("{},{}", d.x, d.y))
        .collect::<Vec<_>>()
        .join(" ");
    // A label for each January (and the current point), so years read along the axis.
    let x_ticks = rated
        .iter()
        .enumerate()
        .filter(|(_, (p, _))| p.period.ends_with("-01") || p.period == "current")
        .map(|(i, (p, _))| {
            let text = if p.period == "current" {
                now.clone()
            } else {
                p.period[..4].to_string()
            };
            (x(i as i64), text)
        })
        .collect();
    let first = rated
        .first()
        .map(|(p, r)| format!("{} {}", label(p), percent(*r)));
    let last = rated
        .last()
        .map(|(p, r)| format!("{} {}", label(p), percent(*r)));
    Chart {
        width,
        height,
        left,
        right,
        label_x: left - 6,
        x_label_y: bottom + 24,
        title: format!(
            "{} · {}",
            place.name,
            t.lang().pick(&rule.name_zh, &rule.name_en)
        ),
        caption: match (first, last) {
            (Some(a), Some(b)) => format!(
                "{}：{a} → {b}。{}",
                l(t, "变化", "Change"),
                l(t, "点击圆点查看对应单位。", "Click a dot for its units.")
            ),
            _ => String::new(),
        },
        empty: l(t, "暂无符合口径的单位", "No units qualify yet"),
        points: points_attr,
        dots,
        y_ticks: [0, 250, 500, 750, 1000]
            .iter()
            .map(|r| (y(*r), format!("{}%", r / 10)))
            .collect(),
        x_ticks,
    }
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<CoverageQuery>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let (place, rule, _) = context(&state, &ctx, &q).await?;
    let points = state
        .store
        .coverage_trend(&ctx.scope, place.id, &rule.code)
        .await?;
    let now = points
        .iter()
        .find(|p| p.period == "current")
        .cloned()
        .unwrap_or(CoveragePoint {
            period: "current".into(),
            qualifying: 0,
            covered: 0,
        });
    let facts = vec![
        (
            l(t, "覆盖率（当前）", "Coverage now"),
            rate(now.covered, now.qualifying),
        ),
        (
            l(t, "已建党组织的单位", "Units covered"),
            now.covered.to_string(),
        ),
        (
            l(t, "符合口径的单位", "Units that qualify"),
            now.qualifying.to_string(),
        ),
        (l(t, "依据", "Basis"), rule.basis.clone()),
    ];
    let headers = vec![
        l(t, "月份", "Month"),
        l(t, "已覆盖", "Covered"),
        l(t, "符合口径", "Qualifying"),
        l(t, "覆盖率", "Rate"),
    ];
    let row = |p: &CoveragePoint| {
        let period = if p.period == "current" {
            ""
        } else {
            p.period.as_str()
        };
        vec![
            Cell::text(if period.is_empty() {
                l(t, "当前", "Now")
            } else {
                p.period.clone()
            }),
            Cell::link(
                p.covered.to_string(),
                units_href(place.id, &rule.code, period, "covered"),
            ),
            Cell::link(
                p.qualifying.to_string(),
                units_href(place.id, &rule.code, period, ""),
            ),
            Cell::text(rate(p.covered, p.qualifying)),
        ]
    };
    // The table beside the chart: each year's last month and now (every month is in the export).
    let trend_table = Table {
        caption: l(
            t,
            "历年数据（每年12月及当前）",
            "By year (each December, and now)",
        ),
        headers: headers.clone(),
        rows: points
            .iter()
            .filter(|p| p.period.ends_with("-12") || p.period == "current")
            .map(row)
            .collect(),
        empty: t.t("common.empty").into(),
    };
    let children = state
        .store
        .coverage_children(&ctx.scope, place.id, &rule.code)
        .await?;
    let children_table = Table {
        caption: l(t, "下级地点（当前）", "Places below (now)"),
        headers: vec![
            t.t("common.place").into(),
            l(t, "已覆盖", "Covered"),
            l(t, "符合口径", "Qualifying"),
            l(t, "覆盖率", "Rate"),
        ],
        rows: children
            .iter()
            .filter(|(_, _, _, q)| *q > 0)
            .map(|(id, name, c, qn)| {
                vec![
                    Cell::link(
                        name,
                        format!(
                            "/coverage?{}",
                            query(&[("under", &id.to_string()), ("kind", &rule.code)])
                        ),
                    ),
                    Cell::link(c.to_string(), units_href(*id, &rule.code, "", "covered")),
                    Cell::link(qn.to_string(), units_href(*id, &rule.code, "", "")),
                    Cell::text(rate(*c, *qn)),
                ]
            })
            .collect(),
        empty: l(t, "下级地点暂无符合口径的单位", "No qualifying units below"),
    };
    let rules = state.store.coverage_rules().await?;
    let mut options: Vec<(String, String)> = Vec::new();
    for r in &rules {
        if !options.iter().any(|(c, _)| *c == r.code) {
            options.push((
                r.code.clone(),
                t.lang().pick(&r.name_zh, &r.name_en).to_string(),
            ));
        }
    }
    let qs = query(&[("under", &place.id.to_string()), ("kind", &rule.code)]);
    let mut c = Chrome::new(
        &ctx,
        t.t("nav.coverage"),
        "nav.orgs",
        &format!("/coverage?{qs}"),
    );
    c.crumbs = super::places::crumbs(&state, &ctx, &place).await?;
    let page = ChartPage {
        c,
        facts,
        action: "/coverage".into(),
        under: place.id.to_string(),
        rule_label: l(t, "口径", "Measure"),
        rules: options,
        rule: rule.code.clone(),
        export: format!("/coverage/export.xlsx?{qs}"),
        chart: chart(t, &place, &rule, &points),
        tables: vec![trend_table, children_table],
    };
    render(StatusCode::OK, &page)
}

/// Every month of the trend.
pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<CoverageQuery>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let (place, rule, _) = context(&state, &ctx, &q).await?;
    let points = state
        .store
        .coverage_trend(&ctx.scope, place.id, &rule.code)
        .await?;
    let headers = vec![
        t.t("common.place").into(),
        l(t, "月份", "Month"),
        l(t, "已覆盖", "Covered"),
        l(t, "符合口径", "Qualifying"),
        l(t, "覆盖率", "Rate"),
    ];
    let rows: Vec<Vec<String>> = points
        .iter()
        .map(|p| {
            vec![
                place.name.clone(),
                if p.period == "current" {
                    l(t, "当前", "Now")
                } else {
                    p.period.clone()
                },
                p.covered.to_string(),
                p.qualifying.to_string(),
                rate(p.covered, p.qualifying),
            ]
        })
        .collect();
    xlsx::download("coverage", t.t("nav.coverage"), &headers, &rows)
}

fn unit_row(t: T, u: &CoverageUnit) -> Vec<String> {
    vec![
        u.name.clone(),
        super::units::kind_label(t, &u.kind),
        u.place_name.clone(),
        u.staff.to_string(),
        u.org_name.clone().unwrap_or_else(|| l(t, "未建", "None")),
    ]
}

fn unit_headers(t: T) -> Vec<String> {
    vec![
        t.t("common.name").into(),
        t.t("common.kind").into(),
        t.t("common.place").into(),
        t.t("unit.staff").into(),
        l(t, "覆盖它的党组织", "Covering organisation"),
    ]
}

/// The moment a drill-down looks at: a month's end, or now.
fn at(period: Option<&str>) -> Result<Option<(i64, String)>, AppError> {
    match period.filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) => month_end(p).map(Some).ok_or_else(|| {
            AppError::bad(
                "coverage.period_invalid",
                "月份格式应为 2024-12",
                "a month looks like 2024-12",
            )
        }),
    }
}

fn covered(q: &CoverageQuery) -> Option<bool> {
    match q.status.as_deref() {
        Some("covered") => Some(true),
        Some("uncovered") => Some(false),
        _ => None,
    }
}

/// The units behind a figure, at a month's end or now.
pub async fn units(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<CoverageQuery>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let (place, rule, at) = context(&state, &ctx, &q).await?;
    let number = q.page.as_deref().and_then(|p| p.parse().ok());
    let page = Page::new(number, Some(super::listing::PER_PAGE));
    let (rows, total) = unit_page(&state, &ctx, &q, (&place, &rule, &at), page).await?;
    let period = q.period.clone().unwrap_or_default();
    let status = q.status.clone().unwrap_or_default();
    let qs = query(&[
        ("under", &place.id.to_string()),
        ("kind", &rule.code),
        ("period", &period),
        ("status", &status),
    ]);
    let when = if period.is_empty() {
        l(t, "当前", "now")
    } else {
        period.clone()
    };
    let mut c = Chrome::new(
        &ctx,
        format!(
            "{} · {} · {when}",
            t.lang().pick(&rule.name_zh, &rule.name_en),
            place.name
        ),
        "nav.orgs",
        &format!("/coverage/units?{qs}"),
    );
    c.crumbs = super::places::crumbs(&state, &ctx, &place).await?;
    let options = vec![
        (String::new(), t.t("common.all").to_string()),
        ("covered".to_string(), l(t, "已建党组织", "Covered")),
        ("uncovered".to_string(), l(t, "未建党组织", "Not covered")),
    ];
    use crate::ui::{Field, FieldKind};
    let filters = vec![
        Field::new("under", "", FieldKind::Hidden).value(place.id.to_string()),
        Field::new("kind", "", FieldKind::Hidden).value(rule.code.clone()),
        Field::new(
            "period",
            l(t, "月份（如 2020-12，空为当前）", "Month (empty: now)"),
            FieldKind::Text,
        )
        .value(period.clone()),
        Field::new("status", t.t("common.status"), FieldKind::Select(options)).value(status),
    ];
    let table = Table {
        caption: String::new(),
        headers: unit_headers(t),
        rows: rows
            .iter()
            .map(|u| {
                let mut cells: Vec<Cell> = unit_row(t, u).into_iter().map(Cell::text).collect();
                cells[0] = Cell::link(&u.name, format!("/units/{}", u.id));
                if let Some(o) = u.org_id {
                    cells[4] = Cell::link(cells[4].text.clone(), format!("/orgs/{o}"));
                }
                cells
            })
            .collect(),
        empty: l(t, "没有符合条件的单位", "No such units"),
    };
    let list = ListPage {
        c,
        action: "/coverage/units".into(),
        filters,
        table,
        pager: Pager::new(
            &format!("/coverage/units?{qs}"),
            page.number,
            page.size,
            total,
        ),
        export: Some(format!("/coverage/units/export.xlsx?{qs}")),
        links: vec![(
            l(t, "返回覆盖率", "Back to coverage"),
            format!(
                "/coverage?{}",
                query(&[("under", &place.id.to_string()), ("kind", &rule.code)])
            ),
        )],
        forms: vec![],
    };
    render(StatusCode::OK, &list)
}

pub async fn units_export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<CoverageQuery>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let (place, rule, at) = context(&state, &ctx, &q).await?;
    let mut rows = Vec::new();
    for number in 1.. {
        let (batch, _) =
            unit_page(&state, &ctx, &q, (&place, &rule, &at), xlsx::batch(number)).await?;
        rows.extend(batch.iter().map(|u| unit_row(t, u)));
        if !xlsx::more(number, batch.len()) {
            break;
        }
    }
    xlsx::download(
        "coverage-units",
        t.t("nav.coverage"),
        &unit_headers(t),
        &rows,
    )
}
