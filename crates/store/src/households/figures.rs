//! Household figures as roll-ups (ARCHITECTURE principle 3): `households.open` is a stock
//! (period `current`, the open households of the subtree), `households.visits.<mode>` a flow per
//! month. 入户率 over a month, quarter or year = the period's visits ÷ the open households. Both
//! are bumped in the writing transaction; `rebuild` derives the same rows from the records, and
//! `life::carry_place` carries them (prefix `households.`) when a village moves.

use crate::Store;
use crate::error::StoreResult;
use crate::rollups::{CURRENT, bump_period, lineage};
use crate::scope::Scope;
use crate::sql::Sql;
use jiceng_domain::life::Every;
use jiceng_domain::life::period::Period;
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::HashMap;

pub const METRIC_OPEN: &str = "households.open";
pub const VISITS_PREFIX: &str = "households.visits.";

pub(crate) fn visit_metric(mode: &str) -> String {
    format!("{VISITS_PREFIX}{mode}")
}

pub(crate) async fn household_opened(
    conn: &mut AnyConnection,
    code: &str,
    delta: i64,
) -> StoreResult<()> {
    bump_period(conn, code, METRIC_OPEN, CURRENT, delta).await
}

pub(crate) async fn visit_recorded(
    conn: &mut AnyConnection,
    code: &str,
    mode: &str,
    visited_on: &str,
    delta: i64,
) -> StoreResult<()> {
    let month = visited_on.get(..7).unwrap_or(visited_on);
    bump_period(conn, code, &visit_metric(mode), month, delta).await
}

/// Roll-up rows from counts per (place code, metric, period): each added to the place and its
/// ancestors. Shared by `rebuild` and the bulk import.
pub(crate) async fn add_counts(
    conn: &mut AnyConnection,
    counts: &HashMap<(String, String, String), i64>,
) -> StoreResult<usize> {
    let ids: HashMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("SELECT code, id FROM places")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let mut acc: HashMap<(i64, &str, &str), i64> = HashMap::new();
    for ((code, metric, period), n) in counts {
        for c in lineage(code) {
            if let Some(id) = ids.get(&c) {
                *acc.entry((*id, metric.as_str(), period.as_str()))
                    .or_default() += n;
            }
        }
    }
    let rows: Vec<_> = acc.into_iter().filter(|(_, v)| *v != 0).collect();
    for chunk in rows.chunks(100) {
        let mut sql = Sql::new("INSERT INTO rollups (place_id, metric, period, value) VALUES ");
        for (i, ((id, metric, period), value)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*id).push(", ").bind(*metric).push(", ");
            sql.bind(*period).push(", ").bind(*value).push(")");
        }
        sql.push(
            " ON CONFLICT (place_id, metric, period) DO UPDATE SET value = rollups.value + excluded.value",
        );
        sql.query().execute(&mut *conn).await?;
    }
    Ok(rows.len())
}

/// Recomputes every `households.*` row from the records (part of `rollup_rebuild`).
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> StoreResult<usize> {
    sqlx::query("DELETE FROM rollups WHERE metric LIKE 'households.%'")
        .execute(&mut *conn)
        .await?;
    let mut counts: HashMap<(String, String, String), i64> = HashMap::new();
    let open: Vec<(String, i64)> = sqlx::query_as(
        "SELECT p.code, COUNT(*) FROM households h JOIN places p ON p.id = h.place_id \
         WHERE h.closed_on IS NULL GROUP BY p.code",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (code, n) in open {
        counts.insert((code, METRIC_OPEN.into(), CURRENT.into()), n);
    }
    let visits: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT p.code, v.mode, substr(v.visited_on, 1, 7), COUNT(*) FROM household_visits v \
         JOIN households h ON h.id = v.household_id JOIN places p ON p.id = h.place_id \
         GROUP BY p.code, v.mode, substr(v.visited_on, 1, 7)",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (code, mode, month, n) in visits {
        counts.insert((code, visit_metric(&mode), month), n);
    }
    add_counts(conn, &counts).await
}

/// One place's household figures over a period.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct HouseholdFigures {
    pub place_id: i64,
    pub name: String,
    pub kind: String,
    /// Open households now (the stock).
    pub households: i64,
    pub visits: i64,
    pub home: i64,
    pub phone: i64,
    pub online: i64,
}

impl HouseholdFigures {
    fn add(&mut self, metric: &str, n: i64) {
        match metric.strip_prefix(VISITS_PREFIX) {
            Some("home") => self.home += n,
            Some("phone") => self.phone += n,
            Some("online") => self.online += n,
            _ => return,
        }
        self.visits += n;
    }

    /// 入户率 in per cent (visits ÷ households × 100), None without households.
    pub fn rate_percent(&self) -> Option<i64> {
        (self.households > 0).then(|| self.visits * 100 / self.households)
    }
}

impl Store {
    /// A node's household figures over `period` and one row per child place, from the roll-ups.
    pub async fn household_figures(
        &self,
        scope: &Scope,
        place_id: i64,
        period: &Period,
    ) -> StoreResult<(HouseholdFigures, Vec<HouseholdFigures>)> {
        let node = self.place(scope, place_id).await?;
        let filter = crate::places::PlaceFilter {
            parent_id: Some(node.id),
            ..Default::default()
        };
        let (children, _) = self
            .places(scope, &filter, crate::sql::Page::new(None, Some(500)))
            .await?;
        let mut sql = Sql::new(
            // SUM of a BIGINT is NUMERIC on PostgreSQL, which the Any driver cannot read.
            "SELECT place_id, metric, CAST(SUM(value) AS BIGINT) FROM rollups WHERE place_id IN (",
        );
        sql.bind(node.id);
        for c in &children {
            sql.push(", ").bind(c.id);
        }
        sql.push(") AND ((metric = ")
            .bind(METRIC_OPEN)
            .push(" AND period = ")
            .bind(CURRENT)
            .push(") OR (metric LIKE 'households.visits.%' AND period IN (");
        for (i, m) in period.parts(Every::Month).iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(m.label());
        }
        sql.push("))) GROUP BY place_id, metric");
        let sums: Vec<(i64, String, i64)> = sql.query_as().fetch_all(&self.reader).await?;
        let row = |p: &crate::places::Place| {
            let mut r = HouseholdFigures {
                place_id: p.id,
                name: p.name.clone(),
                kind: p.kind.clone(),
                ..Default::default()
            };
            for (_, metric, n) in sums.iter().filter(|(id, _, _)| *id == p.id) {
                if metric == METRIC_OPEN {
                    r.households += n;
                } else {
                    r.add(metric, *n);
                }
            }
            r
        };
        Ok((row(&node), children.iter().map(row).collect()))
    }

    /// Every non-zero `households.*` roll-up row, sorted (rebuild == incremental in tests).
    pub async fn households_snapshot(&self) -> StoreResult<Vec<(i64, String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT place_id, metric, period, value FROM rollups WHERE metric LIKE 'households.%' \
             AND value <> 0 ORDER BY place_id, metric, period",
        )
        .fetch_all(&self.reader)
        .await?)
    }
}
