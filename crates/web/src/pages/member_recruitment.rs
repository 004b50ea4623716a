//! The recruitment file on the member's page: steps recorded so far and the form for the next one;
//! a refusal names the rule and the date the step becomes possible.

use super::{FormData, Id};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Field, FieldKind, Form, Table};
use axum::extract::State;
use axum::response::Response;
use jiceng_domain::recruitment::{STAGES, STEPS};
use jiceng_store::members::Member;
use jiceng_store::recruitment::NewStep;

pub async fn section(
    state: &AppState,
    ctx: &Ctx,
    m: &Member,
) -> Result<(Table, Vec<Form>), AppError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let (file, rows) = state.store.recruitment_file(&ctx.scope, m.id).await?;
    let step_name = |n: i64| {
        STEPS.iter().find(|s| i64::from(s.0) == n).map_or_else(
            || l("延长预备期", "Probation extended"),
            |s| format!("{}. {}", s.0, ctx.lang.pick(s.2, s.3)),
        )
    };
    let table = Table {
        caption: l("发展党员", "Recruitment"),
        headers: vec![
            l("步骤", "Step"),
            l("日期", "Date"),
            l("学时/月数", "Hours / months"),
            l("备注", "Note"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::text(step_name(r.step)),
                    Cell::text(&r.date),
                    Cell::text(r.value.map(|v| v.to_string()).unwrap_or_default()),
                    Cell::text(r.note.clone().unwrap_or_default()),
                ]
            })
            .collect(),
        empty: l("尚未登记发展程序", "No steps recorded"),
    };
    let mut forms = Vec::new();
    // Only someone on the way in has a next step: full and former members have none to record.
    let on_the_way = matches!(
        m.status.as_str(),
        "applicant" | "activist" | "prospect" | "probationary"
    );
    if let Some(next) = file.next_step().filter(|_| on_the_way) {
        let (n, stage, zh, en) = STEPS[usize::from(next) - 1];
        let stage_name = ctx.lang.pick(
            STAGES[usize::from(stage) - 1].0,
            STAGES[usize::from(stage) - 1].1,
        );
        let mut form = Form::new(
            "recruitment",
            format!("/members/{}/recruitment", m.id),
            format!(
                "{}：{n}. {}",
                l("下一步", "Next step"),
                ctx.lang.pick(zh, en)
            ),
            l("登记", "Record"),
        )
        .field(Field::new("step", "", FieldKind::Hidden).value(n.to_string()))
        .field(
            Field::new("date", l("日期", "Date"), FieldKind::Date)
                .value(day_of(state.now()))
                .required(),
        );
        if n == 11 {
            form = form.field(
                Field::new("value", l("培训学时", "Training hours"), FieldKind::Number).required(),
            );
        }
        forms.push(
            form.field(Field::new("note", l("备注", "Note"), FieldKind::Text))
                .note(format!("{}：{stage_name}", l("阶段", "Stage"))),
        );
    }
    if m.status == "probationary" && file.extension.is_none() {
        forms.push(
            Form::new(
                "probation",
                format!("/members/{}/probation", m.id),
                l(
                    "延长预备期（限一次，6–12个月）",
                    "Extend probation (once, 6–12 months)",
                ),
                l("延长", "Extend"),
            )
            .field(Field::new("value", l("延长月数", "Months"), FieldKind::Number).required())
            .field(
                Field::new("date", l("决定日期", "Decided on"), FieldKind::Date)
                    .value(day_of(state.now()))
                    .required(),
            ),
        );
    }
    Ok((table, forms))
}

pub async fn record(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let step = u8::try_from(data.int("step", "步骤", "The step")?)
            .map_err(|_| AppError::bad("recruitment.step_invalid", "无此步骤", "no such step"))?;
        let value = match data.opt("value") {
            Some(_) => Some(data.int("value", "培训学时", "Training hours")?),
            None => None,
        };
        let new = NewStep {
            step,
            date: data.get("date"),
            value,
            note: data.get("note"),
        };
        Ok::<_, AppError>(
            state
                .store
                .record_step(&ctx.actor, &ctx.scope, id, &new, state.now())
                .await?,
        )
    }
    .await;
    super::members::after_form(&state, &ctx, id, "recruitment", data, r).await
}

pub async fn extend(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let months = u32::try_from(data.int("value", "延长月数", "Months")?).unwrap_or(0);
        Ok::<_, AppError>(
            state
                .store
                .extend_probation(
                    &ctx.actor,
                    &ctx.scope,
                    id,
                    months,
                    data.get("date"),
                    state.now(),
                )
                .await?,
        )
    }
    .await;
    super::members::after_form(&state, &ctx, id, "probation", data, r).await
}

/// Who is due for what by the end of next month (or overdue), in the caller's subtree.
pub async fn due(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
) -> Result<Response, PageError> {
    super::render(axum::http::StatusCode::OK, &due_page(&state, &ctx).await?)
}

/// The same table as .xlsx.
pub async fn due_export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
) -> Result<Response, PageError> {
    crate::xlsx::tables("recruitment-due", &due_page(&state, &ctx).await?.tables)
}

async fn due_page(state: &AppState, ctx: &Ctx) -> Result<super::RecordPage, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let now = state.now();
    let this_month = crate::clock::month_of(now);
    let next = jiceng_domain::recruitment::add_months(&format!("{this_month}-01"), 1);
    // "YYYY-MM-31" bounds every date of that month when compared as text.
    let until = format!("{}-31", &next[..7]);
    let rows = state.store.recruitment_due(&ctx.scope, &until).await?;
    let today = day_of(now);
    let table = Table {
        caption: String::new(),
        headers: vec![
            l("党员", "Member"),
            l("党组织", "Organisation"),
            l("下一步", "Next step"),
            l("日期", "Date"),
            l("说明", "Note"),
        ],
        rows: rows
            .iter()
            .map(|d| {
                let step = STEPS[usize::from(d.step) - 1];
                let note = match (d.deadline, d.date < today) {
                    (true, true) => l("已逾期", "Overdue"),
                    (true, false) => l("截止日期", "Deadline"),
                    (false, _) => l("此日起可办理", "Possible from this day"),
                };
                vec![
                    Cell::link(&d.name, format!("/members/{}", d.member_id)),
                    Cell::link(&d.org_name, format!("/orgs/{}", d.org_id)),
                    Cell::text(format!("{}. {}", step.0, ctx.lang.pick(step.2, step.3))),
                    Cell::text(&d.date),
                    Cell::text(note),
                ]
            })
            .collect(),
        empty: l(
            "下月底前没有到期的发展步骤",
            "Nothing falls due by the end of next month",
        ),
    };
    let c = crate::ui::Chrome::new(
        ctx,
        l("发展党员到期提醒", "Recruitment steps due"),
        "nav.members",
        "/members/due",
    );
    let facts = vec![
        (l("截至", "Until"), until.clone()),
        (l("到期事项", "Steps due"), rows.len().to_string()),
    ];
    Ok(super::RecordPage {
        c,
        facts,
        stats: vec![],
        tables: vec![table],
        links: vec![(
            ctx.t().t("common.export").into(),
            "/members/due/export.xlsx".into(),
        )],
        forms: vec![],
    })
}
