//! Many members at once: the Excel roster import and the demo's register. Rows come in batches, so a
//! file of any length is streamed and never held whole. Each row is checked by the rules of the
//! member form; a preview checks every row and writes nothing; a write puts every row, the roll-up
//! deltas and one audit entry in ONE transaction, which is committed only when every row passed, so
//! a bad row never leaves half a roster behind. Rows whose ID number is already registered are
//! skipped and reported (never merged), so importing the same file twice changes nothing.
//!
//! What is kept while rows stream past: the first row of every ID number seen (by a 16-byte
//! prefix of its blind index, for duplicates within the file), each organisation's place, counts,
//! and the problems found. Everything else lives for one batch.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::members::MemberInput;
use crate::rollups;
use crate::scope::Scope;
use crate::sql::Sql;
use crate::{Actor, Backend, Store};
use jiceng_domain::DomainError;
use jiceng_domain::member::CURRENT;
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments, Transaction};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use tokio::sync::mpsc;

/// Rows per batch and per statement (ID lookups, INSERTs): 22 values a row stays far below the
/// parameter limits of SQLite (32,766) and PostgreSQL (65,535).
pub const BATCH_ROWS: usize = 500;

/// What an import did: the new members' ids, and the rows skipped because their ID number is
/// already in the register (reported, never merged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    pub inserted: Vec<i64>,
    pub existing: Vec<usize>,
    /// Rows that are (or, in a preview, would be) new members.
    pub new_rows: usize,
}

/// How to run an import.
#[derive(Debug, Clone)]
pub struct ImportOptions<'a> {
    /// Where the rows come from (a file name), for the audit entry.
    pub label: &'a str,
    /// Added to a row's number to give the number people see in messages (2 when rows are counted
    /// from 0 below a header row; 0 when they already carry their sheet row).
    pub row_base: usize,
    /// Check everything and report, but write nothing.
    pub preview: bool,
}

/// A row that failed validation: its number (as the caller numbered it) and the rule it broke.
#[derive(Debug, Clone)]
pub struct RowError {
    pub row: usize,
    pub error: DomainError,
}

/// One row to import, numbered by the caller (rows need not be consecutive: blank rows are skipped).
#[derive(Debug, Clone)]
pub struct RosterRow {
    pub row: usize,
    pub input: MemberInput,
}

/// What one call of `add` (or `flush`) gave. A write inserts a batch during the next call, so
/// `inserted` and, in a write, `existing` are about the rows written by this call.
#[derive(Debug, Clone, Default)]
pub struct Added {
    /// Every problem found in the batch, in row order.
    pub problems: Vec<RowError>,
    /// The rows written (row, new member id), in row order; empty in a preview.
    pub inserted: Vec<(usize, i64)>,
    /// Rows whose ID number is already registered: skipped.
    pub existing: Vec<usize>,
}

/// What a whole import gave when nothing refused it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Rows that are (or, in a preview, would be) new members.
    pub new_rows: usize,
    /// Rows already registered (skipped).
    pub existing: usize,
    /// Members written (0 in a preview).
    pub inserted: usize,
    pub first_id: Option<i64>,
    pub last_id: Option<i64>,
}

/// An import in progress: feed it batches with `add`, then `finish` it. Dropping it writes nothing.
pub struct RosterImport {
    store: Store,
    actor: Actor,
    scope: Scope,
    label: String,
    row_base: usize,
    preview: bool,
    now: i64,
    /// The task that owns the write transaction, started by the first batch of a write, stopped
    /// (and its transaction rolled back) at the first problem.
    writer: Option<Writer>,
    /// SQLite: the id the next sealed row gets (see `rows::insert_members`).
    next_id: Option<i64>,
    /// Refused: a problem was found (here or by the caller); from then on rows are only checked.
    refused: bool,
    /// The first row of each ID number, by the first 16 bytes of its blind index.
    seen: HashMap<[u8; 16], usize>,
    /// Each organisation named: its place code when open and within scope.
    place_of: HashMap<i64, Option<String>>,
    /// New current members per place code, for the roll-ups.
    counts: HashMap<String, i64>,
    totals: Totals,
    /// The organisations of the rows written (checked again inside the transaction at the end),
    /// with the full members among them.
    written_orgs: HashMap<i64, i64>,
}

impl std::fmt::Debug for RosterImport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RosterImport")
            .field("label", &self.label)
            .field("preview", &self.preview)
            .field("refused", &self.refused)
            .field("totals", &self.totals)
            .finish_non_exhaustive()
    }
}

/// A hex blind index as its 16 bytes (`seal::BLIND_BYTES`), half the memory of the text:
/// duplicates are told apart with a chance of error of about n²/2¹²⁹ (nil for any roster).
fn key_of(index: &str) -> [u8; 16] {
    let mut key = [0u8; 16];
    // A blind index is 32 hex characters (seal.rs); should one ever not be, the raw bytes still key it.
    if hex::decode_to_slice(index.get(..32).unwrap_or(index), &mut key).is_err() {
        for (k, b) in key.iter_mut().zip(index.bytes()) {
            *k = b;
        }
    }
    key
}

fn org_unknown() -> DomainError {
    DomainError::new(
        "member.org_unknown",
        "找不到该党组织（或已撤销、不在管辖范围内）",
        "no such open organisation in your scope",
    )
    .on("org_id")
}

impl Store {
    /// Starts an import. A write opens its transaction with the first batch; a preview reads from
    /// the reader pool and never writes.
    pub fn begin_import(
        &self,
        actor: &Actor,
        scope: &Scope,
        opts: &ImportOptions<'_>,
        now: i64,
    ) -> RosterImport {
        RosterImport {
            store: self.clone(),
            actor: actor.clone(),
            scope: scope.clone(),
            label: opts.label.to_string(),
            row_base: opts.row_base,
            preview: opts.preview,
            now,
            writer: None,
            next_id: None,
            refused: false,
            seen: HashMap::new(),
            place_of: HashMap::new(),
            counts: HashMap::new(),
            totals: Totals::default(),
            written_orgs: HashMap::new(),
        }
    }

    /// Imports `rows` (numbered from 0) in one transaction. Rows whose ID number is already in the
    /// register are skipped and reported, so importing the same file twice changes nothing. If any
    /// row is invalid, repeats another row's ID number or names an organisation out of scope, every
    /// refusal is returned and nothing is written.
    pub async fn import_members(
        &self,
        actor: &Actor,
        scope: &Scope,
        rows: &[MemberInput],
        opts: &ImportOptions<'_>,
        now: i64,
    ) -> StoreResult<Result<Imported, Vec<RowError>>> {
        let mut import = self.begin_import(actor, scope, opts, now);
        let mut out = Imported::default();
        let mut problems = Vec::new();
        for (c, chunk) in rows.chunks(BATCH_ROWS).enumerate() {
            let batch: Vec<RosterRow> = chunk
                .iter()
                .enumerate()
                .map(|(k, input)| RosterRow {
                    row: c * BATCH_ROWS + k,
                    input: input.clone(),
                })
                .collect();
            let added = import.add(&batch).await?;
            problems.extend(added.problems);
            out.inserted
                .extend(added.inserted.into_iter().map(|(_, id)| id));
            out.existing.extend(added.existing);
        }
        let last = import.flush().await?;
        out.inserted
            .extend(last.inserted.into_iter().map(|(_, id)| id));
        out.existing.extend(last.existing);
        Ok(match import.finish().await? {
            Some(t) => {
                out.new_rows = t.new_rows;
                Ok(out)
            }
            None => Err(problems),
        })
    }
}

/// Rows checked and sealed, on their way to the writer task.
struct Pending {
    /// Each sealed row, in order.
    rows: Vec<Sealed>,
    /// Their blind indexes and their values, bound.
    indexes: Vec<String>,
    args: AnyArguments,
    /// SQLite: the id of the first row (the others follow it), bound with the values.
    first_id: Option<i64>,
}

/// What SQLite's writer connection is given for an import. The connection is closed when the
/// import ends, however it ends, and the pool opens a fresh one with the usual settings, so none
/// of these outlives the import.
///
/// - A page cache of 16 MiB instead of 2: a roster touches far more pages than 2 MiB hold, so
///   pages of the blind-index B-trees would be evicted and read back for every row (more than
///   16 MiB gains little, and would make the import's memory grow with the file).
/// - No foreign key enforcement by SQLite. With it, SQLite must be ready to undo a multi-row
///   INSERT halfway (an immediate foreign key may abort it), so it copies every page the
///   statement changes into a statement journal first (a sixth of the writer thread's CPU in
///   a profile of the import; a third of the time of the same INSERTs in the `sqlite3` shell).
///   The one foreign key of `members` is `org_id`, and the import checks every organisation
///   itself: when it first meets it (`place`), and again inside the transaction before it
///   commits (`check_orgs`: open and within scope, stricter than the key).
/// - No checkpoint by the import's own commit. A roster writes a log far past the backstop of
///   `checkpoint::BACKSTOP_PAGES` (200,000 rows: about 27,000 pages), and the connection whose
///   commit takes it there copies the whole log into the database file and syncs it before the
///   commit returns (two thirds of a 260 ms commit). The background pass
///   (`checkpoint.rs`) copies it just after, beside the next requests.
const IMPORT_PRAGMAS: &str = "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -16384; \
    PRAGMA wal_autocheckpoint = 0";

/// SQLite: the id `AUTOINCREMENT` would give the next member (above any id ever used).
const NEXT_MEMBER_ID: &str = "SELECT MAX(COALESCE((SELECT MAX(id) FROM members), 0), \
    COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'members'), 0)) + 1";

/// What a sealed row leaves behind for the counts once it is written.
#[derive(Debug, Clone, Copy)]
struct Sealed {
    row: usize,
    org: i64,
    /// Counts as a current member (the roll-ups).
    current: bool,
    /// A full member (`orgs.full_members`).
    full: bool,
}

/// What the writer task gives back for one batch: each row with its new id, or None when it was
/// skipped (already registered), in row order.
type Written = Vec<(Sealed, Option<i64>)>;

impl RosterImport {
    /// Refuses the import for a reason found outside these checks (a cell the file reader could
    /// not use): the rows that follow are still checked, but nothing will be written.
    pub fn refuse(&mut self) {
        self.refused = true;
    }

    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Opens the write transaction and starts the writer task with it. SQLite: on the writer
    /// connection given `IMPORT_PRAGMAS` (foreign keys can only be switched outside a
    /// transaction), marked to be closed rather than returned to the pool when the transaction
    /// is dropped (after a commit, a rollback, or an import given up halfway), so no other write
    /// ever runs with these settings.
    async fn open_write(&mut self) -> StoreResult<()> {
        let tx = match self.store.backend {
            Backend::Sqlite => {
                let mut conn = self.store.writer.acquire().await?;
                conn.close_on_drop();
                sqlx::raw_sql(IMPORT_PRAGMAS).execute(&mut *conn).await?;
                // What `Pool::begin` does with the connection it acquires, taking the write lock
                // at once: the rows' ids are given out from what is read now.
                let mut tx = Transaction::begin(
                    conn,
                    Some(sqlx::SqlSafeStr::into_sql_str("BEGIN IMMEDIATE")),
                )
                .await?;
                self.next_id = Some(
                    sqlx::query_scalar(NEXT_MEMBER_ID)
                        .fetch_one(&mut *tx)
                        .await?,
                );
                tx
            }
            Backend::Postgres => self.store.writer.begin().await?,
        };
        self.writer = Some(Writer::start(tx, self.store.backend));
        Ok(())
    }

    /// Gives up the write transaction (nothing of it stays) once the import is refused.
    async fn stop_writing(&mut self) -> StoreResult<()> {
        if let Some(w) = self.writer.take() {
            w.stop().await?.rollback().await?;
        }
        Ok(())
    }

    /// The place code of an open organisation within scope, read once per organisation. Read
    /// outside the write transaction; `finish` checks every organisation written again inside it.
    async fn place(&mut self, org: i64) -> StoreResult<Option<String>> {
        if let Some(p) = self.place_of.get(&org) {
            return Ok(p.clone());
        }
        let mut sql = Sql::new(
            "SELECT p.code FROM orgs o JOIN places p ON p.id = o.place_id WHERE o.closed_at IS NULL AND o.id = ",
        );
        sql.bind(org).push(" AND ");
        self.scope.predicate(&mut sql, "p.code");
        let code: Option<String> = sql.scalar().fetch_optional(&self.store.reader).await?;
        self.place_of.insert(org, code.clone());
        Ok(code)
    }

    /// Checks the next rows. In a write that nothing has refused, the rows are sealed and queued
    /// for the writer task (waiting while it is a batch behind). Returns the problems of this
    /// batch and the rows written since the last call.
    pub async fn add(&mut self, rows: &[RosterRow]) -> StoreResult<Added> {
        if !self.preview && !self.refused && self.writer.is_none() {
            self.open_write().await?;
        }
        // The only reads a batch needs, done first so that checking needs no database.
        for r in rows {
            self.place(r.input.org_id).await?;
        }
        let mut added = Added::default();
        let good = check_rows(
            &self.store,
            &mut self.seen,
            &self.place_of,
            self.row_base,
            rows,
            &mut added,
        )?;
        if !added.problems.is_empty() {
            self.refused = true;
        }
        if self.refused {
            self.stop_writing().await?;
        } else if self.preview {
            self.preview_batch(good, &mut added).await?;
        } else if !good.is_empty() {
            let pending = seal_rows(&self.store, good, self.now, &mut self.next_id)?;
            self.queue(pending, &mut added).await?;
        }
        Ok(added)
    }

    /// Hands a sealed batch to the writer task; takes what it has written meanwhile.
    async fn queue(&mut self, pending: Pending, added: &mut Added) -> StoreResult<()> {
        let Some(w) = self.writer.as_mut() else {
            return Ok(());
        };
        if w.batches.send(pending).await.is_ok() {
            w.in_flight += 1;
        }
        // A closed queue means an insert failed: its error is among the results.
        self.take_written(false, added).await
    }

    /// Takes the results the writer task has sent (all of them, waiting, when `wait`).
    async fn take_written(&mut self, wait: bool, added: &mut Added) -> StoreResult<()> {
        let mut got = Vec::new();
        if let Some(w) = self.writer.as_mut() {
            while w.in_flight > 0 {
                let next = if wait {
                    w.written.recv().await
                } else {
                    match w.written.try_recv() {
                        Ok(r) => Some(r),
                        Err(mpsc::error::TryRecvError::Empty) => break,
                        Err(mpsc::error::TryRecvError::Disconnected) => None,
                    }
                };
                let Some(result) = next else {
                    return Err(StoreError::Internal("roster writer stopped".into()));
                };
                w.in_flight -= 1;
                got.push(result?);
            }
        }
        for written in got {
            self.record(written, added);
        }
        Ok(())
    }

    /// Waits until every batch queued is written; returns those rows. `finish` does it too.
    pub async fn flush(&mut self) -> StoreResult<Added> {
        let mut added = Added::default();
        self.take_written(true, &mut added).await?;
        Ok(added)
    }

    /// Counts the rows written and skipped, and the new current members per place.
    fn record(&mut self, written: Written, added: &mut Added) {
        for (
            Sealed {
                row,
                org,
                current,
                full,
            },
            id,
        ) in written
        {
            let Some(id) = id else {
                added.existing.push(row);
                self.totals.existing += 1;
                continue;
            };
            added.inserted.push((row, id));
            *self.written_orgs.entry(org).or_default() += i64::from(full);
            self.totals.inserted += 1;
            self.totals.new_rows += 1;
            self.totals.first_id = Some(self.totals.first_id.map_or(id, |f| f.min(id)));
            self.totals.last_id = Some(self.totals.last_id.map_or(id, |l| l.max(id)));
            if current && let Some(Some(code)) = self.place_of.get(&org) {
                *self.counts.entry(code.clone()).or_default() += 1;
            }
        }
    }

    /// Counts which rows are new and which are already registered.
    async fn preview_batch(&mut self, good: Vec<Good<'_>>, added: &mut Added) -> StoreResult<()> {
        if good.is_empty() {
            return Ok(());
        }
        let indexes: Vec<&str> = good.iter().map(|(_, c)| c.index.as_str()).collect();
        let known = rows::registered(&self.store.reader, self.store.backend, &indexes).await?;
        for (r, c) in good {
            if known.contains(&c.index) {
                added.existing.push(r.row);
                self.totals.existing += 1;
            } else {
                self.totals.new_rows += 1;
            }
        }
        Ok(())
    }

    /// Ends the import. `None` when anything was refused: nothing is written, the problems were
    /// returned batch by batch. Otherwise the totals; a write commits its rows, the roll-up
    /// deltas and one audit entry together (and writes nothing at all when every row was known).
    pub async fn finish(mut self) -> StoreResult<Option<Totals>> {
        if self.refused {
            self.stop_writing().await?;
            return Ok(None);
        }
        self.flush().await?;
        let totals = self.totals;
        let Some(writer) = self.writer.take() else {
            return Ok(Some(totals));
        };
        let mut tx = writer.stop().await?;
        if totals.inserted == 0 {
            // Nothing new: no write, no audit entry (the same file imported again changes nothing).
            tx.rollback().await?;
            return Ok(Some(totals));
        }
        let orgs: Vec<i64> = self.written_orgs.keys().copied().collect();
        check_orgs(&orgs, &self.scope, &mut tx).await?;
        for (code, n) in &self.counts {
            rollups::bump(&mut tx, code, rollups::MEMBERS, *n).await?;
        }
        let full: Vec<(i64, i64)> = self
            .written_orgs
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(org, n)| (*org, *n))
            .collect();
        crate::life::committee::add_full(&mut tx, &full).await?;
        let after = serde_json::json!({"inserted": totals.inserted, "existing": totals.existing,
            "first_id": totals.first_id, "last_id": totals.last_id, "source": self.label});
        audit::commit(
            tx,
            &self.actor,
            Change::new("import", "member", &self.label, None, Some(after)),
            self.now,
        )
        .await?;
        Ok(Some(totals))
    }
}

/// Every organisation a written row names is open and within scope, read in the transaction that
/// commits the rows (the rows were checked against a read made outside it, and SQLite's own
/// foreign key check is off: `IMPORT_PRAGMAS`). An organisation closed meanwhile refuses the
/// whole import.
async fn check_orgs(orgs: &[i64], scope: &Scope, tx: &mut AnyConnection) -> StoreResult<()> {
    let mut found = 0;
    // Integer literals, not parameters: the list has no length limit, and ids are our own i64s.
    for chunk in orgs.chunks(1_000) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let mut sql = Sql::new(&format!(
            "SELECT COUNT(*) FROM orgs o JOIN places p ON p.id = o.place_id \
             WHERE o.closed_at IS NULL AND o.id IN ({}) AND ",
            list.join(", ")
        ));
        scope.predicate(&mut sql, "p.code");
        found += sql.scalar::<i64>().fetch_one(&mut *tx).await?;
    }
    if found != orgs.len() as i64 {
        return Err(DomainError::new(
            "member.import_org_changed",
            "导入期间有党组织被撤销或调出管辖范围，本次导入未写入任何数据，请重新导入",
            "an organisation was closed or left your scope during the import; nothing was written",
        )
        .into());
    }
    Ok(())
}

/// A row that passed its checks, with what they derived.
type Good<'r> = (&'r RosterRow, rows::CheckedMember);

/// Checks each row by the member form's rules, for a repeated ID number and for its organisation
/// (looked up before); problems go to `added`. Returns the rows that passed.
fn check_rows<'r>(
    store: &Store,
    seen: &mut HashMap<[u8; 16], usize>,
    place_of: &HashMap<i64, Option<String>>,
    row_base: usize,
    rows: &'r [RosterRow],
    added: &mut Added,
) -> StoreResult<Vec<Good<'r>>> {
    let mut good = Vec::with_capacity(rows.len());
    for r in rows {
        match rows::check_member(&store.sealer, &r.input) {
            Ok(checked) => match seen.entry(key_of(&checked.index)) {
                Entry::Occupied(first) => {
                    let first = *first.get() + row_base;
                    let e = DomainError::new(
                        "member.id_number_repeated",
                        format!("身份证号与第{first}行重复"),
                        format!("the ID number repeats row {first}"),
                    )
                    .on("id_number");
                    added.problems.push(RowError {
                        row: r.row,
                        error: e,
                    });
                }
                Entry::Vacant(slot) => {
                    slot.insert(r.row);
                    good.push((r, checked));
                }
            },
            Err(StoreError::Rule(error)) => added.problems.push(RowError { row: r.row, error }),
            Err(other) => return Err(other),
        }
        if !matches!(place_of.get(&r.input.org_id), Some(Some(_))) {
            added.problems.push(RowError {
                row: r.row,
                error: org_unknown(),
            });
        }
    }
    Ok(good)
}

fn seal_rows(
    store: &Store,
    good: Vec<Good<'_>>,
    now: i64,
    next_id: &mut Option<i64>,
) -> StoreResult<Pending> {
    let mut p = Pending {
        rows: Vec::with_capacity(good.len()),
        indexes: Vec::with_capacity(good.len()),
        args: AnyArguments::default(),
        first_id: *next_id,
    };
    p.args.reserve(good.len() * 23, 0);
    for (r, c) in good {
        let id = *next_id;
        if let Some(n) = next_id {
            *n += 1;
        }
        let index = rows::seal_member(&store.sealer, &r.input, c, now, id, &mut p.args)?;
        p.indexes.push(index);
        p.rows.push(Sealed {
            row: r.row,
            org: r.input.org_id,
            current: CURRENT.contains(&r.input.status.as_str()),
            full: r.input.status == "full",
        });
    }
    Ok(p)
}

/// A file kept between its preview and the user's acceptance.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Upload {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub name: String,
    pub bytes: Vec<u8>,
    pub created_at: i64,
}

impl Store {
    /// Keeps an uploaded file for `user_id`; files older than a day are swept first.
    pub async fn save_upload(
        &self,
        user_id: i64,
        kind: &str,
        name: &str,
        bytes: &[u8],
        now: i64,
    ) -> StoreResult<i64> {
        sqlx::query("DELETE FROM uploads WHERE created_at < $1")
            .bind(now - 86_400_000)
            .execute(&self.writer)
            .await?;
        Ok(sqlx::query_scalar("INSERT INTO uploads (user_id, kind, name, bytes, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id")
            .bind(user_id)
            .bind(kind)
            .bind(name)
            .bind(bytes.to_vec())
            .bind(now)
            .fetch_one(&self.writer)
            .await?)
    }

    /// The caller's own upload (another user's is not found).
    pub async fn upload(&self, user_id: i64, id: i64) -> StoreResult<Upload> {
        sqlx::query_as("SELECT id, user_id, kind, name, bytes, created_at FROM uploads WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn drop_upload(&self, id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Records an event that changed nothing but must be on file (e.g. a refused import).
    pub async fn record(&self, actor: &Actor, change: Change<'_>, now: i64) -> StoreResult<()> {
        let tx = self.writer.begin().await?;
        audit::commit(tx, actor, change, now).await
    }
}

mod rows;
#[cfg(test)]
mod tests;
mod writer;

use writer::Writer;
