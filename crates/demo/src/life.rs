//! The demo's organisational life: two years of 三会一课 for every branch of the district, ending
//! last month, written through `Store::import_meeting_history` (one transaction per town, each
//! meeting checked and its quorum computed by the store's rules).
//!
//! What it holds: 主题党日 on the 5th and a 党小组会 every month, a 支委会 every month where the
//! branch has a committee (7 full members or more), 支部党员大会 and 党课 every quarter, 组织生活会
//! and 民主评议 once a year. Attendance comes from each branch's register on the day: most
//! present, a few on leave with a reason, some absent, and a few members away for good (the lapse
//! watch finds them). Gaps: most branches keep every meeting, some skip one now and then, a few
//! often; two weak villages (软弱涣散, the seeds' rectification cases) skip most months; a few
//! assemblies fall short of quorum and count for nothing.
//!
//! Red observers (seed: 沙堆镇 sent one to each of its 12 villages, 110+ observations in a year):
//! here 乾务镇 plays 沙堆镇 — the town the demo's town account sees — with one observer per
//! village visiting a meeting about every month.

use crate::members::{GIVEN, SURNAMES, pick};
use jiceng_domain::life::COMMITTEE_MIN_FULL_MEMBERS;
use jiceng_store::coverage::day_of;
use jiceng_store::meeting_import::{HistoricMeeting, ImportedMeetings, Registered};
use jiceng_store::{Actor, Scope, Store, StoreError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};

const SEED: u64 = 0x6a69_6365_6e67_0016;
/// Months of history, ending with last month.
const MONTHS: i32 = 24;
/// 乾务镇 plays 沙堆镇 (see the module's comment).
pub const OBSERVED_TOWN: &str = "440403105";

/// What the generator wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LifeSummary {
    pub branches: u64,
    pub meetings: u64,
    pub without_quorum: u64,
    pub attendance: u64,
    pub observations: u64,
}

const LEAVE: [&str; 5] = [
    "外出务工",
    "因病请假",
    "年老体弱，行动不便",
    "参加上级培训",
    "家中有事",
];
const THEMES: [&str; 8] = [
    "学习贯彻党的二十大精神",
    "重温入党誓词",
    "学习《中国共产党章程》",
    "志愿服务进村居",
    "学习党史 践行初心",
    "乡村振兴专题学习",
    "清洁家园行动",
    "走访慰问困难党员",
];
const LECTURES: [&str; 4] = [
    "书记讲党课：基层党组织建设",
    "党课：全面从严治党",
    "党课：党员的权利和义务",
    "党课：发展壮大村集体经济",
];
const FINDINGS: [&str; 6] = [
    "会议按时召开，程序规范，学习内容充实。",
    "到会率较高，党员发言积极，会议记录完整。",
    "会前通知及时，但个别党员迟到。",
    "学习形式较单一，以读文件为主。",
    "会议主题明确，联系本村实际开展讨论。",
    "签到表与会议记录一致，请假手续齐全。",
];
const SUGGESTIONS: [&str; 3] = [
    "建议增加党员互动交流环节。",
    "建议提前三天发出会议通知。",
    "建议对长期外出党员采取线上参会方式。",
];

/// One branch as the generator plans its meetings.
struct Branch {
    id: i64,
    code: String,
    place_kind: String,
    founded_on: Option<String>,
    /// Chance that a month's (or a period's) meeting of a kind is skipped.
    skip: f64,
    /// Chance that a member on the roll is present.
    present: f64,
    committee: Vec<i64>,
    /// Members away for good: never present.
    away: BTreeSet<i64>,
}

/// YYYY-MM-DD of day `d` of month `i` (year × 12 + month − 1).
fn day(i: i32, d: u32) -> String {
    format!("{:04}-{:02}-{d:02}", i.div_euclid(12), i.rem_euclid(12) + 1)
}

fn month_index(date: &str) -> i32 {
    let y: i32 = date.get(..4).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let m: i32 = date.get(5..7).and_then(|s| s.parse().ok()).unwrap_or(1);
    y * 12 + m - 1
}

fn observer_name(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{}{}{}",
        pick(rng, SURNAMES),
        pick(rng, GIVEN),
        pick(rng, GIVEN)
    )
}

/// Attendance for a meeting on `on` of the roll: present with `p`, else on leave (with a reason)
/// or absent; those away are on leave or absent.
fn attendance(
    rng: &mut ChaCha8Rng,
    roll: &[i64],
    away: &BTreeSet<i64>,
    p: f64,
) -> Vec<(i64, String, Option<String>)> {
    let mut out = Vec::with_capacity(roll.len());
    for id in roll {
        let u: f64 = rng.r#gen();
        let (status, reason) = if away.contains(id) {
            if u < 0.6 {
                ("leave", Some("外出务工".to_string()))
            } else {
                ("absent", None)
            }
        } else if u < p {
            ("present", None)
        } else if u < p + (1.0 - p) / 2.0 {
            (
                "leave",
                Some(LEAVE[rng.gen_range(0..LEAVE.len())].to_string()),
            )
        } else {
            ("absent", None)
        };
        out.push((*id, status.to_string(), reason));
    }
    out
}

/// Plans one branch's months; returns its meetings.
fn plan(
    rng: &mut ChaCha8Rng,
    b: &Branch,
    register: &[Registered],
    (first, last): (i32, i32),
) -> Vec<HistoricMeeting> {
    let mut out = Vec::new();
    let from = b.founded_on.clone().unwrap_or_default();
    for month in first..=last {
        let year_first = (month.div_euclid(12) * 12).max(first);
        let mut items: Vec<(&str, u32, String)> = vec![
            (
                "theme_day",
                5,
                format!("主题党日：{}", THEMES[rng.gen_range(0..THEMES.len())]),
            ),
            ("group_meeting", rng.gen_range(10..=18), "党小组会".into()),
        ];
        if !b.committee.is_empty() {
            items.push((
                "branch_committee",
                rng.gen_range(1..=3),
                "支部委员会会议".into(),
            ));
        }
        match month.rem_euclid(3) {
            0 => items.push((
                "party_lecture",
                rng.gen_range(22..=27),
                LECTURES[rng.gen_range(0..LECTURES.len())].into(),
            )),
            1 => items.push((
                "branch_assembly",
                rng.gen_range(20..=26),
                "支部党员大会".into(),
            )),
            _ => {}
        }
        if month == year_first {
            items.push(("life_meeting", rng.gen_range(15..=19), "组织生活会".into()));
            items.push(("appraisal", rng.gen_range(20..=25), "民主评议党员".into()));
        }
        for (kind, d, what) in items {
            let held_on = day(month, d);
            if rng.gen_bool(b.skip) || held_on < from {
                continue;
            }
            let roll: Vec<i64> = if kind == "branch_committee" {
                b.committee.clone()
            } else {
                register
                    .iter()
                    .filter(|r| r.on(&held_on).is_some())
                    .map(|r| r.id)
                    .collect()
            };
            if roll.is_empty() {
                continue;
            }
            // A few assemblies without quorum: most stayed away (busy season, bad weather).
            let thin =
                kind == "branch_assembly" && rng.gen_bool(if b.skip > 0.3 { 0.3 } else { 0.03 });
            let p = if kind == "branch_committee" {
                0.97
            } else if thin {
                0.3
            } else {
                b.present
            };
            out.push(HistoricMeeting {
                org_id: b.id,
                kind: kind.into(),
                title: format!(
                    "{}年{}月{what}",
                    month.div_euclid(12),
                    month.rem_euclid(12) + 1
                ),
                held_on,
                agenda: None,
                attendance: attendance(rng, &roll, &b.away, p),
                observations: Vec::new(),
            });
        }
    }
    out
}

/// Writes the district's two years of organisational life (deterministic for a given `now`);
/// `progress` hears of each town.
pub async fn generate_life(
    store: &Store,
    now: i64,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<LifeSummary, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let a = Actor::cli("demo");
    let today = day_of(now);
    let current = month_index(&today);
    let span = (current - MONTHS, current - 1);
    type Row = (i64, String, String, Option<String>, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT o.id, p.code, p.kind, o.founded_on, o.full_members FROM orgs o JOIN places p ON p.id = o.place_id \
         WHERE o.kind IN ('branch', 'joint_branch', 'regional_branch') AND o.closed_at IS NULL ORDER BY p.code, o.id",
    )
    .fetch_all(&store.reader)
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let registers = store.registers(&Scope::All, &ids).await?;
    // Two weak villages: every branch there skips most months.
    let villages: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.2 == "village")
        .map(|r| r.1.as_str())
        .collect();
    let villages: Vec<&str> = villages.into_iter().collect();
    let weak: BTreeSet<&str> = (0..2)
        .filter_map(|_| {
            villages
                .get(rng.gen_range(0..villages.len().max(1)))
                .copied()
        })
        .collect();
    let first_day = day(span.0, 1);
    let mut towns: BTreeMap<String, Vec<HistoricMeeting>> = BTreeMap::new();
    // The observed town's villages: where their branches' meetings sit in the town's list.
    let mut observed: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut sum = LifeSummary::default();
    for (id, code, place_kind, founded_on, full) in &rows {
        let register = registers.get(id).map_or(&[][..], Vec::as_slice);
        let roll: f64 = rng.r#gen();
        let (skip, present) = if weak.contains(code.as_str()) {
            (0.55, 0.65)
        } else if roll < 0.7 {
            (0.0, 0.9)
        } else if roll < 0.93 {
            (0.06, 0.85)
        } else {
            (0.2, 0.78)
        };
        // The committee: three to five who have been full members since before the history.
        let committee: Vec<i64> = if *full >= i64::from(COMMITTEE_MIN_FULL_MEMBERS) {
            let n = if *full >= 30 { 5 } else { 3 };
            register
                .iter()
                .filter(|r| r.on(&first_day) == Some(true))
                .take(n)
                .map(|r| r.id)
                .collect()
        } else {
            Vec::new()
        };
        let away = register
            .iter()
            .filter(|_| rng.gen_bool(0.012))
            .map(|r| r.id)
            .filter(|m| !committee.contains(m))
            .collect();
        let b = Branch {
            id: *id,
            code: code.clone(),
            place_kind: place_kind.clone(),
            founded_on: founded_on.clone(),
            skip,
            present,
            committee,
            away,
        };
        let planned = plan(&mut rng, &b, register, span);
        sum.branches += 1;
        let town = towns
            .entry(b.code.get(..9).unwrap_or("").to_string())
            .or_default();
        if b.code.starts_with(OBSERVED_TOWN) && b.place_kind == "village" {
            let at = observed.entry(b.code.clone()).or_default();
            at.extend(town.len()..town.len() + planned.len());
        }
        town.extend(planned);
    }
    if let Some(town) = towns.get_mut(OBSERVED_TOWN) {
        for held in observed.values() {
            observe(&mut rng, town, held);
        }
    }
    for (town, meetings) in towns {
        let done: ImportedMeetings = store
            .import_meeting_history(
                &a,
                &Scope::All,
                &meetings,
                &format!("demo-life-{town}"),
                now,
            )
            .await?;
        sum.meetings += done.meetings;
        sum.without_quorum += done.without_quorum;
        sum.attendance += done.attendance;
        sum.observations += done.observations;
        progress(&format!(
            "三会一课：{town}，{} 次会议，{} 次红色观察",
            done.meetings, done.observations
        ));
    }
    Ok(sum)
}

/// One village's observer: about every month, a visit to one of the meetings its branches held
/// that month (`held`: their places in `meetings`).
fn observe(rng: &mut ChaCha8Rng, meetings: &mut [HistoricMeeting], held: &[usize]) {
    let who = observer_name(rng);
    let mut by_month: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &i in held {
        if let Some(m) = meetings.get(i) {
            by_month
                .entry(m.held_on.get(..7).unwrap_or("").to_string())
                .or_default()
                .push(i);
        }
    }
    for (_, held) in by_month {
        if held.is_empty() || rng.gen_bool(0.08) {
            continue;
        }
        let i = held[rng.gen_range(0..held.len())];
        let findings = FINDINGS[rng.gen_range(0..FINDINGS.len())].to_string();
        let suggestion = rng
            .gen_bool(0.4)
            .then(|| SUGGESTIONS[rng.gen_range(0..SUGGESTIONS.len())].to_string());
        if let Some(m) = meetings.get_mut(i) {
            m.observations.push((who.clone(), findings, suggestion));
        }
    }
}
