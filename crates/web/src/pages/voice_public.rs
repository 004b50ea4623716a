//! Residents' voice for residents (issue 5): no account, no JavaScript, large type, a 360 px
//! phone. Three screens to report (choose the village, fill the one form, read the tracking
//! code), one to follow it up (status and history, confirm or object once it is resolved, rate
//! once it is closed). Forms carry the pre-login CSRF token (the `jiceng_csrf` cookie, or the
//! session's when a signed-in user opens the page); the report is multipart, its token in the
//! query string as csrf.rs expects. Reports and look-ups are counted per client address.

use super::login::pre_csrf;
use super::problems::{categories, category_name};
use crate::AppState;
use crate::auth::{Meta, PRE_CSRF_COOKIE, Resolved, resolve, set_cookie};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use jiceng_domain::PlaceKind;
use jiceng_domain::voice::{Event, Status};
use jiceng_store::places::{Place, PlaceFilter};
use jiceng_store::sql::Page;
use jiceng_store::voice::{
    ACCEPT_PHOTO, EventRow, MAX_PHOTO_BYTES, NewProblem, ProblemRow, Village,
};
use jiceng_store::{Actor, Scope, StoreError};
use serde::Deserialize;

const HOUR: i64 = 3_600_000;
/// What a wrong, malformed or unknown code is told: nothing about whether it exists.
const NO_SUCH_CODE: &str = "查询码不正确，请核对后重新输入（查询码为10位字母和数字）";

pub enum Screen {
    Choose {
        hint: String,
        links: Vec<(String, String)>,
    },
    Report {
        action: String,
        category: String,
        body: String,
        location: String,
        contact: String,
    },
    Filed {
        code: String,
        village: String,
    },
    Track {
        code: String,
    },
    Status {
        view: StatusView,
    },
}

/// A problem as its resident may see it: never the phone, never who on the staff did what.
pub struct StatusView {
    pub code: String,
    pub village: String,
    pub category: String,
    pub filed_on: String,
    pub status: String,
    pub body: String,
    pub location: Option<String>,
    pub history: Vec<(String, String)>,
    pub window: String,
    pub can_answer: bool,
    pub can_rate: bool,
}

#[derive(Template)]
#[template(path = "voice.html")]
pub struct VoicePage {
    title: String,
    csrf: String,
    notice: Option<String>,
    error: Option<String>,
    /// The field a refusal is about and its message ("" when none).
    field_error: (String, String),
    screen: Screen,
    /// The categories offered (`voice_services`): (code, name).
    categories: Vec<(String, String)>,
    scores: Vec<(u8, &'static str)>,
    max_photo_mb: usize,
    accept: &'static str,
}

impl VoicePage {
    fn new(title: impl Into<String>, csrf: String, screen: Screen) -> Self {
        Self {
            title: title.into(),
            csrf,
            notice: None,
            error: None,
            field_error: (String::new(), String::new()),
            screen,
            categories: Vec::new(),
            scores: vec![
                (5, "5分 非常满意"),
                (4, "4分 满意"),
                (3, "3分 基本满意"),
                (2, "2分 不太满意"),
                (1, "1分 不满意"),
            ],
            max_photo_mb: MAX_PHOTO_BYTES >> 20,
            accept: ACCEPT_PHOTO,
        }
    }
}

/// The token this visitor's forms must carry, and whether the cookie must be set with the page.
async fn csrf_of(state: &AppState, meta: &Meta) -> Result<(String, bool), AppError> {
    if let Resolved::Ok(ctx) = resolve(meta, state).await? {
        return Ok((ctx.csrf.clone(), false));
    }
    Ok(pre_csrf(&meta.headers))
}

fn send(state: &AppState, status: StatusCode, page: &VoicePage, fresh: bool) -> Response {
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

fn resident(meta: &Meta) -> Actor {
    Actor {
        username: "resident".into(),
        ..meta.actor()
    }
}

fn too_many(what: &str) -> PageError {
    PageError(AppError::Bad {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: "voice.too_many",
        zh: format!("{what}过于频繁，请一小时后再试；急事请直接联系村（社区）党群服务中心"),
        en: "Too many attempts from this address; try again in an hour".into(),
    })
}

pub(crate) fn is_village(p: &Place) -> bool {
    matches!(p.kind(), Some(PlaceKind::Village | PlaceKind::Community))
}

#[derive(Deserialize, Default)]
pub struct At {
    at: Option<String>,
}

/// Screen 1: the places from the top down to villages (or straight to a village's form by the
/// code on a poster's QR code, `/voice/{code}`).
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
            let (children, _) = s.places(&all, &f, Page::new(Some(1), Some(500))).await?;
            (p.name, children)
        }
        None => {
            // The highest level this installation holds.
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
        .filter(|p| p.kind() != Some(PlaceKind::Grid))
        .map(|p| {
            let href = if is_village(p) {
                format!("/voice/{}", p.code)
            } else {
                format!("/voice?at={}", p.code)
            };
            (p.name.clone(), href)
        })
        .collect();
    let (csrf, fresh) = csrf_of(&state, &meta).await?;
    let page = VoicePage::new(
        title,
        csrf,
        Screen::Choose {
            hint: "请选择镇（街道），再选择村（社区）。".into(),
            links,
        },
    );
    Ok(send(&state, StatusCode::OK, &page, fresh))
}

/// An open village or community by the code in a resident's link (404 for anything else).
pub(crate) async fn village_by_code(state: &AppState, code: &str) -> Result<Place, AppError> {
    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::NotFound);
    }
    match state.store.open_village_by_code(code).await {
        Ok(p) => Ok(p),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

fn report_page(
    place: &Place,
    csrf: String,
    n: &NewProblem,
    categories: Vec<(String, String)>,
) -> VoicePage {
    let action = format!(
        "/voice/{}?_csrf={}",
        place.code,
        crate::auth::urlencode(&csrf)
    );
    let mut page = VoicePage::new(
        format!("{} · 反映问题", place.name),
        csrf,
        Screen::Report {
            action,
            category: n.category.clone().unwrap_or_default(),
            body: n.body.clone(),
            location: n.location.clone().unwrap_or_default(),
            contact: n.contact.clone().unwrap_or_default(),
        },
    );
    page.categories = categories;
    page
}

/// Screen 2: the one form.
pub async fn form(
    State(state): State<AppState>,
    meta: Meta,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let place = village_by_code(&state, &code).await?;
    let (csrf, fresh) = csrf_of(&state, &meta).await?;
    let page = report_page(
        &place,
        csrf,
        &NewProblem::default(),
        categories(&state).await?,
    );
    Ok(send(&state, StatusCode::OK, &page, fresh))
}

fn too_large() -> AppError {
    AppError::Bad {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "problem.photo_too_large",
        zh: format!(
            "照片过大：上限为{}MB，请换一张或不附照片后重新提交",
            MAX_PHOTO_BYTES >> 20
        ),
        en: format!(
            "the photo is too large: at most {} MB",
            MAX_PHOTO_BYTES >> 20
        ),
    }
}

/// Screen 3: files the report and shows its tracking code, once.
pub async fn file(
    State(state): State<AppState>,
    meta: Meta,
    Path(code): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let place = village_by_code(&state, &code).await?;
    let now = state.now();
    let per_hour = state.config.voice_reports_per_hour;
    if !state
        .limiter
        .allow(&format!("report:{}", meta.ip), now, per_hour, HOUR)
    {
        return Err(too_many("提交反映"));
    }
    let mut n = NewProblem {
        place_id: place.id,
        source: "resident".into(),
        ..Default::default()
    };
    let mut photo = None;
    let names = categories(&state).await?;
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "photo" {
            let bytes = field.bytes().await.map_err(|_| too_large())?;
            // An empty file input sends an empty part: no photo.
            if !bytes.is_empty() {
                photo = Some(bytes.to_vec());
            }
            continue;
        }
        let text = field.text().await.map_err(|_| too_large())?;
        match name.as_str() {
            "category" => n.category = Some(text).filter(|c| names.iter().any(|(k, _)| k == c)),
            "body" => n.body = text,
            "location" => n.location = Some(text),
            "contact" => n.contact = Some(text),
            _ => {}
        }
    }
    let (csrf, _) = csrf_of(&state, &meta).await?;
    let today = day_of(now);
    // The village was read above: the store writes at it (a village closed meanwhile is
    // caught by the INSERT itself).
    let village = Village {
        id: place.id,
        code: place.code.clone(),
        name: place.name.clone(),
    };
    let filed = match state.store.prepare_problem(&n, photo.as_deref()) {
        Ok(p) => {
            state
                .store
                .file_prepared(&resident(&meta), village, p, &today, now)
                .await
        }
        Err(e) => Err(e),
    };
    match filed {
        Ok((_, tracking)) => {
            let mut page = VoicePage::new(
                "已收到您的反映",
                csrf,
                Screen::Filed {
                    code: tracking,
                    village: place.name.clone(),
                },
            );
            page.notice = Some("提交成功".into());
            Ok(send(&state, StatusCode::OK, &page, false))
        }
        Err(StoreError::Rule(e)) => {
            let err = AppError::Rule(e);
            crate::refusals::note(&err);
            let (zh, _) = err.messages();
            let mut page = report_page(&place, csrf, &n, names);
            page.field_error = (err.field().unwrap_or("body").to_string(), zh.clone());
            page.error = Some(format!("未能提交：{zh}"));
            Ok(send(&state, StatusCode::UNPROCESSABLE_ENTITY, &page, false))
        }
        Err(e) => Err(PageError(e.into())),
    }
}

/// The track form.
pub async fn track_form(State(state): State<AppState>, meta: Meta) -> Result<Response, PageError> {
    let (csrf, fresh) = csrf_of(&state, &meta).await?;
    let page = VoicePage::new(
        "查询办理进度",
        csrf,
        Screen::Track {
            code: String::new(),
        },
    );
    Ok(send(&state, StatusCode::OK, &page, fresh))
}

/// What the resident is told of one entry of the history.
fn history_line(names: &[(String, String)], e: &EventRow) -> String {
    let ev: Option<Event> = serde_json::from_str(&e.detail_json).ok();
    match (e.event.as_str(), ev) {
        ("collected", _) => "收到您的反映".into(),
        (_, Some(Event::Analysed { category })) => {
            format!("已研判，类别：{}", category_name(names, Some(&category)))
        }
        (_, Some(Event::Merged { .. })) => "与反映同一问题的其他群众诉求合并办理".into(),
        (_, Some(Event::Assigned { deadline, .. })) => {
            format!("已交办责任人办理，办理期限：{deadline}")
        }
        (_, Some(Event::Resolved { what })) => format!("已办结：{what}"),
        (_, Some(Event::Confirmed)) => "您确认问题已解决，已销号".into(),
        (_, Some(Event::Objected { reason })) => {
            format!("您提出异议（{reason}），已重新交办")
        }
        (_, Some(Event::WindowPassed)) => "异议期满无异议，已销号".into(),
        (_, Some(Event::Escalated)) => "逾期未办结，已上报镇（街道）督办".into(),
        (_, Some(Event::Rated { score })) => format!("您的评价：{score}分"),
        _ => "办理中".into(),
    }
}

async fn status_view(state: &AppState, code: &str, p: &ProblemRow) -> Result<StatusView, AppError> {
    let events = state.store.problem_events(&Scope::All, p.id).await?;
    let names = categories(state).await?;
    let status = Status::parse(&p.status);
    let window = match (status, &p.resolved_on) {
        (Some(Status::Resolved), Some(_)) => {
            let ends = state.store.problem_window_ends(p).await?;
            format!(
                "请确认办理结果：如已解决请点“确认销号”；如未解决可在{ends}（含当天）之前提出异议，期满未提出的将自动销号。"
            )
        }
        _ => String::new(),
    };
    let mut history: Vec<(String, String)> = events
        .iter()
        .map(|e| (e.on_date.clone(), history_line(&names, e)))
        .collect();
    let mut shown = status.map_or("办理中", Status::zh).to_string();
    // A duplicate follows the problem it was merged into: its steps, never its resident's words
    // (their objections, confirmation or rating).
    if let Some(into) = p.merged_into {
        let target = state.store.problem(&Scope::All, into).await?;
        shown = format!(
            "已与同一问题合并办理，当前：{}",
            Status::parse(&target.status).map_or("办理中", Status::zh)
        );
        let theirs = state.store.problem_events(&Scope::All, into).await?;
        history.extend(
            theirs
                .iter()
                .filter(|e| {
                    matches!(
                        e.event.as_str(),
                        "analysed" | "assigned" | "resolved" | "escalated" | "window_passed"
                    )
                })
                .map(|e| {
                    (
                        e.on_date.clone(),
                        format!("（合并办理）{}", history_line(&names, e)),
                    )
                }),
        );
        history.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Ok(StatusView {
        code: code.trim().to_ascii_uppercase(),
        village: p.place_name.clone(),
        category: category_name(&names, p.category.as_deref()),
        filed_on: p.filed_on.clone(),
        status: shown,
        body: p.body.clone(),
        location: p.location.clone(),
        history,
        window,
        can_answer: status == Some(Status::Resolved),
        can_rate: status == Some(Status::Closed) && p.score.is_none(),
    })
}

/// The track form again, for a wrong code (404: nothing said about whether it exists).
fn wrong_code(state: &AppState, csrf: String, code: &str) -> Response {
    crate::refusals::note(&AppError::NotFound);
    let mut page = VoicePage::new(
        "查询办理进度",
        csrf,
        Screen::Track {
            code: code.chars().take(20).collect(),
        },
    );
    page.error = Some(NO_SUCH_CODE.into());
    send(state, StatusCode::NOT_FOUND, &page, false)
}

fn form_value<'a>(data: &'a super::FormData, k: &str) -> &'a str {
    data.get(k)
}

/// Looks the code up (counted per address) and shows the problem, or the wrong-code form.
async fn show_status(
    state: &AppState,
    meta: &Meta,
    code: &str,
    notice: Option<String>,
    refusal: Option<AppError>,
) -> Result<Response, PageError> {
    let (csrf, _) = csrf_of(state, meta).await?;
    let p = match state.store.problem_by_code(code).await {
        Ok(p) => p,
        // One box for every code a resident holds: a service request's code shows its progress.
        Err(StoreError::NotFound) if refusal.is_none() && notice.is_none() => {
            return match super::service_public::request_status(state, &csrf, code).await? {
                Some(page) => Ok(page),
                None => Ok(wrong_code(state, csrf, code)),
            };
        }
        Err(StoreError::NotFound) => return Ok(wrong_code(state, csrf, code)),
        Err(e) => return Err(PageError(e.into())),
    };
    let view = status_view(state, code, &p).await?;
    let mut page = VoicePage::new("办理进度", csrf, Screen::Status { view });
    page.notice = notice;
    let mut status = StatusCode::OK;
    if let Some(err) = refusal {
        crate::refusals::note(&err);
        let (zh, _) = err.messages();
        if let Some(f) = err.field() {
            page.field_error = (f.to_string(), zh.clone());
        }
        page.error = Some(zh);
        status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(send(state, status, &page, false))
}

/// The status page of the problem coded `code`, or None when there is none (the service
/// centre's look-up shows a report's progress too).
pub(crate) async fn problem_status(
    state: &AppState,
    csrf: &str,
    code: &str,
) -> Result<Option<Response>, PageError> {
    let p = match state.store.problem_by_code(code).await {
        Ok(p) => p,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(PageError(e.into())),
    };
    let view = status_view(state, code, &p).await?;
    let page = VoicePage::new("办理进度", csrf.to_string(), Screen::Status { view });
    Ok(Some(send(state, StatusCode::OK, &page, false)))
}

fn looked_up(state: &AppState, meta: &Meta) -> Result<(), PageError> {
    let per_hour = state.config.voice_lookups_per_hour;
    if state
        .limiter
        .allow(&format!("lookup:{}", meta.ip), state.now(), per_hour, HOUR)
    {
        Ok(())
    } else {
        Err(too_many("查询"))
    }
}

pub async fn track(
    State(state): State<AppState>,
    meta: Meta,
    data: super::FormData,
) -> Result<Response, PageError> {
    looked_up(&state, &meta)?;
    show_status(&state, &meta, form_value(&data, "code"), None, None).await
}

/// Confirm, object or rate, by the code the form carries.
async fn answer(
    state: &AppState,
    meta: &Meta,
    data: &super::FormData,
    e: Event,
    done: &str,
) -> Result<Response, PageError> {
    looked_up(state, meta)?;
    let code = form_value(data, "code");
    let now = state.now();
    match state
        .store
        .resident_act(&resident(meta), code, &e, &day_of(now), now)
        .await
    {
        Ok(_) => show_status(state, meta, code, Some(done.into()), None).await,
        Err(StoreError::NotFound) => {
            let (csrf, _) = csrf_of(state, meta).await?;
            Ok(wrong_code(state, csrf, code))
        }
        Err(StoreError::Rule(r)) => {
            show_status(state, meta, code, None, Some(AppError::Rule(r))).await
        }
        Err(other) => Err(PageError(other.into())),
    }
}

pub async fn confirm(
    State(state): State<AppState>,
    meta: Meta,
    data: super::FormData,
) -> Result<Response, PageError> {
    answer(
        &state,
        &meta,
        &data,
        Event::Confirmed,
        "已确认解决，问题已销号。感谢您的反馈！",
    )
    .await
}

pub async fn object(
    State(state): State<AppState>,
    meta: Meta,
    data: super::FormData,
) -> Result<Response, PageError> {
    let reason: String = form_value(&data, "reason").chars().take(2000).collect();
    answer(
        &state,
        &meta,
        &data,
        Event::Objected { reason },
        "已收到您的异议，问题已退回重新办理",
    )
    .await
}

pub async fn rate(
    State(state): State<AppState>,
    meta: Meta,
    data: super::FormData,
) -> Result<Response, PageError> {
    // Anything but 1–5 is refused by the rule (0 stands for a missing or malformed score).
    let score = form_value(&data, "score").parse::<u8>().unwrap_or(0);
    answer(
        &state,
        &meta,
        &data,
        Event::Rated { score },
        "感谢您的评价！",
    )
    .await
}
