//! Households and grids (issue 5, item 5): households in a grid, or directly in a village or
//! community that has no grids; the members who look after them (党员联系户, dated from/to, one at
//! a time per household); visits logged from a phone. Address and phone are sealed as members'
//! are (masked everywhere, revealed with an audit entry). Figures are roll-ups kept in the
//! writing transaction (`figures.rs`); a year of visits goes in through `bulk.rs` under the same
//! rules (`check_visit`).

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::places::{Place, check_name, place_in};
use crate::scope::Scope;
use crate::sql::{Page, Sql, like_contains};
use crate::{Actor, Store};
use jiceng_domain::member::{mask_address, mask_phone, parse_date, parse_phone};
use jiceng_domain::{DomainError, PlaceKind};
use serde::Serialize;
use sqlx::AnyConnection;

mod bulk;
mod figures;
mod problem;
mod visits;

pub use bulk::BulkVisit;
pub(crate) use figures::rebuild;
pub use figures::{HouseholdFigures, METRIC_OPEN, VISITS_PREFIX};
pub use visits::{NewVisit, Visit};

/// How a visit was made: 入户, 电话, 线上.
pub const MODES: [(&str, &str); 3] = [("home", "入户"), ("phone", "电话"), ("online", "线上")];

/// The longest note of what was raised on a visit.
pub const MAX_RAISED_CHARS: usize = 500;

/// Member statuses that may visit: Party members (probationary or full) still on the register.
pub const VISITOR_STATUSES: [&str; 2] = ["probationary", "full"];

/// A household as pages, exports and the API show it: address and phone masked.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Household {
    pub id: i64,
    pub place_id: i64,
    pub place_name: String,
    pub place_code: String,
    pub head_name: String,
    pub people: i64,
    pub address_masked: Option<String>,
    pub phone_masked: Option<String>,
    pub since_on: String,
    pub closed_on: Option<String>,
    pub closed_reason: Option<String>,
    /// The member looking after it now (no end day, or an end day not yet passed).
    pub member_id: Option<i64>,
    pub member_name: Option<String>,
    pub visits: i64,
    pub last_visit_on: Option<String>,
}

impl Household {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({"place_id": self.place_id, "head_name": self.head_name, "people": self.people,
            "address": self.address_masked, "phone": self.phone_masked, "since_on": self.since_on,
            "closed_on": self.closed_on, "closed_reason": self.closed_reason})
    }
}

const COLS: &str = "h.id, h.place_id, p.name AS place_name, p.code AS place_code, h.head_name, h.people, \
    h.address_masked, h.phone_masked, h.since_on, h.closed_on, h.closed_reason, \
    (SELECT a.member_id FROM household_assignments a WHERE a.household_id = h.id AND a.to_on IS NULL) AS member_id, \
    (SELECT m.name FROM household_assignments a JOIN members m ON m.id = a.member_id \
     WHERE a.household_id = h.id AND a.to_on IS NULL) AS member_name, \
    (SELECT COUNT(*) FROM household_visits v WHERE v.household_id = h.id) AS visits, \
    (SELECT MAX(v.visited_on) FROM household_visits v WHERE v.household_id = h.id) AS last_visit_on";
const FROM: &str = " FROM households h JOIN places p ON p.id = h.place_id";

/// What the household form gives.
#[derive(Debug, Clone, Default)]
pub struct NewHousehold {
    pub place_id: i64,
    pub head_name: String,
    pub people: i64,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub since_on: String,
}

#[derive(Debug, Clone, Default)]
pub struct HouseholdFilter {
    /// Households anywhere under this place (read within scope by the caller).
    pub under: Option<Place>,
    /// A head's name, or part of it.
    pub q: Option<String>,
    pub include_closed: bool,
}

/// A member's time looking after a household.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Assignment {
    pub id: i64,
    pub household_id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub from_on: String,
    pub to_on: Option<String>,
}

/// Which sealed field of a household to reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HouseholdField {
    Phone,
    Address,
}

impl HouseholdField {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "phone" => Some(Self::Phone),
            "address" => Some(Self::Address),
            _ => None,
        }
    }
}

pub(crate) fn refuse(code: &'static str, zh: &str, en: &str, field: &'static str) -> StoreError {
    DomainError::new(code, zh, en).on(field).into()
}

fn opt(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A household within scope.
pub(crate) async fn household_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: i64,
) -> StoreResult<Household> {
    let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE h.id = "));
    sql.bind(id).push(" AND ");
    scope.predicate(&mut sql, "p.code");
    sql.query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Where a household may sit: an open grid, or an open village or community without open grids.
async fn check_place(conn: &mut AnyConnection, p: &Place) -> StoreResult<()> {
    if p.closed_at.is_some() {
        return Err(refuse(
            "household.place_closed",
            "该网格（村、社区）已撤销",
            "the place is closed",
            "place_id",
        ));
    }
    match p.kind() {
        Some(PlaceKind::Grid) => Ok(()),
        Some(PlaceKind::Village | PlaceKind::Community) => {
            let grids: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM places WHERE parent_id = $1 AND kind = 'grid' AND closed_at IS NULL",
            )
            .bind(p.id)
            .fetch_one(&mut *conn)
            .await?;
            if grids > 0 {
                return Err(refuse(
                    "household.choose_grid",
                    "该村（社区）已划分网格，请在网格下登记住户",
                    "this village has grids: register the household in one",
                    "place_id",
                ));
            }
            Ok(())
        }
        _ => Err(refuse(
            "household.place_kind",
            "住户只能登记在网格或村（社区）下",
            "a household sits in a grid or a village",
            "place_id",
        )),
    }
}

/// A member who may look after or visit households: within scope and a Party member on the
/// register (probationary or full). Returns the member's name.
pub(crate) async fn visitor_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    member_id: i64,
) -> StoreResult<String> {
    let m = Store::member_in(conn, scope, member_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => refuse(
                "household.member_unknown",
                "找不到该党员，或不在您的管理范围内",
                "no such member within your scope",
                "member_id",
            ),
            e => e,
        })?;
    if !VISITOR_STATUSES.contains(&m.status.as_str()) {
        return Err(refuse(
            "household.member_inactive",
            "只有在册的正式党员或预备党员才能联系住户",
            "only a current full or probationary member may look after households",
            "member_id",
        ));
    }
    Ok(m.name)
}

fn check_people(n: i64) -> StoreResult<i64> {
    if (1..=50).contains(&n) {
        Ok(n)
    } else {
        Err(refuse(
            "household.people_invalid",
            "户内人数应为1至50人",
            "a household has 1 to 50 people",
            "people",
        ))
    }
}

impl Store {
    /// Registers a household; the place's open-household figure goes up in the same transaction.
    pub async fn create_household(
        &self,
        actor: &Actor,
        scope: &Scope,
        n: &NewHousehold,
        today: &str,
        now: i64,
    ) -> StoreResult<Household> {
        let head = check_name(&n.head_name, "head_name")?;
        let people = check_people(n.people)?;
        let since = parse_date(&n.since_on, "since_on")?;
        if since.as_str() > today {
            return Err(refuse(
                "household.since_future",
                "登记日期不能晚于今天",
                "the day on the register cannot be in the future",
                "since_on",
            ));
        }
        let address = opt(&n.address);
        if address.as_ref().is_some_and(|a| a.chars().count() > 200) {
            return Err(refuse(
                "household.address_invalid",
                "住址不超过200字",
                "an address is at most 200 characters",
                "address",
            ));
        }
        let phone = opt(&n.phone)
            .map(|p| parse_phone(&p).map_err(|e| StoreError::from(e.on("phone"))))
            .transpose()?;
        let address_sealed = address
            .as_deref()
            .map(|a| self.sealer.seal(a.as_bytes()))
            .transpose()?;
        let phone_sealed = phone
            .as_deref()
            .map(|p| self.sealer.seal(p.as_bytes()))
            .transpose()?;
        let mut tx = self.writer.begin().await?;
        let place = place_in(&mut tx, scope, n.place_id).await?;
        check_place(&mut tx, &place).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO households (place_id, head_name, people, address_sealed, address_masked, phone_sealed, \
             phone_index, phone_masked, since_on, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$10) RETURNING id",
        )
        .bind(place.id)
        .bind(&head)
        .bind(people)
        .bind(address_sealed)
        .bind(address.as_deref().map(mask_address))
        .bind(phone_sealed)
        .bind(phone.as_deref().map(|p| self.sealer.blind(p)))
        .bind(phone.as_deref().map(mask_phone))
        .bind(&since)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        figures::household_opened(&mut tx, &place.code, 1).await?;
        let h = household_in(&mut tx, &Scope::All, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new("create", "household", id, None, Some(h.json())),
            now,
        )
        .await?;
        Ok(h)
    }

    /// Closes a household (moved away) on a day, for a reason: it takes no more visits, its member's time ends that day,
    /// and the open-household figure goes down.
    pub async fn close_household(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        (closed_on, reason): (&str, &str),
        today: &str,
        now: i64,
    ) -> StoreResult<Household> {
        let on = parse_date(closed_on, "closed_on")?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 100 {
            return Err(refuse(
                "household.reason_invalid",
                "请写明注销原因（如迁出），不超过100字",
                "give a reason of at most 100 characters",
                "reason",
            ));
        }
        let mut tx = self.writer.begin().await?;
        let before = household_in(&mut tx, scope, id).await?;
        if on.as_str() > today || on < before.since_on {
            return Err(refuse(
                "household.closed_on_invalid",
                "注销日期应在登记日期之后，且不晚于今天",
                "the closing day is between the registration day and today",
                "closed_on",
            ));
        }
        let changed = sqlx::query(
            "UPDATE households SET closed_on = $1, closed_reason = $2, updated_at = $3 WHERE id = $4 AND closed_on IS NULL",
        )
        .bind(&on)
        .bind(reason)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(refuse(
                "household.closed",
                "该户已注销",
                "the household is closed",
                "closed_on",
            ));
        }
        sqlx::query(
            "UPDATE household_assignments SET to_on = $1 WHERE household_id = $2 AND to_on IS NULL",
        )
        .bind(&on)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        figures::household_opened(&mut tx, &before.place_code, -1).await?;
        let after = household_in(&mut tx, &Scope::All, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new(
                "close",
                "household",
                id,
                Some(before.json()),
                Some(after.json()),
            ),
            now,
        )
        .await?;
        Ok(after)
    }

    pub async fn household(&self, scope: &Scope, id: i64) -> StoreResult<Household> {
        let mut conn = self.reader.acquire().await?;
        household_in(&mut conn, scope, id).await
    }

    /// Households within scope (and under `filter.under`), by place then head's name.
    pub async fn households(
        &self,
        scope: &Scope,
        filter: &HouseholdFilter,
        page: Page,
    ) -> StoreResult<(Vec<Household>, i64)> {
        let mut sql = Sql::new(&format!("{FROM} WHERE "));
        scope.predicate(&mut sql, "p.code");
        if let Some(u) = &filter.under {
            sql.push(" AND ");
            u.scope().predicate(&mut sql, "p.code");
        }
        if !filter.include_closed {
            sql.push(" AND h.closed_on IS NULL");
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            sql.push(" AND h.head_name LIKE ")
                .bind(like_contains(q))
                .push(" ESCAPE '\\'");
        }
        Ok(sql
            .paged(
                COLS,
                "ORDER BY p.code, h.head_name, h.id",
                page,
                &self.reader,
            )
            .await?)
    }

    /// Assigns a member to look after a household from a day; refused if another member's time
    /// (or this member's) overlaps it.
    pub async fn assign_household(
        &self,
        actor: &Actor,
        scope: &Scope,
        household_id: i64,
        member_id: i64,
        from_on: &str,
        now: i64,
    ) -> StoreResult<Assignment> {
        let from = parse_date(from_on, "from_on")?;
        let mut tx = self.writer.begin().await?;
        let h = household_in(&mut tx, scope, household_id).await?;
        if h.closed_on.is_some() {
            return Err(refuse(
                "household.closed",
                "该户已注销，不能再安排联系党员",
                "the household is closed",
                "household_id",
            ));
        }
        if from < h.since_on {
            return Err(refuse(
                "household.assign_before",
                "联系起始日期不能早于该户登记日期",
                "the assignment cannot start before the household was registered",
                "from_on",
            ));
        }
        visitor_in(&mut tx, scope, member_id).await?;
        // Overlap: an open assignment, or one that ends on or after the new start.
        let overlapping: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM household_assignments WHERE household_id = $1 AND (to_on IS NULL OR to_on >= $2)",
        )
        .bind(household_id)
        .bind(&from)
        .fetch_one(&mut *tx)
        .await?;
        if overlapping > 0 {
            return Err(refuse(
                "household.assignment_overlap",
                "该户在此期间已有联系党员，请先结束原联系关系",
                "the household already has a member for this time",
                "member_id",
            ));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO household_assignments (household_id, member_id, from_on, created_at) \
             VALUES ($1,$2,$3,$4) RETURNING id",
        )
        .bind(household_id)
        .bind(member_id)
        .bind(&from)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let a = assignment_in(&mut tx, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new(
                "assign",
                "household",
                household_id,
                None,
                Some(serde_json::json!({"member_id": member_id, "member": a.member_name, "from_on": from})),
            ),
            now,
        )
        .await?;
        Ok(a)
    }

    /// Ends a member's time with a household on `to_on` (its last day).
    pub async fn end_assignment(
        &self,
        actor: &Actor,
        scope: &Scope,
        assignment_id: i64,
        to_on: &str,
        now: i64,
    ) -> StoreResult<Assignment> {
        let to = parse_date(to_on, "to_on")?;
        let mut tx = self.writer.begin().await?;
        let a = assignment_in(&mut tx, assignment_id).await?;
        household_in(&mut tx, scope, a.household_id).await?;
        if to < a.from_on {
            return Err(refuse(
                "household.assignment_end_before",
                "结束日期不能早于起始日期",
                "an assignment cannot end before it starts",
                "to_on",
            ));
        }
        let changed = sqlx::query(
            "UPDATE household_assignments SET to_on = $1 WHERE id = $2 AND to_on IS NULL",
        )
        .bind(&to)
        .bind(assignment_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(refuse(
                "household.assignment_ended",
                "该联系关系已结束",
                "the assignment has ended",
                "to_on",
            ));
        }
        let after = assignment_in(&mut tx, assignment_id).await?;
        audit::commit(
            tx,
            actor,
            Change::new(
                "end_assignment",
                "household",
                a.household_id,
                Some(serde_json::json!({"member_id": a.member_id, "from_on": a.from_on})),
                Some(serde_json::json!({"member_id": a.member_id, "to_on": to})),
            ),
            now,
        )
        .await?;
        Ok(after)
    }

    /// Every member's time with a household, latest first.
    pub async fn household_assignments(
        &self,
        scope: &Scope,
        household_id: i64,
    ) -> StoreResult<Vec<Assignment>> {
        let mut conn = self.reader.acquire().await?;
        household_in(&mut conn, scope, household_id).await?;
        Ok(sqlx::query_as(
            "SELECT a.id, a.household_id, a.member_id, m.name AS member_name, a.from_on, a.to_on \
             FROM household_assignments a JOIN members m ON m.id = a.member_id \
             WHERE a.household_id = $1 ORDER BY a.from_on DESC, a.id DESC",
        )
        .bind(household_id)
        .fetch_all(&mut *conn)
        .await?)
    }

    /// Members who may visit a household: Party members of its village (any grid), by name.
    pub async fn visitor_choices(
        &self,
        scope: &Scope,
        household_id: i64,
    ) -> StoreResult<Vec<(i64, String)>> {
        let mut conn = self.reader.acquire().await?;
        let h = household_in(&mut conn, scope, household_id).await?;
        let village = h.place_code.get(..12).unwrap_or(&h.place_code).to_string();
        let mut sql = Sql::new(
            "SELECT m.id, m.name FROM members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id \
             WHERE m.status IN ('probationary', 'full') AND ",
        );
        Scope::prefix(village).predicate(&mut sql, "p.code");
        sql.push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.push(" ORDER BY m.name_initials, m.id LIMIT 500");
        Ok(sql.query_as().fetch_all(&mut *conn).await?)
    }

    /// The clear phone or address of a household, written to the audit log as a reveal.
    pub async fn reveal_household(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        field: HouseholdField,
        now: i64,
    ) -> StoreResult<Option<String>> {
        let mut tx = self.writer.begin().await?;
        let h = household_in(&mut tx, scope, id).await?;
        let (sql, name, masked) = match field {
            HouseholdField::Phone => (
                "SELECT phone_sealed FROM households WHERE id = $1",
                "phone",
                h.phone_masked.clone(),
            ),
            HouseholdField::Address => (
                "SELECT address_sealed FROM households WHERE id = $1",
                "address",
                h.address_masked.clone(),
            ),
        };
        let sealed: Option<Vec<u8>> = sqlx::query_scalar(sql).bind(id).fetch_one(&mut *tx).await?;
        let clear = sealed
            .map(|s| {
                String::from_utf8(self.sealer.open(&s)?)
                    .map_err(|_| StoreError::Internal("sealed value is not text".into()))
            })
            .transpose()?;
        let after = serde_json::json!({"field": name, "household": h.head_name, "masked": masked});
        audit::commit(
            tx,
            actor,
            Change::new("reveal", "household", id, None, Some(after)),
            now,
        )
        .await?;
        Ok(clear)
    }
}

async fn assignment_in(conn: &mut AnyConnection, id: i64) -> StoreResult<Assignment> {
    sqlx::query_as(
        "SELECT a.id, a.household_id, a.member_id, m.name AS member_name, a.from_on, a.to_on \
         FROM household_assignments a JOIN members m ON m.id = a.member_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)
}
