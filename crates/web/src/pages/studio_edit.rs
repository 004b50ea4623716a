//! Changing a Party-representative studio (issue 5): its name, address and duty schedule, the
//! form filled in with what it has now, on the studio's page (`studios.rs`).

use super::{FormData, Id, saved};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::error::{AppError, PageError};
use crate::ui::{Field, FieldKind, Form};
use axum::extract::State;
use axum::response::Response;
use jiceng_store::studios::{NewStudio, Studio};

/// The studio's name, address and schedule, filled in with what it has now.
pub(super) fn edit_form(ctx: &Ctx, st: &Studio) -> Form {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Form::new(
        "edit",
        format!("/studios/{}/edit", st.id),
        l("修改工作室信息与接待日", "Change the studio and its duty days"),
        l("保存", "Save"),
    )
    .field(
        Field::new("name", l("工作室名称", "Name"), FieldKind::Text)
            .value(st.name.clone())
            .required(),
    )
    .field(
        Field::new("address", l("地址", "Address"), FieldKind::Text)
            .value(st.address.clone().unwrap_or_default()),
    )
    .field(
        Field::new(
            "rule",
            l("接待日规则（RRULE）", "Duty rule (RRULE)"),
            FieldKind::Text,
        )
        .value(st.rrule.clone())
        .required(),
    )
    .field(
        Field::new("since", l("新规则起始日期", "Rule from"), FieldKind::Date)
            .value(st.since_on.clone())
            .required(),
    )
    .field(
        Field::new("starts", l("开始时间", "Starts"), FieldKind::Text)
            .value(st.starts_at.clone())
            .required(),
    )
    .field(
        Field::new("ends", l("结束时间", "Ends"), FieldKind::Text)
            .value(st.ends_at.clone())
            .required(),
    )
    .note(l(
        "已登记的接待记录不变；新规则起始日期之前的接待日不能再补登。",
        "Recorded receptions stay; duty days before the new rule's first day can no longer be recorded.",
    ))
}

/// `POST /studios/{id}/edit`.
pub async fn edit(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let n = NewStudio {
            place_id: 0,
            name: data.get("name").into(),
            address: data.opt("address"),
            rule: data.get("rule").into(),
            since: data.get("since").into(),
            starts: data.get("starts").into(),
            ends: data.get("ends").into(),
        };
        state
            .store
            .update_studio(&ctx.actor, &ctx.scope, id, &n, state.now())
            .await?;
        Ok::<_, AppError>(format!("/studios/{id}"))
    }
    .await;
    saved(r, "edit", data, ctx.lang, |fb| {
        super::studios::studio_page(&state, &ctx, id, 1, Some(fb))
    })
    .await
}
