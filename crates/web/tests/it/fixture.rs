//! The data the tests run on: either the realistic demo district (`World::demo`, ~1 s on SQLite,
//! ~3 s on PostgreSQL in debug) or a small tree with the same codes and the same demo accounts
//! (`World::small`, a few dozen writes). Both add the same named records at the places the scope
//! tests compare, so a test can switch between them freely.

use crate::harness::App;
use jiceng_demo::demo_accounts;
use jiceng_store::orgs::NewOrg;
use jiceng_store::places::NewPlace;
use jiceng_store::units::UnitInput;
use jiceng_store::users::NewUser;
use jiceng_store::{Actor, Scope, Store};

pub const COUNTY: &str = "440403000000";
pub const TOWN: &str = "440403105000";
pub const OTHER_TOWN: &str = "440403106000";
pub const VILLAGE: &str = "440403105201";
pub const SIBLING: &str = "440403105202";
pub const OTHER_VILLAGE: &str = "440403106201";
pub const GRID: &str = "440403105201001";

/// Ids of the records the tests talk about. "Own" records sit in 乾务镇 (乾西村 for the village
/// account), "sibling" ones in another village of 乾务镇, "other" ones in 白蕉镇.
#[derive(Debug, Clone)]
pub struct World {
    pub county: i64,
    pub town: i64,
    pub other_town: i64,
    pub village: i64,
    pub sibling: i64,
    pub other_village: i64,
    pub grid: i64,
    pub org: i64,
    pub sibling_org: i64,
    pub other_org: i64,
    pub unit: i64,
    pub sibling_unit: i64,
    pub other_unit: i64,
    /// village_committee (乾西村).
    pub user: i64,
    pub sibling_user: i64,
    pub other_user: i64,
}

fn actor() -> Actor {
    Actor::cli("fixture")
}

pub async fn place(store: &Store, parent: Option<i64>, code: &str, name: &str) -> i64 {
    let new = NewPlace {
        parent_id: parent,
        code: code.into(),
        name: name.into(),
    };
    store
        .create_place(&actor(), &Scope::All, new, crate::T0)
        .await
        .unwrap()
        .id
}

pub async fn org(store: &Store, parent: Option<i64>, place_id: i64, name: &str, kind: &str) -> i64 {
    let new = NewOrg {
        parent_id: parent,
        place_id,
        name: name.into(),
        kind: kind.into(),
        unit_ids: vec![],
    };
    store
        .create_org(&actor(), &Scope::All, new, crate::T0)
        .await
        .unwrap()
        .id
}

pub async fn unit(store: &Store, place_id: i64, name: &str) -> i64 {
    let input = UnitInput {
        place_id,
        name: name.into(),
        kind: "enterprise".into(),
        credit_code: None,
        above_size: false,
        staff: 12,
    };
    store
        .create_unit(&actor(), &Scope::All, input, crate::T0)
        .await
        .unwrap()
        .id
}

pub async fn user(store: &Store, username: &str, display: &str, role: &str, place_id: i64) -> i64 {
    let new = NewUser {
        username: username.into(),
        display_name: display.into(),
        password: crate::session::PASSWORD.into(),
        role: role.into(),
        place_id,
    };
    store
        .create_user(&actor(), &Scope::All, new, crate::T0)
        .await
        .unwrap()
        .id
}

async fn id_of(store: &Store, code: &str) -> i64 {
    store.place_by_code(&Scope::All, code).await.unwrap().id
}

impl World {
    /// The demo district of crates/demo, plus the named records below.
    pub async fn demo(app: &App) -> World {
        jiceng_demo::generate_district(&app.store, crate::T0, &mut |_| {})
            .await
            .unwrap();
        Self::finish(&app.store).await
    }

    /// 斗门区 with 乾务镇 (乾西村, 乾东村, a grid) and 白蕉镇 (白蕉某村), their committees, and the
    /// demo accounts bound where the demo binds them.
    pub async fn small(app: &App) -> World {
        let s = &app.store;
        let county = place(s, None, COUNTY, "斗门区").await;
        let town = place(s, Some(county), TOWN, "乾务镇").await;
        let other_town = place(s, Some(county), OTHER_TOWN, "白蕉镇").await;
        let village = place(s, Some(town), VILLAGE, "乾西村").await;
        place(s, Some(village), GRID, "乾西村第一网格").await;
        let sibling = place(s, Some(town), SIBLING, "乾东村").await;
        place(s, Some(sibling), "440403105202001", "乾东村第一网格").await;
        let other = place(s, Some(other_town), OTHER_VILLAGE, "白蕉某村").await;
        place(s, Some(other), "440403106201001", "白蕉某村第一网格").await;
        org(s, None, town, "中共乾务镇委员会", "committee").await;
        org(s, None, other_town, "中共白蕉镇委员会", "committee").await;
        for a in demo_accounts() {
            let place_id = id_of(s, &a.place_code).await;
            let display = format!("{}（演示）", a.role.zh());
            user(s, &a.username, &display, a.role.as_str(), place_id).await;
        }
        Self::finish(s).await
    }

    async fn finish(s: &Store) -> World {
        let village = id_of(s, VILLAGE).await;
        let sibling = id_of(s, SIBLING).await;
        let other_village = id_of(s, OTHER_VILLAGE).await;
        World {
            county: id_of(s, COUNTY).await,
            town: id_of(s, TOWN).await,
            other_town: id_of(s, OTHER_TOWN).await,
            village,
            sibling,
            other_village,
            grid: id_of(s, GRID).await,
            org: org(s, None, village, "乾西村测试党支部", "branch").await,
            sibling_org: org(s, None, sibling, "邻村测试党支部", "branch").await,
            other_org: org(s, None, other_village, "白蕉测试党支部", "branch").await,
            unit: unit(s, village, "乾西测试五金厂").await,
            sibling_unit: unit(s, sibling, "邻村测试制衣厂").await,
            other_unit: unit(s, other_village, "白蕉测试电子厂").await,
            user: s
                .user_by_name("village_committee")
                .await
                .unwrap()
                .unwrap()
                .id,
            sibling_user: user(
                s,
                "sibling_vc",
                "邻村村委（测试）",
                "village_committee",
                sibling,
            )
            .await,
            other_user: user(
                s,
                "baijiao_vc",
                "白蕉村委（测试）",
                "village_committee",
                other_village,
            )
            .await,
        }
    }
}
