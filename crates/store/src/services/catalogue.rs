//! The service catalogue: items of a place (offered at its centre and every centre under it),
//! checked on the way in; created, changed and withdrawn by the editors of that place, audited.

use super::{ITEM_COLS, Item, ItemInput, item_by, offered_at, refuse};
use crate::audit::{self, Change};
use crate::error::StoreResult;
use crate::places::place_in;
use crate::scope::Scope;
use crate::sql::Sql;
use crate::{Actor, Store};
use jiceng_domain::service as rules;
use sqlx::AnyConnection;

fn check_item(n: &ItemInput) -> StoreResult<ItemInput> {
    let code = n.code.trim().to_ascii_uppercase();
    if code.is_empty()
        || code.len() > 20
        || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(refuse(
            "service.code_invalid",
            "事项编码须为1至20位字母、数字或“-”",
            "a code is 1–20 letters, digits or '-'",
            "code",
        ));
    }
    let name = n.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(refuse(
            "service.name_invalid",
            "请填写事项名称，不超过60字",
            "a name is 1–60 characters",
            "name",
        ));
    }
    if rules::group_zh(&n.group).is_none() {
        return Err(refuse(
            "service.group_invalid",
            "请选择事项类别（党务、政务、村务或公共服务）",
            "choose a group",
            "group",
        ));
    }
    let materials: Vec<&str> = n
        .materials
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if materials.join("\n").chars().count() > 2000 {
        return Err(refuse(
            "service.materials_invalid",
            "所需材料不超过2000字",
            "materials are at most 2,000 characters",
            "materials",
        ));
    }
    Ok(ItemInput {
        place_id: n.place_id,
        code,
        name: name.to_string(),
        group: n.group.clone(),
        materials: materials.join("\n"),
        limit_days: rules::check_limit(n.limit_days)?,
        online: n.online,
        sort: n.sort.clamp(0, 9999),
    })
}

/// An item whose place is in `scope` (what its editors may change).
async fn item_in(conn: &mut AnyConnection, scope: &Scope, id: i64) -> StoreResult<Item> {
    let mut sql = Sql::new(&format!(
        "SELECT {ITEM_COLS} FROM service_items si JOIN places p ON p.id = si.place_id WHERE si.id = "
    ));
    sql.bind(id).push(" AND ");
    scope.predicate(&mut sql, "p.code");
    item_by(conn, &sql).await
}

impl Store {
    /// Adds an item to the catalogue of a place in scope (offered there and below).
    pub async fn create_service_item(
        &self,
        actor: &Actor,
        scope: &Scope,
        n: &ItemInput,
        now: i64,
    ) -> StoreResult<Item> {
        let n = check_item(n)?;
        let mut tx = self.writer.begin().await?;
        let place = place_in(&mut tx, scope, n.place_id).await?;
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM service_items WHERE code = $1")
            .bind(&n.code)
            .fetch_one(&mut *tx)
            .await?;
        if taken > 0 {
            return Err(refuse(
                "service.code_taken",
                format!("事项编码{}已被使用，请换一个", n.code),
                "the code is taken",
                "code",
            ));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO service_items (place_id, code, name, grp, materials, limit_days, online, active, sort, \
             created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,1,$8,$9,$9) RETURNING id",
        )
        .bind(place.id)
        .bind(&n.code)
        .bind(&n.name)
        .bind(&n.group)
        .bind(&n.materials)
        .bind(n.limit_days)
        .bind(i64::from(n.online))
        .bind(n.sort)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"place_id": place.id, "code": n.code, "name": n.name,
            "group": n.group, "limit_days": n.limit_days, "online": n.online});
        audit::commit(
            tx,
            actor,
            Change::new("create", "service_item", id, None, Some(after)),
            now,
        )
        .await?;
        self.service_item(scope, id).await
    }

    /// Changes an item of a place in scope (its place and code stay).
    pub async fn update_service_item(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        n: &ItemInput,
        now: i64,
    ) -> StoreResult<Item> {
        let mut tx = self.writer.begin().await?;
        let old = item_in(&mut tx, scope, id).await?;
        let n = check_item(&ItemInput {
            code: old.code.clone(),
            ..n.clone()
        })?;
        sqlx::query(
            "UPDATE service_items SET name = $1, grp = $2, materials = $3, limit_days = $4, online = $5, \
             sort = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(&n.name)
        .bind(&n.group)
        .bind(&n.materials)
        .bind(n.limit_days)
        .bind(i64::from(n.online))
        .bind(n.sort)
        .bind(now)
        .bind(old.id)
        .execute(&mut *tx)
        .await?;
        let before = serde_json::json!({"name": old.name, "group": old.grp, "materials": old.materials,
            "limit_days": old.limit_days, "online": old.online == 1, "sort": old.sort});
        let after = serde_json::json!({"name": n.name, "group": n.group, "materials": n.materials,
            "limit_days": n.limit_days, "online": n.online, "sort": n.sort});
        audit::commit(
            tx,
            actor,
            Change::new("update", "service_item", id, Some(before), Some(after)),
            now,
        )
        .await?;
        self.service_item(scope, id).await
    }

    /// Stops (or resumes) offering an item; requests already taken go on.
    pub async fn set_service_item_active(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        active: bool,
        now: i64,
    ) -> StoreResult<Item> {
        let mut tx = self.writer.begin().await?;
        let old = item_in(&mut tx, scope, id).await?;
        sqlx::query("UPDATE service_items SET active = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(active))
            .bind(now)
            .bind(old.id)
            .execute(&mut *tx)
            .await?;
        let action = if active { "activate" } else { "deactivate" };
        audit::commit(
            tx,
            actor,
            Change::new(
                action,
                "service_item",
                id,
                Some(serde_json::json!({"active": old.active == 1})),
                Some(serde_json::json!({"active": active})),
            ),
            now,
        )
        .await?;
        self.service_item(scope, id).await
    }

    /// An item its editors may change (its place in scope).
    pub async fn service_item(&self, scope: &Scope, id: i64) -> StoreResult<Item> {
        let mut conn = self.reader.acquire().await?;
        item_in(&mut conn, scope, id).await
    }

    /// The catalogue offered at the place coded `code` (its own items and its ancestors'), by
    /// group and order; only the active ones unless `all`.
    pub async fn service_items_at(&self, code: &str, all: bool) -> StoreResult<Vec<Item>> {
        let mut sql = Sql::new(&format!(
            "SELECT {ITEM_COLS} FROM service_items si JOIN places p ON p.id = si.place_id WHERE "
        ));
        offered_at(&mut sql, code);
        if !all {
            sql.push(" AND si.active = 1");
        }
        sql.push(" ORDER BY si.grp, si.sort, si.code");
        Ok(sql.query_as().fetch_all(&self.reader).await?)
    }
}
