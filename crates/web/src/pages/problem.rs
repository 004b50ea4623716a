//! One problem for staff (issue 5): what the resident said, its history (every transition an
//! entry, never an edit), its photos, and the form for each step its status allows: analyse
//! (category) or merge into an open problem of the same village, assign an owner and a
//! deadline, resolve (what was done, a photo as evidence). 销号 is the resident's or the
//! window's, never a staff form. The resident's phone is shown only by an audited reveal.

use super::problems::{categories, category_name, handles};
use super::{FormData, Id, RecordPage, done};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Table};
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiceng_domain::meeting::add_days;
use jiceng_domain::voice::{Event, Status};
use jiceng_store::sql::Page;
use jiceng_store::voice::{ACCEPT_PHOTO, EventRow, MAX_PHOTO_BYTES, NewProblem, ProblemFilter};

fn detail(names: &[(String, String)], e: &EventRow) -> String {
    match serde_json::from_str::<Event>(&e.detail_json) {
        Ok(Event::Analysed { category }) => {
            format!("类别：{}", category_name(names, Some(&category)))
        }
        Ok(Event::Merged { into }) => format!("并入 #{into}"),
        Ok(Event::Assigned { owner, deadline }) => format!("责任人：{owner}；期限：{deadline}"),
        Ok(Event::Resolved { what }) => what,
        Ok(Event::Objected { reason }) => reason,
        Ok(Event::Rated { score }) => format!("{score}分"),
        _ => String::new(),
    }
}

fn event_zh(e: &EventRow) -> String {
    if e.event == "collected" {
        return "收集（群众反映）".into();
    }
    serde_json::from_str::<Event>(&e.detail_json)
        .map(|ev| ev.zh().to_string())
        .unwrap_or_else(|_| e.event.clone())
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
    contact: Option<String>,
) -> Result<Response, PageError> {
    page_with(state, ctx, id, fb, contact, None).await
}

async fn page_with(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
    contact: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let p = s.problem(&ctx.scope, id).await?;
    let events = s.problem_events(&ctx.scope, id).await?;
    let files = s.problem_files(&ctx.scope, id).await?;
    let today = day_of(state.now());
    let status = Status::parse(&p.status);
    let names = categories(state).await?;
    let mut c = Chrome::new(
        ctx,
        format!("{} #{}", l("群众反映问题", "Problem"), p.id),
        "nav.problems",
        &format!("/problems/{id}"),
    );
    c.notice = notice;
    let mut facts = vec![
        (l("村（社区）", "Village"), p.place_name.clone()),
        (l("状态", "Status"), status.map_or("—", Status::zh).into()),
        (
            l("类别", "Category"),
            category_name(&names, p.category.as_deref()),
        ),
        (l("反映日期", "Filed"), p.filed_on.clone()),
        (l("反映内容", "Report"), p.body.clone()),
    ];
    if let Some(loc) = &p.location {
        facts.push((l("位置", "Location"), loc.clone()));
    }
    if let Some(o) = &p.owner {
        facts.push((l("责任人", "Owner"), o.clone()));
    }
    if let Some(d) = &p.deadline {
        let mut v = d.clone();
        if p.escalated == 1 {
            v.push_str(
                ctx.lang
                    .pick("（逾期，已上报镇（街道））", " (overdue, escalated)"),
            );
        } else if status == Some(Status::Assigned) && d.as_str() < today.as_str() {
            v.push_str(ctx.lang.pick("（已逾期）", " (overdue)"));
        }
        facts.push((l("办理期限", "Deadline"), v));
    }
    if status == Some(Status::Resolved) {
        let ends = s.problem_window_ends(&p).await?;
        facts.push((
            l("异议期", "Objection window"),
            format!(
                "{ends}{}",
                l(
                    "（含当天）前群众可提出异议；群众确认或期满后销号",
                    ": closed on confirmation or after it"
                )
            ),
        ));
    }
    if let Some(into) = p.merged_into {
        facts.push((l("已并入", "Merged into"), format!("#{into}")));
    }
    if let Some(score) = p.score {
        facts.push((l("群众评价", "Rating"), format!("{score}/5")));
    }
    facts.push((
        l("联系电话", "Phone"),
        match (&contact, p.has_contact) {
            (Some(c), _) => c.clone(),
            (None, 1) => l("已留（加密保存，查看须记录）", "given (sealed)"),
            _ => l("未留", "none"),
        },
    ));
    let history = Table {
        caption: l("办理经过（只增不改）", "History (appended, never edited)"),
        headers: vec![
            l("序号", "No."),
            l("日期", "Date"),
            l("环节", "Step"),
            l("内容", "Detail"),
            l("操作人", "By"),
        ],
        rows: events
            .iter()
            .map(|e| {
                vec![
                    Cell::text(e.seq.to_string()),
                    Cell::text(e.on_date.clone()),
                    Cell::text(event_zh(e)),
                    Cell::text(detail(&names, e)),
                    Cell::text(e.actor.clone()),
                ]
            })
            .collect(),
        empty: String::new(),
    };
    let step_of = |seq: i64| {
        events
            .iter()
            .find(|e| e.seq == seq)
            .map_or_else(|| seq.to_string(), |e| format!("{} {}", e.seq, event_zh(e)))
    };
    let photos = Table {
        caption: l("照片", "Photos"),
        headers: vec![
            l("照片", "Photo"),
            l("随哪一环节", "With step"),
            l("大小", "Size"),
        ],
        rows: files
            .iter()
            .map(|f| {
                vec![
                    Cell::link(
                        format!("{} {}", l("照片", "Photo"), f.id),
                        format!("/problems/{id}/files/{}", f.id),
                    ),
                    Cell::text(step_of(f.seq)),
                    Cell::text(format!("{} KB", (f.size + 1023) / 1024)),
                ]
            })
            .collect(),
        empty: l("没有照片", "No photos"),
    };
    // Open reports of the same village that share its words: candidates to merge.
    let open = status.is_some_and(Status::is_open);
    let alike = if open {
        s.similar_problems(&ctx.scope, p.place_id, &p.body, Some(p.id))
            .await?
    } else {
        Vec::new()
    };
    let similar = Table {
        caption: l(
            "可能重复的问题（同村、在办，按用词相近排序）",
            "Possible duplicates",
        ),
        headers: vec![
            l("编号", "No."),
            l("受理日期", "Filed"),
            l("状态", "Status"),
            l("内容", "Text"),
        ],
        rows: alike
            .iter()
            .map(|o| {
                vec![
                    Cell::link(format!("#{}", o.id), format!("/problems/{}", o.id)),
                    Cell::text(o.filed_on.clone()),
                    Cell::text(Status::parse(&o.status).map_or("—", Status::zh)),
                    Cell::text(o.body.chars().take(60).collect::<String>()),
                ]
            })
            .collect(),
        empty: l("没有相近的在办问题", "No similar open problems"),
    };
    let mut forms = Vec::new();
    let act = format!("/problems/{id}/act");
    if matches!(status, Some(Status::Collected | Status::Analysed)) {
        let cats = names.clone();
        forms.push(
            Form::new("analyse", &act, l("研判分类", "Analyse"), l("保存", "Save"))
                .field(Field::new("event", "", FieldKind::Hidden).value("analysed"))
                .field(
                    Field::new("category", l("类别", "Category"), FieldKind::Select(cats))
                        .value(p.category.clone().unwrap_or_default())
                        .required(),
                ),
        );
        let f = ProblemFilter {
            under: Some(s.place(&ctx.scope, p.place_id).await?.prefix()),
            status: Some("open".into()),
            today: today.clone(),
            ..Default::default()
        };
        let (same, _) = s
            .problem_list(&ctx.scope, &f, Page::new(Some(1), Some(200)))
            .await?;
        let choices: Vec<(String, String)> = same
            .iter()
            .filter(|o| o.id != p.id)
            .map(|o| {
                let short: String = o.body.chars().take(30).collect();
                (o.id.to_string(), format!("#{} {short}", o.id))
            })
            .collect();
        if !choices.is_empty() {
            forms.push(
                Form::new(
                    "merge",
                    &act,
                    l("合并重复问题", "Merge a duplicate"),
                    l("合并", "Merge"),
                )
                .field(Field::new("event", "", FieldKind::Hidden).value("merged"))
                .field(Field::new("into", l("并入", "Into"), FieldKind::Select(choices)).required())
                .note(l(
                    "本问题与同村另一问题重复时，并入后随该问题一起办理。",
                    "A duplicate follows the problem it is merged into.",
                )),
            );
        }
    }
    if matches!(status, Some(Status::Analysed | Status::Assigned)) {
        let title = if status == Some(Status::Assigned) {
            l("重新交办", "Reassign")
        } else {
            l("交办", "Assign")
        };
        forms.push(
            Form::new("assign", &act, title, l("交办", "Assign"))
                .field(Field::new("event", "", FieldKind::Hidden).value("assigned"))
                .field(
                    Field::new("owner", l("责任人或责任单位", "Owner"), FieldKind::Text)
                        .value(p.owner.clone().unwrap_or_default())
                        .required(),
                )
                .field(
                    Field::new("deadline", l("办理期限", "Deadline"), FieldKind::Date)
                        .value(add_days(&today, 7).unwrap_or_default())
                        .required(),
                )
                .note(l(
                    "逾期未办结的，系统自动上报镇（街道）督办，并在本村和镇的待办中提示。",
                    "Past the deadline it is escalated to the town automatically.",
                )),
        );
    }
    if status == Some(Status::Assigned) {
        forms.push(
            Form::new(
                "resolve",
                format!(
                    "/problems/{id}/resolve?_csrf={}",
                    crate::auth::urlencode(&ctx.csrf)
                ),
                l("办结", "Resolve"),
                l("办结", "Resolve"),
            )
            .field(
                Field::new("what", l("办理结果", "What was done"), FieldKind::LongText).required(),
            )
            .field(
                Field::new(
                    "photo",
                    format!(
                        "{}{}MB）",
                        l(
                            "办理照片（可不附，不超过",
                            "Evidence photo (optional, at most "
                        ),
                        MAX_PHOTO_BYTES >> 20
                    ),
                    FieldKind::File,
                )
                .value(ACCEPT_PHOTO),
            )
            .note(l(
                "办结后由群众确认销号；群众异议期内未提出异议的，期满自动销号。",
                "Closed when the resident confirms, or when the objection window passes.",
            )),
        );
    }
    if ctx.role.manages_members() && p.has_contact == 1 && contact.is_none() {
        forms.push(
            Form::new(
                "reveal",
                format!("/problems/{id}/reveal"),
                l("查看联系电话", "Show the phone"),
                l("查看（将记录审计）", "Show (audited)"),
            )
            .note(l(
                "仅为回访群众使用；每次查看都记入审计日志。",
                "Each reveal is audited.",
            )),
        );
    }
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    super::render_record(&RecordPage {
        c,
        facts,
        stats: vec![],
        tables: vec![history, photos, similar],
        links: vec![(
            l("问题清单", "Problem list"),
            format!("/problems?under={}", p.place_id),
        )],
        forms,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    page(&state, &ctx, id, None, None).await
}

/// A report taken at the desk (or on a visit): filed in a village within scope; the page shows
/// its tracking code once, to hand to the resident.
pub async fn file_desk(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let r = async {
        let place_id = data.int("place_id", "村（社区）", "Village")?;
        // Only a village the caller may see (the store files in any village it is given).
        let place = state.store.place(&ctx.scope, place_id).await?;
        let source = match data.get("source") {
            s @ ("visit" | "studio") => s,
            _ => "desk",
        };
        let n = NewProblem {
            place_id: place.id,
            source: source.into(),
            category: data.opt("category"),
            body: data.get("body").into(),
            location: data.opt("location"),
            contact: data.opt("contact"),
        };
        let now = state.now();
        Ok::<_, AppError>(
            state
                .store
                .file_problem(&ctx.actor, &n, &day_of(now), now)
                .await?,
        )
    }
    .await;
    match r {
        Ok((p, code)) => {
            let notice = format!(
                "{}{code}{}",
                ctx.lang
                    .pick("已登记。查询码：", "Recorded. Tracking code: "),
                ctx.lang.pick(
                    "（仅显示这一次，请告知群众）",
                    " (shown once: give it to the resident)"
                )
            );
            page_with(&state, &ctx, p.id, None, None, Some(notice)).await
        }
        Err(e) => {
            let fb = Feedback::refusal("desk", data.0, e, ctx.lang)?;
            super::problems::list_page(&state, &ctx, &Default::default(), Some(fb)).await
        }
    }
}

fn broken_form() -> AppError {
    AppError::bad(
        "request.invalid_form",
        "提交的表单格式不正确",
        "The form could not be read",
    )
}

/// Analyse, merge or assign (url-encoded forms).
pub async fn act(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let form = match data.get("event") {
        "analysed" => "analyse",
        "merged" => "merge",
        "assigned" => "assign",
        _ => return Err(PageError(broken_form())),
    };
    let r = async {
        let e = match form {
            "analyse" => Event::Analysed {
                category: data.get("category").into(),
            },
            "merge" => Event::Merged {
                into: data.int("into", "并入", "Into")?,
            },
            _ => Event::Assigned {
                owner: data.get("owner").chars().take(100).collect(),
                deadline: data.get("deadline").into(),
            },
        };
        let now = state.now();
        state
            .store
            .problem_act(&ctx.actor, &ctx.scope, id, &e, &day_of(now), now)
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    match r {
        Ok(()) => Ok(done(&format!("/problems/{id}"))),
        Err(e) => {
            let fb = Feedback::refusal(form, data.0, e, ctx.lang)?;
            page(&state, &ctx, id, Some(fb), None).await
        }
    }
}

/// 办结: what was done and, optionally, a photo (multipart, the token in the query string).
pub async fn resolve(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let too_large = || AppError::Bad {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "problem.photo_too_large",
        zh: format!("照片过大：上限为{}MB", MAX_PHOTO_BYTES >> 20),
        en: format!(
            "the photo is too large: at most {} MB",
            MAX_PHOTO_BYTES >> 20
        ),
    };
    let (mut what, mut photo) = (String::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        match field.name() {
            Some("photo") => {
                let b = field.bytes().await.map_err(|_| too_large())?;
                photo = Some(b.to_vec()).filter(|b| !b.is_empty());
            }
            Some("what") => what = field.text().await.map_err(|_| too_large())?,
            _ => {}
        }
    }
    let what: String = what.chars().take(2000).collect();
    let now = state.now();
    let e = Event::Resolved { what: what.clone() };
    match state
        .store
        .problem_act_with(
            &ctx.actor,
            &ctx.scope,
            id,
            &e,
            photo.as_deref(),
            &day_of(now),
            now,
        )
        .await
    {
        Ok(_) => Ok(done(&format!("/problems/{id}"))),
        Err(e) => {
            let fb = Feedback::refusal("resolve", vec![("what".into(), what)], e.into(), ctx.lang)?;
            page(&state, &ctx, id, Some(fb), None).await
        }
    }
}

/// Shows the resident's phone (permission-checked, audited by the store).
pub async fn reveal(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let contact = state
        .store
        .reveal_problem_contact(&ctx.actor, &ctx.scope, id, state.now())
        .await?;
    page(&state, &ctx, id, None, contact).await
}

pub async fn file(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Path((problem, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let (Ok(problem), Ok(file)) = (problem.parse::<i64>(), file.parse::<i64>()) else {
        return Err(PageError(AppError::NotFound));
    };
    let (f, bytes) = state.store.problem_file(&ctx.scope, problem, file).await?;
    Ok((
        [
            (header::CONTENT_TYPE, f.mime),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"problem-{problem}-{}\"", f.id),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
