//! JSON API under /api/v1. Routes and the OpenAPI document come from the same `routes!` calls,
//! so the document cannot drift from the router.

mod audit;
mod me;
mod members;
mod orgs;
mod places;
mod procedures;
mod units;
mod users;

use crate::AppState;
use crate::error::{ApiError, AppError, ErrorBody};
use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "jiceng API", version = "1", description = "基层治理平台 JSON API。认证：个人API令牌 `Authorization: Bearer jct_…`（或浏览器会话加 `X-CSRF-Token`）。错误统一为 `{\"code\",\"message\"}`。"),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    security(("bearer" = []))
)]
struct Doc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .merge(me::router())
        .merge(members::router())
        .merge(procedures::router())
        .merge(places::router())
        .merge(orgs::router())
        .merge(units::router())
        .merge(users::router())
        .merge(audit::router())
}

/// The document with the real prefix, as served at /api/openapi.json.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = OpenApiRouter::<AppState>::new()
        .nest("/api/v1", router())
        .split_for_parts();
    doc
}

pub async fn openapi_json() -> impl IntoResponse {
    Json(openapi())
}

/// JSON body extractor whose failures are `{"code","message"}` with the right status.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => {
                let status = e.status();
                let (code, zh, en) = match status.as_u16() {
                    413 => (
                        "request.too_large",
                        "提交的内容过大".to_string(),
                        "The request is too large".to_string(),
                    ),
                    415 => (
                        "request.unsupported_type",
                        "请以 application/json 提交".to_string(),
                        "Send application/json".to_string(),
                    ),
                    _ => (
                        "request.invalid_json",
                        format!("JSON格式或字段不正确：{}", e.body_text()),
                        format!("Invalid JSON: {}", e.body_text()),
                    ),
                };
                Err(ApiError(AppError::Bad {
                    status,
                    code,
                    zh,
                    en,
                }))
            }
        }
    }
}

/// A record id in the path; anything but a positive integer is 404.
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError(AppError::NotFound))?;
        raw.parse::<i64>()
            .ok()
            .filter(|i| *i > 0)
            .map(PathId)
            .ok_or(ApiError(AppError::NotFound))
    }
}

/// Query extractor with JSON errors.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| {
                ApiError(AppError::bad(
                    "request.invalid_query",
                    format!("查询参数不正确：{}", e.body_text()),
                    format!("Invalid query: {}", e.body_text()),
                ))
            })
    }
}

/// A page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Paged<T: utoipa::ToSchema> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only records at or below this place.
    pub under: Option<i64>,
    pub kind: Option<String>,
    /// Keyword (name, or code prefix for places).
    pub q: Option<String>,
    /// Include closed records.
    pub include_closed: Option<bool>,
    pub page: Option<i64>,
    /// 1–500, default 50.
    pub per_page: Option<i64>,
}

impl ListParams {
    pub fn page(&self) -> jiceng_store::sql::Page {
        jiceng_store::sql::Page::new(self.page, self.per_page)
    }
}

pub type ApiResult<T> = Result<Json<T>, ApiError>;
