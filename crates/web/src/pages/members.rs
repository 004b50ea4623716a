//! The member register in pages: list and search, register, edit, and the audited reveal of
//! sealed personal data. Everything shown is masked unless revealed.

use super::listing::{self, Listing};
use super::places::crumbs;
use super::{FormData, Id, ListQuery, Q, RecordPage, done};
use crate::auth::{Ctx, PageCtx};
use crate::error::{AppError, PageError};
use crate::i18n::T;
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form};
use crate::{AppState, xlsx};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_domain::member::{self, Choice, EDUCATION, OCCUPATIONS, STATUSES};
use jiceng_store::members::{Member, MemberFilter, MemberInput, Sealed};

fn options(t: T, choices: &[Choice], all: bool) -> Vec<(String, String)> {
    let mut v = Vec::new();
    if all {
        v.push((String::new(), t.t("common.all").to_string()));
    }
    v.extend(
        choices
            .iter()
            .map(|(c, zh, en)| (c.to_string(), t.lang().pick(zh, en).to_string())),
    );
    v
}

fn label(t: T, choices: &[Choice], code: &str) -> String {
    member::label(choices, code, t.lang().is_en())
}

fn gender(t: T, g: &str) -> &'static str {
    t.t(if g == "male" {
        "member.male"
    } else {
        "member.female"
    })
}

fn headers(t: T) -> Vec<String> {
    [
        "common.name",
        "member.gender",
        "member.birth",
        "member.status",
        "nav.orgs",
        "member.id_number",
        "member.phone",
    ]
    .iter()
    .map(|k| t.t(k).to_string())
    .collect()
}

fn row(t: T, m: &Member) -> Vec<String> {
    vec![
        m.name.clone(),
        gender(t, &m.gender).into(),
        m.birth_month.clone(),
        label(t, &STATUSES, &m.status),
        m.org_name.clone(),
        m.id_masked.clone(),
        m.phone_masked.clone().unwrap_or_default(),
    ]
}

pub(super) fn member_form(
    t: T,
    id: &'static str,
    action: String,
    title: &str,
    m: Option<&Member>,
    org: &str,
) -> Form {
    let v = |f: &dyn Fn(&Member) -> String, default: &str| m.map_or(default.to_string(), f);
    let id_field =
        Field::new("id_number", t.t("member.id_number"), FieldKind::Text).autocomplete("off");
    let id_field = if m.is_some() {
        id_field.hint(t.t("member.id_keep"))
    } else {
        id_field.required()
    };
    Form::new(id, action, title, t.t("common.save"))
        .field(
            Field::new("org_id", t.t("member.org_id"), FieldKind::Number)
                .value(v(&|m| m.org_id.to_string(), org))
                .required(),
        )
        .field(
            Field::new("name", t.t("common.name"), FieldKind::Text)
                .value(v(&|m| m.name.clone(), ""))
                .required(),
        )
        .field(id_field)
        .field(
            Field::new("ethnicity", t.t("member.ethnicity"), FieldKind::Text)
                .value(v(&|m| m.ethnicity.clone(), "汉族")),
        )
        .field(
            Field::new(
                "education",
                t.t("member.education"),
                FieldKind::Select(options(t, &EDUCATION, false)),
            )
            .value(v(&|m| m.education.clone(), "secondary")),
        )
        .field(
            Field::new(
                "occupation",
                t.t("member.occupation"),
                FieldKind::Select(options(t, &OCCUPATIONS, false)),
            )
            .value(v(&|m| m.occupation.clone(), "farmer")),
        )
        .field(
            Field::new(
                "status",
                t.t("member.status"),
                FieldKind::Select(options(t, member::selectable_statuses(), false)),
            )
            .value(v(&|m| m.status.clone(), "full")),
        )
        .field(
            Field::new("join_date", t.t("member.join_date"), FieldKind::Date)
                .value(v(&|m| m.join_date.clone().unwrap_or_default(), "")),
        )
        .field(
            Field::new("full_date", t.t("member.full_date"), FieldKind::Date)
                .value(v(&|m| m.full_date.clone().unwrap_or_default(), "")),
        )
        .field(
            Field::new("workplace", t.t("member.workplace"), FieldKind::Text)
                .value(v(&|m| m.workplace.clone().unwrap_or_default(), "")),
        )
        .field(
            Field::new("phone", t.t("member.phone"), FieldKind::Text)
                .hint(if m.is_some() {
                    t.t("member.id_keep")
                } else {
                    ""
                })
                .autocomplete("off"),
        )
        .field(
            Field::new("address", t.t("member.address"), FieldKind::Text)
                .hint(if m.is_some() {
                    t.t("member.id_keep")
                } else {
                    ""
                })
                .autocomplete("off"),
        )
}

pub(super) fn input(data: &FormData) -> Result<MemberInput, AppError> {
    Ok(MemberInput {
        org_id: data.int("org_id", "所在党组织编号", "The organisation number")?,
        name: data.get("name").into(),
        id_number: data.get("id_number").into(),
        ethnicity: data.get("ethnicity").into(),
        education: data.get("education").into(),
        occupation: data.get("occupation").into(),
        status: data.get("status").into(),
        join_date: data.opt("join_date"),
        full_date: data.opt("full_date"),
        workplace: data.opt("workplace"),
        phone: data.opt("phone"),
        address: data.opt("address"),
    })
}

async fn filter(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
) -> Result<(MemberFilter, Option<jiceng_store::places::Place>), AppError> {
    let under = q.under_place(state, ctx).await?;
    let f = MemberFilter {
        under_prefix: under.as_ref().map(|p| p.prefix()),
        org_id: q.org.as_deref().and_then(|o| o.parse().ok()),
        status: q.status.clone(),
        q: q.q.clone(),
        include_former: q.include_closed(),
    };
    Ok((f, under))
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
    fb: Option<Feedback>,
    status: StatusCode,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let t = ctx.t();
    let (f, under) = filter(state, ctx, q).await?;
    let (rows, total) = state.store.members(&ctx.scope, &f, q.list_page()).await?;
    let rows = rows
        .iter()
        .map(|m| {
            let mut cells: Vec<Cell> = row(t, m).into_iter().map(Cell::text).collect();
            cells[0] = Cell::link(&m.name, format!("/members/{}", m.id));
            cells[4] = Cell::link(&m.org_name, format!("/orgs/{}", m.org_id));
            cells
        })
        .collect();
    let mut filters = q.filters(
        t,
        ("status", t.t("member.status"), options(t, &STATUSES, true)),
        false,
    );
    filters[1] = filters[1].clone().hint(t.t("member.search_hint"));
    filters.push(
        Field::new("org", t.t("member.org_id"), FieldKind::Hidden)
            .value(q.org.clone().unwrap_or_default()),
    );
    filters.push(
        Field::new("closed", t.t("member.include_former"), FieldKind::Checkbox)
            .value(q.closed.clone().unwrap_or_default()),
    );
    let forms = vec![member_form(
        t,
        "create",
        "/members".into(),
        t.t("member.new"),
        None,
        q.org.as_deref().unwrap_or(""),
    )];
    Listing {
        path: "/members",
        nav: "nav.members",
        under: under.as_ref(),
        filters,
        table: listing::table(t, headers(t), rows),
        total,
        count_cap: f
            .q
            .as_deref()
            .is_some_and(|q| !q.trim().is_empty())
            .then_some(jiceng_store::Store::SEARCH_COUNT_CAP),
        forms,
        links: vec![
            (
                t.lang().pick("导入名册", "Import a roster").into(),
                "/members/import".into(),
            ),
            (
                t.lang().pick("党费欠交提醒", "Dues in arrears").into(),
                "/members/lapse".into(),
            ),
            (
                t.lang().pick("组织关系转接", "Transfers").into(),
                "/transfers".into(),
            ),
            (
                t.lang().pick("发展党员到期提醒", "Recruitment due").into(),
                "/members/due".into(),
            ),
            (t.t("nav.flows").into(), "/members/flowing".into()),
        ],
    }
    .render(state, ctx, q, fb, status)
    .await
}

pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    list_page(&state, &ctx, &q, None, StatusCode::OK).await
}

pub async fn create(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        Ok::<_, AppError>(
            state
                .store
                .create_member(&ctx.actor, &ctx.scope, input(&data)?, state.now())
                .await?,
        )
    }
    .await;
    match r {
        Ok(m) => Ok(done(&format!("/members/{}?notice=created", m.id))),
        Err(e) => {
            let fb = Feedback::refusal("create", data.0, e, ctx.lang)?;
            list_page(
                &state,
                &ctx,
                &ListQuery::default(),
                Some(fb),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// After a form on the member page: back to the page when it went through, else the page again
/// with the refusal next to its field.
pub(super) async fn after_form(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: &'static str,
    data: FormData,
    r: Result<(), AppError>,
) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(done(&format!("/members/{id}?notice=saved"))),
        Err(e) => {
            let fb = Feedback::refusal(form, data.0, e, ctx.lang)?;
            member_page(state, ctx, id, Some(fb), None, None).await
        }
    }
}

/// The detail page; `revealed` carries a clear value just read through `reveal`.
pub(super) async fn member_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
    revealed: Option<(Sealed, Option<String>)>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let m = state.store.member(&ctx.scope, id).await?;
    let place = state.store.place(&ctx.scope, m.place_id).await?;
    let mut c = Chrome::new(
        ctx,
        m.name.clone(),
        "nav.members",
        &format!("/members/{id}"),
    );
    c.crumbs = crumbs(state, ctx, &place).await?;
    c.notice = if revealed.is_some() {
        Some(t.t("member.revealed").into())
    } else {
        notice
    };
    let shown = |field: Sealed, masked: Option<String>| match &revealed {
        Some((f, clear)) if *f == field => clear.clone().unwrap_or_else(|| "—".into()),
        _ => masked.unwrap_or_else(|| "—".into()),
    };
    let facts = vec![
        (
            t.t("member.gender").to_string(),
            gender(t, &m.gender).to_string(),
        ),
        (t.t("member.birth").into(), m.birth_month.clone()),
        (t.t("member.ethnicity").into(), m.ethnicity.clone()),
        (
            t.t("member.education").into(),
            label(t, &EDUCATION, &m.education),
        ),
        (
            t.t("member.occupation").into(),
            label(t, &OCCUPATIONS, &m.occupation),
        ),
        (t.t("member.status").into(), label(t, &STATUSES, &m.status)),
        (
            t.t("nav.orgs").into(),
            format!("{}（#{}）", m.org_name, m.org_id),
        ),
        (
            t.t("member.join_date").into(),
            m.join_date.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            t.t("member.full_date").into(),
            m.full_date.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            t.t("member.workplace").into(),
            m.workplace.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            t.t("member.id_number").into(),
            shown(Sealed::IdNumber, Some(m.id_masked.clone())),
        ),
        (
            t.t("member.phone").into(),
            shown(Sealed::Phone, m.phone_masked.clone()),
        ),
        (
            t.t("member.address").into(),
            shown(Sealed::Address, m.address_masked.clone()),
        ),
    ];
    let mut forms: Vec<Form> = [
        (Sealed::IdNumber, "member.id_number", "reveal-id_number"),
        (Sealed::Phone, "member.phone", "reveal-phone"),
        (Sealed::Address, "member.address", "reveal-address"),
    ]
    .into_iter()
    .map(|(f, key, form_id)| {
        Form::new(
            form_id,
            format!("/members/{id}/reveal"),
            format!("{} · {}", t.t("member.reveal"), t.t(key)),
            t.t("member.reveal"),
        )
        .field(Field::new("field", "", FieldKind::Hidden).value(f.as_str()))
    })
    .collect();
    // A member transferred out of the system is history here: read-only until a transfer back.
    if m.status != member::TRANSFERRED_OUT {
        forms.push(member_form(
            t,
            "edit",
            format!("/members/{id}/edit"),
            t.t("member.edit"),
            Some(&m),
            "",
        ));
    }
    let (dues_facts, dues_table, dues_forms) = super::member_dues::section(state, ctx, &m).await?;
    let (transfer_table, transfer_forms) = super::member_transfers::section(state, ctx, &m).await?;
    let (recruit_table, recruit_forms) = super::member_recruitment::section(state, ctx, &m).await?;
    let (flow_fact, flow_table, flow_forms) = super::member_flows::section(state, ctx, &m).await?;
    let mut facts = facts;
    facts.extend(flow_fact);
    facts.extend(dues_facts);
    forms.extend(dues_forms);
    forms.extend(transfer_forms);
    forms.extend(recruit_forms);
    forms.extend(flow_forms);
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let links = vec![(
        t.t("member.roster").to_string(),
        format!("/members?org={}", m.org_id),
    )];
    super::render_record(&RecordPage {
        c,
        facts,
        stats: vec![],
        tables: vec![recruit_table, dues_table, transfer_table, flow_table],
        links,
        forms,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let notice = q.notice.map(|n| match n.as_str() {
        "created" => ctx.lang.pick("已新增", "Added").to_string(),
        _ => ctx.lang.pick("已保存", "Saved").to_string(),
    });
    member_page(&state, &ctx, id, None, None, notice).await
}

pub async fn edit(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        state
            .store
            .update_member(&ctx.actor, &ctx.scope, id, input(&data)?, state.now())
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    after_form(&state, &ctx, id, "edit", data, r).await
}

/// Shows one sealed value in clear, once, and records that it was seen.
pub async fn reveal(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let field = Sealed::parse(data.get("field"))
        .ok_or_else(|| AppError::bad("member.field_invalid", "无此字段", "no such field"))?;
    let clear = state
        .store
        .reveal(&ctx.actor, &ctx.scope, id, field, state.now())
        .await?;
    member_page(&state, &ctx, id, None, Some((field, clear)), None).await
}

pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<ListQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let t = ctx.t();
    let (f, _) = filter(&state, &ctx, &q).await?;
    let mut rows = Vec::new();
    for number in 1.. {
        let (batch, _) = state
            .store
            .members(&ctx.scope, &f, xlsx::batch(number))
            .await?;
        let n = batch.len();
        rows.extend(batch.iter().map(|m| row(t, m)));
        if !xlsx::more(number, n) {
            break;
        }
    }
    xlsx::download("members", t.t("nav.members"), &headers(t), &rows)
}
