//! Transfers on pages: the member's page sends a letter (to an organisation in the system or
//! outside it), records the receipt of one sent outside, or withdraws it; the transfers page lists
//! what is coming in to be received and what went out, and registers arrivals from outside.

use super::{FormData, Id, RecordPage, done};
use crate::AppState;
use crate::auth::{Ctx, PageCtx, local_path};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Table};
use axum::extract::State;
use axum::response::Response;
use jiceng_store::members::Member;
use jiceng_store::transfers::{Arrival, Letter, OutLetter, Side, Transfer};

fn status(ctx: &Ctx, t: &Transfer) -> String {
    let l = ctx.lang;
    match (t.status.as_str(), t.direction.as_str()) {
        ("in_transit", _) => l.pick("转接中", "In transit"),
        ("confirmed", "out") => l.pick("已转出（回执已收）", "Gone (receipt back)"),
        ("confirmed", _) => l.pick("已接收", "Received"),
        _ => l.pick("已撤回", "Withdrawn"),
    }
    .to_string()
}

/// A side of a transfer as a reader sees it: the organisation (with its number, which the letter
/// form asks for) or the one outside the system, marked as such.
fn side(ctx: &Ctx, id: Option<i64>, name: &str) -> String {
    match id {
        Some(id) => format!("{name}（#{id}）"),
        None => format!("{name}{}", ctx.lang.pick("（系统外）", " (outside)")),
    }
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
                    Cell::text(side(ctx, t.from_org_id, t.from_name())),
                    Cell::text(side(ctx, t.to_org_id, t.to_name())),
                    Cell::text(&t.letter_no),
                    Cell::text(&t.sent_on),
                    Cell::text(format!(
                        "{}{}",
                        status(ctx, t),
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

fn letter_fields(form: Form, ctx: &Ctx, today: &str) -> Form {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    form.field(
        Field::new(
            "letter_no",
            l("介绍信编号", "Letter number"),
            FieldKind::Text,
        )
        .required(),
    )
    .field(
        Field::new("sent_on", l("转出日期", "Date"), FieldKind::Date)
            .value(today)
            .required(),
    )
}

/// The receipt of a letter sent outside the system: the date it came back.
fn receipt_form(ctx: &Ctx, t: &Transfer, today: &str, back: &str) -> Form {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    Form::new(
        format!("receipt-{}", t.id),
        format!("/transfers/{}/receive", t.id),
        format!(
            "{} · {}（{}）",
            l("登记回执", "Record the receipt"),
            t.member_name,
            t.letter_no
        ),
        l("登记回执", "Record the receipt"),
    )
    .field(
        Field::new("on", l("回执日期", "Receipt date"), FieldKind::Date)
            .value(today)
            .required(),
    )
    .field(Field::new("back", "", FieldKind::Hidden).value(back))
    .note(l(
        "对方党组织已接收：该党员转出本系统，记录保留备查，不再计入本组织党员数。",
        "The other side received the member: they leave the register here; the record stays.",
    ))
}

/// The member page's transfer history and forms.
pub async fn section(
    state: &AppState,
    ctx: &Ctx,
    m: &Member,
) -> Result<(Table, Vec<Form>), AppError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let list = state.store.member_transfers(&ctx.scope, m.id).await?;
    let today = day_of(state.now());
    let back = format!("/members/{}", m.id);
    let mut forms = Vec::new();
    match list.iter().find(|t| t.status == "in_transit") {
        Some(open) if open.from_org_id == Some(m.org_id) => {
            if open.direction == "out" {
                forms.push(receipt_form(ctx, open, &today, &back));
            }
            forms.push(
                Form::new(
                    "transfer-withdraw",
                    format!("/transfers/{}/withdraw", open.id),
                    l("撤回转出", "Withdraw the transfer"),
                    l("撤回", "Withdraw"),
                )
                .field(Field::new("back", "", FieldKind::Hidden).value(&back))
                .danger(),
            );
        }
        Some(_) => {}
        None if crate::member_is_current(&m.status) => {
            let within = Form::new(
                "transfer-send",
                format!("/members/{}/transfer", m.id),
                l("转出组织关系（系统内）", "Transfer out (within the system)"),
                l("开具介绍信", "Issue the letter"),
            )
            .field(
                Field::new(
                    "to_org_id",
                    l("接收党组织编号", "Receiving organisation number"),
                    FieldKind::Number,
                )
                .required(),
            );
            forms.push(letter_fields(within, ctx, &today).note(l(
                "接收方确认前，该党员仍在本组织，状态为“转接中”。",
                "Until the receiver confirms, the member stays here, in transit.",
            )));
            let outside = Form::new(
                "transfer-out",
                format!("/members/{}/transfer-out", m.id),
                l("转出组织关系（转往系统外）", "Transfer out of the system"),
                l("开具介绍信", "Issue the letter"),
            )
            .field(
                Field::new(
                    "counterpart",
                    l("接收党组织（全称）", "Receiving organisation (full name)"),
                    FieldKind::Text,
                )
                .required(),
            );
            forms.push(letter_fields(outside, ctx, &today).note(l(
                "如转往外省或中央单位。回执寄回并登记前，该党员仍在本组织，状态为“转接中”。",
                "E.g. to another province. Until the receipt is back and recorded, the member stays here.",
            )));
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

pub async fn send_out(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let letter = OutLetter {
        counterpart: data.get("counterpart"),
        letter_no: data.get("letter_no"),
        sent_on: data.get("sent_on"),
    };
    let r = state
        .store
        .send_transfer_out(&ctx.actor, &ctx.scope, id, &letter, state.now())
        .await
        .map(|_| ())
        .map_err(AppError::from);
    super::members::after_form(&state, &ctx, id, "transfer-out", data, r).await
}

async fn close(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    receive: bool,
    data: &FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let on = data.opt("on").unwrap_or_else(|| day_of(state.now()));
    state
        .store
        .close_transfer(&ctx.actor, &ctx.scope, id, receive, &on, state.now())
        .await?;
    let back = local_path(data.get("back")).unwrap_or("/transfers");
    let sep = if back.contains('?') { '&' } else { '?' };
    Ok(done(&format!("{back}{sep}notice=saved")))
}

pub async fn receive(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    close(&state, &ctx, id, true, &data).await
}

pub async fn withdraw(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    close(&state, &ctx, id, false, &data).await
}

/// A member arriving with a letter from an organisation outside the system.
pub async fn arrive(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let input = super::members::input(&data)?;
        let arrival = Arrival {
            counterpart: data.get("counterpart"),
            letter_no: data.get("letter_no"),
            received_on: data.get("received_on"),
        };
        let (m, _) = state
            .store
            .admit_from_outside(&ctx.actor, &ctx.scope, input, &arrival, state.now())
            .await?;
        Ok::<_, AppError>(m)
    }
    .await;
    match r {
        Ok(m) => Ok(done(&format!("/members/{}?notice=saved", m.id))),
        Err(e) => {
            let fb = Feedback::refusal("arrive", data.0, e, ctx.lang)?;
            page(&state, &ctx, Some(fb)).await
        }
    }
}

/// Incoming transfers to receive, and outgoing ones, within the caller's scope.
pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    page(&state, &ctx, None).await
}

/// Both lists as .xlsx, one sheet each.
pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let p = build(&state, &ctx, None).await?;
    crate::xlsx::tables("transfers", &p.tables)
}

async fn page(state: &AppState, ctx: &Ctx, fb: Option<Feedback>) -> Result<Response, PageError> {
    super::render_record(&build(state, ctx, fb).await?)
}

async fn build(state: &AppState, ctx: &Ctx, fb: Option<Feedback>) -> Result<RecordPage, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let today = day_of(state.now());
    let incoming = state
        .store
        .transfers(&ctx.scope, Side::Incoming, true)
        .await?;
    let outgoing = state
        .store
        .transfers(&ctx.scope, Side::Outgoing, false)
        .await?;
    let mut forms: Vec<Form> = incoming
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
    forms.extend(
        outgoing
            .iter()
            .filter(|t| t.direction == "out" && t.status == "in_transit")
            .map(|t| receipt_form(ctx, t, &today, "/transfers")),
    );
    let arrive = super::members::member_form(
        ctx.t(),
        "arrive",
        "/transfers/arrive".into(),
        &l("系统外转入登记", "Arrival from outside the system"),
        None,
        "",
    )
    .field(
        Field::new(
            "counterpart",
            l("原党组织（系统外，全称）", "Sending organisation outside (full name)"),
            FieldKind::Text,
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
        Field::new("received_on", l("转入日期", "Arrived on"), FieldKind::Date)
            .value(&today)
            .required(),
    )
    .note(l(
        "持外省或中央单位介绍信转入的党员在此登记；曾转出系统外的党员按身份证号找回原记录。",
        "Members arriving with a letter from outside register here; one who once left gets their record back.",
    ));
    forms.push(arrive);
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let mut c = Chrome::new(
        ctx,
        l("组织关系转接", "Transfers"),
        "nav.members",
        "/transfers",
    );
    c.notice = None;
    Ok(RecordPage {
        c,
        facts: vec![(l("待接收", "To receive"), incoming.len().to_string())],
        stats: vec![],
        tables: vec![
            table(ctx, l("待接收（转入本辖区）", "Coming in"), &incoming),
            table(ctx, l("转出与转入记录", "Sent out and arrived"), &outgoing),
        ],
        links: vec![(
            ctx.t().t("common.export").into(),
            "/transfers/export.xlsx".into(),
        )],
        forms,
    })
}
