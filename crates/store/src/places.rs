//! The place tree. Codes carry the hierarchy; moves rewrite the code prefix of the whole subtree.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::rollups;
use crate::scope::Scope;
use crate::sql::{Page, Sql, like_contains, like_prefix};
use crate::{Actor, Store};
use jiceng_domain::{DivisionCode, DomainError, PlaceKind};
use serde::Serialize;
use sqlx::AnyConnection;

/// How long `open_village_by_code` keeps a village it has read.
pub const VILLAGES_FOR: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq, utoipa::ToSchema)]
pub struct Place {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub closed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Place {
    pub fn kind(&self) -> Option<PlaceKind> {
        PlaceKind::parse(&self.kind)
    }

    /// The code prefix of this place's subtree.
    pub fn prefix(&self) -> String {
        self.kind().map_or_else(
            || self.code.clone(),
            |k| self.code[..k.prefix_len().min(self.code.len())].to_string(),
        )
    }

    pub fn scope(&self) -> Scope {
        Scope::prefix(self.prefix())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({"code": self.code, "name": self.name, "kind": self.kind, "parent_id": self.parent_id,
            "closed_at": self.closed_at})
    }
}

#[derive(Debug, Clone, Default)]
pub struct PlaceFilter {
    pub parent_id: Option<i64>,
    /// Only places under this one (any depth); the caller has read it within its scope.
    pub under: Option<Place>,
    pub kind: Option<String>,
    pub q: Option<String>,
    pub include_closed: bool,
}

pub const COLS: &str =
    "p.id, p.parent_id, p.code, p.name, p.kind, p.closed_at, p.created_at, p.updated_at";

/// Names: trimmed, 1–60 characters.
pub fn check_name(name: &str, field: &'static str) -> StoreResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 60 {
        return Err(DomainError::new(
            "name.invalid",
            "名称不能为空，且不超过60个字",
            "a name is 1–60 characters",
        )
        .on(field)
        .into());
    }
    Ok(n.to_string())
}

async fn next_grid_code_in(conn: &mut AnyConnection, village: &Place) -> StoreResult<String> {
    let mut sql = Sql::new("SELECT MAX(p.code) FROM places p WHERE p.kind = 'grid' AND ");
    Scope::prefix(village.code.clone()).predicate(&mut sql, "p.code");
    let max: Option<String> = sql.scalar().fetch_one(&mut *conn).await?;
    let n = max
        .and_then(|m| m.get(12..15).and_then(|s| s.parse::<u32>().ok()))
        .unwrap_or(0)
        + 1;
    let code = DivisionCode::parse(&village.code)?.grid(n)?;
    Ok(code.as_str().to_string())
}

pub(crate) async fn place_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: i64,
) -> StoreResult<Place> {
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM places p WHERE p.id = "));
    sql.bind(id).push(" AND ");
    scope.predicate(&mut sql, "p.code");
    sql.query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

fn closed_parent() -> StoreError {
    DomainError::new(
        "place.parent_closed",
        "上级已撤销，不能在其下新增或迁入",
        "the parent is closed",
    )
    .on("parent_id")
    .into()
}

#[derive(Debug, Clone)]
pub struct NewPlace {
    pub parent_id: Option<i64>,
    pub code: String,
    pub name: String,
}

impl Store {
    pub async fn place(&self, scope: &Scope, id: i64) -> StoreResult<Place> {
        let mut conn = self.reader.acquire().await?;
        place_in(&mut conn, scope, id).await
    }

    pub async fn place_by_code(&self, scope: &Scope, code: &str) -> StoreResult<Place> {
        let mut sql = Sql::new(&format!("SELECT {COLS} FROM places p WHERE p.code = "));
        sql.bind(code).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.query_as()
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// The open village or community coded `code`, for the resident's pages (NotFound for any
    /// other place). Kept up to `VILLAGES_FOR`: a village closed meanwhile in another process is
    /// still caught when a report is written (its INSERT checks the place is open).
    pub async fn open_village_by_code(&self, code: &str) -> StoreResult<Place> {
        if let Some(p) = self.villages.get(&code.to_string()) {
            return Ok(p);
        }
        let p = self.place_by_code(&Scope::All, code).await?;
        let village = matches!(p.kind(), Some(PlaceKind::Village | PlaceKind::Community));
        if !village || p.closed_at.is_some() {
            return Err(StoreError::NotFound);
        }
        self.villages.put(p.code.clone(), p.clone());
        Ok(p)
    }

    /// Ancestors inside the scope, root first (breadcrumbs).
    pub async fn place_ancestors(&self, scope: &Scope, place: &Place) -> StoreResult<Vec<Place>> {
        let mut sql = Sql::new(&format!("SELECT {COLS} FROM places p WHERE p.code IN ("));
        let line = rollups::lineage(&place.code);
        let n = line.len().saturating_sub(1);
        for (i, c) in line.into_iter().take(n).enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(c);
        }
        if n == 0 {
            return Ok(Vec::new());
        }
        sql.push(") AND ");
        scope.predicate(&mut sql, "p.code");
        sql.push(" ORDER BY p.code");
        let mut v: Vec<Place> = sql.query_as().fetch_all(&self.reader).await?;
        v.sort_by_key(|p| p.kind().map(|k| k.level()));
        Ok(v)
    }

    fn places_where(scope: &Scope, f: &PlaceFilter) -> Sql {
        let mut sql = Sql::new(" FROM places p WHERE ");
        scope.predicate(&mut sql, "p.code");
        if !f.include_closed {
            sql.push(" AND p.closed_at IS NULL");
        }
        if let Some(pid) = f.parent_id {
            sql.push(" AND p.parent_id = ").bind(pid);
        }
        if let Some(u) = &f.under {
            sql.push(" AND p.id <> ").bind(u.id).push(" AND ");
            u.scope().predicate(&mut sql, "p.code");
        }
        if let Some(k) = f.kind.as_deref().filter(|k| !k.is_empty()) {
            let kinds: Vec<&str> = match k {
                "town_level" => vec!["subdistrict", "town", "township"],
                "village_level" => vec!["community", "village"],
                other => vec![other],
            };
            sql.push(" AND p.kind IN (");
            for (i, k) in kinds.into_iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(k);
            }
            sql.push(")");
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            sql.push(" AND (p.name LIKE ")
                .bind(like_contains(q))
                .push(" ESCAPE '\\' OR p.code LIKE ");
            sql.bind(like_prefix(q)).push(" ESCAPE '\\')");
        }
        sql
    }

    pub async fn places(
        &self,
        scope: &Scope,
        f: &PlaceFilter,
        page: Page,
    ) -> StoreResult<(Vec<Place>, i64)> {
        let w = Self::places_where(scope, f);
        Ok(w.paged(COLS, "ORDER BY p.code", page, &self.reader).await?)
    }

    pub async fn create_place(
        &self,
        actor: &Actor,
        scope: &Scope,
        new: NewPlace,
        now: i64,
    ) -> StoreResult<Place> {
        let name = check_name(&new.name, "name")?;
        let mut tx = self.writer.begin().await?;
        let parent = match new.parent_id {
            Some(pid) => Some(place_in(&mut tx, scope, pid).await?),
            None if *scope == Scope::All => None,
            None => return Err(StoreError::Forbidden),
        };
        if parent.as_ref().is_some_and(|p| p.closed_at.is_some()) {
            return Err(closed_parent());
        }
        let village_parent = parent
            .as_ref()
            .filter(|p| matches!(p.kind(), Some(PlaceKind::Village | PlaceKind::Community)));
        let code = match (new.code.trim(), village_parent) {
            // No code under a village: the next grid number, taken while holding the village's row
            // (a no-op update locks it), so concurrent creates never pick the same number.
            ("", Some(v)) => {
                sqlx::query("UPDATE places SET updated_at = updated_at WHERE id = $1")
                    .bind(v.id)
                    .execute(&mut *tx)
                    .await?;
                DivisionCode::parse(&next_grid_code_in(&mut tx, v).await?)?
            }
            (raw, _) => DivisionCode::parse(raw)?,
        };
        code.check_parent(parent.as_ref().map(|p| p.code.as_str()))?;
        let kind = code.kind();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO places (parent_id, code, name, kind, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$5) RETURNING id",
        )
        .bind(new.parent_id)
        .bind(code.as_str())
        .bind(&name)
        .bind(kind.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from(e).unique("place.code_taken", "code", "该区划代码已存在", "this code is already in use"))?;
        let place = Place {
            id,
            parent_id: new.parent_id,
            code: code.as_str().to_string(),
            name,
            kind: kind.as_str().to_string(),
            closed_at: None,
            created_at: now,
            updated_at: now,
        };
        rollups::bump(&mut tx, &place.code, kind.metric(), 1).await?;
        audit::commit(
            tx,
            actor,
            Change::new("create", "place", id, None, Some(place.json())),
            now,
        )
        .await?;
        Ok(place)
    }

    pub async fn rename_place(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        name: &str,
        now: i64,
    ) -> StoreResult<Place> {
        let name = check_name(name, "name")?;
        let mut tx = self.writer.begin().await?;
        let before = place_in(&mut tx, scope, id).await?;
        sqlx::query("UPDATE places SET name = $1, updated_at = $2 WHERE id = $3")
            .bind(&name)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = place_in(&mut tx, &Scope::All, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new(
                "rename",
                "place",
                id,
                Some(before.json()),
                Some(after.json()),
            ),
            now,
        )
        .await?;
        // Residents' pages read the place again (a village's name, code or state).
        self.villages.clear();
        Ok(after)
    }

    /// Re-parents a place. Its code (and every code below it) takes the new parent's digits; pass
    /// `new_code` to choose the place's own number when the default is taken.
    pub async fn move_place(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        new_parent_id: i64,
        new_code: Option<&str>,
        now: i64,
    ) -> StoreResult<Place> {
        let mut tx = self.writer.begin().await?;
        let before = place_in(&mut tx, scope, id).await?;
        let parent = place_in(&mut tx, scope, new_parent_id).await?;
        let old_prefix = before.prefix();
        if parent.code.starts_with(&old_prefix) {
            return Err(DomainError::new(
                "place.move_cycle",
                "不能移到自身或其下级之下",
                "a place cannot move under itself or its own subtree",
            )
            .on("parent_id")
            .into());
        }
        if parent.closed_at.is_some() {
            return Err(closed_parent());
        }
        let old = DivisionCode::parse(&before.code)?;
        let code = match new_code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => DivisionCode::parse(c)?,
            None => DivisionCode::parse(&old.rebase(&parent.code).unwrap_or_default())?,
        };
        if code.kind().level() != old.kind().level() {
            return Err(DomainError::new(
                "place.move_level",
                "迁移不能改变层级（如村不能变成镇）",
                "a move cannot change the level of a place",
            )
            .on("code")
            .into());
        }
        code.check_parent(Some(&parent.code))?;
        let new_prefix = code.subtree_prefix().to_string();
        let mut taken = Sql::new("SELECT COUNT(*) FROM places p WHERE ");
        Scope::prefix(new_prefix.clone()).predicate(&mut taken, "p.code");
        if taken.scalar::<i64>().fetch_one(&mut *tx).await? > 0 {
            return Err(DomainError::new(
                "place.code_taken",
                format!("代码{}已被占用，请指定新代码", code),
                format!("code {code} is in use; choose another"),
            )
            .on("code")
            .into());
        }
        // Carry the subtree's figures from the old ancestors to the new ones.
        let counts = rollups::subtree_counts(&mut tx, &old_prefix).await?;
        if let Some(old_parent) = before.parent_id {
            let op = place_in(&mut tx, &Scope::All, old_parent).await?;
            for (m, n) in &counts {
                rollups::bump(&mut tx, &op.code, m, -n).await?;
            }
        }
        let mut upd = Sql::new("UPDATE places SET code = ");
        upd.bind(new_prefix.clone())
            .push(" || substr(code, CAST(")
            .bind(old_prefix.len() as i64 + 1);
        upd.push(" AS INTEGER)), updated_at = ")
            .bind(now)
            .push(" WHERE ");
        Scope::prefix(old_prefix).predicate(&mut upd, "code");
        upd.query().execute(&mut *tx).await?;
        sqlx::query("UPDATE places SET parent_id = $1, kind = $2 WHERE id = $3")
            .bind(parent.id)
            .bind(code.kind().as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (m, n) in &counts {
            rollups::bump(&mut tx, &parent.code, m, *n).await?;
        }
        crate::life::carry_place(&mut tx, id, before.parent_id, &parent.code).await?;
        // A village that became a community (or back) under its new code changes metric only by kind
        // group, and both kinds share the village-level metric, so no further delta is needed.
        let after = place_in(&mut tx, &Scope::All, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new("move", "place", id, Some(before.json()), Some(after.json())),
            now,
        )
        .await?;
        // Residents' pages read the place again (a village's name, code or state).
        self.villages.clear();
        Ok(after)
    }

    /// Closes (撤销) a place; records stay. Refused while anything open hangs below it.
    pub async fn close_place(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        now: i64,
    ) -> StoreResult<Place> {
        let mut tx = self.writer.begin().await?;
        let before = place_in(&mut tx, scope, id).await?;
        if before.closed_at.is_some() {
            return Ok(before);
        }
        let open: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM places WHERE parent_id = $1 AND closed_at IS NULL) \
             + (SELECT COUNT(*) FROM orgs WHERE place_id = $1 AND closed_at IS NULL) \
             + (SELECT COUNT(*) FROM units WHERE place_id = $1 AND closed_at IS NULL)",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if open > 0 {
            return Err(DomainError::new(
                "place.has_open_children",
                "其下还有未撤销的地点、党组织或单位，请先撤销或迁出",
                "places, organisations or units below are still open; close or move them first",
            )
            .into());
        }
        sqlx::query("UPDATE places SET closed_at = $1, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if let Some(k) = before.kind() {
            rollups::bump(&mut tx, &before.code, k.metric(), -1).await?;
        }
        let after = place_in(&mut tx, &Scope::All, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new(
                "close",
                "place",
                id,
                Some(before.json()),
                Some(after.json()),
            ),
            now,
        )
        .await?;
        // Residents' pages read the place again (a village's name, code or state).
        self.villages.clear();
        Ok(after)
    }

    /// The next free grid code under a village (a suggestion: `create_place` with an empty code
    /// numbers the grid inside its own transaction, which is what concurrent clients need).
    pub async fn next_grid_code(&self, village: &Place) -> StoreResult<String> {
        let mut conn = self.reader.acquire().await?;
        next_grid_code_in(&mut conn, village).await
    }
}
