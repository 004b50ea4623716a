//! The key-powers list and 四议两公开 (issue 6): each village's list of matters (the law's, seeded
//! for every village, plus its own), and matters of the list run through the six steps. A step is
//! checked by `domain::decision::Matter::apply` against the steps already recorded, so no sequence
//! of calls records one out of order; a "议" step rests on a passed resolution of a meeting of the
//! right body of the same village, a "公开" step puts an item on the village's board.

use crate::audit::{self, Change};
use crate::board::{NewPublication, insert_publication};
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use crate::sql::{Page, Sql};
use crate::village::{refuse, village_in};
use crate::{Actor, Store};
use jiceng_domain::decision::{Evidence, Matter, Step};
use jiceng_domain::meeting::MeetingKind;
use jiceng_domain::village::{Category, PowerItem};
use serde::Serialize;
use sqlx::AnyConnection;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    /// None for the law's list (every village).
    pub place_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub decided_by: String,
    pub basis: String,
    pub effective_from: String,
    pub publication_days: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct MatterRow {
    pub id: i64,
    pub place_id: i64,
    pub place_name: String,
    pub item_id: i64,
    pub item_name: String,
    pub title: String,
    /// None once the result is published.
    pub next_step: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct StepRow {
    pub seq: i64,
    pub step: String,
    pub on_date: String,
    pub meeting_id: Option<i64>,
    pub meeting_title: Option<String>,
    pub meeting_kind: Option<String>,
    pub resolution_id: Option<i64>,
    pub resolution_title: Option<String>,
    pub publication_id: Option<i64>,
    pub publication_title: Option<String>,
    pub down_on: Option<String>,
}

/// What a step rests on, as the form gives it.
#[derive(Debug, Clone)]
pub enum StepInput {
    /// A passed resolution (its meeting is the step's meeting).
    Resolution(i64),
    /// A publication put on the board by this step.
    Publication {
        title: String,
        body: String,
        up_on: String,
        down_on: String,
    },
}

const ITEM_COLS: &str =
    "id, place_id, code, name, decided_by, basis, effective_from, publication_days";
const MATTER_COLS: &str = "mt.id, mt.place_id, p.name AS place_name, mt.item_id, i.name AS item_name, \
    mt.title, mt.next_step, mt.created_at";
const MATTER_FROM: &str = " FROM matters mt JOIN places p ON p.id = mt.place_id \
    JOIN power_items i ON i.id = mt.item_id";

async fn matter_in(conn: &mut AnyConnection, scope: &Scope, id: i64) -> StoreResult<MatterRow> {
    let mut sql = Sql::new(&format!("SELECT {MATTER_COLS}{MATTER_FROM} WHERE mt.id = "));
    sql.bind(id).push(" AND ");
    scope.predicate(&mut sql, "p.code");
    sql.query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

async fn steps_of(conn: &mut AnyConnection, matter_id: i64) -> StoreResult<Vec<StepRow>> {
    Ok(sqlx::query_as(
        "SELECT s.seq, s.step, s.on_date, s.meeting_id, m.title AS meeting_title, m.kind AS meeting_kind, \
         s.resolution_id, r.title AS resolution_title, s.publication_id, b.title AS publication_title, \
         b.down_on FROM matter_steps s LEFT JOIN meetings m ON m.id = s.meeting_id \
         LEFT JOIN resolutions r ON r.id = s.resolution_id LEFT JOIN publications b ON b.id = s.publication_id \
         WHERE s.matter_id = $1 ORDER BY s.seq",
    )
    .bind(matter_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// The meeting a resolution was passed at, as evidence for a step of a matter of `item_id`:
/// (meeting, place, evidence).
async fn resolution_evidence(
    conn: &mut AnyConnection,
    scope: &Scope,
    resolution_id: i64,
    item_id: i64,
) -> StoreResult<Option<(i64, i64, Evidence)>> {
    // Within the caller's scope: a vote they cannot see is as good as none.
    let mut sql = Sql::new(
        "SELECT m.id, o.place_id, m.kind, m.held_on, m.quorate, r.passed FROM resolutions r \
         JOIN meetings m ON m.id = r.meeting_id JOIN orgs o ON o.id = m.org_id \
         JOIN places p ON p.id = o.place_id WHERE r.id = ",
    );
    sql.bind(resolution_id).push(" AND ");
    scope.predicate(&mut sql, "p.code");
    let row: Option<(i64, i64, String, String, i64, i64)> =
        sql.query_as().fetch_optional(&mut *conn).await?;
    let Some((mid, place, kind, held_on, quorate, passed)) = row else {
        return Ok(None);
    };
    let Some(kind) = MeetingKind::parse(&kind) else {
        return Ok(None);
    };
    let authorised = kind != MeetingKind::RepresentativesAssembly
        || crate::mandates::authorised(conn, place, item_id, &held_on).await?;
    let e = Evidence::Meeting {
        kind,
        held_on,
        quorate: quorate == 1,
        passed: passed == 1,
        authorised,
    };
    Ok(Some((mid, place, e)))
}

/// The matter's recorded steps replayed through the rules: the procedure as it stands.
async fn replay(
    conn: &mut AnyConnection,
    (matter_id, item_id): (i64, i64),
    days: i64,
) -> StoreResult<Matter> {
    // (step, resolution, publication up, publication down)
    type Row = (String, Option<i64>, Option<String>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.step, s.resolution_id, b.up_on, b.down_on FROM matter_steps s \
         LEFT JOIN publications b ON b.id = s.publication_id WHERE s.matter_id = $1 ORDER BY s.seq",
    )
    .bind(matter_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut matter = Matter::default();
    for (step, resolution, up, down) in rows {
        let step =
            Step::parse(&step).ok_or_else(|| StoreError::Internal(format!("step {step}")))?;
        let e = match (resolution, up, down) {
            (Some(r), _, _) => match resolution_evidence(conn, &Scope::All, r, item_id).await? {
                // The authorisation was judged when the step was recorded; a step recorded
                // before authorisations were kept (migration 18) stands as it was accepted.
                Some((
                    _,
                    _,
                    Evidence::Meeting {
                        kind,
                        held_on,
                        quorate,
                        passed,
                        ..
                    },
                )) => Evidence::Meeting {
                    kind,
                    held_on,
                    quorate,
                    passed,
                    authorised: true,
                },
                _ => return Err(StoreError::Internal(format!("resolution {r}"))),
            },
            (None, Some(up_on), Some(down_on)) => Evidence::Publication { up_on, down_on },
            _ => return Err(StoreError::Internal("a step without evidence".into())),
        };
        // Recorded steps passed these rules when recorded; replaying them cannot fail unless
        // the data was changed behind the store's back, which is worth an error, not a guess.
        matter
            .apply(step, e, days)
            .map_err(|e| StoreError::Internal(format!("replay: {}", e.code)))?;
    }
    Ok(matter)
}

impl Store {
    /// Seeds the law's list once (a migration cannot read the domain's data).
    pub(crate) async fn seed_power_items(&self) -> StoreResult<()> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM power_items WHERE place_id IS NULL")
            .fetch_one(&self.writer)
            .await?;
        if n > 0 {
            return Ok(());
        }
        for i in PowerItem::law_list() {
            sqlx::query(
                "INSERT INTO power_items (place_id, code, name, decided_by, basis, effective_from, \
                 publication_days, created_at) VALUES (NULL, $1, $2, $3, $4, $5, $6, 0)",
            )
            .bind(&i.code)
            .bind(&i.name)
            .bind(i.decided_by.as_str())
            .bind(&i.basis)
            .bind(&i.effective_from)
            .bind(i.publication_days)
            .execute(&self.writer)
            .await?;
        }
        Ok(())
    }

    /// The village's key-powers list: the law's matters, then its own.
    pub async fn power_items(&self, scope: &Scope, place_id: i64) -> StoreResult<Vec<Item>> {
        let mut conn = self.reader.acquire().await?;
        let place = village_in(&mut conn, scope, place_id).await?;
        let mut sql = Sql::new(&format!(
            "SELECT {ITEM_COLS} FROM power_items WHERE place_id IS NULL OR place_id = "
        ));
        sql.bind(place.id)
            .push(" ORDER BY CASE WHEN place_id IS NULL THEN 0 ELSE 1 END, id");
        Ok(sql.query_as().fetch_all(&mut *conn).await?)
    }

    /// Adds a local matter to a village's list.
    pub async fn add_power_item(
        &self,
        actor: &Actor,
        scope: &Scope,
        place_id: i64,
        name: &str,
        publication_days: i64,
        now: i64,
    ) -> StoreResult<Item> {
        let name = crate::places::check_name(name, "name")?;
        if !(1..=90).contains(&publication_days) {
            return Err(refuse(
                "decision.publication_days_invalid",
                "公开天数须为1至90天".into(),
                "publication days are 1–90",
                "publication_days",
            ));
        }
        let mut tx = self.writer.begin().await?;
        let place = village_in(&mut tx, scope, place_id).await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM power_items WHERE place_id = $1")
            .bind(place.id)
            .fetch_one(&mut *tx)
            .await?;
        let code = format!("local.{}", n + 1);
        let basis = format!("{}小微权力清单（本村规定）", place.name);
        let decided_by = MeetingKind::VillagersAssembly.as_str();
        let day = crate::coverage::day_of(now);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO power_items (place_id, code, name, decided_by, basis, effective_from, \
             publication_days, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
        )
        .bind(place.id)
        .bind(&code)
        .bind(&name)
        .bind(decided_by)
        .bind(&basis)
        .bind(&day)
        .bind(publication_days)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"place_id": place.id, "code": code, "name": name,
            "publication_days": publication_days});
        audit::commit(
            tx,
            actor,
            Change::new("create", "power_item", id, None, Some(after)),
            now,
        )
        .await?;
        Ok(Item {
            id,
            place_id: Some(place.id),
            code,
            name,
            decided_by: decided_by.into(),
            basis,
            effective_from: day,
            publication_days,
        })
    }

    /// Opens a matter of the village's list; its first step is the Party organisation's proposal.
    pub async fn open_matter(
        &self,
        actor: &Actor,
        scope: &Scope,
        place_id: i64,
        item_id: i64,
        title: &str,
        now: i64,
    ) -> StoreResult<MatterRow> {
        let title = crate::places::check_name(title, "title")?;
        let mut tx = self.writer.begin().await?;
        let place = village_in(&mut tx, scope, place_id).await?;
        let ok: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM power_items WHERE id = $1 AND (place_id IS NULL OR place_id = $2)",
        )
        .bind(item_id)
        .bind(place.id)
        .fetch_one(&mut *tx)
        .await?;
        if ok == 0 {
            return Err(refuse(
                "decision.item_invalid",
                format!("请从{}的重要事权清单中选择事项", place.name),
                "choose a matter of the village's list",
                "item_id",
            ));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO matters (place_id, item_id, title, next_step, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$5) RETURNING id",
        )
        .bind(place.id)
        .bind(item_id)
        .bind(&title)
        .bind(Step::Proposal.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"place_id": place.id, "item_id": item_id, "title": title});
        audit::commit(
            tx,
            actor,
            Change::new("create", "matter", id, None, Some(after)),
            now,
        )
        .await?;
        self.matter(scope, id).await
    }

    pub async fn matter(&self, scope: &Scope, id: i64) -> StoreResult<MatterRow> {
        let mut conn = self.reader.acquire().await?;
        matter_in(&mut conn, scope, id).await
    }

    pub async fn matter_steps(&self, scope: &Scope, id: i64) -> StoreResult<Vec<StepRow>> {
        let mut conn = self.reader.acquire().await?;
        let m = matter_in(&mut conn, scope, id).await?;
        steps_of(&mut conn, m.id).await
    }

    /// Matters in scope (of one village, or under a place), latest first, with the total.
    pub async fn matters(
        &self,
        scope: &Scope,
        under: Option<&str>,
        open_only: bool,
        page: Page,
    ) -> StoreResult<(Vec<MatterRow>, i64)> {
        let mut w = Sql::new(&format!("{MATTER_FROM} WHERE "));
        // `under` is a place code: one village, or every village under a town.
        scope.predicate(&mut w, "p.code");
        if let Some(code) = under {
            w.push(" AND ");
            Scope::prefix(code).predicate(&mut w, "p.code");
        }
        if open_only {
            w.push(" AND mt.next_step IS NOT NULL");
        }
        Ok(w.paged(
            MATTER_COLS,
            "ORDER BY mt.created_at DESC, mt.id DESC",
            page,
            &self.reader,
        )
        .await?)
    }

    /// Records the matter's next step on what it rests on, or refuses with the rule broken.
    pub async fn record_matter_step(
        &self,
        actor: &Actor,
        scope: &Scope,
        matter_id: i64,
        step: Step,
        input: &StepInput,
        now: i64,
    ) -> StoreResult<MatterRow> {
        let mut tx = self.writer.begin().await?;
        let m = matter_in(&mut tx, scope, matter_id).await?;
        let days: i64 =
            sqlx::query_scalar("SELECT publication_days FROM power_items WHERE id = $1")
                .bind(m.item_id)
                .fetch_one(&mut *tx)
                .await?;
        let mut matter = replay(&mut tx, (m.id, m.item_id), days).await?;
        let (evidence, meeting_id, resolution_id, publication) = match input {
            StepInput::Resolution(r) => {
                let (mid, place, e) = resolution_evidence(&mut tx, scope, *r, m.item_id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                if place != m.place_id {
                    return Err(refuse(
                        "decision.other_village",
                        format!("所选表决不是{}的会议作出的", m.place_name),
                        "the resolution was passed in another village",
                        "resolution_id",
                    ));
                }
                (e, Some(mid), Some(*r), None)
            }
            StepInput::Publication {
                title,
                body,
                up_on,
                down_on,
            } => {
                let p = NewPublication {
                    place_id: m.place_id,
                    category: Category::Matter.as_str().into(),
                    title: title.clone(),
                    body: body.clone(),
                    up_on: up_on.clone(),
                    down_on: down_on.clone(),
                    corrects_id: None,
                };
                let checked = crate::board::check(&p)?;
                let e = Evidence::Publication {
                    up_on: checked.up_on.clone(),
                    down_on: checked.down_on.clone(),
                };
                (e, None, None, Some(checked))
            }
        };
        let on_date = match &evidence {
            Evidence::Meeting { held_on, .. } => held_on.clone(),
            Evidence::Publication { up_on, .. } => up_on.clone(),
        };
        matter.apply(step, evidence, days)?;
        // After the rules: a vote of the wrong body is refused as such, before being a reuse.
        if let Some(r) = resolution_id {
            let used: Option<String> = sqlx::query_scalar(
                "SELECT m.title FROM matter_steps s JOIN matters m ON m.id = s.matter_id \
                 WHERE s.resolution_id = $1",
            )
            .bind(r)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(other) = used {
                return Err(refuse(
                    "decision.resolution_used",
                    format!("所选表决已作为事项「{other}」的依据，一次表决只能用于一个事项"),
                    "this vote already carries a step of another matter",
                    "resolution_id",
                ));
            }
        }
        let publication_id = match publication {
            Some(p) => Some(insert_publication(&mut tx, &p, Some(m.id), now).await?),
            None => None,
        };
        let seq = matter.steps().len() as i64;
        let next = matter.next().map(Step::as_str);
        // The guard on next_step makes two racing submissions of one step record it once.
        let moved = sqlx::query(
            "UPDATE matters SET next_step = $1, updated_at = $2 WHERE id = $3 AND next_step = $4",
        )
        .bind(next)
        .bind(now)
        .bind(m.id)
        .bind(step.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            return Err(refuse(
                "decision.step_taken",
                format!("「{}」刚由他人登记，请刷新后查看", step.zh()),
                "someone recorded this step just now",
                "step",
            ));
        }
        sqlx::query(
            "INSERT INTO matter_steps (matter_id, seq, step, meeting_id, resolution_id, publication_id, \
             on_date, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        )
        .bind(m.id)
        .bind(seq)
        .bind(step.as_str())
        .bind(meeting_id)
        .bind(resolution_id)
        .bind(publication_id)
        .bind(&on_date)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        crate::decisions::step_recorded(&mut tx, m.id, step, &on_date).await?;
        let after = serde_json::json!({"step": step.as_str(), "meeting_id": meeting_id,
            "resolution_id": resolution_id, "publication_id": publication_id, "on_date": on_date});
        audit::commit(
            tx,
            actor,
            Change::new("step", "matter", m.id, None, Some(after)),
            now,
        )
        .await?;
        self.matter(scope, matter_id).await
    }

    /// Passed resolutions of the village's meetings of the bodies that may carry `step`
    /// (what the step form offers): (resolution, label).
    pub async fn step_choices(
        &self,
        scope: &Scope,
        matter_id: i64,
        step: Step,
    ) -> StoreResult<Vec<(i64, String)>> {
        let m = self.matter(scope, matter_id).await?;
        let kinds: Vec<&str> = step.bodies().iter().map(|k| k.as_str()).collect();
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(
            "SELECT r.id, m.held_on, m.kind, r.title FROM resolutions r JOIN meetings m ON m.id = r.meeting_id \
             JOIN orgs o ON o.id = m.org_id WHERE r.passed = 1 AND m.quorate = 1 \
             AND NOT EXISTS (SELECT 1 FROM matter_steps s WHERE s.resolution_id = r.id) AND o.place_id = ",
        );
        sql.bind(m.place_id).push(" AND m.kind IN (");
        for (i, k) in kinds.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*k);
        }
        sql.push(")");
        crate::mandates::push_authorised(&mut sql, m.item_id);
        sql.push(" ORDER BY m.held_on DESC, r.id DESC LIMIT 50");
        let rows: Vec<(i64, String, String, String)> =
            sql.query_as().fetch_all(&self.reader).await?;
        Ok(rows
            .into_iter()
            .map(|(id, day, kind, title)| {
                let k = MeetingKind::parse(&kind).map_or("", MeetingKind::zh);
                (id, format!("{day} {k}：{title}"))
            })
            .collect())
    }
}
