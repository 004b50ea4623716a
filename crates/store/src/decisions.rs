//! Figures of 四议两公开 and 村务公开 (issue 6) as roll-ups per place and month
//! (ARCHITECTURE principle 3): matters proposed, matters decided by type of the key-powers list,
//! results published (matters completed), decisions published on time or late, and board items
//! by category. Each is bumped in the transaction of the step or publication that makes it, and
//! `rebuild` derives the same rows from the records through the same mapping (`step_metrics`,
//! `publication_metrics`), so the two cannot drift apart.

use crate::Store;
use crate::error::StoreResult;
use crate::mandates::{publication_rule_on, publication_rules};
use crate::rollups::{bump_period, lineage};
use crate::scope::Scope;
use crate::sql::Sql;
use jiceng_domain::decision::Step;
use jiceng_domain::life::Every;
use jiceng_domain::life::period::Period;
use jiceng_domain::meeting::day_number;
use jiceng_domain::village::PublicationRule;
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::HashMap;

pub const PREFIX: &str = "decisions.";
pub const PROPOSED: &str = "decisions.proposed";
pub const COMPLETED: &str = "decisions.completed";
pub const ON_TIME: &str = "decisions.published_on_time";
pub const LATE: &str = "decisions.published_late";
const DECIDED: &str = "decisions.decided.";
const PUBLISHED: &str = "decisions.board.";

/// The list item a decision counts under: the law's items by their code, local items together.
fn item_key(code: &str) -> &str {
    if code.starts_with("law.") {
        code
    } else {
        "local"
    }
}

/// The roll-up rows one recorded step adds: (metric, month). `resolved_on` is the day of the
/// matter's 决议 (for a 决议公开, to judge whether it went up within `within` days, the
/// publication rule in force that day).
pub fn step_metrics(
    step: Step,
    item_code: &str,
    on_date: &str,
    resolved_on: Option<&str>,
    within: i64,
) -> Vec<(String, String)> {
    let month = on_date.get(..7).unwrap_or(on_date).to_string();
    match step {
        Step::Proposal => vec![(PROPOSED.into(), month)],
        Step::Resolution => vec![(format!("{DECIDED}{}", item_key(item_code)), month)],
        Step::ResolutionPublished => {
            let late = match resolved_on.map(day_number) {
                Some(Ok(r)) => day_number(on_date).is_ok_and(|d| d - r > within),
                _ => false,
            };
            vec![((if late { LATE } else { ON_TIME }).into(), month)]
        }
        Step::ResultPublished => vec![(COMPLETED.into(), month)],
        Step::Consultation | Step::Review => vec![],
    }
}

/// The roll-up row a board item adds.
pub fn publication_metrics(category: &str, up_on: &str) -> Vec<(String, String)> {
    vec![(
        format!("{PUBLISHED}{category}"),
        up_on.get(..7).unwrap_or(up_on).to_string(),
    )]
}

pub(crate) async fn bump_all(
    conn: &mut AnyConnection,
    code: &str,
    rows: &[(String, String)],
) -> StoreResult<()> {
    for (metric, month) in rows {
        bump_period(conn, code, metric, month, 1).await?;
    }
    Ok(())
}

async fn place_code(conn: &mut AnyConnection, place_id: i64) -> StoreResult<String> {
    Ok(sqlx::query_scalar("SELECT code FROM places WHERE id = $1")
        .bind(place_id)
        .fetch_one(&mut *conn)
        .await?)
}

/// Called in the transaction that recorded a matter's step.
pub(crate) async fn step_recorded(
    conn: &mut AnyConnection,
    matter_id: i64,
    step: Step,
    on_date: &str,
) -> StoreResult<()> {
    let (place_id, item_code, resolved_on): (i64, String, Option<String>) = sqlx::query_as(
        "SELECT m.place_id, i.code, (SELECT s.on_date FROM matter_steps s WHERE s.matter_id = m.id \
         AND s.step = 'resolution') FROM matters m JOIN power_items i ON i.id = m.item_id WHERE m.id = $1",
    )
    .bind(matter_id)
    .fetch_one(&mut *conn)
    .await?;
    let day = resolved_on.as_deref().unwrap_or(on_date);
    let within = publication_rule_on(conn, day).await?.resolution_within_days;
    let rows = step_metrics(step, &item_code, on_date, resolved_on.as_deref(), within);
    let code = place_code(conn, place_id).await?;
    bump_all(conn, &code, &rows).await
}

/// Called in the transaction that put an item on a board.
pub(crate) async fn publication_recorded(
    conn: &mut AnyConnection,
    place_id: i64,
    category: &str,
    up_on: &str,
) -> StoreResult<()> {
    let code = place_code(conn, place_id).await?;
    bump_all(conn, &code, &publication_metrics(category, up_on)).await
}

/// Recomputes every `decisions.*` row from the records (part of `rollup_rebuild`).
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> StoreResult<usize> {
    sqlx::query("DELETE FROM rollups WHERE metric LIKE 'decisions.%'")
        .execute(&mut *conn)
        .await?;
    let ids: HashMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("SELECT code, id FROM places")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let mut acc: HashMap<(i64, String, String), i64> = HashMap::new();
    let mut add = |code: &str, rows: Vec<(String, String)>| {
        for c in lineage(code) {
            let Some(id) = ids.get(&c) else { continue };
            for (metric, month) in &rows {
                *acc.entry((*id, metric.clone(), month.clone())).or_default() += 1;
            }
        }
    };
    type StepRow = (String, String, String, String, Option<String>);
    let steps: Vec<StepRow> = sqlx::query_as(
        "SELECT p.code, s.step, i.code, s.on_date, (SELECT r.on_date FROM matter_steps r \
         WHERE r.matter_id = s.matter_id AND r.step = 'resolution') FROM matter_steps s \
         JOIN matters m ON m.id = s.matter_id JOIN places p ON p.id = m.place_id \
         JOIN power_items i ON i.id = m.item_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let rules = publication_rules(conn).await?;
    for (code, step, item, on_date, resolved) in steps {
        if let Some(step) = Step::parse(&step) {
            let day = resolved.as_deref().unwrap_or(&on_date);
            // The same choice as publication_rule_on: the earliest rule before any was in force.
            let within = PublicationRule::in_force(&rules, day)
                .or(rules.first())
                .map_or(0, |r| r.resolution_within_days);
            add(
                &code,
                step_metrics(step, &item, &on_date, resolved.as_deref(), within),
            );
        }
    }
    let items: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT p.code, b.category, b.up_on FROM publications b JOIN places p ON p.id = b.place_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (code, category, up_on) in items {
        add(&code, publication_metrics(&category, &up_on));
    }
    let rows: Vec<_> = acc.into_iter().collect();
    for chunk in rows.chunks(100) {
        let mut sql = Sql::new("INSERT INTO rollups (place_id, metric, period, value) VALUES ");
        for (i, ((id, metric, period), value)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*id).push(", ").bind(metric.as_str()).push(", ");
            sql.bind(period.as_str()).push(", ").bind(*value).push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(rows.len())
}

/// One place's figures over a period.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct DecisionRow {
    pub place_id: i64,
    pub name: String,
    pub kind: String,
    pub proposed: i64,
    pub decided: i64,
    pub completed: i64,
    pub on_time: i64,
    pub late: i64,
    /// Board items by category.
    pub published: HashMap<String, i64>,
    /// Decisions by list item (`law.*` codes, or `local`).
    pub by_item: HashMap<String, i64>,
}

impl DecisionRow {
    fn add(&mut self, metric: &str, n: i64) {
        match metric {
            PROPOSED => self.proposed += n,
            COMPLETED => self.completed += n,
            ON_TIME => self.on_time += n,
            LATE => self.late += n,
            m => {
                if let Some(item) = m.strip_prefix(DECIDED) {
                    self.decided += n;
                    *self.by_item.entry(item.to_string()).or_default() += n;
                } else if let Some(c) = m.strip_prefix(PUBLISHED) {
                    *self.published.entry(c.to_string()).or_default() += n;
                }
            }
        }
    }

    /// Decisions published within the rule's days, per mille of those published (None if none).
    pub fn timeliness_per_mille(&self) -> Option<i64> {
        let all = self.on_time + self.late;
        (all > 0).then(|| self.on_time * 1000 / all)
    }
}

impl Store {
    /// A node's figures over `period` and one row per child place, read from the roll-ups.
    pub async fn decision_figures(
        &self,
        scope: &Scope,
        place_id: i64,
        period: &Period,
    ) -> StoreResult<(DecisionRow, Vec<DecisionRow>)> {
        let node = self.place(scope, place_id).await?;
        let filter = crate::places::PlaceFilter {
            parent_id: Some(node.id),
            ..Default::default()
        };
        let (children, _) = self
            .places(scope, &filter, crate::sql::Page::new(None, Some(500)))
            .await?;
        let months: Vec<String> = period
            .parts(Every::Month)
            .iter()
            .map(Period::label)
            .collect();
        let mut sql = Sql::new(
            // SUM of a BIGINT is NUMERIC on PostgreSQL, which the Any driver cannot read.
            "SELECT place_id, metric, CAST(SUM(value) AS BIGINT) FROM rollups WHERE place_id IN (",
        );
        sql.bind(node.id);
        for c in &children {
            sql.push(", ").bind(c.id);
        }
        sql.push(") AND metric LIKE 'decisions.%' AND period IN (");
        for (i, m) in months.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(m.as_str());
        }
        sql.push(") GROUP BY place_id, metric");
        let sums: Vec<(i64, String, i64)> = sql.query_as().fetch_all(&self.reader).await?;
        let row = |p: &crate::places::Place| {
            let mut r = DecisionRow {
                place_id: p.id,
                name: p.name.clone(),
                kind: p.kind.clone(),
                ..Default::default()
            };
            for (_, metric, n) in sums.iter().filter(|(id, _, _)| *id == p.id) {
                r.add(metric, *n);
            }
            r
        };
        Ok((row(&node), children.iter().map(row).collect()))
    }

    /// Every non-zero `decisions.*` roll-up row, sorted (rebuild == incremental in tests).
    pub async fn decisions_snapshot(&self) -> StoreResult<Vec<(i64, String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT place_id, metric, period, value FROM rollups WHERE metric LIKE 'decisions.%' \
             AND value <> 0 ORDER BY place_id, metric, period",
        )
        .fetch_all(&self.reader)
        .await?)
    }
}
