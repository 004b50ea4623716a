//! Bulk loading: many rows per statement inside ONE transaction.
//!
//! For the demo generator (province scale): places, units and organisations, with ONE audit entry
//! for the whole batch. Roll-ups are not maintained row by row: the caller runs
//! `Store::rollup_rebuild` once after its last batch. The same rules as the per-record API are
//! checked (codes and their parents, names, organisation kinds, joint-branch size), so a batch
//! cannot write what a user could not.
//!
//! The roster import's rows are checked, sealed and inserted by `roster/rows.rs`.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::orgs::JOINT_MAX_UNITS;
use crate::places::check_name;
use crate::sql::{Sql, Val};
use crate::units::UNIT_KINDS;
use crate::{Actor, Store};
use jiceng_domain::{DivisionCode, DomainError, OrgKind};
use serde::Serialize;
use sqlx::{Any, Transaction};
use std::collections::{HashMap, HashSet};

/// Rows per INSERT: far below the parameter limits of SQLite (32,766) and PostgreSQL (65,535).
const CHUNK: usize = 200;

/// The audit action of a batch.
pub const BULK_ACTION: &str = "demo_bulk";

#[derive(Debug, Clone)]
pub struct BulkPlace {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct BulkUnit {
    pub place_code: String,
    /// Unique per place within one call (the returned ids are matched by place and name).
    pub name: String,
    pub kind: String,
    pub credit_code: Option<String>,
    pub above_size: bool,
    pub staff: i64,
}

/// Where an organisation hangs: nowhere, under a stored one, or under an earlier row of the same call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgParent {
    Root,
    Existing(i64),
    Row(usize),
}

#[derive(Debug, Clone)]
pub struct BulkOrg {
    pub parent: OrgParent,
    pub place_code: String,
    pub name: String,
    pub kind: OrgKind,
    pub unit_ids: Vec<i64>,
}

/// What a batch wrote (the `after` of its audit entry).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BulkCounts {
    pub places: u64,
    pub villages: u64,
    pub grids: u64,
    pub orgs: u64,
    pub units: u64,
}

/// One open batch: a write transaction plus the ids of the places it has seen.
pub struct Bulk {
    tx: Transaction<'static, Any>,
    place_ids: HashMap<String, i64>,
    counts: BulkCounts,
}

impl std::fmt::Debug for Bulk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bulk")
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

fn missing(what: &str, field: &'static str) -> StoreError {
    DomainError::new(
        "bulk.reference_missing",
        format!("批量写入引用了不存在或已撤销的{what}"),
        format!("the batch refers to a {what} that does not exist or is closed"),
    )
    .on(field)
    .into()
}

fn check_unit(u: &BulkUnit) -> StoreResult<String> {
    let name = check_name(&u.name, "name")?;
    if !UNIT_KINDS.iter().any(|(k, _, _)| *k == u.kind) {
        return Err(DomainError::new(
            "unit.kind_invalid",
            "请选择单位类型",
            "choose the kind of unit",
        )
        .on("kind")
        .into());
    }
    if !(0..=10_000_000).contains(&u.staff) {
        return Err(DomainError::new(
            "unit.staff_invalid",
            "从业人数须为0至1000万之间的整数",
            "staff must be 0–10,000,000",
        )
        .on("staff")
        .into());
    }
    if let Some(c) = &u.credit_code {
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
    Ok(name)
}

impl Store {
    /// Opens a batch. Nothing is visible to others until `Bulk::finish`; dropping it rolls back.
    pub async fn bulk(&self) -> StoreResult<Bulk> {
        Ok(Bulk {
            tx: self.writer.begin().await?,
            place_ids: HashMap::new(),
            counts: BulkCounts::default(),
        })
    }
}

impl Bulk {
    pub fn counts(&self) -> BulkCounts {
        self.counts
    }

    /// The id of an open place, from this batch or the database.
    async fn place_id(&mut self, code: &str) -> StoreResult<Option<i64>> {
        if let Some(id) = self.place_ids.get(code) {
            return Ok(Some(*id));
        }
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM places WHERE code = $1 AND closed_at IS NULL")
                .bind(code)
                .fetch_optional(&mut *self.tx)
                .await?;
        if let Some(id) = id {
            self.place_ids.insert(code.to_string(), id);
        }
        Ok(id)
    }

    /// Inserts places, parents before children whatever the order given (a parent may be in the
    /// same call or already stored). Returns the ids in input order.
    pub async fn places(&mut self, rows: &[BulkPlace], now: i64) -> StoreResult<Vec<i64>> {
        let mut parsed = Vec::with_capacity(rows.len());
        for r in rows {
            parsed.push((DivisionCode::parse(&r.code)?, check_name(&r.name, "name")?));
        }
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by_key(|&i| parsed[i].0.kind().level());
        let mut ids = vec![0i64; rows.len()];
        let mut start = 0;
        while start < order.len() {
            // A chunk holds one level only, so every parent is stored before its children.
            let level = parsed[order[start]].0.kind().level();
            let mut end = start;
            while end < order.len()
                && end - start < CHUNK
                && parsed[order[end]].0.kind().level() == level
            {
                end += 1;
            }
            let mut sql = Sql::new(
                "INSERT INTO places (parent_id, code, name, kind, created_at, updated_at) VALUES ",
            );
            sql.vals.push(Val::Int(now));
            for (n, &i) in order[start..end].iter().enumerate() {
                let (code, name) = &parsed[i];
                let parent_code = code.parent_code();
                let parent_id = match &parent_code {
                    Some(pc) => self.place_id(pc).await?,
                    None => None,
                };
                // Mirrors create_place: a city or county may be a root; anything else needs its parent.
                let parent_for_check = parent_id.and(parent_code.as_deref());
                code.check_parent(parent_for_check)?;
                if n > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(parent_id)
                    .push(", ")
                    .bind(code.as_str())
                    .push(", ")
                    .bind(name.as_str())
                    .push(", ")
                    .bind(code.kind().as_str())
                    .push(", $1, $1)");
            }
            sql.push(" RETURNING id, code");
            let got: Vec<(i64, String)> =
                sql.query_as().fetch_all(&mut *self.tx).await.map_err(|e| {
                    StoreError::from(e).unique(
                        "place.code_taken",
                        "code",
                        "该区划代码已存在",
                        "this code is already in use",
                    )
                })?;
            for (id, code) in got {
                self.place_ids.insert(code, id);
            }
            for &i in &order[start..end] {
                let code = &parsed[i].0;
                ids[i] = self
                    .place_ids
                    .get(code.as_str())
                    .copied()
                    .ok_or_else(|| StoreError::Internal(format!("bulk: no id for {code}")))?;
                self.counts.places += 1;
                match code.kind().level() {
                    4 => self.counts.villages += 1,
                    5 => self.counts.grids += 1,
                    _ => {}
                }
            }
            start = end;
        }
        Ok(ids)
    }

    /// Inserts units; returns their ids in input order.
    pub async fn units(&mut self, rows: &[BulkUnit], now: i64) -> StoreResult<Vec<i64>> {
        let mut names = Vec::with_capacity(rows.len());
        let mut seen = HashSet::new();
        for r in rows {
            let name = check_unit(r)?;
            if !seen.insert((r.place_code.clone(), name.clone())) {
                return Err(StoreError::Internal(format!(
                    "bulk: unit {name} is listed twice at {}",
                    r.place_code
                )));
            }
            names.push(name);
        }
        let mut ids = vec![0i64; rows.len()];
        for (c, chunk) in rows.chunks(CHUNK).enumerate() {
            let mut sql = Sql::new(
                "INSERT INTO units (place_id, name, kind, credit_code, above_size, staff, created_at, updated_at) VALUES ",
            );
            sql.vals.push(Val::Int(now));
            let mut keys = Vec::with_capacity(chunk.len());
            for (n, r) in chunk.iter().enumerate() {
                let place_id = self
                    .place_id(&r.place_code)
                    .await?
                    .ok_or_else(|| missing("地点", "place_id"))?;
                let name = &names[c * CHUNK + n];
                keys.push((place_id, name.clone()));
                if n > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(place_id)
                    .push(", ")
                    .bind(name.as_str())
                    .push(", ")
                    .bind(r.kind.as_str())
                    .push(", ")
                    .bind(r.credit_code.clone())
                    .push(", ")
                    .bind(i64::from(r.above_size))
                    .push(", ")
                    .bind(r.staff)
                    .push(", $1, $1)");
            }
            sql.push(" RETURNING id, place_id, name");
            let got: Vec<(i64, i64, String)> = sql.query_as().fetch_all(&mut *self.tx).await?;
            let by_key: HashMap<(i64, String), i64> =
                got.into_iter().map(|(id, p, n)| ((p, n), id)).collect();
            for (n, key) in keys.iter().enumerate() {
                ids[c * CHUNK + n] = by_key.get(key).copied().ok_or_else(|| {
                    StoreError::Internal(format!("bulk: no id for unit {}", key.1))
                })?;
            }
            self.counts.units += chunk.len() as u64;
        }
        Ok(ids)
    }

    /// Inserts organisations (a parent row must come before its children) and the units they cover.
    /// Returns the ids in input order.
    pub async fn orgs(&mut self, rows: &[BulkOrg], now: i64) -> StoreResult<Vec<i64>> {
        let mut depth = vec![0usize; rows.len()];
        let mut names = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            names.push(check_name(&r.name, "name")?);
            if r.kind == OrgKind::JointBranch && r.unit_ids.len() > JOINT_MAX_UNITS {
                return Err(DomainError::new(
                    "org.joint_too_many_units",
                    format!("联合党支部覆盖的单位不超过{JOINT_MAX_UNITS}个"),
                    format!("a joint branch covers at most {JOINT_MAX_UNITS} units"),
                )
                .on("unit_ids")
                .into());
            }
            if r.kind != OrgKind::JointBranch && r.unit_ids.len() > 1 {
                return Err(DomainError::new(
                    "org.units_need_joint",
                    "覆盖多个单位的须为联合党支部",
                    "only a joint branch covers several units",
                )
                .on("unit_ids")
                .into());
            }
            let parent_kind = match r.parent {
                OrgParent::Root => None,
                OrgParent::Row(j) if j < i => {
                    depth[i] = depth[j] + 1;
                    Some(rows[j].kind)
                }
                OrgParent::Row(_) => {
                    return Err(StoreError::Internal(
                        "bulk: an organisation's parent row must come first".into(),
                    ));
                }
                OrgParent::Existing(id) => {
                    let kind: Option<String> = sqlx::query_scalar(
                        "SELECT kind FROM orgs WHERE id = $1 AND closed_at IS NULL",
                    )
                    .bind(id)
                    .fetch_optional(&mut *self.tx)
                    .await?;
                    let kind = kind.ok_or_else(|| missing("上级党组织", "parent_id"))?;
                    Some(OrgKind::parse(&kind).ok_or_else(|| missing("上级党组织", "parent_id"))?)
                }
            };
            r.kind.check_parent(parent_kind)?;
        }
        let mut ids = vec![0i64; rows.len()];
        let max_depth = depth.iter().copied().max().unwrap_or(0);
        for d in 0..=max_depth {
            let level: Vec<usize> = (0..rows.len()).filter(|&i| depth[i] == d).collect();
            for chunk in level.chunks(CHUNK) {
                self.insert_orgs(rows, &names, chunk, &mut ids, now).await?;
            }
        }
        let links: Vec<(i64, i64)> = rows
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.unit_ids.iter().map(move |u| (i, *u)))
            .map(|(i, u)| (ids[i], u))
            .collect();
        for chunk in links.chunks(CHUNK) {
            let mut sql = Sql::new("INSERT INTO org_units (org_id, unit_id) VALUES ");
            for (n, (org, unit)) in chunk.iter().enumerate() {
                if n > 0 {
                    sql.push(", ");
                }
                sql.push("(").bind(*org).push(", ").bind(*unit).push(")");
            }
            sql.query().execute(&mut *self.tx).await.map_err(|e| {
                StoreError::from(e).unique(
                    "org.unit_twice",
                    "unit_ids",
                    "同一单位不能重复",
                    "a unit is listed twice",
                )
            })?;
        }
        self.counts.orgs += rows.len() as u64;
        Ok(ids)
    }

    /// One INSERT for rows of the same depth, then their paths. A temporary path `#<row>` tells the
    /// returned ids apart (RETURNING does not promise input order); real paths start with '/'.
    async fn insert_orgs(
        &mut self,
        rows: &[BulkOrg],
        names: &[String],
        chunk: &[usize],
        ids: &mut [i64],
        now: i64,
    ) -> StoreResult<()> {
        let mut sql = Sql::new(
            "INSERT INTO orgs (parent_id, place_id, name, kind, path, created_at, updated_at) VALUES ",
        );
        sql.vals.push(Val::Int(now));
        for (n, &i) in chunk.iter().enumerate() {
            let r = &rows[i];
            let parent_id = match r.parent {
                OrgParent::Root => None,
                OrgParent::Existing(id) => Some(id),
                OrgParent::Row(j) => Some(ids[j]),
            };
            let place_id = self
                .place_id(&r.place_code)
                .await?
                .ok_or_else(|| missing("地点", "place_id"))?;
            if n > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(parent_id)
                .push(", ")
                .bind(place_id)
                .push(", ")
                .bind(names[i].as_str())
                .push(", ")
                .bind(r.kind.as_str())
                .push(", ")
                .bind(format!("#{i}"))
                .push(", $1, $1)");
        }
        sql.push(" RETURNING id, path");
        let got: Vec<(i64, String)> = sql.query_as().fetch_all(&mut *self.tx).await?;
        let mut upd = Sql::new(
            "UPDATE orgs SET path = COALESCE((SELECT p.path FROM orgs p WHERE p.id = orgs.parent_id), '/') \
             || CAST(id AS TEXT) || '/' WHERE id IN (",
        );
        for (n, (id, tmp)) in got.iter().enumerate() {
            let row: usize = tmp
                .get(1..)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| StoreError::Internal(format!("bulk: unexpected path {tmp}")))?;
            if let Some(slot) = ids.get_mut(row) {
                *slot = *id;
            }
            if n > 0 {
                upd.push(", ");
            }
            upd.bind(*id);
        }
        upd.push(")");
        upd.query().execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Appends the batch's one audit entry and commits. `entity_id` names the batch (a town code).
    pub async fn finish(
        mut self,
        actor: &Actor,
        entity_id: &str,
        now: i64,
    ) -> StoreResult<BulkCounts> {
        let after =
            serde_json::to_value(self.counts).map_err(|e| StoreError::Internal(e.to_string()))?;
        audit::append(
            &mut self.tx,
            actor,
            Change {
                action: BULK_ACTION,
                entity: "place",
                entity_id: entity_id.to_string(),
                before: None,
                after: Some(after),
            },
            now,
        )
        .await?;
        self.tx.commit().await?;
        Ok(self.counts)
    }
}
