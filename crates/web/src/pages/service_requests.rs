//! Service requests for the centre's staff (issue 5 item 4): the list under a node with its
//! filters (status, 逾期 overdue now, item, channel, words, name or phone), its .xlsx export, the
//! desk form that takes a request (accepted at once, tracking code shown once); a request's page
//! with its history and the moves its status allows; the applicant's name and phone shown only by
//! an audited reveal; figures per node and month from the roll-ups, each linking to its list.

use super::places::crumbs;
use super::problems::handles;
use super::{FormData, Id, ListPage, Q, RecordPage, saved};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Pager, Table, query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_domain::service::{Move, Status, group_zh};
use jiceng_store::places::Place;
use jiceng_store::services::{NewRequest, RequestFilter, RequestRow};
use jiceng_store::sql::Page;
use serde::Deserialize;

const PER_PAGE: i64 = 50;

#[derive(Debug, Deserialize, Default, Clone)]
pub struct RequestQuery {
    pub under: Option<String>,
    pub status: Option<String>,
    /// `on`: overdue now.
    pub overdue: Option<String>,
    pub item: Option<String>,
    pub channel: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    /// Figures: how many months back (1–24).
    pub months: Option<String>,
}

impl RequestQuery {
    fn qs(&self) -> String {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let (u, s, d, i, c, q) = (
            o(&self.under),
            o(&self.status),
            o(&self.overdue),
            o(&self.item),
            o(&self.channel),
            o(&self.q),
        );
        query(&[
            ("under", &u),
            ("status", &s),
            ("overdue", &d),
            ("item", &i),
            ("channel", &c),
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

/// The node the list is for (the caller's own place by default), read within scope.
pub async fn node(state: &AppState, ctx: &Ctx, under: &Option<String>) -> Result<Place, AppError> {
    let id = under
        .as_deref()
        .and_then(|u| u.parse().ok())
        .unwrap_or(ctx.user.place_id);
    Ok(state.store.place(&ctx.scope, id).await?)
}

async fn filter(
    state: &AppState,
    ctx: &Ctx,
    q: &RequestQuery,
) -> Result<(Place, RequestFilter), AppError> {
    let node = node(state, ctx, &q.under).await?;
    let status = q.status.as_deref().and_then(Status::parse);
    Ok((
        node.clone(),
        RequestFilter {
            under: Some(node.prefix()),
            status,
            open: q.status.as_deref() == Some("open"),
            overdue_on: (q.overdue.as_deref() == Some("on")).then(|| day_of(state.now())),
            item_id: q.item.as_deref().and_then(|i| i.parse().ok()),
            channel: q.channel.clone().filter(|c| c == "desk" || c == "online"),
            q: q.q.clone().filter(|s| !s.trim().is_empty()),
        },
    ))
}

pub fn status_zh(s: &str) -> &'static str {
    Status::parse(s).map_or("—", Status::zh)
}

fn channel_zh(c: &str) -> &'static str {
    if c == "online" {
        "网上申请"
    } else {
        "窗口受理"
    }
}

/// The list's table (the page's and the export's): masked names and phones only.
fn requests_table(ctx: &Ctx, rows: &[RequestRow], caption: String, today: &str) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption,
        headers: vec![
            l("编号", "No."),
            l("服务中心", "Centre"),
            l("事项", "Item"),
            l("申请人", "Applicant"),
            l("电话", "Phone"),
            l("渠道", "Channel"),
            l("状态", "Status"),
            l("申请日期", "Filed"),
            l("办结时限", "Due"),
            l("办结日期", "Finished"),
            l("逾期", "Overdue"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                let now_overdue = r.state().is_ok_and(|s| s.is_overdue(today));
                let flag = match (now_overdue, r.overdue == 1) {
                    (true, _) => l("已逾期", "Overdue"),
                    (false, true) => l("曾逾期", "Was overdue"),
                    _ => String::new(),
                };
                vec![
                    Cell::link(format!("#{}", r.id), format!("/service-requests/{}", r.id)),
                    Cell::text(r.place_name.clone()),
                    Cell::link(&r.item_name, format!("/service-requests/{}", r.id)),
                    Cell::text(r.name_masked.clone()),
                    Cell::text(r.phone_masked.clone()),
                    Cell::text(channel_zh(&r.channel)),
                    Cell::text(status_zh(&r.status)),
                    Cell::text(r.filed_on.clone()),
                    Cell::text(r.due_on.clone().unwrap_or_default()),
                    Cell::text(r.finished_on.clone().unwrap_or_default()),
                    Cell::text(flag),
                ]
            })
            .collect(),
        empty: l("没有符合条件的办件", "No requests match"),
    }
}

/// The items offered at the caller's centre: (id, "name（N个工作日）").
async fn item_options(state: &AppState, place: &Place) -> Result<Vec<(String, String)>, AppError> {
    Ok(state
        .store
        .service_items_at(&place.code, false)
        .await?
        .into_iter()
        .map(|i| {
            let g = group_zh(&i.grp).unwrap_or("");
            (i.id.to_string(), format!("【{g}】{}", i.name))
        })
        .collect())
}

fn desk_form(ctx: &Ctx, items: Vec<(String, String)>) -> Form {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Form::new(
        "desk",
        "/service-requests",
        l("窗口受理", "Take a request at the desk"),
        l("受理", "Accept"),
    )
    .field(Field::new("item_id", l("服务事项", "Item"), FieldKind::Select(items)).required())
    .field(
        Field::new(
            "name",
            l("申请人姓名（加密保存）", "Applicant (sealed)"),
            FieldKind::Text,
        )
        .required(),
    )
    .field(
        Field::new(
            "phone",
            l("联系电话（加密保存）", "Phone (sealed)"),
            FieldKind::Text,
        )
        .required()
        .autocomplete("off"),
    )
    .field(
        Field::new(
            "summary",
            l("办理事项说明", "What is asked"),
            FieldKind::LongText,
        )
        .hint(l(
            "请勿填写身份证号、银行卡号等个人信息（此栏不加密）",
            "No ID or bank numbers here (this field is not sealed)",
        ))
        .required(),
    )
    .note(l(
        "受理后显示查询码，请告知群众凭码查询进度（查询码只显示一次）。",
        "The tracking code is shown once: give it to the applicant.",
    ))
}

pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<RequestQuery>,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    list_page(&state, &ctx, &q, None, None).await
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    q: &RequestQuery,
    fb: Option<Feedback>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let (node, f) = filter(state, ctx, q).await?;
    let page = Page::new(Some(q.page()), Some(PER_PAGE));
    let (rows, total) = state.store.service_requests(&ctx.scope, &f, page).await?;
    let own = state.store.place(&ctx.scope, ctx.user.place_id).await?;
    let items = item_options(state, &own).await?;
    let mut forms = vec![desk_form(ctx, items.clone())];
    let status = match fb {
        Some(fb) => {
            fb.apply(&mut forms);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        None => StatusCode::OK,
    };
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut statuses = vec![
        (String::new(), l("全部", "All")),
        ("open".to_string(), l("未办结", "Open")),
    ];
    statuses.extend(
        Status::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), s.zh().to_string())),
    );
    let mut item_filter = vec![(String::new(), l("全部", "All"))];
    item_filter.extend(items);
    let channels = vec![
        (String::new(), l("全部", "All")),
        ("desk".to_string(), l("窗口受理", "Desk")),
        ("online".to_string(), l("网上申请", "Online")),
    ];
    let filters = vec![
        Field::new("under", "", FieldKind::Hidden).value(node.id.to_string()),
        Field::new(
            "q",
            l(
                "编号、申请人全名、电话或关键词",
                "No., full name, phone or words",
            ),
            FieldKind::Text,
        )
        .value(o(&q.q)),
        Field::new("status", l("状态", "Status"), FieldKind::Select(statuses)).value(o(&q.status)),
        Field::new("item", l("事项", "Item"), FieldKind::Select(item_filter)).value(o(&q.item)),
        Field::new("channel", l("渠道", "Channel"), FieldKind::Select(channels))
            .value(o(&q.channel)),
        Field::new(
            "overdue",
            l("只看逾期", "Overdue only"),
            FieldKind::Checkbox,
        )
        .value(o(&q.overdue)),
    ];
    let qs = q.qs();
    let title = if f.overdue_on.is_some() {
        format!("{} · {}", node.name, l("逾期办件", "Overdue requests"))
    } else {
        format!("{} · {}", node.name, l("服务办件", "Service requests"))
    };
    let mut c = Chrome::new(
        ctx,
        title.clone(),
        "nav.services",
        &format!("/service-requests?{qs}"),
    );
    c.crumbs = crumbs(state, ctx, &node).await?;
    c.notice = notice;
    let today = day_of(state.now());
    let page = ListPage {
        c,
        action: "/service-requests".into(),
        filters,
        table: requests_table(ctx, &rows, title, &today),
        pager: Pager::new(
            &format!("/service-requests?{qs}"),
            page.number,
            page.size,
            total,
        ),
        export: Some(format!("/service-requests/export.xlsx?{qs}")),
        links: vec![
            (
                l("逾期办件", "Overdue"),
                format!("/service-requests?under={}&overdue=on", node.id),
            ),
            (
                l("办件统计", "Figures"),
                format!("/service-requests/figures?under={}", node.id),
            ),
            (
                l("服务事项目录", "Catalogue"),
                format!("/services?under={}", node.id),
            ),
        ],
        forms,
    };
    super::render(status, &page)
}

/// `POST /service-requests`: the desk takes a request at the caller's own centre.
pub async fn file_desk(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let now = state.now();
    let r = async {
        let n = NewRequest {
            item_id: data.int("item_id", "服务事项", "Item")?,
            place_id: ctx.user.place_id,
            desk: true,
            name: data.get("name").into(),
            phone: data.get("phone").into(),
            summary: data.get("summary").into(),
        };
        Ok::<_, AppError>(
            state
                .store
                .file_service_request(&ctx.actor, &ctx.scope, &n, &day_of(now), now)
                .await?,
        )
    }
    .await;
    match r {
        Ok((row, code)) => {
            let notice = format!(
                "已受理 #{}，办结时限{}。查询码：{code}（只显示这一次，请告知申请人）",
                row.id,
                row.due_on.clone().unwrap_or_default()
            );
            request_page(&state, &ctx, row.id, None, None, Some(notice)).await
        }
        Err(e) => {
            let fb = Feedback::refusal("desk", data.0, e, ctx.lang)?;
            list_page(&state, &ctx, &RequestQuery::default(), Some(fb), None).await
        }
    }
}

fn move_form(ctx: &Ctx, id: i64, status: Status) -> Option<Form> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let moves: Vec<(String, String)> = Move::offered(status)
        .iter()
        .filter_map(|k| Move::parse(k, ""))
        .map(|m| (m.as_str().to_string(), m.zh().to_string()))
        .collect();
    if moves.is_empty() {
        return None;
    }
    Some(
        Form::new(
            "move",
            format!("/service-requests/{id}/move"),
            l("办理", "Next step"),
            l("提交", "Submit"),
        )
        .field(Field::new("move", l("下一步", "Step"), FieldKind::Select(moves)).required())
        .field(
            Field::new("note", l("说明", "Note"), FieldKind::LongText).hint(l(
                "补正材料须一次性写明所缺材料；不予受理须写明理由；办结可写办理结果。",
                "What is missing, why refused, or what was done.",
            )),
        ),
    )
}

async fn request_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
    applicant: Option<(String, String)>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let r = s.service_request(&ctx.scope, id).await?;
    let events = s.service_request_events(&ctx.scope, id).await?;
    let today = day_of(state.now());
    let st = r.state()?;
    let (name, phone) = applicant.unwrap_or((r.name_masked.clone(), r.phone_masked.clone()));
    let mut facts = vec![
        (l("服务中心", "Centre"), r.place_name.clone()),
        (
            l("事项", "Item"),
            format!(
                "【{}】{}（{}）",
                group_zh(&r.grp).unwrap_or(""),
                r.item_name,
                r.item_code
            ),
        ),
        (l("申请人", "Applicant"), name),
        (l("联系电话", "Phone"), phone),
        (l("办理事项说明", "What is asked"), r.summary.clone()),
        (l("渠道", "Channel"), channel_zh(&r.channel).into()),
        (l("状态", "Status"), status_zh(&r.status).into()),
        (l("申请日期", "Filed"), r.filed_on.clone()),
        (
            l("受理日期", "Accepted"),
            r.accepted_on.clone().unwrap_or_default(),
        ),
        (
            l("办理时限", "Time limit"),
            format!("{}{}", r.limit_days, l("个工作日", " working days")),
        ),
        (l("办结时限", "Due"), r.due_on.clone().unwrap_or_default()),
    ];
    if let Some(p) = &r.paused_on {
        facts.push((l("补正材料（暂停计时）自", "Paused since"), p.clone()));
    }
    if let Some(f) = &r.finished_on {
        facts.push((l("办结日期", "Finished"), f.clone()));
    }
    if st.is_overdue(&today) {
        facts.push((
            l("逾期", "Overdue"),
            l("已超过办结时限", "Past its due date"),
        ));
    }
    // A finished request offers no move.
    let mut forms: Vec<Form> = move_form(ctx, id, st.status).into_iter().collect();
    if ctx.role.manages_members() {
        forms.push(
            Form::new(
                "reveal",
                format!("/service-requests/{id}/reveal"),
                l(
                    "查看申请人完整信息（将记入审计日志）",
                    "Show the applicant (audited)",
                ),
                l("查看", "Show"),
            )
            .danger(),
        );
    }
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let history = Table {
        caption: l("办理经过", "History"),
        headers: vec![
            l("日期", "Date"),
            l("环节", "Step"),
            l("状态", "Status"),
            l("说明", "Note"),
            l("办结时限", "Due"),
            l("经办人", "By"),
        ],
        rows: events
            .iter()
            .map(|e| {
                vec![
                    Cell::text(e.on_date.clone()),
                    Cell::text(event_zh(&e.event)),
                    Cell::text(status_zh(&e.status)),
                    Cell::text(e.note.clone().unwrap_or_default()),
                    Cell::text(e.due_on.clone().unwrap_or_default()),
                    Cell::text(e.actor.clone()),
                ]
            })
            .collect(),
        empty: String::new(),
    };
    let mut c = Chrome::new(
        ctx,
        format!("{} #{}", l("服务办件", "Service request"), r.id),
        "nav.services",
        &format!("/service-requests/{id}"),
    );
    c.notice = notice;
    super::render_record(&RecordPage {
        c,
        facts,
        stats: vec![],
        tables: vec![history],
        links: vec![(
            l("返回办件列表", "Back to the list"),
            format!("/service-requests?under={}", r.place_id),
        )],
        forms,
    })
}

pub fn event_zh(e: &str) -> String {
    match e {
        "file" => "申请".into(),
        "overdue" => "超过办结时限".into(),
        other => Move::parse(other, "").map_or_else(|| other.to_string(), |m| m.zh().to_string()),
    }
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    request_page(&state, &ctx, id, None, None, None).await
}

pub async fn act(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let r = async {
        let m = Move::parse(data.get("move"), data.get("note")).ok_or_else(|| {
            AppError::bad(
                "request.invalid_form",
                "提交的表单格式不正确",
                "The form could not be read",
            )
        })?;
        let now = state.now();
        state
            .store
            .service_request_move(&ctx.actor, &ctx.scope, id, &m, &day_of(now), now)
            .await?;
        Ok::<_, AppError>(format!("/service-requests/{id}"))
    }
    .await;
    saved(r, "move", data, ctx.lang, |fb| {
        request_page(&state, &ctx, id, Some(fb), None, None)
    })
    .await
}

pub async fn reveal(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let who = state
        .store
        .reveal_service_applicant(&ctx.actor, &ctx.scope, id, state.now())
        .await?;
    request_page(&state, &ctx, id, None, Some(who), None).await
}

/// `GET /service-requests/export.xlsx`: the list with the page's filters, every page of it.
pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<RequestQuery>,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let (node, f) = filter(&state, &ctx, &q).await?;
    let mut all = Vec::new();
    for n in 1.. {
        let (rows, _) = state
            .store
            .service_requests(&ctx.scope, &f, crate::xlsx::batch(n))
            .await?;
        let more = crate::xlsx::more(n, rows.len());
        all.extend(rows);
        if !more {
            break;
        }
    }
    let caption = format!("{} 服务办件", node.name);
    let today = day_of(state.now());
    crate::xlsx::tables(
        "service-requests",
        &[requests_table(&ctx, &all, caption, &today)],
    )
}
