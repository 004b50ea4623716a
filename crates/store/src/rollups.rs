//! Roll-ups (ARCHITECTURE principle 3): counts per place × metric × period, changed by deltas in the
//! same transaction as the record, and recomputable from the records by `rebuild`.
//! A place's row counts its whole subtree, itself included.

use crate::Store;
use crate::error::StoreResult;
use crate::scope::Scope;
use crate::sql::Sql;
use jiceng_domain::{DivisionCode, PlaceKind};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// Stock figures (what exists now) use this period; flows use `YYYY-MM`.
pub const CURRENT: &str = "current";

pub const ORGS: &str = "orgs";
pub const UNITS: &str = "units";
pub const ACCOUNTS: &str = "accounts";
/// Current members (applicants to full members) registered with organisations in the subtree.
pub const MEMBERS: &str = "members";

/// Members that count (not left, deceased or transferred out of the system), joined to the place of their organisation.
const CURRENT_MEMBERS: &str = concat!(
    "FROM members m JOIN orgs o ON o.id = m.org_id JOIN places t ON t.id = o.place_id WHERE ",
    counted!()
);

/// Every metric this module maintains, in display order.
pub fn structure_metrics() -> Vec<&'static str> {
    let mut m: Vec<&'static str> = Vec::new();
    for k in PlaceKind::ALL {
        if !m.contains(&k.metric()) {
            m.push(k.metric());
        }
    }
    m.extend([ORGS, UNITS, ACCOUNTS, MEMBERS]);
    m
}

/// Codes of the place and all its ancestors (12-digit padded prefixes).
pub fn lineage(code: &str) -> Vec<String> {
    let Ok(c) = DivisionCode::parse(code) else {
        return vec![code.to_string()];
    };
    let own = c.kind().prefix_len();
    let mut out: Vec<String> = [2usize, 4, 6, 9, 12]
        .iter()
        .filter(|l| **l < own)
        .map(|l| format!("{:0<12}", &code[..*l]))
        .collect();
    out.push(code.to_string());
    out
}

/// Adds `delta` to `metric` for the place coded `code` and every ancestor that exists.
pub async fn bump(tx: &mut AnyConnection, code: &str, metric: &str, delta: i64) -> StoreResult<()> {
    bump_period(tx, code, metric, CURRENT, delta).await
}

/// `bump` for a figure of one period (`YYYY-MM`, `YYYY-Qn`, `YYYY`).
pub async fn bump_period(
    tx: &mut AnyConnection,
    code: &str,
    metric: &str,
    period: &str,
    delta: i64,
) -> StoreResult<()> {
    if delta == 0 {
        return Ok(());
    }
    let mut sql = Sql::new("INSERT INTO rollups (place_id, metric, period, value) SELECT id, ");
    sql.bind(metric)
        .push(", ")
        .bind(period)
        .push(", ")
        .bind(delta)
        .push(" FROM places WHERE code IN (");
    for (i, c) in lineage(code).into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(c);
    }
    sql.push(") ON CONFLICT (place_id, metric, period) DO UPDATE SET value = rollups.value + excluded.value");
    sql.query().execute(&mut *tx).await?;
    Ok(())
}

/// `bump_period` for several metrics of one period at once: one statement for the place coded
/// `code`, every ancestor that exists and every metric (a write's roll-ups in one round trip).
pub async fn bump_many(
    tx: &mut AnyConnection,
    code: &str,
    period: &str,
    deltas: &[(&str, i64)],
) -> StoreResult<()> {
    let mut sql = Sql::default();
    if push_bump_many(&mut sql, code, period, deltas, "") {
        sql.query().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Appends `bump_many`'s statement to `sql`, its condition extended by `and` (` AND …`, may be
/// empty); false, and nothing appended, when every delta is zero.
pub(crate) fn push_bump_many(
    sql: &mut Sql,
    code: &str,
    period: &str,
    deltas: &[(&str, i64)],
    and: &str,
) -> bool {
    let deltas: Vec<_> = deltas.iter().filter(|(_, d)| *d != 0).collect();
    if deltas.is_empty() {
        return false;
    }
    // VALUES names its columns column1, column2 on both backends.
    sql.push("INSERT INTO rollups (place_id, metric, period, value) SELECT p.id, v.column1, ");
    sql.bind(period)
        .push(", v.column2 FROM places p CROSS JOIN (VALUES ");
    for (i, (metric, delta)) in deltas.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(*metric).push(", ").bind(*delta).push(")");
    }
    sql.push(") AS v WHERE p.code IN (");
    for (i, c) in lineage(code).into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(c);
    }
    sql.push(")")
        .push(and)
        .push(" ON CONFLICT (place_id, metric, period) DO UPDATE SET value = rollups.value + excluded.value");
    true
}

/// Counts of everything open in the subtree under `prefix`, by metric (what a move carries along).
pub async fn subtree_counts(
    tx: &mut AnyConnection,
    prefix: &str,
) -> StoreResult<Vec<(String, i64)>> {
    let scope = Scope::prefix(prefix);
    let mut out = Vec::new();
    let mut sql = Sql::new("SELECT kind, COUNT(*) FROM places p WHERE p.closed_at IS NULL AND ");
    scope.predicate(&mut sql, "p.code");
    sql.push(" GROUP BY kind");
    let rows: Vec<(String, i64)> = sql.query_as().fetch_all(&mut *tx).await?;
    let mut by_metric: HashMap<&str, i64> = HashMap::new();
    for (kind, n) in rows {
        if let Some(k) = PlaceKind::parse(&kind) {
            *by_metric.entry(k.metric()).or_default() += n;
        }
    }
    out.extend(by_metric.into_iter().map(|(k, v)| (k.to_string(), v)));
    for (metric, table, open) in [
        (ORGS, "orgs", " AND t.closed_at IS NULL"),
        (UNITS, "units", " AND t.closed_at IS NULL"),
        (ACCOUNTS, "users", ""),
    ] {
        let mut sql = Sql::new(&format!(
            "SELECT COUNT(*) FROM {table} t JOIN places p ON p.id = t.place_id WHERE 1=1{open} AND "
        ));
        scope.predicate(&mut sql, "p.code");
        let n: i64 = sql.scalar().fetch_one(&mut *tx).await?;
        out.push((metric.to_string(), n));
    }
    let mut sql = Sql::new(&format!("SELECT COUNT(*) {CURRENT_MEMBERS} AND "));
    scope.predicate(&mut sql, "t.code");
    let n: i64 = sql.scalar().fetch_one(&mut *tx).await?;
    out.push((MEMBERS.to_string(), n));
    out.extend(crate::coverage::subtree_current(tx, prefix).await?);
    Ok(out)
}

/// Current members of one organisation (what moves with it to another place).
pub async fn org_member_count(tx: &mut AnyConnection, org_id: i64) -> StoreResult<i64> {
    let sql = format!("SELECT COUNT(*) {CURRENT_MEMBERS} AND m.org_id = $1");
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .fetch_one(&mut *tx)
        .await?)
}

impl Store {
    /// The current figures of one place, by metric.
    pub async fn rollup_values(&self, place_id: i64) -> StoreResult<HashMap<String, i64>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT metric, value FROM rollups WHERE place_id = $1 AND period = $2")
                .bind(place_id)
                .bind(CURRENT)
                .fetch_all(&self.reader)
                .await?;
        Ok(rows.into_iter().collect())
    }

    /// Every non-zero structure roll-up row, sorted: what a test compares before and after rebuild.
    pub async fn rollup_snapshot(&self) -> StoreResult<Vec<(i64, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT place_id, metric, value FROM rollups WHERE period = $1 AND value <> 0 ORDER BY place_id, metric",
        )
        .bind(CURRENT)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Recomputes the structure roll-ups from the records, in one transaction. Returns rows written.
    pub async fn rollup_rebuild(&self) -> StoreResult<usize> {
        let mut tx = self.writer.begin().await?;
        let places: Vec<(i64, String, String, Option<i64>)> =
            sqlx::query_as("SELECT id, code, kind, closed_at FROM places")
                .fetch_all(&mut *tx)
                .await?;
        let id_of: HashMap<&str, i64> = places
            .iter()
            .map(|(id, code, _, _)| (code.as_str(), *id))
            .collect();
        let code_of: HashMap<i64, &str> = places
            .iter()
            .map(|(id, code, _, _)| (*id, code.as_str()))
            .collect();
        let mut acc: HashMap<(i64, &str), i64> = HashMap::new();
        let mut add = |code: &str, metric: &'static str, n: i64| {
            for c in lineage(code) {
                if let Some(id) = id_of.get(c.as_str()) {
                    *acc.entry((*id, metric)).or_default() += n;
                }
            }
        };
        for (_, code, kind, closed) in &places {
            if let (None, Some(k)) = (closed, PlaceKind::parse(kind)) {
                add(code, k.metric(), 1);
            }
        }
        for (metric, q) in [
            (
                ORGS,
                "SELECT place_id, COUNT(*) FROM orgs WHERE closed_at IS NULL GROUP BY place_id",
            ),
            (
                UNITS,
                "SELECT place_id, COUNT(*) FROM units WHERE closed_at IS NULL GROUP BY place_id",
            ),
            (
                ACCOUNTS,
                "SELECT place_id, COUNT(*) FROM users GROUP BY place_id",
            ),
            (
                MEMBERS,
                concat!(
                    "SELECT t.id, COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id \
                     JOIN places t ON t.id = o.place_id WHERE ",
                    counted!(),
                    " GROUP BY t.id"
                ),
            ),
        ] {
            let rows: Vec<(i64, i64)> = sqlx::query_as(q).fetch_all(&mut *tx).await?;
            for (place_id, n) in rows {
                if let Some(code) = code_of.get(&place_id) {
                    add(code, metric, n);
                }
            }
        }
        let mut del = Sql::new("DELETE FROM rollups WHERE period = ");
        del.bind(CURRENT).push(" AND metric IN (");
        for (i, m) in structure_metrics().into_iter().enumerate() {
            if i > 0 {
                del.push(", ");
            }
            del.bind(m);
        }
        del.push(")");
        del.query().execute(&mut *tx).await?;
        let mut written = crate::coverage::rebuild_current(&mut tx).await?;
        written += crate::life::rebuild(&mut tx).await?;
        crate::life::committee::rebuild(&mut tx).await?;
        written += crate::decisions::rebuild(&mut tx).await?;
        written += crate::voice::figures::rebuild(&mut tx).await?;
        written += crate::households::rebuild(&mut tx).await?;
        written += crate::studios::rebuild(&mut tx).await?;
        written += crate::teams::rebuild(&mut tx).await?;
        written += crate::services::rebuild(&mut tx).await?;
        for ((place_id, metric), value) in acc.into_iter().filter(|(_, v)| *v != 0) {
            sqlx::query(
                "INSERT INTO rollups (place_id, metric, period, value) VALUES ($1, $2, $3, $4)",
            )
            .bind(place_id)
            .bind(metric)
            .bind(CURRENT)
            .bind(value)
            .execute(&mut *tx)
            .await?;
            written += 1;
        }
        tx.commit().await?;
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lineage_lists_ancestors_then_self() {
        assert_eq!(
            super::lineage("440403105201003"),
            [
                "440000000000",
                "440400000000",
                "440403000000",
                "440403105000",
                "440403105201",
                "440403105201003"
            ]
        );
        assert_eq!(
            super::lineage("440403000000"),
            ["440000000000", "440400000000", "440403000000"]
        );
    }
}
