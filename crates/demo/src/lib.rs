//! Deterministic demo data: the Doumen-like district (斗门区 with its six towns and 129 村居) for
//! `jiceng demo`, and a Guangdong-sized province for benchmarks. A fixed seed gives the same data on
//! every run and on both backends.

mod accounts;
mod district;
mod flows;
mod members;
mod names;
mod province;

pub use accounts::{DEMO_PASSWORD, DemoAccount, demo_accounts};
pub use flows::{XGZ_HOSTED, XGZ_REGISTERED, generate_flows};
pub use members::{TARGET_MEMBERS, generate_members};

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
}

impl Summary {
    fn add(&mut self, o: &Summary) {
        self.places += o.places;
        self.villages += o.villages;
        self.grids += o.grids;
        self.orgs += o.orgs;
        self.units += o.units;
        self.accounts += o.accounts;
    }
}

/// Number of cities `generate_province` writes.
pub const PROVINCE_CITIES: usize = 21;

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

/// ~26,000 村居 in Guangdong's 21 cities (广东省 440000000000 at the root), for benchmarks; the Doumen
/// district sits in it under 珠海市 with its demo accounts. Streams one town per transaction (one
/// audit entry each), reports progress after every town, and rebuilds the roll-ups at the end.
pub async fn generate_province(
    store: &Store,
    now_ms: i64,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Summary, StoreError> {
    generate_province_sized(store, now_ms, PROVINCE_CITIES, progress).await
}

/// `generate_province` limited to the first `cities` cities (in code order; 珠海市 is always created
/// to hold Doumen). Tests use 1 or 2; the full size is `PROVINCE_CITIES`.
pub async fn generate_province_sized(
    store: &Store,
    now_ms: i64,
    cities: usize,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Summary, StoreError> {
    ensure_empty(store).await?;
    province::generate(store, now_ms, cities, progress).await
}
