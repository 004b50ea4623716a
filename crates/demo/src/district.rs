//! The Doumen-like district: 斗门区 with its six real towns, 129 村居 and their grids, the Party
//! organisations, about 150 两新 units and the demo accounts. Written record by record through the
//! store's normal API, so every record has its own audit entry and roll-up deltas.

use crate::Summary;
use crate::accounts::{self, COUNTY_CODE, GRID_CODE, TOWN_CODE, VILLAGE_CODE};
use crate::names::{self, zh_num};
use jiceng_domain::OrgKind;
use jiceng_store::orgs::NewOrg;
use jiceng_store::places::NewPlace;
use jiceng_store::units::UnitInput;
use jiceng_store::{Actor, Scope, Store, StoreError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, HashSet};

/// Fixed seed: the district is the same on every run and on both backends.
const SEED: u64 = 0x4a49_4345_4e47_0403;

/// Units per town: 6 × 25 = 150 两新 organisations.
const UNITS_PER_TOWN: u32 = 25;

/// Enterprises above designated size per town (50 in all).
const ABOVE_SIZE: [u32; 6] = [9, 8, 8, 8, 8, 9];

/// When an above-size enterprise got its Party organisation (seed, Doumen: coverage rose from 68%
/// to 94%): 34 of the 50 before the record starts (2016), 13 between 2017 and mid-2021, 3 never.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Covered {
    Since(String),
    Never,
}

fn above_size_history(rng: &mut ChaCha8Rng) -> Vec<Covered> {
    use rand::seq::SliceRandom;
    let mut v: Vec<Covered> = Vec::with_capacity(50);
    for _ in 0..34 {
        v.push(Covered::Since(date_between(rng, 2005, 2015)));
    }
    for _ in 0..13 {
        v.push(Covered::Since(date_between(rng, 2017, 2020)));
    }
    v.extend([Covered::Never, Covered::Never, Covered::Never]);
    v.shuffle(rng);
    v
}

/// A day between the start of `from` and the end of `to` (days 1–28, so every month has it).
fn date_between(rng: &mut ChaCha8Rng, from: i32, to: i32) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        rng.gen_range(from..=to),
        rng.gen_range(1..=12),
        rng.gen_range(1..=28)
    )
}

struct TownSpec {
    /// The 9-digit town code (real codes, DOMAIN.md).
    code: &'static str,
    name: &'static str,
    communities: u32,
    villages: u32,
}

/// 129 村居 in all: 白藤街道 mostly communities, the towns mostly villages.
const TOWNS: [TownSpec; 6] = [
    TownSpec {
        code: "440403001",
        name: "白藤街道",
        communities: 11,
        villages: 2,
    },
    TownSpec {
        code: "440403100",
        name: "莲洲镇",
        communities: 2,
        villages: 24,
    },
    TownSpec {
        code: "440403103",
        name: "斗门镇",
        communities: 2,
        villages: 18,
    },
    TownSpec {
        code: "440403105",
        name: "乾务镇",
        communities: 2,
        villages: 15,
    },
    TownSpec {
        code: "440403106",
        name: "白蕉镇",
        communities: 3,
        villages: 26,
    },
    TownSpec {
        code: "440403107",
        name: "井岸镇",
        communities: 6,
        villages: 18,
    },
];

/// The number of 村居 the district has (seed figure).
pub const VILLAGES: u64 = 129;

struct Village {
    id: i64,
    code: String,
    name: String,
}

struct Town {
    index: usize,
    id: i64,
    name: String,
    street: bool,
    committee: i64,
    villages: Vec<Village>,
}

struct Ctx<'a> {
    store: &'a Store,
    actor: Actor,
    now: i64,
    sum: Summary,
    above_history: Vec<Covered>,
    above_seen: usize,
}

impl Ctx<'_> {
    async fn place(
        &mut self,
        parent: Option<i64>,
        code: &str,
        name: &str,
    ) -> Result<i64, StoreError> {
        let p = self
            .store
            .create_place(
                &self.actor,
                &Scope::All,
                NewPlace {
                    parent_id: parent,
                    code: code.to_string(),
                    name: name.to_string(),
                },
                self.now,
            )
            .await?;
        self.sum.places += 1;
        match p.kind().map(|k| k.level()) {
            Some(4) => self.sum.villages += 1,
            Some(5) => self.sum.grids += 1,
            _ => {}
        }
        Ok(p.id)
    }

    /// A town's, village's or community's organisation: founded long before jiceng (what the
    /// years of 三会一课 are judged from), on a day taken from its name so that the random
    /// sequence of the generator stays as it was.
    async fn org(
        &mut self,
        parent: Option<i64>,
        place_id: i64,
        name: String,
        kind: OrgKind,
        unit_ids: Vec<i64>,
    ) -> Result<i64, StoreError> {
        let founded = founded_from_name(&name);
        self.org_founded(parent, place_id, name, kind, unit_ids, Some(founded))
            .await
    }

    async fn org_founded(
        &mut self,
        parent: Option<i64>,
        place_id: i64,
        name: String,
        kind: OrgKind,
        unit_ids: Vec<i64>,
        founded_on: Option<String>,
    ) -> Result<i64, StoreError> {
        let o = self
            .store
            .create_org(
                &self.actor,
                &Scope::All,
                NewOrg {
                    parent_id: parent,
                    place_id,
                    name,
                    kind: kind.as_str().to_string(),
                    unit_ids,
                    founded_on,
                },
                self.now,
            )
            .await?;
        self.sum.orgs += 1;
        Ok(o.id)
    }

    /// `n` 党小组 under a branch.
    async fn groups(
        &mut self,
        branch: i64,
        branch_name: &str,
        place_id: i64,
        n: u32,
    ) -> Result<(), StoreError> {
        for k in 1..=n {
            let name = format!("{branch_name}第{}党小组", zh_num(k));
            self.org(Some(branch), place_id, name, OrgKind::Group, vec![])
                .await?;
        }
        Ok(())
    }
}

/// A day from 1950 to 2009, the same for the same name (FNV-1a of its bytes).
fn founded_from_name(name: &str) -> String {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(
        "{}-{:02}-{:02}",
        1950 + h % 60,
        (h / 60) % 12 + 1,
        (h / 720) % 28 + 1
    )
}

/// Writes the district under `parent` (None: 斗门区 is the root; Some: under 珠海市 in the province).
pub(crate) async fn generate(
    store: &Store,
    parent: Option<i64>,
    now: i64,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Summary, StoreError> {
    let mut cx = Ctx {
        store,
        actor: Actor::cli("demo"),
        now,
        sum: Summary::default(),
        above_history: Vec::new(),
        above_seen: 0,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    // Codes the demo accounts are bound to.
    let mut bound: HashMap<String, i64> = HashMap::new();
    let county = cx.place(parent, COUNTY_CODE, "斗门区").await?;
    bound.insert(COUNTY_CODE.to_string(), county);

    let mut used: HashSet<String> = HashSet::from(["乾西".to_string()]);
    let mut towns = Vec::with_capacity(TOWNS.len());
    for (index, spec) in TOWNS.iter().enumerate() {
        let town_code = format!("{}000", spec.code);
        let town_id = cx.place(Some(county), &town_code, spec.name).await?;
        if town_code == TOWN_CODE {
            bound.insert(town_code.clone(), town_id);
        }
        let grids_before = cx.sum.grids;
        let mut villages = Vec::new();
        for i in 0..spec.communities + spec.villages {
            let (code, name) = if i < spec.communities {
                (
                    format!("{}{:03}", spec.code, i + 1),
                    format!("{}社区", names::stem(&mut rng, &mut used)),
                )
            } else {
                let code = format!("{}{:03}", spec.code, 201 + i - spec.communities);
                let name = if code == VILLAGE_CODE {
                    "乾西村".to_string()
                } else {
                    format!("{}村", names::stem(&mut rng, &mut used))
                };
                (code, name)
            };
            let id = cx.place(Some(town_id), &code, &name).await?;
            if code == VILLAGE_CODE {
                bound.insert(code.clone(), id);
            }
            for g in 1..=rng.gen_range(2..=5u32) {
                let grid_code = format!("{code}{g:03}");
                let grid = cx
                    .place(Some(id), &grid_code, &format!("{name}第{}网格", zh_num(g)))
                    .await?;
                if grid_code == GRID_CODE {
                    bound.insert(grid_code, grid);
                }
            }
            villages.push(Village { id, code, name });
        }
        progress(&format!(
            "{}：{} 个村居，{} 个网格",
            spec.name,
            villages.len(),
            cx.sum.grids - grids_before
        ));
        towns.push(Town {
            index,
            id: town_id,
            name: spec.name.to_string(),
            // Town part 001–099 is a 街道.
            street: spec.code.as_bytes().get(6) == Some(&b'0'),
            committee: 0,
            villages,
        });
    }

    for town in &mut towns {
        town.committee = town_orgs(&mut cx, &mut rng, town).await?;
    }
    progress(&format!("党组织：{} 个", cx.sum.orgs));

    let mut unit_names = HashSet::new();
    let mut stems = HashSet::new();
    cx.above_history = above_size_history(&mut rng);
    for town in &towns {
        town_units(&mut cx, &mut rng, town, &mut unit_names, &mut stems).await?;
    }
    progress(&format!(
        "两新组织：{} 个单位，党组织共 {} 个",
        cx.sum.units, cx.sum.orgs
    ));

    cx.sum.accounts = accounts::create(store, &cx.actor, &bound, now).await?;
    progress(&format!("演示账号：{} 个", cx.sum.accounts));
    Ok(cx.sum)
}

/// The town's 基层党委 and, under it, one organisation per 村居 (sized at random: a few have a
/// committee, some a general branch, most a branch), with branches and 党小组 below. Returns the
/// committee's id.
async fn town_orgs(cx: &mut Ctx<'_>, rng: &mut ChaCha8Rng, town: &Town) -> Result<i64, StoreError> {
    let name = if town.street {
        format!("中共{}工作委员会", town.name)
    } else {
        format!("中共{}委员会", town.name)
    };
    let committee = cx
        .org(None, town.id, name, OrgKind::Committee, vec![])
        .await?;
    for v in &town.villages {
        let roll: f64 = rng.gen_range(0.0..1.0);
        // 乾西村 gets the deepest tree, so the demo accounts see every level.
        let kind = if v.code == VILLAGE_CODE || roll < 0.12 {
            OrgKind::Committee
        } else if roll < 0.42 {
            OrgKind::GeneralBranch
        } else {
            OrgKind::Branch
        };
        let name = match kind {
            OrgKind::Committee => format!("中共{}委员会", v.name),
            OrgKind::GeneralBranch => format!("{}党总支", v.name),
            _ => format!("{}党支部", v.name),
        };
        let org = cx
            .org(Some(committee), v.id, name.clone(), kind, vec![])
            .await?;
        if kind == OrgKind::Branch {
            let n = if rng.gen_bool(0.6) {
                rng.gen_range(1..=3)
            } else {
                0
            };
            cx.groups(org, &name, v.id, n).await?;
            continue;
        }
        let subs = if kind == OrgKind::Committee {
            rng.gen_range(3..=4)
        } else {
            rng.gen_range(2..=3)
        };
        for s in 1..=subs {
            let branch_name = format!("{}第{}党支部", v.name, zh_num(s));
            let branch = cx
                .org(
                    Some(org),
                    v.id,
                    branch_name.clone(),
                    OrgKind::Branch,
                    vec![],
                )
                .await?;
            let n = rng.gen_range(0..=2);
            cx.groups(branch, &branch_name, v.id, n).await?;
        }
    }
    Ok(committee)
}

/// The town's 两新 units, at the town or one of its 村居. Most above-size enterprises (seed: 94%) and
/// about half the others are covered: by their own branch when big enough, otherwise by a 联合党支部
/// of 2–5 units.
async fn town_units(
    cx: &mut Ctx<'_>,
    rng: &mut ChaCha8Rng,
    town: &Town,
    unit_names: &mut HashSet<String>,
    stems: &mut HashSet<String>,
) -> Result<(), StoreError> {
    let mut pool = Vec::new();
    for i in 0..UNITS_PER_TOWN {
        let (place_id, place_name) = if town.villages.is_empty() || rng.gen_bool(0.3) {
            (town.id, town.name.as_str())
        } else {
            let v = &town.villages[rng.gen_range(0..town.villages.len())];
            (v.id, v.name.as_str())
        };
        // The first few units of each town are the enterprises above designated size: 50 in the
        // district, so the seed's shares (68% and 94%) come out exact.
        let above_here = i < ABOVE_SIZE[town.index];
        let enterprise = above_here || rng.gen_bool(0.6);
        let (kind, above_size, staff, prefix) = if enterprise {
            let above = above_here;
            let staff = if above {
                rng.gen_range(120..=1500)
            } else {
                rng.gen_range(5..=110)
            };
            ("enterprise", above, staff, "91")
        } else {
            let prefix = if rng.gen_bool(0.5) { "51" } else { "52" };
            ("social_org", false, rng.gen_range(3..=60), prefix)
        };
        let name = names::unit_name(rng, enterprise, "珠海", place_name, stems, unit_names);
        let credit_code = rng
            .gen_bool(0.85)
            .then(|| names::credit_code(rng, prefix, "440403"));
        let unit = cx
            .store
            .create_unit(
                &cx.actor,
                &Scope::All,
                UnitInput {
                    place_id,
                    name: name.clone(),
                    kind: kind.to_string(),
                    credit_code,
                    above_size,
                    staff,
                    // Founded before any Party organisation of theirs (2005 on, see above).
                    founded_on: Some(if above_size {
                        date_between(rng, 2000, 2004)
                    } else {
                        date_between(rng, 2000, 2011)
                    }),
                },
                cx.now,
            )
            .await?;
        cx.sum.units += 1;
        let history = if above_size {
            let h = cx.above_history.get(cx.above_seen).cloned();
            cx.above_seen += 1;
            h.unwrap_or(Covered::Never)
        } else if rng.gen_bool(0.55) {
            Covered::Since(date_between(rng, 2012, 2024))
        } else {
            Covered::Never
        };
        let covered = !matches!(history, Covered::Never);
        if covered && staff >= 30 {
            let branch = format!("{name}党支部");
            let founded = match history {
                Covered::Since(d) => Some(d),
                Covered::Never => None,
            };
            cx.org_founded(
                Some(town.committee),
                place_id,
                branch,
                OrgKind::Branch,
                vec![unit.id],
                founded,
            )
            .await?;
        } else if covered {
            pool.push(unit.id);
        }
    }
    let mut k = 1;
    // A single leftover unit stays uncovered: a joint branch needs company.
    while pool.len() >= 2 {
        let take = rng.gen_range(2..=5usize).min(pool.len());
        let unit_ids: Vec<i64> = pool.drain(..take).collect();
        let name = format!("{}第{}联合党支部", town.name, zh_num(k));
        let founded = date_between(rng, 2012, 2024);
        cx.org_founded(
            Some(town.committee),
            town.id,
            name,
            OrgKind::JointBranch,
            unit_ids,
            Some(founded),
        )
        .await?;
        k += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_towns_hold_129_villages() {
        let n: u32 = super::TOWNS
            .iter()
            .map(|t| t.communities + t.villages)
            .sum();
        assert_eq!(u64::from(n), super::VILLAGES);
    }
}
