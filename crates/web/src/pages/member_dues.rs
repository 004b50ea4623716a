//! Dues on the member's page: what this month costs, months unpaid, payments, and the forms to
//! record an income base and a payment. The amount always comes from the rules, never typed.

use super::{FormData, Id};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::{day_of, month_of};
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Field, FieldKind, Form, Table};
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
    super::members::after_form(&state, &ctx, id, "dues-base", data, r).await
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
    super::members::after_form(&state, &ctx, id, "dues-pay", data, r).await
}

/// Members behind with dues in the caller's subtree: 3+ months warned, 6+ flagged for the branch.
pub async fn lapse(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    super::Q(q): super::Q<super::ListQuery>,
) -> Result<Response, PageError> {
    super::render(
        axum::http::StatusCode::OK,
        &lapse_page(&state, &ctx, &q).await?,
    )
}

/// The same two tables (members, organisations) as .xlsx.
pub async fn lapse_export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    super::Q(q): super::Q<super::ListQuery>,
) -> Result<Response, PageError> {
    crate::xlsx::tables("dues-arrears", &lapse_page(&state, &ctx, &q).await?.tables)
}

async fn lapse_page(
    state: &AppState,
    ctx: &Ctx,
    q: &super::ListQuery,
) -> Result<super::RecordPage, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let t = ctx.t();
    let under = q.under_place(state, ctx).await?;
    let rows = state
        .store
        .lapse_watch(
            &ctx.scope,
            under.as_ref().map(|p| p.prefix()).as_deref(),
            &month_of(state.now()),
        )
        .await?;
    let flagged = rows.iter().filter(|l| l.flagged()).count();
    let l = |zh: &'static str, en: &'static str| t.lang().pick(zh, en).to_string();
    let mut c = crate::ui::Chrome::new(
        ctx,
        l("党费欠交提醒", "Dues in arrears"),
        "nav.members",
        "/members/lapse",
    );
    if let Some(p) = &under {
        c.crumbs = super::places::crumbs(state, ctx, p).await?;
    }
    let facts = vec![
        (
            l("连续3个月未交（提醒）", "3+ months unpaid (warned)"),
            (rows.len() - flagged).to_string(),
        ),
        (
            l(
                "连续6个月未交（自行脱党候选，由支部研究决定）",
                "6+ months unpaid (自行脱党 candidates for the branch)",
            ),
            flagged.to_string(),
        ),
        (
            l("依据", "Basis"),
            l("《党章》第九条", "CPC Constitution, Art. 9"),
        ),
    ];
    let table = Table {
        caption: l("党员", "Members"),
        headers: vec![
            t.t("common.name").into(),
            t.t("nav.orgs").into(),
            l("未交起始月", "Unpaid since"),
            l("连续月数", "Months"),
            t.t("common.status").into(),
        ],
        rows: rows
            .iter()
            .map(|r| {
                let level = if r.flagged() {
                    l("自行脱党候选", "自行脱党 candidate")
                } else {
                    l("提醒", "Warned")
                };
                vec![
                    Cell::link(&r.name, format!("/members/{}", r.member_id)),
                    Cell::link(&r.org_name, format!("/orgs/{}", r.org_id)),
                    Cell::text(&r.since),
                    Cell::text(r.months.to_string()),
                    Cell::text(level),
                ]
            })
            .collect(),
        empty: l("没有欠交3个月以上的党员", "Nobody is three months behind"),
    };
    // Arrears per organisation: the same people counted where they are registered.
    let mut per_org: Vec<(i64, String, usize, usize)> = Vec::new();
    for r in &rows {
        let i = match per_org.iter().position(|o| o.0 == r.org_id) {
            Some(i) => i,
            None => {
                per_org.push((r.org_id, r.org_name.clone(), 0, 0));
                per_org.len() - 1
            }
        };
        per_org[i].2 += 1;
        per_org[i].3 += usize::from(r.flagged());
    }
    per_org.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
    let orgs = Table {
        caption: l("按党组织", "By organisation"),
        headers: vec![
            t.t("nav.orgs").into(),
            l("欠交3个月以上", "3+ months behind"),
            l("其中6个月以上", "of whom 6+ months"),
        ],
        rows: per_org
            .iter()
            .map(|(id, name, n, flagged)| {
                vec![
                    Cell::link(name, format!("/orgs/{id}/dues")),
                    Cell::text(n.to_string()),
                    Cell::text(flagged.to_string()),
                ]
            })
            .collect(),
        empty: l("没有欠交的党组织", "No organisation has members behind"),
    };
    let (life_facts, life_table) =
        super::meeting_extras::lapse_section(state, ctx, under.as_ref()).await?;
    let mut facts = facts;
    facts.extend(life_facts);
    let export = match &under {
        Some(p) => format!("/members/lapse/export.xlsx?under={}", p.id),
        None => "/members/lapse/export.xlsx".into(),
    };
    Ok(super::RecordPage {
        c,
        facts,
        stats: vec![],
        tables: vec![table, orgs, life_table],
        links: vec![(t.t("common.export").into(), export)],
        forms: vec![],
    })
}
