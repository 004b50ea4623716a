//! The register's procedures over JSON: transfers (in the system, out of it, arrivals from
//! outside), dues (a member's, an organisation's month, payments) and the recruitment file. The
//! same store calls as the pages, so the same rules, scope and audit entries.

use super::members::MemberBody;
use super::{ApiJson, ApiQuery, ApiResult, PathId};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::clock::month_of;
use crate::error::{AppError, ErrorBody};
use axum::Json;
use axum::extract::State;
use jiceng_store::dues::Payment;
use jiceng_store::members::Member;
use jiceng_store::transfers::{Arrival, Letter, OutLetter, Side, Transfer};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(transfers))
        .routes(routes!(send))
        .routes(routes!(receive))
        .routes(routes!(withdraw))
        .routes(routes!(arrive))
        .routes(routes!(member_dues))
        .routes(routes!(pay))
        .routes(routes!(base))
        .routes(routes!(org_dues, org_pay))
        .routes(routes!(recruitment, record_step))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransferParams {
    /// incoming (to organisations in scope, default) | outgoing (sent from them, or arrived from outside)
    pub side: Option<String>,
    /// Only those in transit.
    pub open: Option<bool>,
}

/// A letter: to an organisation in the system (`to_org_id`) or outside it (`counterpart`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct LetterBody {
    pub to_org_id: Option<i64>,
    pub counterpart: Option<String>,
    pub letter_no: String,
    /// YYYY-MM-DD
    pub sent_on: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DateBody {
    /// YYYY-MM-DD; today when left out.
    pub on: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ArrivalBody {
    pub member: MemberBody,
    /// The sending organisation outside the system.
    pub counterpart: String,
    pub letter_no: String,
    pub received_on: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub month: String,
    pub amount_fen: i64,
    pub paid_on: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuesView {
    /// What the month costs (fen), when an income base exists.
    pub monthly_fen: Option<i64>,
    /// Months due and unpaid, oldest first.
    pub unpaid: Vec<String>,
    pub payments: Vec<PaymentView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PayBody {
    /// YYYY-MM
    pub month: String,
    pub paid_on: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BaseBody {
    /// YYYY-MM
    pub from_month: String,
    /// Monthly income after tax, in fen.
    pub income_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Amount {
    pub amount_fen: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthParams {
    /// YYYY-MM; this month when left out.
    pub month: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SheetRow {
    pub member_id: i64,
    pub name: String,
    pub occupation: String,
    pub amount_fen: Option<i64>,
    pub paid_on: Option<String>,
    pub receipt_no: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SheetView {
    pub org_id: i64,
    pub org_name: String,
    pub month: String,
    pub due_count: usize,
    pub paid_count: usize,
    pub due_fen: i64,
    pub paid_fen: i64,
    pub rows: Vec<SheetRow>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkBody {
    pub month: String,
    pub paid_on: String,
    pub member_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recorded {
    pub count: usize,
    pub total_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    /// 1–25 (《发展细则》); 0 is an extension of probation.
    pub step: i64,
    pub date: String,
    pub value: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StepBody {
    pub step: u8,
    pub date: String,
    /// Training hours for step 11.
    pub value: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// Transfers of organisational relation on one side of the caller's scope, newest first.
#[utoipa::path(get, path = "/transfers", tag = "members", params(TransferParams), responses((status = 200, body = Vec<Transfer>), (status = 403, body = ErrorBody)))]
async fn transfers(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(p): ApiQuery<TransferParams>,
) -> ApiResult<Vec<Transfer>> {
    ctx.require(ctx.role.manages_members())?;
    let side = match p.side.as_deref() {
        None | Some("incoming") => Side::Incoming,
        Some("outgoing") => Side::Outgoing,
        Some(_) => {
            return Err(AppError::bad(
                "request.invalid_query",
                "side 只能是 incoming 或 outgoing",
                "side is incoming or outgoing",
            )
            .into());
        }
    };
    let list = state
        .store
        .transfers(&ctx.scope, side, p.open.unwrap_or(false))
        .await?;
    Ok(Json(list))
}

/// Issues the letter: the member goes in transit, to an organisation in the system or outside it.
#[utoipa::path(post, path = "/members/{id}/transfers", tag = "members", params(("id" = i64, Path)), request_body = LetterBody, responses((status = 200, body = Transfer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn send(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(b): ApiJson<LetterBody>,
) -> ApiResult<Transfer> {
    ctx.require(ctx.role.manages_members())?;
    let now = state.now();
    let t = match (b.to_org_id, b.counterpart.as_deref()) {
        (Some(to_org_id), None) => {
            let letter = Letter {
                to_org_id,
                letter_no: &b.letter_no,
                sent_on: &b.sent_on,
            };
            state
                .store
                .send_transfer(&ctx.actor, &ctx.scope, id, &letter, now)
                .await?
        }
        (None, Some(counterpart)) => {
            let letter = OutLetter {
                counterpart,
                letter_no: &b.letter_no,
                sent_on: &b.sent_on,
            };
            state
                .store
                .send_transfer_out(&ctx.actor, &ctx.scope, id, &letter, now)
                .await?
        }
        _ => {
            return Err(AppError::Rule(
                jiceng_domain::DomainError::new(
                    "transfer.destination",
                    "请填写接收党组织编号（系统内）或接收党组织全称（系统外），二者选一",
                    "give either to_org_id (in the system) or counterpart (outside it)",
                )
                .on("to_org_id"),
            )
            .into());
        }
    };
    Ok(Json(t))
}

async fn close(
    state: &AppState,
    ctx: &crate::auth::Ctx,
    id: i64,
    receive: bool,
    on: Option<String>,
) -> ApiResult<Transfer> {
    ctx.require(ctx.role.manages_members())?;
    let on = on.unwrap_or_else(|| crate::clock::day_of(state.now()));
    Ok(Json(
        state
            .store
            .close_transfer(&ctx.actor, &ctx.scope, id, receive, &on, state.now())
            .await?,
    ))
}

/// Receives a transfer (the receiving side), or records the receipt of one sent outside the system (the sender).
#[utoipa::path(post, path = "/transfers/{id}/receive", tag = "members", params(("id" = i64, Path)), request_body = DateBody, responses((status = 200, body = Transfer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn receive(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(b): ApiJson<DateBody>,
) -> ApiResult<Transfer> {
    close(&state, &ctx, id, true, b.on).await
}

/// Withdraws a transfer in transit (the sender).
#[utoipa::path(post, path = "/transfers/{id}/withdraw", tag = "members", params(("id" = i64, Path)), request_body = DateBody, responses((status = 200, body = Transfer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn withdraw(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(b): ApiJson<DateBody>,
) -> ApiResult<Transfer> {
    close(&state, &ctx, id, false, b.on).await
}

/// Registers a member arriving with a letter from outside the system (a returning member gets their record back).
#[utoipa::path(post, path = "/transfers/arrivals", tag = "members", request_body = ArrivalBody, responses((status = 200, body = Member), (status = 422, body = ErrorBody)))]
async fn arrive(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiJson(b): ApiJson<ArrivalBody>,
) -> ApiResult<Member> {
    ctx.require(ctx.role.manages_members())?;
    let arrival = Arrival {
        counterpart: &b.counterpart,
        letter_no: &b.letter_no,
        received_on: &b.received_on,
    };
    let (m, _) = state
        .store
        .admit_from_outside(
            &ctx.actor,
            &ctx.scope,
            b.member.into(),
            &arrival,
            state.now(),
        )
        .await?;
    Ok(Json(m))
}

/// A member's dues: this month's amount, unpaid months and payments.
#[utoipa::path(get, path = "/members/{id}/dues", tag = "members", params(("id" = i64, Path)), responses((status = 200, body = DuesView), (status = 404, body = ErrorBody)))]
async fn member_dues(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
) -> ApiResult<DuesView> {
    ctx.require(ctx.role.manages_members())?;
    let st = state
        .store
        .dues_status(&ctx.scope, id, &month_of(state.now()))
        .await?;
    Ok(Json(DuesView {
        monthly_fen: st.monthly,
        unpaid: st.unpaid,
        payments: st
            .payments
            .into_iter()
            .map(|(month, amount_fen, paid_on)| PaymentView {
                month,
                amount_fen,
                paid_on,
            })
            .collect(),
    }))
}

/// Records a month as paid, at the amount the rules give.
#[utoipa::path(post, path = "/members/{id}/dues/payments", tag = "members", params(("id" = i64, Path)), request_body = PayBody, responses((status = 200, body = Amount), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn pay(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(b): ApiJson<PayBody>,
) -> ApiResult<Amount> {
    ctx.require(ctx.role.manages_members())?;
    let now = state.now();
    let current = month_of(now);
    let p = Payment {
        month: &b.month,
        paid_on: &b.paid_on,
        current_month: &current,
    };
    let amount_fen = state
        .store
        .record_dues(&ctx.actor, &ctx.scope, id, &p, now)
        .await?;
    Ok(Json(Amount { amount_fen }))
}

/// Sets the income base from a month on (the history is kept).
#[utoipa::path(post, path = "/members/{id}/dues/bases", tag = "members", params(("id" = i64, Path)), request_body = BaseBody, responses((status = 200, body = DuesView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn base(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(b): ApiJson<BaseBody>,
) -> ApiResult<DuesView> {
    ctx.require(ctx.role.manages_members())?;
    if b.income_fen < 0 {
        return Err(AppError::Rule(
            jiceng_domain::DomainError::new(
                "dues.income_invalid",
                "月收入不能为负数",
                "income cannot be negative",
            )
            .on("income_fen"),
        )
        .into());
    }
    state
        .store
        .set_dues_base(
            &ctx.actor,
            &ctx.scope,
            id,
            &b.from_month,
            b.income_fen,
            state.now(),
        )
        .await?;
    member_dues(State(state), ApiCtx(ctx), PathId(id)).await
}

/// An organisation's dues for a month: each current member's amount, payment and receipt number.
#[utoipa::path(get, path = "/orgs/{id}/dues", tag = "members", params(("id" = i64, Path), MonthParams), responses((status = 200, body = SheetView), (status = 404, body = ErrorBody)))]
async fn org_dues(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiQuery(p): ApiQuery<MonthParams>,
) -> ApiResult<SheetView> {
    ctx.require(ctx.role.manages_members())?;
    let month = p.month.unwrap_or_else(|| month_of(state.now()));
    let s = state.store.branch_dues(&ctx.scope, id, &month).await?;
    let (due_count, paid_count, due_fen, paid_fen) = s.totals();
    let rows = s
        .rows
        .iter()
        .map(|r| SheetRow {
            member_id: r.member_id,
            name: r.name.clone(),
            occupation: r.occupation.clone(),
            amount_fen: r.payment.as_ref().map(|p| p.1).or(r.amount),
            paid_on: r.payment.as_ref().map(|p| p.2.clone()),
            receipt_no: r.receipt_no(&s.month),
        })
        .collect();
    Ok(Json(SheetView {
        org_id: s.org_id,
        org_name: s.org_name,
        month: s.month,
        due_count,
        paid_count,
        due_fen,
        paid_fen,
        rows,
    }))
}

/// Records one month as paid for many members of the organisation, all or nothing.
#[utoipa::path(post, path = "/orgs/{id}/dues", tag = "members", params(("id" = i64, Path)), request_body = BulkBody, responses((status = 200, body = Recorded), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn org_pay(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(b): ApiJson<BulkBody>,
) -> ApiResult<Recorded> {
    ctx.require(ctx.role.manages_members())?;
    let now = state.now();
    let current = month_of(now);
    let p = Payment {
        month: &b.month,
        paid_on: &b.paid_on,
        current_month: &current,
    };
    let (count, total_fen) = state
        .store
        .record_branch_dues(&ctx.actor, &ctx.scope, id, &p, &b.member_ids, now)
        .await?;
    Ok(Json(Recorded { count, total_fen }))
}

/// The member's recruitment file: the steps of 《发展细则》 recorded so far.
#[utoipa::path(get, path = "/members/{id}/recruitment", tag = "members", params(("id" = i64, Path)), responses((status = 200, body = Vec<StepView>), (status = 404, body = ErrorBody)))]
async fn recruitment(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
) -> ApiResult<Vec<StepView>> {
    ctx.require(ctx.role.manages_members())?;
    let (_, rows) = state.store.recruitment_file(&ctx.scope, id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| StepView {
                step: r.step,
                date: r.date,
                value: r.value,
                note: r.note,
            })
            .collect(),
    ))
}

/// Records the next step; refused with the rule's name when out of order or too early.
#[utoipa::path(post, path = "/members/{id}/recruitment", tag = "members", params(("id" = i64, Path)), request_body = StepBody, responses((status = 200, body = Vec<StepView>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_step(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(b): ApiJson<StepBody>,
) -> ApiResult<Vec<StepView>> {
    ctx.require(ctx.role.manages_members())?;
    let step = jiceng_store::recruitment::NewStep {
        step: b.step,
        date: &b.date,
        value: b.value,
        note: &b.note,
    };
    state
        .store
        .record_step(&ctx.actor, &ctx.scope, id, &step, state.now())
        .await?;
    recruitment(State(state), ApiCtx(ctx), PathId(id)).await
}
