//! Operations: request ids, structured request logs, Prometheus metrics, health, timeouts, body
//! limits, security headers, CSRF, and rendering of errors as pages or JSON.

use crate::AppState;
use crate::auth::{Ctx, Meta, Resolved, lang_of, resolve};
use crate::error::{ApiError, AppError, ErrorBody};
use crate::i18n::{Lang, T};
use crate::pages::ErrorPage;
use crate::ui::Chrome;
use askama::Template;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide metrics recorder once (tests build many routers).
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .as_ref()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "database unavailable"})),
            )
                .into_response()
        }
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    for (name, pool) in [
        ("reader", &state.store.reader),
        ("writer", &state.store.writer),
    ] {
        metrics::gauge!("db_pool_connections", "pool" => name).set(f64::from(pool.size()));
        metrics::gauge!("db_pool_idle", "pool" => name).set(pool.num_idle() as f64);
    }
    let body = prometheus().map(|h| h.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn record_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "path" => path.clone(), "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "path" => path)
        .record(start.elapsed().as_secs_f64());
    res
}

/// Turns error responses into the visitor's format: JSON under /api, an HTML page elsewhere.
/// Covers errors from handlers (`PageError` carries the detail) and from layers (413, 408, 404…).
async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/open311/") {
        let path = req.uri().path().to_string();
        return crate::open311::layer_error(&path, next.run(req).await);
    }
    let api = req.uri().path().starts_with("/api/");
    let lang = lang_of(req.headers());
    let headers = req.headers().clone();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let err = res.extensions().get::<AppError>().cloned();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if (api && is_json) || (!api && is_html) {
        return res;
    }
    let err = err.unwrap_or_else(|| from_status(status));
    if api {
        let mut r = ApiError(err).into_response();
        *r.status_mut() = status;
        return r;
    }
    let meta = Meta {
        verified: None,
        headers,
        ip: String::new(),
        rid: String::new(),
        lang,
        path_and_query: "/".into(),
    };
    let ctx: Option<Ctx> = match resolve(&meta, &state).await {
        Ok(Resolved::Ok(c)) => Some(*c),
        _ => None,
    };
    error_page(ctx.as_ref(), lang, status, &err)
}

fn from_status(status: StatusCode) -> AppError {
    match status {
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => AppError::NotFound,
        StatusCode::UNAUTHORIZED => AppError::Unauthorized,
        StatusCode::FORBIDDEN => AppError::Forbidden,
        StatusCode::PAYLOAD_TOO_LARGE => AppError::Bad {
            status,
            code: "request.too_large",
            zh: "提交的内容过大".into(),
            en: "The request is too large".into(),
        },
        StatusCode::REQUEST_TIMEOUT => AppError::Bad {
            status,
            code: "request.timeout",
            zh: "请求超时，请稍后重试".into(),
            en: "The request timed out".into(),
        },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::Bad {
            status,
            code: "request.unsupported_type",
            zh: "请求格式不受支持".into(),
            en: "Unsupported request format".into(),
        },
        s if s.is_server_error() => AppError::Internal(format!("status {s}")),
        _ => AppError::bad(
            "request.invalid",
            "请求格式不正确",
            "The request could not be read",
        ),
    }
}

fn error_page(ctx: Option<&Ctx>, lang: Lang, status: StatusCode, err: &AppError) -> Response {
    let t = T(lang);
    let (zh, en) = err.messages();
    let title = t.t("error.title").to_string();
    let mut c = match ctx {
        Some(ctx) => Chrome::new(ctx, title, "", "/"),
        None => Chrome::anonymous(lang, title, String::new(), "/"),
    };
    c.t = t;
    let page = ErrorPage {
        c,
        message: lang.pick(&zh, &en).to_string(),
        code: err.code().to_string(),
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, lang.pick(&zh, &en).to_string()).into_response(),
    }
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    tracing::error!("a request handler panicked");
    let (zh, en) = AppError::Internal(String::new()).messages();
    let body = ErrorBody {
        code: "internal".into(),
        message: zh,
        message_en: en,
        field: None,
    };
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

/// Slow requests are answered 408 (whatever they were writing is rolled back with the dropped
/// transaction). A roster upload or accept, which checks and writes up to 200,000 rows, has its
/// own, longer limit.
async fn time_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let import =
        req.method() == axum::http::Method::POST && req.uri().path().starts_with("/members/import");
    let secs = if import {
        state.config.import_timeout_secs
    } else {
        state.config.request_timeout_secs
    };
    // A limit of zero refuses at once: tokio rounds a zero timeout up to its next millisecond
    // tick, in which a small request could already have written part of its work.
    if secs == 0 {
        return StatusCode::REQUEST_TIMEOUT.into_response();
    }
    match tokio::time::timeout(Duration::from_secs(secs), next.run(req)).await {
        Ok(res) => res,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// Applies every layer, outermost last.
pub fn layers(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let x_request_id = HeaderName::from_static("x-request-id");
    let sec = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    let _ = prometheus();
    router
        .layer(middleware::from_fn_with_state(state.clone(), crate::refusals::record))
        .layer(middleware::from_fn_with_state(state.clone(), crate::csrf::protect))
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        // Inside `render_errors`, so a 408 becomes a page (or JSON) like any other error.
        .layer(middleware::from_fn_with_state(state.clone(), time_limit))
        .layer(middleware::from_fn_with_state(state.clone(), render_errors))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(record_metrics))
        .layer(sec("x-content-type-options", "nosniff"))
        .layer(sec("x-frame-options", "DENY"))
        .layer(sec("referrer-policy", "same-origin"))
        .layer(sec("content-security-policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'"))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let rid = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
            // Path only, never the query string: it may carry search terms about people.
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %rid)
        }))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
}
