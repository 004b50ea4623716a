//! The province's residents' voice and 党员联系户 (issue 5, Performance): three years of problems in
//! every 村居 (each driven through `domain::voice::Problem::apply`, so its row is what its events
//! leave, with the events, categories, texts and search words `voice/search.rs` would write),
//! households in every grid with the member who looks after them, and their visits — about 20
//! million records at full size. One town at a time, in one transaction: on PostgreSQL streamed
//! with `COPY` on a connection of its own, on SQLite as multi-row INSERTs; the roll-ups the figures
//! read are written from the same counts (`figures::contribution`, the households' metrics), and
//! one audit entry per town says what was written. Only one town's rows are held at a time.

use crate::names::thousands;
use crate::province_copy::{Out, Rows, TownRows, V, write};
use crate::province_texts as t;
use jiceng_domain::voice::{Event, Problem, Status, VoiceRule};
use jiceng_store::audit::Change;
use jiceng_store::rollups::lineage;
use jiceng_store::sql::Sql;
use jiceng_store::voice::figures::{Facts, contribution};
use jiceng_store::voice::{code_hash, search};
use jiceng_store::{Backend, Scope, Store, StoreError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::collections::HashMap;
use std::time::{Duration, Instant};

mod households;

const SEED: u64 = 0x6a69_6365_6e67_5643;
/// Years of history ending today.
const YEARS: i64 = 3;
const DAY_MS: i64 = 86_400_000;

/// Records per 村居 on average (each village gets ±40%).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoiceSize {
    /// Problems filed over the three years (each with 2–9 events).
    pub problems: u32,
    /// Households (each with the member who looks after it).
    pub households: u32,
    /// Visits over the three years.
    pub visits: u32,
}

impl VoiceSize {
    /// ~20 million records in the 26,000 村居: 1.3M problems, 6.7M events, 2.9M households and
    /// as many assignments, 7.8M visits.
    pub const FULL: VoiceSize = VoiceSize {
        problems: 50,
        households: 110,
        visits: 300,
    };

    /// `FULL` scaled to `percent` (at least one of each per village).
    pub fn percent(percent: u32) -> VoiceSize {
        let s = |n: u32| (n * percent / 100).max(1);
        VoiceSize {
            problems: s(Self::FULL.problems),
            households: s(Self::FULL.households),
            visits: s(Self::FULL.visits),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VoiceTotals {
    pub problems: u64,
    pub events: u64,
    pub households: u64,
    pub assignments: u64,
    pub visits: u64,
    pub rollups: u64,
}

impl VoiceTotals {
    /// Every record written (roll-ups aside).
    pub fn records(&self) -> u64 {
        self.problems + self.events + self.households + self.assignments + self.visits
    }
}

/// The date of a day number (days since 1970-01-01), `YYYY-MM-DD` (Hinnant's civil_from_days).
pub(crate) fn date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A village of a town: its id and code, its grids, its members who can visit.
struct Village {
    id: i64,
    code: String,
    name: String,
    grids: Vec<(i64, String)>,
    members: Vec<i64>,
}

async fn villages(store: &Store, town: &str) -> Result<Vec<Village>, StoreError> {
    let mut sql = Sql::new("SELECT id, code, name, kind FROM places WHERE closed_at IS NULL AND ");
    Scope::prefix(&town[..9]).predicate(&mut sql, "code");
    sql.push(" ORDER BY code");
    let places: Vec<(i64, String, String, String)> =
        sql.query_as().fetch_all(&store.reader).await?;
    let mut out: Vec<Village> = Vec::new();
    for (id, code, name, kind) in places {
        match kind.as_str() {
            "village" | "community" => out.push(Village {
                id,
                code,
                name,
                grids: Vec::new(),
                members: Vec::new(),
            }),
            "grid" => {
                if let Some(v) = out.iter_mut().find(|v| code.starts_with(&v.code)) {
                    v.grids.push((id, code));
                }
            }
            _ => {}
        }
    }
    if out.is_empty() {
        return Ok(out);
    }
    let ids: Vec<String> = out.iter().map(|v| v.id.to_string()).collect();
    let sql = Sql::new(&format!(
        "SELECT o.place_id, m.id FROM members m JOIN orgs o ON o.id = m.org_id \
         WHERE o.place_id IN ({}) AND m.status IN ('probationary', 'full') ORDER BY m.id",
        ids.join(", ")
    ));
    let members: Vec<(i64, i64)> = sql.query_as().fetch_all(&store.reader).await?;
    for (place, member) in members {
        if let Some(v) = out.iter_mut().find(|v| v.id == place) {
            v.members.push(member);
        }
    }
    Ok(out)
}

fn seed_for(code: &str) -> u64 {
    code.bytes().fold(SEED, |h, b| {
        h.wrapping_mul(0x100_0000_01b3).wrapping_add(u64::from(b))
    })
}

/// Roll-up counts by (place code, metric, period).
type Counts = HashMap<(String, String, String), i64>;

fn count(c: &mut Counts, code: &str, metric: &str, period: &str, n: i64) {
    for l in lineage(code) {
        *c.entry((l, metric.to_string(), period.to_string()))
            .or_default() += n;
    }
}

/// State shared across towns: the next ids, the search words of each text seen, the counts of
/// the places above the towns (written at the end), the totals.
struct Gen<'a> {
    store: &'a Store,
    size: VoiceSize,
    today: i64,
    next_problem: i64,
    next_household: i64,
    words: HashMap<String, String>,
    upper: Counts,
    totals: VoiceTotals,
    rule: VoiceRule,
}

/// A millisecond time on `day` (Beijing office hours).
fn at(rng: &mut ChaCha8Rng, day: i64) -> i64 {
    day * DAY_MS + rng.gen_range(0..10) * 3_600_000 + rng.gen_range(0..3_600_000)
}

impl Gen<'_> {
    /// A village's problems, filed over the years (more lately), oldest first.
    fn problems(
        &mut self,
        rng: &mut ChaCha8Rng,
        v: &Village,
        rows: &mut TownRows,
        c: &mut Counts,
    ) -> Result<(), StoreError> {
        let n = (f64::from(self.size.problems) * rng.gen_range(0.6..1.4)).round() as usize;
        let span = YEARS * 365;
        let first = self.today - span + 1;
        // Reports grow over the years: the square root spreads more of them late.
        let mut days: Vec<i64> = (0..n)
            .map(|_| first + ((rng.gen_range(0.0..1.0f64)).sqrt() * span as f64) as i64)
            .map(|d| d.min(self.today))
            .collect();
        days.sort_unstable();
        // (id, the day it stopped being open): what a new report may be merged into.
        let mut open: Vec<(i64, i64)> = Vec::new();
        for day in days {
            let id = self.next_problem;
            self.next_problem += 1;
            let into: Vec<i64> = open
                .iter()
                .filter(|(_, u)| *u > day)
                .map(|(i, _)| *i)
                .collect();
            let until = self.problem(rng, v, (id, day), &into, rows, c)?;
            open.push((id, until));
            if open.len() > 64 {
                open.remove(0);
            }
        }
        Ok(())
    }

    /// One problem; returns the day it stopped being open (closed or merged), or `i64::MAX`.
    fn problem(
        &mut self,
        rng: &mut ChaCha8Rng,
        v: &Village,
        (id, filed): (i64, i64),
        open_ids: &[i64],
        rows: &mut TownRows,
        c: &mut Counts,
    ) -> Result<i64, StoreError> {
        let (category, body, location) = t::report(rng);
        let source = match rng.gen_range(0..100) {
            0..45 => "resident",
            45..70 => "desk",
            70..90 => "visit",
            90..95 => "studio",
            _ => "open311",
        };
        let staff = "demo";
        let resident = "resident";
        // The plan: every step on its day; what lies after today has not happened yet.
        let mut plan: Vec<(i64, Event, &str)> = Vec::new();
        let merged = rng.gen_range(0..100) < 3 && !open_ids.is_empty();
        if merged {
            let into = open_ids[rng.gen_range(0..open_ids.len())];
            plan.push((filed + rng.gen_range(0..2), Event::Merged { into }, staff));
        } else {
            let analysed = filed + rng.gen_range(0..2);
            plan.push((
                analysed,
                Event::Analysed {
                    category: category.to_string(),
                },
                staff,
            ));
            let mut assigned = analysed + rng.gen_range(0..3);
            let owner = t::OWNERS[rng.gen_range(0..t::OWNERS.len())].to_string();
            // One in fifty is stuck with its owner (overdue, escalated, never resolved).
            let stuck = rng.gen_range(0..50) == 0;
            let mut rounds = 0;
            loop {
                rounds += 1;
                let deadline = assigned + rng.gen_range(7..16);
                plan.push((
                    assigned,
                    Event::Assigned {
                        owner: owner.clone(),
                        deadline: date(deadline),
                    },
                    staff,
                ));
                let late = stuck || rng.gen_range(0..100) < 12;
                if late {
                    plan.push((deadline + 1, Event::Escalated, staff));
                }
                if stuck {
                    break;
                }
                let resolved = if late {
                    deadline + rng.gen_range(2..25)
                } else {
                    assigned + rng.gen_range(1..=deadline - assigned)
                };
                let what = t::RESOLVED[rng.gen_range(0..t::RESOLVED.len())].to_string();
                plan.push((resolved, Event::Resolved { what }, staff));
                let roll = rng.gen_range(0..100);
                if roll < 3 && rounds == 1 {
                    let reason = t::OBJECTIONS[rng.gen_range(0..t::OBJECTIONS.len())].to_string();
                    let on = resolved + rng.gen_range(1..7);
                    plan.push((on, Event::Objected { reason }, resident));
                    assigned = on + rng.gen_range(0..2);
                    continue;
                }
                let closed = if roll < 75 {
                    let on = resolved + rng.gen_range(0..6);
                    plan.push((on, Event::Confirmed, resident));
                    on
                } else {
                    let on = resolved + self.rule.objection_days + 1;
                    plan.push((on, Event::WindowPassed, staff));
                    on
                };
                if rng.gen_range(0..100) < 80 {
                    let score = match rng.gen_range(0..100) {
                        0..60 => 5,
                        60..85 => 4,
                        85..95 => 3,
                        95..98 => 2,
                        _ => 1,
                    };
                    plan.push((
                        closed + rng.gen_range(0..3),
                        Event::Rated { score },
                        resident,
                    ));
                }
                break;
            }
        }
        let filed_on = date(filed);
        let created = at(rng, filed);
        let mut p = Problem::new(Some(category.to_string()));
        let mut seq = 1;
        rows.events.rows.push(vec![
            id.into(),
            seq.into(),
            "collected".into(),
            serde_json::json!({"source": source, "category": category})
                .to_string()
                .into(),
            filed_on.as_str().into(),
            staff.into(),
            created.into(),
        ]);
        let mut updated = created;
        let mut closed_on: Option<String> = None;
        let mut last_day = filed;
        for (day, e, who) in plan {
            if day > self.today {
                break;
            }
            let on = date(day);
            // The plan keeps the rules, so this never refuses; if it did, the history stops.
            if p.apply(&e, &on, &self.rule).is_err() {
                break;
            }
            seq += 1;
            updated = at(rng, day).max(updated + 1);
            if p.status == Status::Closed && closed_on.is_none() {
                closed_on = Some(on.clone());
                last_day = day;
            }
            rows.events.rows.push(vec![
                id.into(),
                seq.into(),
                e.as_str().into(),
                serde_json::to_string(&e).unwrap_or_default().into(),
                on.into(),
                who.into(),
                updated.into(),
            ]);
        }
        self.totals.events += seq as u64;
        let until = if p.status.is_open() {
            i64::MAX
        } else {
            // Merged on its first step; closed on `closed_on`.
            closed_on.as_deref().map_or(filed, |_| last_day)
        };
        let words = self
            .words
            .entry(body.clone())
            .or_insert_with(|| search::tokens(&body).join(" "))
            .clone();
        let contact = (rng.gen_range(0..100) < 30)
            .then(|| format!("13{:09}", rng.gen_range(0..1_000_000_000u64)))
            .map(|phone| self.store.sealer.seal(phone.as_bytes()))
            .transpose()?;
        let facts = Facts {
            filed_on: &filed_on,
            status: p.status.as_str(),
            closed_on: closed_on.as_deref(),
            score: p.score.map(i64::from),
            escalated: p.escalated,
        };
        for (metric, n) in contribution(&facts) {
            count(c, &v.code, metric, &filed_on[..7], n);
        }
        rows.fts.rows.push(vec![id.into(), V::T(words.clone())]);
        rows.problems.rows.push(vec![
            id.into(),
            v.id.into(),
            code_hash(&format!("PV{id:010}")).into(),
            source.into(),
            p.category.clone().into(),
            body.into(),
            location.into(),
            contact.map_or(V::N, V::B),
            p.status.as_str().into(),
            p.owner.clone().into(),
            p.deadline.clone().into(),
            p.resolved_on.clone().into(),
            i64::from(p.escalated).into(),
            p.score.map(i64::from).into(),
            p.merged_into.into(),
            filed_on.into(),
            closed_on.into(),
            created.into(),
            updated.into(),
            V::T(words),
        ]);
        self.totals.problems += 1;
        Ok(until)
    }
}

/// The rows of `rollups` for counts, by place id (places not found are left out).
fn rollup_rows(ids: &HashMap<String, i64>, counts: Counts) -> Rows {
    let mut r = Rows::new("rollups", &["place_id", "metric", "period", "value"]);
    let mut all: Vec<_> = counts.into_iter().filter(|(_, n)| *n != 0).collect();
    all.sort();
    for ((code, metric, period), n) in all {
        if let Some(id) = ids.get(&code) {
            r.rows
                .push(vec![(*id).into(), metric.into(), period.into(), n.into()]);
        }
    }
    r
}

/// Fills every town of the province with problems, households and visits (`size` per 村居);
/// `pg_url` is the store's database when it is PostgreSQL (for `COPY`). Refuses a store that
/// already holds problems or households: the roll-ups are written, not added to.
pub async fn generate_province_voice(
    store: &Store,
    pg_url: Option<&str>,
    now: i64,
    size: VoiceSize,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<VoiceTotals, StoreError> {
    let held: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM problems) + (SELECT COUNT(*) FROM households)",
    )
    .fetch_one(&store.reader)
    .await?;
    if held > 0 {
        return Err(StoreError::rule(
            "demo.voice_not_empty",
            "问题清单和联系户演示数据只能写入尚无问题和住户的数据库",
            "the voice demo needs a store without problems and households",
        ));
    }
    let mut out = match (store.backend, pg_url) {
        (Backend::Postgres, Some(url)) => Out::Pg(Box::new(PgConnection::connect(url).await?)),
        (Backend::Postgres, None) => {
            return Err(StoreError::Config(
                "the province voice demo needs the PostgreSQL URL for COPY".into(),
            ));
        }
        (Backend::Sqlite, _) => Out::Lite,
    };
    let towns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT t.code, t.name, c.name, y.name FROM places t \
         JOIN places c ON c.id = t.parent_id JOIN places y ON y.id = c.parent_id \
         WHERE t.kind IN ('town', 'subdistrict', 'township') ORDER BY t.code",
    )
    .fetch_all(&store.reader)
    .await?;
    let ids: HashMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("SELECT code, id FROM places")
            .fetch_all(&store.reader)
            .await?
            .into_iter()
            .collect();
    let next = |table: &str| format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}");
    let mut g = Gen {
        store,
        size,
        // Beijing's day.
        today: (now + 8 * 3_600_000).div_euclid(DAY_MS),
        next_problem: sqlx::query_scalar(sqlx::AssertSqlSafe(next("problems")))
            .fetch_one(&store.reader)
            .await?,
        next_household: sqlx::query_scalar(sqlx::AssertSqlSafe(next("households")))
            .fetch_one(&store.reader)
            .await?,
        words: HashMap::new(),
        upper: Counts::new(),
        totals: VoiceTotals::default(),
        rule: VoiceRule::defaults(),
    };
    // Where the time goes: reading each town's places and members, making its rows, writing them.
    let (mut reading, mut making, mut writing) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for (k, (code, name, county, city)) in towns.iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(seed_for(code));
        let mut rows = TownRows::new();
        let mut counts = Counts::new();
        let before = g.totals;
        let t0 = Instant::now();
        let town = villages(store, code).await?;
        let t1 = Instant::now();
        for v in town {
            g.problems(&mut rng, &v, &mut rows, &mut counts)?;
            g.households(
                &mut rng,
                &v,
                &format!("{city}{county}{name}"),
                &mut rows,
                &mut counts,
            )?;
        }
        // The town and below are complete now; the places above wait for the last town.
        let (upper, own): (Counts, Counts) = counts
            .into_iter()
            .partition(|((c, _, _), _)| c.len() == 12 && c.ends_with("000000"));
        for (key, n) in upper {
            *g.upper.entry(key).or_default() += n;
        }
        let roll = rollup_rows(&ids, own);
        g.totals.rollups += roll.rows.len() as u64;
        let mut tables = rows.into_tables(store.backend);
        tables.push(roll);
        let d = g.totals;
        let after = serde_json::json!({
            "problems": d.problems - before.problems,
            "events": d.events - before.events,
            "households": d.households - before.households,
            "assignments": d.assignments - before.assignments,
            "visits": d.visits - before.visits,
        });
        let change = Change::new("demo_voice", "place", code, None, Some(after));
        let t2 = Instant::now();
        write(store, &mut out, &tables, change, now).await?;
        reading += t1 - t0;
        making += t2 - t1;
        writing += t2.elapsed();
        if (k + 1) % 20 == 0 || k + 1 == towns.len() {
            progress(&format!(
                "问题清单与联系户：{}/{} 个镇街，{} 条记录（读取 {:.0} 秒，生成 {:.0} 秒，写入 {:.0} 秒）",
                k + 1,
                towns.len(),
                thousands(g.totals.records()),
                reading.as_secs_f64(),
                making.as_secs_f64(),
                writing.as_secs_f64()
            ));
        }
    }
    let upper = rollup_rows(&ids, std::mem::take(&mut g.upper));
    g.totals.rollups += upper.rows.len() as u64;
    let change = Change::new(
        "demo_voice",
        "place",
        "roll-ups above the towns",
        None,
        Some(serde_json::json!({"rollups": upper.rows.len()})),
    );
    write(store, &mut out, &[upper], change, now).await?;
    if let Out::Pg(conn) = &mut out {
        // The ids were given here: the identity sequences continue after them.
        for table in ["problems", "households"] {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut **conn)
                .await?;
        }
    }
    Ok(g.totals)
}

#[cfg(test)]
mod tests {
    use super::date;

    #[test]
    fn day_numbers_become_dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(20_454), "2026-01-01");
        assert_eq!(date(20_513), "2026-03-01");
        assert_eq!(date(19_782), "2024-02-29");
    }
}
