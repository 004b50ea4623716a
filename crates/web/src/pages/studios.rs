//! Party-representative studios (党代表工作室, issue 5): the list under a place with the figures
//! of the last twelve months (receptions and residents received, from the roll-ups) and the form
//! for a new studio; a studio's page with its duty schedule and next duty days, its
//! representatives and receptions, and the forms to seat a representative, end a seat and record
//! a reception (a matter raised can go to the problem list); .xlsx exports. The duty calendars
//! are in `studio_ics.rs`, the form that changes a studio in `studio_edit.rs`.

use super::{FormData, Id, ListQuery, Q, RecordPage, saved};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Pager, Table};
use axum::extract::State;
use axum::response::Response;
use jiceng_domain::studio::{DEFAULT_ENDS, DEFAULT_RULE, DEFAULT_STARTS};
use jiceng_store::sql::Page;
use jiceng_store::studios::{NewReception, NewStudio, Reception, Studio};

fn studios_table(ctx: &Ctx, rows: &[Studio]) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption: l("党代表工作室", "Studios"),
        headers: vec![
            l("工作室", "Studio"),
            l("所在地", "Place"),
            l("地址", "Address"),
            l("接待日规则", "Duty rule"),
            l("接待时间", "Hours"),
            l("在站党代表", "Representatives"),
        ],
        rows: rows
            .iter()
            .map(|s| {
                vec![
                    Cell::link(&s.name, format!("/studios/{}", s.id)),
                    Cell::text(s.place_name.clone()),
                    Cell::text(s.address.clone().unwrap_or_default()),
                    Cell::text(s.rrule.clone()),
                    Cell::text(format!("{}–{}", s.starts_at, s.ends_at)),
                    Cell::text(s.reps.to_string()),
                ]
            })
            .collect(),
        empty: l("尚无党代表工作室", "No studios yet"),
    }
}

fn receptions_table(ctx: &Ctx, rows: &[Reception]) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption: l("接待记录", "Receptions"),
        headers: vec![
            l("日期", "Date"),
            l("工作室", "Studio"),
            l("接待党代表", "Representative"),
            l("接待群众（人）", "Residents"),
            l("反映事项", "Raised"),
            l("问题清单", "Problem list"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::text(r.held_on.clone()),
                    Cell::link(&r.studio_name, format!("/studios/{}", r.studio_id)),
                    Cell::text(r.member_name.clone()),
                    Cell::text(r.residents.to_string()),
                    Cell::text(r.raised.clone()),
                    Cell::text(
                        r.problem_id
                            .map_or_else(|| "—".to_string(), |p| format!("#{p}")),
                    ),
                ]
            })
            .collect(),
        empty: l("尚无接待记录", "No receptions yet"),
    }
}

/// The twelve months up to today's (YYYY-MM), oldest first.
pub(crate) fn last_months(today: &str) -> Vec<String> {
    let (y, m) = (
        today
            .get(..4)
            .and_then(|y| y.parse::<i32>().ok())
            .unwrap_or(2026),
        today
            .get(5..7)
            .and_then(|m| m.parse::<i32>().ok())
            .unwrap_or(1),
    );
    (0..12)
        .rev()
        .map(|back| {
            let n = y * 12 + (m - 1) - back;
            format!("{:04}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
        })
        .collect()
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let node = s
        .place(&ctx.scope, q.under_id().unwrap_or(ctx.user.place_id))
        .await?;
    let page = q.page();
    let (rows, total) = s
        .studios(
            &ctx.scope,
            Some(&node.prefix()),
            Page::new(Some(page), Some(50)),
        )
        .await?;
    let months = last_months(&day_of(state.now()));
    let figures = s.studio_figures(&ctx.scope, node.id, &months).await?;
    let figures_table = Table {
        caption: format!(
            "{}（{} — {}）",
            l("接待情况", "Receptions"),
            months.first().cloned().unwrap_or_default(),
            months.last().cloned().unwrap_or_default()
        ),
        headers: vec![
            l("地区", "Place"),
            l("接待次数", "Receptions"),
            l("接待群众（人次）", "Residents received"),
        ],
        rows: figures
            .iter()
            .map(|(id, name, n, people)| {
                vec![
                    Cell::link(name, format!("/studios?under={id}")),
                    Cell::text(n.to_string()),
                    Cell::text(people.to_string()),
                ]
            })
            .collect(),
        empty: String::new(),
    };
    let mut places = vec![(node.id.to_string(), node.name.clone())];
    let filter = jiceng_store::places::PlaceFilter {
        parent_id: Some(node.id),
        ..Default::default()
    };
    let (children, _) = s
        .places(&ctx.scope, &filter, Page::new(None, Some(500)))
        .await?;
    places.extend(children.iter().map(|c| (c.id.to_string(), c.name.clone())));
    let mut forms = vec![
        Form::new(
            "studio",
            "/studios",
            l("新建党代表工作室", "New studio"),
            l("新建", "Create"),
        )
        .field(Field::new("place_id", l("所在地", "Place"), FieldKind::Select(places)).required())
        .field(Field::new("name", l("工作室名称", "Name"), FieldKind::Text).required())
        .field(Field::new("address", l("地址", "Address"), FieldKind::Text))
        .field(
            Field::new(
                "rule",
                l("接待日规则（RRULE）", "Duty rule (RRULE)"),
                FieldKind::Text,
            )
            .value(DEFAULT_RULE)
            .hint(l(
                "默认每月第二个星期二：FREQ=MONTHLY;BYDAY=2TU",
                "Default: second Tuesday monthly",
            ))
            .required(),
        )
        .field(
            Field::new("since", l("起始日期", "From"), FieldKind::Date)
                .value(day_of(state.now()))
                .required(),
        )
        .field(
            Field::new("starts", l("开始时间", "Starts"), FieldKind::Text)
                .value(DEFAULT_STARTS)
                .required(),
        )
        .field(
            Field::new("ends", l("结束时间", "Ends"), FieldKind::Text)
                .value(DEFAULT_ENDS)
                .required(),
        ),
    ];
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let base = format!("/studios?under={}", node.id);
    let pager = Pager::new(&base, page, 50, total);
    let mut links = vec![
        (
            l("导出工作室（Excel）", "Export studios (.xlsx)"),
            format!("/studios/export.xlsx?under={}", node.id),
        ),
        (
            l("导出接待记录（Excel）", "Export receptions (.xlsx)"),
            format!("/studios/receptions.xlsx?under={}", node.id),
        ),
    ];
    links.extend(pager.links(ctx.lang));
    let c = Chrome::new(
        ctx,
        format!("{} · {}", node.name, l("党代表工作室", "Studios")),
        "nav.home",
        "/studios",
    );
    super::render_record(&RecordPage {
        c,
        facts: vec![
            (l("地区", "Place"), node.name.clone()),
            (l("工作室", "Studios"), total.to_string()),
            (l("页", "Page"), format!("{} / {}", pager.page, pager.pages)),
        ],
        stats: vec![],
        tables: vec![studios_table(ctx, &rows), figures_table],
        links,
        forms,
    })
}

/// `GET /studios`.
pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    list_page(&state, &ctx, &q, None).await
}

/// `POST /studios`.
pub async fn create(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let n = NewStudio {
            place_id: data.int("place_id", "所在地", "Place")?,
            name: data.get("name").into(),
            address: data.opt("address"),
            rule: data.get("rule").into(),
            since: data.get("since").into(),
            starts: data.get("starts").into(),
            ends: data.get("ends").into(),
        };
        let st = state
            .store
            .create_studio(&ctx.actor, &ctx.scope, &n, state.now())
            .await?;
        Ok::<_, AppError>(format!("/studios/{}", st.id))
    }
    .await;
    let q = ListQuery::default();
    saved(r, "studio", data, ctx.lang, |fb| {
        list_page(&state, &ctx, &q, Some(fb))
    })
    .await
}

pub(super) async fn studio_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    page: i64,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let st = s.studio(&ctx.scope, id).await?;
    let reps = s.studio_reps(&ctx.scope, id).await?;
    let (recs, total) = s
        .receptions(&ctx.scope, Some(id), None, Page::new(Some(page), Some(50)))
        .await?;
    let today = day_of(state.now());
    let next = st.duty()?.next_days(&today, 6)?;
    let reps_table = Table {
        caption: l("进站党代表", "Representatives"),
        headers: vec![
            l("编号", "No."),
            l("姓名", "Name"),
            l("所在党组织", "Organisation"),
            l("进站日期", "From"),
            l("离站日期", "Until"),
            l("接待日历", "Calendar"),
        ],
        rows: reps
            .iter()
            .map(|r| {
                vec![
                    Cell::text(r.id.to_string()),
                    Cell::link(&r.name, format!("/members/{}", r.member_id)),
                    Cell::text(r.org_name.clone()),
                    Cell::text(r.from_on.clone()),
                    Cell::text(r.until_on.clone().unwrap_or_else(|| l("在站", "sitting"))),
                    Cell::link("duty.ics", format!("/members/{}/duty.ics", r.member_id)),
                ]
            })
            .collect(),
        empty: l("尚无进站党代表", "No representatives yet"),
    };
    let sitting: Vec<(String, String)> = reps
        .iter()
        .filter(|r| r.until_on.is_none())
        .map(|r| (r.member_id.to_string(), r.name.clone()))
        .collect();
    // Pickers, not numbers: the seats to end, and the villages below a town's studio.
    let seats: Vec<(String, String)> = reps
        .iter()
        .filter(|r| r.until_on.is_none())
        .map(|r| (r.id.to_string(), format!("{}（{}进站）", r.name, r.from_on)))
        .collect();
    let mut villages = vec![(
        String::new(),
        l("工作室所在村（社区）", "The studio's own village"),
    )];
    let below = jiceng_store::places::PlaceFilter {
        under: Some(s.place(&ctx.scope, st.place_id).await?),
        ..Default::default()
    };
    let (children, _) = s
        .places(&ctx.scope, &below, Page::new(None, Some(500)))
        .await?;
    villages.extend(
        children
            .iter()
            .filter(|p| matches!(p.kind.as_str(), "village" | "community"))
            .map(|p| (p.id.to_string(), p.name.clone())),
    );
    let last_duty = st
        .duty()?
        .days_between(&st.since_on, &today, 2000)?
        .pop()
        .unwrap_or_else(|| today.clone());
    let mut forms = vec![
        Form::new(
            "reception",
            format!("/studios/{id}/receptions"),
            l("登记接待", "Record a reception"),
            l("登记", "Record"),
        )
        .field(
            Field::new(
                "member_id",
                l("接待党代表", "Representative"),
                FieldKind::Select(sitting),
            )
            .required(),
        )
        .field(
            Field::new("held_on", l("接待日期", "Date"), FieldKind::Date)
                .value(last_duty)
                .required(),
        )
        .field(
            Field::new(
                "residents",
                l("接待群众（人）", "Residents"),
                FieldKind::Number,
            )
            .value("1")
            .required(),
        )
        .field(
            Field::new(
                "raised",
                l("群众反映事项", "What was raised"),
                FieldKind::LongText,
            )
            .required(),
        )
        .field(Field::new(
            "to_problem",
            l("转入问题清单", "Put on the problem list"),
            FieldKind::Checkbox,
        ))
        .field(Field::new(
            "problem_place_id",
            l(
                "问题所在村（社区）（工作室在镇时选择）",
                "Village (studio at a town)",
            ),
            FieldKind::Select(villages),
        ))
        .note(l(
            "只能登记接待日当天、该党代表在站期间的接待；不能登记未来日期。",
            "Only duty days on which the representative sat in the studio; not the future.",
        )),
        Form::new(
            "rep",
            format!("/studios/{id}/reps"),
            l("党代表进站", "Seat a representative"),
            l("进站", "Seat"),
        )
        .field(
            Field::new(
                "member_id",
                l("党员姓名（同名时填编号）", "Member's name (or number)"),
                FieldKind::Text,
            )
            .hint(l(
                "在本工作室所在地区的党员名册中查找",
                "Looked up in the register of the studio's area",
            ))
            .required(),
        )
        .field(
            Field::new("from_on", l("进站日期", "From"), FieldKind::Date)
                .value(today.clone())
                .required(),
        ),
        Form::new(
            "end",
            format!("/studios/{id}/reps/end"),
            l("党代表离站", "End a seat"),
            l("离站", "End"),
        )
        .field(
            Field::new(
                "rep_id",
                l("党代表", "Representative"),
                FieldKind::Select(seats),
            )
            .required(),
        )
        .field(
            Field::new("until_on", l("离站日期", "Until"), FieldKind::Date)
                .value(today.clone())
                .required(),
        ),
        super::studio_edit::edit_form(ctx, &st),
    ];
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let pager = Pager::new(&format!("/studios/{id}"), page, 50, total);
    let mut links = vec![
        (
            l("接待日历（iCalendar）", "Duty calendar (.ics)"),
            format!("/studios/{id}/duty.ics"),
        ),
        (
            l("导出接待记录（Excel）", "Export receptions (.xlsx)"),
            format!("/studios/receptions.xlsx?studio={id}"),
        ),
        (
            l("全部工作室", "All studios"),
            format!("/studios?under={}", st.place_id),
        ),
    ];
    links.extend(pager.links(ctx.lang));
    let c = Chrome::new(ctx, st.name.clone(), "nav.home", &format!("/studios/{id}"));
    super::render_record(&RecordPage {
        c,
        facts: vec![
            (l("所在地", "Place"), st.place_name.clone()),
            (l("地址", "Address"), st.address.clone().unwrap_or_default()),
            (l("接待日规则", "Duty rule"), st.rrule.clone()),
            (
                l("接待时间（北京时间）", "Hours (Beijing)"),
                format!("{}–{}", st.starts_at, st.ends_at),
            ),
            (l("近期接待日", "Next duty days"), next.join("、")),
            (l("接待记录", "Receptions"), total.to_string()),
        ],
        stats: vec![],
        tables: vec![reps_table, receptions_table(ctx, &recs)],
        links,
        forms,
    })
}

/// `GET /studios/{id}`.
pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    studio_page(&state, &ctx, id, q.page(), None).await
}

/// `POST /studios/{id}/reps`.
pub async fn add_rep(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let st = state.store.studio(&ctx.scope, id).await?;
        let area = state.store.place(&ctx.scope, st.place_id).await?;
        let member = data.member(&state.store, &ctx, &area, "member_id").await?;
        state
            .store
            .add_rep(
                &ctx.actor,
                &ctx.scope,
                id,
                member,
                data.get("from_on"),
                state.now(),
            )
            .await?;
        Ok::<_, AppError>(format!("/studios/{id}"))
    }
    .await;
    saved(r, "rep", data, ctx.lang, |fb| {
        studio_page(&state, &ctx, id, 1, Some(fb))
    })
    .await
}

/// `POST /studios/{id}/reps/end`.
pub async fn end_rep(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let rep = data.int("rep_id", "编号", "No.")?;
        // The seat must be one of this studio's (a seat of another studio is not found here).
        let reps = state.store.studio_reps(&ctx.scope, id).await?;
        if !reps.iter().any(|x| x.id == rep) {
            return Err(AppError::NotFound);
        }
        state
            .store
            .end_rep(
                &ctx.actor,
                &ctx.scope,
                rep,
                data.get("until_on"),
                state.now(),
            )
            .await?;
        Ok::<_, AppError>(format!("/studios/{id}"))
    }
    .await;
    saved(r, "end", data, ctx.lang, |fb| {
        studio_page(&state, &ctx, id, 1, Some(fb))
    })
    .await
}

/// `POST /studios/{id}/receptions`.
pub async fn receive(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let n = NewReception {
            studio_id: id,
            member_id: data.int("member_id", "接待党代表", "Representative")?,
            held_on: data.get("held_on").into(),
            residents: data.int("residents", "接待群众人数", "Residents")?,
            raised: data.get("raised").into(),
            to_problem: data.flag("to_problem"),
            problem_place_id: match data.opt("problem_place_id") {
                Some(_) => Some(data.int("problem_place_id", "村（社区）编号", "Village id")?),
                None => None,
            },
        };
        let now = state.now();
        state
            .store
            .record_reception(&ctx.actor, &ctx.scope, &n, &day_of(now), now)
            .await?;
        Ok::<_, AppError>(format!("/studios/{id}"))
    }
    .await;
    saved(r, "reception", data, ctx.lang, |fb| {
        studio_page(&state, &ctx, id, 1, Some(fb))
    })
    .await
}

/// `GET /studios/export.xlsx?under=`: the list's studios.
pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let under = match q.under_id() {
        Some(pid) => Some(state.store.place(&ctx.scope, pid).await?.prefix()),
        None => None,
    };
    let mut all = Vec::new();
    for n in 1.. {
        let (rows, _) = state
            .store
            .studios(&ctx.scope, under.as_deref(), crate::xlsx::batch(n))
            .await?;
        let more = crate::xlsx::more(n, rows.len());
        all.extend(rows);
        if !more {
            break;
        }
    }
    crate::xlsx::tables("studios", &[studios_table(&ctx, &all)])
}

#[derive(serde::Deserialize, Default)]
pub struct ReceptionQuery {
    under: Option<String>,
    studio: Option<String>,
}

/// `GET /studios/receptions.xlsx?under=&studio=`: receptions with the page's filters.
pub async fn receptions_export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ReceptionQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let under = match q.under.as_deref().and_then(|u| u.parse().ok()) {
        Some(pid) => Some(state.store.place(&ctx.scope, pid).await?.prefix()),
        None => None,
    };
    let studio = match q.studio.as_deref().and_then(|u| u.parse().ok()) {
        Some(sid) => Some(state.store.studio(&ctx.scope, sid).await?.id),
        None => None,
    };
    let mut all = Vec::new();
    for n in 1.. {
        let (rows, _) = state
            .store
            .receptions(&ctx.scope, studio, under.as_deref(), crate::xlsx::batch(n))
            .await?;
        let more = crate::xlsx::more(n, rows.len());
        all.extend(rows);
        if !more {
            break;
        }
    }
    crate::xlsx::tables("receptions", &[receptions_table(&ctx, &all)])
}
