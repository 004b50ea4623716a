//! Open311 GeoReport v2 (issue 5, item 9): the catalogue of problem categories (`voice_services`,
//! Open311's services), partners' API keys, and requests filed by partners. A request becomes an
//! ordinary problem (`voice::insert_problem`, source `open311`) in the village named by its
//! `jurisdiction_id`; what the partner sent beyond the problem is kept in `open311_requests`,
//! written in the same transaction as the problem, the submitter's details sealed. Public reads
//! are in `open311/public.rs`.
//!
//! Keys: `o311_` and 64 hex characters (32 random bytes), shown once; only their SHA-256 is kept.
//! A key is bound to a place and files requests only in its subtree, at most `per_hour` an hour.

mod public;

pub use public::{PublicRequest, RequestQuery};

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use crate::sql::Sql;
use crate::voice::{MAX_TEXT_CHARS, NewProblem};
use crate::{Actor, Store};
use jiceng_domain::PlaceKind;
use jiceng_domain::member::parse_phone;
use jiceng_domain::open311::parse_degrees;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Requests a new key may file in an hour unless told otherwise.
pub const DEFAULT_PER_HOUR: i64 = 600;
/// Attributes kept with a request (the catalogue defines none yet; a partner may send some).
const MAX_ATTRIBUTES: usize = 20;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct VoiceService {
    pub code: String,
    pub name: String,
    pub description: String,
    pub service_group: String,
    pub keywords: String,
    pub metadata: i64,
    pub kind: String,
    pub sort_order: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Open311Key {
    pub id: i64,
    pub partner: String,
    pub place_id: i64,
    pub place_code: String,
    pub place_name: String,
    pub place_kind: String,
    pub per_hour: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl Open311Key {
    /// The subtree the key files requests in.
    pub fn scope(&self) -> Scope {
        let len = PlaceKind::parse(&self.place_kind).map_or(self.place_code.len(), |k| {
            k.prefix_len().min(self.place_code.len())
        });
        Scope::prefix(&self.place_code[..len])
    }
}

/// Why a request was refused, as Open311 answers it: the HTTP status (400, 403, 404, 429) and
/// a description for the person using the partner's app (zh-CN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub description: String,
}

#[derive(Debug)]
pub enum Open311Error {
    Refused(Refusal),
    Store(StoreError),
}

impl From<StoreError> for Open311Error {
    fn from(e: StoreError) -> Self {
        Open311Error::Store(e)
    }
}

impl From<sqlx::Error> for Open311Error {
    fn from(e: sqlx::Error) -> Self {
        Open311Error::Store(e.into())
    }
}

pub type Open311Result<T> = Result<T, Open311Error>;

fn refused<T>(status: u16, description: impl Into<String>) -> Open311Result<T> {
    Err(Open311Error::Refused(Refusal {
        status,
        description: description.into(),
    }))
}

/// A POST Service Request's arguments, as the form gave them (blank means absent).
#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    pub jurisdiction_id: Option<String>,
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub email: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub media_url: Option<String>,
    /// `attribute[code]=value` pairs (`attribute[code][]` once per value), in order.
    pub attributes: Vec<(String, String)>,
}

/// A request filed: its id, the resident's tracking code (for jiceng's own resident pages) and
/// the partner's account id, echoed as the spec allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filed {
    pub id: i64,
    pub tracking_code: String,
    pub account_id: Option<String>,
}

pub fn key_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.trim().as_bytes()))
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `Some(v)` within `max` characters, or a 400 naming the argument.
fn bounded(v: &Option<String>, name: &str, max: usize) -> Open311Result<Option<String>> {
    match given(v) {
        Some(s) if s.chars().count() > max => refused(400, format!("{name} 不能超过{max}个字符")),
        other => Ok(other),
    }
}

/// `SELECT` of keys `WHERE` `cond` (binds follow).
fn keys_where(cond: &str) -> Sql {
    Sql::new(&format!(
        "SELECT k.id, k.partner, k.place_id, p.code AS place_code, p.name AS place_name, \
         p.kind AS place_kind, k.per_hour, k.created_at, k.revoked_at \
         FROM open311_keys k JOIN places p ON p.id = k.place_id WHERE {cond}"
    ))
}

/// How long a read of the categories is used before they are read again. They change only
/// when a migration runs, before the server starts; the limit bounds how long a hand edit in
/// the database goes unseen.
pub const CATEGORIES_FOR: std::time::Duration = std::time::Duration::from_secs(60);

impl Store {
    /// The services (problem categories) offered, in their order.
    pub async fn voice_services(&self) -> StoreResult<Vec<VoiceService>> {
        if let Some(list) = self.categories.get(&()) {
            return Ok(list);
        }
        let list: Vec<VoiceService> = sqlx::query_as(
            "SELECT code, name, description, service_group, keywords, metadata, kind, sort_order \
             FROM voice_services WHERE active = 1 ORDER BY sort_order, code",
        )
        .fetch_all(&self.reader)
        .await?;
        self.categories.put((), list.clone());
        Ok(list)
    }

    /// One offered service by its code.
    pub async fn voice_service(&self, code: &str) -> StoreResult<VoiceService> {
        sqlx::query_as(
            "SELECT code, name, description, service_group, keywords, metadata, kind, sort_order \
             FROM voice_services WHERE active = 1 AND code = $1",
        )
        .bind(code.trim())
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Issues a key for `partner`, bound to the place `place_code` (its subtree). Returns the key
    /// record and the key itself, which is not kept and cannot be shown again.
    pub async fn open311_issue_key(
        &self,
        actor: &Actor,
        partner: &str,
        place_code: &str,
        per_hour: i64,
        now: i64,
    ) -> StoreResult<(Open311Key, String)> {
        let partner = crate::places::check_name(partner, "partner")?;
        if !(1..=100_000).contains(&per_hour) {
            return Err(StoreError::rule(
                "open311.per_hour_invalid",
                "每小时上限须为1至100000",
                "per_hour is 1 to 100,000",
            ));
        }
        let place = self.place_by_code(&Scope::All, place_code.trim()).await?;
        let secret = format!("o311_{}", crate::users::random_token());
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO open311_keys (partner, key_hash, place_id, per_hour, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&partner)
        .bind(key_hash(&secret))
        .bind(place.id)
        .bind(per_hour)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after =
            serde_json::json!({"partner": partner, "place": place.code, "per_hour": per_hour});
        audit::commit(
            tx,
            actor,
            Change::new("create", "open311_key", id, None, Some(after)),
            now,
        )
        .await?;
        Ok((self.open311_key(id).await?, secret))
    }

    pub async fn open311_key(&self, id: i64) -> StoreResult<Open311Key> {
        let mut sql = keys_where("k.id = ");
        sql.bind(id);
        sql.query_as()
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Every key, revoked ones too, newest first.
    pub async fn open311_keys(&self) -> StoreResult<Vec<Open311Key>> {
        let mut sql = keys_where("1=1");
        sql.push(" ORDER BY k.id DESC");
        Ok(sql.query_as().fetch_all(&self.reader).await?)
    }

    /// Stops a key at once (NotFound if there is no such key in use).
    pub async fn open311_revoke_key(&self, actor: &Actor, id: i64, now: i64) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(
            "UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit::commit(
            tx,
            actor,
            Change::new("revoke", "open311_key", id, None, None),
            now,
        )
        .await
    }

    /// The key in use that `secret` is, if any.
    pub async fn open311_key_by_secret(&self, secret: &str) -> StoreResult<Option<Open311Key>> {
        let mut sql = keys_where("k.revoked_at IS NULL AND k.key_hash = ");
        sql.bind(key_hash(secret));
        Ok(sql.query_as().fetch_optional(&self.reader).await?)
    }

    /// POST Service Request: checks the key, the village, the service and the location, files the
    /// problem and records what the partner sent. `actor` carries the caller's address and request
    /// id; the entry is written in the partner's name.
    pub async fn open311_file(
        &self,
        actor: &Actor,
        api_key: Option<&str>,
        n: &NewRequest,
        today: &str,
        now: i64,
    ) -> Open311Result<Filed> {
        let Some(secret) = api_key.map(str::trim).filter(|k| !k.is_empty()) else {
            return refused(403, "缺少 api_key，无法提交（Missing api_key）");
        };
        let Some(key) = self.open311_key_by_secret(secret).await? else {
            return refused(403, "api_key 无效或已停用，无法提交（Invalid api_key）");
        };
        let actor = Actor {
            username: format!("open311:{}", key.partner),
            ..actor.clone()
        };
        let Some(code) = given(&n.jurisdiction_id) else {
            return refused(
                400,
                "缺少 jurisdiction_id：请填写问题所在村（社区）的12位区划代码",
            );
        };
        let place = match self.place_by_code(&Scope::All, &code).await {
            Ok(p) => p,
            Err(StoreError::NotFound) => {
                return refused(404, format!("jurisdiction_id {code} 不存在"));
            }
            Err(e) => return Err(e.into()),
        };
        if !matches!(
            place.kind(),
            Some(PlaceKind::Village | PlaceKind::Community)
        ) || place.closed_at.is_some()
        {
            return refused(
                400,
                format!(
                    "jurisdiction_id {code}（{}）不是在册的村（社区）：问题须提交到具体的村（社区），请填写村（社区）的12位区划代码",
                    place.name
                ),
            );
        }
        if !key.scope().contains_code(&place.code) {
            return refused(
                403,
                format!(
                    "该 api_key 只能提交{}范围内的问题，{}不在其中",
                    key.place_name, place.name
                ),
            );
        }
        let Some(service_code) = given(&n.service_code) else {
            return refused(400, "缺少 service_code：请先查询 services 选择问题类别");
        };
        let service = match self.voice_service(&service_code).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => {
                return refused(404, format!("service_code {service_code} 不存在"));
            }
            Err(e) => return Err(e.into()),
        };
        let checked = check(n)?;
        let since = now - 3_600_000;
        let recent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM open311_requests WHERE key_id = $1 AND created_at > $2",
        )
        .bind(key.id)
        .bind(since)
        .fetch_one(&self.reader)
        .await?;
        if recent >= key.per_hour {
            return refused(
                429,
                format!(
                    "提交过于频繁：该 api_key 每小时最多提交{}件，请稍后再试",
                    key.per_hour
                ),
            );
        }
        let body = checked
            .description
            .clone()
            .unwrap_or_else(|| format!("（经Open311提交，未填写问题描述）{}", service.name));
        let problem = NewProblem {
            place_id: place.id,
            source: "open311".into(),
            category: Some(service.code.clone()),
            body,
            location: Some(checked.location.clone()),
            contact: checked.phone.clone(),
        };
        let prepared = match self.prepare_problem(&problem, None) {
            Ok(p) => p,
            Err(StoreError::Rule(e)) => return refused(400, e.zh),
            Err(e) => return Err(e.into()),
        };
        // The problem and what the partner sent with it go in one transaction: both or neither.
        let submitter = serde_json::json!({
            "email": checked.email, "first_name": checked.first_name, "last_name": checked.last_name,
            "device_id": checked.device_id, "account_id": checked.account_id,
        });
        let sealed = if submitter
            .as_object()
            .is_some_and(|o| o.values().any(|v| !v.is_null()))
        {
            Some(self.sealer.seal(submitter.to_string().as_bytes())?)
        } else {
            None
        };
        let attributes = serde_json::to_string(&checked.attributes)
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let village = crate::voice::Village {
            id: place.id,
            code: place.code.clone(),
            name: place.name.clone(),
        };
        let mut tx = self.writer.begin().await?;
        let problem_id = crate::voice::insert_problem(
            &mut tx,
            self.backend,
            &actor,
            &village,
            &prepared,
            today,
            now,
        )
        .await?;
        sqlx::query(
            "INSERT INTO open311_requests (problem_id, key_id, service_code, has_description, lat, lon, \
             address_string, address_id, media_url, attributes_json, submitter_sealed, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(problem_id)
        .bind(key.id)
        .bind(&service.code)
        .bind(i64::from(checked.description.is_some()))
        .bind(checked.lat.map(|v| v.to_string()))
        .bind(checked.long.map(|v| v.to_string()))
        .bind(&checked.address_string)
        .bind(&checked.address_id)
        .bind(&checked.media_url)
        .bind(attributes)
        .bind(sealed)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let after = serde_json::json!({"key_id": key.id, "service_code": service.code,
            "place": place.code, "attributes": checked.attributes.len()});
        audit::commit(
            tx,
            &actor,
            Change::new("open311_file", "problem", problem_id, None, Some(after)),
            now,
        )
        .await?;
        Ok(Filed {
            id: problem_id,
            tracking_code: prepared.tracking_code,
            account_id: checked.account_id,
        })
    }

    /// GET service_request_id from a token: jiceng answers POST in real time with the
    /// service_request_id, and a request filed through Open311 takes that id as its token too.
    pub async fn open311_token(&self, token: &str) -> StoreResult<i64> {
        let Ok(id) = token.trim().parse::<i64>() else {
            return Err(StoreError::NotFound);
        };
        sqlx::query_scalar("SELECT problem_id FROM open311_requests WHERE problem_id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)
    }
}

/// A request's arguments checked.
struct Checked {
    lat: Option<f64>,
    long: Option<f64>,
    address_string: Option<String>,
    address_id: Option<String>,
    /// What `problems.location` says (at most 200 characters).
    location: String,
    description: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    device_id: Option<String>,
    account_id: Option<String>,
    media_url: Option<String>,
    attributes: Vec<(String, String)>,
}

fn check(n: &NewRequest) -> Open311Result<Checked> {
    let (lat, long) = match (given(&n.lat), given(&n.long)) {
        (None, None) => (None, None),
        (Some(a), Some(b)) => match (parse_degrees(&a, 90.0), parse_degrees(&b, 180.0)) {
            (Some(a), Some(b)) => (Some(a), Some(b)),
            _ => {
                return refused(
                    400,
                    "lat/long 须为WGS84十进制度数：纬度在-90至90之间，经度在-180至180之间",
                );
            }
        },
        _ => return refused(400, "lat 和 long 须同时提供"),
    };
    let address_string = bounded(&n.address_string, "address_string", 200)?;
    let address_id = bounded(&n.address_id, "address_id", 100)?;
    let location = match (&address_string, &address_id, lat.zip(long)) {
        (Some(a), _, _) => a.clone(),
        (None, _, Some((a, b))) => format!("经纬度 {a},{b}"),
        (None, Some(id), None) => format!("地址编号 {id}"),
        (None, None, None) => {
            return refused(
                400,
                "缺少位置：须提供 lat 和 long，或 address_string，或 address_id 之一",
            );
        }
    };
    let description = bounded(&n.description, "description", MAX_TEXT_CHARS)?;
    let phone = match given(&n.phone) {
        None => None,
        Some(p) => {
            let local = p
                .trim_start_matches("+86")
                .trim_start_matches("0086")
                .trim();
            match parse_phone(local) {
                Ok(p) => Some(p),
                Err(e) => return refused(400, format!("phone：{}", e.zh)),
            }
        }
    };
    let media_url = bounded(&n.media_url, "media_url", 500)?;
    if media_url
        .as_deref()
        .is_some_and(|u| !(u.starts_with("https://") || u.starts_with("http://")))
    {
        return refused(400, "media_url 须为 http:// 或 https:// 开头的网址");
    }
    if n.attributes.len() > MAX_ATTRIBUTES {
        return refused(400, format!("attribute 最多{MAX_ATTRIBUTES}项"));
    }
    let mut attributes = Vec::with_capacity(n.attributes.len());
    for (k, v) in &n.attributes {
        if k.chars().count() > 50 || v.chars().count() > 500 {
            return refused(400, "attribute 的代码不超过50个字符，取值不超过500个字符");
        }
        attributes.push((k.clone(), v.clone()));
    }
    Ok(Checked {
        lat,
        long,
        address_string,
        address_id,
        location: location.chars().take(200).collect(),
        description,
        phone,
        email: bounded(&n.email, "email", 200)?,
        first_name: bounded(&n.first_name, "first_name", 50)?,
        last_name: bounded(&n.last_name, "last_name", 50)?,
        device_id: bounded(&n.device_id, "device_id", 100)?,
        account_id: bounded(&n.account_id, "account_id", 100)?,
        media_url,
        attributes,
    })
}
