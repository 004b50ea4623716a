//! The web layer: server-rendered pages (askama, no JavaScript needed), the JSON API under /api/v1
//! with its OpenAPI document, sessions, CSRF, data-scope extraction and error rendering.

pub mod api;
pub mod assets;
pub mod auth;
pub mod clock;
pub mod csrf;
pub mod error;
pub mod i18n;
pub mod limit;
pub mod open311;
pub mod ops;
pub mod pages;
pub mod refusals;
pub mod ui;
pub mod xlsx;

use axum::Router;
use clock::Clock;
use jiceng_store::Store;
use std::sync::Arc;

/// Settings the web layer reads (the binary fills them from jiceng.toml and JICENG_* variables).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Sessions end after this long without a request (等保: 10–30 minutes).
    pub idle_timeout_minutes: i64,
    /// Mark cookies Secure (set when the site is served over TLS).
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// A request taking longer than this is answered 408.
    pub request_timeout_secs: u64,
    /// The same for a roster upload or accept, which checks (and writes) up to 200,000 rows.
    pub import_timeout_secs: u64,
    /// Trust X-Forwarded-For from a reverse proxy for the client address in the audit log.
    pub trust_proxy: bool,
    /// Reports one client address may file without an account per hour (residents' voice).
    pub voice_reports_per_hour: u32,
    /// Tracking-code look-ups and resident actions one client address may make per hour.
    pub voice_lookups_per_hour: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            idle_timeout_minutes: 30,
            secure_cookies: false,
            body_limit: 1024 * 1024,
            request_timeout_secs: 30,
            import_timeout_secs: 600,
            trust_proxy: false,
            voice_reports_per_hour: 10,
            voice_lookups_per_hour: 60,
        }
    }
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub config: WebConfig,
    pub clock: Clock,
    /// Anonymous residents' reports and look-ups per client address.
    pub limiter: limit::Limiter,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(store: Store, config: WebConfig, clock: Clock) -> Self {
        Self(Arc::new(Inner {
            store,
            config,
            clock,
            limiter: limit::Limiter::default(),
        }))
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Whether a member status counts as a current member (applicant to full member).
pub fn member_is_current(status: &str) -> bool {
    jiceng_domain::member::CURRENT.contains(&status)
}

/// The whole application: pages, API, assets, health and metrics, with every layer applied.
pub fn router(state: AppState) -> Router {
    let (api, _) = api::router().split_for_parts();
    let pages = pages::router();
    ops::layers(
        Router::new()
            .merge(pages)
            // API answers may carry personal data (a reveal): never kept by a cache.
            .nest(
                "/api/v1",
                api.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
                    axum::http::header::CACHE_CONTROL,
                    axum::http::HeaderValue::from_static("no-store"),
                )),
            )
            .route("/api/openapi.json", axum::routing::get(api::openapi_json))
            .merge(open311::router())
            .merge(ops::router())
            .merge(assets::router()),
        &state,
    )
    .with_state(state)
}
