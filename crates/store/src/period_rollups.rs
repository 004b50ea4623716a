//! Roll-ups kept per place and period (`YYYY-MM` and the like) by the modules that count flows —
//! organisational life, decisions, residents' voice, household visits, studios, stationed teams,
//! the service centre:
//! the registry of their metric prefixes, and what each of them does the same way — read a node's
//! and its children's sums over some periods, list every row (rebuild == incremental in tests),
//! and replace every row of a prefix by a rebuild's totals.

use crate::Store;
use crate::error::StoreResult;
use crate::places::{Place, PlaceFilter};
use crate::rollups::lineage;
use crate::scope::Scope;
use crate::sql::{Page, Sql};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// Every prefix of per-period roll-ups. A place moved under another parent carries its rows of
/// these prefixes (`life::carry_place`); a module that adds per-period roll-ups adds its prefix.
pub(crate) const PERIOD_PREFIXES: &[&str] = &[
    "life.",
    "decisions.",
    "voice.",
    "households.",
    "studios.",
    "teams.",
    "service.",
];

/// Appends `(metric LIKE 'life.%' OR …)` for every registered prefix.
pub(crate) fn any_period_metric(sql: &mut Sql) {
    sql.push("(");
    for (i, p) in PERIOD_PREFIXES.iter().enumerate() {
        sql.push(if i == 0 {
            "metric LIKE "
        } else {
            " OR metric LIKE "
        })
        .bind(format!("{p}%"));
    }
    sql.push(")");
}

/// Sums per (place, metric) read by `period_sums`.
pub struct Sums(Vec<(i64, String, i64)>);

impl Sums {
    pub fn get(&self, place_id: i64, metric: &str) -> i64 {
        self.0
            .iter()
            .filter(|(p, m, _)| *p == place_id && m == metric)
            .map(|(_, _, n)| n)
            .sum()
    }
}

impl Store {
    /// A node within scope and the places directly below it (at most 500: a district's towns or
    /// a town's villages).
    pub(crate) async fn node_and_children(
        &self,
        scope: &Scope,
        place_id: i64,
    ) -> StoreResult<(Place, Vec<Place>)> {
        let node = self.place(scope, place_id).await?;
        let filter = PlaceFilter {
            parent_id: Some(node.id),
            ..Default::default()
        };
        let (children, _) = self
            .places(scope, &filter, Page::new(None, Some(500)))
            .await?;
        Ok((node, children))
    }

    /// The sums of the metrics of `prefix` (e.g. `studios.`) over `periods` for these places.
    pub(crate) async fn period_sums(
        &self,
        places: &[i64],
        prefix: &str,
        periods: &[String],
    ) -> StoreResult<Sums> {
        if places.is_empty() || periods.is_empty() {
            return Ok(Sums(Vec::new()));
        }
        // SUM of a BIGINT is NUMERIC on PostgreSQL, which the Any driver cannot read.
        let mut sql = Sql::new(
            "SELECT place_id, metric, CAST(SUM(value) AS BIGINT) FROM rollups WHERE place_id IN (",
        );
        for (i, id) in places.iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " }).bind(*id);
        }
        sql.push(") AND metric LIKE ")
            .bind(format!("{prefix}%"))
            .push(" AND period IN (");
        for (i, p) in periods.iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " }).bind(p.as_str());
        }
        sql.push(") GROUP BY place_id, metric");
        Ok(Sums(sql.query_as().fetch_all(&self.reader).await?))
    }

    /// Every non-zero roll-up row of `prefix`, sorted.
    pub(crate) async fn period_snapshot(
        &self,
        prefix: &str,
    ) -> StoreResult<Vec<(i64, String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT place_id, metric, period, value FROM rollups WHERE metric LIKE $1 \
             AND value <> 0 ORDER BY place_id, metric, period",
        )
        .bind(format!("{prefix}%"))
        .fetch_all(&self.reader)
        .await?)
    }
}

/// Totals of a rebuild, added up for a place and all its ancestors.
#[derive(Default)]
pub(crate) struct Totals {
    ids: HashMap<String, i64>,
    acc: HashMap<(i64, &'static str, String), i64>,
}

impl Totals {
    /// Reads the places' codes (in the rebuild's transaction).
    pub(crate) async fn new(conn: &mut AnyConnection) -> StoreResult<Self> {
        let ids = sqlx::query_as::<_, (String, i64)>("SELECT code, id FROM places")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
        Ok(Self {
            ids,
            acc: HashMap::new(),
        })
    }

    /// Adds `n` to `metric` in `period` for the place coded `code` and its ancestors.
    pub(crate) fn add(&mut self, code: &str, metric: &'static str, period: &str, n: i64) {
        for c in lineage(code) {
            if let Some(id) = self.ids.get(&c) {
                *self
                    .acc
                    .entry((*id, metric, period.to_string()))
                    .or_default() += n;
            }
        }
    }

    /// Replaces every row of `prefix` with these totals; returns the rows written.
    pub(crate) async fn replace(
        self,
        conn: &mut AnyConnection,
        prefix: &str,
    ) -> StoreResult<usize> {
        sqlx::query("DELETE FROM rollups WHERE metric LIKE $1")
            .bind(format!("{prefix}%"))
            .execute(&mut *conn)
            .await?;
        let rows: Vec<_> = self.acc.into_iter().filter(|(_, v)| *v != 0).collect();
        for chunk in rows.chunks(100) {
            let mut sql = Sql::new("INSERT INTO rollups (place_id, metric, period, value) VALUES ");
            for (i, ((id, metric, period), value)) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(*id).push(", ").bind(*metric).push(", ");
                sql.bind(period.as_str()).push(", ").bind(*value).push(")");
            }
            sql.query().execute(&mut *conn).await?;
        }
        Ok(rows.len())
    }
}
