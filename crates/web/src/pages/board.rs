//! 村务公开 (issue 6): the staff's board of a village (everything published, a form to publish or
//! correct, the supervision committee's reviews), the villages overdue under a place, and the
//! public board a resident opens without an account: large type, no JavaScript, what is up today.

use super::matters::{review_form, write_review};
use super::village::village_links;
use super::{FormData, Id, ListQuery, Q, RecordPage, done};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Table};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use jiceng_domain::meeting::add_days;
use jiceng_domain::village::{Body, Category};
use jiceng_store::board::{NewPublication, Overdue, Publication, Target};

fn category_zh(c: &str) -> &'static str {
    Category::parse(c).map_or("—", Category::zh)
}

async fn staff_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let place = s.place(&ctx.scope, id).await?;
    let items = s.publications(&ctx.scope, id).await?;
    let today = day_of(state.now());
    let overdue = s
        .board_overdue(&ctx.scope, Some(&place.prefix()), &today)
        .await?;
    let c = Chrome::new(
        ctx,
        format!("{} · {}", place.name, l("村务公开", "Public board")),
        "nav.home",
        &format!("/places/{id}/board"),
    );
    let mut facts = vec![(l("村（社区）", "Village"), place.name.clone())];
    let rule = s.publication_rule(&today).await?;
    facts.push((l("公开要求", "Rule"), rule.basis.clone()));
    facts.push(match overdue.first() {
        Some(o) => (l("逾期未公开", "Overdue"), o.reason.clone()),
        None => (l("逾期未公开", "Overdue"), l("无", "none")),
    });
    let table = Table {
        caption: l("已公开事项（公开后不可修改）", "Published (never edited)"),
        headers: vec![
            l("类别", "Category"),
            l("标题", "Title"),
            l("公开日期", "Up on"),
            l("撤下日期", "Down on"),
            l("更正", "Correction"),
            l("内容", "Text"),
        ],
        rows: items
            .iter()
            .map(|p| {
                let fix = match (p.corrects_id, p.corrected_by) {
                    (_, Some(by)) => format!("{}#{by}", l("已被更正：", "corrected by ")),
                    (Some(of), None) => format!("{}#{of}", l("更正", "corrects ")),
                    _ => "—".into(),
                };
                let title = format!("#{} {}", p.id, p.title);
                vec![
                    Cell::text(category_zh(&p.category)),
                    match p.matter_id {
                        Some(m) => Cell::link(title, format!("/matters/{m}")),
                        None => Cell::text(title),
                    },
                    Cell::text(p.up_on.clone()),
                    Cell::text(p.down_on.clone()),
                    Cell::text(fix),
                    Cell::text(p.body.clone()),
                ]
            })
            .collect(),
        empty: l("尚无公开事项", "Nothing published yet"),
    };
    let choices: Vec<(String, String)> = items
        .iter()
        .map(|p| {
            (
                p.id.to_string(),
                format!("#{} {}（{}）", p.id, p.title, p.up_on),
            )
        })
        .collect();
    let categories = [Category::Affairs, Category::Finance]
        .iter()
        .map(|c| (c.as_str().to_string(), c.zh().to_string()))
        .collect();
    let mut corrects = vec![(String::new(), l("（不是更正）", "(not a correction)"))];
    corrects.extend(choices.clone());
    let supervisors: Vec<(String, String)> = s
        .seats_on(&ctx.scope, id, &today)
        .await?
        .into_iter()
        .filter(|r| r.body == Body::Supervision.as_str())
        .map(|r| (r.person_id.to_string(), r.name))
        .collect();
    let mut forms = vec![
        Form::new("publish", format!("/places/{id}/board"), l("发布公开", "Publish"), l("发布", "Publish"))
            .field(Field::new("category", l("类别", "Category"), FieldKind::Select(categories)).required())
            .field(Field::new("title", l("标题", "Title"), FieldKind::Text).required())
            .field(Field::new("body", l("内容", "Text"), FieldKind::LongText).required())
            .field(Field::new("up_on", l("公开日期", "Up on"), FieldKind::Date).value(today.clone()).required())
            .field(Field::new("down_on", l("撤下日期", "Down on"), FieldKind::Date).value(add_days(&today, 30).unwrap_or_default()).required())
            .field(Field::new("corrects_id", l("更正哪一项", "Corrects"), FieldKind::Select(corrects)))
            .note(l(
                "公开后不能修改或删除；如有错误，发布一条更正并选择被更正的事项，原事项保留并标明已被更正。",
                "Published items are never edited; a correction is a new item pointing to the old one.",
            )),
        review_form(ctx, format!("/places/{id}/board/reviews"), supervisors, &today, Some(choices)),
    ];
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    super::render_record(&RecordPage {
        c,
        facts,
        stats: vec![],
        tables: vec![table],
        links: village_links(ctx, id, &place.code),
        forms,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    staff_page(&state, &ctx, id, None).await
}

pub async fn publish(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let corrects_id = match data.opt("corrects_id") {
            Some(_) => Some(data.int("corrects_id", "更正哪一项", "Corrects")?),
            None => None,
        };
        let p = NewPublication {
            place_id: id,
            category: data.get("category").into(),
            title: data.get("title").into(),
            body: data.get("body").into(),
            up_on: data.get("up_on").into(),
            down_on: data.get("down_on").into(),
            corrects_id,
        };
        state
            .store
            .publish(&ctx.actor, &ctx.scope, &p, state.now())
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    match r {
        Ok(()) => Ok(done(&format!("/places/{id}/board"))),
        Err(e) => {
            let fb = Feedback::refusal("publish", data.0, e, ctx.lang)?;
            staff_page(&state, &ctx, id, Some(fb)).await
        }
    }
}

pub async fn review(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let pid = data.int("publication_id", "公开事项", "Publication")?;
        // Only a publication of this village's board.
        state
            .store
            .publication(&ctx.scope, pid)
            .await
            .and_then(|p| {
                if p.place_id == id {
                    Ok(())
                } else {
                    Err(jiceng_store::StoreError::NotFound)
                }
            })?;
        write_review(&state, &ctx, Target::Publication(pid), &data).await
    }
    .await;
    match r {
        Ok(()) => Ok(done(&format!("/places/{id}/board"))),
        Err(e) => {
            let fb = Feedback::refusal("review", data.0, e, ctx.lang)?;
            staff_page(&state, &ctx, id, Some(fb)).await
        }
    }
}

fn overdue_table(ctx: &Ctx, rows: &[Overdue]) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption: l("逾期未公开的村（社区）", "Villages overdue"),
        headers: vec![l("村（社区）", "Village"), l("原因", "Why")],
        rows: rows
            .iter()
            .map(|o| {
                vec![
                    Cell::link(&o.place_name, format!("/places/{}/board", o.place_id)),
                    Cell::text(o.reason.clone()),
                ]
            })
            .collect(),
        empty: l("没有逾期未公开的村（社区）", "No village is overdue"),
    }
}

async fn overdue_rows(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
) -> Result<Vec<Overdue>, AppError> {
    let under = match q.under_id() {
        Some(pid) => Some(state.store.place(&ctx.scope, pid).await?.prefix()),
        None => None,
    };
    Ok(state
        .store
        .board_overdue(&ctx.scope, under.as_deref(), &day_of(state.now()))
        .await?)
}

/// Villages under a place that are behind on their publications.
pub async fn overdue(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let rows = overdue_rows(&state, &ctx, &q).await?;
    let c = Chrome::new(
        &ctx,
        l("村务公开逾期", "Publication overdue"),
        "nav.home",
        "/board-overdue",
    );
    let under = q.under.clone().unwrap_or_default();
    super::render_record(&RecordPage {
        c,
        facts: vec![
            (
                l("逾期村（社区）数", "Villages overdue"),
                rows.len().to_string(),
            ),
            (
                l("公开要求", "Rule"),
                state
                    .store
                    .publication_rule(&day_of(state.now()))
                    .await?
                    .basis,
            ),
        ],
        stats: vec![],
        tables: vec![overdue_table(&ctx, &rows)],
        links: vec![(
            l("导出（Excel）", "Export (.xlsx)"),
            format!("/board-overdue/export.xlsx?under={under}"),
        )],
        forms: vec![],
    })
}

pub async fn overdue_export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let rows = overdue_rows(&state, &ctx, &q).await?;
    crate::xlsx::tables("board-overdue", &[overdue_table(&ctx, &rows)])
}

#[derive(Template)]
#[template(path = "public_board.html")]
struct PublicBoard {
    name: String,
    /// The village's code, for the link to its residents' voice form.
    code: String,
    today: String,
    up: Vec<Publication>,
    past: Vec<Publication>,
}

impl PublicBoard {
    fn category(&self, c: &str) -> &'static str {
        category_zh(c)
    }
}

/// The board as residents see it: no account, no JavaScript, large type.
pub async fn public(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PageError(AppError::NotFound));
    }
    let today = day_of(state.now());
    let (place, up, past) = state.store.public_board(&code, &today).await?;
    super::ok(&PublicBoard {
        name: place.name,
        code: place.code,
        today,
        up,
        past,
    })
}
