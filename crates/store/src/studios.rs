//! Party-representative studios (党代表工作室, issue 5): studios at a place with a duty schedule
//! (`domain::studio::Duty`, an RFC 5545 rule), the representatives who sit in them (dated; full
//! Party members of the register), and the residents received on duty days. A reception is
//! refused for a day in the future, a day that is not a duty day, or a representative who did not
//! sit in the studio that day. Receptions and residents received are roll-ups per place and
//! month (`studios.*`), bumped in the reception's transaction and rebuilt equal by `rebuild`.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::period_rollups::Totals;
use crate::places::place_in;
use crate::rollups::bump_period;
use crate::scope::Scope;
use crate::sql::{Page, Sql};
use crate::village::refuse;
use crate::{Actor, Store};
use jiceng_domain::studio::Duty;
use serde::Serialize;
use sqlx::AnyConnection;

pub const RECEPTIONS: &str = "studios.receptions";
pub const RESIDENTS: &str = "studios.residents";
/// The longest text of what residents raised.
pub const MAX_RAISED_CHARS: usize = 2000;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Studio {
    pub id: i64,
    pub place_id: i64,
    pub place_name: String,
    pub place_code: String,
    pub name: String,
    pub address: Option<String>,
    pub rrule: String,
    pub since_on: String,
    pub starts_at: String,
    pub ends_at: String,
    /// Representatives sitting now (no end date).
    pub reps: i64,
}

impl Studio {
    /// The schedule as the domain reads it (stored rules passed `Duty::parse` when written).
    pub fn duty(&self) -> StoreResult<Duty> {
        Ok(Duty::parse(
            &self.rrule,
            &self.since_on,
            &self.starts_at,
            &self.ends_at,
        )?)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Rep {
    pub id: i64,
    pub studio_id: i64,
    pub member_id: i64,
    pub name: String,
    pub org_name: String,
    pub from_on: String,
    pub until_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Reception {
    pub id: i64,
    pub studio_id: i64,
    pub studio_name: String,
    pub member_id: i64,
    pub member_name: String,
    pub held_on: String,
    pub residents: i64,
    pub raised: String,
    pub problem_id: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct NewStudio {
    pub place_id: i64,
    pub name: String,
    pub address: Option<String>,
    pub rule: String,
    pub since: String,
    pub starts: String,
    pub ends: String,
}

#[derive(Debug, Clone, Default)]
pub struct NewReception {
    pub studio_id: i64,
    pub member_id: i64,
    pub held_on: String,
    pub residents: i64,
    pub raised: String,
    /// Put what was raised on the problem list, at this village (the studio's own place when
    /// None, which must then be a village).
    pub to_problem: bool,
    pub problem_place_id: Option<i64>,
}

const COLS: &str = "st.id, st.place_id, p.name AS place_name, p.code AS place_code, st.name, st.address, \
    st.rrule, st.since_on, st.starts_at, st.ends_at, \
    (SELECT COUNT(*) FROM studio_reps r WHERE r.studio_id = st.id AND r.until_on IS NULL) AS reps";
const FROM: &str = " FROM studios st JOIN places p ON p.id = st.place_id";
const REP_COLS: &str =
    "r.id, r.studio_id, r.member_id, m.name, o.name AS org_name, r.from_on, r.until_on";
const REP_FROM: &str =
    " FROM studio_reps r JOIN members m ON m.id = r.member_id JOIN orgs o ON o.id = m.org_id";
const REC_COLS: &str = "rc.id, rc.studio_id, st.name AS studio_name, rc.member_id, m.name AS member_name, \
    rc.held_on, rc.residents, rc.raised, rc.problem_id";
const REC_FROM: &str = " FROM receptions rc JOIN studios st ON st.id = rc.studio_id \
    JOIN places p ON p.id = st.place_id JOIN members m ON m.id = rc.member_id";

fn day_checked(s: &str, field: &'static str) -> StoreResult<String> {
    jiceng_domain::meeting::day_number(s).map_err(|e| StoreError::from(e.on(field)))?;
    Ok(s.to_string())
}

pub(crate) async fn studio_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: i64,
) -> StoreResult<Studio> {
    let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE st.id = "));
    sql.bind(id).push(" AND ");
    scope.predicate(&mut sql, "p.code");
    sql.query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

fn month(day: &str) -> String {
    day.get(..7).unwrap_or(day).to_string()
}

impl Store {
    pub async fn create_studio(
        &self,
        actor: &Actor,
        scope: &Scope,
        n: &NewStudio,
        now: i64,
    ) -> StoreResult<Studio> {
        let name = crate::places::check_name(&n.name, "name")?;
        let address = n
            .address
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        if address.is_some_and(|a| a.chars().count() > 200) {
            return Err(refuse(
                "studio.address_invalid",
                "地址不超过200字".into(),
                "an address is at most 200 characters",
                "address",
            ));
        }
        let duty = Duty::parse(&n.rule, &n.since, &n.starts, &n.ends)?;
        let mut tx = self.writer.begin().await?;
        let place = place_in(&mut tx, scope, n.place_id).await?;
        if place.closed_at.is_some() {
            return Err(StoreError::NotFound);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO studios (place_id, name, address, rrule, since_on, starts_at, ends_at, \
             created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) RETURNING id",
        )
        .bind(place.id)
        .bind(&name)
        .bind(address)
        .bind(duty.rule())
        .bind(duty.since())
        .bind(duty.starts())
        .bind(duty.ends())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"place_id": place.id, "name": name, "address": address,
            "rrule": duty.rule(), "since_on": duty.since(), "starts_at": duty.starts(), "ends_at": duty.ends()});
        audit::commit(
            tx,
            actor,
            Change::new("create", "studio", id, None, Some(after)),
            now,
        )
        .await?;
        self.studio(scope, id).await
    }

    pub async fn studio(&self, scope: &Scope, id: i64) -> StoreResult<Studio> {
        let mut conn = self.reader.acquire().await?;
        studio_in(&mut conn, scope, id).await
    }

    /// Studios in scope (under a place when given), by place and name, with the total.
    pub async fn studios(
        &self,
        scope: &Scope,
        under: Option<&str>,
        page: Page,
    ) -> StoreResult<(Vec<Studio>, i64)> {
        let mut w = Sql::new(&format!("{FROM} WHERE "));
        scope.predicate(&mut w, "p.code");
        if let Some(code) = under {
            w.push(" AND ");
            Scope::prefix(code).predicate(&mut w, "p.code");
        }
        Ok(
            w.paged(COLS, "ORDER BY p.code, st.name, st.id", page, &self.reader)
                .await?,
        )
    }

    /// Seats a full Party member of the register in the studio from a day.
    pub async fn add_rep(
        &self,
        actor: &Actor,
        scope: &Scope,
        studio_id: i64,
        member_id: i64,
        from_on: &str,
        now: i64,
    ) -> StoreResult<Rep> {
        let from_on = day_checked(from_on, "from_on")?;
        let mut tx = self.writer.begin().await?;
        let st = studio_in(&mut tx, scope, studio_id).await?;
        let m = Self::member_in(&mut tx, scope, member_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => refuse(
                    "studio.member_unknown",
                    "党员名册中没有这名党员（或不在您的管理范围内）".into(),
                    "no such member in your register",
                    "member_id",
                ),
                other => other,
            })?;
        if m.status != "full" {
            return Err(refuse(
                "studio.member_not_full",
                format!("{}不是正式党员，不能担任党代表", m.name),
                "a representative is a full Party member",
                "member_id",
            ));
        }
        let sitting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM studio_reps WHERE studio_id = $1 AND member_id = $2 AND until_on IS NULL",
        )
        .bind(st.id)
        .bind(m.id)
        .fetch_one(&mut *tx)
        .await?;
        if sitting > 0 {
            return Err(refuse(
                "studio.rep_sitting",
                format!("{}已在{}进站", m.name, st.name),
                "already sits in this studio",
                "member_id",
            ));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO studio_reps (studio_id, member_id, from_on, created_at) VALUES ($1,$2,$3,$4) RETURNING id",
        )
        .bind(st.id)
        .bind(m.id)
        .bind(&from_on)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"studio_id": st.id, "member_id": m.id, "from_on": from_on});
        audit::commit(
            tx,
            actor,
            Change::new("create", "studio_rep", id, None, Some(after)),
            now,
        )
        .await?;
        let reps = self.studio_reps(scope, st.id).await?;
        reps.into_iter()
            .find(|r| r.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// Ends a representative's seat on a day (the seat's history stays).
    pub async fn end_rep(
        &self,
        actor: &Actor,
        scope: &Scope,
        rep_id: i64,
        until_on: &str,
        now: i64,
    ) -> StoreResult<()> {
        let until_on = day_checked(until_on, "until_on")?;
        let mut tx = self.writer.begin().await?;
        let (studio_id, from_on): (i64, String) =
            sqlx::query_as("SELECT studio_id, from_on FROM studio_reps WHERE id = $1")
                .bind(rep_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        studio_in(&mut tx, scope, studio_id).await?;
        if until_on < from_on {
            return Err(refuse(
                "studio.until_before_from",
                format!("离站日期不能早于进站日期（{from_on}）"),
                "a seat ends after it began",
                "until_on",
            ));
        }
        // The guard makes an ended seat end once.
        let n =
            sqlx::query("UPDATE studio_reps SET until_on = $1 WHERE id = $2 AND until_on IS NULL")
                .bind(&until_on)
                .bind(rep_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n == 0 {
            return Err(refuse(
                "studio.rep_ended",
                "该党代表已离站".into(),
                "this seat has ended already",
                "until_on",
            ));
        }
        let after = serde_json::json!({"until_on": until_on});
        audit::commit(
            tx,
            actor,
            Change::new("end", "studio_rep", rep_id, None, Some(after)),
            now,
        )
        .await
    }

    pub async fn studio_reps(&self, scope: &Scope, studio_id: i64) -> StoreResult<Vec<Rep>> {
        let mut conn = self.reader.acquire().await?;
        let st = studio_in(&mut conn, scope, studio_id).await?;
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REP_COLS}{REP_FROM} WHERE r.studio_id = $1 \
             ORDER BY CASE WHEN r.until_on IS NULL THEN 0 ELSE 1 END, r.from_on, r.id"
        )))
        .bind(st.id)
        .fetch_all(&mut *conn)
        .await?)
    }

    /// The studios a member of the register sits in (or sat in), in the caller's scope.
    pub async fn member_studios(
        &self,
        scope: &Scope,
        member_id: i64,
    ) -> StoreResult<Vec<(Studio, Rep)>> {
        let mut conn = self.reader.acquire().await?;
        let m = Self::member_in(&mut conn, scope, member_id).await?;
        let reps: Vec<Rep> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REP_COLS}{REP_FROM} WHERE r.member_id = $1 ORDER BY r.from_on, r.id"
        )))
        .bind(m.id)
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::new();
        for r in reps {
            // A studio outside the caller's scope is left out, not an error.
            match studio_in(&mut conn, scope, r.studio_id).await {
                Ok(st) => out.push((st, r)),
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Records residents received on a duty day; returns the reception and, when what was raised
    /// went to the problem list, the problem's tracking code.
    pub async fn record_reception(
        &self,
        actor: &Actor,
        scope: &Scope,
        n: &NewReception,
        today: &str,
        now: i64,
    ) -> StoreResult<(Reception, Option<String>)> {
        let held_on = day_checked(&n.held_on, "held_on")?;
        if held_on.as_str() > today {
            return Err(refuse(
                "studio.reception_future",
                format!("接待日期（{held_on}）不能晚于今天"),
                "a reception is recorded once held",
                "held_on",
            ));
        }
        if !(1..=500).contains(&n.residents) {
            return Err(refuse(
                "studio.residents_invalid",
                "接待群众人数须为1至500人".into(),
                "1–500 residents",
                "residents",
            ));
        }
        let raised = n.raised.trim();
        if raised.is_empty() || raised.chars().count() > MAX_RAISED_CHARS {
            return Err(refuse(
                "studio.raised_invalid",
                format!("请写下群众反映的事项，不超过{MAX_RAISED_CHARS}字"),
                "what was raised, at most 2,000 characters",
                "raised",
            ));
        }
        let mut tx = self.writer.begin().await?;
        let st = studio_in(&mut tx, scope, n.studio_id).await?;
        if !st.duty()?.is_duty_day(&held_on)? {
            return Err(refuse(
                "studio.not_duty_day",
                format!("{held_on}不是{}的接待日（规则：{}）", st.name, st.rrule),
                "not a duty day of this studio",
                "held_on",
            ));
        }
        let seated: Option<String> = sqlx::query_scalar(
            "SELECT m.name FROM studio_reps r JOIN members m ON m.id = r.member_id WHERE r.studio_id = $1 \
             AND r.member_id = $2 AND r.from_on <= $3 AND (r.until_on IS NULL OR r.until_on >= $3)",
        )
        .bind(st.id)
        .bind(n.member_id)
        .bind(&held_on)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(rep_name) = seated else {
            return Err(refuse(
                "studio.not_on_duty",
                format!("所选党代表{held_on}不在{}进站", st.name),
                "the representative did not sit in this studio that day",
                "member_id",
            ));
        };
        // Where a raised matter goes: checked now, so that filing it after the commit cannot be
        // refused for its place.
        let problem_place = if n.to_problem {
            let pid = n.problem_place_id.unwrap_or(st.place_id);
            let area = place_in(&mut tx, &Scope::All, st.place_id).await?.prefix();
            let p = place_in(&mut tx, &Scope::prefix(area), pid)
                .await
                .map_err(|_| {
                    refuse(
                        "studio.problem_place_invalid",
                        format!("问题所在村须在{}范围内", st.place_name),
                        "the village is under the studio's place",
                        "problem_place_id",
                    )
                })?;
            crate::village::village_in(&mut tx, &Scope::All, p.id)
                .await
                .map_err(|_| {
                    refuse(
                        "studio.problem_place_invalid",
                        format!("{}不是村（社区），请选择问题所在的村（社区）", p.name),
                        "choose the village the matter is about",
                        "problem_place_id",
                    )
                })?;
            if p.closed_at.is_some() {
                return Err(StoreError::NotFound);
            }
            Some(p.id)
        } else {
            None
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO receptions (studio_id, member_id, held_on, residents, raised, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
        )
        .bind(st.id)
        .bind(n.member_id)
        .bind(&held_on)
        .bind(n.residents)
        .bind(raised)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let m = month(&held_on);
        bump_period(&mut tx, &st.place_code, RECEPTIONS, &m, 1).await?;
        bump_period(&mut tx, &st.place_code, RESIDENTS, &m, n.residents).await?;
        let after = serde_json::json!({"studio_id": st.id, "member_id": n.member_id, "rep": rep_name,
            "held_on": held_on, "residents": n.residents, "to_problem": n.to_problem});
        audit::commit(
            tx,
            actor,
            Change::new("create", "reception", id, None, Some(after)),
            now,
        )
        .await?;
        let mut code = None;
        if let Some(place_id) = problem_place {
            // Two transactions for now: the problem list (voice.rs) offers no insert on a caller's
            // connection yet. This becomes one transaction once voice exposes a connection-level
            // insert; until then a failure here leaves the reception without its link, which the
            // page shows and a later filing can mend.
            let p = crate::voice::NewProblem {
                place_id,
                source: "studio".into(),
                category: Some("党代表工作室".into()),
                body: raised.to_string(),
                location: Some(st.name.clone()),
                contact: None,
            };
            let (problem, tracking) = self.file_problem(actor, &p, today, now).await?;
            let mut tx = self.writer.begin().await?;
            let linked = sqlx::query(
                "UPDATE receptions SET problem_id = $1 WHERE id = $2 AND problem_id IS NULL",
            )
            .bind(problem.id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if linked == 1 {
                let after = serde_json::json!({"problem_id": problem.id});
                audit::commit(
                    tx,
                    actor,
                    Change::new("link", "reception", id, None, Some(after)),
                    now,
                )
                .await?;
            }
            code = Some(tracking);
        }
        Ok((self.reception(scope, id).await?, code))
    }

    pub async fn reception(&self, scope: &Scope, id: i64) -> StoreResult<Reception> {
        let mut sql = Sql::new(&format!("SELECT {REC_COLS}{REC_FROM} WHERE rc.id = "));
        sql.bind(id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.query_as()
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Receptions in scope, of one studio or under a place, latest first, with the total.
    pub async fn receptions(
        &self,
        scope: &Scope,
        studio_id: Option<i64>,
        under: Option<&str>,
        page: Page,
    ) -> StoreResult<(Vec<Reception>, i64)> {
        let mut w = Sql::new(&format!("{REC_FROM} WHERE "));
        scope.predicate(&mut w, "p.code");
        if let Some(code) = under {
            w.push(" AND ");
            Scope::prefix(code).predicate(&mut w, "p.code");
        }
        if let Some(s) = studio_id {
            w.push(" AND rc.studio_id = ").bind(s);
        }
        Ok(w.paged(
            REC_COLS,
            "ORDER BY rc.held_on DESC, rc.id DESC",
            page,
            &self.reader,
        )
        .await?)
    }

    /// Receptions and residents received over `months` (YYYY-MM) at a node and at each child
    /// place, from the roll-ups: (place id, name, receptions, residents).
    pub async fn studio_figures(
        &self,
        scope: &Scope,
        place_id: i64,
        months: &[String],
    ) -> StoreResult<Vec<(i64, String, i64, i64)>> {
        let (node, children) = self.node_and_children(scope, place_id).await?;
        let places: Vec<_> = std::iter::once(&node).chain(children.iter()).collect();
        let ids: Vec<i64> = places.iter().map(|p| p.id).collect();
        let sums = self.period_sums(&ids, "studios.", months).await?;
        Ok(places
            .iter()
            .map(|p| {
                (
                    p.id,
                    p.name.clone(),
                    sums.get(p.id, RECEPTIONS),
                    sums.get(p.id, RESIDENTS),
                )
            })
            .collect())
    }

    /// Every non-zero `studios.*` roll-up row, sorted (rebuild == incremental in tests).
    pub async fn studios_snapshot(&self) -> StoreResult<Vec<(i64, String, String, i64)>> {
        self.period_snapshot("studios.").await
    }
}

/// Recomputes every `studios.*` row from the receptions (part of `rollup_rebuild`).
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> StoreResult<usize> {
    let mut totals = Totals::new(conn).await?;
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT p.code, rc.held_on, rc.residents FROM receptions rc \
         JOIN studios st ON st.id = rc.studio_id JOIN places p ON p.id = st.place_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (code, held_on, residents) in rows {
        totals.add(&code, RECEPTIONS, &month(&held_on), 1);
        totals.add(&code, RESIDENTS, &month(&held_on), residents);
    }
    totals.replace(conn, "studios.").await
}
