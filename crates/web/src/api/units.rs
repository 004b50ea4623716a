use super::{ApiJson, ApiQuery, ApiResult, ListParams, Paged, PathId};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;
use axum::Json;
use axum::extract::State;
use jiceng_store::units::{Unit, UnitFilter, UnitInput};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update))
        .routes(routes!(close))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UnitBody {
    pub place_id: i64,
    pub name: String,
    /// enterprise | social_org | institution | other
    pub kind: String,
    pub credit_code: Option<String>,
    #[serde(default)]
    pub above_size: bool,
    #[serde(default)]
    pub staff: i64,
    /// 成立日期, `YYYY-MM-DD`
    pub founded_on: Option<String>,
}

impl From<UnitBody> for UnitInput {
    fn from(b: UnitBody) -> Self {
        UnitInput {
            place_id: b.place_id,
            name: b.name,
            kind: b.kind,
            credit_code: b.credit_code,
            above_size: b.above_size,
            staff: b.staff,
            founded_on: b.founded_on,
        }
    }
}

/// Units the caller may see.
#[utoipa::path(get, path = "/units", tag = "structure", params(ListParams), responses((status = 200, body = Paged<Unit>), (status = 401, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Paged<Unit>> {
    ctx.require(ctx.role.reads_structure())?;
    let under_prefix = match p.under {
        Some(id) => Some(state.store.place(&ctx.scope, id).await?.prefix()),
        None => None,
    };
    let f = UnitFilter {
        under_prefix,
        kind: p.kind.clone(),
        q: p.q.clone(),
        include_closed: p.include_closed.unwrap_or(false),
    };
    let page = p.page();
    let (items, total) = state.store.units(&ctx.scope, &f, page).await?;
    Ok(Json(Paged {
        items,
        total,
        page: page.number,
        per_page: page.size,
    }))
}

/// One unit.
#[utoipa::path(get, path = "/units/{id}", tag = "structure", params(("id" = i64, Path)), responses((status = 200, body = Unit), (status = 404, body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
) -> ApiResult<Unit> {
    ctx.require(ctx.role.reads_structure())?;
    Ok(Json(state.store.unit(&ctx.scope, id).await?))
}

/// Creates a unit at a place.
#[utoipa::path(post, path = "/units", tag = "structure", request_body = UnitBody, responses((status = 200, body = Unit), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiJson(b): ApiJson<UnitBody>,
) -> ApiResult<Unit> {
    ctx.require(ctx.role.edits_structure())?;
    Ok(Json(
        state
            .store
            .create_unit(&ctx.actor, &ctx.scope, b.into(), state.now())
            .await?,
    ))
}

/// Edits a unit (a new place_id moves it).
#[utoipa::path(put, path = "/units/{id}", tag = "structure", params(("id" = i64, Path)), request_body = UnitBody, responses((status = 200, body = Unit), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(b): ApiJson<UnitBody>,
) -> ApiResult<Unit> {
    ctx.require(ctx.role.edits_structure())?;
    Ok(Json(
        state
            .store
            .update_unit(&ctx.actor, &ctx.scope, id, b.into(), state.now())
            .await?,
    ))
}

/// Closes a unit.
#[utoipa::path(post, path = "/units/{id}/close", tag = "structure", params(("id" = i64, Path)), responses((status = 200, body = Unit), (status = 404, body = ErrorBody)))]
async fn close(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
) -> ApiResult<Unit> {
    ctx.require(ctx.role.edits_structure())?;
    Ok(Json(
        state
            .store
            .close_unit(&ctx.actor, &ctx.scope, id, state.now())
            .await?,
    ))
}
