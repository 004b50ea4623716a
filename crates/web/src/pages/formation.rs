//! Organisations whose kind no longer fits their size (DOMAIN.md, Party organisations), within scope.

use super::{RecordPage, render};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::error::PageError;
use crate::ui::{Cell, Chrome, Table};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_domain::org::formation_warning;
use jiceng_domain::{FormationRule, OrgKind};

pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
) -> Result<Response, PageError> {
    render(StatusCode::OK, &page(&state, &ctx).await?)
}

/// The same table as .xlsx.
pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
) -> Result<Response, PageError> {
    crate::xlsx::tables("formation", &page(&state, &ctx).await?.tables)
}

async fn page(state: &AppState, ctx: &Ctx) -> Result<RecordPage, PageError> {
    ctx.require(ctx.role.reads_structure())?;
    let t = ctx.t();
    let l = |zh: &'static str, en: &'static str| t.lang().pick(zh, en).to_string();
    let rule = FormationRule::default();
    let sizes = state.store.org_sizes(&ctx.scope).await?;
    let rows: Vec<Vec<Cell>> = sizes
        .iter()
        .filter_map(|o| {
            let kind = OrgKind::parse(&o.kind)?;
            let (_, zh, en) = formation_warning(&rule, kind, o.members, o.full)?;
            Some(vec![
                Cell::link(&o.name, format!("/orgs/{}", o.id)),
                Cell::text(t.lang().pick(kind.zh(), kind.en())),
                Cell::text(&o.place_name),
                Cell::text(o.members.to_string()),
                Cell::text(o.full.to_string()),
                Cell::text(t.lang().pick(&zh, &en)),
            ])
        })
        .collect();
    let facts = vec![
        (l("党组织", "Organisations"), sizes.len().to_string()),
        (
            l("需调整设置", "Need a change of kind"),
            rows.len().to_string(),
        ),
        (
            l("依据", "Basis"),
            l(
                "《中国共产党支部工作条例（试行）》第五条等",
                "Branch Work Regulations, Art. 5 and others",
            ),
        ),
    ];
    let table = Table {
        caption: String::new(),
        headers: vec![
            t.t("common.name").into(),
            t.t("common.kind").into(),
            t.t("common.place").into(),
            l("党员", "Members"),
            l("其中正式党员", "Full members"),
            l("提示", "Warning"),
        ],
        rows,
        empty: l(
            "所有党组织的设置都与规模相符",
            "Every organisation's kind fits its size",
        ),
    };
    let c = Chrome::new(
        ctx,
        l("党组织设置提醒", "Organisation formation"),
        "nav.orgs",
        "/orgs/formation",
    );
    Ok(RecordPage {
        c,
        facts,
        stats: vec![],
        tables: vec![table],
        links: vec![(
            t.t("common.export").into(),
            "/orgs/formation/export.xlsx".into(),
        )],
        forms: vec![],
    })
}
