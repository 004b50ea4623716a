//! 四议两公开 pages (issue 6): a village's key-powers list and its matters; a matter's page with its
//! steps so far, the form for the next one (a passed resolution of the right body's meeting, or a
//! publication on the board), and the supervision committee's reviews. A refused step says which
//! rule refused it, beside the field.

use super::village::village_links;
use super::{FormData, Id, ListQuery, Q, RecordPage, done, saved};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Pager, Table};
use axum::extract::State;
use axum::response::Response;
use jiceng_domain::decision::Step;
use jiceng_domain::meeting::{MeetingKind, add_days};
use jiceng_domain::village::Body;
use jiceng_store::board::Target;
use jiceng_store::matters::{MatterRow, StepInput};
use jiceng_store::sql::Page;

fn step_zh(s: Option<&str>) -> &'static str {
    match s {
        None => "已完成",
        Some(s) => Step::parse(s).map_or("—", Step::zh),
    }
}

fn matters_table(ctx: &Ctx, rows: &[MatterRow]) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption: l("事项", "Matters"),
        headers: vec![
            l("村（社区）", "Village"),
            l("事项名称", "Matter"),
            l("清单事项", "List item"),
            l("下一步", "Next step"),
        ],
        rows: rows
            .iter()
            .map(|m| {
                vec![
                    Cell::text(m.place_name.clone()),
                    Cell::link(&m.title, format!("/matters/{}", m.id)),
                    Cell::text(m.item_name.clone()),
                    Cell::text(step_zh(m.next_step.as_deref())),
                ]
            })
            .collect(),
        empty: l("尚无事项", "No matters yet"),
    }
}

pub(crate) async fn village_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    page: i64,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let place = s.place(&ctx.scope, id).await?;
    let items = s.power_items(&ctx.scope, id).await?;
    let (rows, total) = s
        .matters(
            &ctx.scope,
            Some(&place.prefix()),
            false,
            Page::new(Some(page), Some(50)),
        )
        .await?;
    let c = Chrome::new(
        ctx,
        format!("{} · {}", place.name, l("四议两公开", "Decisions")),
        "nav.home",
        &format!("/places/{id}/matters"),
    );
    let list = Table {
        caption: l("重要事权清单", "Key-powers list"),
        headers: vec![
            l("编码", "Code"),
            l("事项", "Matter"),
            l("决策机构", "Decided by"),
            l("公开天数", "Days published"),
            l("依据", "Basis"),
        ],
        rows: items
            .iter()
            .map(|i| {
                vec![
                    Cell::text(i.code.clone()),
                    Cell::text(i.name.clone()),
                    Cell::text(format!(
                        "{}（或经授权的村民代表会议）",
                        MeetingKind::parse(&i.decided_by).map_or("—", MeetingKind::zh)
                    )),
                    Cell::text(i.publication_days.to_string()),
                    Cell::text(i.basis.clone()),
                ]
            })
            .collect(),
        empty: l("清单为空", "The list is empty"),
    };
    let options: Vec<(String, String)> = items
        .iter()
        .map(|i| (i.id.to_string(), i.name.clone()))
        .collect();
    let (mandate_table, mandate_form) = super::mandates::section(state, ctx, id, &options).await?;
    let mut forms = vec![
        Form::new("matter", format!("/places/{id}/matters"), l("新建事项", "Open a matter"), l("新建", "Open"))
            .field(Field::new("item_id", l("清单事项", "List item"), FieldKind::Select(options)).required())
            .field(Field::new("title", l("事项名称", "Title"), FieldKind::Text).required())
            .note(l(
                "事项须依次经过：村党组织提议 → 村“两委”会议商议 → 党员大会审议 → 村民会议或村民代表会议决议 → 决议公开 → 实施结果公开。",
                "Each matter goes through the six steps in order.",
            )),
        Form::new("item", format!("/places/{id}/powers"), l("增加本村清单事项", "Add a local list item"), l("增加", "Add"))
            .field(Field::new("name", l("事项", "Matter"), FieldKind::Text).required())
            .field(Field::new("publication_days", l("公开天数", "Days published"), FieldKind::Number).value("7").required()),
        mandate_form,
    ];
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let mut links = vec![(
        l("导出事项（Excel）", "Export matters (.xlsx)"),
        format!("/matters/export.xlsx?under={id}"),
    )];
    let pager = Pager::new(&format!("/places/{id}/matters"), page, 50, total);
    links.extend(pager.links(ctx.lang));
    links.extend(village_links(ctx, id, &place.code));
    super::render_record(&RecordPage {
        c,
        facts: vec![
            (l("村（社区）", "Village"), place.name.clone()),
            (l("事项总数", "Matters"), total.to_string()),
            (l("页", "Page"), format!("{} / {}", pager.page, pager.pages)),
        ],
        stats: vec![],
        tables: vec![matters_table(ctx, &rows), list, mandate_table],
        links,
        forms,
    })
}

pub async fn village(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    village_page(&state, &ctx, id, q.page(), None).await
}

pub async fn open(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let item = data.int("item_id", "清单事项", "List item")?;
        Ok::<_, AppError>(
            state
                .store
                .open_matter(
                    &ctx.actor,
                    &ctx.scope,
                    id,
                    item,
                    data.get("title"),
                    state.now(),
                )
                .await?,
        )
    }
    .await;
    let to = r.map(|m| format!("/matters/{}", m.id));
    saved(to, "matter", data, ctx.lang, |fb| {
        village_page(&state, &ctx, id, 1, Some(fb))
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
        let days = data.int("publication_days", "公开天数", "Days published")?;
        state
            .store
            .add_power_item(
                &ctx.actor,
                &ctx.scope,
                id,
                data.get("name"),
                days,
                state.now(),
            )
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    let to = r.map(|()| format!("/places/{id}/matters"));
    saved(to, "item", data, ctx.lang, |fb| {
        village_page(&state, &ctx, id, 1, Some(fb))
    })
    .await
}

async fn matter_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let m = s.matter(&ctx.scope, id).await?;
    let steps = s.matter_steps(&ctx.scope, id).await?;
    let reviews = s.reviews(&ctx.scope, Target::Matter(id)).await?;
    let items = s.power_items(&ctx.scope, m.place_id).await?;
    let days = items
        .iter()
        .find(|i| i.id == m.item_id)
        .map_or(7, |i| i.publication_days);
    let today = day_of(state.now());
    let c = Chrome::new(ctx, m.title.clone(), "nav.home", &format!("/matters/{id}"));
    let mut facts = vec![
        (l("村（社区）", "Village"), m.place_name.clone()),
        (l("清单事项", "List item"), m.item_name.clone()),
        (
            l("下一步", "Next step"),
            step_zh(m.next_step.as_deref()).to_string(),
        ),
        (
            l("公开期限", "Publication period"),
            format!("{days}{}", l("天以上", " days or more")),
        ),
    ];
    let steps_table = Table {
        caption: l("程序记录", "Steps"),
        headers: vec![
            l("步骤", "Step"),
            l("日期", "Date"),
            l("依据", "Rests on"),
            l("表决/公开内容", "Resolution or publication"),
        ],
        rows: steps
            .iter()
            .map(|st| {
                let basis = match (st.meeting_id, st.publication_id) {
                    (Some(mid), _) => Cell::link(
                        format!(
                            "{} {}",
                            st.meeting_kind
                                .as_deref()
                                .and_then(MeetingKind::parse)
                                .map_or("", MeetingKind::zh),
                            st.meeting_title.clone().unwrap_or_default()
                        ),
                        format!("/meetings/{mid}"),
                    ),
                    (None, Some(_)) => Cell::text(format!(
                        "{}{}{}",
                        l("公开至", "Up until "),
                        st.down_on.clone().unwrap_or_default(),
                        ""
                    )),
                    _ => Cell::text("—"),
                };
                let what = st
                    .resolution_title
                    .clone()
                    .or_else(|| st.publication_title.clone())
                    .unwrap_or_default();
                vec![
                    Cell::text(step_zh(Some(&st.step))),
                    Cell::text(st.on_date.clone()),
                    basis,
                    Cell::text(what),
                ]
            })
            .collect(),
        empty: l(
            "尚未开始：第一步是村党组织提议",
            "Not started: the first step is the proposal",
        ),
    };
    let review_table = Table {
        caption: l("村务监督委员会监督意见", "Supervision committee's reviews"),
        headers: vec![
            l("日期", "Date"),
            l("监督委员", "Member"),
            l("意见", "Verdict"),
            l("说明", "Opinion"),
        ],
        rows: reviews
            .iter()
            .map(|r| {
                vec![
                    Cell::text(r.reviewed_on.clone()),
                    Cell::text(r.name.clone()),
                    Cell::text(if r.verdict == "agree" {
                        l("无异议", "Agree")
                    } else {
                        l("有异议", "Object")
                    }),
                    Cell::text(r.opinion.clone()),
                ]
            })
            .collect(),
        empty: l("尚无监督意见", "No reviews yet"),
    };
    let mut forms = Vec::new();
    let mut need: Option<(String, String)> = None;
    if let Some(next) = m.next_step.as_deref().and_then(Step::parse) {
        let title = format!("{}{}", l("登记：", "Record: "), next.zh());
        let mut form = Form::new(
            "step",
            format!("/matters/{id}/steps"),
            title,
            l("登记", "Record"),
        )
        .field(Field::new("step", "", FieldKind::Hidden).value(next.as_str()));
        if next.is_publication() {
            let down = add_days(&today, days).unwrap_or_default();
            form = form
                .field(Field::new("title", l("公开标题", "Title"), FieldKind::Text).required())
                .field(Field::new("body", l("公开内容", "Text"), FieldKind::LongText).required())
                .field(
                    Field::new("up_on", l("公开日期", "Up on"), FieldKind::Date)
                        .value(today.clone())
                        .required(),
                )
                .field(
                    Field::new("down_on", l("撤下日期", "Down on"), FieldKind::Date)
                        .value(down)
                        .required(),
                )
                .note(format!(
                    "{}{days}{}",
                    l("公开期限不少于", "At least "),
                    l(
                        "天；公开后不能修改，如需更正请在村务公开页发布更正。",
                        " days; published items cannot be changed, only corrected."
                    )
                ));
        } else {
            let choices = s
                .step_choices(&ctx.scope, id, next)
                .await?
                .into_iter()
                .map(|(rid, label)| (rid.to_string(), label))
                .collect::<Vec<_>>();
            let bodies: Vec<&str> = next.bodies().iter().map(|k| k.zh()).collect();
            // Nothing to choose yet: say what is missing and where to record it, not an empty list.
            if choices.is_empty() {
                let kind = next.bodies()[0];
                facts.push((
                    l("下一步需要", "Needed next"),
                    format!(
                        "{}{}{}",
                        l("尚无可作依据的", "No usable vote of "),
                        bodies.join("或"),
                        l("表决（须达到法定人数并获通过，且未用于其他事项）", " yet"),
                    ) + if next == Step::Resolution {
                        l(
                            "；村民代表会议须经村民会议授权才能决定",
                            "; the representatives need the villagers' authorisation",
                        )
                    } else {
                        String::new()
                    }
                    .as_str(),
                ));
                need = Some((
                    format!("{}{}", l("登记", "Record "), kind.zh()),
                    match kind {
                        MeetingKind::BranchAssembly => format!("/orgs?under={}", m.place_id),
                        k => format!("/places/{}/meetings?kind={}", m.place_id, k.as_str()),
                    },
                ));
            }
            form = form
                .field(
                    Field::new(
                        "resolution_id",
                        l("依据的表决", "Resolution"),
                        FieldKind::Select(choices),
                    )
                    .required(),
                )
                .note(format!(
                    "{}{}{}",
                    l("须为", "A passed resolution of a quorate "),
                    bodies.join("或"),
                    l(
                        "达到法定人数并获通过的表决；请先在“村级会议”登记会议和表决。",
                        " meeting; record the meeting first."
                    )
                ));
        }
        // A refused step keeps its form, to show why beside it.
        if need.is_none() || fb.as_ref().is_some_and(|f| f.form == "step") {
            forms.push(form);
        }
    }
    let supervisors: Vec<(String, String)> = s
        .seats_on(&ctx.scope, m.place_id, &today)
        .await?
        .into_iter()
        .filter(|r| r.body == Body::Supervision.as_str())
        .map(|r| (r.person_id.to_string(), r.name))
        .collect();
    if supervisors.is_empty() {
        facts.push((
            l("村务监督", "Supervision"),
            l(
                "尚未登记村务监督委员会成员，请在“村级组织”页登记后再录入监督意见",
                "No supervision committee seated yet",
            ),
        ));
    } else {
        forms.push(review_form(
            ctx,
            format!("/matters/{id}/reviews"),
            supervisors,
            &today,
            None,
        ));
    }
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let place = s.place(&ctx.scope, m.place_id).await?;
    let mut links = village_links(ctx, m.place_id, &place.code);
    if let Some(n) = need {
        links.insert(0, n);
    }
    super::render_record(&RecordPage {
        c,
        facts,
        stats: vec![],
        tables: vec![steps_table, review_table],
        links,
        forms,
    })
}

/// The supervision committee's review form (of a matter, or of a chosen publication).
pub fn review_form(
    ctx: &Ctx,
    action: String,
    supervisors: Vec<(String, String)>,
    today: &str,
    publications: Option<Vec<(String, String)>>,
) -> Form {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let verdicts = vec![
        ("agree".to_string(), l("无异议", "Agree")),
        ("object".to_string(), l("有异议", "Object")),
    ];
    let mut f = Form::new(
        "review",
        action,
        l("登记监督意见", "Record a review"),
        l("登记", "Record"),
    );
    if let Some(p) = publications {
        f = f.field(
            Field::new(
                "publication_id",
                l("公开事项", "Publication"),
                FieldKind::Select(p),
            )
            .required(),
        );
    }
    f.field(
        Field::new(
            "person_id",
            l("监督委员", "Member"),
            FieldKind::Select(supervisors),
        )
        .required(),
    )
    .field(Field::new("verdict", l("意见", "Verdict"), FieldKind::Select(verdicts)).required())
    .field(Field::new("opinion", l("说明", "Opinion"), FieldKind::LongText).required())
    .field(
        Field::new("reviewed_on", l("日期", "Date"), FieldKind::Date)
            .value(today)
            .required(),
    )
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    matter_page(&state, &ctx, id, None).await
}

pub async fn step(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let step = Step::parse(data.get("step")).ok_or_else(|| {
            AppError::bad(
                "request.invalid_form",
                "提交的表单格式不正确",
                "The form could not be read",
            )
        })?;
        let input = if step.is_publication() {
            StepInput::Publication {
                title: data.get("title").into(),
                body: data.get("body").into(),
                up_on: data.get("up_on").into(),
                down_on: data.get("down_on").into(),
            }
        } else {
            StepInput::Resolution(data.int("resolution_id", "依据的表决", "Resolution")?)
        };
        state
            .store
            .record_matter_step(&ctx.actor, &ctx.scope, id, step, &input, state.now())
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    match r {
        Ok(()) => Ok(done(&format!("/matters/{id}"))),
        Err(e) => {
            let fb = Feedback::refusal("step", data.0, e, ctx.lang)?;
            matter_page(&state, &ctx, id, Some(fb)).await
        }
    }
}

/// Records a review of `target`; the caller re-renders its page on a refusal.
pub async fn write_review(
    state: &AppState,
    ctx: &Ctx,
    target: Target,
    data: &FormData,
) -> Result<(), AppError> {
    let person = data.int("person_id", "监督委员", "Member")?;
    state
        .store
        .review(
            &ctx.actor,
            &ctx.scope,
            person,
            target,
            data.get("verdict"),
            data.get("opinion"),
            data.get("reviewed_on"),
            state.now(),
        )
        .await?;
    Ok(())
}

pub async fn review(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    match write_review(&state, &ctx, Target::Matter(id), &data).await {
        Ok(()) => Ok(done(&format!("/matters/{id}"))),
        Err(e) => {
            let fb = Feedback::refusal("review", data.0, e, ctx.lang)?;
            matter_page(&state, &ctx, id, Some(fb)).await
        }
    }
}

/// Matters in scope as .xlsx (of one village or every village under a place).
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
            .matters(&ctx.scope, under.as_deref(), false, crate::xlsx::batch(n))
            .await?;
        let more = crate::xlsx::more(n, rows.len());
        all.extend(rows);
        if !more {
            break;
        }
    }
    crate::xlsx::tables("matters", &[matters_table(&ctx, &all)])
}
