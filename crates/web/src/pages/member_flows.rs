//! Flowing members (流动党员) on pages: the member's page records a flow or ends it; the list shows
//! members of the caller's organisations who are away (外出) and those hosted here (流入), with the
//! same filters in its Excel export.

use super::members::member_page;
use super::{FormData, Id, ListQuery, Q, done, listing};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::i18n::T;
use crate::ui::{Cell, Feedback, Field, FieldKind, Form, Table};
use crate::xlsx;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_domain::flow::FLOWING_STATUSES;
use jiceng_store::flows::{Flow, FlowFilter, FlowInput, FlowSide};
use jiceng_store::members::Member;

fn l(t: T, zh: &'static str, en: &'static str) -> String {
    t.lang().pick(zh, en).to_string()
}

fn headers(t: T) -> Vec<String> {
    vec![
        t.t("common.name").into(),
        l(t, "所在党组织", "Register organisation"),
        l(t, "外出地点", "Where"),
        l(t, "流入地党组织", "Host organisation"),
        l(t, "外出日期", "Away since"),
        l(t, "活动证编号", "Certificate"),
        l(t, "结束日期", "Ended"),
    ]
}

fn cells(f: &Flow) -> Vec<String> {
    vec![
        f.member_name.clone(),
        f.org_name.clone(),
        f.destination.clone(),
        f.host_org_name.clone().unwrap_or_else(|| "—".into()),
        f.away_since.clone(),
        f.certificate_no.clone().unwrap_or_else(|| "—".into()),
        f.ended_on.clone().unwrap_or_else(|| "—".into()),
    ]
}

/// The member page's flow history and its form (record, or end the open one).
pub async fn section(
    state: &AppState,
    ctx: &Ctx,
    m: &Member,
) -> Result<(Option<(String, String)>, Table, Vec<Form>), AppError> {
    let t = ctx.t();
    let list = state.store.member_flows(&ctx.scope, m.id).await?;
    let open = list.iter().find(|f| f.ended_on.is_none());
    let today = day_of(state.now());
    let mut forms = Vec::new();
    match open {
        Some(f) => forms.push(
            Form::new(
                "flow-end",
                format!("/flows/{}/end", f.id),
                l(t, "结束流动党员登记", "End the flowing registration"),
                l(t, "结束登记", "End"),
            )
            .field(
                Field::new("ended_on", l(t, "结束日期", "Ended on"), FieldKind::Date)
                    .value(today.clone())
                    .required(),
            )
            .note(l(
                t,
                "党员返回或组织关系已转出时结束登记。",
                "End it when the member is back or their relation moved.",
            )),
        ),
        None if FLOWING_STATUSES.contains(&m.status.as_str()) => forms.push(
            Form::new(
                "flow-start",
                format!("/members/{}/flow", m.id),
                l(t, "登记为流动党员", "Register as a flowing member"),
                l(t, "登记", "Register"),
            )
            .field(Field::new("destination", l(t, "外出地点", "Where"), FieldKind::Text).required())
            .field(
                Field::new(
                    "away_since",
                    l(t, "外出日期", "Away since"),
                    FieldKind::Date,
                )
                .required(),
            )
            .field(Field::new(
                "host_org_id",
                l(
                    t,
                    "流入地党组织编号（系统内，可不填）",
                    "Host organisation number (optional)",
                ),
                FieldKind::Number,
            ))
            .field(Field::new(
                "certificate_no",
                l(t, "流动党员活动证编号", "Certificate number"),
                FieldKind::Text,
            ))
            .field(
                Field::new(
                    "registered_on",
                    l(t, "登记日期", "Registered on"),
                    FieldKind::Date,
                )
                .value(today)
                .required(),
            )
            .note(l(
                t,
                "外出连续满6个月方可登记；党员的组织关系仍在本组织。",
                "Six consecutive months away first; the relation stays here.",
            )),
        ),
        None => {}
    }
    let fact = open.map(|f| {
        (
            l(t, "流动党员", "Flowing member"),
            format!(
                "{}（{} {}）",
                f.destination,
                l(t, "外出自", "away since"),
                f.away_since
            ),
        )
    });
    let table = Table {
        caption: l(t, "流动党员登记", "Flowing registrations"),
        headers: headers(t)[2..].to_vec(),
        rows: list
            .iter()
            .map(|f| cells(f)[2..].iter().map(Cell::text).collect())
            .collect(),
        empty: t.t("common.empty").into(),
    };
    Ok((fact, table, forms))
}

pub async fn start(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let host = match data.opt("host_org_id") {
            Some(_) => Some(data.int(
                "host_org_id",
                "流入地党组织编号",
                "The host organisation number",
            )?),
            None => None,
        };
        let input = FlowInput {
            host_org_id: host,
            destination: data.get("destination").into(),
            certificate_no: data.get("certificate_no").into(),
            away_since: data.get("away_since").into(),
            registered_on: data.get("registered_on").into(),
        };
        state
            .store
            .start_flow(&ctx.actor, &ctx.scope, id, &input, state.now())
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    super::members::after_form(&state, &ctx, id, "flow-start", data, r).await
}

pub async fn end(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = state
        .store
        .end_flow(
            &ctx.actor,
            &ctx.scope,
            id,
            data.get("ended_on"),
            state.now(),
        )
        .await;
    match r {
        Ok(f) => Ok(done(&format!("/members/{}?notice=saved", f.member_id))),
        Err(e) => {
            // The flow is in scope (else NotFound above), so its member's page is too.
            let member = state
                .store
                .flow(&ctx.scope, id)
                .await
                .map_err(AppError::from)?
                .member_id;
            let fb = Feedback::refusal("flow-end", data.0, e.into(), ctx.lang)?;
            member_page(&state, &ctx, member, Some(fb), None, None).await
        }
    }
}

fn side(q: &ListQuery) -> FlowSide {
    if q.kind.as_deref() == Some("in") {
        FlowSide::In
    } else {
        FlowSide::Out
    }
}

fn filter(q: &ListQuery) -> FlowFilter {
    FlowFilter {
        q: q.q.clone(),
        org_id: q.org.as_deref().and_then(|o| o.parse().ok()),
    }
}

/// Open flows: members of the caller's organisations who are away, or those hosted here.
pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let t = ctx.t();
    let (rows, total) = state
        .store
        .flows(&ctx.scope, side(&q), &filter(&q), q.list_page())
        .await?;
    let options = vec![
        (
            "out".to_string(),
            l(t, "本辖区外出的党员", "Away from here"),
        ),
        ("in".to_string(), l(t, "流入本辖区的党员", "Hosted here")),
    ];
    let filters = q.filters(t, ("kind", &l(t, "范围", "Which"), options), false);
    let table = listing::table(
        t,
        headers(t),
        rows.iter()
            .map(|f| {
                let mut c: Vec<Cell> = cells(f).into_iter().map(Cell::text).collect();
                if side(&q) == FlowSide::Out {
                    c[0] = Cell::link(&f.member_name, format!("/members/{}", f.member_id));
                }
                c
            })
            .collect(),
    );
    listing::Listing {
        path: "/members/flowing",
        nav: "nav.flows",
        under: None,
        filters,
        table,
        total,
        count_cap: None,
        forms: vec![],
        links: vec![(t.t("nav.members").into(), "/members".into())],
    }
    .render(&state, &ctx, &q, None, StatusCode::OK)
    .await
}

pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let t = ctx.t();
    let mut rows = Vec::new();
    for number in 1.. {
        let (batch, _) = state
            .store
            .flows(&ctx.scope, side(&q), &filter(&q), xlsx::batch(number))
            .await?;
        rows.extend(batch.iter().map(cells));
        if !xlsx::more(number, batch.len()) {
            break;
        }
    }
    xlsx::download("flowing-members", t.t("nav.flows"), &headers(t), &rows)
}
