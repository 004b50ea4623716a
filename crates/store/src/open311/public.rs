//! GET Service Requests: problems as Open311 shows them to anyone. Nothing personal leaves here:
//! no contact, no owner (a person's name), no submitter details. A resident's words are published
//! only when they came through Open311 (whose requests are public by the spec) and then masked
//! (`domain::open311::mask_personal`); what residents wrote into jiceng's own forms, desk or
//! visits stays inside (description null). Coordinates are rounded to about 110 m.

use crate::Store;
use crate::error::StoreResult;
use crate::scope::Scope;
use crate::sql::Sql;
use jiceng_domain::open311::{mask_personal, parse_degrees, public_degrees};
use jiceng_domain::voice::Status;
use serde::Serialize;

/// A problem as a public request, before it is masked and rendered.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct PublicRequest {
    pub id: i64,
    pub status: String,
    pub merged_into: Option<i64>,
    pub service_code: Option<String>,
    pub service_name: Option<String>,
    pub source: String,
    pub body: String,
    pub location: Option<String>,
    pub deadline: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub place_name: String,
    pub town_name: Option<String>,
    pub county_name: Option<String>,
    pub has_description: Option<i64>,
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub media_url: Option<String>,
}

impl PublicRequest {
    fn via_open311(&self) -> bool {
        self.source == "open311" && self.has_description.is_some()
    }

    /// Open311 knows two states: closed (销号, or merged into another) and open (the rest).
    pub fn is_open(&self) -> bool {
        Status::parse(&self.status).is_none_or(Status::is_open)
    }

    /// Where the problem stands, in words (zh-CN).
    pub fn status_notes(&self) -> String {
        match (Status::parse(&self.status), self.merged_into) {
            (Some(Status::Merged), Some(into)) => format!("已并入问题 {into}，随该问题办理"),
            (Some(s), _) => s.zh().to_string(),
            (None, _) => String::new(),
        }
    }

    /// The resident's words, masked, when they came through Open311 with a description.
    pub fn description(&self) -> Option<String> {
        (self.via_open311() && self.has_description == Some(1)).then(|| mask_personal(&self.body))
    }

    /// The place, most specific first: the address sent through Open311 (masked), then the
    /// village, town and county.
    pub fn address(&self) -> String {
        let mut parts: Vec<String> = vec![];
        if self.via_open311()
            && let Some(a) = &self.address_string
        {
            parts.push(mask_personal(a));
        }
        parts.push(self.place_name.clone());
        parts.extend(self.town_name.iter().cloned());
        parts.extend(self.county_name.iter().cloned());
        parts.join(", ")
    }

    pub fn address_id(&self) -> Option<String> {
        self.address_id
            .as_ref()
            .filter(|_| self.via_open311())
            .cloned()
    }

    /// (lat, long), rounded for publication.
    pub fn coordinates(&self) -> Option<(f64, f64)> {
        let lat = parse_degrees(self.lat.as_deref()?, 90.0)?;
        let lon = parse_degrees(self.lon.as_deref()?, 180.0)?;
        Some((public_degrees(lat), public_degrees(lon)))
    }

    pub fn media_url(&self) -> Option<String> {
        self.media_url
            .as_ref()
            .filter(|_| self.via_open311())
            .cloned()
    }
}

/// GET Service Requests' filters, checked by the web layer.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    /// When given, only these (the spec: "overrides all other arguments").
    pub ids: Vec<i64>,
    /// The jurisdiction's subtree, when one was named.
    pub under: Option<Scope>,
    pub service_codes: Vec<String>,
    /// requested_datetime window, milliseconds, both ends included.
    pub from: i64,
    pub to: i64,
    /// Some(true) open only, Some(false) closed only.
    pub open: Option<bool>,
    pub limit: i64,
}

const COLS: &str = "pr.id, pr.status, pr.merged_into, COALESCE(s.code, pr.category) AS service_code, \
    COALESCE(s.name, pr.category) AS service_name, pr.source, pr.body, pr.location, pr.deadline, \
    pr.created_at, pr.updated_at, p.name AS place_name, t.name AS town_name, c.name AS county_name, \
    o.has_description, o.lat, o.lon, o.address_string, o.address_id, o.media_url";
/// A problem not yet sorted has no category: Open311 shows it as the service `other`.
const FROM: &str = " FROM problems pr JOIN places p ON p.id = pr.place_id \
    LEFT JOIN places t ON t.id = p.parent_id LEFT JOIN places c ON c.id = t.parent_id \
    LEFT JOIN voice_services s ON s.code = COALESCE(pr.category, 'other') OR s.name = pr.category \
    LEFT JOIN open311_requests o ON o.problem_id = pr.id";

impl Store {
    /// One problem as a public request (every problem is one; NotFound otherwise).
    pub async fn open311_request(&self, id: i64) -> StoreResult<Option<PublicRequest>> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE pr.id = "));
        sql.bind(id);
        Ok(sql.query_as().fetch_optional(&self.reader).await?)
    }

    /// Problems as public requests, latest first, at most `q.limit`.
    pub async fn open311_requests(&self, q: &RequestQuery) -> StoreResult<Vec<PublicRequest>> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE "));
        if let Some(scope) = &q.under {
            scope.predicate(&mut sql, "p.code");
        } else {
            sql.push("1=1");
        }
        if !q.ids.is_empty() {
            sql.push(" AND pr.id IN (");
            for (i, id) in q.ids.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(*id);
            }
            sql.push(")");
        } else {
            sql.push(" AND pr.created_at >= ")
                .bind(q.from)
                .push(" AND pr.created_at <= ")
                .bind(q.to);
            if !q.service_codes.is_empty() {
                sql.push(" AND COALESCE(s.code, pr.category) IN (");
                for (i, c) in q.service_codes.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind(c.as_str());
                }
                sql.push(")");
            }
            match q.open {
                Some(true) => {
                    sql.push(" AND pr.status NOT IN ('closed', 'merged')");
                }
                Some(false) => {
                    sql.push(" AND pr.status IN ('closed', 'merged')");
                }
                None => {}
            }
        }
        sql.push(" ORDER BY pr.created_at DESC, pr.id DESC LIMIT ")
            .bind(q.limit);
        Ok(sql.query_as().fetch_all(&self.reader).await?)
    }
}
