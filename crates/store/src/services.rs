//! The service centre (党群服务中心, issue 5 item 4): the catalogue of 党务/政务/村务/公共服务
//! items (materials, time limit in working days, whether it may be applied for online) and the
//! requests taken at a centre's desk or online. An item belongs to a place and is offered at every
//! centre under it. A request's moves are `domain::service::Request::apply`; each is an event in
//! `service_request_events`, the row is the request as its events left it. The applicant's name
//! and phone are sealed (masked copies for lists, blind indexes for an exact search); the tracking
//! code is kept only as its SHA-256. Figures: `service.*` roll-ups per place and month of filing
//! (`services/list.rs`), bumped by the difference a write makes and rebuilt equal by `rebuild`.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::places::place_in;
use crate::rollups::lineage;
use crate::scope::Scope;
use crate::sql::Sql;
use crate::{Actor, Store};
use jiceng_domain::member::{mask_phone, parse_phone};
use jiceng_domain::service::{Move, Request, Status};
use jiceng_domain::{DomainError, PlaceKind};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

mod calendar;
mod catalogue;
mod list;
pub use calendar::CalendarDay;
pub use list::{FigureRow, RequestFilter, rebuild};

/// Characters of a tracking code: no 0/O, 1/I/L, so it can be read out over the phone.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 10 characters of 31: about 49 bits, not guessable at the rate the web layer allows.
const CODE_LEN: usize = 10;
pub const MAX_SUMMARY_CHARS: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct ItemInput {
    /// Where the item is offered (it and every centre under it); ignored on an edit.
    pub place_id: i64,
    pub code: String,
    pub name: String,
    pub group: String,
    pub materials: String,
    pub limit_days: i64,
    pub online: bool,
    pub sort: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub place_id: i64,
    pub place_name: String,
    pub place_code: String,
    pub code: String,
    pub name: String,
    pub grp: String,
    pub materials: String,
    pub limit_days: i64,
    pub online: i64,
    pub active: i64,
    pub sort: i64,
}

impl Item {
    pub fn materials_list(&self) -> Vec<&str> {
        self.materials
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }
}

/// A request as the desk form or the resident's form gives it.
#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    pub item_id: i64,
    pub place_id: i64,
    /// Taken at the desk (accepted at once) or filed online (waits to be accepted).
    pub desk: bool,
    pub name: String,
    pub phone: String,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct RequestRow {
    pub id: i64,
    pub item_id: i64,
    pub item_code: String,
    pub item_name: String,
    pub grp: String,
    pub place_id: i64,
    pub place_name: String,
    pub channel: String,
    pub name_masked: String,
    pub phone_masked: String,
    pub summary: String,
    pub status: String,
    pub limit_days: i64,
    pub filed_on: String,
    pub accepted_on: Option<String>,
    pub due_on: Option<String>,
    pub paused_on: Option<String>,
    pub finished_on: Option<String>,
    pub overdue: i64,
}

impl RequestRow {
    pub fn status(&self) -> Option<Status> {
        Status::parse(&self.status)
    }
    /// The domain's view of the row.
    pub fn state(&self) -> StoreResult<Request> {
        Ok(Request {
            status: self
                .status()
                .ok_or_else(|| StoreError::Internal(format!("status {}", self.status)))?,
            limit_days: self.limit_days,
            accepted_on: self.accepted_on.clone(),
            due_on: self.due_on.clone(),
            paused_on: self.paused_on.clone(),
            finished_on: self.finished_on.clone(),
            overdue: self.overdue == 1,
        })
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct EventRow {
    pub seq: i64,
    pub event: String,
    pub status: String,
    pub note: Option<String>,
    pub due_on: Option<String>,
    pub on_date: String,
    pub actor: String,
}

pub(crate) const ITEM_COLS: &str = "si.id, si.place_id, p.name AS place_name, p.code AS place_code, si.code, si.name, si.grp, \
    si.materials, si.limit_days, si.online, si.active, si.sort";
pub(crate) const REQ_COLS: &str = "sr.id, sr.item_id, si.code AS item_code, si.name AS item_name, si.grp, \
    sr.place_id, p.name AS place_name, sr.channel, sr.name_masked, sr.phone_masked, sr.summary, sr.status, \
    sr.limit_days, sr.filed_on, sr.accepted_on, sr.due_on, sr.paused_on, sr.finished_on, sr.overdue";
pub(crate) const REQ_FROM: &str = " FROM service_requests sr JOIN service_items si ON si.id = sr.item_id \
    JOIN places p ON p.id = sr.place_id";

fn refuse(code: &'static str, zh: impl Into<String>, en: &str, field: &'static str) -> StoreError {
    DomainError::new(code, zh, en).on(field).into()
}

pub fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.trim().to_ascii_uppercase().as_bytes()))
}

fn new_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// `张*` / `欧阳**`: the first character, the rest hidden.
pub fn mask_name(name: &str) -> String {
    let n = name.chars().count();
    let head: String = name.chars().take(1).collect();
    format!("{head}{}", "*".repeat(n.saturating_sub(1).max(1)))
}

async fn item_by(conn: &mut AnyConnection, sql: &Sql) -> StoreResult<Item> {
    sql.query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Appends `(p.code IN (lineage of code))`: the items offered at the centre coded `code`.
fn offered_at(sql: &mut Sql, code: &str) {
    sql.push("p.code IN (");
    for (i, c) in lineage(code).into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(c);
    }
    sql.push(")");
}

pub(crate) async fn request_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: i64,
) -> StoreResult<RequestRow> {
    let mut sql = Sql::new(&format!("SELECT {REQ_COLS}{REQ_FROM} WHERE sr.id = "));
    sql.bind(id).push(" AND ");
    scope.predicate(&mut sql, "p.code");
    sql.query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Writes the state `r` reached by `event` on `today`, guarded by the status it was read with,
/// appends the event and moves the figures: all in `tx`.
#[allow(clippy::too_many_arguments)]
async fn write_state(
    tx: &mut AnyConnection,
    before: &RequestRow,
    r: &Request,
    event: &str,
    note: Option<&str>,
    today: &str,
    who: &str,
    now: i64,
) -> StoreResult<()> {
    let changed = sqlx::query(
        "UPDATE service_requests SET status = $1, accepted_on = $2, due_on = $3, paused_on = $4, \
         finished_on = $5, overdue = $6, updated_at = $7 WHERE id = $8 AND status = $9 AND overdue = $10",
    )
    .bind(r.status.as_str())
    .bind(&r.accepted_on)
    .bind(&r.due_on)
    .bind(&r.paused_on)
    .bind(&r.finished_on)
    .bind(i64::from(r.overdue))
    .bind(now)
    .bind(before.id)
    .bind(&before.status)
    .bind(before.overdue)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(refuse(
            "service.request_changed",
            "该办件刚由他人更新，请刷新后查看",
            "someone changed this request just now",
            "move",
        ));
    }
    sqlx::query(
        "INSERT INTO service_request_events (request_id, seq, event, status, note, due_on, on_date, actor, created_at) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM service_request_events WHERE request_id = $1), \
         $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(before.id)
    .bind(event)
    .bind(r.status.as_str())
    .bind(note)
    .bind(&r.due_on)
    .bind(today)
    .bind(who)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let old = before.state()?;
    list::bump(tx, before.place_id, &before.filed_on, Some(&old), r).await
}

impl Store {
    /// Files a request at a centre. At the desk the place must be in `scope` and the request is
    /// accepted at once; online (`scope` = All) the item must be open to online applications.
    /// Returns the row and the tracking code (shown once, never kept).
    pub async fn file_service_request(
        &self,
        actor: &Actor,
        scope: &Scope,
        n: &NewRequest,
        today: &str,
        now: i64,
    ) -> StoreResult<(RequestRow, String)> {
        let name = n.name.trim();
        if name.is_empty() || name.chars().count() > 30 {
            return Err(refuse(
                "service.applicant_invalid",
                "请填写申请人姓名，不超过30字",
                "the applicant's name, at most 30 characters",
                "name",
            ));
        }
        let phone = parse_phone(&n.phone).map_err(|e| StoreError::from(e.on("phone")))?;
        let summary = n.summary.trim();
        if summary.is_empty() || summary.chars().count() > MAX_SUMMARY_CHARS {
            return Err(refuse(
                "service.summary_invalid",
                format!("请简要说明要办理的事项，不超过{MAX_SUMMARY_CHARS}字"),
                "what is asked, at most 500 characters",
                "summary",
            ));
        }
        let mut tx = self.writer.begin().await?;
        let place = place_in(&mut tx, scope, n.place_id).await?;
        if place.closed_at.is_some() || matches!(place.kind(), Some(PlaceKind::Grid) | None) {
            return Err(refuse(
                "service.place_invalid",
                format!("{}没有党群服务中心", place.name),
                "no service centre there",
                "place_id",
            ));
        }
        let mut sql = Sql::new(&format!(
            "SELECT {ITEM_COLS} FROM service_items si JOIN places p ON p.id = si.place_id WHERE si.id = "
        ));
        sql.bind(n.item_id).push(" AND si.active = 1 AND ");
        offered_at(&mut sql, &place.code);
        let item = item_by(&mut tx, &sql).await.map_err(|_| {
            refuse(
                "service.item_unknown",
                format!("{}的党群服务中心没有这个事项", place.name),
                "the centre does not offer this item",
                "item_id",
            )
        })?;
        if !n.desk && item.online == 0 {
            return Err(refuse(
                "service.not_online",
                format!("「{}」须到党群服务中心现场办理", item.name),
                "this item is handled at the desk only",
                "item_id",
            ));
        }
        let cal = calendar::load(&mut tx).await?;
        let state = Request::filed(n.desk, item.limit_days, today, &cal)?;
        let code = new_code();
        let s = &self.sealer;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO service_requests (item_id, place_id, channel, code_hash, name_sealed, name_masked, \
             name_index, phone_sealed, phone_masked, phone_index, summary, status, limit_days, filed_on, \
             accepted_on, due_on, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$17) RETURNING id",
        )
        .bind(item.id)
        .bind(place.id)
        .bind(if n.desk { "desk" } else { "online" })
        .bind(code_hash(&code))
        .bind(s.seal(name.as_bytes())?)
        .bind(mask_name(name))
        .bind(s.blind(name))
        .bind(s.seal(phone.as_bytes())?)
        .bind(mask_phone(&phone))
        .bind(s.blind(&phone))
        .bind(summary)
        .bind(state.status.as_str())
        .bind(state.limit_days)
        .bind(today)
        .bind(&state.accepted_on)
        .bind(&state.due_on)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO service_request_events (request_id, seq, event, status, note, due_on, on_date, actor, created_at) \
             VALUES ($1, 1, 'file', $2, NULL, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(state.status.as_str())
        .bind(&state.due_on)
        .bind(today)
        .bind(&actor.username)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        list::bump(&mut tx, place.id, today, None, &state).await?;
        // The audit keeps what was filed and where, never the applicant's name, phone or words.
        let after = serde_json::json!({"place_id": place.id, "item_id": item.id,
            "channel": if n.desk { "desk" } else { "online" }, "due_on": state.due_on});
        audit::commit(
            tx,
            actor,
            Change::new("create", "service_request", id, None, Some(after)),
            now,
        )
        .await?;
        let row = self.service_request(&Scope::All, id).await?;
        Ok((row, code))
    }

    /// A request within scope.
    pub async fn service_request(&self, scope: &Scope, id: i64) -> StoreResult<RequestRow> {
        let mut conn = self.reader.acquire().await?;
        request_in(&mut conn, scope, id).await
    }

    /// The request a tracking code belongs to (NotFound for a wrong code, with no hint).
    pub async fn service_request_by_code(&self, code: &str) -> StoreResult<RequestRow> {
        let mut sql = Sql::new(&format!(
            "SELECT {REQ_COLS}{REQ_FROM} WHERE sr.code_hash = "
        ));
        sql.bind(code_hash(code));
        sql.query_as()
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// A request's history, oldest first.
    pub async fn service_request_events(
        &self,
        scope: &Scope,
        id: i64,
    ) -> StoreResult<Vec<EventRow>> {
        let r = self.service_request(scope, id).await?;
        Ok(sqlx::query_as(
            "SELECT seq, event, status, note, due_on, on_date, actor FROM service_request_events \
             WHERE request_id = $1 ORDER BY seq",
        )
        .bind(r.id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// A staff move on a request within scope, on `today`.
    pub async fn service_request_move(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        m: &Move,
        today: &str,
        now: i64,
    ) -> StoreResult<RequestRow> {
        let mut tx = self.writer.begin().await?;
        let row = request_in(&mut tx, scope, id).await?;
        let mut state = row.state()?;
        let cal = calendar::load(&mut tx).await?;
        state.apply(m, today, &cal)?;
        let note = m.note().map(str::trim).filter(|s| !s.is_empty());
        write_state(
            &mut tx,
            &row,
            &state,
            m.as_str(),
            note,
            today,
            &actor.username,
            now,
        )
        .await?;
        let after = serde_json::json!({"move": m.as_str(), "status": state.status.as_str(),
            "due_on": state.due_on, "with_note": note.is_some()});
        audit::commit(
            tx,
            actor,
            Change::new(m.as_str(), "service_request", row.id, None, Some(after)),
            now,
        )
        .await?;
        self.service_request(scope, id).await
    }

    /// Marks every request that went past its due date unfinished as of `today` (run by the
    /// server on a timer with the problem-list sweep; idempotent). Returns how many it marked.
    pub async fn service_sweep(&self, today: &str, now: i64) -> StoreResult<u64> {
        let actor = Actor::cli("service-sweep");
        let due: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM service_requests WHERE status IN ('accepted', 'processing') AND overdue = 0 \
             AND due_on < $1 ORDER BY id",
        )
        .bind(today)
        .fetch_all(&self.reader)
        .await?;
        let mut marked = 0;
        for id in due {
            let mut tx = self.writer.begin().await?;
            let row = request_in(&mut tx, &Scope::All, id).await?;
            let mut state = row.state()?;
            if !state.sweep(today) {
                continue;
            }
            match write_state(
                &mut tx,
                &row,
                &state,
                "overdue",
                None,
                today,
                &actor.username,
                now,
            )
            .await
            {
                Ok(()) => {}
                // Changed meanwhile: the next sweep looks again.
                Err(StoreError::Rule(_)) => continue,
                Err(e) => return Err(e),
            }
            audit::commit(
                tx,
                &actor,
                Change::new(
                    "overdue",
                    "service_request",
                    id,
                    None,
                    Some(serde_json::json!({"due_on": state.due_on})),
                ),
                now,
            )
            .await?;
            marked += 1;
        }
        Ok(marked)
    }

    /// The applicant's name and phone in clear, for staff who must call back (audited).
    pub async fn reveal_service_applicant(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        now: i64,
    ) -> StoreResult<(String, String)> {
        let r = self.service_request(scope, id).await?;
        let (name, phone): (Vec<u8>, Vec<u8>) =
            sqlx::query_as("SELECT name_sealed, phone_sealed FROM service_requests WHERE id = $1")
                .bind(r.id)
                .fetch_one(&self.reader)
                .await?;
        let open = |b: &[u8]| -> StoreResult<String> {
            String::from_utf8(self.sealer.open(b)?).map_err(|e| StoreError::Internal(e.to_string()))
        };
        let clear = (open(&name)?, open(&phone)?);
        self.record(
            actor,
            Change::new(
                "reveal",
                "service_request",
                r.id,
                None,
                Some(serde_json::json!({"field": "applicant"})),
            ),
            now,
        )
        .await?;
        Ok(clear)
    }
}
