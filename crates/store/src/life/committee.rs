//! Whether a branch has a 支部委员会 (《中国共产党支部工作条例（试行）》第十条: 7 full members or
//! more), and so owes a 支委会 every month.
//!
//! The count is `orgs.full_members`, the organisation's current full members, kept by every
//! writer of a member's status or organisation in its own transaction (a recount of the few
//! organisations it touched, through the `members(org_id)` index; the roster import adds the
//! full members it wrote) and recomputed by
//! `rollup_rebuild`. Counting at read time would be cheap for one branch or a town's list, but a
//! province node holds ~100,000 branches and ~4.5 million members: its figures would read every
//! member for one number per branch. With the column they stay one pass over the organisations.
//!
//! Limit: a branch is judged by its register as it stands, not as it stood on each period's
//! first day (the register keeps no history of statuses beyond the dates of joining and of full
//! membership). A branch that reaches 7 full members this month owes the 支委会 in the earlier
//! periods shown too, and one that fell below 7 owes it in none; the branch page, the list of
//! branches that missed something and the node's figures judge alike, so they agree.

use super::branch::branch_kinds;
use super::figures::key_len;
use super::{met_metric, owes_from, rule};
use crate::Store;
use crate::error::StoreResult;
use crate::places::Place;
use crate::scope::Scope;
use crate::sql::Sql;
use jiceng_domain::life::Period;
use sqlx::AnyConnection;
use std::collections::HashMap;

const RECOUNT: &str = "UPDATE orgs SET full_members = (SELECT COUNT(*) FROM members m \
    WHERE m.org_id = orgs.id AND m.status = 'full')";

/// Recounts the full members of these organisations (called after a write that may have
/// changed them).
pub(crate) async fn recount(conn: &mut AnyConnection, org_ids: &[i64]) -> StoreResult<()> {
    // Integer literals, not parameters: ids are our own i64s and a batch has no length limit.
    for chunk in org_ids.chunks(500) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let text = format!("{RECOUNT} WHERE id IN ({})", list.join(", "));
        sqlx::query(sqlx::AssertSqlSafe(text))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Adds full members that a write has just registered (`(organisation, how many)`): the roster
/// import knows them, and a recount would read every member of the organisation again (a
/// quarter of a second for 200,000 members just written).
pub(crate) async fn add_full(conn: &mut AnyConnection, added: &[(i64, i64)]) -> StoreResult<()> {
    // Integer literals, not parameters, as in `recount`.
    for chunk in added.chunks(500) {
        let cases: String = chunk
            .iter()
            .map(|(org, n)| format!(" WHEN {org} THEN {n}"))
            .collect();
        let ids: Vec<String> = chunk.iter().map(|(org, _)| org.to_string()).collect();
        let text = format!(
            "UPDATE orgs SET full_members = full_members + CASE id{cases} END WHERE id IN ({})",
            ids.join(", ")
        );
        sqlx::query(sqlx::AssertSqlSafe(text))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Recounts the organisation a member is registered with now.
pub(crate) async fn recount_member(conn: &mut AnyConnection, member_id: i64) -> StoreResult<()> {
    let text = format!("{RECOUNT} WHERE id = (SELECT org_id FROM members WHERE id = $1)");
    sqlx::query(sqlx::AssertSqlSafe(text))
        .bind(member_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Recounts every organisation (part of `rollup_rebuild`).
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> StoreResult<()> {
    sqlx::query(RECOUNT).execute(&mut *conn).await?;
    Ok(())
}

/// Roll-up deltas keyed by the code prefix of the place under the node: (metric, period) → n.
type ByKey = HashMap<String, HashMap<(String, String), i64>>;

impl Store {
    /// For each requirement asked only of branches of a size: the branches under `node` (in
    /// scope) below that size that reached it anyway in a requirement period inside `period`, as
    /// the `life.met.*` roll-up counted them (a period begun after the day the branch owes
    /// from), keyed like `owing` by the place directly under the node they sit under.
    pub(super) async fn unowed_met(
        &self,
        scope: &Scope,
        node: &Place,
        children: &[Place],
        period: &Period,
    ) -> StoreResult<ByKey> {
        let len = key_len(node, children);
        let (first, last) = period.days();
        let mut out: ByKey = HashMap::new();
        for req in &rule().requirements {
            let Some(min) = req.min_full_members else {
                continue;
            };
            if period.parts(req.every).is_empty() {
                continue;
            }
            // `len` is computed here, not input (as in `owing`).
            let mut sql = Sql::new(&format!(
                "SELECT o.id, SUBSTR(p.code, 1, {len}), o.founded_on, o.created_at, mt.held_on \
                 FROM orgs o JOIN places p ON p.id = o.place_id JOIN meetings mt ON mt.org_id = o.id WHERE "
            ));
            branch_kinds(&mut sql);
            sql.push(" AND o.full_members < ")
                .bind(i64::from(min))
                .push(" AND mt.kind = ")
                .bind(req.kind.as_str())
                .push(" AND mt.quorate = 1 AND mt.held_on >= ")
                .bind(first.as_str())
                .push(" AND mt.held_on <= ")
                .bind(last.as_str())
                .push(" AND ");
            scope.predicate(&mut sql, "p.code");
            sql.push(" AND ");
            node.scope().predicate(&mut sql, "p.code");
            let rows: Vec<(i64, String, Option<String>, i64, String)> =
                sql.query_as().fetch_all(&self.reader).await?;
            let mut held: HashMap<(i64, Period), (String, String, i64)> = HashMap::new();
            for (org, key, founded_on, created_at, day) in rows {
                let p = Period::of(req.every, &day)?;
                held.entry((org, p))
                    .or_insert_with(|| (key, owes_from(founded_on.as_deref(), created_at), 0))
                    .2 += 1;
            }
            for ((_, p), (key, from, n)) in held {
                if n >= i64::from(req.times) && p.days().0 >= from {
                    *out.entry(key)
                        .or_default()
                        .entry((met_metric(req.kind), p.label()))
                        .or_default() += 1;
                }
            }
        }
        Ok(out)
    }
}
