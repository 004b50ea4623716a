//! Transfers on pages: the member's page sends a letter or withdraws it; the transfers page lists
//! what is coming in to be received and what went out.

use super::{FormData, Id, RecordPage, done, render};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Field, FieldKind, Form, Table};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_store::members::Member;
use jiceng_store::transfers::{Letter, Side, Transfer};

fn status(ctx: &Ctx, s: &str) -> String {
    let l = ctx.lang;
    match s {
        "in_transit" => l.pick("转接中", "In transit"),
        "confirmed" => l.pick("已接收", "Received"),
        _ => l.pick("已撤回", "Withdrawn"),
    }
    .to_string()
}

fn table(ctx: &Ctx, caption: String, rows: &[Transfer]) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Table {
        caption,
        headers: vec![
            l("党员", "Member"),
            l("转出党组织", "From"),
            l("接收党组织", "To"),
            l("介绍信编号", "Letter"),
            l("转出日期", "Sent"),
            l("状态", "Status"),
        ],
        rows: rows
            .iter()
            .map(|t| {
                vec![
                    Cell::link(&t.member_name, format!("/members/{}", t.member_id)),
                    Cell::text(&t.from_org_name),
                    Cell::text(format!("{}（#{}）", t.to_org_name, t.to_org_id)),
                    Cell::text(&t.letter_no),
                    Cell::text(&t.sent_on),
                    Cell::text(format!(
                        "{}{}",
                        status(ctx, &t.status),
                        t.closed_on
                            .as_deref()
                            .map(|d| format!(" {d}"))
                            .unwrap_or_default()
                    )),
                ]
            })
            .collect(),
        empty: ctx.t().t("common.empty").into(),
    }
}

/// The member page's transfer history and forms.
pub async fn section(
    state: &AppState,
    ctx: &Ctx,
    m: &Member,
) -> Result<(Table, Vec<Form>), AppError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let list = state.store.member_transfers(&ctx.scope, m.id).await?;
    let mut forms = Vec::new();
    match list.iter().find(|t| t.status == "in_transit") {
        Some(open) if open.from_org_id == m.org_id => {
            forms.push(
                Form::new(
                    "transfer-withdraw",
                    format!("/transfers/{}/withdraw", open.id),
                    l("撤回转出", "Withdraw the transfer"),
                    l("撤回", "Withdraw"),
                )
                .danger(),
            );
        }
        Some(_) => {}
        None if crate::member_is_current(&m.status) => {
            forms.push(
                Form::new(
                    "transfer-send",
                    format!("/members/{}/transfer", m.id),
                    l("转出组织关系", "Transfer out"),
                    l("开具介绍信", "Issue the letter"),
                )
                .field(
                    Field::new(
                        "to_org_id",
                        l("接收党组织编号", "Receiving organisation number"),
                        FieldKind::Number,
                    )
                    .required(),
                )
                .field(
                    Field::new(
                        "letter_no",
                        l("介绍信编号", "Letter number"),
                        FieldKind::Text,
                    )
                    .required(),
                )
                .field(
                    Field::new("sent_on", l("转出日期", "Date"), FieldKind::Date)
                        .value(day_of(state.now()))
                        .required(),
                )
                .note(l(
                    "接收方确认前，该党员仍在本组织，状态为“转接中”。",
                    "Until the receiver confirms, the member stays here, in transit.",
                )),
            );
        }
        None => {}
    }
    Ok((table(ctx, l("组织关系转接", "Transfers"), &list), forms))
}

pub async fn send(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let to = data.int(
            "to_org_id",
            "接收党组织编号",
            "The receiving organisation number",
        )?;
        let letter = Letter {
            to_org_id: to,
            letter_no: data.get("letter_no"),
            sent_on: data.get("sent_on"),
        };
        state
            .store
            .send_transfer(&ctx.actor, &ctx.scope, id, &letter, state.now())
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    super::members::after_form(&state, &ctx, id, "transfer-send", data, r).await
}

async fn close(state: &AppState, ctx: &Ctx, id: i64, receive: bool) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    state
        .store
        .close_transfer(
            &ctx.actor,
            &ctx.scope,
            id,
            receive,
            &day_of(state.now()),
            state.now(),
        )
        .await?;
    Ok(done("/transfers?notice=saved"))
}

pub async fn receive(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    close(&state, &ctx, id, true).await
}

pub async fn withdraw(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    close(&state, &ctx, id, false).await
}

/// Incoming transfers to receive, and outgoing ones, within the caller's scope.
pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let incoming = state
        .store
        .transfers(&ctx.scope, Side::Incoming, true)
        .await?;
    let outgoing = state
        .store
        .transfers(&ctx.scope, Side::Outgoing, false)
        .await?;
    let forms = incoming
        .iter()
        .map(|t| {
            Form::new(
                format!("receive-{}", t.id),
                format!("/transfers/{}/receive", t.id),
                format!(
                    "{} · {}（{}）",
                    l("确认接收", "Receive"),
                    t.member_name,
                    t.letter_no
                ),
                l("确认接收", "Receive"),
            )
        })
        .collect();
    let mut c = Chrome::new(
        &ctx,
        l("组织关系转接", "Transfers"),
        "nav.members",
        "/transfers",
    );
    c.notice = None;
    let page = RecordPage {
        c,
        facts: vec![(l("待接收", "To receive"), incoming.len().to_string())],
        stats: vec![],
        tables: vec![
            table(&ctx, l("待接收（转入本辖区）", "Coming in"), &incoming),
            table(&ctx, l("转出记录", "Sent out"), &outgoing),
        ],
        links: vec![],
        forms,
    };
    render(StatusCode::OK, &page)
}
