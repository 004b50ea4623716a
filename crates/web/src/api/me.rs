use super::ApiResult;
use crate::AppState;
use crate::auth::ApiCtx;
use axum::Json;
use jiceng_store::users::User;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}

/// The caller's own account.
#[utoipa::path(get, path = "/me", tag = "accounts", responses((status = 200, body = User), (status = 401, body = crate::error::ErrorBody)))]
async fn me(ApiCtx(ctx): ApiCtx) -> ApiResult<User> {
    Ok(Json(ctx.user))
}
