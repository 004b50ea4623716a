use super::{ApiQuery, ApiResult, Paged};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;
use axum::Json;
use axum::extract::State;
use jiceng_store::audit::{AuditEntry, AuditFilter};
use jiceng_store::sql::Page;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    /// From this time (ms since the epoch), inclusive.
    pub from: Option<i64>,
    /// Up to this time (ms since the epoch), exclusive.
    pub to: Option<i64>,
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The audit log, newest first (audit administrator only).
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditParams), responses((status = 200, body = Paged<AuditEntry>), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<Paged<AuditEntry>> {
    ctx.require(ctx.role.reads_audit())?;
    let f = AuditFilter {
        actor: p.actor,
        action: p.action,
        entity: p.entity,
        from: p.from,
        to: p.to,
        q: p.q,
    };
    let page = Page::new(p.page, p.per_page);
    let (items, total) = state.store.audit_list(&f, page).await?;
    Ok(Json(Paged {
        items,
        total,
        page: page.number,
        per_page: page.size,
    }))
}
