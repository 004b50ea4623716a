//! The demo's 党员联系户: every village's grids get households (about a third as many as its adult
//! villagers, from the counts the village governance recorded), each village's Party members look
//! after them, and a year of visits ending today is written through the store's bulk functions
//! (`import_households`, `import_assignments`, `import_visits`: the forms' rules, the same
//! roll-ups, one transaction per town).
//!
//! Seed (Xiqiao): 4000+ members, 34.6万 contacts a year, 入户率 345%. The demo has no Xiqiao; the
//! town with the most members plays it (`XIQIAO_RATE`), the others visit less.

use crate::members::{GIVEN, SURNAMES, pick};
use jiceng_domain::meeting::add_days;
use jiceng_store::coverage::day_of;
use jiceng_store::households::{BulkVisit, NewHousehold};
use jiceng_store::{Actor, Scope, Store, StoreError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

const SEED: u64 = 0x6a69_6365_6e67_0021;
/// Visits a household a year in the town that plays Xiqiao (入户率 345%).
pub const XIQIAO_RATE: f64 = 3.45;
/// What the other towns reach, per town in code order (lower than Xiqiao).
const OTHER_RATES: [f64; 5] = [1.2, 0.8, 1.6, 0.6, 1.0];

const STREETS: [&str; 6] = ["东街", "西街", "南巷", "北巷", "新村路", "围仔"];
const RAISED: [&str; 8] = [
    "巷口路灯不亮，晚上出行不便",
    "排水沟堵塞，雨天积水",
    "希望增设老年人活动场地",
    "医保缴费流程咨询",
    "邻里宅基地边界纠纷",
    "门前道路破损需修补",
    "垃圾收集点清运不及时",
    "孩子入学政策咨询",
];

/// What the generator wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdSummary {
    pub households: u64,
    pub assignments: u64,
    pub visits: u64,
    /// The town that plays Xiqiao: its name, its members, its 入户率 in per cent.
    pub xiqiao_town: String,
    pub xiqiao_members: i64,
    pub xiqiao_rate_percent: i64,
}

struct Village {
    id: i64,
    name: String,
    households: i64,
    grids: Vec<i64>,
    /// Party members (probationary or full) of the village's organisations.
    members: Vec<i64>,
}

async fn villages(store: &Store, town: &str) -> Result<Vec<Village>, StoreError> {
    let rows: Vec<(i64, String, Option<i64>)> = sqlx::query_as(
        "SELECT p.id, p.name, (SELECT c.households FROM village_counts c WHERE c.place_id = p.id \
         ORDER BY c.as_of DESC LIMIT 1) FROM places p WHERE p.kind IN ('village', 'community') \
         AND p.closed_at IS NULL AND substr(p.code, 1, 9) = $1 ORDER BY p.code",
    )
    .bind(town)
    .fetch_all(&store.reader)
    .await?;
    let mut out = Vec::new();
    for (id, name, households) in rows {
        let grids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM places WHERE parent_id = $1 AND kind = 'grid' AND closed_at IS NULL ORDER BY code",
        )
        .bind(id)
        .fetch_all(&store.reader)
        .await?;
        let members: Vec<i64> = sqlx::query_scalar(
            "SELECT m.id FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.place_id = $1 \
             AND m.status IN ('probationary', 'full') ORDER BY m.id",
        )
        .bind(id)
        .fetch_all(&store.reader)
        .await?;
        out.push(Village {
            id,
            name,
            households: households.unwrap_or(0),
            grids,
            members,
        });
    }
    Ok(out)
}

/// How a visit was made (six in ten at home, three by phone, one online) and by whom: nine visits
/// in ten by the member who looks after the household, the rest by another of the village's.
pub(crate) fn visit(rng: &mut ChaCha8Rng, members: &[i64], keeper: i64) -> (&'static str, i64) {
    let mode = match rng.gen_range(0..10) {
        0..=5 => "home",
        6..=8 => "phone",
        _ => "online",
    };
    let by = if rng.gen_range(0..10) == 0 {
        members[rng.gen_range(0..members.len())]
    } else {
        keeper
    };
    (mode, by)
}

fn phone(rng: &mut ChaCha8Rng) -> String {
    format!(
        "13{}{:08}",
        rng.gen_range(0..10),
        rng.gen_range(0..100_000_000)
    )
}

/// Writes one town's households, assignments and a year of visits at `rate` visits a household.
async fn town(
    store: &Store,
    rng: &mut ChaCha8Rng,
    (code, town_name): (&str, &str),
    rate: f64,
    (today, now): (&str, i64),
) -> Result<Written, StoreError> {
    let mut w = Written::default();
    let a = Actor::cli("demo");
    let s = Scope::All;
    let year_ago = add_days(today, -364)?;
    for v in villages(store, code).await? {
        // Adults from the counts; a village without counts gets a plausible size.
        let n = if v.households > 0 {
            v.households
        } else {
            rng.gen_range(300..1000)
        };
        let places: Vec<i64> = if v.grids.is_empty() {
            vec![v.id]
        } else {
            v.grids.clone()
        };
        let rows: Vec<NewHousehold> = (0..n)
            .map(|i| {
                let head = format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN));
                let since = if rng.gen_range(0..20) == 0 {
                    add_days(today, -rng.gen_range(30..300)).unwrap_or_else(|_| "2020-01-01".into())
                } else {
                    "2018-01-01".into()
                };
                NewHousehold {
                    place_id: places[i as usize % places.len()],
                    head_name: head,
                    people: rng.gen_range(1..7),
                    address: Some(format!(
                        "广东省珠海市斗门区{town_name}{}{}{}号",
                        v.name,
                        STREETS[rng.gen_range(0..STREETS.len())],
                        rng.gen_range(1..200)
                    )),
                    phone: (rng.gen_range(0..10) < 8).then(|| phone(rng)),
                    since_on: since,
                }
            })
            .collect();
        let ids = store.import_households(&a, &s, &rows, today, now).await?;
        w.households += ids.len() as u64;
        if v.members.is_empty() {
            continue;
        }
        // Every household has a member; a member looks after several.
        let assigned: Vec<(i64, i64, String)> = ids
            .iter()
            .zip(&rows)
            .enumerate()
            .map(|(i, (h, r))| {
                let from = if r.since_on.as_str() > "2024-01-01" {
                    r.since_on.clone()
                } else {
                    "2024-01-01".to_string()
                };
                (*h, v.members[i % v.members.len()], from)
            })
            .collect();
        w.assignments += store.import_assignments(&a, &s, &assigned, now).await? as u64;
        let mut visits = Vec::new();
        for ((h, who, _), r) in assigned.iter().zip(&rows) {
            let since = r.since_on.as_str().max(year_ago.as_str()).to_string();
            let base = rate.floor() as i64;
            let extra = i64::from(rng.gen_bool(rate - rate.floor()));
            for _ in 0..base + extra {
                let span = 364 - days_between(&year_ago, &since);
                let on = add_days(today, -rng.gen_range(0..=span.max(0)))?;
                let (mode, by) = visit(rng, &v.members, *who);
                visits.push(BulkVisit {
                    household_id: *h,
                    member_id: by,
                    visited_on: on,
                    mode: mode.into(),
                    raised: (rng.gen_range(0..20) == 0)
                        .then(|| RAISED[rng.gen_range(0..RAISED.len())].to_string()),
                });
            }
        }
        w.visits += store.import_visits(&a, &s, &visits, today, now).await? as u64;
    }
    Ok(w)
}

#[derive(Default)]
struct Written {
    households: u64,
    assignments: u64,
    visits: u64,
}

fn days_between(a: &str, b: &str) -> i64 {
    match (
        jiceng_domain::meeting::day_number(a),
        jiceng_domain::meeting::day_number(b),
    ) {
        (Ok(x), Ok(y)) => y - x,
        _ => 0,
    }
}

/// Households, assignments and a year of visits for every town of the district.
pub async fn generate_households(
    store: &Store,
    now_ms: i64,
) -> Result<HouseholdSummary, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let today = day_of(now_ms);
    let towns: Vec<(String, String)> = sqlx::query_as(
        "SELECT substr(code, 1, 9), name FROM places WHERE kind = 'town' AND closed_at IS NULL ORDER BY code",
    )
    .fetch_all(&store.reader)
    .await?;
    // Members per town: the biggest plays Xiqiao.
    let counts: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT substr(p.code, 1, 9), COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id \
         JOIN places p ON p.id = o.place_id WHERE m.status IN ('probationary', 'full') \
         GROUP BY substr(p.code, 1, 9)",
    )
    .fetch_all(&store.reader)
    .await?
    .into_iter()
    .collect();
    let xiqiao = towns
        .iter()
        .max_by_key(|(c, _)| {
            (
                counts.get(c).copied().unwrap_or(0),
                std::cmp::Reverse(c.clone()),
            )
        })
        .cloned()
        .unwrap_or_default();
    let mut sum = HouseholdSummary {
        xiqiao_town: xiqiao.1.clone(),
        xiqiao_members: counts.get(&xiqiao.0).copied().unwrap_or(0),
        ..Default::default()
    };
    let mut others = OTHER_RATES.iter().cycle();
    for (code, name) in &towns {
        let rate = if *code == xiqiao.0 {
            XIQIAO_RATE
        } else {
            others.next().copied().unwrap_or(1.0)
        };
        let w = town(store, &mut rng, (code, name), rate, (&today, now_ms)).await?;
        sum.households += w.households;
        sum.assignments += w.assignments;
        sum.visits += w.visits;
        if *code == xiqiao.0 && w.households > 0 {
            // The last 365 days' visits ÷ households: what the roll-ups give over those months.
            sum.xiqiao_rate_percent = (w.visits * 100 / w.households) as i64;
        }
    }
    Ok(sum)
}
