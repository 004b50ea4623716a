//! A household's page: who it is (masked, with the audited reveal), the members who looked after
//! it, its visits; the forms to assign or end a member's time and to close the household. The
//! visit form has a page of its own (`/households/{id}/visit`): short, first thing on a phone,
//! large touch targets, no script.

use super::{FormData, Id, RecordPage, saved};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Table};
use axum::extract::State;
use axum::response::Response;
use jiceng_store::households::{HouseholdField, MODES, NewVisit, Visit};
use jiceng_store::sql::Page;

fn mode_zh(m: &str) -> &'static str {
    MODES.iter().find(|(k, _)| *k == m).map_or("—", |(_, z)| z)
}

fn visits_table(ctx: &Ctx, rows: &[Visit]) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption: l("走访记录", "Visits"),
        headers: vec![
            l("日期", "Date"),
            l("方式", "How"),
            l("走访党员", "Member"),
            l("反映事项", "Raised"),
            l("问题清单", "Problem"),
        ],
        rows: rows
            .iter()
            .map(|v| {
                vec![
                    Cell::text(v.visited_on.clone()),
                    Cell::text(mode_zh(&v.mode)),
                    Cell::text(v.member_name.clone()),
                    Cell::text(v.raised.clone().unwrap_or_else(|| "—".into())),
                    match v.problem_id {
                        Some(p) => Cell::text(format!("#{p}")),
                        None => Cell::text("—"),
                    },
                ]
            })
            .collect(),
        empty: l("尚无走访记录", "No visits yet"),
    }
}

async fn household_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
    revealed: Option<(HouseholdField, Option<String>)>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let h = s.household(&ctx.scope, id).await?;
    let assignments = s.household_assignments(&ctx.scope, id).await?;
    let (visits, total) = s
        .household_visits(&ctx.scope, id, Page::new(None, Some(100)))
        .await?;
    let shown = |f: HouseholdField, masked: &Option<String>| match &revealed {
        Some((g, clear)) if *g == f => clear.clone().unwrap_or_else(|| "—".into()),
        _ => masked.clone().unwrap_or_else(|| "—".into()),
    };
    let mut c = Chrome::new(
        ctx,
        format!("{} · {}", h.head_name, l("住户", "Household")),
        "nav.home",
        &format!("/households/{id}"),
    );
    if revealed.is_some() {
        c.notice = Some(l(
            "已显示完整信息，此次查看已记入审计日志",
            "Shown in full; logged",
        ));
    }
    let facts = vec![
        (l("户主", "Head"), h.head_name.clone()),
        (l("网格（村）", "Grid"), h.place_name.clone()),
        (l("户内人数", "People"), h.people.to_string()),
        (
            l("电话", "Phone"),
            shown(HouseholdField::Phone, &h.phone_masked),
        ),
        (
            l("住址", "Address"),
            shown(HouseholdField::Address, &h.address_masked),
        ),
        (l("登记日期", "Registered"), h.since_on.clone()),
        (
            l("联系党员", "Member"),
            h.member_name.clone().unwrap_or_else(|| l("未安排", "None")),
        ),
        (l("走访次数", "Visits"), total.to_string()),
        (
            l("状态", "Status"),
            match &h.closed_on {
                Some(d) => format!(
                    "{}（{d}，{}）",
                    l("已注销", "Closed"),
                    h.closed_reason.clone().unwrap_or_default()
                ),
                None => l("在册", "Open"),
            },
        ),
    ];
    let assigned = Table {
        caption: l("联系党员", "Members looking after it"),
        headers: vec![l("党员", "Member"), l("起始", "From"), l("结束", "To")],
        rows: assignments
            .iter()
            .map(|a| {
                vec![
                    Cell::link(&a.member_name, format!("/members/{}", a.member_id)),
                    Cell::text(a.from_on.clone()),
                    Cell::text(a.to_on.clone().unwrap_or_else(|| l("至今", "now"))),
                ]
            })
            .collect(),
        empty: l("尚未安排联系党员", "No member yet"),
    };
    let mut forms: Vec<Form> = vec![];
    let today = day_of(state.now());
    if h.closed_on.is_none() {
        let members: Vec<(String, String)> = s
            .visitor_choices(&ctx.scope, id)
            .await?
            .into_iter()
            .map(|(i, n)| (i.to_string(), n))
            .collect();
        forms.push(
            Form::new(
                "assign",
                format!("/households/{id}/assign"),
                l("安排联系党员", "Assign a member"),
                l("安排", "Assign"),
            )
            .field(
                Field::new("member_id", l("党员", "Member"), FieldKind::Select(members)).required(),
            )
            .field(
                Field::new("from_on", l("起始日期", "From"), FieldKind::Date)
                    .value(today.clone())
                    .required(),
            ),
        );
        if let Some(a) = assignments.iter().find(|a| a.to_on.is_none()) {
            forms.push(
                Form::new(
                    "end",
                    format!("/households/{id}/assignments/end"),
                    format!(
                        "{}（{}）",
                        l("结束联系", "End the assignment"),
                        a.member_name
                    ),
                    l("结束", "End"),
                )
                .field(Field::new("assignment_id", "", FieldKind::Hidden).value(a.id.to_string()))
                .field(
                    Field::new("to_on", l("最后一天", "Last day"), FieldKind::Date)
                        .value(today.clone())
                        .required(),
                ),
            );
        }
        forms.push(
            Form::new(
                "close",
                format!("/households/{id}/close"),
                l("注销该户（迁出等）", "Close (moved away)"),
                l("注销", "Close"),
            )
            .field(
                Field::new("closed_on", l("注销日期", "Closed on"), FieldKind::Date)
                    .value(today.clone())
                    .required(),
            )
            .field(
                Field::new("reason", l("原因", "Reason"), FieldKind::Text)
                    .value(l("迁出", "Moved away"))
                    .required(),
            )
            .danger(),
        );
    }
    for (v, title) in [
        ("phone", l("显示完整电话", "Show the phone")),
        ("address", l("显示完整住址", "Show the address")),
    ] {
        forms.push(
            Form::new(
                format!("reveal-{v}"),
                format!("/households/{id}/reveal"),
                title,
                l("显示（记入审计）", "Show (audited)"),
            )
            .field(Field::new("field", "", FieldKind::Hidden).value(v)),
        );
    }
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let mut links = vec![];
    if h.closed_on.is_none() {
        links.push((
            l("登记走访", "Log a visit"),
            format!("/households/{id}/visit"),
        ));
    }
    links.push((
        l("返回住户名单", "Households"),
        format!("/places/{}/households", h.place_id),
    ));
    super::render_record(&RecordPage {
        c,
        facts,
        stats: vec![],
        tables: vec![visits_table(ctx, &visits), assigned],
        links,
        forms,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    household_page(&state, &ctx, id, None, None).await
}

/// The visit form alone: household, who, when, how, what was raised, and whether it goes on
/// the problem list.
async fn visit_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let h = s.household(&ctx.scope, id).await?;
    let members: Vec<(String, String)> = s
        .visitor_choices(&ctx.scope, id)
        .await?
        .into_iter()
        .map(|(i, n)| (i.to_string(), n))
        .collect();
    let mut member = Field::new(
        "member_id",
        l("走访党员", "Member"),
        FieldKind::Select(members),
    )
    .required();
    if let Some(m) = h.member_id {
        member = member.value(m.to_string());
    }
    let modes = MODES
        .iter()
        .map(|(k, z)| (k.to_string(), z.to_string()))
        .collect();
    let mut forms = vec![
        Form::new(
            "visit",
            format!("/households/{id}/visits"),
            l("登记走访", "Log a visit"),
            l("保存走访", "Save"),
        )
        .field(member)
        .field(
            Field::new("visited_on", l("日期", "Date"), FieldKind::Date)
                .value(day_of(state.now()))
                .required(),
        )
        .field(
            Field::new("mode", l("方式", "How"), FieldKind::Select(modes))
                .value("home")
                .required(),
        )
        .field(Field::new(
            "raised",
            l("反映的事项（可不填）", "Raised (optional)"),
            FieldKind::LongText,
        ))
        .field(Field::new(
            "problem",
            l("转入问题清单", "Put on the problem list"),
            FieldKind::Checkbox,
        )),
    ];
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let c = Chrome::new(
        ctx,
        format!("{} · {}", h.head_name, l("登记走访", "Log a visit")),
        "nav.home",
        &format!("/households/{id}/visit"),
    );
    super::render_record(&RecordPage {
        c,
        facts: vec![(l("网格（村）", "Grid"), h.place_name.clone())],
        stats: vec![],
        tables: vec![],
        links: vec![(l("返回该户", "Back"), format!("/households/{id}"))],
        forms,
    })
}

pub async fn visit_form(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    visit_page(&state, &ctx, id, None).await
}

pub async fn record_visit(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let raised = data.opt("raised");
        let n = NewVisit {
            household_id: id,
            member_id: data.int("member_id", "走访党员", "Member")?,
            visited_on: data.get("visited_on").into(),
            mode: data.get("mode").into(),
            raise_as_problem: raised.clone().filter(|_| data.flag("problem")),
            raised,
        };
        let now = state.now();
        state
            .store
            .record_visit(&ctx.actor, &ctx.scope, &n, &day_of(now), now)
            .await?;
        Ok::<_, AppError>(format!("/households/{id}"))
    }
    .await;
    saved(r, "visit", data, ctx.lang, |fb| {
        visit_page(&state, &ctx, id, Some(fb))
    })
    .await
}

pub async fn assign(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let member = data.int("member_id", "党员", "Member")?;
        state
            .store
            .assign_household(
                &ctx.actor,
                &ctx.scope,
                id,
                member,
                data.get("from_on"),
                state.now(),
            )
            .await?;
        Ok::<_, AppError>(format!("/households/{id}"))
    }
    .await;
    saved(r, "assign", data, ctx.lang, |fb| {
        household_page(&state, &ctx, id, Some(fb), None)
    })
    .await
}

pub async fn end_assignment(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let a = data.int("assignment_id", "联系关系", "Assignment")?;
        // The assignment must be this household's: read within scope, then compared.
        let mine = state.store.household_assignments(&ctx.scope, id).await?;
        if !mine.iter().any(|x| x.id == a) {
            return Err(AppError::NotFound);
        }
        state
            .store
            .end_assignment(&ctx.actor, &ctx.scope, a, data.get("to_on"), state.now())
            .await?;
        Ok::<_, AppError>(format!("/households/{id}"))
    }
    .await;
    saved(r, "end", data, ctx.lang, |fb| {
        household_page(&state, &ctx, id, Some(fb), None)
    })
    .await
}

pub async fn close(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let now = state.now();
        state
            .store
            .close_household(
                &ctx.actor,
                &ctx.scope,
                id,
                (data.get("closed_on"), data.get("reason")),
                &day_of(now),
                now,
            )
            .await?;
        Ok::<_, AppError>(format!("/households/{id}"))
    }
    .await;
    saved(r, "close", data, ctx.lang, |fb| {
        household_page(&state, &ctx, id, Some(fb), None)
    })
    .await
}

pub async fn reveal(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let field = HouseholdField::parse(data.get("field")).ok_or(AppError::NotFound)?;
    let clear = state
        .store
        .reveal_household(&ctx.actor, &ctx.scope, id, field, state.now())
        .await?;
    household_page(&state, &ctx, id, None, Some((field, clear))).await
}
