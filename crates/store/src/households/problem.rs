//! A matter raised on a visit goes on the problem list in one step. The problem list belongs to
//! `store::voice`; this is the one place that crosses over.
//!
//! Today the problem is filed through the public `Store::file_problem` AFTER the visit has
//! committed (voice offers no insert on a caller's connection yet), and the visit is then linked
//! to it by an UPDATE guarded on `problem_id IS NULL`, with its own audit entry. If filing fails,
//! the visit stands without a problem and the error is returned, so the caller can say so. Once
//! voice exposes a connection-level insert, `raise` becomes part of the visit's transaction and
//! this two-step shape goes away.

use super::{Household, refuse};
use crate::audit::{self, Change};
use crate::error::StoreResult;
use crate::voice::NewProblem;
use crate::{Actor, Store};

/// Files `text` as a problem of the household's village (source `visit`) and links visit
/// `visit_id` to it. Returns the problem's id.
pub(crate) async fn raise(
    store: &Store,
    actor: &Actor,
    h: &Household,
    visit_id: i64,
    text: &str,
    today: &str,
    now: i64,
) -> StoreResult<i64> {
    let village_id = village_of(store, h).await?;
    let (problem, _tracking) = store
        .file_problem(
            actor,
            &NewProblem {
                place_id: village_id,
                source: "visit".into(),
                category: None,
                body: text.to_string(),
                location: Some(format!("{}（{}户）", h.place_name, h.head_name)),
                contact: None,
            },
            today,
            now,
        )
        .await?;
    let mut tx = store.writer.begin().await?;
    let linked = sqlx::query(
        "UPDATE household_visits SET problem_id = $1 WHERE id = $2 AND problem_id IS NULL",
    )
    .bind(problem.id)
    .bind(visit_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if linked == 0 {
        return Err(refuse(
            "household.visit_linked",
            "该走访已转为问题清单事项",
            "the visit is linked to a problem already",
            "raise_as_problem",
        ));
    }
    audit::commit(
        tx,
        actor,
        Change::new(
            "link_problem",
            "household_visit",
            visit_id,
            None,
            Some(serde_json::json!({"problem_id": problem.id})),
        ),
        now,
    )
    .await?;
    Ok(problem.id)
}

/// The village or community a household belongs to (its grid's parent, or its own place).
async fn village_of(store: &Store, h: &Household) -> StoreResult<i64> {
    let (kind, parent): (String, Option<i64>) =
        sqlx::query_as("SELECT kind, parent_id FROM places WHERE id = $1")
            .bind(h.place_id)
            .fetch_one(&store.writer)
            .await?;
    Ok(match (kind.as_str(), parent) {
        ("grid", Some(p)) => p,
        _ => h.place_id,
    })
}
