//! The province's member register: about 4.5 million members (Guangdong's order of size) in the
//! village and 两新 branches of every town, written through the store's roster import, one town
//! per import: every row checked by the member form's rules and sealed like a real roster (ID
//! number, phone and address encrypted, blind-indexed and masked), one transaction and one audit
//! entry per town. Only one town's rows and one county's ID-number counters are held at a time,
//! so memory stays flat however large the province.

use crate::members::{Home, member};
use crate::names::thousands;
use jiceng_store::members::MemberInput;
use jiceng_store::roster::{BATCH_ROWS, ImportOptions, RosterImport, RosterRow};
use jiceng_store::sql::Sql;
use jiceng_store::{Actor, Scope, Store, StoreError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// Members of the whole province (Guangdong has about 4.5 million Party members).
pub const PROVINCE_MEMBERS: u64 = 4_500_000;
/// Members per 村居 on average at full size: 4.5 million over 26,000 村居.
pub const MEMBERS_PER_VILLAGE: u32 = (PROVINCE_MEMBERS / 26_000) as u32;

const SEED: u64 = 0x6a69_6365_6e67_4d42;

/// A multiplier that turns a member counter into a phone number: odd and not a multiple of 5, so
/// `n * PHONE_STEP mod 10⁹` visits every 9-digit number once, scattered (no two members share a
/// phone, and a phone says nothing about the order members were written in).
const PHONE_STEP: u64 = 387_420_489;

/// A town to fill: its code, and the names its members' addresses start with.
#[derive(sqlx::FromRow)]
struct Town {
    code: String,
    name: String,
    county: String,
    city: String,
}

/// An organisation that holds members, with its place.
#[derive(sqlx::FromRow)]
struct Holder {
    org_id: i64,
    place_code: String,
    place_name: String,
    place_kind: String,
}

fn seed_for(code: &str) -> u64 {
    code.bytes().fold(SEED, |h, b| {
        h.wrapping_mul(0x100_0000_01b3).wrapping_add(u64::from(b))
    })
}

/// Branches and committees or 总支 without branches below, in the town, by place.
async fn holders(store: &Store, town: &str) -> Result<Vec<Holder>, StoreError> {
    let mut sql = Sql::new(
        "SELECT o.id AS org_id, p.code AS place_code, p.name AS place_name, p.kind AS place_kind \
         FROM orgs o JOIN places p ON p.id = o.place_id WHERE o.closed_at IS NULL AND o.kind <> 'group' \
         AND NOT EXISTS (SELECT 1 FROM orgs c WHERE c.parent_id = o.id AND c.kind <> 'group') AND ",
    );
    Scope::prefix(&town[..9]).predicate(&mut sql, "p.code");
    sql.push(" ORDER BY p.code, o.id");
    Ok(sql.query_as().fetch_all(&store.reader).await?)
}

/// How many members each holder gets: a 村居's share (`per_village` ± 40%) split among its
/// branches; a 两新 branch 3–30.
fn sizes(rng: &mut ChaCha8Rng, holders: &[Holder], per_village: u32) -> Vec<u32> {
    let mut out = vec![0; holders.len()];
    let mut i = 0;
    while i < holders.len() {
        let code = &holders[i].place_code;
        let village = matches!(holders[i].place_kind.as_str(), "village" | "community");
        let end = i + holders[i..]
            .iter()
            .take_while(|h| &h.place_code == code)
            .count();
        if village {
            let share = f64::from(per_village) * rng.gen_range(0.6..1.4);
            let each = (share / (end - i) as f64).round().max(1.0) as u32;
            out[i..end].iter_mut().for_each(|n| *n = each);
        } else {
            out[i..end]
                .iter_mut()
                .for_each(|n| *n = rng.gen_range(3..=30));
        }
        i = end;
    }
    out
}

/// Refuses the whole demo when the import refused a row: generated rows must all be valid.
fn refused(town: &str, problems: &[jiceng_store::roster::RowError]) -> StoreError {
    let first = problems
        .first()
        .map(|e| e.error.zh.clone())
        .unwrap_or_default();
    StoreError::Internal(format!(
        "demo register for town {town} refused ({} rows): {first}",
        problems.len()
    ))
}

async fn add(
    import: &mut RosterImport,
    batch: &mut Vec<RosterRow>,
    town: &str,
) -> Result<(), StoreError> {
    let added = import.add(batch).await?;
    batch.clear();
    if added.problems.is_empty() {
        Ok(())
    } else {
        Err(refused(town, &added.problems))
    }
}

/// Fills every town of the store with members, `per_village` per 村居 on average; returns how many
/// were written. Progress is reported every ten towns and at the end.
pub(crate) async fn generate(
    store: &Store,
    now: i64,
    per_village: u32,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<u64, StoreError> {
    // Towns in code order, so a county's towns come one after another and its counters can go.
    let towns: Vec<Town> = sqlx::query_as(
        "SELECT t.code, t.name, c.name AS county, y.name AS city FROM places t \
         JOIN places c ON c.id = t.parent_id JOIN places y ON y.id = c.parent_id \
         WHERE t.kind IN ('town', 'subdistrict', 'township') ORDER BY t.code",
    )
    .fetch_all(&store.reader)
    .await?;
    let actor = Actor::cli("demo");
    let mut written = 0u64;
    let mut phones = 0u64;
    let mut county = String::new();
    let mut seq: HashMap<String, u32> = HashMap::new();
    let mut batch: Vec<RosterRow> = Vec::with_capacity(BATCH_ROWS);
    for (t, town) in towns.iter().enumerate() {
        let area = &town.code[..6];
        if area != county {
            county = area.to_string();
            seq.clear();
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed_for(&town.code));
        let holders = holders(store, &town.code).await?;
        let sizes = sizes(&mut rng, &holders, per_village);
        let label = format!("demo:{}", town.code);
        let opts = ImportOptions {
            label: &label,
            row_base: 1,
            preview: false,
        };
        let mut import = store.begin_import(&actor, &Scope::All, &opts, now);
        let address = format!("广东省{}{}{}", town.city, town.county, town.name);
        let mut row = 0;
        for (h, n) in holders.iter().zip(sizes) {
            for _ in 0..n {
                phones += 1;
                let home = Home {
                    area,
                    place: &h.place_name,
                    address: &address,
                    phone: Some(format!("13{:09}", phones * PHONE_STEP % 1_000_000_000)),
                };
                let input: MemberInput = member(&mut rng, &mut seq, h.org_id, &home);
                batch.push(RosterRow { row, input });
                row += 1;
                if batch.len() == BATCH_ROWS {
                    add(&mut import, &mut batch, &town.code).await?;
                }
            }
        }
        if !batch.is_empty() {
            add(&mut import, &mut batch, &town.code).await?;
        }
        let done = import.flush().await?;
        if !done.problems.is_empty() {
            return Err(refused(&town.code, &done.problems));
        }
        let totals = import
            .finish()
            .await?
            .ok_or_else(|| refused(&town.code, &[]))?;
        written += totals.inserted as u64;
        if (t + 1) % 10 == 0 || t + 1 == towns.len() {
            progress(&format!(
                "党员：{}/{} 个镇街，{} 名",
                t + 1,
                towns.len(),
                thousands(written)
            ));
        }
    }
    Ok(written)
}
