//! Visits: who visited which household, when, how and what was raised. One rule (`check_visit`)
//! for the form and for the bulk import; the visit's roll-up bumped in its transaction.

use super::{MAX_RAISED_CHARS, MODES, figures, household_in, refuse, visitor_in};
use crate::audit::{self, Change};
use crate::error::StoreResult;
use crate::scope::Scope;
use crate::{Actor, Store};
use jiceng_domain::member::parse_date;
use serde::Serialize;

/// What the visit form gives.
#[derive(Debug, Clone, Default)]
pub struct NewVisit {
    pub household_id: i64,
    pub member_id: i64,
    pub visited_on: String,
    /// home | phone | online
    pub mode: String,
    pub raised: Option<String>,
    /// A matter raised that should go on the problem list, in the resident's words.
    pub raise_as_problem: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Visit {
    pub id: i64,
    pub household_id: i64,
    pub head_name: String,
    pub member_id: i64,
    pub member_name: String,
    pub visited_on: String,
    pub mode: String,
    pub raised: Option<String>,
    pub problem_id: Option<i64>,
}

pub(crate) const VISIT_COLS: &str = "v.id, v.household_id, h.head_name, v.member_id, m.name AS member_name, \
    v.visited_on, v.mode, v.raised, v.problem_id";
pub(crate) const VISIT_FROM: &str = " FROM household_visits v JOIN households h ON h.id = v.household_id \
    JOIN members m ON m.id = v.member_id JOIN places p ON p.id = h.place_id";

/// A visit's fields once checked: (date, mode, what was raised).
pub(crate) struct Checked {
    pub(crate) visited_on: String,
    pub(crate) mode: &'static str,
    pub(crate) raised: Option<String>,
}

/// The visit rules that need no database: a real date, not after `today`, not before the
/// household was on the register, not for a closed household; a known mode; a short note.
pub(crate) fn check_visit(
    since_on: &str,
    closed_on: Option<&str>,
    visited_on: &str,
    mode: &str,
    raised: Option<&str>,
    today: &str,
) -> StoreResult<Checked> {
    let on = parse_date(visited_on, "visited_on")?;
    if closed_on.is_some() {
        return Err(refuse(
            "household.closed",
            "该户已注销（迁出），不能再登记走访",
            "the household is closed: it takes no visits",
            "household_id",
        ));
    }
    if on.as_str() > today {
        return Err(refuse(
            "household.visit_future",
            "走访日期不能晚于今天",
            "a visit cannot be in the future",
            "visited_on",
        ));
    }
    if on.as_str() < since_on {
        return Err(refuse(
            "household.visit_before",
            "走访日期不能早于该户登记日期",
            "a visit cannot be before the household was registered",
            "visited_on",
        ));
    }
    let Some(mode) = MODES.iter().map(|(k, _)| *k).find(|k| *k == mode.trim()) else {
        return Err(refuse(
            "household.mode_invalid",
            "请选择走访方式：入户、电话或线上",
            "choose how: home, phone or online",
            "mode",
        ));
    };
    let raised = raised
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if raised
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_RAISED_CHARS)
    {
        return Err(refuse(
            "household.raised_too_long",
            "反映的事项不超过500字",
            "what was raised is at most 500 characters",
            "raised",
        ));
    }
    Ok(Checked {
        visited_on: on,
        mode,
        raised,
    })
}

impl Store {
    /// Records a visit (the household and the visitor within scope), bumps the visit figures and
    /// writes the audit entry in one transaction. With `raise_as_problem`, the matter goes on the
    /// problem list in the same transaction (`problem::raise`) and the visit is written linked to it.
    pub async fn record_visit(
        &self,
        actor: &Actor,
        scope: &Scope,
        n: &NewVisit,
        today: &str,
        now: i64,
    ) -> StoreResult<Visit> {
        let problem_text = n
            .raise_as_problem
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if problem_text.is_some_and(|t| t.chars().count() > crate::voice::MAX_TEXT_CHARS) {
            return Err(refuse(
                "problem.text_invalid",
                "转为问题清单的内容不超过2000字",
                "a problem is at most 2,000 characters",
                "raise_as_problem",
            ));
        }
        let mut tx = self.writer.begin().await?;
        let h = household_in(&mut tx, scope, n.household_id).await?;
        let c = check_visit(
            &h.since_on,
            h.closed_on.as_deref(),
            &n.visited_on,
            &n.mode,
            n.raised.as_deref(),
            today,
        )?;
        let member = visitor_in(&mut tx, scope, n.member_id).await?;
        let problem_id = match problem_text {
            Some(text) => {
                Some(super::problem::raise(self, &mut tx, actor, &h, text, today, now).await?)
            }
            None => None,
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO household_visits (household_id, member_id, visited_on, mode, raised, problem_id, \
             created_at) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
        )
        .bind(h.id)
        .bind(n.member_id)
        .bind(&c.visited_on)
        .bind(c.mode)
        .bind(&c.raised)
        .bind(problem_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        figures::visit_recorded(&mut tx, &h.place_code, c.mode, &c.visited_on, 1).await?;
        audit::commit(
            tx,
            actor,
            Change::new(
                "create",
                "household_visit",
                id,
                None,
                Some(serde_json::json!({"household_id": h.id, "member": member, "visited_on": c.visited_on,
                    "mode": c.mode, "raised": c.raised.is_some(), "problem_id": problem_id})),
            ),
            now,
        )
        .await?;
        self.visit(scope, id).await
    }

    pub async fn visit(&self, scope: &Scope, id: i64) -> StoreResult<Visit> {
        let mut sql =
            crate::sql::Sql::new(&format!("SELECT {VISIT_COLS}{VISIT_FROM} WHERE v.id = "));
        sql.bind(id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.query_as()
            .fetch_optional(&self.reader)
            .await?
            .ok_or(crate::StoreError::NotFound)
    }

    /// A household's visits, latest first.
    pub async fn household_visits(
        &self,
        scope: &Scope,
        household_id: i64,
        page: crate::sql::Page,
    ) -> StoreResult<(Vec<Visit>, i64)> {
        let mut sql = crate::sql::Sql::new(&format!("{VISIT_FROM} WHERE v.household_id = "));
        sql.bind(household_id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        Ok(sql
            .paged(
                VISIT_COLS,
                "ORDER BY v.visited_on DESC, v.id DESC",
                page,
                &self.reader,
            )
            .await?)
    }
}
