//! Bulk writes for a history (the demo's year): households, assignments and visits, each batch
//! checked row by row by the same rules as the forms (`check_name`, `check_visit`, the visitor's
//! status and scope, no overlapping assignment) before anything is written, then written in one
//! transaction of multi-row INSERTs with one audit entry and the roll-ups moved by the counts the
//! batch made (the mapping `rebuild` uses). Integers and checked dates go into the statement as
//! literals, texts and bytes are bound (sqlx looks `$n` up by a linear scan).

use super::figures::{METRIC_OPEN, add_counts, visit_metric};
use super::visits::check_visit;
use super::{NewHousehold, VISITOR_STATUSES, check_people, opt, refuse};
use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::places::check_name;
use crate::rollups::CURRENT;
use crate::scope::Scope;
use crate::sql::Sql;
use crate::{Actor, Store};
use jiceng_domain::member::{mask_address, mask_phone, parse_date, parse_phone};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// One visit of a history.
#[derive(Debug, Clone, Default)]
pub struct BulkVisit {
    pub household_id: i64,
    pub member_id: i64,
    pub visited_on: String,
    pub mode: String,
    pub raised: Option<String>,
}

const CHUNK: usize = 200;

/// Households' (since_on, closed_on, place code) for these ids, within scope.
async fn targets(
    conn: &mut AnyConnection,
    scope: &Scope,
    ids: &HashSet<i64>,
) -> StoreResult<HashMap<i64, (String, Option<String>, String)>> {
    let mut out = HashMap::new();
    let ids: Vec<i64> = ids.iter().copied().collect();
    for chunk in ids.chunks(500) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let mut sql = Sql::new(&format!(
            "SELECT h.id, h.since_on, h.closed_on, p.code FROM households h JOIN places p ON p.id = h.place_id \
             WHERE h.id IN ({}) AND ",
            list.join(",")
        ));
        scope.predicate(&mut sql, "p.code");
        let rows: Vec<(i64, String, Option<String>, String)> =
            sql.query_as().fetch_all(&mut *conn).await?;
        out.extend(rows.into_iter().map(|(id, s, c, p)| (id, (s, c, p))));
    }
    Ok(out)
}

/// Checks that every member is a visitor within scope (`visitor_in`'s rule for a batch).
async fn check_visitors(
    conn: &mut AnyConnection,
    scope: &Scope,
    ids: &HashSet<i64>,
) -> StoreResult<()> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    for chunk in ids.chunks(500) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let mut sql = Sql::new(&format!(
            "SELECT m.id, m.status FROM members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id \
             WHERE m.id IN ({}) AND ",
            list.join(",")
        ));
        scope.predicate(&mut sql, "p.code");
        let rows: Vec<(i64, String)> = sql.query_as().fetch_all(&mut *conn).await?;
        if rows.len() != chunk.len() {
            return Err(refuse(
                "household.member_unknown",
                "找不到该党员，或不在您的管理范围内",
                "no such member within your scope",
                "member_id",
            ));
        }
        if rows
            .iter()
            .any(|(_, s)| !VISITOR_STATUSES.contains(&s.as_str()))
        {
            return Err(refuse(
                "household.member_inactive",
                "只有在册的正式党员或预备党员才能联系住户",
                "only a current full or probationary member may look after households",
                "member_id",
            ));
        }
    }
    Ok(())
}

fn sql_text(s: &str) -> String {
    // Only for checked dates and fixed words: no quote can be in them, but double any anyway.
    format!("'{}'", s.replace('\'', "''"))
}

impl Store {
    /// Registers many households in one transaction; returns their ids in input order.
    pub async fn import_households(
        &self,
        actor: &Actor,
        scope: &Scope,
        rows: &[NewHousehold],
        today: &str,
        now: i64,
    ) -> StoreResult<Vec<i64>> {
        type Row = (
            String,
            i64,
            String,
            Option<(Vec<u8>, String)>,
            Option<(Vec<u8>, String, String)>,
        );
        let mut prepared: Vec<(i64, Row)> = Vec::with_capacity(rows.len());
        for n in rows {
            let since = parse_date(&n.since_on, "since_on")?;
            if since.as_str() > today {
                return Err(refuse(
                    "household.since_future",
                    "登记日期不能晚于今天",
                    "the day on the register cannot be in the future",
                    "since_on",
                ));
            }
            let address = opt(&n.address)
                .map(|a| Ok::<_, StoreError>((self.sealer.seal(a.as_bytes())?, mask_address(&a))))
                .transpose()?;
            let phone = opt(&n.phone)
                .map(|p| parse_phone(&p).map_err(|e| StoreError::from(e.on("phone"))))
                .transpose()?
                .map(|p| {
                    Ok::<_, StoreError>((
                        self.sealer.seal(p.as_bytes())?,
                        self.sealer.blind(&p),
                        mask_phone(&p),
                    ))
                })
                .transpose()?;
            let row = (
                check_name(&n.head_name, "head_name")?,
                check_people(n.people)?,
                since,
                address,
                phone,
            );
            prepared.push((n.place_id, row));
        }
        let mut tx = self.writer.begin().await?;
        let mut places: HashMap<i64, String> = HashMap::new();
        for id in rows.iter().map(|r| r.place_id).collect::<HashSet<_>>() {
            let p = crate::places::place_in(&mut tx, scope, id).await?;
            super::check_place(&mut tx, &p).await?;
            places.insert(id, p.code);
        }
        let mut ids = Vec::with_capacity(rows.len());
        let mut counts: HashMap<(String, String, String), i64> = HashMap::new();
        for chunk in prepared.chunks(CHUNK) {
            // Six values bound a row (name, sealed bytes, masks, index); the rest as literals.
            let values: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(i, (place_id, (_, people, since, _, _)))| {
                    let b = i * 6;
                    format!(
                        "({place_id}, ${}, {people}, ${}, ${}, ${}, ${}, ${}, {}, {now}, {now})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        sql_text(since)
                    )
                })
                .collect();
            let text = format!(
                "INSERT INTO households (place_id, head_name, people, address_sealed, address_masked, phone_sealed, \
                 phone_index, phone_masked, since_on, created_at, updated_at) VALUES {} RETURNING id",
                values.join(", ")
            );
            let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(text));
            for (place_id, (head, _, _, address, phone)) in chunk {
                q = q
                    .bind(head.clone())
                    .bind(address.as_ref().map(|a| a.0.clone()))
                    .bind(address.as_ref().map(|a| a.1.clone()))
                    .bind(phone.as_ref().map(|p| p.0.clone()))
                    .bind(phone.as_ref().map(|p| p.1.clone()))
                    .bind(phone.as_ref().map(|p| p.2.clone()));
                let code = places.get(place_id).cloned().unwrap_or_default();
                *counts
                    .entry((code, METRIC_OPEN.into(), CURRENT.into()))
                    .or_default() += 1;
            }
            let mut got: Vec<i64> = q.fetch_all(&mut *tx).await?;
            // Identity and autoincrement hand ids out ascending within one statement, in VALUES
            // order; sorted, so that RETURNING's order does not matter.
            got.sort_unstable();
            if got.len() != chunk.len() {
                return Err(StoreError::Internal("households import: ids".into()));
            }
            ids.extend(got);
        }
        add_counts(&mut tx, &counts).await?;
        audit::commit(
            tx,
            actor,
            Change::new(
                "import",
                "household",
                "batch",
                None,
                Some(serde_json::json!({"households": ids.len()})),
            ),
            now,
        )
        .await?;
        Ok(ids)
    }

    /// Assigns members to households from a day, many at once: each household in scope, open and
    /// without any assignment overlapping (none in the batch twice); each member a visitor.
    pub async fn import_assignments(
        &self,
        actor: &Actor,
        scope: &Scope,
        rows: &[(i64, i64, String)],
        now: i64,
    ) -> StoreResult<usize> {
        let mut tx = self.writer.begin().await?;
        let households: HashSet<i64> = rows.iter().map(|r| r.0).collect();
        if households.len() != rows.len() {
            return Err(refuse(
                "household.assignment_overlap",
                "该户在此期间已有联系党员，请先结束原联系关系",
                "the household already has a member for this time",
                "member_id",
            ));
        }
        let found = targets(&mut tx, scope, &households).await?;
        check_visitors(&mut tx, scope, &rows.iter().map(|r| r.1).collect()).await?;
        let mut checked = Vec::with_capacity(rows.len());
        for (h, m, from) in rows {
            let from = parse_date(from, "from_on")?;
            let Some((since, closed, _)) = found.get(h) else {
                return Err(StoreError::NotFound);
            };
            if closed.is_some() || from < *since {
                return Err(refuse(
                    "household.assign_before",
                    "联系起始日期不能早于该户登记日期，已注销的户不能安排",
                    "an assignment starts on or after registration, in an open household",
                    "from_on",
                ));
            }
            checked.push((*h, *m, from));
        }
        let list: Vec<String> = households.iter().map(i64::to_string).collect();
        for chunk in list.chunks(500) {
            let taken: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM household_assignments WHERE household_id IN ({})",
                chunk.join(",")
            )))
            .fetch_one(&mut *tx)
            .await?;
            if taken > 0 {
                return Err(refuse(
                    "household.assignment_overlap",
                    "该户在此期间已有联系党员，请先结束原联系关系",
                    "the household already has a member for this time",
                    "member_id",
                ));
            }
        }
        for chunk in checked.chunks(CHUNK * 2) {
            let values: Vec<String> = chunk
                .iter()
                .map(|(h, m, from)| format!("({h}, {m}, {}, {now})", sql_text(from)))
                .collect();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO household_assignments (household_id, member_id, from_on, created_at) VALUES {}",
                values.join(", ")
            )))
            .execute(&mut *tx)
            .await?;
        }
        audit::commit(
            tx,
            actor,
            Change::new(
                "import",
                "household_assignment",
                "batch",
                None,
                Some(serde_json::json!({"assignments": checked.len()})),
            ),
            now,
        )
        .await?;
        Ok(checked.len())
    }

    /// Records a history of visits in one transaction; every visit checked as `record_visit`
    /// checks it before any is written. Returns how many were written.
    pub async fn import_visits(
        &self,
        actor: &Actor,
        scope: &Scope,
        visits: &[BulkVisit],
        today: &str,
        now: i64,
    ) -> StoreResult<usize> {
        let mut tx = self.writer.begin().await?;
        let found = targets(
            &mut tx,
            scope,
            &visits.iter().map(|v| v.household_id).collect(),
        )
        .await?;
        check_visitors(
            &mut tx,
            scope,
            &visits.iter().map(|v| v.member_id).collect(),
        )
        .await?;
        let mut counts: HashMap<(String, String, String), i64> = HashMap::new();
        let mut checked = Vec::with_capacity(visits.len());
        for v in visits {
            let Some((since, closed, code)) = found.get(&v.household_id) else {
                return Err(StoreError::NotFound);
            };
            let c = check_visit(
                since,
                closed.as_deref(),
                &v.visited_on,
                &v.mode,
                v.raised.as_deref(),
                today,
            )?;
            *counts
                .entry((
                    code.clone(),
                    visit_metric(c.mode),
                    c.visited_on.get(..7).unwrap_or_default().to_string(),
                ))
                .or_default() += 1;
            checked.push((v.household_id, v.member_id, c));
        }
        for chunk in checked.chunks(CHUNK * 2) {
            let mut sql = Sql::new(
                "INSERT INTO household_visits (household_id, member_id, visited_on, mode, raised, created_at) VALUES ",
            );
            for (i, (h, m, c)) in chunk.iter().enumerate() {
                sql.push(&format!(
                    "{}({h}, {m}, {}, {}, ",
                    if i == 0 { "" } else { ", " },
                    sql_text(&c.visited_on),
                    sql_text(c.mode)
                ));
                match &c.raised {
                    Some(r) => sql.bind(r.as_str()),
                    None => sql.push("NULL"),
                };
                sql.push(&format!(", {now})"));
            }
            sql.query().execute(&mut *tx).await?;
        }
        add_counts(&mut tx, &counts).await?;
        audit::commit(
            tx,
            actor,
            Change::new(
                "import",
                "household_visit",
                "batch",
                None,
                Some(serde_json::json!({"visits": checked.len()})),
            ),
            now,
        )
        .await?;
        Ok(checked.len())
    }
}
