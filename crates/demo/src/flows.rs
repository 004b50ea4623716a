//! The demo's flowing members. Seed (Xiqiao): the 小个专 committee has 126 members, 8 in its register
//! and 118 flowing members who work in the town's market; the demo's 井岸镇 plays that town. Other
//! members work away in the Pearl River Delta's cities, outside the system.

use crate::members::check_char;
use jiceng_domain::recruitment::add_months;
use jiceng_store::coverage::day_of;
use jiceng_store::flows::FlowInput;
use jiceng_store::members::MemberInput;
use jiceng_store::orgs::NewOrg;
use jiceng_store::{Actor, Scope, Store, StoreError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEED: u64 = 0x6a69_6365_6e67_0007;
/// 井岸镇, the town with the market.
const MARKET_TOWN: &str = "440403107000";
/// The seed's figures: in register, and flowing members hosted.
pub const XGZ_REGISTERED: usize = 8;
pub const XGZ_HOSTED: usize = 118;
/// Members away from the district, with no host organisation in the system.
const AWAY_OUTSIDE: usize = 180;
const CITIES: &[&str] = &[
    "广州市天河区",
    "深圳市宝安区",
    "佛山市南海区",
    "中山市火炬开发区",
    "东莞市长安镇",
    "珠海市香洲区",
    "江门市新会区",
    "澳门特别行政区",
];

/// A date the member left: long enough ago that six months have passed by `today`.
fn away_since(rng: &mut ChaCha8Rng, today: &str) -> String {
    let year: i32 = today[..4].parse().unwrap_or(2026);
    let y = rng.gen_range(2016..year);
    // The year before `today`'s only in its first half, so six months are over by January.
    let m = if y == year - 1 {
        rng.gen_range(1..=6)
    } else {
        rng.gen_range(1..=12)
    };
    format!("{y:04}-{m:02}-{:02}", rng.gen_range(1..=28))
}

/// Creates the 小个专 committee with its register and the flows; returns the flows written.
pub async fn generate_flows(store: &Store, now_ms: i64) -> Result<u64, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let actor = Actor::cli("demo");
    let s = Scope::All;
    let today = day_of(now_ms);
    let (town_place, town_committee): (i64, i64) = sqlx::query_as(
        "SELECT p.id, o.id FROM places p JOIN orgs o ON o.place_id = p.id WHERE p.code = $1 \
         AND o.kind = 'committee' ORDER BY o.id LIMIT 1",
    )
    .bind(MARKET_TOWN)
    .fetch_one(&store.reader)
    .await?;
    let xgz = store
        .create_org(
            &actor,
            &s,
            NewOrg {
                parent_id: Some(town_committee),
                place_id: town_place,
                name: "井岸镇“小个专”党委".into(),
                kind: "committee".into(),
                unit_ids: vec![],
                founded_on: Some("2016-06-01".into()),
            },
            now_ms,
        )
        .await?;
    // Its own register: shopkeepers whose relation is here (ID numbers from 香洲区, 440402).
    for i in 0..XGZ_REGISTERED {
        let birth = format!("19{:02}0{}1{}", 60 + i * 3, 1 + i % 9, i % 10);
        let body = format!("440402{birth}{:03}", 101 + 2 * i);
        store
            .create_member(
                &actor,
                &s,
                MemberInput {
                    org_id: xgz.id,
                    name: format!(
                        "{}{}",
                        ["冯", "何", "梁", "黎"][i % 4],
                        ["志强", "丽华", "国平", "少芬"][i / 2 % 4]
                    ),
                    id_number: format!("{body}{}", check_char(&body)),
                    ethnicity: "汉族".into(),
                    education: "secondary".into(),
                    occupation: "other".into(),
                    status: "full".into(),
                    join_date: Some(format!("{}-07-01", 2000 + i)),
                    full_date: Some(format!("{}-07-01", 2001 + i)),
                    workplace: Some("井岸镇专业市场".into()),
                    ..Default::default()
                },
                now_ms,
            )
            .await?;
    }
    // Full members registered in other towns' villages: 118 hosted here, the rest away outside.
    let candidates: Vec<i64> = sqlx::query_scalar(
        "SELECT m.id FROM members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id \
         WHERE m.status = 'full' AND p.kind = 'village' AND p.code NOT LIKE '440403107%' ORDER BY m.id",
    )
    .fetch_all(&store.reader)
    .await?;
    let step = (candidates.len() / (XGZ_HOSTED + AWAY_OUTSIDE)).max(1);
    let mut written = 0u64;
    for (n, member_id) in candidates
        .iter()
        .step_by(step)
        .take(XGZ_HOSTED + AWAY_OUTSIDE)
        .enumerate()
    {
        let hosted = n < XGZ_HOSTED;
        let away = away_since(&mut rng, &today);
        let registered = add_months(&away, rng.gen_range(6..=14)).min(today.clone());
        let input = FlowInput {
            host_org_id: hosted.then_some(xgz.id),
            destination: if hosted {
                "井岸镇专业市场".into()
            } else {
                CITIES[rng.gen_range(0..CITIES.len())].into()
            },
            certificate_no: format!("珠斗流{}{:04}", &registered[..4], n + 1),
            away_since: away,
            registered_on: registered,
        };
        store
            .start_flow(&actor, &s, *member_id, &input, now_ms)
            .await?;
        written += 1;
    }
    Ok(written)
}
