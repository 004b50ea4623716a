//! Units: enterprises, social organisations and others at a place (two-new coverage counts them).

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::places::{check_name, place_in};
use crate::rollups;
use crate::scope::Scope;
use crate::sql::{Page, Sql, like_contains};
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use serde::Serialize;
use sqlx::AnyConnection;

/// Kinds of unit: (code, zh, en).
pub const UNIT_KINDS: [(&str, &str, &str); 4] = [
    ("enterprise", "非公企业", "Non-public enterprise"),
    ("social_org", "社会组织", "Social organisation"),
    ("institution", "事业单位", "Public institution"),
    ("other", "其他", "Other"),
];

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq, utoipa::ToSchema)]
pub struct Unit {
    pub id: i64,
    pub place_id: i64,
    pub name: String,
    pub kind: String,
    pub credit_code: Option<String>,
    pub above_size: i64,
    pub staff: i64,
    pub founded_on: Option<String>,
    pub closed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub place_code: String,
    pub place_name: String,
}

impl Unit {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({"name": self.name, "kind": self.kind, "place_id": self.place_id, "credit_code": self.credit_code,
            "above_size": self.above_size, "staff": self.staff, "founded_on": self.founded_on, "closed_at": self.closed_at})
    }
}

const COLS: &str = "u.id, u.place_id, u.name, u.kind, u.credit_code, u.above_size, u.staff, u.founded_on, u.closed_at, u.created_at, \
                    u.updated_at, p.code AS place_code, p.name AS place_name";

async fn unit_in(conn: &mut AnyConnection, scope: &Scope, id: i64) -> StoreResult<Unit> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLS} FROM units u JOIN places p ON p.id = u.place_id WHERE u.id = "
    ));
    sql.bind(id).push(" AND ");
    scope.predicate(&mut sql, "p.code");
    sql.query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone)]
pub struct UnitInput {
    pub place_id: i64,
    pub name: String,
    pub kind: String,
    pub credit_code: Option<String>,
    pub above_size: bool,
    pub staff: i64,
    /// 成立日期 (`YYYY-MM-DD`); coverage history counts the unit from then. `None`: when recorded.
    pub founded_on: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub under_prefix: Option<String>,
    pub kind: Option<String>,
    pub q: Option<String>,
    pub include_closed: bool,
}

fn check(input: &UnitInput) -> StoreResult<(String, Option<String>)> {
    let name = check_name(&input.name, "name")?;
    if !UNIT_KINDS.iter().any(|(k, _, _)| *k == input.kind) {
        return Err(DomainError::new(
            "unit.kind_invalid",
            "请选择单位类型",
            "choose the kind of unit",
        )
        .on("kind")
        .into());
    }
    if !(0..=10_000_000).contains(&input.staff) {
        return Err(DomainError::new(
            "unit.staff_invalid",
            "从业人数须为0至1000万之间的整数",
            "staff must be 0–10,000,000",
        )
        .on("staff")
        .into());
    }
    // 统一社会信用代码: 18 characters of digits and upper-case letters (no I, O, Z, S, V).
    let credit = input
        .credit_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_ascii_uppercase);
    if let Some(c) = &credit {
        let ok = c.len() == 18
            && c.chars().all(|ch| {
                ch.is_ascii_digit() || (ch.is_ascii_uppercase() && !"IOZSV".contains(ch))
            });
        if !ok {
            return Err(DomainError::new(
                "unit.credit_code_invalid",
                "统一社会信用代码须为18位数字或大写字母",
                "a credit code has 18 digits or capitals",
            )
            .on("credit_code")
            .into());
        }
    }
    Ok((name, credit))
}

impl Store {
    pub async fn unit(&self, scope: &Scope, id: i64) -> StoreResult<Unit> {
        let mut conn = self.reader.acquire().await?;
        unit_in(&mut conn, scope, id).await
    }

    pub async fn units(
        &self,
        scope: &Scope,
        f: &UnitFilter,
        page: Page,
    ) -> StoreResult<(Vec<Unit>, i64)> {
        let mut w = Sql::new(" FROM units u JOIN places p ON p.id = u.place_id WHERE ");
        scope.predicate(&mut w, "p.code");
        if let Some(pre) = &f.under_prefix {
            w.push(" AND ");
            Scope::prefix(pre.clone()).predicate(&mut w, "p.code");
        }
        if !f.include_closed {
            w.push(" AND u.closed_at IS NULL");
        }
        if let Some(k) = f.kind.as_deref().filter(|k| !k.is_empty()) {
            w.push(" AND u.kind = ").bind(k);
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            w.push(" AND u.name LIKE ")
                .bind(like_contains(q))
                .push(" ESCAPE '\\'");
        }
        Ok(w.paged(COLS, "ORDER BY p.code, u.name", page, &self.reader)
            .await?)
    }

    /// The units an organisation covers, within scope.
    pub async fn units_of_org(&self, scope: &Scope, org_id: i64) -> StoreResult<Vec<Unit>> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLS} FROM units u JOIN places p ON p.id = u.place_id JOIN org_units ou ON ou.unit_id = u.id WHERE ou.org_id = "
        ));
        sql.bind(org_id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.push(" ORDER BY u.id");
        Ok(sql.query_as().fetch_all(&self.reader).await?)
    }

    pub async fn create_unit(
        &self,
        actor: &Actor,
        scope: &Scope,
        input: UnitInput,
        now: i64,
    ) -> StoreResult<Unit> {
        let (name, credit) = check(&input)?;
        let mut tx = self.writer.begin().await?;
        let place = place_in(&mut tx, scope, input.place_id).await?;
        if place.closed_at.is_some() {
            return Err(DomainError::new(
                "place.parent_closed",
                "所在地点已撤销",
                "the place is closed",
            )
            .on("place_id")
            .into());
        }
        let founded = crate::coverage::founding_date(input.founded_on.as_deref(), now)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO units (place_id, name, kind, credit_code, above_size, staff, founded_on, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) RETURNING id",
        )
        .bind(place.id)
        .bind(&name)
        .bind(&input.kind)
        .bind(&credit)
        .bind(i64::from(input.above_size))
        .bind(input.staff)
        .bind(founded)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        rollups::bump(&mut tx, &place.code, rollups::UNITS, 1).await?;
        crate::coverage::shift(&mut tx, &[id], Vec::new()).await?;
        let unit = unit_in(&mut tx, &Scope::All, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new("create", "unit", id, None, Some(unit.json())),
            now,
        )
        .await?;
        Ok(unit)
    }

    /// Edits a unit; a change of `place_id` is a move and carries its count along.
    pub async fn update_unit(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        input: UnitInput,
        now: i64,
    ) -> StoreResult<Unit> {
        let (name, credit) = check(&input)?;
        let mut tx = self.writer.begin().await?;
        let before = unit_in(&mut tx, scope, id).await?;
        let place = place_in(&mut tx, scope, input.place_id).await?;
        if place.id != before.place_id && place.closed_at.is_some() {
            return Err(DomainError::new(
                "place.parent_closed",
                "所在地点已撤销",
                "the place is closed",
            )
            .on("place_id")
            .into());
        }
        // A blank founding date keeps the one on record.
        let founded = match input.founded_on.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(d) => crate::coverage::founding_date(Some(d), now)?,
            None => before.founded_on.clone(),
        };
        let counted = crate::coverage::track(&mut tx, &[id]).await?;
        sqlx::query("UPDATE units SET place_id=$1, name=$2, kind=$3, credit_code=$4, above_size=$5, staff=$6, founded_on=$7, updated_at=$8 WHERE id=$9")
            .bind(place.id)
            .bind(&name)
            .bind(&input.kind)
            .bind(&credit)
            .bind(i64::from(input.above_size))
            .bind(input.staff)
            .bind(founded)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        crate::coverage::shift(&mut tx, &[id], counted).await?;
        if place.id != before.place_id && before.closed_at.is_none() {
            rollups::bump(&mut tx, &before.place_code, rollups::UNITS, -1).await?;
            rollups::bump(&mut tx, &place.code, rollups::UNITS, 1).await?;
        }
        let after = unit_in(&mut tx, &Scope::All, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new(
                "update",
                "unit",
                id,
                Some(before.json()),
                Some(after.json()),
            ),
            now,
        )
        .await?;
        Ok(after)
    }

    pub async fn close_unit(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        now: i64,
    ) -> StoreResult<Unit> {
        let mut tx = self.writer.begin().await?;
        let before = unit_in(&mut tx, scope, id).await?;
        if before.closed_at.is_some() {
            return Ok(before);
        }
        let counted = crate::coverage::track(&mut tx, &[id]).await?;
        sqlx::query("UPDATE units SET closed_at = $1, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        rollups::bump(&mut tx, &before.place_code, rollups::UNITS, -1).await?;
        crate::coverage::shift(&mut tx, &[id], counted).await?;
        let after = unit_in(&mut tx, &Scope::All, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new("close", "unit", id, Some(before.json()), Some(after.json())),
            now,
        )
        .await?;
        Ok(after)
    }
}
