//! The audit log, for the audit administrator only: filters, pages, xlsx export. Read-only by design.

use super::{ListPage, Q, ok};
use crate::auth::{Ctx, PageCtx};
use crate::clock::{format_ms, parse_date_ms};
use crate::error::PageError;
use crate::i18n::T;
use crate::ui::{Cell, Chrome, Field, FieldKind, Pager, Table, query};
use crate::{AppState, xlsx};
use axum::extract::State;
use axum::response::Response;
use jiceng_store::audit::{AuditEntry, AuditFilter};
use jiceng_store::sql::Page;
use serde::Deserialize;

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    entity: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        AuditFilter {
            actor: self.actor.clone(),
            action: self.action.clone(),
            entity: self.entity.clone(),
            from: self.from.as_deref().and_then(parse_date_ms),
            // "to" is inclusive of the whole day.
            to: self
                .to
                .as_deref()
                .and_then(parse_date_ms)
                .map(|t| t + 86_400_000),
            q: self.q.clone(),
        }
    }

    fn qs(&self) -> String {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let (a, b, c, d, e, f) = (
            o(&self.actor),
            o(&self.action),
            o(&self.entity),
            o(&self.from),
            o(&self.to),
            o(&self.q),
        );
        query(&[
            ("actor", &a),
            ("action", &b),
            ("entity", &c),
            ("from", &d),
            ("to", &e),
            ("q", &f),
        ])
    }
}

fn headers(t: T) -> Vec<String> {
    [
        "#",
        "audit.at",
        "audit.actor",
        "audit.action",
        "audit.entity",
        "audit.ip",
        "audit.request",
        "audit.before",
        "audit.after",
    ]
    .iter()
    .map(|k| {
        if *k == "#" {
            "#".to_string()
        } else {
            t.t(k).to_string()
        }
    })
    .collect()
}

fn row(e: &AuditEntry) -> Vec<String> {
    vec![
        e.seq.to_string(),
        format_ms(e.at),
        e.actor.clone(),
        e.action.clone(),
        format!("{} {}", e.entity, e.entity_id),
        e.ip.clone(),
        e.request_id.clone(),
        e.before_json.clone().unwrap_or_default(),
        e.after_json.clone().unwrap_or_default(),
    ]
}

fn allowed(ctx: &Ctx) -> Result<(), PageError> {
    Ok(ctx.require(ctx.role.reads_audit())?)
}

pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<AuditQuery>,
) -> Result<Response, PageError> {
    allowed(&ctx)?;
    let t = ctx.t();
    let page = Page::new(q.page.as_deref().and_then(|p| p.parse().ok()), Some(50));
    let (rows, total) = state.store.audit_list(&q.filter(), page).await?;
    let qs = q.qs();
    let c = Chrome::new(&ctx, t.t("nav.audit"), "nav.audit", &format!("/audit?{qs}"));
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let filters = vec![
        Field::new("actor", t.t("audit.actor"), FieldKind::Text).value(o(&q.actor)),
        Field::new("action", t.t("audit.action"), FieldKind::Text).value(o(&q.action)),
        Field::new("entity", t.t("audit.entity"), FieldKind::Text).value(o(&q.entity)),
        Field::new("from", t.t("audit.from"), FieldKind::Date).value(o(&q.from)),
        Field::new("to", t.t("audit.to"), FieldKind::Date).value(o(&q.to)),
        Field::new("q", t.t("common.keyword"), FieldKind::Text).value(o(&q.q)),
    ];
    let table = Table {
        caption: String::new(),
        headers: headers(t),
        rows: rows
            .iter()
            .map(|e| {
                row(e)
                    .into_iter()
                    .map(|v| Cell::text(truncate(&v, 160)))
                    .collect()
            })
            .collect(),
        empty: t.t("common.empty").into(),
    };
    ok(&ListPage {
        c,
        action: "/audit".into(),
        filters,
        table,
        pager: Pager::new(&format!("/audit?{qs}"), page.number, page.size, total),
        export: Some(format!("/audit/export.xlsx?{qs}")),
        links: vec![],
        forms: vec![],
    })
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<AuditQuery>,
) -> Result<Response, PageError> {
    allowed(&ctx)?;
    let t = ctx.t();
    let f = q.filter();
    let mut rows = Vec::new();
    for number in 1.. {
        let (batch, _) = state.store.audit_list(&f, xlsx::batch(number)).await?;
        let n = batch.len();
        rows.extend(batch.iter().map(row));
        if !xlsx::more(number, n) {
            break;
        }
    }
    xlsx::download("audit", t.t("nav.audit"), &headers(t), &rows)
}
