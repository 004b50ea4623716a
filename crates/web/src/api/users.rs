use super::{ApiJson, ApiQuery, ApiResult, Paged, PathId};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;
use axum::Json;
use axum::extract::State;
use jiceng_store::sql::Page;
use jiceng_store::users::{NewUser, User, UserFilter};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one))
        .routes(routes!(lock))
        .routes(routes!(unlock))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserParams {
    pub under: Option<i64>,
    pub role: Option<String>,
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: String,
    pub place_id: i64,
}

fn can_list(ctx: &crate::auth::Ctx) -> bool {
    ctx.role.reads_structure() || ctx.role.manages_accounts() || ctx.role.manages_security()
}

/// Accounts bound within the caller's scope.
#[utoipa::path(get, path = "/users", tag = "accounts", params(UserParams), responses((status = 200, body = Paged<User>), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(p): ApiQuery<UserParams>,
) -> ApiResult<Paged<User>> {
    ctx.require(can_list(&ctx))?;
    let under_prefix = match p.under {
        Some(id) => Some(state.store.place(&ctx.scope, id).await?.prefix()),
        None => None,
    };
    let page = Page::new(p.page, p.per_page);
    let (items, total) = state
        .store
        .users(
            &ctx.scope,
            &UserFilter {
                q: p.q,
                role: p.role,
                under_prefix,
            },
            page,
        )
        .await?;
    Ok(Json(Paged {
        items,
        total,
        page: page.number,
        per_page: page.size,
    }))
}

/// One account.
#[utoipa::path(get, path = "/users/{id}", tag = "accounts", params(("id" = i64, Path)), responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
) -> ApiResult<User> {
    ctx.require(can_list(&ctx))?;
    Ok(Json(state.store.user(&ctx.scope, id).await?))
}

/// Creates an account (system administrator).
#[utoipa::path(post, path = "/users", tag = "accounts", request_body = CreateUser, responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiJson(b): ApiJson<CreateUser>,
) -> ApiResult<User> {
    ctx.require(ctx.role.manages_accounts())?;
    crate::auth::creatable_role(&b.role)?;
    let new = NewUser {
        username: b.username,
        display_name: b.display_name,
        password: b.password,
        role: b.role,
        place_id: b.place_id,
    };
    Ok(Json(
        state
            .store
            .create_user(&ctx.actor, &ctx.scope, new, state.now())
            .await?,
    ))
}

/// Locks an account (security administrator); its sessions end.
#[utoipa::path(post, path = "/users/{id}/lock", tag = "accounts", params(("id" = i64, Path)), responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn lock(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
) -> ApiResult<User> {
    ctx.require(ctx.role.manages_security())?;
    Ok(Json(
        state
            .store
            .set_locked(&ctx.actor, &ctx.scope, id, true, state.now())
            .await?,
    ))
}

/// Unlocks an account and clears a failure lockout (security administrator).
#[utoipa::path(post, path = "/users/{id}/unlock", tag = "accounts", params(("id" = i64, Path)), responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unlock(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
) -> ApiResult<User> {
    ctx.require(ctx.role.manages_security())?;
    Ok(Json(
        state
            .store
            .set_locked(&ctx.actor, &ctx.scope, id, false, state.now())
            .await?,
    ))
}
