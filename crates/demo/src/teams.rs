//! Stationed teams for the demo (驻点, issue 5), after the Shadui pattern: 乾务镇 sends 12 teams,
//! one to each of its first 12 village-level places, each with a leader from the register and two
//! cadres by name, and a checklist of about 145 items per village due over the last year (1,740 in
//! all): most done with evidence, some in progress, some overdue, a few due ahead. Every write
//! goes through the store's API (audit, roll-ups). Deterministic for a given `now`.

use jiceng_domain::meeting::add_days;
use jiceng_domain::team::ItemStatus;
use jiceng_store::coverage::day_of;
use jiceng_store::teams::{NewTeam, Person};
use jiceng_store::{Actor, Scope, Store, StoreError};

/// The town that sends the teams (the demo accounts' town).
const TOWN: &str = "440403105";
pub const TEAMS: usize = 12;
const ITEMS_PER_VILLAGE: usize = 145;

const TASKS: &[&str] = &[
    "走访困难群众",
    "排查安全隐患",
    "召开村民议事会",
    "整治人居环境",
    "调解邻里纠纷",
    "宣讲惠民政策",
    "核查低保对象",
    "督办村道维修",
    "指导党支部组织生活",
    "收集群众意见建议",
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TeamSummary {
    pub teams: u64,
    pub items: u64,
    pub done: u64,
    pub overdue: u64,
}

pub async fn generate_teams(store: &Store, now: i64) -> Result<TeamSummary, StoreError> {
    let a = Actor::cli("demo");
    let s = Scope::All;
    let today = day_of(now);
    let start = add_days(&today, -365)?;
    let town: Option<(i64, String)> = sqlx::query_as("SELECT id, name FROM places WHERE code = $1")
        .bind(format!("{TOWN}000"))
        .fetch_optional(&store.reader)
        .await?;
    let Some((town_id, town_name)) = town else {
        return Ok(TeamSummary::default());
    };
    let villages: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, code, name FROM places WHERE parent_id = $1 AND kind IN ('village', 'community') \
         AND closed_at IS NULL ORDER BY code",
    )
    .bind(town_id)
    .fetch_all(&store.reader)
    .await?;
    let mut sum = TeamSummary::default();
    for (i, (village_id, code, name)) in villages.into_iter().take(TEAMS).enumerate() {
        let leader: Option<i64> = sqlx::query_scalar(
            "SELECT m.id FROM members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id \
             WHERE m.status = 'full' AND p.code = $1 ORDER BY m.id DESC LIMIT 1",
        )
        .bind(&code)
        .fetch_optional(&store.reader)
        .await?;
        let leader = leader.map_or_else(|| Person::Name(format!("{name}驻点队长")), Person::Member);
        let team = store
            .create_team(
                &a,
                &s,
                &NewTeam {
                    place_id: town_id,
                    name: format!("{town_name}驻{name}工作队"),
                    leader,
                    members: vec![
                        Person::Name(format!("镇干部{}", i * 2 + 1)),
                        Person::Name(format!("镇干部{}", i * 2 + 2)),
                    ],
                },
                now,
            )
            .await?;
        sum.teams += 1;
        store
            .assign_team(&a, &s, team.id, village_id, &start, None, now)
            .await?;
        for k in 0..ITEMS_PER_VILLAGE {
            // Due dates spread over the year, the last few ahead of today.
            let due = add_days(&start, 20 + (k as i64 * 360) / ITEMS_PER_VILLAGE as i64)?;
            let title = format!("{}（第{}项）", TASKS[(i + k) % TASKS.len()], k + 1);
            let item = store
                .add_team_item(&a, &s, team.id, village_id, &title, &due, now)
                .await?;
            sum.items += 1;
            let past = due <= today;
            // About one past item in twelve is left open (overdue); one in twelve is in progress.
            let roll = (i * 31 + k * 7) % 12;
            if !past || roll == 0 {
                sum.overdue += u64::from(past);
                continue;
            }
            let on = add_days(&due, -((k % 5) as i64))?;
            let on = if on > today { today.clone() } else { on };
            if roll == 1 {
                store
                    .set_item_status(&a, &s, item.id, ItemStatus::Doing, "", &on, &today, now)
                    .await?;
                sum.overdue += 1;
                continue;
            }
            let evidence = format!("工作记录及照片{}份", 1 + k % 4);
            store
                .set_item_status(
                    &a,
                    &s,
                    item.id,
                    ItemStatus::Done,
                    &evidence,
                    &on,
                    &today,
                    now,
                )
                .await?;
            sum.done += 1;
        }
    }
    Ok(sum)
}
