//! Residents' voice (问题清单, issue 5): problems filed by residents (no account: a tracking code
//! is all they hold) or by staff, and every change to them as an event appended to their history,
//! applied through `domain::voice::Problem::apply`. The `problems` row is the problem as its events
//! left it, written in the same transaction; a resident's phone is sealed; the tracking code is
//! kept only as its SHA-256, so a leaked database does not let anyone act as a resident.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use crate::sql::Sql;
use crate::village::village_in;
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use jiceng_domain::meeting::add_days;
use jiceng_domain::member::parse_phone;
use jiceng_domain::voice::{Event, Problem, Status, VoiceRule};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use std::collections::HashMap;

pub mod figures;
mod files;
mod list;
pub mod search;
pub use files::{ACCEPT_PHOTO, MAX_PHOTO_BYTES, ProblemFile};
pub use list::{MonthRow, ProblemFilter};

/// Characters of a tracking code: no 0/O, 1/I/L, so it can be read out over the phone.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 10 characters of 31: about 49 bits, not guessable at the rate the web layer allows.
const CODE_LEN: usize = 10;
/// The longest text a report takes (a resident's words, not a document).
pub const MAX_TEXT_CHARS: usize = 2000;

/// A report as the resident's form (or the desk) gives it.
#[derive(Debug, Clone, Default)]
pub struct NewProblem {
    pub place_id: i64,
    /// resident | desk | visit | studio | open311
    pub source: String,
    pub category: Option<String>,
    pub body: String,
    pub location: Option<String>,
    pub contact: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct ProblemRow {
    pub id: i64,
    pub place_id: i64,
    pub place_name: String,
    pub source: String,
    pub category: Option<String>,
    pub body: String,
    pub location: Option<String>,
    pub status: String,
    pub owner: Option<String>,
    pub deadline: Option<String>,
    pub resolved_on: Option<String>,
    pub escalated: i64,
    pub score: Option<i64>,
    pub merged_into: Option<i64>,
    pub filed_on: String,
    pub closed_on: Option<String>,
    /// 1 when the resident left a phone (sealed; shown only by an audited reveal).
    pub has_contact: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct EventRow {
    pub seq: i64,
    pub event: String,
    pub detail_json: String,
    pub on_date: String,
    pub actor: String,
}

pub(crate) const COLS: &str = "pr.id, pr.place_id, p.name AS place_name, pr.source, pr.category, pr.body, pr.location, \
    pr.status, pr.owner, pr.deadline, pr.resolved_on, pr.escalated, pr.score, pr.merged_into, pr.filed_on, pr.closed_on, \
    CAST(CASE WHEN pr.contact_sealed IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_contact";
pub(crate) const FROM: &str = " FROM problems pr JOIN places p ON p.id = pr.place_id";

fn refuse(code: &'static str, zh: String, en: &str, field: &'static str) -> StoreError {
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

fn opt(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The domain's view of a stored row.
fn state_of(r: &ProblemRow) -> StoreResult<Problem> {
    Ok(Problem {
        status: Status::parse(&r.status)
            .ok_or_else(|| StoreError::Internal(format!("status {}", r.status)))?,
        category: r.category.clone(),
        owner: r.owner.clone(),
        deadline: r.deadline.clone(),
        resolved_on: r.resolved_on.clone(),
        escalated: r.escalated == 1,
        score: r.score.and_then(|s| u8::try_from(s).ok()),
        merged_into: r.merged_into,
    })
}

async fn row_by(conn: &mut AnyConnection, sql: &Sql) -> StoreResult<ProblemRow> {
    sql.query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Applies `e` to the problem `r` on `today` and writes the new state and the event, in `tx`.
async fn act(
    tx: &mut AnyConnection,
    r: &ProblemRow,
    e: &Event,
    today: &str,
    who: &str,
    now: i64,
) -> StoreResult<Problem> {
    let mut p = state_of(r)?;
    // The window is the one in force on the day of 办结 (or today, for what comes before it).
    let rule = rule_on(tx, r.resolved_on.as_deref().unwrap_or(today)).await?;
    p.apply(e, today, &rule)?;
    if let Event::Analysed { category } = e {
        // A category is one of the services offered (`voice_services`, what Open311 calls them).
        let known: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM voice_services WHERE code = $1 AND active = 1",
        )
        .bind(category.trim())
        .fetch_one(&mut *tx)
        .await?;
        if known == 0 {
            return Err(refuse(
                "problem.category_unknown",
                "请从列表中选择问题类别".into(),
                "choose a category from the list",
                "category",
            ));
        }
    }
    if let Event::Merged { into } = e {
        let same: Option<(i64, String)> =
            sqlx::query_as("SELECT place_id, status FROM problems WHERE id = $1")
                .bind(into)
                .fetch_optional(&mut *tx)
                .await?;
        match same {
            Some((place, status)) if place == r.place_id && *into != r.id => {
                if !Status::parse(&status).is_some_and(Status::is_open) {
                    return Err(refuse(
                        "problem.merge_closed",
                        "只能并入仍在办理的同村问题".into(),
                        "merge into an open problem of the same village",
                        "into",
                    ));
                }
            }
            _ => {
                return Err(refuse(
                    "problem.merge_elsewhere",
                    "只能并入同一村（社区）的其他问题".into(),
                    "merge into another problem of the same village",
                    "into",
                ));
            }
        }
    }
    let closed_on =
        (p.status == Status::Closed && r.closed_on.is_none()).then(|| today.to_string());
    let before = figures::Facts {
        filed_on: &r.filed_on,
        status: &r.status,
        closed_on: r.closed_on.as_deref(),
        score: r.score,
        escalated: r.escalated == 1,
    };
    let after = figures::Facts {
        status: p.status.as_str(),
        closed_on: r.closed_on.as_deref().or(closed_on.as_deref()),
        score: p.score.map(i64::from),
        escalated: p.escalated,
        ..before.clone()
    };
    figures::bump(&mut *tx, r.place_id, Some(&before), &after).await?;
    // The guard on the status it was read with: a racing change makes this one fail, not both.
    let changed = sqlx::query(
        "UPDATE problems SET status = $1, category = $2, owner = $3, deadline = $4, resolved_on = $5, \
         escalated = $6, score = $7, merged_into = $8, closed_on = COALESCE(closed_on, $9), updated_at = $10 \
         WHERE id = $11 AND status = $12 AND escalated = $13",
    )
    .bind(p.status.as_str())
    .bind(&p.category)
    .bind(&p.owner)
    .bind(&p.deadline)
    .bind(&p.resolved_on)
    .bind(i64::from(p.escalated))
    .bind(p.score.map(i64::from))
    .bind(p.merged_into)
    .bind(closed_on)
    .bind(now)
    .bind(r.id)
    .bind(&r.status)
    .bind(r.escalated)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(refuse(
            "problem.changed",
            "该问题刚被他人处理，请刷新后查看".into(),
            "the problem changed meanwhile",
            "event",
        ));
    }
    let detail = serde_json::to_string(e).map_err(|x| StoreError::Internal(x.to_string()))?;
    sqlx::query(
        "INSERT INTO problem_events (problem_id, seq, event, detail_json, on_date, actor, created_at) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM problem_events WHERE problem_id = $1), $2, $3, $4, $5, $6)",
    )
    .bind(r.id)
    .bind(e.as_str())
    .bind(detail)
    .bind(today)
    .bind(who)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(p)
}

/// The objection window in force on `day` (the seeded default when no row applies).
async fn rule_on(conn: &mut AnyConnection, day: &str) -> StoreResult<VoiceRule> {
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT effective_from, basis, objection_days FROM voice_rules WHERE effective_from <= $1 \
         ORDER BY effective_from DESC LIMIT 1",
    )
    .bind(day)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some((effective_from, basis, objection_days)) => VoiceRule {
            effective_from,
            basis,
            objection_days,
        },
        None => VoiceRule::defaults(),
    })
}

/// The last entry of a problem's history (the one `act` just wrote).
async fn last_seq(conn: &mut AnyConnection, id: i64) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar(
            "SELECT COALESCE(MAX(seq), 0) FROM problem_events WHERE problem_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?,
    )
}

impl Store {
    /// Files a problem; returns it and the tracking code (shown to the resident once, never kept).
    pub async fn file_problem(
        &self,
        actor: &Actor,
        n: &NewProblem,
        today: &str,
        now: i64,
    ) -> StoreResult<(ProblemRow, String)> {
        self.file_problem_with(actor, n, None, today, now).await
    }

    /// Files a problem with a photo, judged by its bytes (JPEG, PNG, WEBP or HEIC, at most
    /// `MAX_PHOTO_BYTES`) before anything is written, and kept in the same transaction.
    pub async fn file_problem_with(
        &self,
        actor: &Actor,
        n: &NewProblem,
        photo_bytes: Option<&[u8]>,
        today: &str,
        now: i64,
    ) -> StoreResult<(ProblemRow, String)> {
        let body = n.body.trim();
        if body.is_empty() || body.chars().count() > MAX_TEXT_CHARS {
            return Err(refuse(
                "problem.text_invalid",
                format!("请写下要反映的问题，不超过{MAX_TEXT_CHARS}字"),
                "describe the problem in at most 2,000 characters",
                "body",
            ));
        }
        if !matches!(
            n.source.as_str(),
            "resident" | "desk" | "visit" | "studio" | "open311"
        ) {
            return Err(StoreError::Internal(format!("source {}", n.source)));
        }
        let location = opt(&n.location);
        if location.as_ref().is_some_and(|l| l.chars().count() > 200) {
            return Err(refuse(
                "problem.location_invalid",
                "位置描述不超过200字".into(),
                "a location is at most 200 characters",
                "location",
            ));
        }
        let contact = opt(&n.contact)
            .map(|c| parse_phone(&c).map_err(|e| StoreError::from(e.on("contact"))))
            .transpose()?;
        let sealed = contact
            .as_deref()
            .map(|c| self.sealer.seal(c.as_bytes()))
            .transpose()?;
        let category = opt(&n.category);
        let photo = photo_bytes.map(files::check_photo).transpose()?;
        let mut tx = self.writer.begin().await?;
        let place = village_in(&mut tx, &Scope::All, n.place_id).await?;
        if place.closed_at.is_some() {
            return Err(StoreError::NotFound);
        }
        let code = new_code();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO problems (place_id, code_hash, source, category, body, location, contact_sealed, status, \
             filed_on, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$10) RETURNING id",
        )
        .bind(place.id)
        .bind(code_hash(&code))
        .bind(&n.source)
        .bind(&category)
        .bind(body)
        .bind(&location)
        .bind(sealed)
        .bind(Status::Collected.as_str())
        .bind(today)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO problem_events (problem_id, seq, event, detail_json, on_date, actor, created_at) \
             VALUES ($1, 1, 'collected', $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(serde_json::json!({"source": n.source, "category": category}).to_string())
        .bind(today)
        .bind(&actor.username)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let filed = figures::Facts {
            filed_on: today,
            status: Status::Collected.as_str(),
            ..Default::default()
        };
        figures::bump(&mut tx, place.id, None, &filed).await?;
        search::index(&mut tx, self.backend, id, body).await?;
        if let (Some(bytes), Some(mime)) = (photo_bytes, photo) {
            files::insert(&mut tx, id, 1, mime, bytes, now).await?;
        }
        // The audit keeps what was filed and where, never the resident's words or phone.
        let after = serde_json::json!({"place_id": place.id, "source": n.source, "category": category,
            "with_contact": contact.is_some(), "with_photo": photo.is_some()});
        audit::commit(
            tx,
            actor,
            Change::new("create", "problem", id, None, Some(after)),
            now,
        )
        .await?;
        let row = self.problem(&Scope::All, id).await?;
        Ok((row, code))
    }

    /// A problem within scope.
    pub async fn problem(&self, scope: &Scope, id: i64) -> StoreResult<ProblemRow> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE pr.id = "));
        sql.bind(id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        let mut conn = self.reader.acquire().await?;
        row_by(&mut conn, &sql).await
    }

    /// The problem a tracking code belongs to (NotFound for a wrong code, with no hint).
    pub async fn problem_by_code(&self, code: &str) -> StoreResult<ProblemRow> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE pr.code_hash = "));
        sql.bind(code_hash(code));
        let mut conn = self.reader.acquire().await?;
        row_by(&mut conn, &sql).await
    }

    /// A problem's history, oldest first.
    pub async fn problem_events(&self, scope: &Scope, id: i64) -> StoreResult<Vec<EventRow>> {
        let p = self.problem(scope, id).await?;
        Ok(sqlx::query_as(
            "SELECT seq, event, detail_json, on_date, actor FROM problem_events WHERE problem_id = $1 ORDER BY seq",
        )
        .bind(p.id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// A staff action on a problem within scope (analyse, merge, assign, resolve, escalate).
    pub async fn problem_act(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        e: &Event,
        today: &str,
        now: i64,
    ) -> StoreResult<ProblemRow> {
        self.problem_act_with(actor, scope, id, e, None, today, now)
            .await
    }

    /// A staff action with, for 办结, a photo of what was done (checked before anything is
    /// written, kept in the same transaction as the event).
    #[allow(clippy::too_many_arguments)]
    pub async fn problem_act_with(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        e: &Event,
        evidence: Option<&[u8]>,
        today: &str,
        now: i64,
    ) -> StoreResult<ProblemRow> {
        let mime = evidence.map(files::check_photo).transpose()?;
        if mime.is_some() && !matches!(e, Event::Resolved { .. }) {
            return Err(StoreError::Forbidden);
        }
        if matches!(
            e,
            Event::Confirmed | Event::Objected { .. } | Event::Rated { .. }
        ) {
            return Err(StoreError::Forbidden);
        }
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE pr.id = "));
        sql.bind(id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        let mut tx = self.writer.begin().await?;
        let r = row_by(&mut tx, &sql).await?;
        act(&mut tx, &r, e, today, &actor.username, now).await?;
        if let (Some(bytes), Some(mime)) = (evidence, mime) {
            let seq = last_seq(&mut tx, r.id).await?;
            files::insert(&mut tx, r.id, seq, mime, bytes, now).await?;
        }
        let after = serde_json::json!({"event": e, "with_photo": mime.is_some()});
        audit::commit(
            tx,
            actor,
            Change::new(e.as_str(), "problem", r.id, None, Some(after)),
            now,
        )
        .await?;
        self.problem(scope, id).await
    }

    /// The resident's own action, by tracking code: confirm, object, rate.
    pub async fn resident_act(
        &self,
        actor: &Actor,
        code: &str,
        e: &Event,
        today: &str,
        now: i64,
    ) -> StoreResult<ProblemRow> {
        if !matches!(
            e,
            Event::Confirmed | Event::Objected { .. } | Event::Rated { .. }
        ) {
            return Err(StoreError::Forbidden);
        }
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE pr.code_hash = "));
        sql.bind(code_hash(code));
        let mut tx = self.writer.begin().await?;
        let r = row_by(&mut tx, &sql).await?;
        act(&mut tx, &r, e, today, "resident", now).await?;
        let after = serde_json::json!({"event": e.as_str()});
        audit::commit(
            tx,
            actor,
            Change::new(e.as_str(), "problem", r.id, None, Some(after)),
            now,
        )
        .await?;
        self.problem(&Scope::All, r.id).await
    }

    /// Closes every problem whose objection window has passed and escalates every assignment
    /// past its deadline, as of `today` (run by the server on a timer; idempotent). Returns
    /// (closed, escalated).
    pub async fn voice_sweep(&self, today: &str, now: i64) -> StoreResult<(u64, u64)> {
        let actor = Actor::cli("voice-sweep");
        let mut counts = (0, 0);
        let candidates: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT id, status, resolved_on FROM problems WHERE (status = 'resolved') OR (status = 'assigned' AND escalated = 0 AND deadline < $1) ORDER BY id",
        )
        .bind(today)
        .fetch_all(&self.reader)
        .await?;
        // A resolved problem still inside its window is left without opening a transaction (most
        // of them, on any day); the rule of its day of 办结 decides, as `act` will check again.
        let mut rules: HashMap<String, VoiceRule> = HashMap::new();
        let mut due = Vec::with_capacity(candidates.len());
        {
            let mut conn = self.reader.acquire().await?;
            for (id, status, resolved_on) in candidates {
                if let (true, Some(day)) = (status == Status::Resolved.as_str(), resolved_on) {
                    if !rules.contains_key(&day) {
                        let rule = rule_on(&mut conn, &day).await?;
                        rules.insert(day.clone(), rule);
                    }
                    let days = rules.get(&day).map_or(0, |r| r.objection_days);
                    if add_days(&day, days).is_ok_and(|ends| today <= ends.as_str()) {
                        continue;
                    }
                }
                due.push(id);
            }
        }
        for id in due {
            let r = self.problem(&Scope::All, id).await?;
            let e = if r.status == Status::Resolved.as_str() {
                Event::WindowPassed
            } else {
                Event::Escalated
            };
            let mut tx = self.writer.begin().await?;
            match act(&mut tx, &r, &e, today, &actor.username, now).await {
                Ok(_) => {
                    let after = serde_json::json!({"event": e.as_str()});
                    audit::commit(
                        tx,
                        &actor,
                        Change::new(e.as_str(), "problem", id, None, Some(after)),
                        now,
                    )
                    .await?;
                    if matches!(e, Event::WindowPassed) {
                        counts.0 += 1;
                    } else {
                        counts.1 += 1;
                    }
                }
                // Still inside its window, or changed meanwhile: nothing to do this time.
                Err(StoreError::Rule(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(counts)
    }

    /// The last day a resident may object to the resolution of `p` (by the rule in force on
    /// its day of 办结); empty when it is not resolved.
    pub async fn problem_window_ends(&self, p: &ProblemRow) -> StoreResult<String> {
        let Some(day) = p.resolved_on.as_deref() else {
            return Ok(String::new());
        };
        let mut conn = self.reader.acquire().await?;
        let rule = rule_on(&mut conn, day).await?;
        Ok(state_of(p)?.window_ends(&rule).unwrap_or_default())
    }

    /// The resident's phone in clear, for staff who must call back (audited).
    pub async fn reveal_problem_contact(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        now: i64,
    ) -> StoreResult<Option<String>> {
        let p = self.problem(scope, id).await?;
        let sealed: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT contact_sealed FROM problems WHERE id = $1")
                .bind(p.id)
                .fetch_one(&self.reader)
                .await?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let clear = String::from_utf8(self.sealer.open(&sealed)?)
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        self.record(
            actor,
            Change::new(
                "reveal",
                "problem",
                p.id,
                None,
                Some(serde_json::json!({"field": "contact"})),
            ),
            now,
        )
        .await?;
        Ok(Some(clear))
    }
}
