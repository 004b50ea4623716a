//! Many members at once (the demo's register; later the Excel roster import): every row is
//! validated and sealed before anything is written, then all rows go in one transaction with one
//! audit entry, so a bad row never leaves half a roster behind.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::members::{MemberInput, insert};
use crate::rollups;
use crate::scope::Scope;
use crate::sql::Sql;
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use jiceng_domain::member::CURRENT;
use std::collections::HashMap;

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
    /// Added to a row's 0-based index to give the number people see (2 below a header row).
    pub row_base: usize,
    /// Check everything and report, but write nothing.
    pub preview: bool,
}

/// A row that failed validation: its position (0-based in the input) and the rule it broke.
#[derive(Debug, Clone)]
pub struct RowError {
    pub row: usize,
    pub error: DomainError,
}

impl Store {
    /// Imports `rows` in one transaction. Rows whose ID number is already in the register are skipped
    /// and reported, so importing the same file twice changes nothing. If any row is invalid, repeats
    /// another row's ID number or names an organisation out of scope, every refusal is returned and
    /// nothing is written.
    pub async fn import_members(
        &self,
        actor: &Actor,
        scope: &Scope,
        rows: &[MemberInput],
        opts: &ImportOptions<'_>,
        now: i64,
    ) -> StoreResult<Result<Imported, Vec<RowError>>> {
        let label = opts.label;
        let mut prepared = Vec::with_capacity(rows.len());
        let mut errors = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            match self.prepare(r, true) {
                Ok(p) => {
                    let index = p.id.as_ref().map(|x| x.index.clone()).unwrap_or_default();
                    if let Some(first) = seen.insert(index, i) {
                        let e = DomainError::new(
                            "member.id_number_repeated",
                            format!("身份证号与第{}行重复", first + opts.row_base),
                            format!("the ID number repeats row {}", first + opts.row_base),
                        )
                        .on("id_number");
                        errors.push(RowError { row: i, error: e });
                    }
                    prepared.push(p);
                }
                Err(StoreError::Rule(e)) => errors.push(RowError { row: i, error: e }),
                Err(other) => return Err(other),
            }
        }
        let mut tx = self.writer.begin().await?;
        // The place of every organisation named, read once each, within scope.
        let mut place_of: HashMap<i64, String> = HashMap::new();
        let mut unknown = std::collections::HashSet::new();
        for org in rows.iter().map(|r| r.org_id) {
            if place_of.contains_key(&org) || unknown.contains(&org) {
                continue;
            }
            let mut sql = Sql::new(
                "SELECT p.code FROM orgs o JOIN places p ON p.id = o.place_id WHERE o.closed_at IS NULL AND o.id = ",
            );
            sql.bind(org).push(" AND ");
            scope.predicate(&mut sql, "p.code");
            match sql.scalar::<String>().fetch_optional(&mut *tx).await? {
                Some(code) => {
                    place_of.insert(org, code);
                }
                None => {
                    unknown.insert(org);
                }
            }
        }
        if !unknown.is_empty() {
            let e = DomainError::new(
                "member.org_unknown",
                "找不到该党组织（或已撤销、不在管辖范围内）",
                "no such open organisation in your scope",
            )
            .on("org_id");
            let bad = rows
                .iter()
                .enumerate()
                .filter(|(_, r)| unknown.contains(&r.org_id));
            errors.extend(bad.map(|(i, _)| RowError {
                row: i,
                error: e.clone(),
            }));
        }
        // Every problem at once, in row order, so one round of fixes is enough.
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.row);
            return Ok(Err(errors));
        }
        // Which ID numbers the register already holds, found by their blind index, in chunks.
        let mut known = std::collections::HashSet::new();
        for chunk in prepared.chunks(500) {
            let mut sql = Sql::new("SELECT id_index FROM members WHERE id_index IN (");
            for (k, p) in chunk.iter().enumerate() {
                if k > 0 {
                    sql.push(", ");
                }
                sql.bind(p.id.as_ref().map(|x| x.index.clone()).unwrap_or_default());
            }
            sql.push(")");
            known.extend(sql.scalar::<String>().fetch_all(&mut *tx).await?);
        }
        let mut out = Imported::default();
        if opts.preview {
            out.existing = prepared
                .iter()
                .enumerate()
                .filter(|(_, p)| p.id.as_ref().is_some_and(|x| known.contains(&x.index)))
                .map(|(i, _)| i)
                .collect();
            out.new_rows = rows.len() - out.existing.len();
            return Ok(Ok(out));
        }
        let mut counts: HashMap<&str, i64> = HashMap::new();
        for (i, (r, p)) in rows.iter().zip(&prepared).enumerate() {
            if p.id.as_ref().is_some_and(|x| known.contains(&x.index)) {
                out.existing.push(i);
                continue;
            }
            out.inserted.push(insert(&mut tx, r, p, now).await?);
            if CURRENT.contains(&r.status.as_str())
                && let Some(code) = place_of.get(&r.org_id)
            {
                *counts.entry(code.as_str()).or_default() += 1;
            }
        }
        for (code, n) in counts {
            rollups::bump(&mut tx, code, rollups::MEMBERS, n).await?;
        }
        out.new_rows = out.inserted.len();
        if out.inserted.is_empty() {
            // Nothing new: no write, no audit entry (the same file imported again changes nothing).
            return Ok(Ok(out));
        }
        let after = serde_json::json!({"inserted": out.inserted.len(), "existing": out.existing.len(),
            "first_id": out.inserted.first(), "last_id": out.inserted.last(), "source": label});
        audit::commit(
            tx,
            actor,
            Change::new("import", "member", label, None, Some(after)),
            now,
        )
        .await?;
        Ok(Ok(out))
    }
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
