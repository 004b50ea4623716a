//! 三会一课 compliance (issue 6): a node's figures for a chosen month, quarter or year (what its
//! branches owed against what they met, per requirement; meetings held per kind; observations),
//! each place below it linking down, towns → villages → a branch's own page, and the list of
//! branches that missed something (exportable); a branch's page with each requirement period,
//! required against held, the misses and its reminders; the reminders block of the organisation
//! page.

use super::{Id, Q, render};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::i18n::Lang;
use crate::ui::{Cell, Chrome, Table, query};
use crate::xlsx;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_domain::coverage::percent;
use jiceng_domain::life::{Due, Every, Judged, Period};
use jiceng_domain::meeting::MeetingKind;
use jiceng_store::life::{BranchLife, LifeRow, rule};
use jiceng_store::places::Place;
use serde::Deserialize;

/// Branches judged one by one for a node's list; a node with more is listed a level down.
pub const LIST_CAP: usize = 3000;
/// Rows of the list shown on the page (the export has them all).
const LIST_SHOWN: usize = 200;
/// Up to this many branches under a node, the page lists them all.
const ALL_SHOWN: usize = 50;

#[derive(Template)]
#[template(path = "life.html")]
pub struct LifePage {
    pub c: Chrome,
    pub action: String,
    pub hidden: Vec<(String, String)>,
    pub period_label: String,
    pub period: String,
    pub links: Vec<(String, String)>,
    pub facts: Vec<(String, String)>,
    pub tables: Vec<Table>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LifeQuery {
    pub under: Option<String>,
    /// `2025-11`, `2025-Q4`, `2025`; empty: the current quarter.
    pub period: Option<String>,
}

pub(super) fn period_of(raw: Option<&str>, today: &str) -> Result<Period, AppError> {
    match raw.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(Period::of(Every::Quarter, today)?),
        Some(p) => Period::parse(p).map_err(|_| {
            AppError::bad(
                "life.period_invalid",
                "统计期格式应为 2025-11（月）、2025-Q4（季度）或 2025（年）",
                "a period looks like 2025-11, 2025-Q4 or 2025",
            )
        }),
    }
}

pub(super) fn rate(per_mille: Option<i64>) -> String {
    per_mille.map_or_else(|| "—".into(), percent)
}

fn every(lang: Lang, e: Every) -> String {
    let en = match e {
        Every::Month => "monthly",
        Every::Quarter => "quarterly",
        Every::Year => "yearly",
    };
    lang.pick(e.zh(), en).to_string()
}

/// `支部委员会会议（2025年10月）`.
fn miss_label(j: &Judged) -> String {
    format!("{}（{}）", j.due.kind.zh(), j.period.zh())
}

/// Earlier, later, this month, quarter and year, for the page at `base` (a path with its query).
pub(super) fn period_links(
    lang: Lang,
    base: &str,
    p: &Period,
    today: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let sep = if base.contains('?') { '&' } else { '?' };
    let at = |p: &Period| format!("{base}{sep}period={}", p.label());
    Ok(vec![
        (lang.pick("上一期", "Previous").into(), at(&p.prev())),
        (lang.pick("下一期", "Next").into(), at(&p.next())),
        (
            lang.pick("本月", "This month").into(),
            at(&Period::of(Every::Month, today)?),
        ),
        (
            lang.pick("本季度", "This quarter").into(),
            at(&Period::of(Every::Quarter, today)?),
        ),
        (
            lang.pick("本年", "This year").into(),
            at(&Period::of(Every::Year, today)?),
        ),
    ])
}

/// The place asked for (in scope), else the caller's own.
pub(super) async fn place(
    state: &AppState,
    ctx: &Ctx,
    under: Option<&str>,
) -> Result<Place, AppError> {
    let id = under
        .and_then(|u| u.parse().ok())
        .unwrap_or(ctx.user.place_id);
    Ok(state.store.place(&ctx.scope, id).await?)
}

fn node_href(place_id: i64, period: &Period) -> String {
    format!(
        "/life?{}",
        query(&[
            ("under", &place_id.to_string()),
            ("period", &period.label())
        ])
    )
}

fn child_row(lang: Lang, r: &LifeRow, period: &Period) -> Vec<Cell> {
    let l = |zh: &'static str, en: &'static str| lang.pick(zh, en).to_string();
    vec![
        match r.place_id {
            Some(id) => Cell::link(&r.name, node_href(id, period)),
            None => Cell::text(format!("{}{}", r.name, l("（本级）", " (itself)"))),
        },
        Cell::text(r.branches.to_string()),
        Cell::text(r.due().to_string()),
        Cell::text(r.met().to_string()),
        Cell::text(rate(r.rate())),
        Cell::text(format!("{}/{}", r.running.1, r.running.0)),
        Cell::text(r.held_total().to_string()),
        Cell::text(r.observed.to_string()),
    ]
}

fn branch_headers(lang: Lang) -> Vec<String> {
    let l = |zh: &'static str, en: &'static str| lang.pick(zh, en).to_string();
    vec![
        l("党支部", "Branch"),
        l("所在地", "Place"),
        l("应开（已结束期次）", "Owed (ended)"),
        l("达标", "Met"),
        l("达标率", "Rate"),
        l("未达标项", "Missed"),
    ]
}

fn branch_row(b: &BranchLife) -> Vec<String> {
    vec![
        b.org_name.clone(),
        b.place_name.clone(),
        b.due().to_string(),
        b.met().to_string(),
        rate(b.rate()),
        b.missed()
            .iter()
            .map(|j| miss_label(j))
            .collect::<Vec<_>>()
            .join("、"),
    ]
}

/// A branch's row, its name linking to its own page for the period.
fn branch_cells(b: &BranchLife, period: &Period) -> Vec<Cell> {
    let mut cells: Vec<Cell> = branch_row(b).into_iter().map(Cell::text).collect();
    cells[0] = Cell::link(
        &b.org_name,
        format!("/orgs/{}/life?period={}", b.org_id, period.label()),
    );
    cells
}

/// What the node page and its export read first.
async fn node_context(
    state: &AppState,
    ctx: &Ctx,
    q: &LifeQuery,
) -> Result<(Place, Period, String), AppError> {
    ctx.require(ctx.role.reads_structure())?;
    let today = day_of(state.now());
    let place = place(state, ctx, q.under.as_deref()).await?;
    let period = period_of(q.period.as_deref(), &today)?;
    Ok((place, period, today))
}

/// `/life?under=&period=`: a node's figures, the places below it and the branches that missed.
pub async fn node(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<LifeQuery>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let l = |zh: &'static str, en: &'static str| lang.pick(zh, en).to_string();
    let (place, period, today) = node_context(&state, &ctx, &q).await?;
    let f = state
        .store
        .life_figures(&ctx.scope, place.id, &period, &today)
        .await?;
    let all = state
        .store
        .life_branches(
            &ctx.scope,
            &place.prefix(),
            &period,
            &today,
            false,
            LIST_CAP,
        )
        .await?;
    let list: Option<Vec<&BranchLife>> = all
        .as_ref()
        .map(|v| v.iter().filter(|b| !b.missed().is_empty()).collect());
    let rule = rule();
    let t = &f.total;
    let facts = vec![
        (
            l("统计期", "Period"),
            format!("{}（{}）", period.zh(), period.label()),
        ),
        (l("依据", "Basis"), rule.basis.clone()),
        (l("党支部", "Branches"), t.branches.to_string()),
        (
            l("应开（已结束的期次）", "Owed (ended periods)"),
            t.due().to_string(),
        ),
        (l("达标", "Met"), t.met().to_string()),
        (l("达标率", "Compliance rate"), rate(t.rate())),
        (
            l("进行中的期次（已达标/应开）", "Running periods (met/owed)"),
            format!("{}/{}", t.running.1, t.running.0),
        ),
        (
            l("召开组织生活（次）", "Meetings held"),
            t.held_total().to_string(),
        ),
        (
            l("红色观察员观察（次）", "Red observers' visits"),
            t.observed.to_string(),
        ),
    ];
    let requirements = Table {
        caption: l("按要求", "By requirement"),
        headers: vec![
            l("要求", "Requirement"),
            l("应开（已结束期次）", "Owed (ended)"),
            l("达标", "Met"),
            l("达标率", "Rate"),
        ],
        rows: rule
            .requirements
            .iter()
            .map(|req| {
                let (due, met) = t
                    .by_kind
                    .iter()
                    .find(|(k, _, _)| *k == req.kind)
                    .map_or((0, 0), |(_, d, m)| (*d, *m));
                // The condition in the label: a node's owed count is of the branches it applies to.
                let only = req.min_full_members.map_or(String::new(), |n| match lang {
                    Lang::Zh => format!("；正式党员{n}人以上的支部"),
                    Lang::En => format!("; branches of {n}+ full members"),
                });
                vec![
                    Cell::text(format!(
                        "{}（{}至少{}次{only}）",
                        req.kind.zh(),
                        every(lang, req.every),
                        req.times
                    )),
                    Cell::text(due.to_string()),
                    Cell::text(met.to_string()),
                    Cell::text(rate((due > 0).then(|| met * 1000 / due))),
                ]
            })
            .collect(),
        empty: String::new(),
    };
    let held = Table {
        caption: l("各类会议召开次数（有效）", "Valid meetings held, by kind"),
        headers: vec![l("会议类型", "Kind"), l("次数", "Held")],
        rows: t
            .held
            .iter()
            .map(|(k, n)| vec![Cell::text(k.zh()), Cell::text(n.to_string())])
            .collect(),
        empty: l("本期没有召开组织生活", "No meetings held in the period"),
    };
    let children = Table {
        caption: l("下级", "Places below"),
        headers: vec![
            l("地点", "Place"),
            l("党支部", "Branches"),
            l("应开", "Owed"),
            l("达标", "Met"),
            l("达标率", "Rate"),
            l("进行中（已达标/应开）", "Running (met/owed)"),
            l("召开次数", "Held"),
            l("观察次数", "Observed"),
        ],
        rows: f
            .children
            .iter()
            .chain(f.here.iter())
            .map(|r| child_row(lang, r, &period))
            .collect(),
        empty: l("没有下级地点", "No places below"),
    };
    let missed = Table {
        caption: match &list {
            Some(v) if v.len() > LIST_SHOWN => format!(
                "{}（{}）",
                l("未达标的党支部", "Branches that missed a requirement"),
                lang.pick(
                    &format!("共{}个，此处列出前{LIST_SHOWN}个，全部请导出", v.len()),
                    &format!(
                        "{} in all, the first {LIST_SHOWN} shown; export for all",
                        v.len()
                    ),
                )
            ),
            _ => l("未达标的党支部", "Branches that missed a requirement"),
        },
        headers: branch_headers(lang),
        rows: list
            .iter()
            .flatten()
            .take(LIST_SHOWN)
            .map(|b| branch_cells(b, &period))
            .collect(),
        empty: if list.is_some() {
            l("本期已结束的期次全部达标", "Every ended period was met")
        } else {
            l(
                "党支部较多，请进入下级查看名单",
                "Too many branches here: open a place below for the list",
            )
        },
    };
    let mut tables = vec![requirements, held, children, missed];
    // A small node (a village) lists every branch, so that each one's page is a click away.
    if let Some(v) = all
        .as_ref()
        .filter(|v| !v.is_empty() && v.len() <= ALL_SHOWN)
    {
        tables.push(Table {
            caption: l("全部党支部", "All branches"),
            headers: branch_headers(lang),
            rows: v.iter().map(|b| branch_cells(b, &period)).collect(),
            empty: String::new(),
        });
    }
    let here = node_href(place.id, &period);
    let mut links = period_links(lang, &format!("/life?under={}", place.id), &period, &today)?;
    if list.is_some() {
        links.push((
            l("导出未达标支部", "Export the branches that missed"),
            format!("/life/branches.xlsx?{}", here.trim_start_matches("/life?")),
        ));
    }
    let mut c = Chrome::new(
        &ctx,
        format!("{} · {}", place.name, l("三会一课", "Organisational life")),
        "nav.orgs",
        &here,
    );
    c.crumbs = super::places::crumbs(&state, &ctx, &place).await?;
    render(
        StatusCode::OK,
        &LifePage {
            c,
            action: "/life".into(),
            hidden: vec![("under".into(), place.id.to_string())],
            period_label: l(
                "统计期（2025-11、2025-Q4 或 2025）",
                "Period (2025-11, 2025-Q4 or 2025)",
            ),
            period: period.label(),
            links,
            facts,
            tables,
        },
    )
}

/// The branches that missed something under a node, every one of them, as .xlsx.
pub async fn node_export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<LifeQuery>,
) -> Result<Response, PageError> {
    let (place, period, today) = node_context(&state, &ctx, &q).await?;
    let list = state
        .store
        .life_branches(&ctx.scope, &place.prefix(), &period, &today, true, LIST_CAP)
        .await?
        .ok_or_else(|| {
            AppError::bad(
                "life.list_too_long",
                "党支部较多，请进入下级导出名单",
                "too many branches here: export from a place below",
            )
        })?;
    let rows: Vec<Vec<String>> = list.iter().map(branch_row).collect();
    xlsx::download(
        "life-missed",
        ctx.lang.pick("未达标党支部", "Missed"),
        &branch_headers(ctx.lang),
        &rows,
    )
}

fn due_state(lang: Lang, j: &Judged) -> String {
    let l = |zh: &'static str, en: &'static str| lang.pick(zh, en).to_string();
    match (j.ended, j.due.met()) {
        (true, true) => l("达标", "Met"),
        (true, false) => l("未达标", "Missed"),
        (false, true) => l("进行中（已达标）", "Running (met)"),
        (false, false) => l("进行中", "Running"),
    }
}

/// The reminders of a branch's work list as a table (empty when nothing falls due within a week).
pub fn reminders_table(lang: Lang, org_id: i64, due: &[Due]) -> Table {
    let l = |zh: &'static str, en: &'static str| lang.pick(zh, en).to_string();
    Table {
        caption: l(
            "工作提醒：一周内到期、尚未召开的组织生活",
            "Reminders: due within a week, not yet held",
        ),
        headers: vec![
            l("要求", "Requirement"),
            l("期次", "Period"),
            l("截止日期", "Ends on"),
            l("已开/应开", "Held/required"),
            l("操作", "Action"),
        ],
        rows: due
            .iter()
            .map(|d| {
                vec![
                    Cell::text(d.kind.zh()),
                    Cell::text(format!("{} – {}", d.start, d.end)),
                    Cell::text(d.end.clone()),
                    Cell::text(format!("{}/{}", d.held, d.required)),
                    Cell::link(
                        l("登记会议", "Record a meeting"),
                        format!("/orgs/{org_id}/meetings#meeting-new"),
                    ),
                ]
            })
            .collect(),
        empty: l(
            "一周内没有到期未开的组织生活",
            "Nothing falls due within a week",
        ),
    }
}

/// `/orgs/{id}/life?period=`: one organisation's 三会一课 in a period.
pub async fn branch(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    Q(q): Q<LifeQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.reads_structure())?;
    let lang = ctx.lang;
    let l = |zh: &'static str, en: &'static str| lang.pick(zh, en).to_string();
    let today = day_of(state.now());
    let period = period_of(q.period.as_deref(), &today)?;
    let org = state.store.org(&ctx.scope, id).await?;
    let life = state
        .store
        .org_life(&ctx.scope, id, &period, &today)
        .await?;
    let reminders = state.store.life_reminders(&ctx.scope, id, &today).await?;
    let (first, last) = period.days();
    let meetings: Vec<_> = state
        .store
        .meetings(&ctx.scope, id)
        .await?
        .into_iter()
        .filter(|m| m.held_on >= first && m.held_on <= last)
        .collect();
    let holds = org
        .kind()
        .is_some_and(jiceng_domain::life::holds_branch_life);
    let mut facts = vec![
        (l("党组织", "Organisation"), org.name.clone()),
        (
            l("统计期", "Period"),
            format!("{}（{}）", period.zh(), period.label()),
        ),
        (l("依据", "Basis"), rule().basis),
    ];
    if holds {
        facts.extend([
            (
                l("应开（已结束的期次）", "Owed (ended periods)"),
                life.due().to_string(),
            ),
            (l("达标", "Met"), life.met().to_string()),
            (l("达标率", "Compliance rate"), rate(life.rate())),
        ]);
    } else {
        facts.push((
            l("说明", "Note"),
            l(
                "三会一课按党支部统计；本组织不是党支部，请查看其下属支部",
                "三会一课 is counted per branch; see the branches under this organisation",
            ),
        ));
    }
    let owed = Table {
        caption: l("要求与召开情况", "Required and held"),
        headers: vec![
            l("要求", "Requirement"),
            l("期次", "Period"),
            l("应开", "Required"),
            l("已开", "Held"),
            l("情况", "State"),
        ],
        rows: life
            .owed
            .iter()
            .map(|j| {
                vec![
                    Cell::text(j.due.kind.zh()),
                    Cell::text(j.period.zh()),
                    Cell::text(j.due.required.to_string()),
                    Cell::text(j.due.held.to_string()),
                    Cell::text(due_state(lang, j)),
                ]
            })
            .collect(),
        empty: l(
            "本期没有应开的组织生活（尚未开始，或本组织当时尚未成立）",
            "Nothing owed in this period",
        ),
    };
    let missed = Table {
        caption: l("未达标项", "Missed"),
        headers: vec![
            l("要求", "Requirement"),
            l("期次", "Period"),
            l("已开/应开", "Held/required"),
        ],
        rows: life
            .missed()
            .iter()
            .map(|j| {
                vec![
                    Cell::text(j.due.kind.zh()),
                    Cell::text(j.period.zh()),
                    Cell::text(format!("{}/{}", j.due.held, j.due.required)),
                ]
            })
            .collect(),
        empty: l("已结束的期次全部达标", "Every ended period was met"),
    };
    let held = Table {
        caption: l("本期会议", "Meetings in the period"),
        headers: vec![
            l("日期", "Date"),
            l("类型", "Kind"),
            l("议题", "Title"),
            l("计入（达到法定人数）", "Counted (quorate)"),
        ],
        rows: meetings
            .iter()
            .map(|m| {
                vec![
                    Cell::text(m.held_on.clone()),
                    Cell::text(MeetingKind::parse(&m.kind).map_or("—", MeetingKind::zh)),
                    Cell::link(&m.title, format!("/meetings/{}", m.id)),
                    Cell::text(if m.quorate == 1 {
                        l("是", "yes")
                    } else {
                        l("否", "no")
                    }),
                ]
            })
            .collect(),
        empty: l("本期没有会议记录", "No meetings recorded in the period"),
    };
    let here = format!("/orgs/{id}/life?period={}", period.label());
    let mut links = period_links(lang, &format!("/orgs/{id}/life"), &period, &today)?;
    links.extend([
        (
            l("登记会议", "Record a meeting"),
            format!("/orgs/{id}/meetings#meeting-new"),
        ),
        (
            l("返回党组织", "Back to the organisation"),
            format!("/orgs/{id}"),
        ),
        (
            l("所在地统计", "Figures of its place"),
            node_href(org.place_id, &period),
        ),
    ]);
    let mut c = Chrome::new(
        &ctx,
        format!("{} · {}", org.name, l("三会一课", "Organisational life")),
        "nav.orgs",
        &here,
    );
    if let Ok(p) = state.store.place(&ctx.scope, org.place_id).await {
        c.crumbs = super::places::crumbs(&state, &ctx, &p).await?;
    }
    render(
        StatusCode::OK,
        &LifePage {
            c,
            action: format!("/orgs/{id}/life"),
            hidden: vec![],
            period_label: l(
                "统计期（2025-11、2025-Q4 或 2025）",
                "Period (2025-11, 2025-Q4 or 2025)",
            ),
            period: period.label(),
            links,
            facts,
            tables: vec![reminders_table(lang, id, &reminders), owed, missed, held],
        },
    )
}
