//! An organisation's dues for one month (党费收缴): who owes what by the rules, who has paid and
//! their receipt numbers, the month's totals, a payment recorded for many members at once, and the
//! sheet (with the receipts) as .xlsx.

use super::{FormData, Id, Q, RecordPage, done};
use crate::auth::{Ctx, PageCtx};
use crate::clock::{day_of, month_of};
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Table};
use crate::{AppState, xlsx};
use axum::extract::State;
use axum::response::Response;
use jiceng_domain::dues::format_yuan;
use jiceng_domain::member::{OCCUPATIONS, label};
use jiceng_store::dues::{Payment, prev_month};
use jiceng_store::dues_branch::{BranchDue, BranchSheet};
use serde::Deserialize;

#[derive(Debug, Deserialize, Default)]
pub struct MonthQuery {
    pub month: Option<String>,
    pub notice: Option<String>,
}

fn month(state: &AppState, q: &MonthQuery) -> String {
    q.month
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| month_of(state.now()))
}

fn headers(ctx: &Ctx) -> Vec<String> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    vec![
        l("姓名", "Name"),
        l("职业类别", "Occupation"),
        l("应交（元）", "Due (yuan)"),
        l("状态", "Status"),
        l("交纳日期", "Paid on"),
        l("收据编号", "Receipt no."),
    ]
}

fn row(ctx: &Ctx, month: &str, r: &BranchDue) -> Vec<String> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let state = match (&r.payment, r.amount) {
        (Some(_), _) => l("已交", "Paid"),
        (None, Some(_)) => l("未交", "Unpaid"),
        (None, None) => l("未登记交纳基数", "No income base"),
    };
    vec![
        r.name.clone(),
        label(&OCCUPATIONS, &r.occupation, ctx.lang.is_en()),
        r.payment
            .as_ref()
            .map(|p| p.1)
            .or(r.amount)
            .map_or_else(|| "—".into(), format_yuan),
        state,
        r.payment.as_ref().map_or_else(String::new, |p| p.2.clone()),
        r.receipt_no(month).unwrap_or_default(),
    ]
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    month: &str,
    fb: Option<Feedback>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let sheet: BranchSheet = state.store.branch_dues(&ctx.scope, id, month).await?;
    let m = &sheet.month;
    let (due, paid, due_fen, paid_fen) = sheet.totals();
    let mut c = Chrome::new(
        ctx,
        format!("{} · {} {m}", sheet.org_name, l("党费收缴", "Dues")),
        "nav.members",
        &format!("/orgs/{id}/dues?month={m}"),
    );
    c.notice = notice;
    let facts = vec![
        (l("应交人数", "Members due"), due.to_string()),
        (l("已交人数", "Paid"), paid.to_string()),
        (
            l("未交人数", "Unpaid"),
            due.saturating_sub(paid).to_string(),
        ),
        (l("应交合计（元）", "Due (yuan)"), format_yuan(due_fen)),
        (l("已交合计（元）", "Paid (yuan)"), format_yuan(paid_fen)),
        (
            l("依据", "Basis"),
            l(
                "《关于中国共产党党费收缴、使用和管理的规定》（2008）",
                "CPC dues rules (2008)",
            ),
        ),
    ];
    let table = Table {
        caption: format!("{} {m}", l("党费收缴登记", "Dues sheet")),
        headers: headers(ctx),
        rows: sheet
            .rows
            .iter()
            .map(|r| {
                let mut cells: Vec<Cell> = row(ctx, m, r).into_iter().map(Cell::text).collect();
                cells[0] = Cell::link(&r.name, format!("/members/{}", r.member_id));
                cells
            })
            .collect(),
        empty: l("本组织没有在册党员", "No current members here"),
    };
    let open: Vec<(String, String, bool)> = sheet
        .rows
        .iter()
        .filter(|r| r.payment.is_none())
        .filter_map(|r| {
            r.amount.map(|a| {
                (
                    r.member_id.to_string(),
                    format!("{} · {}", r.name, format_yuan(a)),
                    true,
                )
            })
        })
        .collect();
    let mut forms = Vec::new();
    if !open.is_empty() {
        forms.push(
            Form::new(
                "dues-bulk",
                format!("/orgs/{id}/dues"),
                format!("{} {m}", l("登记党费收缴", "Record payments for")),
                l("登记所选党员已交", "Record the chosen as paid"),
            )
            .field(Field::new("month", "", FieldKind::Hidden).value(m))
            .field(Field::new(
                "member_id",
                l("已交党员（金额按规定计算）", "Members who paid (amounts by the rules)"),
                FieldKind::Checks(open),
            ))
            .field(
                Field::new("paid_on", l("交纳日期", "Paid on"), FieldKind::Date)
                    .value(day_of(state.now()))
                    .required(),
            )
            .note(l(
                "一次登记在同一事务中完成：任何一人已交或未登记基数，整批不登记并指明是谁。",
                "All or nothing: if anyone has paid already or has no base, nothing is recorded and they are named.",
            )),
        );
    }
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let next = jiceng_store::dues::next_month(m);
    let mut links = vec![
        (
            l(
                "导出收缴表及收据（Excel）",
                "Export the sheet with receipts (xlsx)",
            ),
            format!("/orgs/{id}/dues/export.xlsx?month={m}"),
        ),
        (
            format!("← {}", prev_month(m)),
            format!("/orgs/{id}/dues?month={}", prev_month(m)),
        ),
    ];
    if next <= month_of(state.now()) {
        links.push((format!("{next} →"), format!("/orgs/{id}/dues?month={next}")));
    }
    links.push((
        l("返回党组织", "Back to the organisation"),
        format!("/orgs/{id}"),
    ));
    super::render_record(&RecordPage {
        c,
        facts,
        stats: vec![],
        tables: vec![table],
        links,
        forms,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    Q(q): Q<MonthQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let notice = q
        .notice
        .as_ref()
        .map(|_| ctx.lang.pick("已登记", "Recorded").to_string());
    page(&state, &ctx, id, &month(&state, &q), None, notice).await
}

pub async fn record(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let now = state.now();
    let current = month_of(now);
    let month = data.get("month").to_string();
    let r = async {
        let ids = data.ids("member_id")?;
        let pay = Payment {
            month: &month,
            paid_on: data.get("paid_on"),
            current_month: &current,
        };
        state
            .store
            .record_branch_dues(&ctx.actor, &ctx.scope, id, &pay, &ids, now)
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    match r {
        Ok(()) => Ok(done(&format!("/orgs/{id}/dues?month={month}&notice=saved"))),
        Err(e) => {
            let fb = Feedback::refusal("dues-bulk", data.0, e, ctx.lang)?;
            page(&state, &ctx, id, &month, Some(fb), None).await
        }
    }
}

pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    Q(q): Q<MonthQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let sheet = state
        .store
        .branch_dues(&ctx.scope, id, &month(&state, &q))
        .await?;
    let rows: Vec<Vec<String>> = sheet
        .rows
        .iter()
        .map(|r| row(&ctx, &sheet.month, r))
        .collect();
    xlsx::download(
        &format!("dues-{}-{}", sheet.org_id, sheet.month),
        ctx.lang.pick("党费收缴", "Dues"),
        &headers(&ctx),
        &rows,
    )
}
