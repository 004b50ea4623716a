//! Refused attempts on file. A change that a rule refuses (422) writes nothing, but the audit log
//! still records that it was tried: who, from where, on which path, and which rule refused it —
//! never the values typed (they may be personal data, and a refused value is not a record).

use crate::AppState;
use crate::auth::{Meta, Resolved, VerifiedSession, client_ip, lang_of, request_id, resolve};
use crate::error::AppError;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use jiceng_store::audit::Change;
use std::cell::RefCell;

#[derive(Debug, Default)]
struct Slot {
    code: Option<String>,
    field: Option<&'static str>,
    /// The handler wrote its own entry for this refusal (e.g. a refused import with its counts).
    audited: bool,
}

tokio::task_local! {
    static SLOT: RefCell<Slot>;
}

/// Called where a refusal is turned into feedback on a re-rendered form (the response is a page,
/// so the error itself does not travel with it).
pub fn note(err: &AppError) {
    let _ = SLOT.try_with(|s| {
        let mut s = s.borrow_mut();
        s.code = Some(err.code().to_string());
        s.field = err.field();
    });
}

/// The handler has put this refusal on file itself.
pub fn audited() {
    let _ = SLOT.try_with(|s| s.borrow_mut().audited = true);
}

/// Middleware: after a write request answered 422, appends a `refused` audit entry for the
/// signed-in caller. Reads never are; anonymous callers have no account to record (the login
/// page audits its own failures).
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let meta = Meta {
        verified: parts.extensions.get::<VerifiedSession>().cloned(),
        headers: parts.headers.clone(),
        ip: client_ip(&parts, state.config.trust_proxy),
        rid: request_id(&parts.headers),
        lang: lang_of(&parts.headers),
        path_and_query: parts.uri.path().to_string(),
    };
    let method = parts.method.to_string();
    let req = Request::from_parts(parts, body);
    let (res, slot) = SLOT
        .scope(RefCell::new(Slot::default()), async {
            let res = next.run(req).await;
            (res, SLOT.with(|s| std::mem::take(&mut *s.borrow_mut())))
        })
        .await;
    if res.status() != StatusCode::UNPROCESSABLE_ENTITY || slot.audited {
        return res;
    }
    let from_error = res.extensions().get::<AppError>();
    let code = slot
        .code
        .or_else(|| from_error.map(|e| e.code().to_string()))
        .unwrap_or_else(|| "rule".into());
    let field = slot.field.or_else(|| from_error.and_then(AppError::field));
    if let Ok(Resolved::Ok(ctx)) = resolve(&meta, &state).await {
        let after = serde_json::json!({"method": method, "code": code, "field": field});
        let change = Change::new(
            "refused",
            "request",
            meta.path_and_query.as_str(),
            None,
            Some(after),
        );
        if let Err(e) = state.store.record(&ctx.actor, change, state.now()).await {
            // The refusal stands either way; a lost entry is an operator's matter, not the user's.
            tracing::error!(error = %e, "could not audit a refused request");
        }
    }
    res
}
