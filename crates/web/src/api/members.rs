use super::{ApiJson, ApiQuery, ApiResult, Paged, PathId};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::{AppError, ErrorBody};
use axum::Json;
use axum::extract::State;
use jiceng_store::members::{Member, MemberFilter, MemberInput, Sealed};
use jiceng_store::sql::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update))
        .routes(routes!(reveal))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberParams {
    /// Only members of organisations at or below this place.
    pub under: Option<i64>,
    pub org_id: Option<i64>,
    pub status: Option<String>,
    /// Name, pinyin initials, a full ID number or a full phone number. A search's `total` is
    /// counted up to 1,000 only: 1001 means "more than 1,000"; the matches are sorted by pinyin
    /// initials, then place code, then name.
    pub q: Option<String>,
    /// Include former members: left the Party, died, or transferred out of the system.
    pub include_former: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberBody {
    pub org_id: i64,
    pub name: String,
    /// Required on create; on update an empty value keeps the sealed one.
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub ethnicity: String,
    /// postgraduate | bachelor | college | secondary | junior | primary
    pub education: String,
    /// employee | worker | farmer | retiree | student | unemployed | dibao | other
    pub occupation: String,
    /// applicant | activist | prospect | probationary | full | left | deceased
    pub status: String,
    pub join_date: Option<String>,
    pub full_date: Option<String>,
    pub workplace: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

impl From<MemberBody> for MemberInput {
    fn from(b: MemberBody) -> Self {
        MemberInput {
            org_id: b.org_id,
            name: b.name,
            id_number: b.id_number,
            ethnicity: b.ethnicity,
            education: b.education,
            occupation: b.occupation,
            status: b.status,
            join_date: b.join_date,
            full_date: b.full_date,
            workplace: b.workplace,
            phone: b.phone,
            address: b.address,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevealBody {
    /// id_number | phone | address
    pub field: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revealed {
    pub field: String,
    /// The clear value (null when the member has none). This read is in the audit log.
    pub value: Option<String>,
}

/// The member register (masked) within the caller's scope.
#[utoipa::path(get, path = "/members", tag = "members", params(MemberParams), responses((status = 200, body = Paged<Member>), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(p): ApiQuery<MemberParams>,
) -> ApiResult<Paged<Member>> {
    ctx.require(ctx.role.manages_members())?;
    let under_prefix = match p.under {
        Some(id) => Some(state.store.place(&ctx.scope, id).await?.prefix()),
        None => None,
    };
    let f = MemberFilter {
        under_prefix,
        org_id: p.org_id,
        status: p.status,
        q: p.q,
        include_former: p.include_former.unwrap_or(false),
    };
    let page = Page::new(p.page, p.per_page);
    let (items, total) = state.store.members(&ctx.scope, &f, page).await?;
    Ok(Json(Paged {
        items,
        total,
        page: page.number,
        per_page: page.size,
    }))
}

/// One member (masked).
#[utoipa::path(get, path = "/members/{id}", tag = "members", params(("id" = i64, Path)), responses((status = 200, body = Member), (status = 404, body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
) -> ApiResult<Member> {
    ctx.require(ctx.role.manages_members())?;
    Ok(Json(state.store.member(&ctx.scope, id).await?))
}

/// Registers a member with an organisation in scope.
#[utoipa::path(post, path = "/members", tag = "members", request_body = MemberBody, responses((status = 200, body = Member), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    ApiJson(b): ApiJson<MemberBody>,
) -> ApiResult<Member> {
    ctx.require(ctx.role.manages_members())?;
    Ok(Json(
        state
            .store
            .create_member(&ctx.actor, &ctx.scope, b.into(), state.now())
            .await?,
    ))
}

/// Edits a member (empty sealed fields keep their values).
#[utoipa::path(put, path = "/members/{id}", tag = "members", params(("id" = i64, Path)), request_body = MemberBody, responses((status = 200, body = Member), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(b): ApiJson<MemberBody>,
) -> ApiResult<Member> {
    ctx.require(ctx.role.manages_members())?;
    Ok(Json(
        state
            .store
            .update_member(&ctx.actor, &ctx.scope, id, b.into(), state.now())
            .await?,
    ))
}

/// Reads one sealed field in clear; the read is recorded in the audit log.
#[utoipa::path(post, path = "/members/{id}/reveal", tag = "members", params(("id" = i64, Path)), request_body = RevealBody, responses((status = 200, body = Revealed), (status = 404, body = ErrorBody)))]
async fn reveal(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    PathId(id): PathId,
    ApiJson(b): ApiJson<RevealBody>,
) -> ApiResult<Revealed> {
    ctx.require(ctx.role.manages_members())?;
    let field = Sealed::parse(&b.field).ok_or_else(|| {
        AppError::bad(
            "member.field_invalid",
            "field 须为 id_number、phone 或 address",
            "field is id_number, phone or address",
        )
    })?;
    let value = state
        .store
        .reveal(&ctx.actor, &ctx.scope, id, field, state.now())
        .await?;
    Ok(Json(Revealed {
        field: field.as_str().into(),
        value,
    }))
}
