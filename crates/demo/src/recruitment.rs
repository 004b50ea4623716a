//! The demo's recruitment files (《发展细则》): people at every stage, from a fresh application to a
//! completed file, with their steps recorded through the store's recruitment API (so every rule
//! is checked and every step audited). Dates are counted back from the day the demo is made, so
//! the due list (/members/due) always has talks, activists, probationers and one extended
//! probation falling due by the end of next month.

use crate::members::{GIVEN, SURNAMES, check_char, pick};
use jiceng_store::coverage::day_of;
use jiceng_store::members::MemberInput;
use jiceng_store::recruitment::NewStep;
use jiceng_store::{Actor, Scope, Store, StoreError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

const SEED: u64 = 0x6a69_6365_6e67_0025;
const DAY: i64 = 86_400_000;
/// 乾西村, where the village account sees one file of every kind.
const QIANXI: &str = "440403105201";

/// Where a file stands, and so which steps it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Applied a few days ago; the talk is due within the month.
    TalkDue,
    /// Applied over a month ago and still not talked to: overdue.
    TalkOverdue,
    /// Applied and talked to (steps 1–2).
    Applicant,
    /// An activist for almost a year: may become a candidate next month (steps 1–6).
    ActivistDue,
    /// An activist for a few months (steps 1–5).
    Activist,
    /// A candidate (发展对象) in training (steps 1–11).
    Prospect,
    /// A candidate pre-reviewed by the higher committee, form filled in (steps 1–14).
    ProspectReviewed,
    /// On probation for almost a year: full membership may be voted next month (steps 1–22).
    ProbationDue,
    /// On probation for a few months (steps 1–20).
    Probationary,
    /// Probation extended by six months, now ending (steps 1–22 and the extension).
    Extended,
    /// A completed file: full member (all 25 steps).
    Full,
}

/// Files per town, by stage (the overdue talk and the extension only in 乾西村: rare cases).
const PER_TOWN: [(Stage, u32); 9] = [
    (Stage::TalkDue, 2),
    (Stage::Applicant, 2),
    (Stage::ActivistDue, 2),
    (Stage::Activist, 2),
    (Stage::Prospect, 2),
    (Stage::ProspectReviewed, 1),
    (Stage::ProbationDue, 2),
    (Stage::Probationary, 2),
    (Stage::Full, 1),
];

/// Every stage, once, for 乾西村.
pub const STAGES: [Stage; 11] = [
    Stage::TalkDue,
    Stage::TalkOverdue,
    Stage::Applicant,
    Stage::ActivistDue,
    Stage::Activist,
    Stage::Prospect,
    Stage::ProspectReviewed,
    Stage::ProbationDue,
    Stage::Probationary,
    Stage::Extended,
    Stage::Full,
];

impl Stage {
    /// The last step recorded.
    fn last_step(self) -> u8 {
        match self {
            Stage::TalkDue | Stage::TalkOverdue => 1,
            Stage::Applicant => 2,
            Stage::ActivistDue => 6,
            Stage::Activist => 5,
            Stage::Prospect => 11,
            Stage::ProspectReviewed => 14,
            Stage::ProbationDue | Stage::Extended => 22,
            Stage::Probationary => 20,
            Stage::Full => 25,
        }
    }
}

/// The day of each step, as days before today (index = step − 1), and the extension's day.
struct Plan {
    ago: Vec<i64>,
    extension_ago: Option<i64>,
}

/// Counts back from the anchor of the file's latest stage, keeping every period the rules set:
/// the talk within a month, a year as activist (380+ days, so never short of twelve months), a
/// year of probation (plus the extension).
fn plan(rng: &mut ChaCha8Rng, stage: Stage) -> Plan {
    let r = |rng: &mut ChaCha8Rng, lo: i64, hi: i64| rng.gen_range(lo..=hi);
    // Days before today of application (1), activist (3), candidate (7) and admission (15).
    let (mut s1, mut s3, mut s7, mut s15) = (None, None, None, None);
    match stage {
        Stage::TalkDue => s1 = Some(r(rng, 2, 20)),
        Stage::TalkOverdue => s1 = Some(r(rng, 40, 50)),
        Stage::Applicant => s1 = Some(r(rng, 60, 200)),
        Stage::ActivistDue => s3 = Some(r(rng, 340, 358)),
        Stage::Activist => s3 = Some(r(rng, 60, 250)),
        Stage::Prospect => s7 = Some(r(rng, 40, 120)),
        Stage::ProspectReviewed => s7 = Some(r(rng, 100, 200)),
        Stage::ProbationDue => s15 = Some(r(rng, 340, 358)),
        Stage::Probationary => s15 = Some(r(rng, 50, 200)),
        Stage::Extended => s15 = Some(r(rng, 535, 545)),
        Stage::Full => s15 = Some(r(rng, 500, 700)),
    }
    if let Some(a) = s15 {
        s7 = Some(a + r(rng, 90, 150));
    }
    if let Some(a) = s7 {
        s3 = Some(a + r(rng, 380, 420));
    }
    if let Some(a) = s3 {
        s1 = Some(a + r(rng, 30, 120));
    }
    let s1 = s1.unwrap_or_default();
    let mut ago = vec![s1, s1 - r(rng, 5, 25)];
    if let Some(s3) = s3 {
        let s6 = s7.map_or(s3 - 180, |s7| s7 + 10);
        ago.extend([s3, s3 - 3, s3 - 7, s6]);
    }
    if let Some(s7) = s7 {
        ago.extend([s7, s7 - 5, s7 - 10, s7 - 20, s7 - 30]);
        ago.extend([s7 - 40, s7 - 55, s7 - 60]);
    }
    let mut extension_ago = None;
    if let Some(s15) = s15 {
        ago.extend([s15, s15 - 7, s15 - 20, s15 - 30, s15 - 35, s15 - 40]);
        ago.extend([s15 - 180, s15 - 335]);
        let s23 = s15 - r(rng, 380, 400);
        ago.extend([s23, s23 - 20, s23 - 40]);
        if stage == Stage::Extended {
            extension_ago = Some(s15 - 355);
        }
    }
    ago.truncate(usize::from(stage.last_step()));
    Plan { ago, extension_ago }
}

/// A young applicant of the district: an ID number from 斗门 (440403) with a sequence number from
/// 901 up, which the register (a few numbers per birth date) never reaches.
fn person(
    rng: &mut ChaCha8Rng,
    used: &mut HashSet<String>,
    org_id: i64,
    place: &str,
) -> MemberInput {
    let body = loop {
        let birth = format!(
            "{:04}{:02}{:02}",
            rng.gen_range(1975..=2003),
            rng.gen_range(1..=12),
            rng.gen_range(1..=28)
        );
        let body = format!("440403{birth}{:03}", rng.gen_range(901..=999));
        if used.insert(body.clone()) {
            break body;
        }
    };
    let name = format!(
        "{}{}{}",
        pick(rng, SURNAMES),
        pick(rng, GIVEN),
        pick(rng, GIVEN)
    );
    MemberInput {
        org_id,
        name,
        id_number: format!("{body}{}", check_char(&body)),
        ethnicity: "汉族".into(),
        education: ["secondary", "college", "bachelor"][rng.gen_range(0..3)].into(),
        occupation: ["farmer", "worker", "employee"][rng.gen_range(0..3)].into(),
        status: "applicant".into(),
        workplace: Some(place.to_string()),
        phone: Some(format!("15{}", rng.gen_range(100_000_000..999_999_999u32))),
        address: Some(format!(
            "广东省珠海市斗门区{place}{}号",
            rng.gen_range(1..300)
        )),
        ..Default::default()
    }
}

/// Village branches (and committees or 总支 without branches) of a town, with their place.
async fn branches(store: &Store, town: &str) -> Result<Vec<(i64, String, String)>, StoreError> {
    let mut sql = jiceng_store::sql::Sql::new(
        "SELECT o.id, p.code, p.name FROM orgs o JOIN places p ON p.id = o.place_id WHERE o.closed_at IS NULL \
         AND o.kind <> 'group' AND p.kind IN ('village', 'community') \
         AND NOT EXISTS (SELECT 1 FROM orgs c WHERE c.parent_id = o.id AND c.kind <> 'group') AND ",
    );
    Scope::prefix(town).predicate(&mut sql, "p.code");
    sql.push(" ORDER BY o.id");
    Ok(sql.query_as().fetch_all(&store.reader).await?)
}

/// Writes one file: the person, then each step on its day.
async fn file(
    store: &Store,
    actor: &Actor,
    input: MemberInput,
    plan: &Plan,
    now: i64,
) -> Result<(), StoreError> {
    let s = Scope::All;
    let m = store.create_member(actor, &s, input, now).await?;
    for (i, ago) in plan.ago.iter().enumerate() {
        let date = day_of(now - ago * DAY);
        // Step numbers run 1..=25 (`plan` never holds more), so the cast cannot truncate.
        let step = (i + 1) as u8;
        let new = NewStep {
            step,
            date: &date,
            value: (step == 11).then_some(32),
            note: "",
        };
        store.record_step(actor, &s, m.id, &new, now).await?;
        if step == 22
            && let Some(e) = plan.extension_ago
        {
            let on = day_of(now - e * DAY);
            store.extend_probation(actor, &s, m.id, 6, &on, now).await?;
        }
    }
    Ok(())
}

/// Adds the files to the district (after its register); returns how many people they hold.
pub async fn generate_recruitment(store: &Store, now_ms: i64) -> Result<u64, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let actor = Actor::cli("demo");
    let towns: Vec<String> = sqlx::query_scalar(
        "SELECT substr(code, 1, 9) FROM places WHERE kind IN ('town', 'subdistrict', 'township') \
         AND code >= '440403' AND code < '440403:' ORDER BY code",
    )
    .fetch_all(&store.reader)
    .await?;
    let mut used = HashSet::new();
    let mut written = 0u64;
    for town in &towns {
        let orgs = branches(store, town).await?;
        if orgs.is_empty() {
            continue;
        }
        let mut plans: Vec<(Stage, Option<usize>)> = PER_TOWN
            .iter()
            .flat_map(|(stage, n)| std::iter::repeat_n((*stage, None), *n as usize))
            .collect();
        // 乾西村's first branch gets one file of every stage, for the village account to see.
        if let Some(q) = orgs.iter().position(|o| o.1 == QIANXI) {
            plans.extend(STAGES.iter().map(|s| (*s, Some(q))));
        }
        for (stage, at) in plans {
            let (org_id, _, place) = &orgs[at.unwrap_or_else(|| rng.gen_range(0..orgs.len()))];
            let plan = plan(&mut rng, stage);
            let input = person(&mut rng, &mut used, *org_id, place);
            file(store, &actor, input, &plan, now_ms).await?;
            written += 1;
        }
    }
    Ok(written)
}
