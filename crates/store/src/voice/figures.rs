//! Problem-list figures (issue 5): roll-ups per place and month **of filing** — a month's problems
//! and what became of them (collected, solved, days to close, ratings, escalations), so a period's
//! solve rate is that of the problems filed in it, as the seed counts it (6606 collected, 6252
//! solved = 94.64%). A problem's contribution is a function of its row (`contribution`); a
//! change bumps the difference between before and after, and a rebuild sums the contributions,
//! so the two agree by construction.

use crate::error::StoreResult;
use crate::rollups::{bump_many, lineage, push_bump_many};
use crate::scope::Scope;
use crate::sql::Sql;
use crate::{Backend, Store};
use jiceng_domain::life::Every;
use jiceng_domain::life::period::Period;
use jiceng_domain::meeting::day_number;
use jiceng_domain::voice::Status;
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::HashMap;

pub const COLLECTED: &str = "voice.collected";
pub const SOLVED: &str = "voice.solved";
pub const CLOSE_DAYS: &str = "voice.close_days";
pub const RATED: &str = "voice.rated";
pub const SCORE: &str = "voice.score";
pub const ESCALATED: &str = "voice.escalated";
pub const MERGED: &str = "voice.merged";

/// What one problem's row adds to the figures of the month it was filed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts<'a> {
    pub filed_on: &'a str,
    pub status: &'a str,
    pub closed_on: Option<&'a str>,
    pub score: Option<i64>,
    pub escalated: bool,
}

/// (metric, value) for the problem: a merged duplicate counts only as merged (the problem it
/// joined carries the matter); any other is collected, and solved once 销号.
pub fn contribution(f: &Facts) -> Vec<(&'static str, i64)> {
    if f.status == Status::Merged.as_str() {
        return vec![(MERGED, 1)];
    }
    let mut out = vec![(COLLECTED, 1)];
    if f.status == Status::Closed.as_str() {
        out.push((SOLVED, 1));
        if let (Some(c), Ok(filed)) = (f.closed_on, day_number(f.filed_on))
            && let Ok(closed) = day_number(c)
        {
            out.push((CLOSE_DAYS, (closed - filed).max(0)));
        }
    }
    if let Some(s) = f.score {
        out.push((RATED, 1));
        out.push((SCORE, s));
    }
    if f.escalated {
        out.push((ESCALATED, 1));
    }
    out
}

/// Bumps the difference `after - before` (either may be absent) at the village and above.
pub(crate) async fn bump(
    conn: &mut AnyConnection,
    place_id: i64,
    before: Option<&Facts<'_>>,
    after: &Facts<'_>,
) -> StoreResult<()> {
    if delta(before, after).is_empty() {
        return Ok(());
    }
    let code: String = sqlx::query_scalar("SELECT code FROM places WHERE id = $1")
        .bind(place_id)
        .fetch_one(&mut *conn)
        .await?;
    bump_at(conn, &code, before, after).await
}

/// `bump` for the village coded `code`: every metric at the village and above in one statement.
pub(crate) async fn bump_at(
    conn: &mut AnyConnection,
    code: &str,
    before: Option<&Facts<'_>>,
    after: &Facts<'_>,
) -> StoreResult<()> {
    let metrics = delta(before, after);
    if metrics.is_empty() {
        return Ok(());
    }
    let month = after.filed_on.get(..7).unwrap_or(after.filed_on);
    bump_many(conn, code, month, &metrics).await
}

/// Appends `bump_at`'s statement to `sql` (see `rollups::push_bump_many`).
pub(crate) fn push_bump_at(
    sql: &mut Sql,
    code: &str,
    before: Option<&Facts<'_>>,
    after: &Facts<'_>,
    and: &str,
) -> bool {
    let metrics = delta(before, after);
    let month = after.filed_on.get(..7).unwrap_or(after.filed_on);
    push_bump_many(sql, code, month, &metrics, and)
}

/// The metrics that change from `before` to `after`, sorted, with their change.
fn delta(before: Option<&Facts<'_>>, after: &Facts<'_>) -> Vec<(&'static str, i64)> {
    let mut delta: HashMap<&'static str, i64> = HashMap::new();
    for (m, v) in contribution(after) {
        *delta.entry(m).or_default() += v;
    }
    for (m, v) in before.map(contribution).unwrap_or_default() {
        *delta.entry(m).or_default() -= v;
    }
    let mut metrics: Vec<_> = delta.into_iter().filter(|(_, v)| *v != 0).collect();
    metrics.sort();
    metrics
}

/// Recomputes every `voice.*` row from the problems (part of `rollup_rebuild`).
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> StoreResult<usize> {
    sqlx::query("DELETE FROM rollups WHERE metric LIKE 'voice.%'")
        .execute(&mut *conn)
        .await?;
    let ids: HashMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("SELECT code, id FROM places")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    type Row = (String, String, String, Option<String>, Option<i64>, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.code, pr.filed_on, pr.status, pr.closed_on, pr.score, pr.escalated \
         FROM problems pr JOIN places p ON p.id = pr.place_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut acc: HashMap<(i64, &'static str, String), i64> = HashMap::new();
    for (code, filed_on, status, closed_on, score, escalated) in &rows {
        let f = Facts {
            filed_on,
            status,
            closed_on: closed_on.as_deref(),
            score: *score,
            escalated: *escalated == 1,
        };
        let month = filed_on.get(..7).unwrap_or(filed_on).to_string();
        for c in lineage(code) {
            let Some(id) = ids.get(&c) else { continue };
            for (m, v) in contribution(&f) {
                *acc.entry((*id, m, month.clone())).or_default() += v;
            }
        }
    }
    let n = acc.len();
    let rows: Vec<_> = acc.into_iter().collect();
    for chunk in rows.chunks(100) {
        let mut sql = Sql::new("INSERT INTO rollups (place_id, metric, period, value) VALUES ");
        for (i, ((id, metric, period), value)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*id).push(", ").bind(*metric).push(", ");
            sql.bind(period.as_str()).push(", ").bind(*value).push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(n)
}

/// A place's problem-list figures for a period.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct VoiceRow {
    pub place_id: i64,
    pub name: String,
    pub kind: String,
    pub collected: i64,
    pub solved: i64,
    pub close_days: i64,
    pub rated: i64,
    pub score: i64,
    pub escalated: i64,
    pub merged: i64,
    /// Assigned and past their deadline on the day asked (a state, not a count of the period).
    pub overdue: i64,
}

impl VoiceRow {
    fn add(&mut self, metric: &str, n: i64) {
        match metric {
            COLLECTED => self.collected += n,
            SOLVED => self.solved += n,
            CLOSE_DAYS => self.close_days += n,
            RATED => self.rated += n,
            SCORE => self.score += n,
            ESCALATED => self.escalated += n,
            MERGED => self.merged += n,
            _ => {}
        }
    }

    /// Solved ÷ collected, in per mille (None with nothing collected).
    pub fn solve_per_mille(&self) -> Option<i64> {
        (self.collected > 0).then(|| self.solved * 1000 / self.collected)
    }

    /// Average days from filing to 销号, in tenths of a day.
    pub fn close_days_tenths(&self) -> Option<i64> {
        (self.solved > 0).then(|| self.close_days * 10 / self.solved)
    }

    /// Average rating (1–5), in tenths.
    pub fn score_tenths(&self) -> Option<i64> {
        (self.rated > 0).then(|| self.score * 10 / self.rated)
    }
}

/// The months figures are summed over: those of a period, or every month on record (累计,
/// such as a campaign that runs across the turn of a year).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Period(Period),
    All,
}

impl From<&Period> for Span {
    fn from(p: &Period) -> Self {
        Span::Period(*p)
    }
}

impl Store {
    /// The node's figures for `span` and a row per place directly below it, from the roll-ups.
    pub async fn voice_figures(
        &self,
        scope: &Scope,
        place_id: i64,
        span: impl Into<Span>,
    ) -> StoreResult<(VoiceRow, Vec<VoiceRow>)> {
        let node = self.place(scope, place_id).await?;
        let filter = crate::places::PlaceFilter {
            parent_id: Some(node.id),
            ..Default::default()
        };
        let (children, _) = self
            .places(scope, &filter, crate::sql::Page::new(None, Some(500)))
            .await?;
        let months: Vec<String> = match span.into() {
            Span::Period(period) => period
                .parts(Every::Month)
                .iter()
                .map(Period::label)
                .collect(),
            Span::All => Vec::new(),
        };
        // SUM of a BIGINT is NUMERIC on PostgreSQL, which the Any driver cannot read.
        let mut sql = Sql::new(
            "SELECT place_id, metric, CAST(SUM(value) AS BIGINT) FROM rollups WHERE place_id IN (",
        );
        sql.bind(node.id);
        for c in &children {
            sql.push(", ").bind(c.id);
        }
        sql.push(") AND metric LIKE 'voice.%'");
        // Every voice roll-up is a month's (`bump_at`); 累计 takes them all.
        for (i, m) in months.iter().enumerate() {
            sql.push(if i == 0 { " AND period IN (" } else { ", " })
                .bind(m.as_str());
        }
        if !months.is_empty() {
            sql.push(")");
        }
        sql.push(" GROUP BY place_id, metric");
        let sums: Vec<(i64, String, i64)> = sql.query_as().fetch_all(&self.reader).await?;
        let row = |p: &crate::places::Place| {
            let mut r = VoiceRow {
                place_id: p.id,
                name: p.name.clone(),
                kind: p.kind.clone(),
                ..Default::default()
            };
            for (_, metric, n) in sums.iter().filter(|(id, _, _)| *id == p.id) {
                r.add(metric, *n);
            }
            r
        };
        Ok((row(&node), children.iter().map(row).collect()))
    }

    /// `voice_figures`, with the problems overdue on `today` at the node and each place below
    /// (counted from the open problems' index on PostgreSQL, one grouped read).
    pub async fn voice_figures_on(
        &self,
        scope: &Scope,
        place_id: i64,
        span: impl Into<Span>,
        today: &str,
    ) -> StoreResult<(VoiceRow, Vec<VoiceRow>)> {
        let (mut node, mut children) = self.voice_figures(scope, place_id, span).await?;
        let place = self.place(scope, place_id).await?;
        let prefix = place.prefix();
        let codes: HashMap<i64, String> =
            sqlx::query_as::<_, (i64, String)>("SELECT id, code FROM places WHERE parent_id = $1")
                .bind(place.id)
                .fetch_all(&self.reader)
                .await?
                .into_iter()
                .collect();
        let below: Vec<(String, usize)> = children
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let code = codes.get(&c.place_id)?;
                let p = jiceng_domain::DivisionCode::parse(code)
                    .map(|d| d.subtree_prefix().to_string())
                    .unwrap_or_else(|_| code.clone());
                Some((p, i))
            })
            .collect();
        let len = below
            .iter()
            .map(|(p, _)| p.len())
            .min()
            .unwrap_or(prefix.len())
            .max(prefix.len());
        let (col, from) = match self.backend {
            Backend::Postgres => ("pr.place_code", " FROM problems pr WHERE "),
            Backend::Sqlite => (
                "p.code",
                " FROM problems pr JOIN places p ON p.id = pr.place_id WHERE ",
            ),
        };
        let mut sql = Sql::new(&format!("SELECT substr({col}, 1, {len}), COUNT(*){from}"));
        scope.predicate(&mut sql, col);
        sql.push(" AND ");
        Scope::prefix(prefix).predicate(&mut sql, col);
        sql.push(" AND pr.status NOT IN ('closed', 'merged') AND pr.status = 'assigned' AND pr.deadline < ")
            .bind(today)
            .push(" GROUP BY 1");
        let counts: Vec<(String, i64)> = sql
            .query_as()
            .persistent(self.backend != Backend::Postgres)
            .fetch_all(&self.reader)
            .await?;
        for (code, n) in counts {
            node.overdue += n;
            for (p, i) in &below {
                if code.starts_with(p.as_str())
                    && let Some(c) = children.get_mut(*i)
                {
                    c.overdue += n;
                }
            }
        }
        Ok((node, children))
    }

    /// Every non-zero `voice.*` roll-up row, sorted (rebuild == incremental in tests).
    pub async fn voice_snapshot(&self) -> StoreResult<Vec<(i64, String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT place_id, metric, period, value FROM rollups WHERE metric LIKE 'voice.%' \
             AND value <> 0 ORDER BY place_id, metric, period",
        )
        .fetch_all(&self.reader)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_counts_once_by_its_filing_month() {
        let open = Facts {
            filed_on: "2026-03-30",
            status: "assigned",
            ..Default::default()
        };
        assert_eq!(contribution(&open), vec![(COLLECTED, 1)]);
        let closed = Facts {
            status: "closed",
            closed_on: Some("2026-04-09"),
            score: Some(4),
            escalated: true,
            ..open.clone()
        };
        assert_eq!(
            contribution(&closed),
            vec![
                (COLLECTED, 1),
                (SOLVED, 1),
                (CLOSE_DAYS, 10),
                (RATED, 1),
                (SCORE, 4),
                (ESCALATED, 1)
            ]
        );
        let merged = Facts {
            status: "merged",
            ..open
        };
        assert_eq!(contribution(&merged), vec![(MERGED, 1)]);
    }
}
