//! A matter raised on a visit goes on the problem list in one step. The problem list belongs to
//! `store::voice`; this is the one place that crosses over: the problem is written by
//! `voice::insert_problem` on the visit's own transaction, so the visit and its problem are
//! recorded together or not at all.

use super::Household;
use crate::error::StoreResult;
use crate::voice::{NewProblem, insert_problem, village_for_problem};
use crate::{Actor, Store};
use sqlx::AnyConnection;

/// Files `text` as a problem of the household's village (source `visit`) on `tx`, the visit's
/// transaction. Returns the problem's id, which the visit is written with.
pub(crate) async fn raise(
    store: &Store,
    tx: &mut AnyConnection,
    actor: &Actor,
    h: &Household,
    text: &str,
    today: &str,
    now: i64,
) -> StoreResult<i64> {
    let village_id = village_of(tx, h).await?;
    let village = village_for_problem(tx, village_id).await?;
    let p = store.prepare_problem(
        &NewProblem {
            place_id: village.id,
            source: "visit".into(),
            category: None,
            body: text.to_string(),
            location: Some(format!("{}（{}户）", h.place_name, h.head_name)),
            contact: None,
        },
        None,
    )?;
    insert_problem(tx, store.backend, actor, &village, &p, today, now).await
}

/// The village or community a household belongs to (its grid's parent, or its own place).
async fn village_of(tx: &mut AnyConnection, h: &Household) -> StoreResult<i64> {
    let (kind, parent): (String, Option<i64>) =
        sqlx::query_as("SELECT kind, parent_id FROM places WHERE id = $1")
            .bind(h.place_id)
            .fetch_one(&mut *tx)
            .await?;
    Ok(match (kind.as_str(), parent) {
        ("grid", Some(p)) => p,
        _ => h.place_id,
    })
}
