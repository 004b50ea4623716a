//! The data the tests run on: either the realistic demo district (`World::demo`, ~1 s on SQLite,
//! ~3 s on PostgreSQL in debug) or a small tree with the same codes and the same demo accounts
//! (`World::small`, a few dozen writes). Both add the same named records at the places the scope
//! tests compare, so a test can switch between them freely. Each also gets three members (张三 in
//! 乾西村, 李四 in 乾东村, 王五 in 白蕉某村), each in an organisation of its own that no test closes.

use crate::harness::App;
use jiceng_demo::demo_accounts;
use jiceng_store::members::MemberInput;
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
    /// The member register: an organisation per village, one member in each.
    pub member_org: i64,
    pub sibling_member_org: i64,
    pub other_member_org: i64,
    /// 张三 (乾西村), 李四 (乾东村), 王五 (白蕉某村).
    pub member: i64,
    pub sibling_member: i64,
    pub other_member: i64,
}

/// A person for the member register, with the personal data that must stay sealed.
#[derive(Debug, Clone, Copy)]
pub struct Person {
    pub name: &'static str,
    /// The first 17 digits of the ID number; `id_number` adds the check digit.
    pub id17: &'static str,
    pub phone: &'static str,
    pub address: &'static str,
}

pub const ZHANG_SAN: Person = Person {
    name: "张三",
    id17: "44040319900115003",
    phone: "13800135678",
    address: "广东省珠海市斗门区乾务镇乾西村幸福路12号",
};
pub const LI_SI: Person = Person {
    name: "李四",
    id17: "44040319850612004",
    phone: "13912340021",
    address: "广东省珠海市斗门区乾务镇乾东村团结街3号",
};
pub const WANG_WU: Person = Person {
    name: "王五",
    id17: "44040319780301005",
    phone: "13698760033",
    address: "广东省珠海市斗门区白蕉镇白蕉某村和平巷8号",
};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

fn check_digit(first17: &str) -> char {
    assert!(first17.len() == 17 && first17.bytes().all(|b| b.is_ascii_digit()));
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    char::from(b"10X98765432"[(sum % 11) as usize])
}

/// A valid GB 11643 ID number: the 17 digits and their check digit.
pub fn citizen_id(first17: &str) -> String {
    format!("{first17}{}", check_digit(first17))
}

/// The same 17 digits with a wrong check digit.
pub fn wrong_check(first17: &str) -> String {
    let right = check_digit(first17);
    let wrong = if right == '0' { '1' } else { '0' };
    format!("{first17}{wrong}")
}

impl Person {
    pub fn id_number(&self) -> String {
        citizen_id(self.id17)
    }
    /// `4404**********003X`: the first four and last four characters.
    pub fn id_masked(&self) -> String {
        let id = self.id_number();
        format!("{}**********{}", &id[..4], &id[14..])
    }
    /// `138****5678`.
    pub fn phone_masked(&self) -> String {
        format!("{}****{}", &self.phone[..3], &self.phone[7..])
    }
    /// `广东省珠海市****`: the first six characters.
    pub fn address_masked(&self) -> String {
        let head: String = self.address.chars().take(6).collect();
        format!("{head}****")
    }
    /// What must never be shown outside a reveal: the ID number and the ten digits its mask
    /// hides, the phone number, and the part of the address its mask hides.
    pub fn secrets(&self) -> Vec<String> {
        let id = self.id_number();
        vec![
            id.clone(),
            id[4..14].to_string(),
            self.phone.to_string(),
            self.address.chars().skip(6).collect(),
        ]
    }
    /// A full member of organisation `org_id`.
    pub fn input(&self, org_id: i64) -> MemberInput {
        MemberInput {
            org_id,
            name: self.name.into(),
            id_number: self.id_number(),
            ethnicity: "汉族".into(),
            education: "secondary".into(),
            occupation: "farmer".into(),
            status: "full".into(),
            join_date: Some("2015-07-01".into()),
            full_date: Some("2016-07-01".into()),
            workplace: None,
            phone: Some(self.phone.into()),
            address: Some(self.address.into()),
        }
    }
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
        founded_on: None,
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
        founded_on: None,
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

pub async fn member(store: &Store, who: Person, org_id: i64) -> i64 {
    store
        .create_member(&actor(), &Scope::All, who.input(org_id), crate::T0)
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
        let member_org = org(s, None, village, "乾西村名册测试支部", "branch").await;
        let sibling_member_org = org(s, None, sibling, "乾东村名册测试支部", "branch").await;
        let other_member_org = org(s, None, other_village, "白蕉名册测试支部", "branch").await;
        World {
            member: member(s, ZHANG_SAN, member_org).await,
            sibling_member: member(s, LI_SI, sibling_member_org).await,
            other_member: member(s, WANG_WU, other_member_org).await,
            member_org,
            sibling_member_org,
            other_member_org,
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
