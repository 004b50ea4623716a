//! The district's calendar for service time limits: public holidays and weekend days worked in
//! their place, from a year back on; the district organisation department sets and removes days
//! (audited); every service-centre handler may read it. Due dates set afterwards count by it.

use super::problems::handles;
use super::{FormData, RecordPage, saved};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Table};
use axum::extract::State;
use axum::response::Response;
use jiceng_domain::Role;
use jiceng_domain::meeting::add_days;

fn edits(ctx: &Ctx) -> bool {
    ctx.role == Role::DistrictOrg
}

async fn page(state: &AppState, ctx: &Ctx, fb: Option<Feedback>) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let from = add_days(&day_of(state.now()), -365).map_err(AppError::Rule)?;
    let days = state.store.service_calendar(&from).await?;
    let mut forms = Vec::new();
    if edits(ctx) {
        let kinds = vec![
            ("off".to_string(), l("放假（工作日休息）", "Holiday")),
            (
                "on".to_string(),
                l("调休上班（周末上班）", "Weekend day worked"),
            ),
        ];
        forms.push(
            Form::new(
                "day",
                "/services/calendar",
                l("登记节假日或调休", "Set a day"),
                l("登记", "Save"),
            )
            .field(Field::new("day", l("日期", "Day"), FieldKind::Date).required())
            .field(Field::new("working", l("类型", "Kind"), FieldKind::Select(kinds)).required())
            .field(
                Field::new("note", l("节日名称或依据", "Holiday or basis"), FieldKind::Text)
                    .required(),
            )
            .note(l(
                "按国务院办公厅每年公布的节假日安排登记；登记后新确定的办结时限按此计算，已确定的不变。",
                "Enter the State Council's yearly schedule; due dates set from now on count by it.",
            )),
        );
    }
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let table = Table {
        caption: l("节假日与调休", "Holidays and days worked"),
        headers: vec![l("日期", "Day"), l("类型", "Kind"), l("说明", "Note")],
        rows: days
            .iter()
            .map(|d| {
                vec![
                    Cell::text(d.day.clone()),
                    Cell::text(if d.working == 1 {
                        l("调休上班", "Worked")
                    } else {
                        l("放假", "Holiday")
                    }),
                    Cell::text(d.note.clone()),
                ]
            })
            .collect(),
        empty: l(
            "尚未登记节假日：办理时限只扣除周六、周日",
            "No holidays entered: only weekends are skipped",
        ),
    };
    let c = Chrome::new(
        ctx,
        l("办理时限日历", "Working-day calendar"),
        "nav.services",
        "/services/calendar",
    );
    super::render_record(&RecordPage {
        c,
        facts: vec![],
        stats: vec![],
        tables: vec![table],
        links: vec![(l("服务事项目录", "Catalogue"), "/services".into())],
        forms,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    page(&state, &ctx, None).await
}

pub async fn set(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(edits(&ctx))?;
    let r = async {
        state
            .store
            .set_service_day(
                &ctx.actor,
                data.get("day"),
                data.get("working") == "on",
                data.get("note"),
                state.now(),
            )
            .await?;
        Ok::<_, AppError>("/services/calendar".to_string())
    }
    .await;
    saved(r, "day", data, ctx.lang, |fb| page(&state, &ctx, Some(fb))).await
}
