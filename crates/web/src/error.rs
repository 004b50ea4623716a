//! One error type for the web layer, rendered two ways: `{"code","message"}` JSON for the API,
//! an HTML page for the browser. A 500 shows nothing internal; the detail goes to the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiceng_domain::DomainError;
use jiceng_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone)]
pub enum AppError {
    NotFound,
    Forbidden,
    Unauthorized,
    Csrf,
    /// A rule refused the request (422), naming the field when there is one.
    Rule(DomainError),
    /// Malformed input (400) or a status of its own (413, 408…), with a stable code.
    Bad {
        status: StatusCode,
        code: &'static str,
        zh: String,
        en: String,
    },
    Internal(String),
}

impl AppError {
    pub fn bad(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        AppError::Bad {
            status: StatusCode::BAD_REQUEST,
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Rule(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Bad { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::Unauthorized => "unauthorized",
            AppError::Csrf => "csrf.invalid",
            AppError::Rule(e) => e.code,
            AppError::Bad { code, .. } => code,
            AppError::Internal(_) => "internal",
        }
    }

    /// (zh, en) messages for people.
    pub fn messages(&self) -> (String, String) {
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        match self {
            AppError::NotFound => s(
                "找不到该记录，或您无权查看",
                "Not found, or not yours to see",
            ),
            AppError::Forbidden => s("您的角色无权进行此操作", "Your role may not do this"),
            AppError::Unauthorized => s("请先登录", "Please log in"),
            AppError::Csrf => s(
                "页面已过期或来源不明，请刷新页面后重试",
                "The page expired or came from elsewhere; reload and try again",
            ),
            AppError::Rule(e) => (e.zh.clone(), e.en.clone()),
            AppError::Bad { zh, en, .. } => (zh.clone(), en.clone()),
            AppError::Internal(_) => s(
                "系统内部错误，已记录，请稍后重试",
                "Internal error; it has been logged, please try again later",
            ),
        }
    }

    pub fn field(&self) -> Option<&'static str> {
        match self {
            AppError::Rule(e) => e.field,
            _ => None,
        }
    }

    pub fn log(&self) {
        if let AppError::Internal(detail) = self {
            tracing::error!(detail = %detail, "internal error");
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rule(d) => AppError::Rule(d),
            StoreError::NotFound => AppError::NotFound,
            StoreError::Forbidden => AppError::Forbidden,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError::Rule(e)
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

/// The JSON body of every API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `place.code_invalid`.
    pub code: String,
    /// zh-CN message.
    pub message: String,
    pub message_en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// API flavour: renders JSON.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let (zh, en) = self.0.messages();
        let body = ErrorBody {
            code: self.0.code().to_string(),
            message: zh,
            message_en: en,
            field: self.0.field().map(str::to_string),
        };
        let mut res = (self.0.status(), Json(body)).into_response();
        // For the layers after the handler (the audit of refused requests).
        res.extensions_mut().insert(self.0);
        res
    }
}

/// Page flavour: the response carries the error; `ops::render_page_errors` turns it into a page in
/// the visitor's language.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.log();
        let mut res = self.0.status().into_response();
        res.extensions_mut().insert(self.0);
        res
    }
}
