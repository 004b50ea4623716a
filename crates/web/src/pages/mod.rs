//! Server-rendered pages. Each handler reads through the store with the caller's scope, renders
//! a template, and on a refused form re-renders the page with the message next to the field.

mod account;
mod audit;
mod board;
mod coverage;
mod decisions;
mod formation;
mod household_figures;
mod households;
mod life;
mod listing;
mod login;
mod mandates;
mod matters;
mod meeting_extras;
mod meeting_files;
mod member_dues;
mod member_flows;
mod member_import;
mod member_recruitment;
mod member_transfers;
mod members;
mod org_dues;
mod org_meetings;
mod orgs;
mod pick;
mod places;
mod problem;
mod problem_figures;
mod problems;
mod service_calendar;
mod service_figures;
mod service_public;
mod service_requests;
mod services;
mod studio_edit;
mod studio_ics;
mod studios;
mod teams;
mod units;
mod users;
mod village;
mod voice_public;

use crate::AppState;
use crate::auth::{LANG_COOKIE, PageCtx, set_cookie};
use crate::error::{AppError, PageError};
use crate::ui::{Chrome, Field, Form, Pager, Stat, Table};
use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, Path, Query, Request};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiceng_domain::Role;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/lang/{lang}", get(switch_lang))
        .route("/login", get(login::show).post(login::submit))
        .route(
            "/login/totp",
            get(login::totp_show).post(login::totp_submit),
        )
        .route("/logout", post(login::logout))
        .route("/places", get(places::list).post(places::create))
        .route("/places/export.xlsx", get(places::export))
        .route("/places/{id}", get(places::show))
        .route("/places/{id}/rename", post(places::rename))
        .route("/places/{id}/move", post(places::move_to))
        .route("/places/{id}/close", post(places::close))
        .route("/orgs", get(orgs::list).post(orgs::create))
        .route("/orgs/export.xlsx", get(orgs::export))
        .route("/orgs/formation", get(formation::list))
        .route("/orgs/formation/export.xlsx", get(formation::export))
        .route("/coverage", get(coverage::show))
        .route("/coverage/export.xlsx", get(coverage::export))
        .route("/coverage/units", get(coverage::units))
        .route("/coverage/units/export.xlsx", get(coverage::units_export))
        .route("/orgs/{id}", get(orgs::show))
        .route("/orgs/{id}/rename", post(orgs::rename))
        .route("/orgs/{id}/move", post(orgs::move_to))
        .route("/orgs/{id}/close", post(orgs::close))
        .route(
            "/orgs/{id}/dues",
            get(org_dues::show).post(org_dues::record),
        )
        .route("/orgs/{id}/dues/export.xlsx", get(org_dues::export))
        .route(
            "/orgs/{id}/meetings",
            get(org_meetings::list).post(org_meetings::create),
        )
        .route("/meetings/{id}", get(org_meetings::show))
        .route(
            "/meetings/{id}/files",
            post(meeting_files::upload).layer(axum::extract::DefaultBodyLimit::max(
                jiceng_store::meeting_files::MAX_FILE_BYTES + 64 * 1024,
            )),
        )
        .route("/meetings/{id}/files/{file}", get(meeting_files::download))
        .route("/places/{id}/village", get(village::show))
        .route("/places/{id}/village/people", post(village::add_person))
        .route("/places/{id}/village/seats", post(village::add_seat))
        .route("/places/{id}/village/seats/end", post(village::end_seat))
        .route("/places/{id}/village/kinships", post(village::add_kinship))
        .route("/places/{id}/village/counts", post(village::set_counts))
        .route(
            "/places/{id}/meetings",
            get(village::meetings).post(village::record_meeting),
        )
        .route(
            "/places/{id}/matters",
            get(matters::village).post(matters::open),
        )
        .route("/places/{id}/powers", post(matters::add_item))
        .route("/places/{id}/mandates", post(mandates::grant_mandate))
        .route("/matters/export.xlsx", get(matters::export))
        .route("/matters/{id}", get(matters::show))
        .route("/matters/{id}/steps", post(matters::step))
        .route("/matters/{id}/reviews", post(matters::review))
        .route("/places/{id}/board", get(board::show).post(board::publish))
        .route("/places/{id}/board/reviews", post(board::review))
        .route("/board-overdue", get(board::overdue))
        .route(
            "/places/{id}/households",
            get(household_figures::list).post(household_figures::create),
        )
        .route(
            "/places/{id}/households/export.xlsx",
            get(household_figures::export),
        )
        .route("/households/{id}", get(households::show))
        .route("/households/{id}/visit", get(households::visit_form))
        .route("/households/{id}/visits", post(households::record_visit))
        .route("/households/{id}/assign", post(households::assign))
        .route(
            "/households/{id}/assignments/end",
            post(households::end_assignment),
        )
        .route("/households/{id}/close", post(households::close))
        .route("/households/{id}/reveal", post(households::reveal))
        .route("/household-figures", get(household_figures::show))
        .route(
            "/household-figures/export.xlsx",
            get(household_figures::export_figures),
        )
        .route("/decisions", get(decisions::show))
        .route("/decisions/export.xlsx", get(decisions::export))
        .route("/board-overdue/export.xlsx", get(board::overdue_export))
        .route("/board/{code}", get(board::public))
        .route("/meetings/{id}/notice", get(meeting_extras::notice))
        .route("/meetings/{id}/observations", post(meeting_extras::observe))
        .route("/orgs/{id}/meetings.ics", get(meeting_extras::org_ics))
        .route("/orgs/{id}/life", get(life::branch))
        .route("/life", get(life::node))
        .route("/life/branches.xlsx", get(life::node_export))
        .route(
            "/members/{id}/meetings.ics",
            get(meeting_extras::member_ics),
        )
        .route("/meetings/{id}/resolutions", post(org_meetings::resolve))
        .route("/meetings/{id}/minutes", post(org_meetings::minutes))
        .route("/units", get(units::list).post(units::create))
        .route("/units/export.xlsx", get(units::export))
        .route("/units/{id}", get(units::show))
        .route("/units/{id}/edit", post(units::edit))
        .route("/units/{id}/close", post(units::close))
        .route("/users", get(users::list).post(users::create))
        .route("/users/export.xlsx", get(users::export))
        .route("/users/{id}", get(users::show))
        .route("/users/{id}/lock", post(users::lock))
        .route("/users/{id}/unlock", post(users::unlock))
        .route("/users/{id}/password", post(users::reset_password))
        .route("/members", get(members::list).post(members::create))
        .route("/members/export.xlsx", get(members::export))
        .route(
            "/members/import",
            get(member_import::show).post(member_import::upload).layer(
                axum::extract::DefaultBodyLimit::max(member_import::MAX_BYTES + 64 * 1024),
            ),
        )
        .route(
            "/members/import/template.xlsx",
            get(member_import::template),
        )
        .route(
            "/members/import/{id}/problems.xlsx",
            get(member_import::problems),
        )
        .route("/members/import/{id}/accept", post(member_import::accept))
        .route("/members/{id}", get(members::show))
        .route("/members/{id}/edit", post(members::edit))
        .route("/members/{id}/reveal", post(members::reveal))
        .route("/members/{id}/dues/base", post(member_dues::set_base))
        .route("/members/{id}/dues/pay", post(member_dues::pay))
        .route("/members/lapse", get(member_dues::lapse))
        .route("/members/lapse/export.xlsx", get(member_dues::lapse_export))
        .route("/members/flowing", get(member_flows::list))
        .route("/members/flowing/export.xlsx", get(member_flows::export))
        .route("/members/{id}/flow", post(member_flows::start))
        .route("/flows/{id}/end", post(member_flows::end))
        .route("/members/due", get(member_recruitment::due))
        .route(
            "/members/due/export.xlsx",
            get(member_recruitment::due_export),
        )
        .route("/members/{id}/transfer", post(member_transfers::send))
        .route(
            "/members/{id}/transfer-out",
            post(member_transfers::send_out),
        )
        .route(
            "/members/{id}/recruitment",
            post(member_recruitment::record),
        )
        .route("/members/{id}/probation", post(member_recruitment::extend))
        .route("/transfers", get(member_transfers::list))
        .route("/transfers/export.xlsx", get(member_transfers::export))
        .route("/transfers/arrive", post(member_transfers::arrive))
        .route("/transfers/{id}/receive", post(member_transfers::receive))
        .route("/transfers/{id}/withdraw", post(member_transfers::withdraw))
        .route("/voice", get(voice_public::choose))
        .route(
            "/voice/track",
            get(voice_public::track_form).post(voice_public::track),
        )
        .route("/voice/track/confirm", post(voice_public::confirm))
        .route("/voice/track/object", post(voice_public::object))
        .route("/voice/track/rate", post(voice_public::rate))
        .route(
            "/voice/{code}",
            get(voice_public::form).post(voice_public::file).layer(
                axum::extract::DefaultBodyLimit::max(
                    jiceng_store::voice::MAX_PHOTO_BYTES + 64 * 1024,
                ),
            ),
        )
        .route("/problems", get(problems::list).post(problem::file_desk))
        .route("/problems/export.xlsx", get(problems::export))
        .route("/problems/report.xlsx", get(problems::report))
        .route("/problems/figures", get(problem_figures::show))
        .route(
            "/problems/figures/export.xlsx",
            get(problem_figures::export),
        )
        .route("/problems/{id}", get(problem::show))
        .route("/problems/{id}/act", post(problem::act))
        .route(
            "/problems/{id}/resolve",
            post(problem::resolve).layer(axum::extract::DefaultBodyLimit::max(
                jiceng_store::voice::MAX_PHOTO_BYTES + 64 * 1024,
            )),
        )
        .route("/problems/{id}/reveal", post(problem::reveal))
        .route("/problems/{id}/files/{file}", get(problem::file))
        .route("/studios", get(studios::list).post(studios::create))
        .route("/studios/export.xlsx", get(studios::export))
        .route("/studios/receptions.xlsx", get(studios::receptions_export))
        .route("/studios/{id}", get(studios::show))
        .route("/studios/{id}/edit", post(studio_edit::edit))
        .route("/studios/{id}/reps", post(studios::add_rep))
        .route("/studios/{id}/reps/end", post(studios::end_rep))
        .route("/studios/{id}/receptions", post(studios::receive))
        .route("/studios/{id}/duty.ics", get(studio_ics::studio_ics))
        .route("/members/{id}/duty.ics", get(studio_ics::member_ics))
        .route("/teams", get(teams::list).post(teams::create))
        .route("/teams/export.xlsx", get(teams::export))
        .route("/teams/items.xlsx", get(teams::items_export))
        .route("/teams/{id}", get(teams::show))
        .route("/teams/{id}/villages", post(teams::assign))
        .route("/teams/{id}/items", post(teams::add_item))
        .route("/teams/{id}/items/status", post(teams::move_item))
        .route("/services", get(services::list).post(services::create))
        .route("/services/export.xlsx", get(services::export))
        .route(
            "/services/calendar",
            get(service_calendar::show).post(service_calendar::set),
        )
        .route("/services/{id}", get(services::show))
        .route("/services/{id}/edit", post(services::edit))
        .route("/services/{id}/active", post(services::set_active))
        .route(
            "/service-requests",
            get(service_requests::list).post(service_requests::file_desk),
        )
        .route(
            "/service-requests/export.xlsx",
            get(service_requests::export),
        )
        .route("/service-requests/figures", get(service_figures::figures))
        .route(
            "/service-requests/figures/export.xlsx",
            get(service_figures::figures_export),
        )
        .route("/service-requests/{id}", get(service_requests::show))
        .route("/service-requests/{id}/move", post(service_requests::act))
        .route(
            "/service-requests/{id}/reveal",
            post(service_requests::reveal),
        )
        .route("/service", get(service_public::choose))
        .route(
            "/service/track",
            get(service_public::track_form).post(service_public::track),
        )
        .route("/service/{code}", get(service_public::catalogue))
        .route(
            "/service/{code}/apply/{item}",
            get(service_public::apply_form).post(service_public::apply),
        )
        .route("/audit", get(audit::list))
        .route("/audit/export.xlsx", get(audit::export))
        .route("/account", get(account::show))
        .route("/account/password", post(account::change_password))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
}

#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub c: Chrome,
    pub action: String,
    pub filters: Vec<Field>,
    pub table: Table,
    pub pager: Pager,
    pub export: Option<String>,
    /// Further actions shown beside the export (e.g. an import).
    pub links: Vec<(String, String)>,
    pub forms: Vec<Form>,
}

#[derive(Template)]
#[template(path = "record.html")]
pub struct RecordPage {
    pub c: Chrome,
    pub facts: Vec<(String, String)>,
    pub stats: Vec<Stat>,
    pub tables: Vec<Table>,
    pub links: Vec<(String, String)>,
    pub forms: Vec<Form>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub c: Chrome,
    pub message: String,
    pub code: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub c: Chrome,
    pub forms: Vec<Form>,
    pub secret: Option<String>,
    pub otpauth: Option<String>,
}

/// A record page answers 422 when one of its forms carries a refusal, else 200.
pub fn render_record(page: &RecordPage) -> Result<Response, PageError> {
    let refused = page
        .forms
        .iter()
        .any(|f| f.error.is_some() || f.fields.iter().any(|x| x.error.is_some()));
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(status, page)
}

/// Renders a template with a status.
pub fn render(status: StatusCode, tpl: &impl Template) -> Result<Response, PageError> {
    Ok((
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(tpl.render().map_err(AppError::from)?),
    )
        .into_response())
}

pub fn ok(tpl: &impl Template) -> Result<Response, PageError> {
    render(StatusCode::OK, tpl)
}

/// Submitted form fields, in order; malformed bodies are a clear 400.
pub struct FormData(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = PageError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(FormData(
                v.into_iter().filter(|(k, _)| k != "_csrf").collect(),
            )),
            Err(e) => Err(PageError(AppError::Bad {
                status: e.status(),
                code: "request.invalid_form",
                zh: "提交的表单格式不正确".into(),
                en: "The form could not be read".into(),
            })),
        }
    }
}

impl FormData {
    pub fn get(&self, k: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.trim())
    }
    pub fn opt(&self, k: &str) -> Option<String> {
        Some(self.get(k).to_string()).filter(|s| !s.is_empty())
    }
    /// Every value of a repeated field (ticked checkboxes) as ids; a non-number is a broken form.
    pub fn ids(&self, k: &str) -> Result<Vec<i64>, AppError> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| {
                v.parse::<i64>().map_err(|_| {
                    AppError::bad(
                        "request.invalid_form",
                        "提交的表单格式不正确",
                        "The form could not be read",
                    )
                })
            })
            .collect()
    }
    pub fn flag(&self, k: &str) -> bool {
        matches!(self.get(k), "on" | "true" | "1")
    }
    /// A whole number, or a rule error naming the field.
    pub fn int(&self, k: &'static str, zh: &str, en: &str) -> Result<i64, AppError> {
        self.get(k).parse().map_err(|_| {
            AppError::Rule(
                jiceng_domain::DomainError::new(
                    "request.not_a_number",
                    format!("{zh}须为整数"),
                    format!("{en} must be a whole number"),
                )
                .on(k),
            )
        })
    }
}

/// Typed path id: a malformed id is a 404, like a missing record.
#[derive(Debug, Clone, Copy)]
pub struct Id(pub i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Id {
    type Rejection = PageError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| PageError(AppError::NotFound))?;
        raw.parse::<i64>()
            .ok()
            .filter(|i| *i > 0)
            .map(Id)
            .ok_or(PageError(AppError::NotFound))
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    pub under: Option<String>,
    pub kind: Option<String>,
    pub q: Option<String>,
    pub closed: Option<String>,
    pub role: Option<String>,
    pub page: Option<String>,
    pub notice: Option<String>,
    /// Members: one organisation, one status.
    pub org: Option<String>,
    pub status: Option<String>,
}

impl ListQuery {
    pub fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
    }
    pub fn under_id(&self) -> Option<i64> {
        self.under.as_deref().and_then(|u| u.parse().ok())
    }
    pub fn include_closed(&self) -> bool {
        self.closed.as_deref() == Some("on")
    }
}

/// Query extractor that turns malformed query strings into a 400 page.
pub struct Q<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S> for Q<T> {
    type Rejection = PageError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Q(v))
            .map_err(|_| {
                PageError(AppError::bad(
                    "request.invalid_query",
                    "查询参数格式不正确",
                    "The query string could not be read",
                ))
            })
    }
}

/// Where each role starts.
async fn home(PageCtx(ctx): PageCtx) -> Response {
    let to = match ctx.role {
        Role::AuditAdmin => "/audit".to_string(),
        Role::SecAdmin | Role::SysAdmin => "/users".to_string(),
        _ => format!("/places/{}", ctx.user.place_id),
    };
    Redirect::to(&to).into_response()
}

#[derive(Deserialize)]
struct Back {
    back: Option<String>,
}

async fn switch_lang(Path(lang): Path<String>, Query(b): Query<Back>) -> Response {
    // Only local paths: the switch must not become an open redirect.
    let back = b
        .back
        .filter(|p| crate::auth::local_path(p).is_some())
        .unwrap_or_else(|| "/".into());
    let v = if lang == "en" { "en" } else { "zh" };
    let mut res = Redirect::to(&back).into_response();
    if let Ok(h) = set_cookie(LANG_COOKIE, v, false, Some(365 * 86400)).parse() {
        res.headers_mut().insert(header::SET_COOKIE, h);
    }
    res
}

/// See-other redirect after a successful POST.
pub fn done(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The end of a form's write: on success the browser goes to the address the write gave; on a
/// refusal `again` draws the page anew with what was typed and the message beside its field.
pub async fn saved<A>(
    written: Result<String, AppError>,
    form: &'static str,
    data: FormData,
    lang: crate::i18n::Lang,
    again: impl FnOnce(crate::ui::Feedback) -> A,
) -> Result<Response, PageError>
where
    A: std::future::Future<Output = Result<Response, PageError>>,
{
    match written {
        Ok(to) => Ok(done(&to)),
        Err(e) => again(crate::ui::Feedback::refusal(form, data.0, e, lang)?).await,
    }
}

pub fn status_label(t: crate::i18n::T, closed_at: Option<i64>) -> String {
    if closed_at.is_some() {
        t.t("common.closed").into()
    } else {
        t.t("common.open").into()
    }
}
