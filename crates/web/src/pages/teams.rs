//! Stationed teams (驻点, issue 5): the list of teams under a place with their progress and the
//! figures per place (items and items done over the last twelve months, from the roll-ups); a
//! team's page with its people, villages and checklist (filters: village, status, overdue), the
//! forms to assign a village, add an item and move an item; .xlsx exports of teams and of
//! checklist items with the page's filters.

use super::pick::find_member;
use super::{FormData, Id, Q, RecordPage, saved};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Pager, Table};
use axum::extract::State;
use axum::response::Response;
use jiceng_domain::team::ItemStatus;
use jiceng_store::places::Place;
use jiceng_store::sql::Page;
use jiceng_store::teams::{Item, ItemFilter, NewTeam, Person, Team};

#[derive(serde::Deserialize, Default)]
pub struct TeamQuery {
    under: Option<String>,
    team: Option<String>,
    village: Option<String>,
    status: Option<String>,
    overdue: Option<String>,
    page: Option<String>,
}

impl TeamQuery {
    fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
    }
    fn filter(&self, today: &str) -> ItemFilter {
        ItemFilter {
            team_id: self.team.as_deref().and_then(|t| t.parse().ok()),
            village_id: self.village.as_deref().and_then(|v| v.parse().ok()),
            status: self.status.as_deref().and_then(ItemStatus::parse),
            overdue_on: (self.overdue.as_deref() == Some("on")).then(|| today.to_string()),
        }
    }
}

fn per_mille(done: i64, all: i64) -> String {
    if all == 0 {
        "—".into()
    } else {
        format!("{}%", done * 100 / all)
    }
}

fn teams_table(ctx: &Ctx, rows: &[Team]) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption: l("驻点工作队", "Stationed teams"),
        headers: vec![
            l("工作队", "Team"),
            l("派出单位", "Sent by"),
            l("队长", "Leader"),
            l("事项", "Items"),
            l("已完成", "Done"),
            l("完成率", "Progress"),
        ],
        rows: rows
            .iter()
            .map(|t| {
                vec![
                    Cell::link(&t.name, format!("/teams/{}", t.id)),
                    Cell::text(t.place_name.clone()),
                    Cell::text(t.leader.clone().unwrap_or_default()),
                    Cell::text(t.items.to_string()),
                    Cell::text(t.done.to_string()),
                    Cell::text(per_mille(t.done, t.items)),
                ]
            })
            .collect(),
        empty: l("尚无驻点工作队", "No teams yet"),
    }
}

fn items_table(ctx: &Ctx, rows: &[Item], today: &str) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption: l("驻点任务清单", "Checklist"),
        headers: vec![
            l("编号", "No."),
            l("工作队", "Team"),
            l("驻点村", "Village"),
            l("事项", "Item"),
            l("完成时限", "Due"),
            l("状态", "Status"),
            l("完成佐证", "Evidence"),
            l("完成日期", "Done on"),
        ],
        rows: rows
            .iter()
            .map(|i| {
                let mut status = ItemStatus::parse(&i.status)
                    .map_or("—", ItemStatus::zh)
                    .to_string();
                if i.status != "done" && i.due_on.as_str() < today {
                    status.push_str("（逾期）");
                }
                vec![
                    Cell::text(i.id.to_string()),
                    Cell::link(&i.team_name, format!("/teams/{}", i.team_id)),
                    Cell::text(i.village.clone()),
                    Cell::text(i.title.clone()),
                    Cell::text(i.due_on.clone()),
                    Cell::text(status),
                    Cell::text(i.evidence.clone().unwrap_or_default()),
                    Cell::text(i.done_on.clone().unwrap_or_default()),
                ]
            })
            .collect(),
        empty: l("没有符合条件的事项", "No items"),
    }
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    q: &TeamQuery,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let under = q.under.as_deref().and_then(|u| u.parse().ok());
    let node = s
        .place(&ctx.scope, under.unwrap_or(ctx.user.place_id))
        .await?;
    let page = q.page();
    let (rows, total) = s
        .teams(
            &ctx.scope,
            Some(&node.prefix()),
            Page::new(Some(page), Some(50)),
        )
        .await?;
    let today = day_of(state.now());
    let months = super::studios::last_months(&today);
    let figures = s.team_figures(&ctx.scope, node.id, &months).await?;
    let figures_table = Table {
        caption: l(
            "驻点任务完成情况（近12个月到期）",
            "Items due in the last 12 months",
        ),
        headers: vec![
            l("地区", "Place"),
            l("事项", "Items"),
            l("已完成", "Done"),
            l("完成率", "Progress"),
        ],
        rows: figures
            .iter()
            .map(|(id, name, n, done)| {
                vec![
                    Cell::link(name, format!("/teams?under={id}")),
                    Cell::text(n.to_string()),
                    Cell::text(done.to_string()),
                    Cell::text(per_mille(*done, *n)),
                ]
            })
            .collect(),
        empty: String::new(),
    };
    let mut forms = vec![
        Form::new(
            "team",
            "/teams",
            l("新建驻点工作队", "New team"),
            l("新建", "Create"),
        )
        .field(Field::new("name", l("工作队名称", "Name"), FieldKind::Text).required())
        .field(
            Field::new("leader", l("队长姓名", "Leader's name"), FieldKind::Text).required(),
        )
        .field(Field::new(
            "members",
            l("队员姓名（用逗号分隔）", "Members' names (comma-separated)"),
            FieldKind::Text,
        ))
        .note(l(
            "姓名在本地党员名册中的，按名册党员登记（同名时请填写党员编号）；不在名册中的，按所填姓名登记。",
            "A name found in the local register is taken as that member (give the number when two share it); any other name is kept as written.",
        ))
        .note(format!("{}{}", l("派出单位：", "Sent by: "), node.name)),
    ];
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let pager = Pager::new(&format!("/teams?under={}", node.id), page, 50, total);
    let mut links = vec![
        (
            l("导出工作队（Excel）", "Export teams (.xlsx)"),
            format!("/teams/export.xlsx?under={}", node.id),
        ),
        (
            l("导出逾期事项（Excel）", "Export overdue items (.xlsx)"),
            "/teams/items.xlsx?overdue=on".to_string(),
        ),
        (
            l("导出任务清单（Excel）", "Export checklist (.xlsx)"),
            "/teams/items.xlsx".to_string(),
        ),
    ];
    links.extend(pager.links(ctx.lang));
    let c = Chrome::new(
        ctx,
        format!("{} · {}", node.name, l("驻点工作队", "Stationed teams")),
        "nav.home",
        "/teams",
    );
    super::render_record(&RecordPage {
        c,
        facts: vec![
            (l("地区", "Place"), node.name.clone()),
            (l("工作队", "Teams"), total.to_string()),
        ],
        stats: vec![],
        tables: vec![teams_table(ctx, &rows), figures_table],
        links,
        forms,
    })
}

pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<TeamQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    list_page(&state, &ctx, &q, None).await
}

/// A team member as typed: a register member's number, a name found once in the register of
/// `area`, or anybody else's name.
async fn person(
    state: &AppState,
    ctx: &Ctx,
    area: &Place,
    text: &str,
    k: &'static str,
) -> Result<Person, AppError> {
    let text = text.trim();
    if let Ok(id) = text.parse::<i64>() {
        return Ok(Person::Member(id));
    }
    Ok(match find_member(&state.store, ctx, area, text, k).await? {
        Some(id) => Person::Member(id),
        None => Person::Name(text.to_string()),
    })
}

pub async fn create(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let area = state.store.place(&ctx.scope, ctx.user.place_id).await?;
        let leader = person(&state, &ctx, &area, data.get("leader"), "leader").await?;
        let mut members = Vec::new();
        for x in data.get("members").split([',', '，', '、']) {
            if !x.trim().is_empty() {
                members.push(person(&state, &ctx, &area, x, "members").await?);
            }
        }
        let n = NewTeam {
            place_id: ctx.user.place_id,
            name: data.get("name").into(),
            leader,
            members,
        };
        let t = state
            .store
            .create_team(&ctx.actor, &ctx.scope, &n, state.now())
            .await?;
        Ok::<_, AppError>(format!("/teams/{}", t.id))
    }
    .await;
    let q = TeamQuery::default();
    saved(r, "team", data, ctx.lang, |fb| {
        list_page(&state, &ctx, &q, Some(fb))
    })
    .await
}

async fn team_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    q: &TeamQuery,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let t = s.team(&ctx.scope, id).await?;
    let people = s.team_people(&ctx.scope, id).await?;
    let villages = s.team_villages(&ctx.scope, id).await?;
    let today = day_of(state.now());
    let mut f = q.filter(&today);
    f.team_id = Some(t.id);
    let page = q.page();
    let (items, total) = s
        .team_items(&ctx.scope, &f, Page::new(Some(page), Some(50)))
        .await?;
    let overdue = ItemFilter {
        team_id: Some(t.id),
        overdue_on: Some(today.clone()),
        ..Default::default()
    };
    let (_, overdue_n) = s
        .team_items(&ctx.scope, &overdue, Page::new(None, Some(1)))
        .await?;
    let village_opts: Vec<(String, String)> = villages
        .iter()
        .map(|(id, n, _, _)| (id.to_string(), n.clone()))
        .collect();
    // Pickers, not numbers: the open items listed below, and the villages of the team's area.
    let open_items: Vec<(String, String)> = items
        .iter()
        .filter(|i| i.status != ItemStatus::Done.as_str())
        .map(|i| {
            (
                i.id.to_string(),
                format!("{} · {} · {}", i.id, i.village, i.title),
            )
        })
        .collect();
    let area = jiceng_store::places::PlaceFilter {
        under: Some(s.place(&ctx.scope, t.place_id).await?),
        ..Default::default()
    };
    let (children, _) = s
        .places(&ctx.scope, &area, Page::new(None, Some(500)))
        .await?;
    let below: Vec<(String, String)> = children
        .iter()
        .filter(|p| matches!(p.kind.as_str(), "village" | "community"))
        .map(|p| (p.id.to_string(), p.name.clone()))
        .collect();
    let statuses: Vec<(String, String)> = ItemStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), s.zh().to_string()))
        .collect();
    let mut forms = vec![
        Form::new(
            "item_status",
            format!("/teams/{id}/items/status"),
            l("更新事项状态", "Move an item"),
            l("更新", "Save"),
        )
        .field(
            Field::new(
                "item_id",
                l("事项（本页未完成的）", "Item (open ones on this page)"),
                FieldKind::Select(open_items),
            )
            .required(),
        )
        .field(
            Field::new(
                "status",
                l("新状态", "New status"),
                FieldKind::Select(statuses[1..].to_vec()),
            )
            .required(),
        )
        .field(Field::new(
            "evidence",
            l("完成佐证（已完成时必填）", "Evidence (needed when done)"),
            FieldKind::LongText,
        ))
        .field(
            Field::new("on_date", l("日期", "Date"), FieldKind::Date)
                .value(today.clone())
                .required(),
        ),
        Form::new(
            "item",
            format!("/teams/{id}/items"),
            l("增加任务事项", "Add an item"),
            l("增加", "Add"),
        )
        .field(
            Field::new(
                "place_id",
                l("驻点村", "Village"),
                FieldKind::Select(village_opts.clone()),
            )
            .required(),
        )
        .field(Field::new("title", l("事项", "Item"), FieldKind::Text).required())
        .field(Field::new("due_on", l("完成时限", "Due"), FieldKind::Date).required()),
        Form::new(
            "assign",
            format!("/teams/{id}/villages"),
            l("登记驻点村", "Assign a village"),
            l("登记", "Assign"),
        )
        .field(
            Field::new(
                "place_id",
                l("村（社区）", "Village"),
                FieldKind::Select(below),
            )
            .required(),
        )
        .field(
            Field::new("from_on", l("开始日期", "From"), FieldKind::Date)
                .value(today.clone())
                .required(),
        )
        .field(Field::new(
            "until_on",
            l("结束日期", "Until"),
            FieldKind::Date,
        )),
    ];
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let mut people_rows = Vec::new();
    for (m, name, leader) in &people {
        let who = match m {
            Some(mid) => Cell::link(name, format!("/members/{mid}")),
            None => Cell::text(name.clone()),
        };
        people_rows.push(vec![
            who,
            Cell::text(if *leader {
                l("队长", "Leader")
            } else {
                l("队员", "Member")
            }),
        ]);
    }
    let people_table = Table {
        caption: l("队员", "People"),
        headers: vec![l("姓名", "Name"), l("职务", "Role")],
        rows: people_rows,
        empty: String::new(),
    };
    let villages_table = Table {
        caption: l("驻点村", "Villages"),
        headers: vec![
            l("村（社区）", "Village"),
            l("开始", "From"),
            l("结束", "Until"),
            l("任务", "Checklist"),
        ],
        rows: villages
            .iter()
            .map(|(vid, n, from, until)| {
                vec![
                    Cell::text(n.clone()),
                    Cell::text(from.clone()),
                    Cell::text(until.clone().unwrap_or_default()),
                    Cell::link(l("查看", "View"), format!("/teams/{id}?village={vid}")),
                ]
            })
            .collect(),
        empty: l("尚未登记驻点村", "No villages yet"),
    };
    let qs = format!(
        "village={}&status={}&overdue={}",
        q.village.clone().unwrap_or_default(),
        q.status.clone().unwrap_or_default(),
        q.overdue.clone().unwrap_or_default()
    );
    let pager = Pager::new(&format!("/teams/{id}?{qs}"), page, 50, total);
    let mut links = vec![
        (
            l("只看逾期", "Overdue only"),
            format!("/teams/{id}?overdue=on"),
        ),
        (
            l("导出任务清单（Excel）", "Export checklist (.xlsx)"),
            format!("/teams/items.xlsx?team={id}&{qs}"),
        ),
        (
            l("全部工作队", "All teams"),
            format!("/teams?under={}", t.place_id),
        ),
    ];
    links.extend(pager.links(ctx.lang));
    let c = Chrome::new(ctx, t.name.clone(), "nav.home", &format!("/teams/{id}"));
    super::render_record(&RecordPage {
        c,
        facts: vec![
            (l("派出单位", "Sent by"), t.place_name.clone()),
            (l("队长", "Leader"), t.leader.clone().unwrap_or_default()),
            (
                l("完成进度", "Progress"),
                format!("{}/{}（{}）", t.done, t.items, per_mille(t.done, t.items)),
            ),
            (l("逾期事项", "Overdue"), overdue_n.to_string()),
        ],
        stats: vec![],
        tables: vec![
            people_table,
            villages_table,
            items_table(ctx, &items, &today),
        ],
        links,
        forms,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    Q(q): Q<TeamQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    team_page(&state, &ctx, id, &q, None).await
}

pub async fn assign(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let v = data.int("place_id", "村（社区）编号", "Village id")?;
        let until = data.opt("until_on");
        state
            .store
            .assign_team(
                &ctx.actor,
                &ctx.scope,
                id,
                v,
                data.get("from_on"),
                until.as_deref(),
                state.now(),
            )
            .await?;
        Ok::<_, AppError>(format!("/teams/{id}"))
    }
    .await;
    let q = TeamQuery::default();
    saved(r, "assign", data, ctx.lang, |fb| {
        team_page(&state, &ctx, id, &q, Some(fb))
    })
    .await
}

pub async fn add_item(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let v = data.int("place_id", "驻点村", "Village")?;
        state
            .store
            .add_team_item(
                &ctx.actor,
                &ctx.scope,
                id,
                v,
                data.get("title"),
                data.get("due_on"),
                state.now(),
            )
            .await?;
        Ok::<_, AppError>(format!("/teams/{id}"))
    }
    .await;
    let q = TeamQuery::default();
    saved(r, "item", data, ctx.lang, |fb| {
        team_page(&state, &ctx, id, &q, Some(fb))
    })
    .await
}

pub async fn move_item(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let item = data.int("item_id", "事项编号", "Item no.")?;
        // The item must be this team's (another team's is not found here).
        if state.store.team_item(&ctx.scope, item).await?.team_id != id {
            return Err(AppError::NotFound);
        }
        let to = ItemStatus::parse(data.get("status")).ok_or_else(|| {
            AppError::bad(
                "request.invalid_form",
                "提交的表单格式不正确",
                "The form could not be read",
            )
        })?;
        let now = state.now();
        state
            .store
            .set_item_status(
                &ctx.actor,
                &ctx.scope,
                item,
                to,
                data.get("evidence"),
                data.get("on_date"),
                &day_of(now),
                now,
            )
            .await?;
        Ok::<_, AppError>(format!("/teams/{id}"))
    }
    .await;
    let q = TeamQuery::default();
    saved(r, "item_status", data, ctx.lang, |fb| {
        team_page(&state, &ctx, id, &q, Some(fb))
    })
    .await
}

/// `GET /teams/export.xlsx?under=`.
pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<TeamQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let under = match q.under.as_deref().and_then(|u| u.parse().ok()) {
        Some(pid) => Some(state.store.place(&ctx.scope, pid).await?.prefix()),
        None => None,
    };
    let mut all = Vec::new();
    for n in 1.. {
        let (rows, _) = state
            .store
            .teams(&ctx.scope, under.as_deref(), crate::xlsx::batch(n))
            .await?;
        let more = crate::xlsx::more(n, rows.len());
        all.extend(rows);
        if !more {
            break;
        }
    }
    crate::xlsx::tables("teams", &[teams_table(&ctx, &all)])
}

/// `GET /teams/items.xlsx?team=&village=&status=&overdue=`: the checklist with the page's filters.
pub async fn items_export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<TeamQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let today = day_of(state.now());
    let f = q.filter(&today);
    if let Some(t) = f.team_id {
        state.store.team(&ctx.scope, t).await?;
    }
    let mut all = Vec::new();
    for n in 1.. {
        let (rows, _) = state
            .store
            .team_items(&ctx.scope, &f, crate::xlsx::batch(n))
            .await?;
        let more = crate::xlsx::more(n, rows.len());
        all.extend(rows);
        if !more {
            break;
        }
    }
    crate::xlsx::tables("checklist", &[items_table(&ctx, &all, &today)])
}
