//! Open311 GeoReport v2 at `/open311/v2/` (issue 5, item 9), with its service discovery at
//! `/open311/discovery.{xml,json}`. Every resource in XML and JSON; errors as the spec's
//! `errors` list with its HTTP statuses (400 bad or missing argument, 403 api_key, 404 not
//! found; 429 when a key files too fast). Reads need no key and show nothing personal
//! (`store::open311::public`); POST needs a partner's key and files a problem in the village
//! named by `jurisdiction_id` (a 12-digit 村/社区 code: Open311 has no notion of a village, and
//! jiceng has no village boundaries to place a coordinate in).

mod render;

pub use render::{Fmt, JSON_TYPE, V, XML_TYPE};

use crate::AppState;
use crate::auth::{client_ip, request_id};
use crate::clock::day_of;
use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use jiceng_store::open311::{NewRequest, Open311Error, PublicRequest, RequestQuery};
use jiceng_store::{Actor, Scope, StoreError};
use render::{error, respond};

/// The largest POST body taken: a report's text (2,000 characters of up to 4 bytes, encoded)
/// and its few fields fit well within it.
pub const MAX_BODY: usize = 64 * 1024;
/// GET Service Requests: at most this many, and a window of at most this many days.
pub const MAX_RESULTS: i64 = 1000;
pub const WINDOW_DAYS: i64 = 90;
const DAY_MS: i64 = 86_400_000;
/// When the service list or its definitions last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-12-02 00:00";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/{file}", get(discovery))
        .route("/open311/v2/{file}", get(list).post(create))
        .route("/open311/v2/services/{file}", get(definition))
        .route("/open311/v2/requests/{file}", get(one))
        .route("/open311/v2/tokens/{file}", get(token))
}

/// An Open311 error answer in the format asked for.
struct Fail(StatusCode, String);

type Answer = Result<Response, (Fmt, Fail)>;

fn fail(status: u16, description: impl Into<String>) -> Fail {
    Fail(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        description.into(),
    )
}

fn finish(a: Answer) -> Response {
    match a {
        Ok(r) => r,
        Err((fmt, Fail(status, d))) => error(status, fmt, &d),
    }
}

/// A store failure: logged; the partner is told of a general service error (the spec's 400).
fn internal(e: impl std::fmt::Display) -> Fail {
    tracing::error!(error = %e, "open311");
    fail(
        400,
        "服务暂时出错，已记录，请稍后重试（General service error）",
    )
}

fn not_found(what: &str) -> Fail {
    fail(404, format!("{what} 不存在（not found）"))
}

/// Layer errors under `/open311/` (an unknown path, a body too large, a timeout) in the
/// spec's form; the module's own answers pass unchanged. Called by `ops::render_errors`.
pub fn layer_error(path: &str, res: Response) -> Response {
    let status = res.status();
    let ours = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes().starts_with(b"text/xml") || v.as_bytes().starts_with(b"application/json")
    });
    if ours || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let description = match status {
        StatusCode::NOT_FOUND => "找不到该资源，请核对网址（not found）",
        StatusCode::METHOD_NOT_ALLOWED => "该资源不支持此请求方法（method not allowed）",
        StatusCode::PAYLOAD_TOO_LARGE => "提交的内容过大（request too large）",
        StatusCode::REQUEST_TIMEOUT => "请求超时，请稍后重试（timeout）",
        _ => "请求无法处理，请核对网址和参数（bad request）",
    };
    error(status, Fmt::of_path(path), description)
}

fn pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, Fail> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw.unwrap_or_default())
        .map_err(|_| fail(400, "参数格式不正确（invalid query string）"))
}

/// Every non-blank value of `name`, comma-delimited lists split (a blank one is as if absent).
fn values(args: &[(String, String)], name: &str) -> Vec<String> {
    args.iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

fn first(args: &[(String, String)], name: &str) -> Option<String> {
    values(args, name).into_iter().next()
}

/// The subtree of `jurisdiction_id`, when one is given (any node of the place tree).
async fn jurisdiction(state: &AppState, args: &[(String, String)]) -> Result<Option<Scope>, Fail> {
    let Some(code) = args
        .iter()
        .find(|(k, _)| k == "jurisdiction_id")
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    match state.store.place_by_code(&Scope::All, code).await {
        Ok(p) => Ok(Some(p.scope())),
        Err(StoreError::NotFound) => Err(fail(
            404,
            format!("jurisdiction_id {code} 不存在：请使用地点的12位区划代码"),
        )),
        Err(e) => Err(internal(e)),
    }
}

/// `2025-11-24T16:00:00+08:00`: Beijing time with its offset.
pub fn w3c(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8));
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    t.format(&f).unwrap_or_default()
}

/// A W3C datetime (`2010-01-01T00:00:00Z`, with an offset, without seconds, or a bare date,
/// taken as Beijing midnight), in ms. A `+` the query string turned into a space is put back.
pub fn parse_w3c(raw: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    let s = raw.trim().replace(' ', "+");
    if let Ok(t) = time::OffsetDateTime::parse(&s, &Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    // Without seconds: `2010-01-01T00:00Z` / `…T00:00+08:00`.
    if s.len() > 16 && s.as_bytes().get(13) == Some(&b':') && s.as_bytes().get(16) != Some(&b':') {
        let with = format!("{}:00{}", &s[..16], &s[16..]);
        if let Ok(t) = time::OffsetDateTime::parse(&with, &Rfc3339) {
            return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
        }
    }
    (s.len() == 10)
        .then(|| crate::clock::parse_date_ms(&s))
        .flatten()
}

async fn discovery(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some(("discovery", fmt)) = Fmt::split(&file) else {
        return error(
            StatusCode::NOT_FOUND,
            Fmt::of_path(&file),
            "找不到该资源，请核对网址（not found）",
        );
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    let v = V::Obj(vec![
        ("changeset", V::str(CHANGESET)),
        (
            "contact",
            V::str(
                "jiceng 基层治理平台 Open311 接口。问题须提交到具体的村（社区）：POST 请求的 jurisdiction_id 须为问题所在村（社区）的12位统计用区划代码；查询时 jurisdiction_id 可为任一级地点代码（只看其下的问题），也可不填（全部）。如需帮助请联系本平台的区（县）管理员。",
            ),
        ),
        (
            "key_service",
            V::str(
                "api_key 由本平台系统管理员签发（命令行 jiceng open311 key --partner 合作方名称 --place 地点代码），每个密钥只能向其地点范围内的村（社区）提交问题，并有每小时提交上限；查询无需密钥。",
            ),
        ),
        (
            "endpoints",
            V::List(
                "endpoint",
                vec![V::Obj(vec![
                    (
                        "specification",
                        V::str("http://wiki.open311.org/GeoReport_v2"),
                    ),
                    ("url", V::str(format!("{scheme}://{host}/open311/v2"))),
                    ("changeset", V::str(CHANGESET)),
                    ("type", V::str("production")),
                    (
                        "formats",
                        V::List(
                            "format",
                            vec![V::str("text/xml"), V::str("application/json")],
                        ),
                    ),
                ])],
            ),
        ),
    ]);
    respond(StatusCode::OK, fmt, "discovery", &v)
}

/// GET services.{fmt} and requests.{fmt}.
async fn list(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let fmt = Fmt::of_path(&file);
    finish(match Fmt::split(&file) {
        Some(("services", fmt)) => services(&state, fmt, q.as_deref()).await,
        Some(("requests", fmt)) => requests(&state, fmt, q.as_deref()).await,
        _ => Err((fmt, fail(404, "找不到该资源，请核对网址（not found）"))),
    })
}

async fn services(state: &AppState, fmt: Fmt, q: Option<&str>) -> Answer {
    let args = pairs(q).map_err(|e| (fmt, e))?;
    jurisdiction(state, &args).await.map_err(|e| (fmt, e))?;
    let list = state
        .store
        .voice_services()
        .await
        .map_err(|e| (fmt, internal(e)))?;
    let items = list
        .into_iter()
        .map(|s| {
            V::Obj(vec![
                ("service_code", V::Str(s.code)),
                ("service_name", V::Str(s.name)),
                ("description", V::Str(s.description)),
                ("metadata", V::Bool(s.metadata == 1)),
                ("type", V::Str(s.kind)),
                ("keywords", V::Str(s.keywords)),
                ("group", V::Str(s.service_group)),
            ])
        })
        .collect();
    Ok(respond(
        StatusCode::OK,
        fmt,
        "services",
        &V::List("service", items),
    ))
}

/// GET services/{code}.{fmt}: the definition. No service has attributes yet (every one has
/// `metadata` false), so a definition is its code and an empty attribute list.
async fn definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let fmt = Fmt::of_path(&file);
    finish(
        async {
            let Some((code, fmt)) = Fmt::split(&file) else {
                return Err((fmt, fail(404, "找不到该资源，请核对网址（not found）")));
            };
            let args = pairs(q.as_deref()).map_err(|e| (fmt, e))?;
            jurisdiction(&state, &args).await.map_err(|e| (fmt, e))?;
            let s = match state.store.voice_service(code).await {
                Ok(s) => s,
                Err(StoreError::NotFound) => {
                    return Err((fmt, not_found(&format!("service_code {code}"))));
                }
                Err(e) => return Err((fmt, internal(e))),
            };
            let v = V::Obj(vec![
                ("service_code", V::Str(s.code)),
                ("attributes", V::List("attribute", vec![])),
            ]);
            Ok(respond(StatusCode::OK, fmt, "service_definition", &v))
        }
        .await,
    )
}

/// One problem as the spec's `request` element.
fn request_value(r: &PublicRequest) -> V {
    let expected = r.deadline.as_deref().map(|d| format!("{d}T23:59:59+08:00"));
    let (lat, long) = r
        .coordinates()
        .map_or((V::Null, V::Null), |(a, b)| (V::Float(a), V::Float(b)));
    V::Obj(vec![
        ("service_request_id", V::Str(r.id.to_string())),
        (
            "status",
            V::str(if r.is_open() { "open" } else { "closed" }),
        ),
        ("status_notes", V::Str(r.status_notes())),
        ("service_name", V::opt(r.service_name.clone())),
        ("service_code", V::opt(r.service_code.clone())),
        ("description", V::opt(r.description())),
        // The village (community) that deals with it: a body, never a person.
        ("agency_responsible", V::Str(r.place_name.clone())),
        ("service_notice", V::Null),
        ("requested_datetime", V::Str(w3c(r.created_at))),
        ("updated_datetime", V::Str(w3c(r.updated_at))),
        ("expected_datetime", V::opt(expected)),
        ("address", V::Str(r.address())),
        ("address_id", V::opt(r.address_id())),
        ("zipcode", V::Null),
        ("lat", lat),
        ("long", long),
        ("media_url", V::opt(r.media_url())),
    ])
}

fn requests_answer(fmt: Fmt, rows: &[PublicRequest]) -> Response {
    let v = V::List("request", rows.iter().map(request_value).collect());
    respond(StatusCode::OK, fmt, "service_requests", &v)
}

async fn requests(state: &AppState, fmt: Fmt, q: Option<&str>) -> Answer {
    let args = pairs(q).map_err(|e| (fmt, e))?;
    let under = jurisdiction(state, &args).await.map_err(|e| (fmt, e))?;
    let query = request_query(&args, under, state.now()).map_err(|e| (fmt, e))?;
    let rows = state
        .store
        .open311_requests(&query)
        .await
        .map_err(|e| (fmt, internal(e)))?;
    Ok(requests_answer(fmt, &rows))
}

/// The filters of GET Service Requests, with the spec's defaults: the last 90 days, at most
/// 1000; a window given by both ends may not span more than 90 days.
fn request_query(
    args: &[(String, String)],
    under: Option<Scope>,
    now: i64,
) -> Result<RequestQuery, Fail> {
    let mut ids = vec![];
    for v in values(args, "service_request_id") {
        let id = v
            .parse::<i64>()
            .map_err(|_| fail(400, format!("service_request_id {v} 不是有效的编号")))?;
        ids.push(id);
    }
    if ids.len() > MAX_RESULTS as usize {
        return Err(fail(
            400,
            format!("service_request_id 一次最多{MAX_RESULTS}个"),
        ));
    }
    let date = |name: &str| -> Result<Option<i64>, Fail> {
        first(args, name)
            .map(|v| {
                parse_w3c(&v).ok_or_else(|| {
                    fail(
                        400,
                        format!("{name} 须为W3C日期时间格式，如 2010-01-01T00:00:00Z"),
                    )
                })
            })
            .transpose()
    };
    let window = WINDOW_DAYS * DAY_MS;
    let (from, to) = match (date("start_date")?, date("end_date")?) {
        (None, None) => (now - window, now),
        (Some(s), None) => (s, s + window),
        (None, Some(e)) => (e - window, e),
        (Some(s), Some(e)) => {
            if e < s {
                return Err(fail(400, "end_date 不能早于 start_date"));
            }
            if e - s > window {
                return Err(fail(
                    400,
                    format!("start_date 至 end_date 不能超过{WINDOW_DAYS}天"),
                ));
            }
            (s, e)
        }
    };
    let mut open = None;
    let statuses = values(args, "status");
    for s in &statuses {
        if s != "open" && s != "closed" {
            return Err(fail(400, format!("status 只能为 open 或 closed，收到 {s}")));
        }
    }
    let (has_open, has_closed) = (
        statuses.iter().any(|s| s == "open"),
        statuses.iter().any(|s| s == "closed"),
    );
    if has_open != has_closed {
        open = Some(has_open);
    }
    Ok(RequestQuery {
        ids,
        under,
        service_codes: values(args, "service_code"),
        from,
        to,
        open,
        limit: MAX_RESULTS,
    })
}

/// GET requests/{id}.{fmt}.
async fn one(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let fmt = Fmt::of_path(&file);
    finish(
        async {
            let Some((id, fmt)) = Fmt::split(&file) else {
                return Err((fmt, fail(404, "找不到该资源，请核对网址（not found）")));
            };
            let args = pairs(q.as_deref()).map_err(|e| (fmt, e))?;
            let under = jurisdiction(&state, &args).await.map_err(|e| (fmt, e))?;
            let missing = || (fmt, not_found(&format!("service_request_id {id}")));
            let id: i64 = id.parse().map_err(|_| missing())?;
            let query = RequestQuery {
                ids: vec![id],
                under,
                limit: 1,
                ..RequestQuery::default()
            };
            let rows = state
                .store
                .open311_requests(&query)
                .await
                .map_err(|e| (fmt, internal(e)))?;
            if rows.is_empty() {
                return Err(missing());
            }
            Ok(requests_answer(fmt, &rows))
        }
        .await,
    )
}

/// GET tokens/{token}.{fmt}.
async fn token(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let fmt = Fmt::of_path(&file);
    finish(
        async {
            let Some((tok, fmt)) = Fmt::split(&file) else {
                return Err((fmt, fail(404, "找不到该资源，请核对网址（not found）")));
            };
            let args = pairs(q.as_deref()).map_err(|e| (fmt, e))?;
            jurisdiction(&state, &args).await.map_err(|e| (fmt, e))?;
            let id = match state.store.open311_token(tok).await {
                Ok(id) => id,
                Err(StoreError::NotFound) => return Err((fmt, not_found(&format!("token {tok}")))),
                Err(e) => return Err((fmt, internal(e))),
            };
            let v = V::List(
                "request",
                vec![V::Obj(vec![
                    ("service_request_id", V::Str(id.to_string())),
                    ("token", V::str(tok)),
                ])],
            );
            Ok(respond(StatusCode::OK, fmt, "service_requests", &v))
        }
        .await,
    )
}

/// `attribute[code]` or `attribute[code][]` → `code`.
fn attribute_code(k: &str) -> Option<&str> {
    let rest = k.strip_prefix("attribute[")?;
    let rest = rest.strip_suffix("[]").unwrap_or(rest);
    let code = rest.strip_suffix(']')?;
    (!code.is_empty() && !code.contains(['[', ']'])).then_some(code)
}

/// POST requests.{fmt}.
async fn create(State(state): State<AppState>, Path(file): Path<String>, req: Request) -> Response {
    let fmt = Fmt::of_path(&file);
    let fmt = match Fmt::split(&file) {
        Some(("requests", f)) => f,
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                fmt,
                "找不到该资源，请核对网址（not found）",
            );
        }
    };
    let (parts, body) = req.into_parts();
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return error(
            StatusCode::BAD_REQUEST,
            fmt,
            "请以 application/x-www-form-urlencoded 格式提交",
        );
    }
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            fmt,
            "提交的内容过大（request too large）",
        );
    };
    let Ok(args) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) else {
        return error(
            StatusCode::BAD_REQUEST,
            fmt,
            "表单格式不正确（invalid form）",
        );
    };
    let get = |name: &str| args.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let n = NewRequest {
        jurisdiction_id: get("jurisdiction_id"),
        service_code: get("service_code"),
        lat: get("lat"),
        long: get("long"),
        address_string: get("address_string"),
        address_id: get("address_id"),
        email: get("email"),
        device_id: get("device_id"),
        account_id: get("account_id"),
        first_name: get("first_name"),
        last_name: get("last_name"),
        phone: get("phone"),
        description: get("description"),
        media_url: get("media_url"),
        attributes: args
            .iter()
            .filter_map(|(k, v)| attribute_code(k).map(|c| (c.to_string(), v.clone())))
            .collect(),
    };
    let actor = Actor {
        user_id: None,
        username: "open311".into(),
        ip: client_ip(&parts, state.config.trust_proxy),
        request_id: request_id(&parts.headers),
    };
    let now = state.now();
    let key = get("api_key");
    match state
        .store
        .open311_file(&actor, key.as_deref(), &n, &day_of(now), now)
        .await
    {
        Ok(filed) => {
            let notice = format!(
                "已收到，将由所在村（社区）研判交办。群众查询码：{}（请转告反映人，凭码可查看办理进展、确认解决或提出异议）",
                filed.tracking_code
            );
            let v = V::List(
                "request",
                vec![V::Obj(vec![
                    ("service_request_id", V::Str(filed.id.to_string())),
                    ("service_notice", V::Str(notice)),
                    ("account_id", V::opt(filed.account_id)),
                ])],
            );
            respond(StatusCode::OK, fmt, "service_requests", &v)
        }
        Err(Open311Error::Refused(r)) => {
            let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
            let mut res = error(status, fmt, &r.description);
            if status == StatusCode::TOO_MANY_REQUESTS {
                res.headers_mut().insert(
                    header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("3600"),
                );
            }
            res
        }
        Err(Open311Error::Store(e)) => {
            let Fail(status, d) = internal(e);
            error(status, fmt, &d)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w3c_datetimes() {
        assert_eq!(w3c(1_764_000_000_000), "2025-11-25T00:00:00+08:00");
        let z = parse_w3c("2025-11-24T16:00:00Z");
        assert_eq!(z, Some(1_764_000_000_000));
        assert_eq!(parse_w3c("2025-11-25T00:00:00+08:00"), z);
        assert_eq!(parse_w3c("2025-11-25T00:00:00 08:00"), z);
        assert_eq!(parse_w3c("2025-11-25T00:00+08:00"), z);
        assert_eq!(parse_w3c("2025-11-25"), z);
        assert_eq!(parse_w3c("2025-11-25T00:00:00"), None);
        assert_eq!(parse_w3c("yesterday"), None);
    }

    #[test]
    fn attribute_names() {
        assert_eq!(attribute_code("attribute[WHISPAWN]"), Some("WHISPAWN"));
        assert_eq!(attribute_code("attribute[code1][]"), Some("code1"));
        assert_eq!(attribute_code("attribute[]"), None);
        assert_eq!(attribute_code("attributes[x]"), None);
        assert_eq!(attribute_code("attribute[a][b]"), None);
    }
}
