//! Deterministic demo data: the Doumen-like district (斗门区 with its six towns and 129 村居) for
//! `jiceng demo`, and a Guangdong-sized province for benchmarks. A fixed seed gives the same data on
//! every run and on both backends.

mod accounts;
mod district;
mod flows;
mod households;
mod life;
mod members;
mod names;
mod province;
mod province_copy;
mod province_members;
mod province_texts;
mod province_voice;
mod recruitment;
mod services;
mod studios;
mod teams;
mod transfers;
mod village;
mod voice;

pub use accounts::{DEMO_PASSWORD, DemoAccount, demo_accounts};
pub use flows::{XGZ_HOSTED, XGZ_REGISTERED, generate_flows};
pub use households::{HouseholdSummary, XIQIAO_RATE, generate_households};
pub use life::{LifeSummary, OBSERVED_TOWN, generate_life};
pub use members::{TARGET_MEMBERS, generate_members};
pub use province_members::{MEMBERS_PER_VILLAGE, PROVINCE_MEMBERS};
pub use province_voice::{VoiceSize, VoiceTotals, generate_province_voice};
pub use recruitment::{Stage, generate_recruitment};
pub use services::{CATALOGUE, ServiceSummary, generate_services};
pub use studios::{STUDIOS, StudioSummary, generate_studios};
pub use teams::{TEAMS, TeamSummary, generate_teams};
pub use transfers::generate_transfers;
pub use village::{VillageSummary, generate_village_governance};
pub use voice::{VoiceSummary, generate_voice};

use jiceng_store::{Store, StoreError};

/// What a generator wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every place, grids included.
    pub places: u64,
    /// Village-level places (村 and 社区).
    pub villages: u64,
    pub grids: u64,
    pub orgs: u64,
    pub units: u64,
    pub accounts: u64,
    /// Members written (the province only; the district's register is `generate_members`).
    pub members: u64,
}

impl Summary {
    fn add(&mut self, o: &Summary) {
        self.places += o.places;
        self.villages += o.villages;
        self.grids += o.grids;
        self.orgs += o.orgs;
        self.units += o.units;
        self.accounts += o.accounts;
        self.members += o.members;
    }
}

/// Number of cities `generate_province` writes.
pub const PROVINCE_CITIES: usize = 21;

/// How much of the province to generate: the first `cities` cities (in code order; 珠海市 is
/// always created to hold Doumen) and members per 村居 on average.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProvinceSize {
    pub cities: usize,
    pub members_per_village: u32,
}

impl ProvinceSize {
    /// Guangdong: 21 cities, ~26,000 村居, ~4.5 million members.
    pub const FULL: ProvinceSize = ProvinceSize {
        cities: PROVINCE_CITIES,
        members_per_village: MEMBERS_PER_VILLAGE,
    };
}

/// Demo data goes into a fresh database only: mixing it with real records would corrupt both.
async fn ensure_empty(store: &Store) -> Result<(), StoreError> {
    let n: i64 =
        sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM places) + (SELECT COUNT(*) FROM users)")
            .fetch_one(&store.writer)
            .await?;
    if n > 0 {
        return Err(StoreError::rule(
            "demo.store_not_empty",
            "演示数据只能写入空数据库",
            "demo data can only be written to an empty database",
        ));
    }
    Ok(())
}

/// Creates the Doumen-like district in an EMPTY, migrated store: 斗门区 440403000000 (the root) with
/// 白藤街道, 莲洲镇, 斗门镇, 乾务镇, 白蕉镇 and 井岸镇 (real codes), 129 村居 (乾务镇乾西村
/// 440403105201 among them) with 2–5 grids each, a 基层党委 per town with the village organisations,
/// branches and 党小组 below it, ~150 两新 units (own branches and 联合党支部), and the demo accounts.
/// Every record goes through the store's normal API (own transaction, audit entry, roll-ups).
pub async fn generate_district(
    store: &Store,
    now_ms: i64,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Summary, StoreError> {
    ensure_empty(store).await?;
    district::generate(store, None, now_ms, progress).await
}

/// ~26,000 村居 in Guangdong's 21 cities (广东省 440000000000 at the root) with ~4.5 million
/// members, for benchmarks; the Doumen district sits in it under 珠海市 with its demo accounts.
/// Streams one town per transaction (one audit entry each), reports progress after every town,
/// and rebuilds the roll-ups; then imports each town's register (one import per town).
pub async fn generate_province(
    store: &Store,
    now_ms: i64,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Summary, StoreError> {
    generate_province_sized(store, now_ms, ProvinceSize::FULL, progress).await
}

/// `generate_province` at a given size. Tests use 1 or 2 cities and a few members per 村居.
pub async fn generate_province_sized(
    store: &Store,
    now_ms: i64,
    size: ProvinceSize,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Summary, StoreError> {
    ensure_empty(store).await?;
    let mut sum = province::generate(store, now_ms, size.cities, progress).await?;
    sum.members =
        province_members::generate(store, now_ms, size.members_per_village, progress).await?;
    progress(&format!(
        "完成：{} 个地点，{} 个村居，{} 个网格，{} 个党组织，{} 个单位，{} 名党员",
        names::thousands(sum.places),
        names::thousands(sum.villages),
        names::thousands(sum.grids),
        names::thousands(sum.orgs),
        names::thousands(sum.units),
        names::thousands(sum.members)
    ));
    Ok(sum)
}
