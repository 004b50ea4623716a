//! Organisational life figures (issue 6): 三会一课 compliance per branch and per node of the tree.
//!
//! Kept as roll-ups (place × metric × period), bumped in the transaction that records the meeting
//! or the observation, carried along when an organisation or a place moves, and recomputed by
//! `rollup_rebuild`:
//! - `life.held.<kind>`, per month (`YYYY-MM`): valid meetings of the Party's life held;
//! - `life.met.<kind>`, per requirement period (`YYYY-MM`, `YYYY-Qn`, `YYYY`): branches whose
//!   valid meetings of that kind reached the requirement in that period;
//! - `life.observed`, per month: red observers' records of the meetings held that month.
//!
//! What is *required* is not kept. A branch owes a requirement period when it existed on the
//! period's first day (founded by then, or, its founding date unknown, entered into jiceng by
//! then) and had not been closed before it: one founded mid-period owes from the next period, one
//! closed mid-period still owes the period it began. A branch that holds nothing writes nothing,
//! so keeping "required" as a roll-up would need a writer for every branch and period (a province:
//! ~100,000 branches × 7 requirements, monthly, by a timer) and a rewrite of past periods whenever
//! a branch is entered with an earlier founding date. Counting it when a page is read is one
//! aggregate over the organisations of the subtree (an index range on the place codes, no meeting
//! read: a few hundred rows for a town, some tens of thousands for a province), one
//! `SUM(CASE …)` per period start in the chosen period (at most 12), grouped by child place
//! (`figures.rs`). The heavy side, the meetings (30 and more per branch per year), is the roll-up.

mod branch;
pub(crate) mod committee;
mod figures;
mod lapse;

pub use branch::BranchLife;
pub use figures::{LifeFigures, LifeRow};
pub use lapse::LifeLapse;

use crate::error::StoreResult;
use crate::rollups::{bump_period, lineage};
use jiceng_domain::life::{LifeRule, Period, holds_branch_life};
use jiceng_domain::meeting::MeetingKind;
use jiceng_domain::org::OrgKind;
use sqlx::AnyConnection;
use std::collections::HashMap;

pub const OBSERVED: &str = "life.observed";

pub fn held_metric(kind: MeetingKind) -> String {
    format!("life.held.{}", kind.as_str())
}

pub fn met_metric(kind: MeetingKind) -> String {
    format!("life.met.{}", kind.as_str())
}

/// The rule the figures judge by (one today; a later rule would be chosen by its date here).
pub fn rule() -> LifeRule {
    LifeRule::cpc_2018()
}

/// The day from which a branch owes: its founding date, else the day it was entered.
pub(crate) fn owes_from(founded_on: Option<&str>, created_at: i64) -> String {
    founded_on.map_or_else(|| crate::coverage::day_of(created_at), str::to_string)
}

/// The first instant (ms, Beijing time) of a day `YYYY-MM-DD`.
pub(crate) fn day_start_ms(day: &str) -> i64 {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(day, &f).map_or(0, |d| {
        d.midnight()
            .assume_offset(time::macros::offset!(+8))
            .unix_timestamp()
            * 1000
    })
}

/// Whether an organisation owes a requirement period beginning on `start`.
pub(crate) fn owes(owes_from: &str, closed_at: Option<i64>, start: &str) -> bool {
    owes_from <= start && closed_at.is_none_or(|c| c >= day_start_ms(start))
}

/// An organisation as the figures see it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct OrgRow {
    id: i64,
    kind: String,
    founded_on: Option<String>,
    created_at: i64,
    code: String,
}

impl OrgRow {
    fn branch(&self) -> bool {
        OrgKind::parse(&self.kind).is_some_and(holds_branch_life)
    }
}

const ORG_ROW: &str = "SELECT o.id, o.kind, o.founded_on, o.created_at, p.code FROM orgs o \
    JOIN places p ON p.id = o.place_id";

async fn org_row(conn: &mut AnyConnection, org_id: i64) -> StoreResult<Option<OrgRow>> {
    let sql = format!("{ORG_ROW} WHERE o.id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// Called in the transaction that has just written a meeting (whoever records it: a branch's
/// own meetings, the 支委会 of the village side): counts it where its organisation sits, and
/// when it brings a branch's meetings of its kind up to what a requirement period asks, counts
/// the period met. Meetings are never deleted and their quorum never changes, so reaching the
/// number exactly is when it becomes met.
pub async fn meeting_recorded(
    conn: &mut AnyConnection,
    org_id: i64,
    kind: &str,
    held_on: &str,
    quorate: bool,
) -> StoreResult<()> {
    let Some(kind) = MeetingKind::parse(kind).filter(|k| k.is_party_life()) else {
        return Ok(());
    };
    let (Some(org), Some(month), true) = (org_row(conn, org_id).await?, held_on.get(..7), quorate)
    else {
        return Ok(());
    };
    bump_period(conn, &org.code, &held_metric(kind), month, 1).await?;
    if !org.branch() {
        return Ok(());
    }
    let from = owes_from(org.founded_on.as_deref(), org.created_at);
    for req in rule().requirements.iter().filter(|r| r.kind == kind) {
        let p = Period::of(req.every, held_on)?;
        let (start, end) = p.days();
        if start < from {
            continue;
        }
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM meetings WHERE org_id = $1 AND kind = $2 AND quorate = 1 \
             AND held_on >= $3 AND held_on <= $4",
        )
        .bind(org.id)
        .bind(kind.as_str())
        .bind(&start)
        .bind(&end)
        .fetch_one(&mut *conn)
        .await?;
        if n == i64::from(req.times) {
            bump_period(conn, &org.code, &met_metric(kind), &p.label(), 1).await?;
        }
    }
    Ok(())
}

/// Called in the transaction that has just recorded an observation of a meeting.
pub(crate) async fn observation_recorded(
    conn: &mut AnyConnection,
    org_id: i64,
    held_on: &str,
) -> StoreResult<()> {
    if let (Some(org), Some(month)) = (org_row(conn, org_id).await?, held_on.get(..7)) {
        bump_period(conn, &org.code, OBSERVED, month, 1).await?;
    }
    Ok(())
}

/// Figures as (metric, period, value).
type Figures = Vec<(String, String, i64)>;

/// Every figure the organisations `only` (all when `None`) add, by organisation.
async fn contributions(
    conn: &mut AnyConnection,
    only: Option<&[i64]>,
) -> StoreResult<HashMap<i64, (OrgRow, Figures)>> {
    // Integer literals: the ids are our own i64s.
    let list = only.map(|ids| {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        if ids.is_empty() {
            "NULL".to_string()
        } else {
            ids.join(", ")
        }
    });
    let filter = |col: &str| {
        list.as_ref()
            .map_or(String::new(), |l| format!(" AND {col} IN ({l})"))
    };
    let orgs: Vec<OrgRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ORG_ROW} WHERE 1=1{}",
        filter("o.id")
    )))
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<i64, (OrgRow, Figures)> =
        orgs.into_iter().map(|o| (o.id, (o, Vec::new()))).collect();
    // Months as counts per organisation and kind: a period's count is the sum of its months.
    let months: Vec<(i64, String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT org_id, kind, SUBSTR(held_on, 1, 7), COUNT(*) FROM meetings WHERE quorate = 1{} \
         GROUP BY org_id, kind, SUBSTR(held_on, 1, 7)",
        filter("org_id")
    )))
    .fetch_all(&mut *conn)
    .await?;
    let mut per_period: HashMap<(i64, MeetingKind, Period), i64> = HashMap::new();
    let rule = rule();
    for (org_id, kind, month, n) in months {
        let (Some(kind), Some((org, figures))) = (
            MeetingKind::parse(&kind).filter(|k| k.is_party_life()),
            out.get_mut(&org_id),
        ) else {
            continue;
        };
        figures.push((held_metric(kind), month.clone(), n));
        if !org.branch() {
            continue;
        }
        for req in rule.requirements.iter().filter(|r| r.kind == kind) {
            let p = Period::of(req.every, &format!("{month}-01"))?;
            *per_period.entry((org_id, kind, p)).or_default() += n;
        }
    }
    for ((org_id, kind, p), n) in per_period {
        let times = rule
            .requirements
            .iter()
            .find(|r| r.kind == kind && r.every == p.every)
            .map_or(1, |r| i64::from(r.times));
        if let Some((org, figures)) = out.get_mut(&org_id) {
            let from = owes_from(org.founded_on.as_deref(), org.created_at);
            if n >= times && p.days().0 >= from {
                figures.push((met_metric(kind), p.label(), 1));
            }
        }
    }
    let observed: Vec<(i64, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT mt.org_id, SUBSTR(mt.held_on, 1, 7), COUNT(*) FROM observations ob \
         JOIN meetings mt ON mt.id = ob.meeting_id WHERE 1=1{} GROUP BY mt.org_id, SUBSTR(mt.held_on, 1, 7)",
        filter("mt.org_id")
    )))
    .fetch_all(&mut *conn)
    .await?;
    for (org_id, month, n) in observed {
        if let Some((_, figures)) = out.get_mut(&org_id) {
            figures.push((OBSERVED.to_string(), month, n));
        }
    }
    Ok(out)
}

/// Called in the transaction that moves an organisation to another place: its figures leave the
/// old place's line of ancestors and join the new one's.
pub(crate) async fn carry_org(
    conn: &mut AnyConnection,
    org_id: i64,
    from_code: &str,
    to_code: &str,
) -> StoreResult<()> {
    if from_code == to_code {
        return Ok(());
    }
    let figures = contributions(conn, Some(&[org_id])).await?;
    for (_, rows) in figures.values() {
        for (metric, period, n) in rows {
            bump_period(conn, from_code, metric, period, -n).await?;
            bump_period(conn, to_code, metric, period, *n).await?;
        }
    }
    Ok(())
}

/// Called in the transaction that moves a place under another parent: the place's own per-period
/// rows (every prefix in `period_rollups::PERIOD_PREFIXES`, its whole subtree) leave the old
/// parent's ancestors and join the new parent's.
pub(crate) async fn carry_place(
    conn: &mut AnyConnection,
    place_id: i64,
    old_parent_id: Option<i64>,
    new_parent_code: &str,
) -> StoreResult<()> {
    let old_parent_code: Option<String> = match old_parent_id {
        Some(p) => {
            sqlx::query_scalar("SELECT code FROM places WHERE id = $1")
                .bind(p)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => None,
    };
    let mut sql =
        crate::sql::Sql::new("SELECT metric, period, value FROM rollups WHERE place_id = ");
    sql.bind(place_id).push(" AND value <> 0 AND ");
    crate::period_rollups::any_period_metric(&mut sql);
    let rows: Vec<(String, String, i64)> = sql.query_as().fetch_all(&mut *conn).await?;
    for (metric, period, n) in rows {
        if let Some(old) = &old_parent_code {
            bump_period(conn, old, &metric, &period, -n).await?;
        }
        bump_period(conn, new_parent_code, &metric, &period, n).await?;
    }
    Ok(())
}

/// The figures of these organisations as they stand (taken before and after a batch of meetings).
pub(crate) struct Taken(HashMap<i64, (OrgRow, Figures)>);

pub(crate) async fn take(conn: &mut AnyConnection, orgs: &[i64]) -> StoreResult<Taken> {
    Ok(Taken(contributions(conn, Some(orgs)).await?))
}

/// Brings the `life.*` roll-ups from `before` to `after` (the same organisations, before and
/// after a batch of meetings was written in this transaction): each difference added to the
/// organisation's place and its ancestors, in multi-row statements. What `meeting_recorded`
/// does one meeting at a time, for a batch, by the definition `rebuild` uses.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    before: &Taken,
    after: &Taken,
) -> StoreResult<()> {
    let places: Vec<(String, i64)> = sqlx::query_as("SELECT code, id FROM places")
        .fetch_all(&mut *conn)
        .await?;
    let id_of: HashMap<String, i64> = places.into_iter().collect();
    let mut acc: HashMap<(i64, String, String), i64> = HashMap::new();
    for (taken, sign) in [(after, 1), (before, -1)] {
        for (org, rows) in taken.0.values() {
            for c in lineage(&org.code) {
                let Some(id) = id_of.get(&c) else { continue };
                for (metric, period, n) in rows {
                    *acc.entry((*id, metric.clone(), period.clone()))
                        .or_default() += sign * n;
                }
            }
        }
    }
    let rows: Vec<_> = acc.into_iter().filter(|(_, v)| *v != 0).collect();
    for chunk in rows.chunks(200) {
        let mut sql =
            crate::sql::Sql::new("INSERT INTO rollups (place_id, metric, period, value) VALUES ");
        for (i, ((id, metric, period), value)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*id)
                .push(", ")
                .bind(metric.as_str())
                .push(", ")
                .bind(period.as_str())
                .push(", ")
                .bind(*value)
                .push(")");
        }
        sql.push(
            " ON CONFLICT (place_id, metric, period) DO UPDATE SET value = rollups.value + excluded.value",
        );
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Recomputes every `life.*` row from the records (part of `rollup_rebuild`). Returns rows written.
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> StoreResult<usize> {
    sqlx::query("DELETE FROM rollups WHERE metric LIKE 'life.%'")
        .execute(&mut *conn)
        .await?;
    let places: Vec<(String, i64)> = sqlx::query_as("SELECT code, id FROM places")
        .fetch_all(&mut *conn)
        .await?;
    let id_of: HashMap<String, i64> = places.into_iter().collect();
    let mut acc: HashMap<(i64, String, String), i64> = HashMap::new();
    for (org, rows) in contributions(conn, None).await?.into_values() {
        for c in lineage(&org.code) {
            let Some(id) = id_of.get(&c) else { continue };
            for (metric, period, n) in &rows {
                *acc.entry((*id, metric.clone(), period.clone()))
                    .or_default() += n;
            }
        }
    }
    let rows: Vec<_> = acc.into_iter().filter(|(_, v)| *v != 0).collect();
    for chunk in rows.chunks(100) {
        let mut sql =
            crate::sql::Sql::new("INSERT INTO rollups (place_id, metric, period, value) VALUES ");
        for (i, ((id, metric, period), value)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*id)
                .push(", ")
                .bind(metric.as_str())
                .push(", ")
                .bind(period.as_str())
                .push(", ")
                .bind(*value)
                .push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(rows.len())
}

impl crate::Store {
    /// Every non-zero `life.*` roll-up row, sorted: what a test compares before and after rebuild.
    pub async fn life_snapshot(&self) -> StoreResult<Vec<(i64, String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT place_id, metric, period, value FROM rollups WHERE metric LIKE 'life.%' \
             AND value <> 0 ORDER BY place_id, metric, period",
        )
        .fetch_all(&self.reader)
        .await?)
    }
}

impl crate::Store {
    /// The meetings a member (in scope) should attend: those whose roll lists them, and those of
    /// their organisation still to come; latest first.
    pub async fn member_meetings(
        &self,
        scope: &crate::Scope,
        member_id: i64,
        today: &str,
    ) -> StoreResult<Vec<crate::meetings::Meeting>> {
        let member = self.member(scope, member_id).await?;
        let rolls: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT a.meeting_id, mt.org_id FROM meeting_attendance a JOIN meetings mt ON mt.id = a.meeting_id \
             WHERE a.member_id = $1",
        )
        .bind(member.id)
        .fetch_all(&self.reader)
        .await?;
        let on_roll: std::collections::HashSet<i64> = rolls.iter().map(|(m, _)| *m).collect();
        let orgs: std::collections::BTreeSet<i64> = rolls
            .iter()
            .map(|(_, o)| *o)
            .chain([member.org_id])
            .collect();
        let mut out = Vec::new();
        for org in orgs {
            out.extend(self.meetings(scope, org).await?.into_iter().filter(|m| {
                on_roll.contains(&m.id)
                    || (m.org_id == member.org_id && m.held_on.as_str() >= today)
            }));
        }
        out.sort_by(|a, b| b.held_on.cmp(&a.held_on).then(b.id.cmp(&a.id)));
        Ok(out)
    }
}

impl crate::Store {
    /// When each meeting's record last changed (ms), for calendar feeds; meetings out of scope
    /// are left out.
    pub async fn meeting_stamps(
        &self,
        scope: &crate::Scope,
        ids: &[i64],
    ) -> StoreResult<HashMap<i64, i64>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut sql = crate::sql::Sql::new(
                "SELECT mt.id, mt.updated_at FROM meetings mt JOIN orgs o ON o.id = mt.org_id \
                 JOIN places p ON p.id = o.place_id WHERE ",
            );
            scope.predicate(&mut sql, "p.code");
            sql.push(" AND mt.id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(*id);
            }
            sql.push(")");
            let rows: Vec<(i64, i64)> = sql.query_as().fetch_all(&self.reader).await?;
            out.extend(rows);
        }
        Ok(out)
    }
}
