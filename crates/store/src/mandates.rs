//! Rules of village decisions kept as dated rows: the 村民会议's authorisations of the 村民代表会议
//! (《村民委员会组织法》第二十四条 — without one, the representatives cannot decide a matter of the
//! law's list), and the 村务公开 rule (`domain::village::PublicationRule`) by its effective day.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use crate::sql::Sql;
use crate::village::{refuse, village_in};
use crate::{Actor, Store};
use jiceng_domain::meeting::MeetingKind;
use jiceng_domain::member::parse_date;
use jiceng_domain::village::PublicationRule;
use serde::Serialize;
use sqlx::AnyConnection;

/// An authorisation as the form gives it.
#[derive(Debug, Clone, Default)]
pub struct NewMandate {
    pub place_id: i64,
    /// The 村民会议's passed resolution that grants it.
    pub resolution_id: i64,
    /// One item of the key-powers list, or every item (None).
    pub item_id: Option<i64>,
    pub from_on: String,
    pub until_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Mandate {
    pub id: i64,
    pub place_id: i64,
    pub resolution_id: i64,
    pub resolution_title: String,
    pub held_on: String,
    pub item_id: Option<i64>,
    pub item_name: Option<String>,
    pub from_on: String,
    pub until_on: Option<String>,
}

/// Whether the village's 村民代表会议 may decide matters of `item_id` on `day`.
pub(crate) async fn authorised(
    conn: &mut AnyConnection,
    place_id: i64,
    item_id: i64,
    day: &str,
) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM assembly_mandates WHERE place_id = $1 \
         AND (item_id IS NULL OR item_id = $2) AND from_on <= $3 AND (until_on IS NULL OR until_on >= $3)",
    )
    .bind(place_id)
    .bind(item_id)
    .bind(day)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// The SQL condition (for `step_choices`) that a meeting `m` of a village `place` may carry the
/// matter's 决议: any body but the 村民代表会议, or the latter under an authorisation that day.
pub(crate) fn push_authorised(sql: &mut Sql, item_id: i64) {
    sql.push(" AND (m.kind <> ")
        .bind(MeetingKind::RepresentativesAssembly.as_str());
    sql.push(
        " OR EXISTS (SELECT 1 FROM assembly_mandates am WHERE am.place_id = o.place_id \
         AND (am.item_id IS NULL OR am.item_id = ",
    );
    sql.bind(item_id).push(
        ") AND am.from_on <= m.held_on AND (am.until_on IS NULL OR am.until_on >= m.held_on)))",
    );
}

/// Every version of the publication rule on file.
pub(crate) async fn publication_rules(
    conn: &mut AnyConnection,
) -> StoreResult<Vec<PublicationRule>> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT rule_json FROM publication_rules ORDER BY effective_from")
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|j| {
            serde_json::from_str(j)
                .map_err(|e| StoreError::Internal(format!("publication rule: {e}")))
        })
        .collect()
}

/// The publication rule in force on `day` (the earliest on file before any was in force: the
/// board is judged by some rule rather than none).
pub(crate) async fn publication_rule_on(
    conn: &mut AnyConnection,
    day: &str,
) -> StoreResult<PublicationRule> {
    let rules = publication_rules(conn).await?;
    PublicationRule::in_force(&rules, day)
        .or(rules.first())
        .cloned()
        .ok_or_else(|| StoreError::Internal("no publication rule on file".into()))
}

impl Store {
    /// Seeds the publication rule once (a migration cannot read the domain's data).
    pub(crate) async fn seed_publication_rules(&self) -> StoreResult<()> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM publication_rules")
            .fetch_one(&self.writer)
            .await?;
        if n > 0 {
            return Ok(());
        }
        let r = PublicationRule::defaults();
        let json = serde_json::to_string(&r).map_err(|e| StoreError::Internal(e.to_string()))?;
        sqlx::query(
            "INSERT INTO publication_rules (effective_from, rule_json, created_at) VALUES ($1, $2, 0)",
        )
        .bind(&r.effective_from)
        .bind(json)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Files a new version of the publication rule from its effective day on; the board before
    /// that day stays judged by the version then in force.
    pub async fn add_publication_rule(
        &self,
        actor: &Actor,
        rule: &PublicationRule,
        now: i64,
    ) -> StoreResult<()> {
        parse_date(&rule.effective_from, "effective_from")?;
        if [
            rule.affairs_every_days,
            rule.finance_every_days,
            rule.resolution_within_days,
        ]
        .iter()
        .any(|d| !(1..=366).contains(d))
        {
            return Err(refuse(
                "board.rule_invalid",
                "公开周期须在1至366天之间".into(),
                "periods are between 1 and 366 days",
                "affairs_every_days",
            ));
        }
        let json = serde_json::to_string(rule).map_err(|e| StoreError::Internal(e.to_string()))?;
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO publication_rules (effective_from, rule_json, created_at) VALUES ($1, $2, $3)",
        )
        .bind(&rule.effective_from)
        .bind(&json)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::from(e).unique(
                "board.rule_exists",
                "effective_from",
                "这一天生效的公开规定已存在",
                "a rule already takes effect that day",
            )
        })?;
        let after = serde_json::to_value(rule).ok();
        audit::commit(
            tx,
            actor,
            Change::new(
                "create",
                "publication_rule",
                &rule.effective_from,
                None,
                after,
            ),
            now,
        )
        .await
    }

    /// The publication rule in force on `day`.
    pub async fn publication_rule(&self, day: &str) -> StoreResult<PublicationRule> {
        let mut conn = self.reader.acquire().await?;
        publication_rule_on(&mut conn, day).await
    }

    /// Records the 村民会议's authorisation of the 村民代表会议: it must rest on a passed
    /// resolution of a quorate 村民会议 of the same village, and start no earlier than it.
    pub async fn grant_mandate(
        &self,
        actor: &Actor,
        scope: &Scope,
        n: &NewMandate,
        now: i64,
    ) -> StoreResult<Mandate> {
        let from_on = parse_date(&n.from_on, "from_on")?;
        let until_on = match n.until_on.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => Some(parse_date(d, "until_on")?),
            _ => None,
        };
        if until_on.as_ref().is_some_and(|u| *u < from_on) {
            return Err(refuse(
                "mandate.until_before_from",
                "授权的截止日期不能早于开始日期".into(),
                "the authorisation cannot end before it starts",
                "until_on",
            ));
        }
        let mut tx = self.writer.begin().await?;
        let place = village_in(&mut tx, scope, n.place_id).await?;
        let vote: Option<(i64, String, String, i64, i64)> = sqlx::query_as(
            "SELECT o.place_id, m.kind, m.held_on, m.quorate, r.passed FROM resolutions r \
             JOIN meetings m ON m.id = r.meeting_id JOIN orgs o ON o.id = m.org_id WHERE r.id = $1",
        )
        .bind(n.resolution_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (vote_place, kind, held_on, quorate, passed) = match vote {
            Some(v) if v.0 == place.id => v,
            _ => {
                return Err(refuse(
                    "mandate.resolution_invalid",
                    format!("请选择{}村民会议通过的决定", place.name),
                    "choose a resolution of this village's villagers' assembly",
                    "resolution_id",
                ));
            }
        };
        if kind != MeetingKind::VillagersAssembly.as_str() || quorate != 1 || passed != 1 {
            return Err(refuse(
                "mandate.not_villagers_assembly",
                "授权须由达到法定人数的村民会议表决通过（《村民委员会组织法》第二十四条）".into(),
                "only a passed resolution of a quorate villagers' assembly authorises",
                "resolution_id",
            ));
        }
        if from_on < held_on {
            return Err(refuse(
                "mandate.before_assembly",
                format!("授权不能早于作出授权的村民会议（{held_on}）生效"),
                "an authorisation cannot start before the assembly that gave it",
                "from_on",
            ));
        }
        if let Some(item) = n.item_id {
            let ok: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM power_items WHERE id = $1 AND (place_id IS NULL OR place_id = $2)",
            )
            .bind(item)
            .bind(vote_place)
            .fetch_optional(&mut *tx)
            .await?;
            if ok.is_none() {
                return Err(refuse(
                    "mandate.item_invalid",
                    "请选择本村重要事权清单中的事项".into(),
                    "choose an item of this village's list",
                    "item_id",
                ));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO assembly_mandates (place_id, resolution_id, item_id, from_on, until_on, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
        )
        .bind(place.id)
        .bind(n.resolution_id)
        .bind(n.item_id)
        .bind(&from_on)
        .bind(&until_on)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"place_id": place.id, "resolution_id": n.resolution_id,
            "item_id": n.item_id, "from_on": from_on, "until_on": until_on});
        audit::commit(
            tx,
            actor,
            Change::new("create", "mandate", id, None, Some(after)),
            now,
        )
        .await?;
        self.mandates(scope, place.id)
            .await?
            .into_iter()
            .find(|m| m.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// The village's authorisations, newest first.
    pub async fn mandates(&self, scope: &Scope, place_id: i64) -> StoreResult<Vec<Mandate>> {
        let mut conn = self.reader.acquire().await?;
        let place = village_in(&mut conn, scope, place_id).await?;
        Ok(sqlx::query_as(
            "SELECT a.id, a.place_id, a.resolution_id, r.title AS resolution_title, m.held_on, a.item_id, \
             i.name AS item_name, a.from_on, a.until_on FROM assembly_mandates a \
             JOIN resolutions r ON r.id = a.resolution_id JOIN meetings m ON m.id = r.meeting_id \
             LEFT JOIN power_items i ON i.id = a.item_id WHERE a.place_id = $1 ORDER BY a.from_on DESC, a.id DESC",
        )
        .bind(place.id)
        .fetch_all(&mut *conn)
        .await?)
    }

    /// Passed resolutions of the village's quorate 村民会议 (what the authorisation form offers).
    pub async fn mandate_choices(
        &self,
        scope: &Scope,
        place_id: i64,
    ) -> StoreResult<Vec<(i64, String)>> {
        let mut conn = self.reader.acquire().await?;
        let place = village_in(&mut conn, scope, place_id).await?;
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT r.id, m.held_on, r.title FROM resolutions r JOIN meetings m ON m.id = r.meeting_id \
             JOIN orgs o ON o.id = m.org_id WHERE o.place_id = $1 AND m.kind = $2 AND m.quorate = 1 \
             AND r.passed = 1 ORDER BY m.held_on DESC, r.id DESC LIMIT 50",
        )
        .bind(place.id)
        .bind(MeetingKind::VillagersAssembly.as_str())
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, day, title)| (id, format!("{day} 村民会议：{title}")))
            .collect())
    }
}
