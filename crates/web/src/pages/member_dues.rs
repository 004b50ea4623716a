//! Dues on the member's page: what this month costs, months unpaid, payments, and the forms to
//! record an income base and a payment. The amount always comes from the rules, never typed.

use super::members::member_page;
use super::{FormData, Id};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::{day_of, month_of};
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Feedback, Field, FieldKind, Form, Table};
use axum::extract::State;
use axum::response::Response;
use jiceng_domain::dues::{format_yuan, parse_yuan};
use jiceng_store::dues::Payment;
use jiceng_store::members::Member;

pub async fn section(
    state: &AppState,
    ctx: &Ctx,
    m: &Member,
) -> Result<(Vec<(String, String)>, Table, Vec<Form>), AppError> {
    let t = ctx.t();
    let now = state.now();
    let st = state
        .store
        .dues_status(&ctx.scope, m.id, &month_of(now))
        .await?;
    let facts = vec![
        (
            t.t("dues.monthly").to_string(),
            st.monthly
                .map_or_else(|| t.t("dues.none").to_string(), format_yuan),
        ),
        (t.t("dues.unpaid").to_string(), st.unpaid.len().to_string()),
    ];
    let table = Table {
        caption: t.t("dues.title").into(),
        headers: vec![
            t.t("dues.month").into(),
            t.t("dues.amount").into(),
            t.t("dues.paid_on").into(),
        ],
        rows: st
            .payments
            .iter()
            .take(24)
            .map(|(month, amount, on)| {
                vec![
                    Cell::text(month),
                    Cell::text(format_yuan(*amount)),
                    Cell::text(on),
                ]
            })
            .collect(),
        empty: t.t("common.empty").into(),
    };
    let id = m.id;
    let forms = vec![
        Form::new(
            "dues-pay",
            format!("/members/{id}/dues/pay"),
            t.t("dues.pay"),
            t.t("common.save"),
        )
        .field(
            Field::new("month", t.t("dues.month"), FieldKind::Text)
                .value(st.unpaid.first().cloned().unwrap_or_else(|| month_of(now)))
                .required(),
        )
        .field(
            Field::new("paid_on", t.t("dues.paid_on"), FieldKind::Date)
                .value(day_of(now))
                .required(),
        ),
        Form::new(
            "dues-base",
            format!("/members/{id}/dues/base"),
            t.t("dues.set_base"),
            t.t("common.save"),
        )
        .field(
            Field::new("income", t.t("dues.income"), FieldKind::Text)
                .required()
                .autocomplete("off"),
        )
        .field(
            Field::new("from_month", t.t("dues.from_month"), FieldKind::Text)
                .value(month_of(now))
                .required(),
        ),
    ];
    Ok((facts, table, forms))
}

async fn after(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: &'static str,
    data: FormData,
    r: Result<(), AppError>,
) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(super::done(&format!("/members/{id}?notice=saved"))),
        Err(e) => {
            let fb = Feedback::refusal(form, data.0, e, ctx.lang)?;
            member_page(state, ctx, id, Some(fb), None, None).await
        }
    }
}

pub async fn set_base(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let income = parse_yuan(data.get("income"), "income")?;
        state
            .store
            .set_dues_base(
                &ctx.actor,
                &ctx.scope,
                id,
                data.get("from_month"),
                income,
                state.now(),
            )
            .await?;
        Ok(())
    }
    .await;
    after(&state, &ctx, id, "dues-base", data, r).await
}

pub async fn pay(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let now = state.now();
    let current = month_of(now);
    let pay = Payment {
        month: data.get("month"),
        paid_on: data.get("paid_on"),
        current_month: &current,
    };
    let r = state
        .store
        .record_dues(&ctx.actor, &ctx.scope, id, &pay, now)
        .await
        .map(|_| ())
        .map_err(AppError::from);
    after(&state, &ctx, id, "dues-pay", data, r).await
}
