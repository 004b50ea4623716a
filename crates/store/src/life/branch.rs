//! One branch's 三会一课 in a chosen period (its own page, and the list of non-compliant branches
//! under a node), and the reminders of its work list: read from its valid meetings, judged by the
//! rule, and only over the requirement periods it owed (see the module's comment).

use super::{owes, owes_from, rule};
use crate::Store;
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use crate::sql::Sql;
use jiceng_domain::life::{self, Due, Judged, Period, holds_branch_life};
use jiceng_domain::meeting::MeetingKind;
use jiceng_domain::org::OrgKind;
use std::collections::HashMap;

/// A branch and the requirement periods it owed in the chosen period, each judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchLife {
    pub org_id: i64,
    pub org_name: String,
    pub place_id: i64,
    pub place_name: String,
    pub owed: Vec<Judged>,
}

impl BranchLife {
    /// Requirement periods owed and ended (judged).
    pub fn due(&self) -> usize {
        self.owed.iter().filter(|j| j.ended).count()
    }

    pub fn met(&self) -> usize {
        self.owed.iter().filter(|j| j.ended && j.due.met()).count()
    }

    pub fn missed(&self) -> Vec<&Judged> {
        self.owed.iter().filter(|j| j.missed()).collect()
    }

    /// Per mille over the ended periods (`None` before any has ended).
    pub fn rate(&self) -> Option<i64> {
        life::judged_rate(&self.owed)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct BranchRow {
    id: i64,
    name: String,
    kind: String,
    founded_on: Option<String>,
    closed_at: Option<i64>,
    created_at: i64,
    full_members: i64,
    place_id: i64,
    place_name: String,
}

/// Appends `o.kind IN (…the branch kinds…)`.
pub(crate) fn branch_kinds(sql: &mut Sql) {
    sql.push("o.kind IN (");
    let kinds: Vec<OrgKind> = OrgKind::ALL
        .into_iter()
        .filter(|k| holds_branch_life(*k))
        .collect();
    for (i, k) in kinds.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(k.as_str());
    }
    sql.push(")");
}

fn judged(
    b: BranchRow,
    held: &[(MeetingKind, String)],
    period: &Period,
    today: &str,
) -> StoreResult<BranchLife> {
    let from = owes_from(b.founded_on.as_deref(), b.created_at);
    let rule = rule().for_branch(u32::try_from(b.full_members).unwrap_or(0));
    let owed = life::judge(&rule, held, period, today)?
        .into_iter()
        .filter(|j| owes(&from, b.closed_at, &j.due.start))
        .collect();
    Ok(BranchLife {
        org_id: b.id,
        org_name: b.name,
        place_id: b.place_id,
        place_name: b.place_name,
        owed,
    })
}

const BRANCH_COLS: &str = "SELECT o.id, o.name, o.kind, o.founded_on, o.closed_at, o.created_at, \
    o.full_members, p.id AS place_id, p.name AS place_name FROM orgs o JOIN places p ON p.id = o.place_id WHERE ";

impl Store {
    /// The valid meetings of the Party's life an organisation held from `from` to `to`.
    async fn life_held(
        &self,
        org_id: i64,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<(MeetingKind, String)>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT kind, held_on FROM meetings WHERE org_id = $1 AND quorate = 1 \
             AND held_on >= $2 AND held_on <= $3 ORDER BY held_on",
        )
        .bind(org_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(k, d)| MeetingKind::parse(&k).map(|k| (k, d)))
            .collect())
    }

    /// One organisation's 三会一课 in `period` (in scope; a body that does not hold them owes
    /// nothing and says so by an empty `owed`).
    pub async fn org_life(
        &self,
        scope: &Scope,
        org_id: i64,
        period: &Period,
        today: &str,
    ) -> StoreResult<BranchLife> {
        let mut sql = Sql::new(BRANCH_COLS);
        sql.push("o.id = ").bind(org_id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        let b: BranchRow = sql
            .query_as()
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)?;
        if !OrgKind::parse(&b.kind).is_some_and(holds_branch_life) {
            return judged(b, &[], period, today).map(|mut l| {
                l.owed.clear();
                l
            });
        }
        let (first, last) = period.days();
        let held = self.life_held(b.id, &first, &last).await?;
        judged(b, &held, period, today)
    }

    /// The branches under `prefix` (in scope) that owed anything in `period`, each judged; only
    /// those that missed something when `missed_only`. `None` when the subtree holds more than
    /// `cap` branches: a list that long is read a level further down.
    pub async fn life_branches(
        &self,
        scope: &Scope,
        prefix: &str,
        period: &Period,
        today: &str,
        missed_only: bool,
        cap: usize,
    ) -> StoreResult<Option<Vec<BranchLife>>> {
        let (first, last) = period.days();
        let filter = |sql: &mut Sql| {
            branch_kinds(sql);
            sql.push(" AND ");
            scope.predicate(sql, "p.code");
            sql.push(" AND ");
            Scope::prefix(prefix).predicate(sql, "p.code");
            // Existed at some point of the period (the exact periods owed are sorted out below).
            sql.push(" AND (o.closed_at IS NULL OR o.closed_at >= ")
                .bind(super::day_start_ms(&first))
                .push(")");
        };
        let mut sql = Sql::new(BRANCH_COLS);
        filter(&mut sql);
        sql.push(" ORDER BY p.code, o.name, o.id LIMIT ")
            .bind(cap as i64 + 1);
        let branches: Vec<BranchRow> = sql.query_as().fetch_all(&self.reader).await?;
        if branches.len() > cap {
            return Ok(None);
        }
        let mut sql = Sql::new(
            "SELECT mt.org_id, mt.kind, mt.held_on FROM meetings mt JOIN orgs o ON o.id = mt.org_id \
             JOIN places p ON p.id = o.place_id WHERE mt.quorate = 1 AND mt.held_on >= ",
        );
        sql.bind(first.as_str())
            .push(" AND mt.held_on <= ")
            .bind(last)
            .push(" AND ");
        filter(&mut sql);
        let rows: Vec<(i64, String, String)> = sql.query_as().fetch_all(&self.reader).await?;
        let mut held: HashMap<i64, Vec<(MeetingKind, String)>> = HashMap::new();
        for (org, kind, day) in rows {
            if let Some(k) = MeetingKind::parse(&kind) {
                held.entry(org).or_default().push((k, day));
            }
        }
        let mut out = Vec::new();
        for b in branches {
            let h = held.remove(&b.id).unwrap_or_default();
            let l = judged(b, &h, period, today)?;
            if !l.owed.is_empty() && (!missed_only || !l.missed().is_empty()) {
                out.push(l);
            }
        }
        Ok(Some(out))
    }

    /// The requirements of a branch whose current period ends within a week, not met yet (for
    /// its work list); nothing for an organisation that does not hold 三会一课 or did not owe it.
    pub async fn life_reminders(
        &self,
        scope: &Scope,
        org_id: i64,
        today: &str,
    ) -> StoreResult<Vec<Due>> {
        let org = self.org(scope, org_id).await?;
        if !org.kind().is_some_and(holds_branch_life) || org.closed_at.is_some() {
            return Ok(Vec::new());
        }
        // A year back reaches the start of every period that can be running today.
        let from = Period::of(life::Every::Year, today)?.days().0;
        let held = self.life_held(org.id, &from, today).await?;
        let owed_from = owes_from(org.founded_on.as_deref(), org.created_at);
        let full: i64 = sqlx::query_scalar("SELECT full_members FROM orgs WHERE id = $1")
            .bind(org.id)
            .fetch_one(&self.reader)
            .await?;
        let rule = rule().for_branch(u32::try_from(full).unwrap_or(0));
        Ok(life::reminders(&rule, &held, today)?
            .into_iter()
            .filter(|d| owed_from <= d.start)
            .collect())
    }
}
