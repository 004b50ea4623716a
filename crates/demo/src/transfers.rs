//! The demo's transfers of organisational relation between the district's towns, through the
//! store's transfer API: letters in transit (乾务镇's committee has some to receive and some it
//! sent), transfers received weeks or months ago, and one withdrawn by its sender.

use jiceng_store::coverage::day_of;
use jiceng_store::transfers::Letter;
use jiceng_store::{Actor, Scope, Store, StoreError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEED: u64 = 0x6a69_6365_6e67_0005;
const DAY: i64 = 86_400_000;
/// 乾务镇, the demo town account's town.
const DEMO_TOWN: &str = "440403105";

/// How a demo transfer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    InTransit,
    Confirmed,
    Withdrawn,
}

/// (from town, to town, how it ends): into 乾务镇 and out of it, and between other towns.
const TRANSFERS: [(&str, &str, End); 14] = [
    ("440403106", DEMO_TOWN, End::InTransit),
    ("440403100", DEMO_TOWN, End::InTransit),
    ("440403107", DEMO_TOWN, End::InTransit),
    ("440403001", DEMO_TOWN, End::InTransit),
    (DEMO_TOWN, "440403107", End::InTransit),
    (DEMO_TOWN, "440403001", End::InTransit),
    ("440403103", "440403106", End::InTransit),
    ("440403103", DEMO_TOWN, End::Confirmed),
    (DEMO_TOWN, "440403100", End::Confirmed),
    ("440403107", "440403001", End::Confirmed),
    ("440403106", "440403103", End::Confirmed),
    ("440403100", "440403107", End::Confirmed),
    ("440403001", "440403106", End::Confirmed),
    (DEMO_TOWN, "440403103", End::Withdrawn),
];

/// Open organisations that hold members in the town's 村居.
async fn branches(store: &Store, town: &str) -> Result<Vec<i64>, StoreError> {
    let mut sql = jiceng_store::sql::Sql::new(
        "SELECT o.id FROM orgs o JOIN places p ON p.id = o.place_id WHERE o.closed_at IS NULL \
         AND o.kind <> 'group' AND p.kind IN ('village', 'community') \
         AND NOT EXISTS (SELECT 1 FROM orgs c WHERE c.parent_id = o.id AND c.kind <> 'group') AND ",
    );
    Scope::prefix(town).predicate(&mut sql, "p.code");
    sql.push(" ORDER BY o.id");
    Ok(sql.scalar().fetch_all(&store.reader).await?)
}

/// Full members of the town's 村居 who are not away (no open flow) and have no transfer yet.
async fn movable(store: &Store, town: &str) -> Result<Vec<i64>, StoreError> {
    let mut sql = jiceng_store::sql::Sql::new(
        "SELECT m.id FROM members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id \
         WHERE m.status = 'full' AND p.kind IN ('village', 'community') \
         AND NOT EXISTS (SELECT 1 FROM member_flows f WHERE f.member_id = m.id AND f.ended_on IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.member_id = m.id) AND ",
    );
    Scope::prefix(town).predicate(&mut sql, "p.code");
    sql.push(" ORDER BY m.id");
    Ok(sql.scalar().fetch_all(&store.reader).await?)
}

/// Sends the demo's letters and closes those that are over; returns how many were sent.
pub async fn generate_transfers(store: &Store, now_ms: i64) -> Result<u64, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let actor = Actor::cli("demo");
    let s = Scope::All;
    let today = day_of(now_ms);
    let mut sent = 0u64;
    for (n, (from, to, end)) in TRANSFERS.iter().enumerate() {
        let members = movable(store, from).await?;
        let targets = branches(store, to).await?;
        if members.is_empty() || targets.is_empty() {
            continue;
        }
        let member = members[rng.gen_range(0..members.len())];
        let to_org_id = targets[rng.gen_range(0..targets.len())];
        let ago: i64 = match end {
            End::InTransit => rng.gen_range(3..=25),
            End::Confirmed | End::Withdrawn => rng.gen_range(60..=300),
        };
        let sent_on = day_of(now_ms - ago * DAY);
        let letter_no = format!("斗组转〔{}〕{:03}号", &sent_on[..4], n + 1);
        let letter = Letter {
            to_org_id,
            letter_no: &letter_no,
            sent_on: &sent_on,
        };
        let t = store
            .send_transfer(&actor, &s, member, &letter, now_ms)
            .await?;
        sent += 1;
        if *end != End::InTransit {
            let on = day_of(now_ms - (ago - rng.gen_range(5..=20)) * DAY).min(today.clone());
            let receive = *end == End::Confirmed;
            store
                .close_transfer(&actor, &s, t.id, receive, &on, now_ms)
                .await?;
        }
    }
    Ok(sent)
}
