//! A Guangdong-sized province for benchmarks: 21 cities, their counties, ~1,600 towns and 26,000 村居
//! with 2–4 grids each, one Party organisation tree per town and a few 两新 units per town. It streams:
//! one town is planned, written in one transaction (`Store::bulk`, one audit entry) and dropped before
//! the next, so memory stays flat. Roll-ups are rebuilt once at the end.

use crate::names::{self, thousands, zh_num};
use crate::{Summary, district};
use jiceng_domain::OrgKind;
use jiceng_store::bulk::{BulkCounts, BulkOrg, BulkPlace, BulkUnit, OrgParent};
use jiceng_store::places::NewPlace;
use jiceng_store::{Actor, Scope, Store, StoreError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

const SEED: u64 = 0x4755_414e_4744_4f4e;

pub(crate) struct City {
    /// The real 4-digit city code.
    pub code: &'static str,
    pub name: &'static str,
    /// 村居 in the city (rough real figures, summing to 26,000 with Doumen's 129 inside 珠海).
    pub villages: u32,
    pub counties: u32,
    /// Share of towns that are 街道 (all communities), in percent.
    pub urban_pct: u32,
}

const fn city(
    code: &'static str,
    name: &'static str,
    villages: u32,
    counties: u32,
    urban_pct: u32,
) -> City {
    City {
        code,
        name,
        villages,
        counties,
        urban_pct,
    }
}

pub(crate) const CITIES: [City; 21] = [
    city("4401", "广州市", 2700, 11, 60),
    city("4402", "韶关市", 1400, 10, 15),
    city("4403", "深圳市", 680, 9, 100),
    city("4404", "珠海市", 330, 3, 50),
    city("4405", "汕头市", 1100, 7, 50),
    city("4406", "佛山市", 800, 5, 40),
    city("4407", "江门市", 1300, 7, 20),
    city("4408", "湛江市", 1890, 9, 15),
    city("4409", "茂名市", 1900, 5, 15),
    city("4412", "肇庆市", 1500, 8, 15),
    city("4413", "惠州市", 1300, 5, 25),
    city("4414", "梅州市", 2200, 8, 10),
    city("4415", "汕尾市", 900, 4, 15),
    city("4416", "河源市", 1400, 6, 10),
    city("4417", "阳江市", 900, 4, 15),
    city("4418", "清远市", 1200, 8, 15),
    // 东莞 and 中山 have no counties; jiceng's codes need one, so each gets a single 市辖区 (01).
    city("4419", "东莞市", 600, 1, 30),
    city("4420", "中山市", 300, 1, 30),
    city("4451", "潮州市", 1000, 3, 15),
    city("4452", "揭阳市", 1600, 5, 15),
    city("4453", "云浮市", 1000, 5, 10),
];

const ZHUHAI: &str = "4404";
/// Doumen's county number inside 珠海 (440403), kept free for the district.
const DOUMEN_COUNTY: u32 = 3;
/// Villages per town on average (Guangdong: ~26,000 村居 in ~1,600 towns).
const PER_TOWN: u32 = 17;

/// A stable seed per place: the same code gives the same subtree whatever else is generated.
fn seed_for(code: &str) -> u64 {
    code.bytes().fold(SEED, |h, b| {
        h.wrapping_mul(0x100_0000_01b3).wrapping_add(u64::from(b))
    })
}

/// Splits `total` into `parts` shares of roughly equal size (±30%), each at least `min` when possible.
fn split(rng: &mut impl Rng, total: u32, parts: usize, min: u32) -> Vec<u32> {
    if parts == 0 {
        return Vec::new();
    }
    let n = parts as u32;
    let min = if total >= min * n { min } else { 0 };
    let rest = total - min * n;
    let weights: Vec<u32> = (0..parts).map(|_| rng.gen_range(70..=130)).collect();
    let sum: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    let mut out: Vec<u32> = weights
        .iter()
        .map(|w| min + (u64::from(rest) * u64::from(*w) / sum) as u32)
        .collect();
    let mut left = total - out.iter().sum::<u32>();
    let mut i = 0;
    while left > 0 {
        out[i % parts] += 1;
        left -= 1;
        i += 1;
    }
    out
}

/// Everything needed to write one town.
struct TownPlan<'a> {
    /// 9-digit code.
    code: String,
    name: String,
    street: bool,
    villages: u32,
    city_short: &'a str,
    county6: &'a str,
}

async fn add_place(
    store: &Store,
    actor: &Actor,
    parent: Option<i64>,
    code: &str,
    name: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let new = NewPlace {
        parent_id: parent,
        code: code.to_string(),
        name: name.to_string(),
    };
    Ok(store.create_place(actor, &Scope::All, new, now).await?.id)
}

/// See `crate::generate_province_sized`.
pub(crate) async fn generate(
    store: &Store,
    now: i64,
    cities: usize,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Summary, StoreError> {
    let actor = Actor::cli("demo");
    let chosen = &CITIES[..cities.min(CITIES.len())];
    let with_zhuhai = chosen.iter().any(|c| c.code == ZHUHAI);
    let total: u64 = chosen.iter().map(|c| u64::from(c.villages)).sum::<u64>()
        + if with_zhuhai { 0 } else { district::VILLAGES };
    let mut sum = Summary::default();

    let province = add_place(store, &actor, None, "440000000000", "广东省", now).await?;
    let zhuhai = add_place(store, &actor, Some(province), "440400000000", "珠海市", now).await?;
    sum.places += 2;
    // Doumen first, record by record, so the demo accounts work in the province too.
    let doumen = district::generate(store, Some(zhuhai), now, &mut *progress).await?;
    sum.add(&doumen);
    let mut done = doumen.villages;

    for (ci, city) in chosen.iter().enumerate() {
        let city_id = if city.code == ZHUHAI {
            zhuhai
        } else {
            sum.places += 1;
            add_place(
                store,
                &actor,
                Some(province),
                &format!("{}00000000", city.code),
                city.name,
                now,
            )
            .await?
        };
        let city_short = city.name.trim_end_matches('市');
        let mut rng = ChaCha8Rng::seed_from_u64(seed_for(city.code));
        let (county_numbers, own) = if city.code == ZHUHAI {
            // 香洲 02 and 金湾 04 around 斗门 03.
            let others = city.counties.saturating_sub(1) as usize;
            let numbers: Vec<u32> = (2..).filter(|n| *n != DOUMEN_COUNTY).take(others).collect();
            (
                numbers,
                city.villages.saturating_sub(district::VILLAGES as u32),
            )
        } else {
            ((1..=city.counties).collect(), city.villages)
        };
        let shares = split(&mut rng, own, county_numbers.len(), PER_TOWN);
        let mut county_stems = HashSet::new();
        for (k, (number, villages)) in county_numbers.iter().zip(shares).enumerate() {
            let county6 = format!("{}{number:02}", city.code);
            let name = if city.counties == 1 {
                format!("{city_short}市辖区")
            } else {
                // Urban cities have districts only; elsewhere the seat is a 区 and the rest mostly 县.
                let district = k == 0 || city.urban_pct >= 40 || rng.gen_bool(0.3);
                let suffix = if district { "区" } else { "县" };
                format!("{}{suffix}", names::stem(&mut rng, &mut county_stems))
            };
            add_place(
                store,
                &actor,
                Some(city_id),
                &format!("{county6}000000"),
                &name,
                now,
            )
            .await?;
            sum.places += 1;
            let mut crng = ChaCha8Rng::seed_from_u64(seed_for(&county6));
            // At most 99 街道 and 100 镇 fit the town part of the code.
            let towns = villages.div_ceil(PER_TOWN).clamp(1, 150) as usize;
            let streets = (towns * city.urban_pct as usize)
                .div_ceil(100)
                .min(99)
                .max(towns.saturating_sub(100));
            let town_shares = split(&mut crng, villages, towns, 3);
            let mut town_stems = HashSet::new();
            for (t, n) in town_shares.into_iter().enumerate() {
                let street = t < streets;
                let number = if street { t + 1 } else { 100 + t - streets };
                let stem = names::stem(&mut crng, &mut town_stems);
                let plan = TownPlan {
                    code: format!("{county6}{number:03}"),
                    name: format!("{stem}{}", if street { "街道" } else { "镇" }),
                    street,
                    villages: n,
                    city_short,
                    county6: &county6,
                };
                let c = write_town(store, &actor, &plan, now).await?;
                sum.places += c.places;
                sum.villages += c.villages;
                sum.grids += c.grids;
                sum.orgs += c.orgs;
                sum.units += c.units;
                done += c.villages;
                progress(&format!(
                    "城市 {}/{}，村居 {}/{}",
                    ci + 1,
                    chosen.len(),
                    thousands(done),
                    thousands(total)
                ));
            }
        }
    }
    progress("重算汇总……");
    store.rollup_rebuild().await?;
    Ok(sum)
}

/// One town in one transaction: its places, units and organisations, and one audit entry.
async fn write_town(
    store: &Store,
    actor: &Actor,
    plan: &TownPlan<'_>,
    now: i64,
) -> Result<BulkCounts, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed_for(&plan.code));
    let town_code = format!("{}000", plan.code);
    let mut places = vec![BulkPlace {
        code: town_code.clone(),
        name: plan.name.clone(),
    }];
    // 街道: communities only; 镇: a few communities, the rest villages.
    let communities = if plan.street {
        plan.villages
    } else {
        rng.gen_range(0..=3u32).min(plan.villages.saturating_sub(1))
    };
    let mut used = HashSet::new();
    let mut villages: Vec<(String, String)> = Vec::with_capacity(plan.villages as usize);
    for i in 0..plan.villages {
        let (code, name) = if i < communities {
            (
                format!("{}{:03}", plan.code, i + 1),
                format!("{}社区", names::stem(&mut rng, &mut used)),
            )
        } else {
            (
                format!("{}{:03}", plan.code, 201 + i - communities),
                format!("{}村", names::stem(&mut rng, &mut used)),
            )
        };
        places.push(BulkPlace {
            code: code.clone(),
            name: name.clone(),
        });
        for g in 1..=rng.gen_range(2..=4u32) {
            places.push(BulkPlace {
                code: format!("{code}{g:03}"),
                name: format!("{name}第{}网格", zh_num(g)),
            });
        }
        villages.push((code, name));
    }
    let mut bulk = store.bulk().await?;
    bulk.places(&places, now).await?;
    drop(places);

    // 两新 units: 2–6 per town, at the town or one of its 村居.
    let mut units = Vec::new();
    let mut unit_names = HashSet::new();
    let mut stems = HashSet::new();
    for _ in 0..rng.gen_range(2..=6) {
        let (place_code, place_name) = if villages.is_empty() || rng.gen_bool(0.3) {
            (&town_code, &plan.name)
        } else {
            let (c, n) = &villages[rng.gen_range(0..villages.len())];
            (c, n)
        };
        let enterprise = rng.gen_bool(0.7);
        let above_size = enterprise && rng.gen_bool(0.3);
        let staff: i64 = if above_size {
            rng.gen_range(120..=1500)
        } else {
            rng.gen_range(3..=110)
        };
        let name = names::unit_name(
            &mut rng,
            enterprise,
            plan.city_short,
            place_name,
            &mut stems,
            &mut unit_names,
        );
        let prefix = if enterprise { "91" } else { "51" };
        units.push(BulkUnit {
            place_code: place_code.clone(),
            name,
            kind: if enterprise {
                "enterprise"
            } else {
                "social_org"
            }
            .to_string(),
            credit_code: Some(names::credit_code(&mut rng, prefix, plan.county6)),
            above_size,
            staff,
        });
    }
    let unit_ids = bulk.units(&units, now).await?;

    let committee = if plan.street {
        format!("中共{}工作委员会", plan.name)
    } else {
        format!("中共{}委员会", plan.name)
    };
    let mut orgs = vec![BulkOrg {
        parent: OrgParent::Root,
        place_code: town_code.clone(),
        name: committee,
        kind: OrgKind::Committee,
        unit_ids: vec![],
    }];
    for (code, name) in &villages {
        let roll = rng.gen_range(0..100);
        let (kind, org_name) = match roll {
            0..5 => (OrgKind::Committee, format!("中共{name}委员会")),
            5..25 => (OrgKind::GeneralBranch, format!("{name}党总支")),
            _ => (OrgKind::Branch, format!("{name}党支部")),
        };
        let row = orgs.len();
        orgs.push(BulkOrg {
            parent: OrgParent::Row(0),
            place_code: code.clone(),
            name: org_name,
            kind,
            unit_ids: vec![],
        });
        if kind != OrgKind::Branch {
            for s in 1..=rng.gen_range(2..=3u32) {
                orgs.push(BulkOrg {
                    parent: OrgParent::Row(row),
                    place_code: code.clone(),
                    name: format!("{name}第{}党支部", zh_num(s)),
                    kind: OrgKind::Branch,
                    unit_ids: vec![],
                });
            }
        }
    }
    let mut pool = Vec::new();
    for (u, id) in units.iter().zip(&unit_ids) {
        if !rng.gen_bool(if u.above_size { 0.94 } else { 0.55 }) {
            continue;
        }
        if u.staff >= 30 {
            orgs.push(BulkOrg {
                parent: OrgParent::Row(0),
                place_code: u.place_code.clone(),
                name: format!("{}党支部", u.name),
                kind: OrgKind::Branch,
                unit_ids: vec![*id],
            });
        } else {
            pool.push(*id);
        }
    }
    if pool.len() >= 2 {
        orgs.push(BulkOrg {
            parent: OrgParent::Row(0),
            place_code: town_code.clone(),
            name: format!("{}联合党支部", plan.name),
            kind: OrgKind::JointBranch,
            unit_ids: pool,
        });
    }
    bulk.orgs(&orgs, now).await?;
    bulk.finish(actor, &town_code, now).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_province_has_26000_villages_in_21_cities() {
        let n: u32 = CITIES.iter().map(|c| c.villages).sum();
        assert_eq!(n, 26_000);
        assert_eq!(CITIES.len(), 21);
        let codes: HashSet<&str> = CITIES.iter().map(|c| c.code).collect();
        assert_eq!(codes.len(), 21);
    }

    #[test]
    fn split_is_exact_and_respects_the_minimum() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for (total, parts) in [(2700u32, 11usize), (201, 2), (5, 3), (600, 1), (17, 1)] {
            let s = split(&mut rng, total, parts, 3);
            assert_eq!(s.iter().sum::<u32>(), total);
            assert_eq!(s.len(), parts);
            if total >= 3 * parts as u32 {
                assert!(s.iter().all(|x| *x >= 3), "{s:?}");
            }
        }
    }
}
