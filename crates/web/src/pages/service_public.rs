//! The service centre for residents (issue 5 item 4): no account, no JavaScript, large type, a
//! 360 px phone. A village's centre (`/service/{code}`, the code on the hall's poster) lists its
//! items by group with materials and time limits; an item open online is applied for in one form
//! and the tracking code is the next screen (three screens in all). `/service/track` shows a
//! request's status and history by its code; a wrong code is told nothing about whether it
//! exists. Applications and look-ups are counted per client address, like the voice pages.

use super::login::pre_csrf;
use super::service_requests::{event_zh, status_zh};
use super::voice_public::{is_village, village_by_code};
use crate::AppState;
use crate::auth::{Meta, PRE_CSRF_COOKIE, Resolved, resolve, set_cookie};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use jiceng_domain::PlaceKind;
use jiceng_domain::service::{GROUPS, Status};
use jiceng_store::places::{Place, PlaceFilter};
use jiceng_store::services::{Item, NewRequest};
use jiceng_store::sql::Page;
use jiceng_store::{Actor, Scope, StoreError};
use serde::Deserialize;

const HOUR: i64 = 3_600_000;
const NO_SUCH_CODE: &str = "查询码不正确，请核对后重新输入（查询码为10位字母和数字）";

pub struct ItemView {
    pub id: i64,
    pub name: String,
    pub limit: String,
    pub materials: Vec<String>,
    pub online: bool,
}

pub struct StatusView {
    pub village: String,
    pub item: String,
    pub filed_on: String,
    pub status: String,
    pub due_on: String,
    pub history: Vec<(String, String)>,
}

pub enum Screen {
    Choose {
        links: Vec<(String, String)>,
    },
    Catalogue {
        code: String,
        groups: Vec<(String, Vec<ItemView>)>,
    },
    Apply {
        action: String,
        item: String,
        limit: String,
        materials: Vec<String>,
        name: String,
        phone: String,
        summary: String,
    },
    Filed {
        code: String,
        village: String,
        item: String,
    },
    Track {
        code: String,
    },
    Status {
        view: StatusView,
    },
}

#[derive(Template)]
#[template(path = "service.html")]
pub struct ServicePage {
    title: String,
    csrf: String,
    notice: Option<String>,
    error: Option<String>,
    field_error: (String, String),
    screen: Screen,
}

impl ServicePage {
    fn new(title: impl Into<String>, csrf: String, screen: Screen) -> Self {
        Self {
            title: title.into(),
            csrf,
            notice: None,
            error: None,
            field_error: (String::new(), String::new()),
            screen,
        }
    }
}

async fn csrf_of(state: &AppState, meta: &Meta) -> Result<(String, bool), AppError> {
    if let Resolved::Ok(ctx) = resolve(meta, state).await? {
        return Ok((ctx.csrf.clone(), false));
    }
    Ok(pre_csrf(&meta.headers))
}

fn send(state: &AppState, status: StatusCode, page: &ServicePage, fresh: bool) -> Response {
    let html = match page.render() {
        Ok(h) => h,
        Err(e) => return PageError(AppError::from(e)).into_response(),
    };
    let mut res = (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response();
    if fresh
        && let Ok(h) = set_cookie(
            PRE_CSRF_COOKIE,
            &page.csrf,
            state.config.secure_cookies,
            None,
        )
        .parse()
    {
        res.headers_mut().append(header::SET_COOKIE, h);
    }
    res
}

fn too_many(what: &str) -> PageError {
    PageError(AppError::Bad {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: "service.too_many",
        zh: format!("{what}过于频繁，请一小时后再试；急事请直接到村（社区）党群服务中心办理"),
        en: "Too many attempts from this address; try again in an hour".into(),
    })
}

fn limit_zh(days: i64) -> String {
    if days == 0 {
        "即办（当场办结）".into()
    } else {
        format!("{days}个工作日")
    }
}

#[derive(Deserialize, Default)]
pub struct At {
    at: Option<String>,
}

/// `/service?at=`: the places from the top down to villages.
pub async fn choose(
    State(state): State<AppState>,
    meta: Meta,
    Query(q): Query<At>,
) -> Result<Response, PageError> {
    let s = &state.store;
    let all = Scope::All;
    let (title, places) = match q.at.as_deref().filter(|c| !c.is_empty()) {
        Some(code) => {
            let p = s
                .place_by_code(&all, code)
                .await
                .map_err(|_| AppError::NotFound)?;
            if p.closed_at.is_some() {
                return Err(PageError(AppError::NotFound));
            }
            let f = PlaceFilter {
                parent_id: Some(p.id),
                ..Default::default()
            };
            (
                p.name,
                s.places(&all, &f, Page::new(Some(1), Some(500))).await?.0,
            )
        }
        None => {
            let mut top = Vec::new();
            for kind in ["province", "city", "county", "town", "subdistrict"] {
                let f = PlaceFilter {
                    kind: Some(kind.into()),
                    ..Default::default()
                };
                let (rows, _) = s.places(&all, &f, Page::new(Some(1), Some(500))).await?;
                if !rows.is_empty() {
                    top = rows;
                    break;
                }
            }
            ("请选择您所在的地方".to_string(), top)
        }
    };
    let links = places
        .iter()
        .filter(|p| p.kind() != Some(PlaceKind::Grid) && p.closed_at.is_none())
        .map(|p| {
            let href = if is_village(p) {
                format!("/service/{}", p.code)
            } else {
                format!("/service?at={}", p.code)
            };
            (p.name.clone(), href)
        })
        .collect();
    let (csrf, fresh) = csrf_of(&state, &meta).await?;
    let page = ServicePage::new(title, csrf, Screen::Choose { links });
    Ok(send(&state, StatusCode::OK, &page, fresh))
}

fn view(i: &Item) -> ItemView {
    ItemView {
        id: i.id,
        name: i.name.clone(),
        limit: limit_zh(i.limit_days),
        materials: i.materials_list().into_iter().map(str::to_string).collect(),
        online: i.online == 1,
    }
}

/// Screen 1: the village centre's catalogue.
pub async fn catalogue(
    State(state): State<AppState>,
    meta: Meta,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let place = village_by_code(&state, &code).await?;
    let items = state.store.service_items_at(&place.code, false).await?;
    let groups = GROUPS
        .iter()
        .map(|(g, zh)| {
            let v: Vec<ItemView> = items.iter().filter(|i| i.grp == *g).map(view).collect();
            (zh.to_string(), v)
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let (csrf, fresh) = csrf_of(&state, &meta).await?;
    let page = ServicePage::new(
        format!("{}党群服务中心 · 办事指南", place.name),
        csrf,
        Screen::Catalogue {
            code: place.code.clone(),
            groups,
        },
    );
    Ok(send(&state, StatusCode::OK, &page, fresh))
}

/// The item of the village's catalogue that may be applied for online (else 404).
async fn online_item(state: &AppState, place: &Place, id: &str) -> Result<Item, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    state
        .store
        .service_items_at(&place.code, false)
        .await?
        .into_iter()
        .find(|i| i.id == id && i.online == 1)
        .ok_or(AppError::NotFound)
}

fn apply_page(place: &Place, item: &Item, csrf: String, n: &NewRequest) -> ServicePage {
    ServicePage::new(
        format!("{} · 网上申请", place.name),
        csrf,
        Screen::Apply {
            action: format!("/service/{}/apply/{}", place.code, item.id),
            item: item.name.clone(),
            limit: limit_zh(item.limit_days),
            materials: item
                .materials_list()
                .into_iter()
                .map(str::to_string)
                .collect(),
            name: n.name.clone(),
            phone: n.phone.clone(),
            summary: n.summary.clone(),
        },
    )
}

/// Screen 2: the one form.
pub async fn apply_form(
    State(state): State<AppState>,
    meta: Meta,
    Path((code, item)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let place = village_by_code(&state, &code).await?;
    let item = online_item(&state, &place, &item).await?;
    let (csrf, fresh) = csrf_of(&state, &meta).await?;
    let page = apply_page(&place, &item, csrf, &NewRequest::default());
    Ok(send(&state, StatusCode::OK, &page, fresh))
}

/// Screen 3: files the application and shows its tracking code, once.
pub async fn apply(
    State(state): State<AppState>,
    meta: Meta,
    Path((code, item)): Path<(String, String)>,
    data: super::FormData,
) -> Result<Response, PageError> {
    let place = village_by_code(&state, &code).await?;
    let item = online_item(&state, &place, &item).await?;
    let now = state.now();
    if !state.limiter.allow(
        &format!("service:{}", meta.ip),
        now,
        state.config.voice_reports_per_hour,
        HOUR,
    ) {
        return Err(too_many("网上申请"));
    }
    let n = NewRequest {
        item_id: item.id,
        place_id: place.id,
        desk: false,
        name: data.get("name").chars().take(60).collect(),
        phone: data.get("phone").chars().take(30).collect(),
        summary: data.get("summary").chars().take(2000).collect(),
    };
    let actor = Actor {
        username: "resident".into(),
        ..meta.actor()
    };
    let (csrf, _) = csrf_of(&state, &meta).await?;
    match state
        .store
        .file_service_request(&actor, &Scope::All, &n, &day_of(now), now)
        .await
    {
        Ok((_, tracking)) => {
            let mut page = ServicePage::new(
                "已收到您的申请",
                csrf,
                Screen::Filed {
                    code: tracking,
                    village: place.name.clone(),
                    item: item.name.clone(),
                },
            );
            page.notice = Some("提交成功".into());
            Ok(send(&state, StatusCode::OK, &page, false))
        }
        Err(StoreError::Rule(e)) => {
            let err = AppError::Rule(e);
            crate::refusals::note(&err);
            let (zh, _) = err.messages();
            let mut page = apply_page(&place, &item, csrf, &n);
            page.field_error = (err.field().unwrap_or("summary").to_string(), zh.clone());
            page.error = Some(format!("未能提交：{zh}"));
            Ok(send(&state, StatusCode::UNPROCESSABLE_ENTITY, &page, false))
        }
        Err(e) => Err(PageError(e.into())),
    }
}

pub async fn track_form(State(state): State<AppState>, meta: Meta) -> Result<Response, PageError> {
    let (csrf, fresh) = csrf_of(&state, &meta).await?;
    let page = ServicePage::new(
        "查询办件进度",
        csrf,
        Screen::Track {
            code: String::new(),
        },
    );
    Ok(send(&state, StatusCode::OK, &page, fresh))
}

/// What the applicant is told of one step: never who on the staff did it.
fn history_line(event: &str, note: Option<&str>, due_on: Option<&str>) -> String {
    let step = event_zh(event);
    match (event, note, due_on) {
        ("file", _, Some(due)) => format!("窗口受理，办结时限{due}"),
        ("file", _, None) => "收到网上申请，等待受理".into(),
        ("accept", _, Some(due)) => format!("已受理，办结时限{due}"),
        ("ask_materials", Some(n), _) => format!("请补正材料：{n}（补齐前暂停计时）"),
        ("materials_in", _, Some(due)) => format!("材料已补齐，继续办理，办结时限{due}"),
        ("complete", Some(n), _) => format!("已办结：{n}"),
        ("reject", Some(n), _) => format!("不予受理：{n}"),
        ("overdue", _, _) => "已超过办结时限，正在督办".into(),
        _ => step,
    }
}

pub async fn track(
    State(state): State<AppState>,
    meta: Meta,
    data: super::FormData,
) -> Result<Response, PageError> {
    if !state.limiter.allow(
        &format!("service-lookup:{}", meta.ip),
        state.now(),
        state.config.voice_lookups_per_hour,
        HOUR,
    ) {
        return Err(too_many("查询"));
    }
    let code = data.get("code");
    let (csrf, _) = csrf_of(&state, &meta).await?;
    if let Some(page) = request_status(&state, &csrf, code).await? {
        return Ok(page);
    }
    // One box for every code a resident holds: a problem report's code shows its progress here.
    if let Some(page) = super::voice_public::problem_status(&state, &csrf, code).await? {
        return Ok(page);
    }
    crate::refusals::note(&AppError::NotFound);
    let mut page = ServicePage::new(
        "查询办件进度",
        csrf,
        Screen::Track {
            code: code.chars().take(20).collect(),
        },
    );
    page.error = Some(NO_SUCH_CODE.into());
    Ok(send(&state, StatusCode::NOT_FOUND, &page, false))
}

/// The status page of the request coded `code`, or None when there is none.
pub(crate) async fn request_status(
    state: &AppState,
    csrf: &str,
    code: &str,
) -> Result<Option<Response>, PageError> {
    let r = match state.store.service_request_by_code(code).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(PageError(e.into())),
    };
    let events = state
        .store
        .service_request_events(&Scope::All, r.id)
        .await?;
    let mut status = status_zh(&r.status).to_string();
    if r.status == Status::Supplement.as_str() {
        status.push_str("（请按要求补齐材料）");
    }
    let view = StatusView {
        village: r.place_name.clone(),
        item: r.item_name.clone(),
        filed_on: r.filed_on.clone(),
        status,
        due_on: r.due_on.clone().unwrap_or_default(),
        history: events
            .iter()
            .map(|e| {
                (
                    e.on_date.clone(),
                    history_line(&e.event, e.note.as_deref(), e.due_on.as_deref()),
                )
            })
            .collect(),
    };
    let page = ServicePage::new("办件进度", csrf.to_string(), Screen::Status { view });
    Ok(Some(send(state, StatusCode::OK, &page, false)))
}
