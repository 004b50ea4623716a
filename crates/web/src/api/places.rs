use super::{ApiJson, ApiQuery, ApiResult, ListParams, Paged, PathId};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;
use axum::Json;
use axum::extract::State;
use jiceng_store::places::{NewPlace, Place, PlaceFilter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
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
pub struct CreatePlace {
    pub parent_id: i64,
    /// 12-digit division code; for a grid it may be omitted and is numbered automatically.
    pub code: Option<String>,
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Rename {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MovePlace {
    pub parent_id: i64,
    /// The place's new code; defaults to its own digits under the new parent.
    pub code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceDetail {
    #[serde(flatten)]
    pub place: Place,
    /// Roll-up figures of the subtree by metric (places.village, orgs, units, accounts…).
    pub counts: HashMap<String, i64>,
}

/// Places the caller may see.
#[utoipa::path(get, path = "/places", tag = "structure", params(ListParams), responses((status = 200, body = Paged<Place>), (status = 401, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Paged<Place>> {
    ctx.require(ctx.role.reads_structure())?;
    let under = match p.under {
        Some(id) => Some(state.store.place(&ctx.scope, id).await?),
        None => None,
    };
    let f = PlaceFilter {
        parent_id: None,
        under,
        kind: p.kind.clone(),
        q: p.q.clone(),
        include_closed: p.include_closed.unwrap_or(false),
    };
    let page = p.page();
    let (items, total) = state.store.places(&ctx.scope, &f, page).await?;
    Ok(Json(Paged {
        items,
        total,
        page: page.number,
        per_page: page.size,
    }))
}

/// One place with its figures.
#[utoipa::path(get, path = "/places/{id}", tag = "structure", params(("id" = i64, Path)), responses((status = 200, body = PlaceDetail), (status = 404, body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
) -> ApiResult<PlaceDetail> {
    ctx.require(ctx.role.reads_structure())?;
    let place = state.store.place(&ctx.scope, id).await?;
    let counts = state.store.rollup_values(id).await?;
    Ok(Json(PlaceDetail { place, counts }))
}

/// Creates a place under a parent; the kind follows from the code.
#[utoipa::path(post, path = "/places", tag = "structure", request_body = CreatePlace, responses((status = 200, body = Place), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiJson(body): ApiJson<CreatePlace>,
) -> ApiResult<Place> {
    ctx.require(ctx.role.edits_structure())?;
    // Without a code under a village, the store numbers the grid inside its transaction.
    let new = NewPlace {
        parent_id: Some(body.parent_id),
        code: body.code.unwrap_or_default(),
        name: body.name,
    };
    Ok(Json(
        state
            .store
            .create_place(&ctx.actor, &ctx.scope, new, state.now())
            .await?,
    ))
}

/// Renames a place.
#[utoipa::path(patch, path = "/places/{id}", tag = "structure", params(("id" = i64, Path)), request_body = Rename, responses((status = 200, body = Place), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rename(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(body): ApiJson<Rename>,
) -> ApiResult<Place> {
    ctx.require(ctx.role.edits_structure())?;
    Ok(Json(
        state
            .store
            .rename_place(&ctx.actor, &ctx.scope, id, &body.name, state.now())
            .await?,
    ))
}

/// Moves a place (and everything below it) under another parent.
#[utoipa::path(post, path = "/places/{id}/move", tag = "structure", params(("id" = i64, Path)), request_body = MovePlace, responses((status = 200, body = Place), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn move_to(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(body): ApiJson<MovePlace>,
) -> ApiResult<Place> {
    ctx.require(ctx.role.edits_structure())?;
    Ok(Json(
        state
            .store
            .move_place(
                &ctx.actor,
                &ctx.scope,
                id,
                body.parent_id,
                body.code.as_deref(),
                state.now(),
            )
            .await?,
    ))
}

/// Closes a place (records are kept).
#[utoipa::path(post, path = "/places/{id}/close", tag = "structure", params(("id" = i64, Path)), responses((status = 200, body = Place), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
) -> ApiResult<Place> {
    ctx.require(ctx.role.edits_structure())?;
    Ok(Json(
        state
            .store
            .close_place(&ctx.actor, &ctx.scope, id, state.now())
            .await?,
    ))
}
