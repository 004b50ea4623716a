//! The demo's service centre (党群服务中心): a district-wide catalogue of 20 items across 党务,
//! 政务, 村务 and 公共服务 (materials and time limits as a Doumen hall would post them), and three
//! months of requests at every village's centre, each through the store's own moves on its own
//! day: most taken at the desk, some filed online and accepted the next working day; a few sent
//! back for materials (the clock paused), a few refused with a reason, a few finished late, and
//! a handful still open past their due date (the overdue list). Deterministic (seeded).

use jiceng_domain::meeting::add_days;
use jiceng_domain::service::{Move, add_working_days};
use jiceng_store::coverage::day_of;
use jiceng_store::services::{ItemInput, NewRequest};
use jiceng_store::{Actor, Scope, Store, StoreError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEED: u64 = 0x6a69_6365_6e67_0025;
/// Days of history.
const DAYS: i64 = 90;
/// Requests per village over those days.
const PER_VILLAGE: usize = 8;

/// (code, group, name, materials, working days, online).
pub const CATALOGUE: &[(&str, &str, &str, &str, i64, bool)] = &[
    (
        "DW01",
        "party",
        "党组织关系转接证明",
        "党员身份证\n组织关系介绍信（转出地开具）",
        5,
        false,
    ),
    (
        "DW02",
        "party",
        "流动党员活动证办理",
        "党员身份证\n近期一寸照片1张\n外出务工证明",
        5,
        true,
    ),
    (
        "DW03",
        "party",
        "入党申请书接收",
        "入党申请书（本人手写）\n身份证复印件",
        0,
        false,
    ),
    ("DW04", "party", "党费收缴及证明", "党员身份证", 0, false),
    (
        "ZW01",
        "gov",
        "居住证明",
        "身份证\n户口簿\n租房合同或房产证明",
        3,
        true,
    ),
    (
        "ZW02",
        "gov",
        "生育登记",
        "夫妻双方身份证\n结婚证\n户口簿",
        1,
        true,
    ),
    (
        "ZW03",
        "gov",
        "灵活就业登记",
        "身份证\n近期一寸照片1张",
        5,
        true,
    ),
    (
        "ZW04",
        "gov",
        "城乡居民医疗保险参保登记",
        "身份证\n户口簿",
        3,
        true,
    ),
    (
        "ZW05",
        "gov",
        "城乡居民养老保险参保登记",
        "身份证\n户口簿\n银行卡",
        5,
        true,
    ),
    (
        "ZW06",
        "gov",
        "最低生活保障申请（低保）",
        "申请书\n户口簿及家庭成员身份证\n收入及财产状况声明\n银行卡",
        20,
        false,
    ),
    (
        "ZW07",
        "gov",
        "残疾人两项补贴申请",
        "残疾人证\n身份证\n户口簿\n银行卡",
        15,
        false,
    ),
    (
        "ZW08",
        "gov",
        "高龄津贴申请",
        "身份证\n户口簿\n银行卡",
        10,
        true,
    ),
    (
        "CW01",
        "village",
        "宅基地申请",
        "建房申请书\n户口簿\n现住房证明\n村民小组意见",
        20,
        false,
    ),
    (
        "CW02",
        "village",
        "村集体经济组织成员身份证明",
        "身份证\n户口簿",
        5,
        true,
    ),
    (
        "CW03",
        "village",
        "土地承包经营权流转备案",
        "流转合同\n双方身份证\n承包经营权证",
        10,
        false,
    ),
    ("CW04", "village", "村务公开资料查阅", "身份证", 2, true),
    (
        "GG01",
        "public",
        "法律咨询预约（村居法律顾问）",
        "身份证\n相关材料复印件",
        5,
        true,
    ),
    (
        "GG02",
        "public",
        "老年人优待证办理",
        "身份证\n近期一寸照片1张",
        5,
        true,
    ),
    ("GG03", "public", "志愿服务需求登记", "身份证", 3, true),
    (
        "GG04",
        "public",
        "代办快递、缴费等便民服务",
        "身份证",
        0,
        false,
    ),
];

const SURNAMES: &[&str] = &[
    "陈", "黄", "李", "梁", "张", "林", "何", "吴", "赵", "邓", "欧阳", "谭",
];
const GIVEN: &[&str] = &[
    "秀英", "建国", "丽华", "志强", "桂芳", "伟明", "少玲", "国华", "美玲", "家豪",
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServiceSummary {
    pub items: u64,
    pub requests: u64,
    pub completed: u64,
    pub rejected: u64,
    /// Still open past their due date today.
    pub overdue: u64,
}

/// Writes the catalogue at the district and the last three months of requests up to `now`.
pub async fn generate_services(store: &Store, now: i64) -> Result<ServiceSummary, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let a = Actor::cli("demo");
    let s = Scope::All;
    let today = day_of(now);
    let mut sum = ServiceSummary::default();
    let county: Option<i64> =
        sqlx::query_scalar("SELECT id FROM places WHERE kind = 'county' ORDER BY code LIMIT 1")
            .fetch_optional(&store.reader)
            .await?;
    let Some(county) = county else {
        return Ok(sum);
    };
    let mut items = Vec::new();
    for (k, (code, group, name, materials, limit, online)) in CATALOGUE.iter().enumerate() {
        let item = store
            .create_service_item(
                &a,
                &s,
                &ItemInput {
                    place_id: county,
                    code: (*code).into(),
                    name: (*name).into(),
                    group: (*group).into(),
                    materials: (*materials).into(),
                    limit_days: *limit,
                    online: *online,
                    sort: k as i64,
                },
                now,
            )
            .await?;
        items.push(item);
        sum.items += 1;
    }
    let villages: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM places WHERE kind IN ('village', 'community') AND closed_at IS NULL ORDER BY code",
    )
    .fetch_all(&store.reader)
    .await?;
    let start = add_days(&today, -DAYS)?;
    for village in villages {
        for _ in 0..PER_VILLAGE {
            let item = &items[rng.gen_range(0..items.len())];
            let filed = add_days(&start, rng.gen_range(0..=DAYS))?;
            let desk = item.online == 0 || rng.gen_bool(0.6);
            let name = format!(
                "{}{}",
                SURNAMES[rng.gen_range(0..SURNAMES.len())],
                GIVEN[rng.gen_range(0..GIVEN.len())]
            );
            let n = NewRequest {
                item_id: item.id,
                place_id: village,
                desk,
                name,
                phone: format!(
                    "13{}{:08}",
                    rng.gen_range(0..10),
                    rng.gen_range(0..100_000_000)
                ),
                summary: format!("申请办理{}", item.name),
            };
            let (mut r, _) = store.file_service_request(&a, &s, &n, &filed, now).await?;
            sum.requests += 1;
            let (a, s) = (&a, &s);
            let mv = |m: Move, day: String, id: i64| async move {
                store.service_request_move(a, s, id, &m, &day, now).await
            };
            let mut day = filed.clone();
            if !desk {
                day = add_working_days(&day, 1)?;
                if day > today {
                    continue;
                }
                r = mv(Move::Accept, day.clone(), r.id).await?;
            }
            let roll = rng.gen_range(0..100);
            if roll < 4 {
                mv(
                    Move::Reject {
                        reason: "不符合申请条件，已当面说明".into(),
                    },
                    day,
                    r.id,
                )
                .await?;
                sum.rejected += 1;
                continue;
            }
            if roll < 12 {
                let asked = add_working_days(&day, 1)?;
                let back = add_working_days(&asked, rng.gen_range(1..4))?;
                if asked > today {
                    continue;
                }
                mv(
                    Move::AskMaterials {
                        what: "缺少户口簿原件，请补齐后到窗口提交".into(),
                    },
                    asked,
                    r.id,
                )
                .await?;
                if back > today {
                    continue;
                }
                r = mv(Move::MaterialsIn, back.clone(), r.id).await?;
                day = back;
            }
            // A few of the last month's are stuck in hand: the overdue list has something to show.
            let recent = add_days(&today, -30)? < filed;
            if (92..95).contains(&roll) && recent {
                if day < today {
                    mv(Move::Start, day.clone(), r.id).await?;
                }
                continue;
            }
            let due = r.due_on.clone().unwrap_or_else(|| day.clone());
            // Most finish within the limit; about one in twelve runs a few days late.
            let done = if roll >= 92 {
                add_working_days(&due, rng.gen_range(1..5))?
            } else {
                let spare = rng.gen_range(0..=r.limit_days);
                let d = add_working_days(&day, r.limit_days - spare)?;
                if d > due { due.clone() } else { d }
            };
            if done > today {
                continue;
            }
            mv(
                Move::Complete {
                    result: format!("{}已办结", item.name),
                },
                done,
                r.id,
            )
            .await?;
            sum.completed += 1;
        }
    }
    store.service_sweep(&today, now).await?;
    let overdue = jiceng_store::services::RequestFilter {
        overdue_on: Some(today),
        ..Default::default()
    };
    let (_, n) = store
        .service_requests(&s, &overdue, jiceng_store::sql::Page::new(None, Some(1)))
        .await?;
    sum.overdue = u64::try_from(n).unwrap_or_default();
    Ok(sum)
}
