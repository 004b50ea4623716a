use super::{ApiJson, ApiQuery, ApiResult, ListParams, Paged, PathId};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;
use axum::Json;
use axum::extract::State;
use jiceng_store::orgs::{NewOrg, Org, OrgFilter};
use jiceng_store::units::Unit;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, rename))
        .routes(routes!(move_to))
        .routes(routes!(close))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateOrg {
    pub place_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    /// committee | general_branch | branch | joint_branch | regional_branch | group
    pub kind: String,
    #[serde(default)]
    pub unit_ids: Vec<i64>,
    /// 成立日期, `YYYY-MM-DD` (default: today)
    pub founded_on: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RenameOrg {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MoveOrg {
    pub parent_id: Option<i64>,
    pub place_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgDetail {
    #[serde(flatten)]
    pub org: Org,
    pub units: Vec<Unit>,
}

/// Party organisations the caller may see.
#[utoipa::path(get, path = "/orgs", tag = "structure", params(ListParams), responses((status = 200, body = Paged<Org>), (status = 401, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Paged<Org>> {
    ctx.require(ctx.role.reads_structure())?;
    let under_prefix = match p.under {
        Some(id) => Some(state.store.place(&ctx.scope, id).await?.prefix()),
        None => None,
    };
    let f = OrgFilter {
        under_prefix,
        parent_id: None,
        kind: p.kind.clone(),
        q: p.q.clone(),
        include_closed: p.include_closed.unwrap_or(false),
    };
    let page = p.page();
    let (items, total) = state.store.orgs(&ctx.scope, &f, page).await?;
    Ok(Json(Paged {
        items,
        total,
        page: page.number,
        per_page: page.size,
    }))
}

/// One organisation with the units it covers.
#[utoipa::path(get, path = "/orgs/{id}", tag = "structure", params(("id" = i64, Path)), responses((status = 200, body = OrgDetail), (status = 404, body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
) -> ApiResult<OrgDetail> {
    ctx.require(ctx.role.reads_structure())?;
    let org = state.store.org(&ctx.scope, id).await?;
    let units = state.store.units_of_org(&ctx.scope, id).await?;
    Ok(Json(OrgDetail { org, units }))
}

/// Creates a Party organisation at a place.
#[utoipa::path(post, path = "/orgs", tag = "structure", request_body = CreateOrg, responses((status = 200, body = Org), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiJson(b): ApiJson<CreateOrg>,
) -> ApiResult<Org> {
    ctx.require(ctx.role.edits_structure())?;
    let new = NewOrg {
        parent_id: b.parent_id,
        place_id: b.place_id,
        name: b.name,
        kind: b.kind,
        unit_ids: b.unit_ids,
        founded_on: b.founded_on,
    };
    Ok(Json(
        state
            .store
            .create_org(&ctx.actor, &ctx.scope, new, state.now())
            .await?,
    ))
}

/// Renames an organisation.
#[utoipa::path(patch, path = "/orgs/{id}", tag = "structure", params(("id" = i64, Path)), request_body = RenameOrg, responses((status = 200, body = Org), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rename(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(b): ApiJson<RenameOrg>,
) -> ApiResult<Org> {
    ctx.require(ctx.role.edits_structure())?;
    Ok(Json(
        state
            .store
            .rename_org(&ctx.actor, &ctx.scope, id, &b.name, state.now())
            .await?,
    ))
}

/// Re-parents an organisation (and optionally moves it to another place).
#[utoipa::path(post, path = "/orgs/{id}/move", tag = "structure", params(("id" = i64, Path)), request_body = MoveOrg, responses((status = 200, body = Org), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn move_to(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(b): ApiJson<MoveOrg>,
) -> ApiResult<Org> {
    ctx.require(ctx.role.edits_structure())?;
    Ok(Json(
        state
            .store
            .move_org(
                &ctx.actor,
                &ctx.scope,
                id,
                b.parent_id,
                b.place_id,
                state.now(),
            )
            .await?,
    ))
}

/// Closes an organisation.
#[utoipa::path(post, path = "/orgs/{id}/close", tag = "structure", params(("id" = i64, Path)), responses((status = 200, body = Org), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
) -> ApiResult<Org> {
    ctx.require(ctx.role.edits_structure())?;
    Ok(Json(
        state
            .store
            .close_org(&ctx.actor, &ctx.scope, id, state.now())
            .await?,
    ))
}
