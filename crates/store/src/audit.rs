//! The audit log: every change and every reveal of sealed data, appended in the same transaction as
//! the change, hash-chained so that `jiceng audit verify` finds the first entry that was altered.

use crate::error::{StoreError, StoreResult};
use crate::sql::{Page, Sql, like_contains};
use crate::{Actor, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

/// What one change records; `before`/`after` are JSON of the record (personal data already masked).
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub ip: String,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

fn entry_hash(e: &AuditEntry) -> String {
    // A JSON array is an unambiguous encoding of the fields (no separator can be forged).
    let fields = serde_json::json!([
        e.seq,
        e.at,
        e.actor_id,
        e.actor,
        e.action,
        e.entity,
        e.entity_id,
        e.before_json,
        e.after_json,
        e.ip,
        e.request_id,
        e.prev_hash
    ]);
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

impl<'a> Change<'a> {
    pub fn new(
        action: &'a str,
        entity: &'a str,
        entity_id: impl ToString,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Self {
        Self {
            action,
            entity,
            entity_id: entity_id.to_string(),
            before,
            after,
        }
    }
}

/// The last step of every write: its audit entry, then the commit of the whole transaction.
pub async fn commit(
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    change: Change<'_>,
    now: i64,
) -> StoreResult<()> {
    append(&mut tx, actor, change, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Appends one entry inside the caller's transaction.
pub async fn append(
    tx: &mut AnyConnection,
    actor: &Actor,
    change: Change<'_>,
    now: i64,
) -> StoreResult<i64> {
    let one = crate::group::Audited {
        actor: actor.clone(),
        change,
        now,
    };
    append_all(tx, &[&one]).await
}

/// Appends `entries` in order inside the caller's transaction (a batch of writes, see
/// `group.rs`): the head is moved once, the chain is hashed here, and the rows go in one INSERT.
/// Returns the sequence number of the last entry.
pub(crate) async fn append_many(
    tx: &mut AnyConnection,
    entries: &[&crate::group::Audited<'_>],
) -> StoreResult<i64> {
    append_all(tx, entries).await
}

async fn append_all(
    tx: &mut AnyConnection,
    entries: &[&crate::group::Audited<'_>],
) -> StoreResult<i64> {
    let n = i64::try_from(entries.len()).map_err(|e| StoreError::Internal(e.to_string()))?;
    // Taking the head row first serialises appends (write lock in SQLite, row lock in PostgreSQL).
    let (last, mut prev): (i64, String) =
        sqlx::query_as("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
            .bind(n)
            .fetch_one(&mut *tx)
            .await?;
    let mut sql = Sql::new(
        "INSERT INTO audit_log (seq, at, actor_id, actor, action, entity, entity_id, before_json, \
         after_json, ip, request_id, prev_hash, hash) VALUES ",
    );
    for (i, a) in entries.iter().enumerate() {
        let mut e = AuditEntry {
            seq: last - n
                + 1
                + i64::try_from(i).map_err(|e| StoreError::Internal(e.to_string()))?,
            at: a.now,
            actor_id: a.actor.user_id,
            actor: a.actor.username.clone(),
            action: a.change.action.to_string(),
            entity: a.change.entity.to_string(),
            entity_id: a.change.entity_id.clone(),
            before_json: a.change.before.as_ref().map(|v| v.to_string()),
            after_json: a.change.after.as_ref().map(|v| v.to_string()),
            ip: a.actor.ip.clone(),
            request_id: a.actor.request_id.clone(),
            prev_hash: prev,
            hash: String::new(),
        };
        e.hash = entry_hash(&e);
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(e.seq)
            .push(", ")
            .bind(e.at)
            .push(", ")
            .bind(e.actor_id);
        sql.push(", ").bind(e.actor).push(", ").bind(e.action);
        sql.push(", ").bind(e.entity).push(", ").bind(e.entity_id);
        sql.push(", ")
            .bind(e.before_json)
            .push(", ")
            .bind(e.after_json);
        sql.push(", ").bind(e.ip).push(", ").bind(e.request_id);
        sql.push(", ")
            .bind(e.prev_hash)
            .push(", ")
            .bind(e.hash.clone())
            .push(")");
        prev = e.hash;
    }
    if tx.backend_name() == "SQLite" {
        // The head's new hash in the same text (one hand-off; PostgreSQL takes one statement
        // with parameters at a time).
        sql.push(";\nUPDATE audit_head SET hash = ")
            .bind(prev)
            .push(" WHERE id = 1");
        sql.query().execute(&mut *tx).await?;
    } else {
        sql.query().execute(&mut *tx).await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&prev)
            .execute(&mut *tx)
            .await?;
    }
    Ok(last)
}

/// Result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        entries: i64,
    },
    /// The first entry whose stored hash or link does not match.
    Broken {
        seq: i64,
        reason: String,
    },
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub q: Option<String>,
}

const COLS: &str = "seq, at, actor_id, actor, action, entity, entity_id, before_json, after_json, ip, request_id, prev_hash, hash";

impl Store {
    pub async fn audit_verify(&self) -> StoreResult<Verdict> {
        let mut prev = "0".repeat(64);
        let mut expect_seq = 1;
        let mut after = 0i64;
        loop {
            // Batches keep memory flat on a long log.
            let batch: Vec<AuditEntry> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000"
            )))
            .bind(after)
            .fetch_all(&self.reader)
            .await?;
            if batch.is_empty() {
                break;
            }
            for e in &batch {
                if e.seq != expect_seq {
                    return Ok(Verdict::Broken {
                        seq: expect_seq,
                        reason: format!("entry {expect_seq} is missing"),
                    });
                }
                if e.prev_hash != prev {
                    return Ok(Verdict::Broken {
                        seq: e.seq,
                        reason: "link to the previous entry does not match".into(),
                    });
                }
                if entry_hash(e) != e.hash {
                    return Ok(Verdict::Broken {
                        seq: e.seq,
                        reason: "content does not match its hash".into(),
                    });
                }
                prev = e.hash.clone();
                expect_seq += 1;
                after = e.seq;
            }
        }
        let (head_seq, head_hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&self.reader)
                .await?;
        if head_seq != expect_seq - 1 || head_hash != prev {
            return Ok(Verdict::Broken {
                seq: expect_seq,
                reason: "entries after this one were removed".into(),
            });
        }
        Ok(Verdict::Intact {
            entries: expect_seq - 1,
        })
    }

    fn audit_where(f: &AuditFilter) -> Sql {
        let mut sql = Sql::new(" FROM audit_log WHERE 1=1");
        if let Some(a) = f.actor.as_deref().filter(|s| !s.is_empty()) {
            sql.push(" AND actor = ").bind(a);
        }
        if let Some(a) = f.action.as_deref().filter(|s| !s.is_empty()) {
            sql.push(" AND action = ").bind(a);
        }
        if let Some(a) = f.entity.as_deref().filter(|s| !s.is_empty()) {
            sql.push(" AND entity = ").bind(a);
        }
        if let Some(t) = f.from {
            sql.push(" AND at >= ").bind(t);
        }
        if let Some(t) = f.to {
            sql.push(" AND at < ").bind(t);
        }
        if let Some(q) = f.q.as_deref().filter(|s| !s.is_empty()) {
            let pat = like_contains(q);
            sql.push(" AND (entity_id LIKE ")
                .bind(pat.clone())
                .push(" ESCAPE '\\' OR after_json LIKE ");
            sql.bind(pat.clone())
                .push(" ESCAPE '\\' OR before_json LIKE ")
                .bind(pat)
                .push(" ESCAPE '\\')");
        }
        sql
    }

    /// Newest first. Only the audit administrator reaches this (checked by the caller's role).
    pub async fn audit_list(
        &self,
        f: &AuditFilter,
        page: Page,
    ) -> StoreResult<(Vec<AuditEntry>, i64)> {
        let w = Self::audit_where(f);
        let mut count = Sql::new("SELECT COUNT(*)");
        count.text.push_str(&w.text);
        count.vals = w.vals.clone();
        let total: i64 = count.scalar().fetch_one(&self.reader).await?;
        let mut sql = Sql::new(&format!("SELECT {COLS}"));
        sql.text.push_str(&w.text);
        sql.vals = w.vals;
        sql.push(" ORDER BY seq DESC");
        page.limit_offset(&mut sql);
        let rows = sql.query_as().fetch_all(&self.reader).await?;
        Ok((rows, total))
    }
}
