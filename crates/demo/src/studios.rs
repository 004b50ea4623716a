//! Party-representative studios for the demo (党代表工作室, issue 5): 126 studios, one at each
//! town and the rest at villages in code order, each with up to three full members of its area as
//! representatives seated a year ago, and a year of receptions on its duty days (the second
//! Tuesday of each month; most duty days receive residents, a few do not). One reception in ten
//! puts what was raised on the problem list. Deterministic for a given `now`.

use jiceng_domain::meeting::{add_days, day_number};
use jiceng_domain::studio::{DEFAULT_ENDS, DEFAULT_RULE, DEFAULT_STARTS, Duty};
use jiceng_store::coverage::day_of;
use jiceng_store::studios::{NewReception, NewStudio};
use jiceng_store::{Actor, Scope, Store, StoreError};
use std::collections::HashMap;

const DAY_MS: i64 = 86_400_000;

/// How many studios the demo district has (DOMAIN.md: 126).
pub const STUDIOS: usize = 126;

const RAISED: &[&str] = &[
    "村道路灯损坏，晚间出行不便，希望尽快维修",
    "农田灌溉渠淤塞，请求组织清淤",
    "老人就医报销手续繁琐，希望简化",
    "小区垃圾清运不及时，夏季异味明显",
    "希望增设公交站点，方便群众出行",
    "村内河涌水质变差，请求治理",
    "学校周边交通秩序混乱，存在安全隐患",
    "建议村里开设老年活动室",
];

/// What the generator wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StudioSummary {
    pub studios: u64,
    pub representatives: u64,
    pub receptions: u64,
    pub residents: u64,
    pub problems: u64,
}

pub async fn generate_studios(store: &Store, now: i64) -> Result<StudioSummary, StoreError> {
    let a = Actor::cli("demo");
    let s = Scope::All;
    let today = day_of(now);
    let since = add_days(&today, -365)?;
    // Towns first, then villages, in code order.
    let places: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, code, name, kind FROM places WHERE kind IN ('town', 'township', 'subdistrict', 'village', 'community') \
         AND closed_at IS NULL ORDER BY CASE WHEN kind IN ('town', 'township', 'subdistrict') THEN 0 ELSE 1 END, code",
    )
    .fetch_all(&store.reader)
    .await?;
    // Full members by the code of their organisation's place.
    let members: Vec<(i64, String)> = sqlx::query_as(
        "SELECT m.id, p.code FROM members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id \
         WHERE m.status = 'full' ORDER BY m.id",
    )
    .fetch_all(&store.reader)
    .await?;
    let mut by_code: HashMap<String, Vec<i64>> = HashMap::new();
    for (id, code) in members {
        by_code.entry(code).or_default().push(id);
    }
    let duty = Duty::parse(DEFAULT_RULE, &since, DEFAULT_STARTS, DEFAULT_ENDS)?;
    let days = duty.days_between(&since, &today, 60)?;
    let mut sum = StudioSummary::default();
    let mut used: HashMap<i64, ()> = HashMap::new();
    for (i, (place_id, code, name, kind)) in places.into_iter().take(STUDIOS).enumerate() {
        let town = matches!(kind.as_str(), "town" | "township" | "subdistrict");
        let st = store
            .create_studio(
                &a,
                &s,
                &NewStudio {
                    place_id,
                    name: format!("{name}党代表工作室"),
                    address: Some(format!(
                        "{name}{}",
                        if town {
                            "党群服务中心二楼"
                        } else {
                            "党群服务站"
                        }
                    )),
                    rule: DEFAULT_RULE.into(),
                    since: since.clone(),
                    starts: DEFAULT_STARTS.into(),
                    ends: DEFAULT_ENDS.into(),
                },
                now,
            )
            .await?;
        sum.studios += 1;
        // Up to three members of the area not yet seated elsewhere (a town's come from its
        // villages; the town's code is a prefix of theirs).
        let stem = code.get(..if town { 9 } else { 12 }).unwrap_or(&code);
        let mut reps = Vec::new();
        let mut codes: Vec<&String> = by_code.keys().filter(|c| c.starts_with(stem)).collect();
        codes.sort();
        'pick: for c in codes {
            for m in by_code.get(c).into_iter().flatten() {
                if reps.len() == 3 {
                    break 'pick;
                }
                if used.insert(*m, ()).is_none() {
                    reps.push(*m);
                }
            }
        }
        for m in &reps {
            store.add_rep(&a, &s, st.id, *m, &since, now).await?;
            sum.representatives += 1;
        }
        if reps.is_empty() {
            continue;
        }
        for (k, day) in days.iter().enumerate() {
            // About one duty day in six passes without visitors.
            if (i + k) % 6 == 5 {
                continue;
            }
            let residents = 1 + ((i * 7 + k * 3) % 12) as i64;
            let to_problem = (i + k) % 10 == 0 && !town;
            let (_, code) = store
                .record_reception(
                    &a,
                    &s,
                    &NewReception {
                        studio_id: st.id,
                        member_id: reps[k % reps.len()],
                        held_on: day.clone(),
                        residents,
                        raised: RAISED[(i + k) % RAISED.len()].into(),
                        to_problem,
                        problem_place_id: None,
                    },
                    // Filed on the duty day itself, so the problem list's history matches.
                    day,
                    now - (day_number(&today)? - day_number(day)?) * DAY_MS,
                )
                .await?;
            sum.receptions += 1;
            sum.residents += residents as u64;
            sum.problems += u64::from(code.is_some());
        }
    }
    Ok(sum)
}
