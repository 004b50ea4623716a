//! The demo's village governance, through the store's own API so every rule applies: each 村居's
//! bodies (the secretary also chairs the villagers' committee — 一肩挑, Doumen's 100%), its
//! representatives, a supervision committee, the accountant and cashier, its head counts; then
//! two years of 四议两公开 with realistic gaps (matters still under way, a representatives'
//! meeting without quorum that could decide nothing, a village behind on its finances), and
//! monthly finance publications on the boards.

use crate::members::{GIVEN, SURNAMES, pick};
use jiceng_domain::decision::Step;
use jiceng_domain::meeting::{Votes, add_days};
use jiceng_store::board::{NewPublication, Target};
use jiceng_store::coverage::day_of;
use jiceng_store::mandates::NewMandate;
use jiceng_store::matters::StepInput;
use jiceng_store::meetings::{NewMeeting, NewResolution};
use jiceng_store::village::{Counts, NewSeat};
use jiceng_store::village_meetings::NewBodyMeeting;
use jiceng_store::{Actor, Scope, Store, StoreError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEED: u64 = 0x6a69_6365_6e67_0006;
const DAY: i64 = 86_400_000;
/// The current committees took office at the 2021 换届.
const TERM_FROM: &str = "2021-05-01";
/// 乾务镇: its villages get the fullest history (the demo town account sees them).
const DEMO_TOWN: &str = "440403105";

/// What the generator wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VillageSummary {
    pub villages: u64,
    pub people: u64,
    pub meetings: u64,
    pub matters: u64,
    pub publications: u64,
}

fn person_name(rng: &mut ChaCha8Rng) -> String {
    let second = if rng.gen_range(0..3) > 0 {
        pick(rng, GIVEN)
    } else {
        ""
    };
    format!("{}{}{second}", pick(rng, SURNAMES), pick(rng, GIVEN))
}

/// One village's seats, as the generator gives them out.
struct Village {
    id: i64,
    code: String,
    /// The organisation at the village with the most full members: its assembly reviews.
    org_id: i64,
    /// The generator's clock: meetings are recorded as held before it.
    now: i64,
    party: Vec<i64>,
    committee: Vec<i64>,
    reps: Vec<i64>,
    supervisors: Vec<i64>,
}

async fn seat(
    store: &Store,
    a: &Actor,
    person: i64,
    body: &str,
    title: &str,
) -> Result<(), StoreError> {
    let s = NewSeat {
        person_id: person,
        body: body.into(),
        title: Some(title.into()),
        from_on: TERM_FROM.into(),
    };
    store.add_seat(a, &Scope::All, &s, 0).await.map(|_| ())
}

/// Seats a village: Party committee from its register, the secretary chairing the villagers'
/// committee, representatives, supervisors, accountant and cashier; a spouse pair for the page.
async fn seat_village(
    store: &Store,
    a: &Actor,
    rng: &mut ChaCha8Rng,
    (id, code): (i64, String),
    now: i64,
) -> Result<Option<Village>, StoreError> {
    let s = Scope::All;
    let org: Option<i64> = sqlx::query_scalar(
        "SELECT o.id FROM orgs o WHERE o.place_id = $1 AND o.closed_at IS NULL ORDER BY \
         (SELECT COUNT(*) FROM members m WHERE m.org_id = o.id AND m.status = 'full') DESC, o.id LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&store.reader)
    .await?;
    let Some(org_id) = org else {
        return Ok(None);
    };
    let members: Vec<(i64, String)> = sqlx::query_as(
        "SELECT m.id, m.name FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.place_id = $1 \
         AND m.status = 'full' ORDER BY m.id LIMIT 5",
    )
    .bind(id)
    .fetch_all(&store.reader)
    .await?;
    let mut v = Village {
        id,
        code,
        org_id,
        now,
        party: vec![],
        committee: vec![],
        reps: vec![],
        supervisors: vec![],
    };
    for (i, (mid, mname)) in members.iter().enumerate().take(rng.gen_range(3..=5)) {
        let p = store.add_person(a, &s, id, mname, Some(*mid), now).await?;
        let title = if i == 0 {
            "书记"
        } else if i == 1 {
            "副书记"
        } else {
            "委员"
        };
        seat(store, a, p.id, "party_committee", title).await?;
        v.party.push(p.id);
    }
    if let Some(sec) = v.party.first() {
        seat(store, a, *sec, "villagers_committee", "主任").await?;
        v.committee.push(*sec);
    }
    // Two more committee members: one also on the Party committee (交叉任职), one not.
    if let Some(cross) = v.party.get(2) {
        seat(store, a, *cross, "villagers_committee", "委员").await?;
        v.committee.push(*cross);
    }
    for _ in 0..rng.gen_range(1..=2) {
        let p = store
            .add_person(a, &s, id, &person_name(rng), None, now)
            .await?;
        seat(store, a, p.id, "villagers_committee", "委员").await?;
        v.committee.push(p.id);
    }
    for _ in 0..rng.gen_range(12..=20) {
        let p = store
            .add_person(a, &s, id, &person_name(rng), None, now)
            .await?;
        seat(store, a, p.id, "representatives", "村民代表").await?;
        v.reps.push(p.id);
    }
    // The last committee member's spouse is a representative: never a supervisor.
    if let (Some(c), Some(r)) = (v.committee.last(), v.reps.last()) {
        store
            .add_kinship(a, &s, id, (*c, *r), "spouse", now)
            .await?;
    }
    for (i, r) in v.reps.clone().iter().take(3).enumerate() {
        let title = if i == 0 { "主任" } else { "委员" };
        seat(store, a, *r, "supervision", title).await?;
        v.supervisors.push(*r);
    }
    for (body, title) in [("accountant", "会计"), ("cashier", "出纳")] {
        let p = store
            .add_person(a, &s, id, &person_name(rng), None, now)
            .await?;
        seat(store, a, p.id, body, title).await?;
    }
    let adults = rng.gen_range(900..=3200);
    let c = Counts {
        adults,
        households: adults / 3 + rng.gen_range(0..50),
    };
    store
        .set_village_counts(a, &s, id, TERM_FROM, c, now)
        .await?;
    authorise_representatives(store, a, id, c, now).await?;
    Ok(Some(v))
}

/// The new term's first 村民会议 lets the representatives decide the list's matters (without it
/// they could decide none): six in ten adults attend, nine in ten of them vote for it.
async fn authorise_representatives(
    store: &Store,
    a: &Actor,
    place_id: i64,
    c: Counts,
    now: i64,
) -> Result<(), StoreError> {
    const HELD_ON: &str = "2021-06-15";
    let m = NewBodyMeeting {
        place_id,
        kind: "villagers_assembly".into(),
        title: "换届后首次村民会议".into(),
        held_on: HELD_ON.into(),
        notice_sent_on: Some("2021-06-01".into()),
        present: c.adults * 6 / 10,
        households_present: c.households * 7 / 10,
        ..Default::default()
    };
    let m = store.record_body_meeting(a, &Scope::All, &m, now).await?;
    let r = NewResolution {
        meeting_id: m.id,
        title: "授权村民代表会议讨论决定本届任期内重要事权清单所列事项",
        votes: Votes {
            ayes: m.present * 9 / 10,
            nays: m.present / 20,
            abstentions: 0,
        },
        election: false,
    };
    let r = store.record_resolution(a, &Scope::All, &r, now).await?;
    let grant = NewMandate {
        place_id,
        resolution_id: r.id,
        item_id: None,
        from_on: HELD_ON.into(),
        until_on: None,
    };
    store.grant_mandate(a, &Scope::All, &grant, now).await?;
    Ok(())
}

/// A body's meeting on `day` with the first `n` of `who` present, and a resolution with `ayes`.
#[allow(clippy::too_many_arguments)]
async fn decide(
    store: &Store,
    a: &Actor,
    v: &Village,
    kind: &str,
    who: &[i64],
    n: usize,
    day: &str,
    title: &str,
) -> Result<Option<i64>, StoreError> {
    // A secretary who also chairs the villagers' committee is one person at a joint meeting.
    let mut seen = std::collections::HashSet::new();
    let who: Vec<i64> = who.iter().copied().filter(|p| seen.insert(*p)).collect();
    let m = NewBodyMeeting {
        place_id: v.id,
        kind: kind.into(),
        title: title.into(),
        held_on: day.into(),
        attendance: who
            .iter()
            .take(n)
            .map(|p| (*p, "present".into(), None))
            .collect(),
        ..Default::default()
    };
    let m = store.record_body_meeting(a, &Scope::All, &m, v.now).await?;
    if m.quorate == 0 {
        return Ok(None);
    }
    let r = NewResolution {
        meeting_id: m.id,
        title,
        votes: Votes {
            ayes: m.present,
            nays: 0,
            abstentions: 0,
        },
        election: false,
    };
    Ok(Some(
        store.record_resolution(a, &Scope::All, &r, v.now).await?.id,
    ))
}

/// The Party members' assembly of the village's organisation, most of its register present.
async fn review(
    store: &Store,
    a: &Actor,
    v: &Village,
    day: &str,
    title: &str,
) -> Result<Option<i64>, StoreError> {
    let roll = store.meeting_roll(&Scope::All, v.org_id, day).await?;
    let present: Vec<(i64, String, Option<String>)> = roll
        .iter()
        .take(roll.len() * 3 / 4 + 1)
        .map(|(id, _, _)| (*id, "present".into(), None))
        .collect();
    let m = NewMeeting {
        org_id: v.org_id,
        kind: "branch_assembly".into(),
        title: title.into(),
        held_on: day.into(),
        attendance: present,
        ..Default::default()
    };
    let m = store.record_meeting(a, &Scope::All, &m, v.now).await?;
    if m.quorate == 0 {
        return Ok(None);
    }
    let r = NewResolution {
        meeting_id: m.id,
        title,
        votes: Votes {
            ayes: m.present.min(m.should_attend),
            nays: 0,
            abstentions: 0,
        },
        election: false,
    };
    let r = store.record_resolution(a, &Scope::All, &r, v.now).await?;
    Ok((r.passed == 1).then_some(r.id))
}

const MATTERS: [(&str, &str); 5] = [
    ("law.public_welfare", "村道硬化及路灯安装"),
    ("law.income_use", "集体经济收益分配方案"),
    ("law.asset_disposal", "村集体仓库对外出租"),
    ("law.collective_project", "村级光伏发电项目立项"),
    ("law.subsidy", "村干部误工补贴标准"),
];

/// One matter from its proposal on `start` (days ago): as far as `steps` steps, then stops.
#[allow(clippy::too_many_arguments)]
async fn run_matter(
    store: &Store,
    a: &Actor,
    v: &Village,
    (code, title): (&str, &str),
    start: i64,
    steps: usize,
    thin_reps: bool,
    now: i64,
) -> Result<(u64, bool), StoreError> {
    let s = Scope::All;
    let item = store
        .power_items(&s, v.id)
        .await?
        .into_iter()
        .find(|i| i.code == code)
        .ok_or(StoreError::NotFound)?;
    let m = store.open_matter(a, &s, v.id, item.id, title, now).await?;
    let day = |d: i64| day_of(now - (start - d) * DAY);
    let mut meetings = 0u64;
    let bodies: [(&str, &[i64], i64); 2] = [
        ("branch_committee", &v.party, 0),
        (
            "joint_committees",
            &[v.party.as_slice(), v.committee.as_slice()].concat(),
            4,
        ),
    ];
    let mut done = 0;
    for (step, (kind, who, d)) in [Step::Proposal, Step::Consultation].into_iter().zip(bodies) {
        if done == steps {
            return Ok((meetings, false));
        }
        meetings += 1;
        if let Some(r) = decide(store, a, v, kind, who, who.len(), &day(d), title).await? {
            store
                .record_matter_step(a, &s, m.id, step, &StepInput::Resolution(r), now)
                .await?;
            done += 1;
        }
    }
    if done == steps {
        return Ok((meetings, false));
    }
    meetings += 1;
    let Some(r) = review(store, a, v, &day(9), title).await? else {
        return Ok((meetings, false));
    };
    store
        .record_matter_step(a, &s, m.id, Step::Review, &StepInput::Resolution(r), now)
        .await?;
    if steps == 3 {
        return Ok((meetings, false));
    }
    // The 村民代表会议 is the villagers' committee and the representatives. One that too few
    // attended decides nothing; the matter waits.
    let mut seen = std::collections::HashSet::new();
    let roll: Vec<i64> = v
        .committee
        .iter()
        .chain(&v.reps)
        .copied()
        .filter(|p| seen.insert(*p))
        .collect();
    let present = if thin_reps {
        roll.len() / 2
    } else {
        roll.len() * 5 / 6
    };
    meetings += 1;
    let Some(r) = decide(
        store,
        a,
        v,
        "representatives_assembly",
        &roll,
        present,
        &day(15),
        title,
    )
    .await?
    else {
        return Ok((meetings, true));
    };
    store
        .record_matter_step(
            a,
            &s,
            m.id,
            Step::Resolution,
            &StepInput::Resolution(r),
            now,
        )
        .await?;
    if steps == 4 {
        return Ok((meetings, false));
    }
    let publish = |up: i64, down: i64, what: &str| StepInput::Publication {
        title: format!("{title}{what}"),
        body: format!(
            "经村民代表会议表决通过：{title}。公开期间如有意见，请向村务监督委员会反映。"
        ),
        up_on: day(up),
        down_on: day(down),
    };
    store
        .record_matter_step(
            a,
            &s,
            m.id,
            Step::ResolutionPublished,
            // About one in six goes up a week after the 决议, later than the rule's 3 days.
            &if m.id % 6 == 0 {
                publish(22, 36, "决议公开")
            } else {
                publish(16, 30, "决议公开")
            },
            now,
        )
        .await?;
    if let Some(sup) = v.supervisors.first() {
        store
            .review(
                a,
                &s,
                *sup,
                Target::Matter(m.id),
                "agree",
                "程序完整，表决有效。",
                &day(17),
                now,
            )
            .await?;
    }
    if steps == 5 {
        return Ok((meetings, false));
    }
    store
        .record_matter_step(
            a,
            &s,
            m.id,
            Step::ResultPublished,
            &publish(90, 120, "实施结果公开"),
            now,
        )
        .await?;
    Ok((meetings, false))
}

/// Seats every 村居, runs its matters and fills its board; deterministic for a given `now`.
pub async fn generate_village_governance(
    store: &Store,
    now: i64,
) -> Result<VillageSummary, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let a = Actor::cli("demo");
    let villages: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, code FROM places WHERE kind IN ('village', 'community') AND closed_at IS NULL ORDER BY code",
    )
    .fetch_all(&store.reader)
    .await?;
    let mut sum = VillageSummary::default();
    for row in villages {
        let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM village_people")
            .fetch_one(&store.reader)
            .await?;
        let Some(v) = seat_village(store, &a, &mut rng, row, now).await? else {
            continue;
        };
        let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM village_people")
            .fetch_one(&store.reader)
            .await?;
        sum.villages += 1;
        sum.people += (after - before) as u64;
        let rich = v.code.starts_with(DEMO_TOWN);
        // Matters: the demo town's villages have four over two years, the others one.
        let plan: &[(usize, i64, usize)] = if rich {
            &[(0, 700, 6), (1, 420, 6), (2, 150, 4), (3, 40, 2)]
        } else {
            &[(rng.gen_range(0..MATTERS.len()), rng.gen_range(200..600), 6)]
        };
        for (k, &(which, start, steps)) in plan.iter().enumerate() {
            // One village in five met without quorum on its third matter.
            let thin = rich && k == 2 && rng.gen_range(0..5) == 0;
            let (meetings, _) =
                run_matter(store, &a, &v, MATTERS[which], start, steps, thin, now).await?;
            sum.meetings += meetings;
            sum.matters += 1;
        }
        // Finance monthly (the demo town's villages for two years, others for the last quarter);
        // one village in eight stopped three months ago and shows as overdue.
        let months = if rich { 24 } else { 3 };
        let lapsed = rng.gen_range(0..8) == 0;
        let today = day_of(now);
        let (y, m) = (
            today[..4].parse::<i32>().unwrap_or(2026),
            today[5..7].parse::<i32>().unwrap_or(1),
        );
        for back in (if lapsed { 3 } else { 0 })..months {
            // Last month's accounts go up on the 5th of this month.
            let at = y * 12 + m - 1 - back;
            let up_on = format!("{:04}-{:02}-05", at / 12, at % 12 + 1);
            if up_on > today {
                continue;
            }
            let of = at - 1;
            let title = format!("{}年{}月财务收支公开", of / 12, of % 12 + 1);
            let p = NewPublication {
                place_id: v.id,
                category: "finance".into(),
                title,
                body: format!(
                    "本月收入{}元，支出{}元，详见明细表。",
                    rng.gen_range(20_000..90_000),
                    rng.gen_range(10_000..80_000)
                ),
                down_on: add_days(&up_on, 30)?,
                up_on,
                corrects_id: None,
            };
            store.publish(&a, &Scope::All, &p, now).await?;
            sum.publications += 1;
        }
    }
    Ok(sum)
}
