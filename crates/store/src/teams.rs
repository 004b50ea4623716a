//! Stationed teams (驻点, issue 5): teams sent by a town or the district, their leader and members
//! (Party members of the register or plain names), the villages they are assigned to (dated), and
//! a checklist per village whose items move 待办 → 进行中 → 已完成 by `domain::team::ItemStatus`
//! (done needs evidence; every move is an event appended to `team_item_events`). A team is seen
//! by the callers whose scope holds its sending place or one of its villages; an item by those
//! whose scope holds its village or the team's place. Figures: `teams.items` and `teams.done` per
//! village (and its ancestors) and month of the item's due date, bumped in the item's transaction
//! and rebuilt equal by `rebuild`.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::period_rollups::Totals;
use crate::places::place_in;
use crate::rollups::bump_period;
use crate::scope::Scope;
use crate::sql::{Page, Sql};
use crate::village::{refuse, village_in};
use crate::{Actor, Store};
use jiceng_domain::team::ItemStatus;
use serde::Serialize;
use sqlx::AnyConnection;

pub const ITEMS: &str = "teams.items";
pub const DONE: &str = "teams.done";

/// A team member: one of the register, or a plain name.
#[derive(Debug, Clone)]
pub enum Person {
    Member(i64),
    Name(String),
}

#[derive(Debug, Clone)]
pub struct NewTeam {
    pub place_id: i64,
    pub name: String,
    pub leader: Person,
    pub members: Vec<Person>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Team {
    pub id: i64,
    pub place_id: i64,
    pub place_name: String,
    pub name: String,
    pub leader: Option<String>,
    pub items: i64,
    pub done: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub team_id: i64,
    pub team_name: String,
    pub place_id: i64,
    pub village: String,
    pub title: String,
    pub due_on: String,
    pub status: String,
    pub evidence: Option<String>,
    pub done_on: Option<String>,
}

/// The checklist filters of the page (and of its export).
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub team_id: Option<i64>,
    pub village_id: Option<i64>,
    pub status: Option<ItemStatus>,
    /// Only items not done whose due date is before this day.
    pub overdue_on: Option<String>,
}

const TEAM_COLS: &str = "t.id, t.place_id, p.name AS place_name, t.name, \
    (SELECT tm.name FROM team_members tm WHERE tm.team_id = t.id AND tm.leader = 1) AS leader, \
    (SELECT COUNT(*) FROM team_items i WHERE i.team_id = t.id) AS items, \
    (SELECT COUNT(*) FROM team_items i WHERE i.team_id = t.id AND i.status = 'done') AS done";
const ITEM_COLS: &str = "i.id, i.team_id, t.name AS team_name, i.place_id, v.name AS village, i.title, \
    i.due_on, i.status, i.evidence, i.done_on";
const ITEM_FROM: &str = " FROM team_items i JOIN teams t ON t.id = i.team_id \
    JOIN places v ON v.id = i.place_id JOIN places p ON p.id = t.place_id";

/// The team visible to `scope`: its place, or one of its villages, in scope.
fn team_visible(sql: &mut Sql, scope: &Scope) {
    sql.push("(");
    scope.predicate(sql, "p.code");
    sql.push(
        " OR EXISTS (SELECT 1 FROM team_villages tv JOIN places vp ON vp.id = tv.place_id \
              WHERE tv.team_id = t.id AND ",
    );
    scope.predicate(sql, "vp.code");
    sql.push("))");
}

async fn team_in(conn: &mut AnyConnection, scope: &Scope, id: i64) -> StoreResult<Team> {
    let mut sql = Sql::new(&format!(
        "SELECT {TEAM_COLS} FROM teams t JOIN places p ON p.id = t.place_id WHERE t.id = "
    ));
    sql.bind(id).push(" AND ");
    team_visible(&mut sql, scope);
    sql.query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

fn month(day: &str) -> String {
    day.get(..7).unwrap_or(day).to_string()
}

fn check_text(s: &str, field: &'static str, zh: &str) -> StoreResult<String> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(refuse(
            "team.text_invalid",
            format!("请填写{zh}，不超过200字"),
            "required, at most 200 characters",
            field,
        ));
    }
    Ok(t.to_string())
}

impl Store {
    pub async fn create_team(
        &self,
        actor: &Actor,
        scope: &Scope,
        n: &NewTeam,
        now: i64,
    ) -> StoreResult<Team> {
        let name = check_text(&n.name, "name", "驻点工作队名称")?;
        let mut tx = self.writer.begin().await?;
        let place = place_in(&mut tx, scope, n.place_id).await?;
        let mut people = Vec::new();
        for (k, who) in std::iter::once(&n.leader)
            .chain(n.members.iter())
            .enumerate()
        {
            let field = if k == 0 { "leader" } else { "members" };
            people.push(match who {
                Person::Member(id) => {
                    let m = Self::member_in(&mut tx, scope, *id).await.map_err(|_| {
                        refuse(
                            "team.member_unknown",
                            format!("党员名册中没有编号为{id}的党员（或不在您的管理范围内）"),
                            "no such member in your register",
                            field,
                        )
                    })?;
                    (Some(m.id), m.name)
                }
                Person::Name(s) => (None, check_text(s, field, "队员姓名")?),
            });
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO teams (place_id, name, created_at, updated_at) VALUES ($1,$2,$3,$3) RETURNING id",
        )
        .bind(place.id)
        .bind(&name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for (k, (member, who)) in people.iter().enumerate() {
            sqlx::query(
                "INSERT INTO team_members (team_id, member_id, name, leader, created_at) VALUES ($1,$2,$3,$4,$5)",
            )
            .bind(id)
            .bind(*member)
            .bind(who)
            .bind(i64::from(k == 0))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let names: Vec<&String> = people.iter().map(|(_, n)| n).collect();
        let after = serde_json::json!({"place_id": place.id, "name": name, "people": names});
        audit::commit(
            tx,
            actor,
            Change::new("create", "team", id, None, Some(after)),
            now,
        )
        .await?;
        self.team(scope, id).await
    }

    pub async fn team(&self, scope: &Scope, id: i64) -> StoreResult<Team> {
        let mut conn = self.reader.acquire().await?;
        team_in(&mut conn, scope, id).await
    }

    /// Teams visible to the caller (sent from under `under` when given), with the total.
    pub async fn teams(
        &self,
        scope: &Scope,
        under: Option<&str>,
        page: Page,
    ) -> StoreResult<(Vec<Team>, i64)> {
        let mut w = Sql::new(" FROM teams t JOIN places p ON p.id = t.place_id WHERE ");
        team_visible(&mut w, scope);
        if let Some(code) = under {
            w.push(" AND ");
            Scope::prefix(code).predicate(&mut w, "p.code");
        }
        Ok(w.paged(
            TEAM_COLS,
            "ORDER BY p.code, t.name, t.id",
            page,
            &self.reader,
        )
        .await?)
    }

    /// The team's people: (member id if of the register, name, leader).
    pub async fn team_people(
        &self,
        scope: &Scope,
        id: i64,
    ) -> StoreResult<Vec<(Option<i64>, String, bool)>> {
        let mut conn = self.reader.acquire().await?;
        let t = team_in(&mut conn, scope, id).await?;
        let rows: Vec<(Option<i64>, String, i64)> = sqlx::query_as(
            "SELECT member_id, name, leader FROM team_members WHERE team_id = $1 ORDER BY leader DESC, id",
        )
        .bind(t.id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows.into_iter().map(|(m, n, l)| (m, n, l == 1)).collect())
    }

    /// The team's villages: (place id, name, from, until).
    pub async fn team_villages(
        &self,
        scope: &Scope,
        id: i64,
    ) -> StoreResult<Vec<(i64, String, String, Option<String>)>> {
        let mut conn = self.reader.acquire().await?;
        let t = team_in(&mut conn, scope, id).await?;
        Ok(sqlx::query_as(
            "SELECT tv.place_id, p.name, tv.from_on, tv.until_on FROM team_villages tv \
             JOIN places p ON p.id = tv.place_id WHERE tv.team_id = $1 ORDER BY p.code",
        )
        .bind(t.id)
        .fetch_all(&mut *conn)
        .await?)
    }

    /// Assigns the team to a village of the caller's scope from a day (until a day, if given).
    #[allow(clippy::too_many_arguments)]
    pub async fn assign_team(
        &self,
        actor: &Actor,
        scope: &Scope,
        team_id: i64,
        village_id: i64,
        from_on: &str,
        until_on: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        jiceng_domain::meeting::day_number(from_on)
            .map_err(|e| StoreError::from(e.on("from_on")))?;
        if let Some(u) = until_on {
            jiceng_domain::meeting::day_number(u)
                .map_err(|e| StoreError::from(e.on("until_on")))?;
            if u < from_on {
                return Err(refuse(
                    "team.until_before_from",
                    "结束日期不能早于开始日期".into(),
                    "ends after it begins",
                    "until_on",
                ));
            }
        }
        let mut tx = self.writer.begin().await?;
        let t = team_in(&mut tx, scope, team_id).await?;
        let v = village_in(&mut tx, scope, village_id).await?;
        let taken: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM team_villages WHERE team_id = $1 AND place_id = $2",
        )
        .bind(t.id)
        .bind(v.id)
        .fetch_one(&mut *tx)
        .await?;
        if taken > 0 {
            return Err(refuse(
                "team.village_assigned",
                format!("{}已驻点{}", t.name, v.name),
                "already assigned to this village",
                "place_id",
            ));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO team_villages (team_id, place_id, from_on, until_on, created_at) \
             VALUES ($1,$2,$3,$4,$5) RETURNING id",
        )
        .bind(t.id)
        .bind(v.id)
        .bind(from_on)
        .bind(until_on)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"team_id": t.id, "place_id": v.id, "from_on": from_on, "until_on": until_on});
        audit::commit(
            tx,
            actor,
            Change::new("assign", "team", id, None, Some(after)),
            now,
        )
        .await
    }

    /// Adds an item to the team's checklist for one of its villages.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_team_item(
        &self,
        actor: &Actor,
        scope: &Scope,
        team_id: i64,
        village_id: i64,
        title: &str,
        due_on: &str,
        now: i64,
    ) -> StoreResult<Item> {
        let title = check_text(title, "title", "事项")?;
        jiceng_domain::meeting::day_number(due_on).map_err(|e| StoreError::from(e.on("due_on")))?;
        let mut tx = self.writer.begin().await?;
        let t = team_in(&mut tx, scope, team_id).await?;
        let code: Option<String> = sqlx::query_scalar(
            "SELECT p.code FROM team_villages tv JOIN places p ON p.id = tv.place_id \
             WHERE tv.team_id = $1 AND tv.place_id = $2",
        )
        .bind(t.id)
        .bind(village_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(code) = code else {
            return Err(refuse(
                "team.village_not_assigned",
                format!("{}未驻点该村，请先登记驻点村", t.name),
                "the team is not assigned to this village",
                "place_id",
            ));
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO team_items (team_id, place_id, title, due_on, status, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$6) RETURNING id",
        )
        .bind(t.id)
        .bind(village_id)
        .bind(&title)
        .bind(due_on)
        .bind(ItemStatus::Todo.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        bump_period(&mut tx, &code, ITEMS, &month(due_on), 1).await?;
        let after = serde_json::json!({"team_id": t.id, "place_id": village_id, "title": title, "due_on": due_on});
        audit::commit(
            tx,
            actor,
            Change::new("create", "team_item", id, None, Some(after)),
            now,
        )
        .await?;
        self.team_item(scope, id).await
    }

    pub async fn team_item(&self, scope: &Scope, id: i64) -> StoreResult<Item> {
        let mut conn = self.reader.acquire().await?;
        item_in(&mut conn, scope, id).await
    }

    /// Moves an item to its next status (a history entry; done needs evidence and is final).
    #[allow(clippy::too_many_arguments)]
    pub async fn set_item_status(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        to: ItemStatus,
        evidence: &str,
        on_date: &str,
        today: &str,
        now: i64,
    ) -> StoreResult<Item> {
        let mut tx = self.writer.begin().await?;
        let item = item_in(&mut tx, scope, id).await?;
        let from = ItemStatus::parse(&item.status)
            .ok_or_else(|| StoreError::Internal(format!("status {}", item.status)))?;
        from.change(to, evidence, on_date, today)?;
        let evidence = Some(evidence.trim()).filter(|e| !e.is_empty());
        let done_on = (to == ItemStatus::Done).then_some(on_date);
        // The guard on the status makes two racing moves record one.
        let moved = sqlx::query(
            "UPDATE team_items SET status = $1, evidence = COALESCE($2, evidence), done_on = $3, updated_at = $4 \
             WHERE id = $5 AND status = $6",
        )
        .bind(to.as_str())
        .bind(evidence)
        .bind(done_on)
        .bind(now)
        .bind(item.id)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            return Err(refuse(
                "team.item_moved",
                "该事项刚由他人更新，请刷新后查看".into(),
                "someone changed this item just now",
                "status",
            ));
        }
        let seq: i64 =
            sqlx::query_scalar("SELECT COUNT(*) + 1 FROM team_item_events WHERE item_id = $1")
                .bind(item.id)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO team_item_events (item_id, seq, status, evidence, on_date, actor, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7)",
        )
        .bind(item.id)
        .bind(seq)
        .bind(to.as_str())
        .bind(evidence)
        .bind(on_date)
        .bind(&actor.username)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if to == ItemStatus::Done {
            let code: String = sqlx::query_scalar("SELECT code FROM places WHERE id = $1")
                .bind(item.place_id)
                .fetch_one(&mut *tx)
                .await?;
            bump_period(&mut tx, &code, DONE, &month(&item.due_on), 1).await?;
        }
        let after = serde_json::json!({"status": to.as_str(), "on_date": on_date, "with_evidence": evidence.is_some()});
        audit::commit(
            tx,
            actor,
            Change::new("status", "team_item", item.id, None, Some(after)),
            now,
        )
        .await?;
        self.team_item(scope, id).await
    }

    /// An item's history: (seq, status, evidence, date, who).
    pub async fn team_item_events(
        &self,
        scope: &Scope,
        id: i64,
    ) -> StoreResult<Vec<(i64, String, Option<String>, String, String)>> {
        let mut conn = self.reader.acquire().await?;
        let item = item_in(&mut conn, scope, id).await?;
        Ok(sqlx::query_as(
            "SELECT seq, status, evidence, on_date, actor FROM team_item_events WHERE item_id = $1 ORDER BY seq",
        )
        .bind(item.id)
        .fetch_all(&mut *conn)
        .await?)
    }

    /// Checklist items visible to the caller with the filters, by due date, with the total.
    pub async fn team_items(
        &self,
        scope: &Scope,
        f: &ItemFilter,
        page: Page,
    ) -> StoreResult<(Vec<Item>, i64)> {
        let mut w = Sql::new(&format!("{ITEM_FROM} WHERE "));
        item_visible(&mut w, scope);
        if let Some(t) = f.team_id {
            w.push(" AND i.team_id = ").bind(t);
        }
        if let Some(v) = f.village_id {
            w.push(" AND i.place_id = ").bind(v);
        }
        if let Some(s) = f.status {
            w.push(" AND i.status = ").bind(s.as_str());
        }
        if let Some(d) = &f.overdue_on {
            w.push(" AND i.status <> 'done' AND i.due_on < ")
                .bind(d.as_str());
        }
        Ok(
            w.paged(ITEM_COLS, "ORDER BY i.due_on, i.id", page, &self.reader)
                .await?,
        )
    }

    /// Items and items done over `months` at a node and each child place, from the roll-ups:
    /// (place id, name, items, done).
    pub async fn team_figures(
        &self,
        scope: &Scope,
        place_id: i64,
        months: &[String],
    ) -> StoreResult<Vec<(i64, String, i64, i64)>> {
        let (node, children) = self.node_and_children(scope, place_id).await?;
        let places: Vec<_> = std::iter::once(&node).chain(children.iter()).collect();
        let ids: Vec<i64> = places.iter().map(|p| p.id).collect();
        let sums = self.period_sums(&ids, "teams.", months).await?;
        Ok(places
            .iter()
            .map(|p| {
                (
                    p.id,
                    p.name.clone(),
                    sums.get(p.id, ITEMS),
                    sums.get(p.id, DONE),
                )
            })
            .collect())
    }

    /// Every non-zero `teams.*` roll-up row, sorted (rebuild == incremental in tests).
    pub async fn teams_snapshot(&self) -> StoreResult<Vec<(i64, String, String, i64)>> {
        self.period_snapshot("teams.").await
    }
}

fn item_visible(sql: &mut Sql, scope: &Scope) {
    sql.push("(");
    scope.predicate(sql, "v.code");
    sql.push(" OR ");
    scope.predicate(sql, "p.code");
    sql.push(")");
}

async fn item_in(conn: &mut AnyConnection, scope: &Scope, id: i64) -> StoreResult<Item> {
    let mut sql = Sql::new(&format!("SELECT {ITEM_COLS}{ITEM_FROM} WHERE i.id = "));
    sql.bind(id).push(" AND ");
    item_visible(&mut sql, scope);
    sql.query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Recomputes every `teams.*` row from the items (part of `rollup_rebuild`).
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> StoreResult<usize> {
    let mut totals = Totals::new(conn).await?;
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT p.code, i.due_on, i.status FROM team_items i JOIN places p ON p.id = i.place_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (code, due_on, status) in rows {
        totals.add(&code, ITEMS, &month(&due_on), 1);
        if status == "done" {
            totals.add(&code, DONE, &month(&due_on), 1);
        }
    }
    totals.replace(conn, "teams.").await
}
