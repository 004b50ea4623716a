//! Party organisations: their own tree (materialised path of ids), each sitting at a place, some
//! covering units (one for its own unit, up to five for a 联合党支部).

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::places::{check_name, place_in};
use crate::rollups;
use crate::scope::Scope;
use crate::sql::{Page, Sql, like_contains};
use crate::{Actor, Store};
use jiceng_domain::{DomainError, OrgKind};
use serde::Serialize;
use sqlx::AnyConnection;

/// 联合党支部 covers at most five units (《支部条例》 practice, DOMAIN.md).
pub const JOINT_MAX_UNITS: usize = 5;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq, utoipa::ToSchema)]
pub struct Org {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub place_id: i64,
    pub name: String,
    pub kind: String,
    pub path: String,
    pub founded_on: Option<String>,
    pub closed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub place_code: String,
    pub place_name: String,
}

impl Org {
    pub fn kind(&self) -> Option<OrgKind> {
        OrgKind::parse(&self.kind)
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({"name": self.name, "kind": self.kind, "parent_id": self.parent_id, "place_id": self.place_id,
            "path": self.path, "founded_on": self.founded_on, "closed_at": self.closed_at})
    }
}

const COLS: &str = "o.id, o.parent_id, o.place_id, o.name, o.kind, o.path, o.founded_on, o.closed_at, o.created_at, o.updated_at, \
                    p.code AS place_code, p.name AS place_name";

pub(crate) async fn org_in(conn: &mut AnyConnection, scope: &Scope, id: i64) -> StoreResult<Org> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLS} FROM orgs o JOIN places p ON p.id = o.place_id WHERE o.id = "
    ));
    sql.bind(id).push(" AND ");
    scope.predicate(&mut sql, "p.code");
    sql.query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub parent_id: Option<i64>,
    pub place_id: i64,
    pub name: String,
    pub kind: String,
    pub unit_ids: Vec<i64>,
    /// 成立日期 (`YYYY-MM-DD`); coverage history counts the organisation from then. `None`: today.
    pub founded_on: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    /// Organisations at places under this place's code prefix.
    pub under_prefix: Option<String>,
    pub parent_id: Option<i64>,
    pub kind: Option<String>,
    pub q: Option<String>,
    pub include_closed: bool,
}

fn parse_kind(kind: &str) -> StoreResult<OrgKind> {
    OrgKind::parse(kind).ok_or_else(|| {
        DomainError::new(
            "org.kind_invalid",
            "请选择党组织类型",
            "choose the kind of organisation",
        )
        .on("kind")
        .into()
    })
}

impl Store {
    pub async fn org(&self, scope: &Scope, id: i64) -> StoreResult<Org> {
        let mut conn = self.reader.acquire().await?;
        org_in(&mut conn, scope, id).await
    }

    pub async fn orgs(
        &self,
        scope: &Scope,
        f: &OrgFilter,
        page: Page,
    ) -> StoreResult<(Vec<Org>, i64)> {
        let mut w = Sql::new(" FROM orgs o JOIN places p ON p.id = o.place_id WHERE ");
        scope.predicate(&mut w, "p.code");
        if let Some(pre) = &f.under_prefix {
            w.push(" AND ");
            Scope::prefix(pre.clone()).predicate(&mut w, "p.code");
        }
        if !f.include_closed {
            w.push(" AND o.closed_at IS NULL");
        }
        if let Some(pid) = f.parent_id {
            w.push(" AND o.parent_id = ").bind(pid);
        }
        if let Some(k) = f.kind.as_deref().filter(|k| !k.is_empty()) {
            w.push(" AND o.kind = ").bind(k);
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            w.push(" AND o.name LIKE ")
                .bind(like_contains(q))
                .push(" ESCAPE '\\'");
        }
        Ok(w.paged(COLS, "ORDER BY p.code, o.path", page, &self.reader)
            .await?)
    }

    /// Units an organisation covers.
    pub async fn org_unit_ids(&self, org_id: i64) -> StoreResult<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT unit_id FROM org_units WHERE org_id = $1 ORDER BY unit_id")
                .bind(org_id)
                .fetch_all(&self.reader)
                .await?,
        )
    }

    pub async fn create_org(
        &self,
        actor: &Actor,
        scope: &Scope,
        new: NewOrg,
        now: i64,
    ) -> StoreResult<Org> {
        let name = check_name(&new.name, "name")?;
        let kind = parse_kind(&new.kind)?;
        if kind == OrgKind::JointBranch && new.unit_ids.len() > JOINT_MAX_UNITS {
            return Err(DomainError::new(
                "org.joint_too_many_units",
                format!("联合党支部覆盖的单位不超过{JOINT_MAX_UNITS}个"),
                format!("a joint branch covers at most {JOINT_MAX_UNITS} units"),
            )
            .on("unit_ids")
            .into());
        }
        if kind != OrgKind::JointBranch && new.unit_ids.len() > 1 {
            return Err(DomainError::new(
                "org.units_need_joint",
                "覆盖多个单位的须为联合党支部",
                "only a joint branch covers several units",
            )
            .on("unit_ids")
            .into());
        }
        let mut tx = self.writer.begin().await?;
        let place = place_in(&mut tx, scope, new.place_id).await?;
        if place.closed_at.is_some() {
            return Err(DomainError::new(
                "place.parent_closed",
                "所在地点已撤销",
                "the place is closed",
            )
            .on("place_id")
            .into());
        }
        let parent = match new.parent_id {
            Some(pid) => Some(org_in(&mut tx, scope, pid).await?),
            None => None,
        };
        if parent.as_ref().is_some_and(|p| p.closed_at.is_some()) {
            return Err(DomainError::new(
                "org.parent_closed",
                "上级党组织已撤销",
                "the parent organisation is closed",
            )
            .on("parent_id")
            .into());
        }
        kind.check_parent(parent.as_ref().and_then(Org::kind))?;
        let founded = crate::coverage::founding_date(new.founded_on.as_deref(), now)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO orgs (parent_id, place_id, name, kind, path, founded_on, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,'',$5,$6,$6) RETURNING id",
        )
        .bind(new.parent_id)
        .bind(place.id)
        .bind(&name)
        .bind(kind.as_str())
        .bind(founded)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let covered_before = crate::coverage::track(&mut tx, &new.unit_ids).await?;
        let path = format!("{}{id}/", parent.as_ref().map_or("/", |p| p.path.as_str()));
        sqlx::query("UPDATE orgs SET path = $1 WHERE id = $2")
            .bind(&path)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for unit_id in &new.unit_ids {
            let mut sql = Sql::new(
                "SELECT COUNT(*) FROM units u JOIN places p ON p.id = u.place_id WHERE u.closed_at IS NULL AND u.id = ",
            );
            sql.bind(*unit_id).push(" AND ");
            scope.predicate(&mut sql, "p.code");
            if sql.scalar::<i64>().fetch_one(&mut *tx).await? == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("INSERT INTO org_units (org_id, unit_id) VALUES ($1, $2)")
                .bind(id)
                .bind(*unit_id)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    StoreError::from(e).unique(
                        "org.unit_twice",
                        "unit_ids",
                        "同一单位不能重复",
                        "a unit is listed twice",
                    )
                })?;
        }
        rollups::bump(&mut tx, &place.code, rollups::ORGS, 1).await?;
        // The units were counted uncovered until now (unless another organisation covers them).
        crate::coverage::shift(&mut tx, &new.unit_ids, covered_before).await?;
        let org = org_in(&mut tx, &Scope::All, id).await?;
        let mut after = org.json();
        after["unit_ids"] = serde_json::json!(new.unit_ids);
        audit::commit(
            tx,
            actor,
            Change::new("create", "org", id, None, Some(after)),
            now,
        )
        .await?;
        Ok(org)
    }

    pub async fn rename_org(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        name: &str,
        now: i64,
    ) -> StoreResult<Org> {
        let name = check_name(name, "name")?;
        let mut tx = self.writer.begin().await?;
        let before = org_in(&mut tx, scope, id).await?;
        sqlx::query("UPDATE orgs SET name = $1, updated_at = $2 WHERE id = $3")
            .bind(&name)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = org_in(&mut tx, &Scope::All, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new("rename", "org", id, Some(before.json()), Some(after.json())),
            now,
        )
        .await?;
        Ok(after)
    }

    /// Re-parents an organisation (and optionally moves it to another place); the subtree's paths follow.
    pub async fn move_org(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        new_parent_id: Option<i64>,
        new_place_id: Option<i64>,
        now: i64,
    ) -> StoreResult<Org> {
        let mut tx = self.writer.begin().await?;
        let before = org_in(&mut tx, scope, id).await?;
        let parent = match new_parent_id {
            Some(pid) => Some(org_in(&mut tx, scope, pid).await?),
            None => None,
        };
        if let Some(p) = &parent {
            if p.path.starts_with(&before.path) {
                return Err(DomainError::new(
                    "org.move_cycle",
                    "不能移到自身或其下级党组织之下",
                    "an organisation cannot move under itself or its own subtree",
                )
                .on("parent_id")
                .into());
            }
            if p.closed_at.is_some() {
                return Err(DomainError::new(
                    "org.parent_closed",
                    "上级党组织已撤销",
                    "the parent organisation is closed",
                )
                .on("parent_id")
                .into());
            }
        }
        if let Some(k) = before.kind() {
            k.check_parent(parent.as_ref().and_then(Org::kind))?;
        }
        let place = match new_place_id {
            Some(pl) => place_in(&mut tx, scope, pl).await?,
            None => place_in(&mut tx, &Scope::All, before.place_id).await?,
        };
        if place.closed_at.is_some() {
            return Err(DomainError::new(
                "place.parent_closed",
                "所在地点已撤销",
                "the place is closed",
            )
            .on("place_id")
            .into());
        }
        let new_path = format!("{}{id}/", parent.as_ref().map_or("/", |p| p.path.as_str()));
        let mut upd = Sql::new("UPDATE orgs SET path = ");
        upd.bind(new_path.clone())
            .push(" || substr(path, CAST(")
            .bind(before.path.len() as i64 + 1)
            .push(" AS INTEGER)) WHERE ");
        Scope::prefix(before.path.clone()).predicate(&mut upd, "path");
        upd.query().execute(&mut *tx).await?;
        sqlx::query("UPDATE orgs SET parent_id = $1, place_id = $2, updated_at = $3 WHERE id = $4")
            .bind(new_parent_id)
            .bind(place.id)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if place.id != before.place_id && before.closed_at.is_none() {
            rollups::bump(&mut tx, &before.place_code, rollups::ORGS, -1).await?;
            rollups::bump(&mut tx, &place.code, rollups::ORGS, 1).await?;
        }
        if place.id != before.place_id {
            // Its members are counted where the organisation sits: they move with it.
            let n = rollups::org_member_count(&mut tx, id).await?;
            rollups::bump(&mut tx, &before.place_code, rollups::MEMBERS, -n).await?;
            rollups::bump(&mut tx, &place.code, rollups::MEMBERS, n).await?;
            crate::life::carry_org(&mut tx, id, &before.place_code, &place.code).await?;
        }
        let after = org_in(&mut tx, &Scope::All, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new("move", "org", id, Some(before.json()), Some(after.json())),
            now,
        )
        .await?;
        Ok(after)
    }

    pub async fn close_org(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        now: i64,
    ) -> StoreResult<Org> {
        let mut tx = self.writer.begin().await?;
        let before = org_in(&mut tx, scope, id).await?;
        if before.closed_at.is_some() {
            return Ok(before);
        }
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM orgs WHERE parent_id = $1 AND closed_at IS NULL",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if open > 0 {
            return Err(DomainError::new(
                "org.has_open_children",
                "其下还有未撤销的党组织，请先撤销或迁出",
                "organisations below are still open",
            )
            .into());
        }
        if rollups::org_member_count(&mut tx, id).await? > 0 {
            return Err(DomainError::new(
                "org.has_members",
                "该党组织还有党员，请先转出组织关系",
                "members are still registered with this organisation; transfer them first",
            )
            .into());
        }
        let units = crate::coverage::units_of(&mut tx, id).await?;
        let covered_before = crate::coverage::track(&mut tx, &units).await?;
        sqlx::query("UPDATE orgs SET closed_at = $1, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        rollups::bump(&mut tx, &before.place_code, rollups::ORGS, -1).await?;
        crate::coverage::shift(&mut tx, &units, covered_before).await?;
        let after = org_in(&mut tx, &Scope::All, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new("close", "org", id, Some(before.json()), Some(after.json())),
            now,
        )
        .await?;
        Ok(after)
    }
}
