//! Two-new coverage (两新覆盖): per place, units that qualify under each rule and those of them a
//! Party organisation covers (its own or a 联合党支部). Kept two ways:
//! - `current` roll-ups, changed by deltas in the same transaction as a unit or organisation
//!   change (`track` before, `shift` after), recomputed by `rollup_rebuild`;
//! - one row per closed month (`YYYY-MM`), computed from the dated records as they stood at the
//!   month's end (units by their founding date, organisations by theirs), so a chart shows the trend.

use crate::error::{StoreError, StoreResult};
use crate::rollups::{self, CURRENT, lineage};
use crate::scope::Scope;
use crate::sql::{Page, Sql};
use crate::{Actor, Store};
use jiceng_domain::coverage::{CoverageRule, in_force};
use sqlx::AnyConnection;
use std::collections::HashMap;

pub fn qualifying_metric(code: &str) -> String {
    format!("coverage.{code}.qualifying")
}

pub fn covered_metric(code: &str) -> String {
    format!("coverage.{code}.covered")
}

/// The Beijing-time day of `ms` (`YYYY-MM-DD`).
pub fn day_of(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8));
    let d = t.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The first instant (ms) and the date of the month after `YYYY-MM`, Beijing time.
pub fn month_end(period: &str) -> Option<(i64, String)> {
    let y: i32 = period.get(..4)?.parse().ok()?;
    let m: u8 = period.get(5..7)?.parse().ok()?;
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let month = time::Month::try_from(nm).ok()?;
    let d = time::Date::from_calendar_date(ny, month, 1).ok()?;
    let ms = d
        .midnight()
        .assume_offset(time::macros::offset!(+8))
        .unix_timestamp()
        * 1000;
    Some((ms, format!("{ny:04}-{nm:02}-01")))
}

/// The month after `YYYY-MM`.
fn next_month(period: &str) -> Option<String> {
    month_end(period).map(|(_, d)| d[..7].to_string())
}

/// A founding date as typed: blank is none; otherwise a real date, not after today.
pub(crate) fn founding_date(raw: Option<&str>, now: i64) -> StoreResult<Option<String>> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let d = jiceng_domain::member::parse_date(raw, "founded_on")?;
    if d > day_of(now) {
        return Err(jiceng_domain::DomainError::new(
            "founded_on.future",
            "成立日期不能晚于今天",
            "the founding date cannot be in the future",
        )
        .on("founded_on")
        .into());
    }
    Ok(Some(d))
}

/// A unit as coverage sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct UnitState {
    place_code: String,
    kind: String,
    above_size: i64,
    staff: i64,
    open: i64,
    covered: i64,
}

/// Units with their place and whether an open organisation covers them.
const STATE: &str = "SELECT u.id, p.code AS place_code, u.kind, u.above_size, u.staff, \
    CAST(CASE WHEN u.closed_at IS NULL THEN 1 ELSE 0 END AS BIGINT) AS open, \
    CAST(CASE WHEN EXISTS (SELECT 1 FROM org_units ou JOIN orgs o ON o.id = ou.org_id WHERE ou.unit_id = u.id \
    AND o.closed_at IS NULL) THEN 1 ELSE 0 END AS BIGINT) AS covered FROM units u JOIN places p ON p.id = u.place_id";

/// Appends the condition that organisation `o` existed at `at` (`None`: is open now).
fn org_alive(sql: &mut Sql, at: Option<(i64, &str)>) {
    match at {
        Some((ms, day)) => {
            sql.push("(o.closed_at IS NULL OR o.closed_at >= ")
                .bind(ms)
                .push(") AND (o.founded_on < ")
                .bind(day)
                .push(" OR (o.founded_on IS NULL AND o.created_at < ")
                .bind(ms)
                .push("))");
        }
        None => {
            sql.push("o.closed_at IS NULL");
        }
    }
}

/// Appends the condition that unit `u` existed at `at` (`None`: is open now).
fn unit_alive(sql: &mut Sql, at: Option<(i64, &str)>) {
    match at {
        Some((ms, day)) => {
            sql.push("(u.closed_at IS NULL OR u.closed_at >= ")
                .bind(ms)
                .push(") AND (u.founded_on < ")
                .bind(day)
                .push(" OR (u.founded_on IS NULL AND u.created_at < ")
                .bind(ms)
                .push("))");
        }
        None => {
            sql.push("u.closed_at IS NULL");
        }
    }
}

/// Appends a subquery giving the (first) organisation covering unit `u` at `at`.
fn covering_org(sql: &mut Sql, at: Option<(i64, &str)>) {
    sql.push(
        "SELECT o.id FROM org_units ou JOIN orgs o ON o.id = ou.org_id WHERE ou.unit_id = u.id AND ",
    );
    org_alive(sql, at);
    sql.push(" ORDER BY o.id LIMIT 1");
}

/// The rules of every code, newest last.
pub(crate) async fn rules(conn: &mut AnyConnection) -> StoreResult<Vec<CoverageRule>> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT rule_json FROM coverage_rules ORDER BY code, effective_from")
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|j| {
            serde_json::from_str(j).map_err(|e| StoreError::Internal(format!("coverage rule: {e}")))
        })
        .collect()
}

/// The rules that judge today's figures: the latest of each code.
fn latest(rules: &[CoverageRule]) -> Vec<&CoverageRule> {
    in_force(rules, "9999-12-31")
}

/// The units' states before a change (call inside the change's transaction).
pub(crate) async fn track(conn: &mut AnyConnection, ids: &[i64]) -> StoreResult<Vec<UnitState>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(STATE);
    sql.push(" WHERE u.id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
    Ok(sql.query_as().fetch_all(&mut *conn).await?)
}

/// After the change: takes out what the units counted before and adds what they count now.
pub(crate) async fn shift(
    conn: &mut AnyConnection,
    ids: &[i64],
    before: Vec<UnitState>,
) -> StoreResult<()> {
    let after = track(conn, ids).await?;
    let all = rules(conn).await?;
    let mut delta: HashMap<(String, String), i64> = HashMap::new();
    for (states, sign) in [(before, -1), (after, 1)] {
        for u in states.iter().filter(|u| u.open == 1) {
            for r in latest(&all) {
                if r.qualifies(&u.kind, u.above_size == 1, u.staff) {
                    *delta
                        .entry((u.place_code.clone(), qualifying_metric(&r.code)))
                        .or_default() += sign;
                    if u.covered == 1 {
                        *delta
                            .entry((u.place_code.clone(), covered_metric(&r.code)))
                            .or_default() += sign;
                    }
                }
            }
        }
    }
    for ((code, metric), d) in delta {
        rollups::bump(conn, &code, &metric, d).await?;
    }
    Ok(())
}

/// The units of one organisation (what its creation or closing changes).
pub(crate) async fn units_of(conn: &mut AnyConnection, org_id: i64) -> StoreResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT unit_id FROM org_units WHERE org_id = $1")
            .bind(org_id)
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// Every (place code, metric) a unit under `scope` counts for, from the records as they stand at
/// `at` (ms, and the same instant's date, because founding dates are days; `None`: now).
async fn unit_metrics(
    conn: &mut AnyConnection,
    rules: &[&CoverageRule],
    at: Option<(i64, &str)>,
    scope: &Scope,
) -> StoreResult<Vec<(String, String)>> {
    let mut sql = Sql::new(
        "SELECT u.id, p.code AS place_code, u.kind, u.above_size, u.staff, CAST(1 AS BIGINT) AS open, \
         CAST(CASE WHEN EXISTS (",
    );
    covering_org(&mut sql, at);
    sql.push(") THEN 1 ELSE 0 END AS BIGINT) AS covered FROM units u JOIN places p ON p.id = u.place_id WHERE ");
    unit_alive(&mut sql, at);
    sql.push(" AND ");
    scope.predicate(&mut sql, "p.code");
    let units: Vec<UnitState> = sql.query_as().fetch_all(&mut *conn).await?;
    let mut out = Vec::new();
    for u in units {
        for r in rules {
            if r.qualifies(&u.kind, u.above_size == 1, u.staff) {
                out.push((u.place_code.clone(), qualifying_metric(&r.code)));
                if u.covered == 1 {
                    out.push((u.place_code.clone(), covered_metric(&r.code)));
                }
            }
        }
    }
    Ok(out)
}

/// Counts per place code (every ancestor included) and metric.
async fn count_at(
    conn: &mut AnyConnection,
    rules: &[&CoverageRule],
    at: Option<(i64, &str)>,
) -> StoreResult<HashMap<(String, String), i64>> {
    let mut out: HashMap<(String, String), i64> = HashMap::new();
    for (code, metric) in unit_metrics(conn, rules, at, &Scope::All).await? {
        for c in lineage(&code) {
            *out.entry((c, metric.clone())).or_default() += 1;
        }
    }
    Ok(out)
}

/// The current coverage counts of everything under `prefix` (what a place move carries along).
pub(crate) async fn subtree_current(
    conn: &mut AnyConnection,
    prefix: &str,
) -> StoreResult<Vec<(String, i64)>> {
    let all = rules(conn).await?;
    let mut out: HashMap<String, i64> = HashMap::new();
    for (_, metric) in unit_metrics(conn, &latest(&all), None, &Scope::prefix(prefix)).await? {
        *out.entry(metric).or_default() += 1;
    }
    Ok(out.into_iter().collect())
}

/// Writes the counts as rows of `period`, replacing what the period held.
async fn write_period(
    conn: &mut AnyConnection,
    period: &str,
    counts: HashMap<(String, String), i64>,
    codes: &[String],
) -> StoreResult<usize> {
    let mut del = Sql::new("DELETE FROM rollups WHERE period = ");
    del.bind(period).push(" AND metric IN (");
    for (i, c) in codes.iter().enumerate() {
        if i > 0 {
            del.push(", ");
        }
        del.bind(qualifying_metric(c))
            .push(", ")
            .bind(covered_metric(c));
    }
    del.push(")");
    del.query().execute(&mut *conn).await?;
    // Only the places that have a figure, and the rows many at a time: a province has tens of
    // thousands of places, and a month is written for each of them.
    let codes: Vec<&String> = counts
        .keys()
        .map(|(c, _)| c)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut ids: HashMap<String, i64> = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let mut sql = Sql::new("SELECT code, id FROM places WHERE code IN (");
        for (i, c) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(c.as_str());
        }
        sql.push(")");
        let rows: Vec<(String, i64)> = sql.query_as().fetch_all(&mut *conn).await?;
        ids.extend(rows);
    }
    let rows: Vec<(i64, String, i64)> = counts
        .into_iter()
        .filter_map(|((code, metric), v)| ids.get(&code).map(|id| (*id, metric, v)))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        let mut sql = Sql::new("INSERT INTO rollups (place_id, metric, period, value) VALUES ");
        for (i, (id, metric, value)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*id)
                .push(", ")
                .bind(metric.as_str())
                .push(", ")
                .bind(period)
                .push(", ")
                .bind(*value)
                .push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(rows.len())
}

/// Rows per statement when writing a period (4 values each).
const CHUNK: usize = 100;

/// Recomputes the `current` coverage rows (part of `rollup_rebuild`).
pub(crate) async fn rebuild_current(conn: &mut AnyConnection) -> StoreResult<usize> {
    let all = rules(conn).await?;
    let now = latest(&all);
    let codes: Vec<String> = now.iter().map(|r| r.code.clone()).collect();
    let counts = count_at(conn, &now, None).await?;
    write_period(conn, CURRENT, counts, &codes).await
}

/// One point of a trend: a month (or `current`) with its two counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CoveragePoint {
    pub period: String,
    pub qualifying: i64,
    pub covered: i64,
}

/// One unit behind a figure, with the organisation covering it (if any) at the time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CoverageUnit {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub above_size: i64,
    pub staff: i64,
    pub place_name: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
}

impl Store {
    pub async fn coverage_rules(&self) -> StoreResult<Vec<CoverageRule>> {
        let mut conn = self.reader.acquire().await?;
        rules(&mut conn).await
    }

    pub(crate) async fn seed_coverage_rules(&self) -> StoreResult<()> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM coverage_rules")
            .fetch_one(&self.writer)
            .await?;
        if n > 0 {
            return Ok(());
        }
        for r in CoverageRule::defaults() {
            let json =
                serde_json::to_string(&r).map_err(|e| StoreError::Internal(e.to_string()))?;
            sqlx::query(
                "INSERT INTO coverage_rules (code, effective_from, rule_json, created_at) VALUES ($1, $2, $3, 0)",
            )
            .bind(&r.code)
            .bind(&r.effective_from)
            .bind(json)
            .execute(&self.writer)
            .await?;
        }
        Ok(())
    }

    /// Computes the month `period` (`YYYY-MM`) from the records as they stood at its end, judged by
    /// the rules in force then, and stores it. `end_ms` is the first instant of the next month and
    /// `end_day` its date (`YYYY-MM-DD`). Returns the rows written.
    pub async fn coverage_snapshot(
        &self,
        actor: &Actor,
        period: &str,
        end_ms: i64,
        end_day: &str,
        now: i64,
    ) -> StoreResult<usize> {
        let mut tx = self.writer.begin().await?;
        let all = rules(&mut tx).await?;
        // The day before `end_day` is the period's last: the rules in force on it judge it.
        let judged = in_force(&all, &format!("{period}-31"));
        let codes: Vec<String> = judged.iter().map(|r| r.code.clone()).collect();
        let counts = count_at(&mut tx, &judged, Some((end_ms, end_day))).await?;
        let n = write_period(&mut tx, period, counts, &codes).await?;
        crate::audit::commit(
            tx,
            actor,
            crate::audit::Change::new(
                "coverage_snapshot",
                "rollups",
                period,
                None,
                Some(serde_json::json!({"period": period, "rows": n})),
            ),
            now,
        )
        .await?;
        Ok(n)
    }

    /// Computes every closed month not yet stored (all of them with `redo`), from the month of the
    /// oldest unit (at most ten years back) to the month before `now`'s. Returns the months written.
    pub async fn coverage_catch_up(
        &self,
        actor: &Actor,
        now: i64,
        redo: bool,
    ) -> StoreResult<Vec<String>> {
        let this_month = day_of(now)[..7].to_string();
        let oldest: Option<String> =
            sqlx::query_scalar("SELECT MIN(COALESCE(founded_on, '9999')) FROM units")
                .fetch_one(&self.reader)
                .await?;
        let created: Option<i64> = sqlx::query_scalar("SELECT MIN(created_at) FROM units")
            .fetch_one(&self.reader)
            .await?;
        let mut start = match (oldest.filter(|o| o.as_str() < "9999"), created) {
            (Some(f), Some(c)) => f[..7].to_string().min(day_of(c)[..7].to_string()),
            (None, Some(c)) => day_of(c)[..7].to_string(),
            _ => return Ok(Vec::new()),
        };
        let limit = format!(
            "{:04}{}",
            this_month[..4].parse::<i32>().unwrap_or(2000) - 10,
            &this_month[4..]
        );
        if start < limit {
            start = limit;
        }
        let done = self.coverage_periods().await?;
        let mut written = Vec::new();
        let mut period = start;
        while period < this_month {
            if redo || !done.contains(&period) {
                let Some((ms, day)) = month_end(&period) else {
                    break;
                };
                self.coverage_snapshot(actor, &period, ms, &day, now)
                    .await?;
                written.push(period.clone());
            }
            let Some(next) = next_month(&period) else {
                break;
            };
            period = next;
        }
        Ok(written)
    }

    /// The months already computed (what a periodic task need not redo).
    pub async fn coverage_periods(&self) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT period FROM rollups WHERE metric LIKE 'coverage.%' AND period <> 'current' ORDER BY period",
        )
        .fetch_all(&self.reader)
        .await?)
    }

    /// The trend of one rule at one place (in scope): every stored month, then `current`.
    pub async fn coverage_trend(
        &self,
        scope: &Scope,
        place_id: i64,
        code: &str,
    ) -> StoreResult<Vec<CoveragePoint>> {
        self.place(scope, place_id).await?;
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT period, metric, value FROM rollups WHERE place_id = $1 AND metric IN ($2, $3) ORDER BY period",
        )
        .bind(place_id)
        .bind(qualifying_metric(code))
        .bind(covered_metric(code))
        .fetch_all(&self.reader)
        .await?;
        let mut points: Vec<CoveragePoint> = Vec::new();
        for (period, metric, value) in rows {
            if points.last().is_none_or(|p| p.period != period) {
                points.push(CoveragePoint {
                    period: period.clone(),
                    qualifying: 0,
                    covered: 0,
                });
            }
            if let Some(p) = points.last_mut() {
                if metric.ends_with(".qualifying") {
                    p.qualifying = value;
                } else {
                    p.covered = value;
                }
            }
        }
        // `current` sorts after every `YYYY-MM` already ('c' > '2'), so it is the last point.
        Ok(points)
    }

    /// The current figures of each open place directly under `parent_id` (in scope), by code.
    pub async fn coverage_children(
        &self,
        scope: &Scope,
        parent_id: i64,
        code: &str,
    ) -> StoreResult<Vec<(i64, String, i64, i64)>> {
        let mut sql = Sql::new(
            "SELECT p.id, p.name, COALESCE(c.value, 0), COALESCE(q.value, 0) FROM places p \
             LEFT JOIN rollups c ON c.place_id = p.id AND c.period = 'current' AND c.metric = ",
        );
        sql.bind(covered_metric(code))
            .push(" LEFT JOIN rollups q ON q.place_id = p.id AND q.period = 'current' AND q.metric = ")
            .bind(qualifying_metric(code))
            .push(" WHERE p.closed_at IS NULL AND p.parent_id = ")
            .bind(parent_id)
            .push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.push(" ORDER BY p.code");
        Ok(sql.query_as().fetch_all(&self.reader).await?)
    }

    /// The units behind a figure: those under `prefix` (in scope) that qualify under the rule, as
    /// they stood at `at` (`None`: now), covered or not; with the total for the pager.
    pub async fn coverage_units(
        &self,
        scope: &Scope,
        prefix: &str,
        code: &str,
        at: Option<(i64, &str)>,
        covered: Option<bool>,
        page: Page,
    ) -> StoreResult<(Vec<CoverageUnit>, i64)> {
        let mut conn = self.reader.acquire().await?;
        let all = rules(&mut conn).await?;
        let day = at.map_or("9999-12-31".to_string(), |(_, d)| d.to_string());
        let rule = in_force(&all, &day)
            .into_iter()
            .find(|r| r.code == code)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        let filter = |sql: &mut Sql| {
            sql.push(" FROM units u JOIN places p ON p.id = u.place_id WHERE ");
            unit_alive(sql, at);
            sql.push(" AND ");
            scope.predicate(sql, "p.code");
            sql.push(" AND ");
            Scope::prefix(prefix).predicate(sql, "p.code");
            sql.push(" AND u.kind IN (");
            for (i, k) in rule.kinds.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(k.as_str());
            }
            sql.push(") AND u.staff >= ").bind(rule.min_staff);
            if rule.above_size_only {
                sql.push(" AND u.above_size = 1");
            }
            if let Some(c) = covered {
                sql.push(if c {
                    " AND EXISTS ("
                } else {
                    " AND NOT EXISTS ("
                });
                covering_org(sql, at);
                sql.push(")");
            }
        };
        let mut count = Sql::new("SELECT COUNT(*)");
        filter(&mut count);
        let total: i64 = count.scalar().fetch_one(&mut *conn).await?;
        let mut sql =
            Sql::new("SELECT u.id, u.name, u.kind, u.above_size, u.staff, p.name AS place_name, (");
        covering_org(&mut sql, at);
        sql.push(") AS org_id, (SELECT x.name FROM orgs x WHERE x.id = (");
        covering_org(&mut sql, at);
        sql.push(")) AS org_name");
        filter(&mut sql);
        sql.push(" ORDER BY p.code, u.name, u.id");
        page.limit_offset(&mut sql);
        Ok((sql.query_as().fetch_all(&mut *conn).await?, total))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn month_ends_in_beijing_time() {
        // 2026-01-01 00:00 +08:00.
        assert_eq!(
            super::month_end("2025-12"),
            Some((1_767_196_800_000, "2026-01-01".to_string()))
        );
        assert_eq!(
            super::month_end("2024-02").map(|m| m.1),
            Some("2024-03-01".to_string())
        );
        assert_eq!(super::month_end("2024-13"), None);
        assert_eq!(super::next_month("2019-12").as_deref(), Some("2020-01"));
        assert_eq!(super::day_of(1_767_196_800_000), "2026-01-01");
        assert_eq!(super::day_of(1_767_196_799_999), "2025-12-31");
    }
}
