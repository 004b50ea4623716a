//! A village's people and bodies (issue 6): who sits on the 村党组织委员会, 村民委员会, 村民代表 and
//! 村务监督委员会, and who is the accountant or cashier, each seat with the days it was held;
//! near relatives between people; the village's adult and household counts for the 村民会议.
//! A supervision seat is refused to anyone the law bars (`domain::village::check_supervisor`), and
//! the page lists any sitting supervisor a later fact has made ineligible.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::places::place_in;
use crate::scope::Scope;
use crate::{Actor, Store};
use jiceng_domain::member::parse_date;
use jiceng_domain::village::{self, Body, Kinship, Seat};
use jiceng_domain::{DomainError, PlaceKind};
use serde::Serialize;
use sqlx::AnyConnection;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub place_id: i64,
    pub name: String,
    pub member_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct SeatRow {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub body: String,
    pub title: Option<String>,
    pub from_on: String,
    pub to_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct KinRow {
    pub person_a: i64,
    pub name_a: String,
    pub person_b: i64,
    pub name_b: String,
    pub kind: String,
}

/// The village's adult villagers and households as of a day.
#[derive(Debug, Clone, Copy, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Counts {
    pub adults: i64,
    pub households: i64,
}

#[derive(Debug, Clone, Default)]
pub struct NewSeat {
    pub person_id: i64,
    pub body: String,
    pub title: Option<String>,
    pub from_on: String,
}

pub(crate) fn refuse(code: &'static str, zh: String, en: &str, field: &'static str) -> StoreError {
    DomainError::new(code, zh, en).on(field).into()
}

/// A village or community within scope (the bodies and the board belong to one).
pub(crate) async fn village_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    place_id: i64,
) -> StoreResult<crate::places::Place> {
    let p = place_in(conn, scope, place_id).await?;
    if !matches!(p.kind(), Some(PlaceKind::Village | PlaceKind::Community)) {
        return Err(refuse(
            "village.not_a_village",
            format!("{}不是村（社区），没有村级组织", p.name),
            "only a village or community has these bodies",
            "place_id",
        ));
    }
    Ok(p)
}

/// A person of a village within scope.
pub(crate) async fn person_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: i64,
) -> StoreResult<Person> {
    let mut sql = crate::sql::Sql::new(
        "SELECT vp.id, vp.place_id, vp.name, vp.member_id FROM village_people vp \
         JOIN places p ON p.id = vp.place_id WHERE vp.id = ",
    );
    sql.bind(id).push(" AND ");
    scope.predicate(&mut sql, "p.code");
    sql.query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// The seats of `place_id` held on `day` (YYYY-MM-DD), by body and name.
pub(crate) async fn seats_on(
    conn: &mut AnyConnection,
    place_id: i64,
    day: &str,
) -> StoreResult<Vec<SeatRow>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.person_id, vp.name, s.body, s.title, s.from_on, s.to_on FROM seats s \
         JOIN village_people vp ON vp.id = s.person_id WHERE s.place_id = $1 AND s.from_on <= $2 \
         AND (s.to_on IS NULL OR s.to_on >= $2) ORDER BY s.body, vp.name, s.id",
    )
    .bind(place_id)
    .bind(day)
    .fetch_all(&mut *conn)
    .await?)
}

/// Every seat of `place_id` held on `day` or later (open, or ending on or after it): what a
/// supervision check must look at, since a seat that starts later still clashes.
async fn seats_from(
    conn: &mut AnyConnection,
    place_id: i64,
    day: &str,
) -> StoreResult<Vec<SeatRow>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.person_id, vp.name, s.body, s.title, s.from_on, s.to_on FROM seats s \
         JOIN village_people vp ON vp.id = s.person_id WHERE s.place_id = $1 \
         AND (s.to_on IS NULL OR s.to_on >= $2) ORDER BY s.body, vp.name, s.id",
    )
    .bind(place_id)
    .bind(day)
    .fetch_all(&mut *conn)
    .await?)
}

/// Every supervisor in `seats` must still be eligible with `seats` and `kin` as they would be:
/// the check runs both ways (a new 村委会 seat or relation can bar a sitting supervisor).
fn supervisors_still_eligible(seats: &[SeatRow], kin: &[KinRow]) -> Result<(), DomainError> {
    for s in seats
        .iter()
        .filter(|s| s.body == Body::Supervision.as_str())
    {
        let p = Person {
            id: s.person_id,
            place_id: 0,
            name: s.name.clone(),
            member_id: None,
        };
        eligibility(&p, seats, kin)?;
    }
    Ok(())
}

async fn kin_of(conn: &mut AnyConnection, place_id: i64) -> StoreResult<Vec<KinRow>> {
    Ok(sqlx::query_as(
        "SELECT k.person_a, a.name AS name_a, k.person_b, b.name AS name_b, k.kind FROM kinships k \
         JOIN village_people a ON a.id = k.person_a JOIN village_people b ON b.id = k.person_b \
         WHERE a.place_id = $1 ORDER BY a.name, b.name",
    )
    .bind(place_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Whether `person` may supervise given the seats held on a day and the recorded kinships.
fn eligibility(person: &Person, seats: &[SeatRow], kin: &[KinRow]) -> Result<(), DomainError> {
    let held: Vec<Seat> = seats
        .iter()
        .filter_map(|s| {
            Body::parse(&s.body).map(|body| Seat {
                person: s.person_id,
                body,
            })
        })
        .collect();
    let pairs: Vec<(i64, i64, Kinship)> = kin
        .iter()
        .filter_map(|k| Kinship::parse(&k.kind).map(|kind| (k.person_a, k.person_b, kind)))
        .collect();
    let names = |id: i64| {
        seats
            .iter()
            .find(|s| s.person_id == id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    village::check_supervisor(person.id, &person.name, &held, &names, &pairs)
}

fn opt_text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Store {
    /// Adds a person of the village (linked to a Party member of the village when given).
    pub async fn add_person(
        &self,
        actor: &Actor,
        scope: &Scope,
        place_id: i64,
        name: &str,
        member_id: Option<i64>,
        now: i64,
    ) -> StoreResult<Person> {
        let name = crate::places::check_name(name, "name")?;
        let mut tx = self.writer.begin().await?;
        let place = village_in(&mut tx, scope, place_id).await?;
        if let Some(m) = member_id {
            // The member must be registered with an organisation of this village.
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id \
                 WHERE m.id = $1 AND o.place_id = $2",
            )
            .bind(m)
            .bind(place.id)
            .fetch_one(&mut *tx)
            .await?;
            if n == 0 {
                return Err(refuse(
                    "village.member_elsewhere",
                    format!("所选党员不在{}的党组织登记", place.name),
                    "the member is not registered in this village",
                    "member_id",
                ));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO village_people (place_id, name, member_id, created_at) VALUES ($1,$2,$3,$4) RETURNING id",
        )
        .bind(place.id)
        .bind(&name)
        .bind(member_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"place_id": place.id, "name": name, "member_id": member_id});
        audit::commit(
            tx,
            actor,
            Change::new("create", "village_person", id, None, Some(after)),
            now,
        )
        .await?;
        Ok(Person {
            id,
            place_id: place.id,
            name,
            member_id,
        })
    }

    /// Gives a person a seat from a day on; a supervision seat only to someone the law allows.
    pub async fn add_seat(
        &self,
        actor: &Actor,
        scope: &Scope,
        s: &NewSeat,
        now: i64,
    ) -> StoreResult<SeatRow> {
        let body = Body::parse(&s.body).ok_or_else(|| {
            refuse(
                "village.body_invalid",
                "请选择职务所属的组织（村党组织委员会、村民委员会、村民代表、村务监督委员会、村会计、村出纳）".into(),
                "choose the body",
                "body",
            )
        })?;
        let from_on = parse_date(s.from_on.trim(), "from_on")?;
        let title = opt_text(&s.title);
        let mut tx = self.writer.begin().await?;
        let person = person_in(&mut tx, scope, s.person_id).await?;
        // The new seat runs from `from_on` with no end: any seat of the same body held then or
        // later overlaps it.
        let mut held = seats_from(&mut tx, person.place_id, &from_on).await?;
        if let Some(h) = held
            .iter()
            .find(|h| h.person_id == person.id && h.body == body.as_str())
        {
            return Err(refuse(
                "village.seat_held",
                format!(
                    "{}自{}起已是{}成员，与此任职重叠",
                    person.name,
                    h.from_on,
                    body.zh()
                ),
                "the person already holds an overlapping seat",
                "body",
            ));
        }
        if matches!(
            body,
            Body::Supervision | Body::VillagersCommittee | Body::Accountant | Body::Cashier
        ) {
            let kin = kin_of(&mut tx, person.place_id).await?;
            held.push(SeatRow {
                id: 0,
                person_id: person.id,
                name: person.name.clone(),
                body: body.as_str().into(),
                title: title.clone(),
                from_on: from_on.clone(),
                to_on: None,
            });
            supervisors_still_eligible(&held, &kin)?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO seats (place_id, person_id, body, title, from_on, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
        )
        .bind(person.place_id)
        .bind(person.id)
        .bind(body.as_str())
        .bind(&title)
        .bind(&from_on)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"person_id": person.id, "body": body.as_str(),
            "title": title, "from_on": from_on});
        audit::commit(
            tx,
            actor,
            Change::new("create", "seat", id, None, Some(after)),
            now,
        )
        .await?;
        Ok(SeatRow {
            id,
            person_id: person.id,
            name: person.name,
            body: body.as_str().into(),
            title,
            from_on,
            to_on: None,
        })
    }

    /// Ends a seat on a day (the last day it was held).
    pub async fn end_seat(
        &self,
        actor: &Actor,
        scope: &Scope,
        place_id: i64,
        seat_id: i64,
        to_on: &str,
        now: i64,
    ) -> StoreResult<()> {
        let to_on = parse_date(to_on.trim(), "to_on")?;
        let mut tx = self.writer.begin().await?;
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT person_id, from_on FROM seats WHERE id = $1 AND to_on IS NULL")
                .bind(seat_id)
                .fetch_optional(&mut *tx)
                .await?;
        let (person_id, from_on) = row.ok_or(StoreError::NotFound)?;
        // The seat must be of the village whose page the form was on.
        if person_in(&mut tx, scope, person_id).await?.place_id != place_id {
            return Err(StoreError::NotFound);
        }
        if to_on < from_on {
            return Err(refuse(
                "village.seat_end_before_start",
                format!("离任日期不能早于任职日期（{from_on}）"),
                "a seat cannot end before it began",
                "to_on",
            ));
        }
        sqlx::query("UPDATE seats SET to_on = $1 WHERE id = $2")
            .bind(&to_on)
            .bind(seat_id)
            .execute(&mut *tx)
            .await?;
        let before = serde_json::json!({"to_on": null});
        let after = serde_json::json!({"to_on": to_on});
        audit::commit(
            tx,
            actor,
            Change::new("end", "seat", seat_id, Some(before), Some(after)),
            now,
        )
        .await?;
        Ok(())
    }

    /// Records that two people of the same village are near relatives.
    pub async fn add_kinship(
        &self,
        actor: &Actor,
        scope: &Scope,
        place_id: i64,
        (a, b): (i64, i64),
        kind: &str,
        now: i64,
    ) -> StoreResult<()> {
        let kind = Kinship::parse(kind).ok_or_else(|| {
            refuse(
                "village.kinship_invalid",
                "请选择亲属关系（配偶、父母子女、兄弟姐妹、祖孙）".into(),
                "choose the relation",
                "kind",
            )
        })?;
        if a == b {
            return Err(refuse(
                "village.kinship_self",
                "亲属关系须在两个不同的人之间".into(),
                "a relation needs two people",
                "person_b",
            ));
        }
        let mut tx = self.writer.begin().await?;
        let pa = person_in(&mut tx, scope, a).await?;
        let pb = person_in(&mut tx, scope, b).await?;
        if pa.place_id != place_id || pb.place_id != place_id {
            return Err(refuse(
                "village.kinship_elsewhere",
                "两人须为同一村（社区）的人员".into(),
                "both people belong to the same village",
                "person_b",
            ));
        }
        let known: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM kinships WHERE (person_a = $1 AND person_b = $2) OR (person_a = $2 AND person_b = $1)",
        )
        .bind(a)
        .bind(b)
        .fetch_one(&mut *tx)
        .await?;
        if known > 0 {
            return Err(refuse(
                "village.kinship_known",
                format!("{}与{}的亲属关系已登记", pa.name, pb.name),
                "this relation is already recorded",
                "person_b",
            ));
        }
        // A relation that would bar a sitting supervisor is refused: the seat must end first.
        let held = seats_from(&mut tx, place_id, &crate::coverage::day_of(now)).await?;
        let mut kin = kin_of(&mut tx, place_id).await?;
        kin.push(KinRow {
            person_a: a,
            name_a: pa.name.clone(),
            person_b: b,
            name_b: pb.name.clone(),
            kind: kind.as_str().into(),
        });
        supervisors_still_eligible(&held, &kin)?;
        sqlx::query(
            "INSERT INTO kinships (person_a, person_b, kind, created_at) VALUES ($1,$2,$3,$4)",
        )
        .bind(a)
        .bind(b)
        .bind(kind.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let after = serde_json::json!({"person_a": a, "person_b": b, "kind": kind.as_str()});
        audit::commit(
            tx,
            actor,
            Change::new("create", "kinship", format!("{a}-{b}"), None, Some(after)),
            now,
        )
        .await?;
        Ok(())
    }

    /// Sets the village's adult and household counts as of a day.
    pub async fn set_village_counts(
        &self,
        actor: &Actor,
        scope: &Scope,
        place_id: i64,
        as_of: &str,
        c: Counts,
        now: i64,
    ) -> StoreResult<()> {
        let as_of = parse_date(as_of.trim(), "as_of")?;
        if c.adults <= 0 || c.households <= 0 || c.households > c.adults {
            return Err(refuse(
                "village.counts_invalid",
                "十八周岁以上村民人数和户数须为正数，户数不多于人数".into(),
                "adults and households are positive, households no more than adults",
                "adults",
            ));
        }
        let mut tx = self.writer.begin().await?;
        let place = village_in(&mut tx, scope, place_id).await?;
        // What the same day held before, for the audit entry (a correction of a count).
        let was: Option<(i64, i64)> = sqlx::query_as(
            "SELECT adults, households FROM village_counts WHERE place_id = $1 AND as_of = $2",
        )
        .bind(place.id)
        .bind(&as_of)
        .fetch_optional(&mut *tx)
        .await?;
        let before = was.map(|(adults, households)| serde_json::json!({"as_of": as_of, "adults": adults, "households": households}));
        sqlx::query(
            "INSERT INTO village_counts (place_id, as_of, adults, households, created_at) VALUES ($1,$2,$3,$4,$5) \
             ON CONFLICT (place_id, as_of) DO UPDATE SET adults = excluded.adults, households = excluded.households",
        )
        .bind(place.id)
        .bind(&as_of)
        .bind(c.adults)
        .bind(c.households)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let after =
            serde_json::json!({"as_of": as_of, "adults": c.adults, "households": c.households});
        audit::commit(
            tx,
            actor,
            Change::new("set", "village_counts", place.id, before, Some(after)),
            now,
        )
        .await?;
        Ok(())
    }

    /// The counts in force on `day`: the latest set on or before it.
    pub async fn village_counts_on(
        &self,
        scope: &Scope,
        place_id: i64,
        day: &str,
    ) -> StoreResult<Option<(String, Counts)>> {
        let mut conn = self.reader.acquire().await?;
        let place = village_in(&mut conn, scope, place_id).await?;
        counts_on(&mut conn, place.id, day).await
    }

    /// The village's people, by name.
    pub async fn village_people(&self, scope: &Scope, place_id: i64) -> StoreResult<Vec<Person>> {
        let mut conn = self.reader.acquire().await?;
        let place = village_in(&mut conn, scope, place_id).await?;
        Ok(sqlx::query_as(
            "SELECT id, place_id, name, member_id FROM village_people WHERE place_id = $1 ORDER BY name, id",
        )
        .bind(place.id)
        .fetch_all(&mut *conn)
        .await?)
    }

    /// Seats held on `day`, by body.
    pub async fn seats_on(
        &self,
        scope: &Scope,
        place_id: i64,
        day: &str,
    ) -> StoreResult<Vec<SeatRow>> {
        let mut conn = self.reader.acquire().await?;
        let place = village_in(&mut conn, scope, place_id).await?;
        seats_on(&mut conn, place.id, day).await
    }

    pub async fn kinships(&self, scope: &Scope, place_id: i64) -> StoreResult<Vec<KinRow>> {
        let mut conn = self.reader.acquire().await?;
        let place = village_in(&mut conn, scope, place_id).await?;
        kin_of(&mut conn, place.id).await
    }

    /// Sitting supervisors whom a later seat or a recorded relation has made ineligible, with why.
    pub async fn supervision_conflicts(
        &self,
        scope: &Scope,
        place_id: i64,
        day: &str,
    ) -> StoreResult<Vec<(String, String)>> {
        let mut conn = self.reader.acquire().await?;
        let place = village_in(&mut conn, scope, place_id).await?;
        let seats = seats_on(&mut conn, place.id, day).await?;
        let kin = kin_of(&mut conn, place.id).await?;
        Ok(seats
            .iter()
            .filter(|s| s.body == Body::Supervision.as_str())
            .filter_map(|s| {
                let p = Person {
                    id: s.person_id,
                    place_id: place.id,
                    name: s.name.clone(),
                    member_id: None,
                };
                eligibility(&p, &seats, &kin)
                    .err()
                    .map(|e| (s.name.clone(), e.zh))
            })
            .collect())
    }
}

pub(crate) async fn counts_on(
    conn: &mut AnyConnection,
    place_id: i64,
    day: &str,
) -> StoreResult<Option<(String, Counts)>> {
    let row: Option<(String, i64, i64)> = sqlx::query_as(
        "SELECT as_of, adults, households FROM village_counts WHERE place_id = $1 AND as_of <= $2 \
         ORDER BY as_of DESC LIMIT 1",
    )
    .bind(place_id)
    .bind(day)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(d, adults, households)| (d, Counts { adults, households })))
}
