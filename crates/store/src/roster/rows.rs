//! The roster import's rows: checked by the member form's rules, sealed into a batch's bound
//! values, and inserted a batch (at most `roster::BATCH_ROWS`) per statement.

use crate::Backend;
use crate::error::{StoreError, StoreResult};
use crate::members::{self, MemberInput, non_empty};
use crate::seal::Sealer;
use sqlx::any::AnyArguments;
use sqlx::{Any, AnyConnection, Arguments, AssertSqlSafe};
use std::collections::{HashMap, HashSet};

/// A member row that passed every check of the member form (`members::check`); nothing is
/// sealed yet, but the ID number's blind index is there, since duplicates are found by it.
pub(crate) struct CheckedMember {
    pub(crate) checked: members::Checked,
    pub(crate) index: String,
}

pub(crate) fn check_member(sealer: &Sealer, i: &MemberInput) -> StoreResult<CheckedMember> {
    let checked = members::check(i, true)?;
    let index = match &checked.id {
        Some(id) => sealer.blind(id.as_str()),
        None => return Err(StoreError::Internal("id required".into())),
    };
    Ok(CheckedMember { checked, index })
}

fn bind<'q, T>(args: &mut AnyArguments, value: T) -> StoreResult<()>
where
    T: sqlx::Encode<'q, Any> + sqlx::Type<Any>,
{
    args.add(value)
        .map_err(|e| StoreError::Internal(format!("bind: {e}")))
}

/// Seals a checked row and appends its values to `args`, in the column order of `MEMBER_COLUMNS`
/// (after its `id` when one is given: SQLite, see `insert_members`): what `members::insert`
/// writes for the same input. Returns the row's blind index.
pub(crate) fn seal_member(
    s: &Sealer,
    i: &MemberInput,
    c: CheckedMember,
    now: i64,
    id: Option<i64>,
    args: &mut AnyArguments,
) -> StoreResult<String> {
    let index = c.index.clone();
    if let Some(id) = id {
        bind(args, id)?;
    }
    let members::Prepared {
        name,
        initials,
        id,
        phone,
        address,
        join_date,
        full_date,
    } = members::seal(s, c.checked, Some(c.index))?;
    let sid = id.ok_or_else(|| StoreError::Internal("id required".into()))?;
    bind(args, i.org_id)?;
    bind(args, name)?;
    bind(args, initials)?;
    bind(args, sid.gender)?;
    bind(args, sid.birth)?;
    bind(
        args,
        non_empty(&i.ethnicity).unwrap_or_else(|| "汉族".into()),
    )?;
    bind(args, i.education.clone())?;
    bind(args, i.occupation.clone())?;
    bind(args, i.status.clone())?;
    bind(args, join_date)?;
    bind(args, full_date)?;
    bind(args, i.workplace.as_deref().and_then(non_empty))?;
    bind(args, sid.sealed)?;
    bind(args, sid.index)?;
    bind(args, sid.masked)?;
    // Typed NULLs: PostgreSQL refuses a text NULL in a bytea column.
    let (phone_sealed, phone_index, phone_masked) = match phone {
        Some((a, b, c)) => (Some(a), Some(b), Some(c)),
        None => (None, None, None),
    };
    bind(args, phone_sealed)?;
    bind(args, phone_index)?;
    bind(args, phone_masked)?;
    let (address_sealed, address_masked) = match address {
        Some((a, b)) => (Some(a), Some(b)),
        None => (None, None),
    };
    bind(args, address_sealed)?;
    bind(args, address_masked)?;
    bind(args, now)?;
    bind(args, now)?;
    Ok(index)
}

const MEMBER_COLUMNS: &str = "org_id, name, name_initials, gender, birth_date, ethnicity, education, occupation, status, \
    join_date, full_date, workplace, id_sealed, id_index, id_masked, phone_sealed, phone_index, phone_masked, \
    address_sealed, address_masked, created_at, updated_at";
/// Values bound per member row, the two times included (and the id, when the rows bring theirs).
const MEMBER_VALUES: usize = 22;

/// The `VALUES` list of `rows` member rows. PostgreSQL gets `$n`. SQLite gets anonymous `?`, bound
/// by position: sqlx's SQLite driver looks every `$n` up by name, and SQLite finds a name by a
/// linear scan of the statement's names, so n numbered placeholders cost O(n²) before the
/// statement runs (a quarter of a second for 500 rows of 22).
fn member_values(backend: Backend, rows: usize, with_id: bool) -> String {
    let per_row = MEMBER_VALUES + usize::from(with_id);
    let mut text = String::with_capacity(rows * per_row * 6);
    let mut n = 0;
    for k in 0..rows {
        text.push_str(if k == 0 { "(" } else { ", (" });
        for v in 0..per_row {
            if v > 0 {
                text.push_str(", ");
            }
            n += 1;
            placeholder(&mut text, backend, n);
        }
        text.push(')');
    }
    text
}

/// `$n` for PostgreSQL, `?` for SQLite (see `member_values`).
fn placeholder(text: &mut String, backend: Backend, n: usize) {
    match backend {
        Backend::Sqlite => text.push('?'),
        Backend::Postgres => {
            text.push('$');
            text.push_str(&n.to_string());
        }
    }
}

/// Which of these blind indexes are registered already (one statement; at most `BATCH_ROWS`).
pub(crate) async fn registered<'e, E>(
    ex: E,
    backend: Backend,
    indexes: &[&str],
) -> StoreResult<HashSet<String>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let mut text = String::from("SELECT id_index FROM members WHERE id_index IN (");
    let mut args = AnyArguments::default();
    for (k, index) in indexes.iter().enumerate() {
        if k > 0 {
            text.push_str(", ");
        }
        placeholder(&mut text, backend, k + 1);
        bind(&mut args, *index)?;
    }
    text.push(')');
    let known: Vec<String> = sqlx::query_scalar_with(AssertSqlSafe(text), args)
        .fetch_all(ex)
        .await?;
    Ok(known.into_iter().collect())
}

/// Inserts the members sealed into `args` (their blind indexes in `indexes`, at most
/// `roster::BATCH_ROWS`) in one statement. A row whose ID number is registered already is
/// skipped. Returns each row's new id, in order; `None` for a skipped row.
///
/// SQLite: the rows come with their ids (`first_id` and on, bound first in each row, given out by
/// the import inside its `BEGIN IMMEDIATE` transaction, so no one else writes meanwhile), which
/// spares `RETURNING` its
/// temporary table and a row sent back per member; only when fewer rows went in than were sent
/// are the ids read back. It uses `INSERT OR IGNORE` (with its foreign key check off for the
/// import, see `roster.rs`): a multi-row statement that could abort halfway needs a statement
/// journal, a copy of every page it changes, and NOT NULL and foreign key checks would make each
/// INSERT such a statement. `OR IGNORE` would also skip a row that broke some other constraint,
/// so every skipped row is checked to be registered indeed.
///
/// PostgreSQL (no `first_id`) skips by `ON CONFLICT (id_index) DO NOTHING` and returns the new ids.
pub(crate) async fn insert_members(
    tx: &mut AnyConnection,
    backend: Backend,
    args: AnyArguments,
    indexes: &[String],
    first_id: Option<i64>,
) -> StoreResult<Vec<Option<i64>>> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let ids = match first_id {
        Some(first) => {
            let values = member_values(backend, indexes.len(), true);
            let text =
                format!("INSERT OR IGNORE INTO members (id, {MEMBER_COLUMNS}) VALUES {values}");
            let done = sqlx::query_with(AssertSqlSafe(text), args)
                .execute(&mut *tx)
                .await?;
            let last = first + indexes.len() as i64 - 1;
            if done.rows_affected() == indexes.len() as u64 {
                (first..=last).map(Some).collect()
            } else {
                let written: HashSet<i64> =
                    sqlx::query_scalar("SELECT id FROM members WHERE id BETWEEN $1 AND $2")
                        .bind(first)
                        .bind(last)
                        .fetch_all(&mut *tx)
                        .await?
                        .into_iter()
                        .collect();
                (first..=last)
                    .map(|id| written.contains(&id).then_some(id))
                    .collect()
            }
        }
        None => {
            let values = member_values(backend, indexes.len(), false);
            let text = format!(
                "INSERT INTO members ({MEMBER_COLUMNS}) VALUES {values} \
                 ON CONFLICT (id_index) DO NOTHING RETURNING id, id_index"
            );
            let got: Vec<(i64, String)> = sqlx::query_as_with(AssertSqlSafe(text), args)
                .fetch_all(&mut *tx)
                .await?;
            // RETURNING does not promise input order: rows are matched back by their blind index.
            let position: HashMap<&str, usize> = indexes
                .iter()
                .enumerate()
                .map(|(k, index)| (index.as_str(), k))
                .collect();
            let mut ids = vec![None; indexes.len()];
            for (id, index) in got {
                if let Some(&k) = position.get(index.as_str()) {
                    ids[k] = Some(id);
                }
            }
            ids
        }
    };
    let skipped: Vec<&str> = indexes
        .iter()
        .zip(&ids)
        .filter(|(_, id)| id.is_none())
        .map(|(index, _)| index.as_str())
        .collect();
    if !skipped.is_empty() {
        let known = registered(&mut *tx, backend, &skipped).await?;
        if skipped.iter().any(|index| !known.contains(*index)) {
            return Err(StoreError::Internal(
                "roster: a member row was refused by the database".into(),
            ));
        }
    }
    Ok(ids)
}
