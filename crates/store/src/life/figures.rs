//! The 三会一课 figures of a node and of each place below it for a chosen period: what its
//! branches owed (counted from the organisations when read, see the module's comment) against
//! what they met (roll-ups), per requirement; meetings held per kind and observations (roll-ups).
//!
//! A requirement for branches of a size (the 支委会, `committee.rs`) is owed by the branches of
//! that size only, counted from `orgs.full_members` in the same pass. Its `life.met.*` roll-up
//! counts every branch that held the meetings, whatever its size (the roll-up cannot follow a
//! register that changes later): the branches below the size that did so are read from their
//! meetings and taken off (`unowed_met`). A branch below the size has no committee, so these are
//! few, and the read touches only their own meetings of that kind, through `meetings(org_id,
//! held_on)`.

use super::branch::branch_kinds;
use super::{OBSERVED, day_start_ms, held_metric, met_metric, rule};
use crate::Store;
use crate::error::StoreResult;
use crate::places::{Place, PlaceFilter};
use crate::scope::Scope;
use crate::sql::{Page, Sql};
use jiceng_domain::life::{Every, Period};
use jiceng_domain::meeting::MeetingKind;
use std::collections::{BTreeSet, HashMap};

/// One place's figures (or the node's total, or the organisations sitting at the node itself).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifeRow {
    /// The place; `None` for the organisations at the node itself.
    pub place_id: Option<i64>,
    pub name: String,
    /// Branches that owed the latest requirement period begun.
    pub branches: i64,
    /// Per requirement kind, over the requirement periods that have ended: (kind, owed, met).
    pub by_kind: Vec<(MeetingKind, i64, i64)>,
    /// The requirement periods still running: owed, and met so far.
    pub running: (i64, i64),
    /// Valid meetings held per kind in the period.
    pub held: Vec<(MeetingKind, i64)>,
    pub observed: i64,
}

impl LifeRow {
    pub fn due(&self) -> i64 {
        self.by_kind.iter().map(|(_, d, _)| d).sum()
    }

    pub fn met(&self) -> i64 {
        self.by_kind.iter().map(|(_, _, m)| m).sum()
    }

    /// Per mille met of owed over the ended periods (`None` when nothing was owed).
    pub fn rate(&self) -> Option<i64> {
        let due = self.due();
        (due > 0).then(|| self.met() * 1000 / due)
    }

    pub fn held_total(&self) -> i64 {
        self.held.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifeFigures {
    pub total: LifeRow,
    pub children: Vec<LifeRow>,
    /// Organisations sitting at the node itself, when any owed something.
    pub here: Option<LifeRow>,
}

/// One requirement period inside the chosen one that has begun.
struct Part {
    kind: MeetingKind,
    label: String,
    start: String,
    ended: bool,
    /// Owed by branches of at least this many full members only.
    min_full: Option<u32>,
}

impl Part {
    fn owing_key(&self) -> OwingKey {
        (self.start.clone(), self.min_full)
    }
}

/// A period start, and the least number of full members of the branches counted.
type OwingKey = (String, Option<u32>);

/// What the figures of one place are read from.
#[derive(Default)]
struct Raw {
    /// Branches owing at each period start (of a size, for a requirement with one).
    owing: HashMap<OwingKey, i64>,
    /// (metric, period) → value.
    rollups: HashMap<(String, String), i64>,
}

impl Raw {
    fn add(&mut self, other: &Raw, sign: i64) {
        for (k, v) in &other.owing {
            *self.owing.entry(k.clone()).or_default() += sign * v;
        }
        for (k, v) in &other.rollups {
            *self.rollups.entry(k.clone()).or_default() += sign * v;
        }
    }

    fn row(
        &self,
        place_id: Option<i64>,
        name: String,
        parts: &[Part],
        months: &[String],
    ) -> LifeRow {
        let mut by_kind: Vec<(MeetingKind, i64, i64)> = Vec::new();
        let mut running = (0, 0);
        for p in parts {
            let owed = self.owing.get(&p.owing_key()).copied().unwrap_or(0).max(0);
            let met = self
                .rollups
                .get(&(met_metric(p.kind), p.label.clone()))
                .copied()
                .unwrap_or(0)
                // A meeting recorded ahead for a period that begins after its branch was closed
                // would count a branch that owed nothing: never more met than owed.
                .clamp(0, owed);
            if p.ended {
                match by_kind.iter_mut().find(|(k, _, _)| *k == p.kind) {
                    Some(e) => {
                        e.1 += owed;
                        e.2 += met;
                    }
                    None => by_kind.push((p.kind, owed, met)),
                }
            } else {
                running.0 += owed;
                running.1 += met;
            }
        }
        let month_sum = |metric: &str| -> i64 {
            months
                .iter()
                .map(|m| {
                    self.rollups
                        .get(&(metric.to_string(), m.clone()))
                        .copied()
                        .unwrap_or(0)
                })
                .sum()
        };
        let held = MeetingKind::ALL
            .into_iter()
            .filter(|k| k.is_party_life())
            .map(|k| (k, month_sum(&held_metric(k))))
            .filter(|(_, n)| *n > 0)
            .collect();
        let latest = parts.iter().map(|p| &p.start).max();
        LifeRow {
            place_id,
            name,
            branches: latest
                .and_then(|s| self.owing.get(&(s.clone(), None)))
                .copied()
                .unwrap_or(0),
            by_kind,
            running,
            held,
            observed: month_sum(OBSERVED),
        }
    }
}

/// The length of the code prefix that tells which place directly under `node` an organisation
/// sits under (the node's own organisations get a key of their own).
pub(super) fn key_len(node: &Place, children: &[Place]) -> usize {
    children
        .first()
        .map_or(node.prefix().len(), |c| c.prefix().len())
}

impl Store {
    /// The figures of a node (in scope) and of each open place directly under it, for `period`
    /// as it stands on `today`.
    pub async fn life_figures(
        &self,
        scope: &Scope,
        place_id: i64,
        period: &Period,
        today: &str,
    ) -> StoreResult<LifeFigures> {
        let node = self.place(scope, place_id).await?;
        let filter = PlaceFilter {
            parent_id: Some(node.id),
            ..Default::default()
        };
        let (children, _) = self
            .places(scope, &filter, Page::new(None, Some(500)))
            .await?;
        let rule = rule();
        let mut parts = Vec::new();
        for req in &rule.requirements {
            for p in period.parts(req.every) {
                let (start, _) = p.days();
                if start.as_str() <= today {
                    parts.push(Part {
                        kind: req.kind,
                        label: p.label(),
                        ended: p.ended(today)?,
                        start,
                        min_full: req.min_full_members,
                    });
                }
            }
        }
        let months: Vec<String> = period
            .parts(Every::Month)
            .iter()
            .map(Period::label)
            .collect();
        let owing = self.owing(scope, &node, &children, &parts).await?;
        let rollups = self.life_rollups(scope, &node, &parts, &months).await?;
        let unowed = self.unowed_met(scope, &node, &children, period).await?;
        let raw = |id: i64, key: &String| {
            let mut r = Raw {
                owing: owing.get(key).cloned().unwrap_or_default(),
                rollups: rollups.get(&id).cloned().unwrap_or_default(),
            };
            if let Some(u) = unowed.get(key) {
                r.add(
                    &Raw {
                        owing: HashMap::new(),
                        rollups: u.clone(),
                    },
                    -1,
                );
            }
            r
        };
        let mut total = Raw::default();
        for v in owing.values() {
            total.add(
                &Raw {
                    owing: v.clone(),
                    rollups: HashMap::new(),
                },
                1,
            );
        }
        total.rollups = rollups.get(&node.id).cloned().unwrap_or_default();
        for u in unowed.values() {
            total.add(
                &Raw {
                    owing: HashMap::new(),
                    rollups: u.clone(),
                },
                -1,
            );
        }
        // What sits at the node itself: the total less every child.
        let mut here = Raw::default();
        here.add(&total, 1);
        let mut rows = Vec::new();
        for c in &children {
            let r = raw(c.id, &c.prefix());
            here.add(&r, -1);
            rows.push(r.row(Some(c.id), c.name.clone(), &parts, &months));
        }
        let here = here.row(None, node.name.clone(), &parts, &months);
        Ok(LifeFigures {
            total: total.row(Some(node.id), node.name.clone(), &parts, &months),
            children: rows,
            here: (here.due() > 0 || here.running.0 > 0 || here.held_total() > 0).then_some(here),
        })
    }

    /// Branches owing at each period start, by the subtree prefix of the child they sit under
    /// (or another key for those at the node itself): one pass over the subtree's organisations.
    async fn owing(
        &self,
        scope: &Scope,
        node: &Place,
        children: &[Place],
        parts: &[Part],
    ) -> StoreResult<HashMap<String, HashMap<OwingKey, i64>>> {
        // Every start for all branches (the number of branches is read from it), and again for
        // each size a requirement asks.
        let starts: Vec<OwingKey> = parts
            .iter()
            .flat_map(|p| [(p.start.clone(), None), p.owing_key()])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if starts.is_empty() {
            return Ok(HashMap::new());
        }
        let len = key_len(node, children);
        // `len` is a number computed here, not input: it goes into the text so that the select
        // and its GROUP BY are the same expression on PostgreSQL.
        let mut sql = Sql::new(&format!("SELECT SUBSTR(p.code, 1, {len})"));
        for (s, min_full) in &starts {
            let ms = day_start_ms(s);
            sql.push(", CAST(SUM(CASE WHEN (o.founded_on <= ")
                .bind(s.as_str())
                .push(" OR (o.founded_on IS NULL AND o.created_at < ")
                .bind(ms + 86_400_000)
                .push(")) AND (o.closed_at IS NULL OR o.closed_at >= ")
                .bind(ms)
                .push(")");
            if let Some(n) = min_full {
                sql.push(" AND o.full_members >= ").bind(i64::from(*n));
            }
            sql.push(" THEN 1 ELSE 0 END) AS BIGINT)");
        }
        sql.push(" FROM orgs o JOIN places p ON p.id = o.place_id WHERE ");
        branch_kinds(&mut sql);
        sql.push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.push(" AND ");
        node.scope().predicate(&mut sql, "p.code");
        sql.push(" GROUP BY 1");
        let rows = sql.query().fetch_all(&self.reader).await?;
        let mut out = HashMap::new();
        for row in rows {
            use sqlx::Row;
            let key: String = row.try_get(0)?;
            let mut counts = HashMap::new();
            for (i, s) in starts.iter().enumerate() {
                let n: i64 = row.try_get(i + 1)?;
                counts.insert(s.clone(), n);
            }
            out.insert(key, counts);
        }
        Ok(out)
    }

    /// The `life.*` roll-ups of the node and the places directly under it for the periods asked.
    async fn life_rollups(
        &self,
        scope: &Scope,
        node: &Place,
        parts: &[Part],
        months: &[String],
    ) -> StoreResult<HashMap<i64, HashMap<(String, String), i64>>> {
        let periods: BTreeSet<&String> = parts.iter().map(|p| &p.label).chain(months).collect();
        let mut sql = Sql::new(
            "SELECT r.place_id, r.metric, r.period, r.value FROM rollups r JOIN places p ON p.id = r.place_id \
             WHERE (p.id = ",
        );
        sql.bind(node.id)
            .push(" OR p.parent_id = ")
            .bind(node.id)
            .push(") AND r.metric LIKE 'life.%' AND r.period IN (");
        for (i, p) in periods.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(p.as_str());
        }
        sql.push(") AND ");
        scope.predicate(&mut sql, "p.code");
        let rows: Vec<(i64, String, String, i64)> = sql.query_as().fetch_all(&self.reader).await?;
        let mut out: HashMap<i64, HashMap<(String, String), i64>> = HashMap::new();
        for (id, metric, period, v) in rows {
            out.entry(id).or_default().insert((metric, period), v);
        }
        Ok(out)
    }
}
