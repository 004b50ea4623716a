//! The demo's residents' voice (问题清单): a year's campaign in every village, each problem through
//! the store's own transitions on its own day — filed by residents or at the desk (or raised at a
//! representative studio, filed by `generate_studios` before this runs), analysed, assigned with a
//! deadline of a week, resolved in time or late (escalated by the sweep of that day), confirmed by
//! most residents, objected to by a few (and resolved again), left to the window by the rest,
//! rated by most. The last fortnight's problems are still in hand, and a few older ones are stuck
//! past their deadline. Seed (Doumen): 6606 collected, 6252 solved = 94.64% — the campaign is
//! planned so that the district's figures come out at exactly those counts (`CAMPAIGN_COLLECTED`,
//! `CAMPAIGN_SOLVED`); the summary reads them back from the roll-ups, not from this plan.

use jiceng_domain::meeting::day_number;
use jiceng_domain::voice::Event;
use jiceng_store::coverage::day_of;
use jiceng_store::voice::NewProblem;
use jiceng_store::voice::figures::Span;
use jiceng_store::{Actor, Scope, Store, StoreError};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

const SEED: u64 = 0x6a69_6365_6e67_0019;
/// Days of history: the campaign is the year ending today.
const DAYS: i64 = 365;
const DAY_MS: i64 = 86_400_000;
/// Problems filed in the last days are still being worked on.
const IN_HAND: i64 = 16;
/// The longest a solved problem takes from filing to 销号 on the slow paths (late resolution,
/// objection and second resolution, window), and on the fast path (resolved in days, window).
const SLOW_SPAN: i64 = 29;
/// The seed's figures (Doumen's problem-list campaign).
pub const CAMPAIGN_COLLECTED: u64 = 6606;
pub const CAMPAIGN_SOLVED: u64 = 6252;

/// (service code in `voice_services`, what the resident wrote).
const REPORTS: &[(&str, &str)] = &[
    ("road", "村口路灯坏了，晚上出行不安全"),
    ("road", "村道有坑洼，下雨积水"),
    ("sanitation", "垃圾桶满了好几天没人清运"),
    ("sanitation", "河涌边有人乱倒建筑垃圾"),
    ("water", "自来水水压低，高层用水困难"),
    ("safety", "楼道堆放杂物，消防通道被堵"),
    ("dispute", "邻居装修噪音影响休息"),
    ("livelihood", "老房子屋顶漏水，需要帮助维修"),
    ("livelihood", "想了解高龄津贴怎么申请"),
    ("policy", "需要开具居住证明，不知道去哪里办"),
];
const OWNERS: [&str; 4] = ["村委会", "村保洁队", "网格员", "镇城建办"];

/// What happened to the demo's problems, and the district's figures read back from the roll-ups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VoiceSummary {
    /// Problems this generator filed (the studios' are filed before it).
    pub problems: u64,
    pub escalated: u64,
    /// The district's 收集 and 解决（销号） over the campaign, from the roll-ups.
    pub collected: i64,
    pub solved: i64,
}

impl VoiceSummary {
    /// The solve rate in hundredths of a per cent (9464 = 94.64%).
    pub fn solve_rate_bp(&self) -> i64 {
        (self.solved * 10_000)
            .checked_div(self.collected)
            .unwrap_or(0)
    }
}

enum Who {
    Staff(Event),
    Resident(Event),
}

/// What becomes of a problem by today.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// 销号 before today.
    Solved,
    /// Filed in the last fortnight: in hand.
    InHand,
    /// Assigned and never resolved: past its deadline, escalated.
    Stuck,
}

/// One problem of the campaign: filed on day `filed` (from the campaign's start), by a resident
/// (`Some` report, with a tracking code once filed) or already filed at a studio (`None`).
struct Case {
    filed: i64,
    report: Option<NewProblem>,
    category: &'static str,
    fate: Fate,
}

/// Plans the steps of one problem into `plan` (day → (case, step)).
fn plan_case(
    rng: &mut ChaCha8Rng,
    plan: &mut BTreeMap<i64, Vec<(usize, Who)>>,
    i: usize,
    c: &Case,
    start: i64,
) {
    let mut at = |d: i64, w: Who| plan.entry(d).or_default().push((i, w));
    let f = c.filed;
    at(
        f + 1,
        Who::Staff(Event::Analysed {
            category: c.category.into(),
        }),
    );
    let owner = OWNERS[rng.gen_range(0..OWNERS.len())];
    let assigned = f + 2;
    let deadline = day_of(start + (assigned + 7) * DAY_MS);
    at(
        assigned,
        Who::Staff(Event::Assigned {
            owner: owner.into(),
            deadline,
        }),
    );
    let resolve = |on: i64, what: &str| (on, Who::Staff(Event::Resolved { what: what.into() }));
    match c.fate {
        Fate::Stuck => {}
        Fate::InHand => {
            // Resolved only where the window cannot pass by today (else it would be solved).
            let r = assigned + rng.gen_range(1..5);
            if r + 8 > DAYS {
                let (d, w) = resolve(r, "已现场处理，待群众确认");
                at(d, w);
            }
        }
        Fate::Solved => {
            let resident = c.report.is_some();
            let slow = f + SLOW_SPAN < DAYS;
            // One in eight is late, and the sweep escalates it.
            let late = slow && rng.gen_bool(0.125);
            let r = assigned
                + if late {
                    rng.gen_range(9..14)
                } else {
                    rng.gen_range(1..4)
                };
            let (d, w) = resolve(r, "已现场处理并回访");
            at(d, w);
            let answer = if resident { rng.gen_range(0..10) } else { 9 };
            let closed_by = if answer < 6 {
                let d = r + rng.gen_range(1..4);
                at(d, Who::Resident(Event::Confirmed));
                d
            } else if answer < 7 && slow {
                at(
                    r + 2,
                    Who::Resident(Event::Objected {
                        reason: "问题又出现了".into(),
                    }),
                );
                let (d, w) = resolve(r + 5, "再次处理并加强巡查");
                at(d, w);
                r + 13
            } else {
                r + 8
            };
            if resident && rng.gen_bool(0.75) {
                let score = [5, 5, 5, 4, 4, 3][rng.gen_range(0..6)];
                at(closed_by + 1, Who::Resident(Event::Rated { score }));
            }
        }
    }
}

/// Studio-raised problems already on the list (not yet analysed), as (id, day from `start`).
async fn already_filed(store: &Store, start_day: &str) -> Result<Vec<(i64, i64)>, StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, filed_on FROM problems WHERE status = 'collected' AND merged_into IS NULL ORDER BY id",
    )
    .fetch_all(&store.reader)
    .await?;
    let first = day_number(start_day)?;
    rows.into_iter()
        .map(|(id, on)| Ok((id, (day_number(&on)? - first).max(0))))
        .collect()
}

/// The campaign's cases: the studios' problems and enough residents' reports to make
/// `CAMPAIGN_COLLECTED`, with exactly `CAMPAIGN_COLLECTED - CAMPAIGN_SOLVED` not solved by today.
fn cases(
    rng: &mut ChaCha8Rng,
    villages: &[i64],
    studio: &[(i64, i64)],
) -> Result<Vec<Case>, StoreError> {
    let open_quota = (CAMPAIGN_COLLECTED - CAMPAIGN_SOLVED) as usize;
    let total = CAMPAIGN_COLLECTED as usize;
    let fresh = total
        .checked_sub(studio.len())
        .filter(|_| !villages.is_empty())
        .ok_or_else(|| {
            StoreError::Internal("demo: too many problems before the campaign".into())
        })?;
    let window = DAYS - IN_HAND;
    let mut out: Vec<Case> = studio
        .iter()
        .map(|&(_, filed)| Case {
            filed,
            report: None,
            category: "other",
            fate: if filed > window {
                Fate::InHand
            } else {
                Fate::Solved
            },
        })
        .collect();
    let studio_in_hand = out.iter().filter(|c| c.fate == Fate::InHand).count();
    // Residents file evenly over the year; the last fortnight's share is in hand.
    let in_hand = (fresh * IN_HAND as usize / DAYS as usize).min(open_quota - studio_in_hand);
    let stuck = open_quota - studio_in_hand - in_hand;
    // Villages differ in how much they report.
    let weights: Vec<u32> = villages.iter().map(|_| rng.gen_range(5..15)).collect();
    let sum: u32 = weights.iter().sum();
    let mut fates: Vec<Fate> = (0..fresh - in_hand)
        .map(|k| if k < stuck { Fate::Stuck } else { Fate::Solved })
        .collect();
    fates.shuffle(rng);
    fates.extend(std::iter::repeat_n(Fate::InHand, in_hand));
    for fate in fates {
        let mut pick = rng.gen_range(0..sum);
        let mut v = 0;
        while pick >= weights[v] {
            pick -= weights[v];
            v += 1;
        }
        let (category, body) = REPORTS[rng.gen_range(0..REPORTS.len())];
        let filed = match fate {
            Fate::InHand => rng.gen_range(window + 1..=DAYS),
            // A stuck problem is old enough to be past its deadline.
            Fate::Stuck => rng.gen_range(0..window - 10),
            Fate::Solved => rng.gen_range(0..=window),
        };
        out.push(Case {
            filed,
            report: Some(NewProblem {
                place_id: villages[v],
                source: if rng.gen_bool(0.7) {
                    "resident"
                } else {
                    "desk"
                }
                .into(),
                category: Some(category.into()),
                body: body.into(),
                location: None,
                contact: None,
            }),
            category,
            fate,
        });
    }
    Ok(out)
}

/// Files and works through every village's problems, day by day up to `now`.
pub async fn generate_voice(store: &Store, now: i64) -> Result<VoiceSummary, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let staff = Actor::cli("demo");
    let resident = Actor {
        username: "resident".into(),
        ..Actor::cli("demo")
    };
    let villages: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM places WHERE kind IN ('village', 'community') AND closed_at IS NULL ORDER BY code",
    )
    .fetch_all(&store.reader)
    .await?;
    let today = day_of(now);
    let start = now - DAYS * DAY_MS;
    let studio = already_filed(store, &day_of(start)).await?;
    let cases = cases(&mut rng, &villages, &studio)?;
    // Day → (case, what happens), applied in order with the sweep of each day.
    let mut plan: BTreeMap<i64, Vec<(usize, Who)>> = BTreeMap::new();
    let mut filed_on: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    let mut ids = vec![0i64; cases.len()];
    let mut codes = vec![String::new(); cases.len()];
    for (i, c) in cases.iter().enumerate() {
        plan_case(&mut rng, &mut plan, i, c, start);
        match studio.get(i) {
            Some(&(id, _)) => ids[i] = id,
            None => filed_on.entry(c.filed).or_default().push(i),
        }
    }
    let mut sum = VoiceSummary::default();
    for d in 0..=DAYS {
        let ms = start + d * DAY_MS;
        let day = day_of(ms);
        if day > today {
            break;
        }
        for &i in filed_on.get(&d).into_iter().flatten() {
            if let Some(n) = &cases[i].report {
                let (p, code) = store.file_problem(&resident, n, &day, ms).await?;
                ids[i] = p.id;
                codes[i] = code;
                sum.problems += 1;
            }
        }
        for (i, w) in plan.remove(&d).into_iter().flatten() {
            let r = match &w {
                Who::Staff(e) => store
                    .problem_act(&staff, &Scope::All, ids[i], e, &day, ms)
                    .await
                    .map(|_| ()),
                Who::Resident(e) => store
                    .resident_act(&resident, &codes[i], e, &day, ms)
                    .await
                    .map(|_| ()),
            };
            match r {
                // A step its state no longer allows (closed by the window first): skipped.
                Ok(()) | Err(StoreError::Rule(_)) => {}
                Err(e) => return Err(e),
            }
        }
        sum.escalated += store.voice_sweep(&day, ms).await?.1;
    }
    // The district's figures since records began (the campaign), as the figures page's 累计
    // reads them.
    let district: i64 =
        sqlx::query_scalar("SELECT id FROM places WHERE parent_id IS NULL ORDER BY id LIMIT 1")
            .fetch_one(&store.reader)
            .await?;
    let (node, _) = store
        .voice_figures(&Scope::All, district, Span::All)
        .await?;
    sum.collected = node.collected;
    sum.solved = node.solved;
    Ok(sum)
}
