//! Filing a problem, in three steps so that the writer is held only for the writing:
//!
//! 1. `Store::prepare_problem`: everything that needs no database — the checks, the sealing of
//!    the phone, jieba's words, the tracking code and its hash, the photo's type;
//! 2. `village_for_problem`: the village, read on any connection (the reader, for a resident);
//! 3. `insert_problem` on the caller's transaction (a visit, a reception, an Open311 request
//!    files its problem in the same transaction as its own record), or `Store::file_problem_with`,
//!    which runs it in the writer's next group commit (`group.rs`) with the other filings queued.
//!
//! On the writer a filing is three statements (the row with its words, its first event, its
//! figures at the village and above in one UPSERT) plus the photo when there is one; the audit
//! entry goes with the batch's. The row is not read back: everything in it is known. SQLite's
//! FTS5 index takes the words after the commit (`search::CATCH_UP`).

use super::{
    MAX_TEXT_CHARS, NewProblem, ProblemRow, code_hash, figures, files, new_code, opt, refuse,
};
use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::group::Audited;
use crate::scope::Scope;
use crate::sql::Sql;
use crate::village::village_in;
use crate::{Actor, Backend, Store};
use jiceng_domain::member::parse_phone;
use jiceng_domain::voice::Status;
use sqlx::AnyConnection;

/// A report checked and made ready to write (see the module's steps).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub place_id: i64,
    source: String,
    category: Option<String>,
    body: String,
    location: Option<String>,
    contact_sealed: Option<Vec<u8>>,
    words: String,
    /// Given to whoever filed it, once; only its hash is kept.
    pub tracking_code: String,
    photo: Option<(&'static str, Vec<u8>)>,
}

/// The village a problem is filed at.
#[derive(Debug, Clone)]
pub struct Village {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// The open village or community `place_id` (NotFound when closed).
pub async fn village_for_problem(conn: &mut AnyConnection, place_id: i64) -> StoreResult<Village> {
    let place = village_in(conn, &Scope::All, place_id).await?;
    if place.closed_at.is_some() {
        return Err(StoreError::NotFound);
    }
    Ok(Village {
        id: place.id,
        code: place.code,
        name: place.name,
    })
}

/// Writes a prepared problem on `conn`, inside the caller's transaction, with its audit entry.
/// Returns its id. `village` may have been read on another connection: a village closed since
/// is caught here (NotFound).
pub async fn insert_problem(
    conn: &mut AnyConnection,
    backend: Backend,
    actor: &Actor,
    village: &Village,
    p: &Prepared,
    today: &str,
    now: i64,
) -> StoreResult<i64> {
    at_village(village, p)?;
    let (id, change) = write(conn, backend, actor, village, p, today, now).await?;
    audit::append(conn, actor, change, now).await?;
    if backend == Backend::Sqlite {
        // Not a resident's filing (a visit, a reception, Open311: few), so no group commit's
        // chore follows it; its words (and any still owed) are indexed in its own transaction.
        sqlx::raw_sql(super::search::CATCH_UP)
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

/// Everything of `insert_problem` but the audit entry, which it returns.
async fn write(
    conn: &mut AnyConnection,
    backend: Backend,
    actor: &Actor,
    village: &Village,
    p: &Prepared,
    today: &str,
    now: i64,
) -> StoreResult<(i64, Change<'static>)> {
    let id = match backend {
        Backend::Sqlite if p.photo.is_none() => {
            let mut sql = Sql::default();
            push_text(&mut sql, 0, &actor.username, village, p, today, now);
            let rows: Vec<(i64, i64)> = sql.query_as().fetch_all(&mut *conn).await?;
            rows.first().map(|r| r.1).ok_or(StoreError::NotFound)?
        }
        _ => write_statements(conn, actor, village, p, today, now).await?,
    };
    Ok((id, created(village, p).at(id)))
}

/// A prepared report is written at the village it was prepared for, never another.
fn at_village(village: &Village, p: &Prepared) -> StoreResult<()> {
    if p.place_id != village.id {
        return Err(StoreError::Internal(
            "problem filed at another village".into(),
        ));
    }
    Ok(())
}

/// The audit entry of a filing, but its id: what was filed and where, never the resident's
/// words or phone.
struct Created(serde_json::Value);

fn created(village: &Village, p: &Prepared) -> Created {
    Created(
        serde_json::json!({"place_id": village.id, "source": p.source,
        "category": p.category, "with_contact": p.contact_sealed.is_some(),
        "with_photo": p.photo.is_some()}),
    )
}

impl Created {
    fn at(self, id: i64) -> Change<'static> {
        Change::new("create", "problem", id, None, Some(self.0))
    }
}

fn first_event(p: &Prepared) -> String {
    serde_json::json!({"source": p.source, "category": p.category}).to_string()
}

fn filed_facts(today: &str) -> figures::Facts<'_> {
    figures::Facts {
        filed_on: today,
        status: Status::Collected.as_str(),
        ..Default::default()
    }
}

/// SQLite: the row, its first event, its figures and its words as one text (appended to `sql`,
/// its last statement `SELECT tag, id`), run by SQLite's thread in one hand-off (each statement sent apart is a round trip to sqlx's worker thread,
/// which is most of a filing's cost; `bench/README.md`). The later statements find the row by
/// its unique code hash, so when the village was closed meanwhile (no row) none has an effect
/// and the final SELECT finds nothing.
fn push_text(
    sql: &mut Sql,
    tag: i64,
    username: &str,
    village: &Village,
    p: &Prepared,
    today: &str,
    now: i64,
) {
    sql.push(
        "INSERT INTO problems (place_id, code_hash, source, category, body, location, contact_sealed, status, \
         filed_on, created_at, updated_at, tokens) SELECT id, ",
    );
    sql.bind(code_hash(&p.tracking_code));
    let hash = format!("${}", sql.vals.len());
    sql.push(", ")
        .bind(p.source.as_str())
        .push(", ")
        .bind(p.category.clone())
        .push(", ")
        .bind(p.body.as_str())
        .push(", ")
        .bind(p.location.clone())
        .push(", ")
        .bind(p.contact_sealed.clone())
        .push(", ")
        .bind(Status::Collected.as_str())
        .push(", ")
        .bind(today);
    let day = format!("${}", sql.vals.len());
    sql.push(", ").bind(now);
    let at = format!("${}", sql.vals.len());
    sql.push(&format!(", {at}, ")).bind(p.words.as_str());
    sql.push(" FROM places WHERE id = ")
        .bind(village.id)
        .push(" AND closed_at IS NULL;\n");
    sql.push(
        "INSERT INTO problem_events (problem_id, seq, event, detail_json, on_date, actor, created_at) \
         SELECT id, 1, 'collected', ",
    )
    .bind(first_event(p))
    .push(&format!(", {day}, "))
    .bind(username)
    .push(&format!(", {at} FROM problems WHERE code_hash = {hash};\n"));
    let exists = format!(" AND EXISTS (SELECT 1 FROM problems WHERE code_hash = {hash})");
    if figures::push_bump_at(sql, &village.code, None, &filed_facts(today), &exists) {
        sql.push(";\n");
    }
    sql.push(&format!(
        "SELECT {tag}, id FROM problems WHERE code_hash = {hash}"
    ));
}

/// The same, statement by statement (PostgreSQL takes one statement per round trip; a photo
/// goes in a statement of its own).
async fn write_statements(
    conn: &mut AnyConnection,
    actor: &Actor,
    village: &Village,
    p: &Prepared,
    today: &str,
    now: i64,
) -> StoreResult<i64> {
    // The place is re-checked in the INSERT itself: no row when it was closed meanwhile.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO problems (place_id, code_hash, source, category, body, location, contact_sealed, status, \
         filed_on, created_at, updated_at, tokens) \
         SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11 FROM places WHERE id = $1 AND closed_at IS NULL \
         RETURNING id",
    )
    .bind(village.id)
    .bind(code_hash(&p.tracking_code))
    .bind(&p.source)
    .bind(&p.category)
    .bind(&p.body)
    .bind(&p.location)
    .bind(&p.contact_sealed)
    .bind(Status::Collected.as_str())
    .bind(today)
    .bind(now)
    .bind(&p.words)
    .fetch_optional(&mut *conn)
    .await?;
    let id = id.ok_or(StoreError::NotFound)?;
    sqlx::query(
        "INSERT INTO problem_events (problem_id, seq, event, detail_json, on_date, actor, created_at) \
         VALUES ($1, 1, 'collected', $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(first_event(p))
    .bind(today)
    .bind(&actor.username)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    figures::bump_at(conn, &village.code, None, &filed_facts(today)).await?;
    if let Some((mime, bytes)) = &p.photo {
        files::insert(conn, id, 1, mime, bytes, now).await?;
    }
    Ok(id)
}

impl Store {
    /// Checks a report and makes it ready to write (no database; see the module's steps).
    pub fn prepare_problem(&self, n: &NewProblem, photo: Option<&[u8]>) -> StoreResult<Prepared> {
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
        let contact_sealed = contact
            .as_deref()
            .map(|c| self.sealer.seal(c.as_bytes()))
            .transpose()?;
        let photo = match photo {
            Some(bytes) => Some((files::check_photo(bytes)?, bytes.to_vec())),
            None => None,
        };
        Ok(Prepared {
            place_id: n.place_id,
            source: n.source.clone(),
            category: opt(&n.category),
            body: body.to_string(),
            location,
            contact_sealed,
            words: super::search::tokens(body).join(" "),
            tracking_code: new_code(),
            photo,
        })
    }

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
    /// `MAX_PHOTO_BYTES`) before anything is written, and kept in the same transaction. The
    /// writing joins the writer's next group commit; it returns once that has committed.
    pub async fn file_problem_with(
        &self,
        actor: &Actor,
        n: &NewProblem,
        photo_bytes: Option<&[u8]>,
        today: &str,
        now: i64,
    ) -> StoreResult<(ProblemRow, String)> {
        let p = self.prepare_problem(n, photo_bytes)?;
        let village = {
            let mut conn = self.reader.acquire().await?;
            village_for_problem(&mut conn, n.place_id).await?
        };
        self.file_prepared(actor, village, p, today, now).await
    }

    /// Files a prepared report at `village`, which the caller has read (the resident's form
    /// has, to show it): the writing joins the writer's next group commit.
    pub async fn file_prepared(
        &self,
        actor: &Actor,
        village: Village,
        p: Prepared,
        today: &str,
        now: i64,
    ) -> StoreResult<(ProblemRow, String)> {
        at_village(&village, &p)?;
        // What the caller is given is known before the write, but its id.
        let mut row = ProblemRow {
            id: 0,
            place_id: village.id,
            place_name: village.name.clone(),
            source: p.source.clone(),
            category: p.category.clone(),
            body: p.body.clone(),
            location: p.location.clone(),
            status: Status::Collected.as_str().to_string(),
            owner: None,
            deadline: None,
            resolved_on: None,
            escalated: 0,
            score: None,
            merged_into: None,
            filed_on: today.to_string(),
            closed_on: None,
            has_contact: i64::from(p.contact_sealed.is_some()),
        };
        let code = p.tracking_code.clone();
        let (backend, actor, day) = (self.backend, actor.clone(), today.to_string());
        row.id = if backend == Backend::Sqlite && p.photo.is_none() {
            // As text, sent with the other filings queued next to it.
            let (username, audit) = (actor.username.clone(), created(&village, &p));
            let write =
                move |sql: &mut Sql, tag| push_text(sql, tag, &username, &village, &p, &day, now);
            let finish = move |id| {
                let change = audit.at(id);
                (id, Audited { actor, change, now })
            };
            self.group.run_text(write, finish).await?
        } else {
            // The photo goes to the writer and is dropped there (no copy).
            self.group
                .run(move |conn| {
                    Box::pin(async move {
                        let (id, change) =
                            write(conn, backend, &actor, &village, &p, &day, now).await?;
                        Ok((id, Audited { actor, change, now }))
                    })
                })
                .await?
        };
        Ok((row, code))
    }
}
