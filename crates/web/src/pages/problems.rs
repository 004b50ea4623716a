//! The problem list for staff (问题清单, issue 5): the problems of a node with filters (status,
//! overdue, escalated, village, words), paged, the same rows as .xlsx; the monthly report per
//! node as .xlsx; and the notices a place's work list shows (overdue and escalated problems).

use super::{ListPage, Q};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::{day_of, month_of};
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Pager, Table, query};
use axum::extract::State;
use axum::response::Response;
use jiceng_domain::Role;
use jiceng_domain::voice::Status;
use jiceng_store::places::{Place, PlaceFilter};
use jiceng_store::sql::Page;
use jiceng_store::voice::{MonthRow, ProblemFilter, ProblemRow};
use serde::Deserialize;

pub const PER_PAGE: i64 = 50;

/// Who works the problem list: the 两委 and towns (and the district), and the service centre's
/// staff at the front desk.
pub fn handles(role: Role) -> bool {
    role.manages_members() || role == Role::ServiceStaff
}

#[derive(Debug, Deserialize, Default, Clone)]
pub struct ProblemQuery {
    pub under: Option<String>,
    pub village: Option<String>,
    pub status: Option<String>,
    /// `overdue` or `escalated`.
    pub flag: Option<String>,
    pub category: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    pub month: Option<String>,
}

impl ProblemQuery {
    fn qs(&self) -> String {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let (u, v, s, f, c, q) = (
            o(&self.under),
            o(&self.village),
            o(&self.status),
            o(&self.flag),
            o(&self.category),
            o(&self.q),
        );
        query(&[
            ("under", &u),
            ("village", &v),
            ("status", &s),
            ("flag", &f),
            ("category", &c),
            ("q", &q),
        ])
    }

    fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
    }
}

fn id_of(v: &Option<String>) -> Option<i64> {
    v.as_deref().and_then(|s| s.parse().ok())
}

/// The node the list is for (the caller's own place by default), read within scope.
async fn node(state: &AppState, ctx: &Ctx, q: &ProblemQuery) -> Result<Place, AppError> {
    let id = id_of(&q.under).unwrap_or(ctx.user.place_id);
    Ok(state.store.place(&ctx.scope, id).await?)
}

/// The filter the page and its export share.
async fn filter(
    state: &AppState,
    ctx: &Ctx,
    q: &ProblemQuery,
) -> Result<(Place, ProblemFilter), AppError> {
    let node = node(state, ctx, q).await?;
    let mut under = node.prefix();
    if let Some(v) = id_of(&q.village) {
        let village = state.store.place(&node.scope(), v).await?;
        under = village.prefix();
    }
    let status = q
        .status
        .clone()
        .filter(|s| s == "open" || Status::parse(s).is_some());
    Ok((
        node,
        ProblemFilter {
            under: Some(under),
            status,
            overdue: q.flag.as_deref() == Some("overdue"),
            escalated: q.flag.as_deref() == Some("escalated"),
            category: q.category.clone().filter(|c| !c.trim().is_empty()),
            q: q.q.clone(),
            today: day_of(state.now()),
        },
    ))
}

/// The categories offered (`voice_services`): (code, name), in their order.
pub async fn categories(state: &AppState) -> Result<Vec<(String, String)>, AppError> {
    Ok(state
        .store
        .voice_services()
        .await?
        .into_iter()
        .map(|s| (s.code, s.name))
        .collect())
}

/// A category's name (a code no longer offered, or an old free text, shows as it is).
pub fn category_name(names: &[(String, String)], code: Option<&str>) -> String {
    match code {
        None => "未分类".into(),
        Some(c) => names
            .iter()
            .find(|(k, _)| k == c)
            .map_or_else(|| c.to_string(), |(_, n)| n.clone()),
    }
}

fn status_zh(s: &str) -> &'static str {
    Status::parse(s).map_or("—", Status::zh)
}

/// The list's table (the page's and the export's).
pub fn problems_table(
    ctx: &Ctx,
    names: &[(String, String)],
    rows: &[ProblemRow],
    caption: String,
    today: &str,
) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption,
        headers: vec![
            l("编号", "No."),
            l("村（社区）", "Village"),
            l("类别", "Category"),
            l("反映内容", "Report"),
            l("状态", "Status"),
            l("责任人", "Owner"),
            l("办理期限", "Deadline"),
            l("反映日期", "Filed"),
            l("督办", "Escalation"),
        ],
        rows: rows
            .iter()
            .map(|p| {
                let short: String = p.body.chars().take(40).collect();
                let overdue =
                    p.status == "assigned" && p.deadline.as_deref().is_some_and(|d| d < today);
                let flag = match (p.escalated == 1, overdue) {
                    (true, _) => l("已上报镇（街道）", "Escalated"),
                    (false, true) => l("已逾期", "Overdue"),
                    _ => String::new(),
                };
                vec![
                    Cell::link(format!("#{}", p.id), format!("/problems/{}", p.id)),
                    Cell::text(p.place_name.clone()),
                    Cell::text(category_name(names, p.category.as_deref())),
                    Cell::link(short, format!("/problems/{}", p.id)),
                    Cell::text(status_zh(&p.status)),
                    Cell::text(p.owner.clone().unwrap_or_default()),
                    Cell::text(p.deadline.clone().unwrap_or_default()),
                    Cell::text(p.filed_on.clone()),
                    Cell::text(flag),
                ]
            })
            .collect(),
        empty: l("没有符合条件的问题", "No problems match"),
    }
}

async fn village_options(
    state: &AppState,
    ctx: &Ctx,
    node: &Place,
) -> Result<Vec<(String, String)>, AppError> {
    let mut out = vec![(String::new(), ctx.lang.pick("全部", "All").to_string())];
    // A city or a province holds thousands of villages: no list to choose from (its figures
    // lead down to them), and no count of them on every page.
    if matches!(
        node.kind(),
        Some(jiceng_domain::PlaceKind::Province | jiceng_domain::PlaceKind::City)
    ) {
        return Ok(out);
    }
    for kind in ["village", "community"] {
        let f = PlaceFilter {
            under: Some(node.clone()),
            kind: Some(kind.into()),
            ..Default::default()
        };
        let (rows, _) = state
            .store
            .places(&ctx.scope, &f, Page::new(Some(1), Some(500)))
            .await?;
        out.extend(rows.into_iter().map(|p| (p.id.to_string(), p.name)));
    }
    Ok(out)
}

pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ProblemQuery>,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    list_page(&state, &ctx, &q, None).await
}

/// The desk's form: a problem a resident brings to the service centre or tells on a visit.
fn desk_form(ctx: &Ctx, villages: Vec<(String, String)>, cats: Vec<(String, String)>) -> Form {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let sources = vec![
        ("desk".to_string(), l("窗口受理", "At the desk")),
        ("visit".to_string(), l("走访收集", "On a visit")),
        (
            "studio".to_string(),
            l("党代表工作室", "Representatives' office"),
        ),
    ];
    Form::new(
        "desk",
        "/problems",
        l("登记群众反映", "Take a report"),
        l("登记", "Record"),
    )
    .field(
        Field::new(
            "place_id",
            l("村（社区）", "Village"),
            FieldKind::Select(villages),
        )
        .required(),
    )
    .field(Field::new("source", l("来源", "Source"), FieldKind::Select(sources)).required())
    .field(Field::new("category", l("类别", "Category"), FieldKind::Select(cats)).required())
    .field(Field::new("body", l("反映内容", "Report"), FieldKind::LongText).required())
    .field(Field::new(
        "location",
        l("位置", "Location"),
        FieldKind::Text,
    ))
    .field(Field::new(
        "contact",
        l("联系电话（加密保存）", "Phone (sealed)"),
        FieldKind::Text,
    ))
    .note(l(
        "登记后显示查询码，请告知群众凭码查询进度、确认结果。",
        "The tracking code is shown once: give it to the resident.",
    ))
}

pub async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    q: &ProblemQuery,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let (node, f) = filter(state, ctx, q).await?;
    let page = Page::new(Some(q.page()), Some(PER_PAGE));
    let (rows, total) = state.store.problem_list(&ctx.scope, &f, page).await?;
    let mut statuses = vec![
        (String::new(), l("全部", "All")),
        ("open".to_string(), l("未销号", "Open")),
    ];
    statuses.extend(
        Status::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), s.zh().to_string())),
    );
    let flags = vec![
        (String::new(), l("不限", "Any")),
        ("overdue".to_string(), l("已逾期", "Overdue")),
        ("escalated".to_string(), l("已上报镇（街道）", "Escalated")),
    ];
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let villages = village_options(state, ctx, &node).await?;
    let names = categories(state).await?;
    // The desk files in a village: offered where the page lists villages to choose from.
    let mut forms = if villages.len() > 1 {
        vec![desk_form(ctx, villages[1..].to_vec(), names.clone())]
    } else {
        Vec::new()
    };
    let status = match fb {
        Some(fb) => {
            fb.apply(&mut forms);
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        }
        None => axum::http::StatusCode::OK,
    };
    let filters = vec![
        Field::new("under", "", FieldKind::Hidden).value(node.id.to_string()),
        Field::new("q", l("关键词", "Words"), FieldKind::Text).value(o(&q.q)),
        Field::new(
            "village",
            l("村（社区）", "Village"),
            FieldKind::Select(villages),
        )
        .value(o(&q.village)),
        Field::new("status", l("状态", "Status"), FieldKind::Select(statuses)).value(o(&q.status)),
        Field::new("flag", l("逾期/督办", "Overdue"), FieldKind::Select(flags)).value(o(&q.flag)),
        Field::new(
            "category",
            l("类别", "Category"),
            FieldKind::Select(
                std::iter::once((String::new(), l("全部", "All")))
                    .chain(names.iter().cloned())
                    .collect(),
            ),
        )
        .value(o(&q.category)),
    ];
    let qs = q.qs();
    let title = format!("{} · {}", node.name, l("问题清单", "Problem list"));
    let c = Chrome::new(
        ctx,
        title.clone(),
        "nav.problems",
        &format!("/problems?{qs}"),
    );
    let month = month_of(state.now());
    let page = ListPage {
        c,
        action: "/problems".into(),
        filters,
        table: problems_table(ctx, &names, &rows, title, &f.today),
        pager: Pager::capped(
            &format!("/problems?{qs}"),
            page.number,
            page.size,
            total,
            state.store.problem_count_cap_for(&f),
        ),
        export: Some(format!("/problems/export.xlsx?{qs}")),
        links: vec![
            (
                l("本月问题清单月报（Excel）", "Monthly report (.xlsx)"),
                format!("/problems/report.xlsx?under={}&month={month}", node.id),
            ),
            (
                l("问题清单统计", "Figures"),
                format!("/problems/figures?under={}", node.id),
            ),
        ],
        forms,
    };
    super::render(status, &page)
}

/// The list with the page's filters, every page of it, as .xlsx.
pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ProblemQuery>,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let (node, f) = filter(&state, &ctx, &q).await?;
    let mut all = Vec::new();
    for n in 1.. {
        let (rows, _) = state
            .store
            .problem_list(&ctx.scope, &f, crate::xlsx::batch(n))
            .await?;
        let more = crate::xlsx::more(n, rows.len());
        all.extend(rows);
        if !more {
            break;
        }
    }
    let caption = format!("{} 问题清单", node.name);
    let names = categories(&state).await?;
    crate::xlsx::tables(
        "problems",
        &[problems_table(&ctx, &names, &all, caption, &f.today)],
    )
}

fn month_table(ctx: &Ctx, month: &str, rows: &[MonthRow]) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let mut total = MonthRow::default();
    let mut out: Vec<Vec<Cell>> = Vec::new();
    let line = |name: String, r: &MonthRow| {
        let avg = if r.rated > 0 {
            format!("{:.1}", r.score_sum as f64 / r.rated as f64)
        } else {
            "—".into()
        };
        vec![
            Cell::text(name),
            Cell::text(r.filed.to_string()),
            Cell::text(r.closed.to_string()),
            Cell::text(r.confirmed.to_string()),
            Cell::text(r.window_passed.to_string()),
            Cell::text(r.objected.to_string()),
            Cell::text(r.escalated.to_string()),
            Cell::text(r.open_at_end.to_string()),
            Cell::text(avg),
        ]
    };
    for r in rows {
        total.filed += r.filed;
        total.closed += r.closed;
        total.confirmed += r.confirmed;
        total.window_passed += r.window_passed;
        total.objected += r.objected;
        total.escalated += r.escalated;
        total.open_at_end += r.open_at_end;
        total.rated += r.rated;
        total.score_sum += r.score_sum;
        out.push(line(r.place_name.clone(), r));
    }
    out.push(line(l("合计", "Total"), &total));
    Table {
        caption: format!("{month} {}", l("问题清单月报", "problem list")),
        headers: vec![
            l("村（社区）", "Village"),
            l("本月收集", "Filed"),
            l("本月销号", "Closed"),
            l("群众确认销号", "Confirmed"),
            l("异议期满销号", "Window passed"),
            l("群众异议", "Objections"),
            l("逾期上报", "Escalations"),
            l("月末未销号", "Open at month end"),
            l("平均评价", "Average rating"),
        ],
        rows: out,
        empty: String::new(),
    }
}

/// The monthly report of a node: one row per village, the total, and the month's problems.
pub async fn report(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ProblemQuery>,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let node = node(&state, &ctx, &q).await?;
    let month = q.month.clone().unwrap_or_else(|| month_of(state.now()));
    let Some(rows) = state
        .store
        .problem_month(&ctx.scope, &node.prefix(), &month)
        .await?
    else {
        return Err(PageError(AppError::bad(
            "request.invalid_month",
            "月份格式应为YYYY-MM，例如2026-03",
            "a month is YYYY-MM",
        )));
    };
    let f = ProblemFilter {
        under: Some(node.prefix()),
        today: day_of(state.now()),
        ..Default::default()
    };
    // The month's own problems (filed in it), for the sheet behind the figures.
    let mut filed = Vec::new();
    for n in 1.. {
        let (batch, _) = state
            .store
            .problem_list(&ctx.scope, &f, crate::xlsx::batch(n))
            .await?;
        let more = crate::xlsx::more(n, batch.len());
        let older = batch.iter().any(|p| p.filed_on.as_str() < month.as_str());
        filed.extend(batch.into_iter().filter(|p| p.filed_on.starts_with(&month)));
        // The list is newest first: once it reaches earlier months, the rest is older still.
        if !more || older {
            break;
        }
    }
    let caption = format!("{month} {}", ctx.lang.pick("收集的问题", "problems filed"));
    let names = categories(&state).await?;
    crate::xlsx::tables(
        &format!("problems-{month}"),
        &[
            month_table(&ctx, &month, &rows),
            problems_table(&ctx, &names, &filed, caption, &f.today),
        ],
    )
}

/// The work-list notices of a place: its problems past their deadline or escalated, if any.
pub async fn notices_table(
    state: &AppState,
    ctx: &Ctx,
    place: &Place,
) -> Result<Option<Table>, AppError> {
    if !handles(ctx.role) {
        return Ok(None);
    }
    let today = day_of(state.now());
    let rows = state
        .store
        .problem_notices(&ctx.scope, &place.prefix(), &today, 50)
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let caption = ctx
        .lang
        .pick(
            "待办：逾期未办结或已上报镇（街道）督办的群众反映问题",
            "To do: residents' problems overdue or escalated",
        )
        .to_string();
    let names = categories(state).await?;
    Ok(Some(problems_table(ctx, &names, &rows, caption, &today)))
}
