//! The demo district's member register: about 15,000 members in the village and 两新 branches,
//! with plausible ages, genders, occupations and statuses, generated from a fixed seed and written
//! through the store's roster import (one transaction and one audit entry per organisation).

use jiceng_domain::dues::DuesRule;
use jiceng_store::members::MemberInput;
use jiceng_store::roster::ImportOptions;
use jiceng_store::{Actor, Scope, Store, StoreError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

const SEED: u64 = 0x6a69_6365_6e67_0002;
/// Roughly Doumen's membership.
pub const TARGET_MEMBERS: usize = 15_000;
/// The town whose villages have the most members (白蕉镇 plays Xiqiao's 4000+).
pub const XIQIAO_TOWN: &str = "440403106";

pub(crate) const SURNAMES: &[&str] = &[
    "陈", "黄", "李", "梁", "林", "张", "罗", "何", "吴", "赵", "周", "钟", "郑", "谢", "冯", "邓",
    "曾", "彭", "刘", "杨", "赖", "卢", "邝", "容", "麦", "谭", "莫", "黎", "苏", "欧阳",
];
pub(crate) const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "辉", "志", "荣", "海", "燕",
    "玲", "婷", "斌", "坚", "锦", "珍", "添", "权", "汉", "炳", "润", "彩", "嫦", "少", "灿", "耀",
];

/// Check character of a GB 11643 number's first 17 digits.
pub(crate) fn check_char(body: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b.saturating_sub(b'0')) * w)
        .sum();
    char::from(b"10X98765432"[(sum % 11) as usize])
}

pub(crate) fn pick<'a>(rng: &mut ChaCha8Rng, from: &[&'a str]) -> &'a str {
    from[rng.gen_range(0..from.len())]
}

/// Organisations that hold members: branches, and committees or 总支 without branches below.
async fn holders(store: &Store) -> Result<Vec<(i64, String, String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT o.id, p.name, p.kind, p.code FROM orgs o JOIN places p ON p.id = o.place_id WHERE o.closed_at IS NULL \
         AND o.kind <> 'group' AND NOT EXISTS (SELECT 1 FROM orgs c WHERE c.parent_id = o.id AND c.kind <> 'group') \
         ORDER BY o.id",
    )
    .fetch_all(&store.reader)
    .await?)
}

/// Adds the register to a district made by `generate_district`; returns how many members it wrote.
pub async fn generate_members(
    store: &Store,
    now_ms: i64,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<u64, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let orgs = holders(store).await?;
    let village_like = |kind: &str| matches!(kind, "village" | "community");
    // Village branches are big, 两新 branches small; scale both to the target.
    // The town that plays Xiqiao (4000+ members, DOMAIN.md) has bigger village branches.
    let weights: Vec<u32> = orgs
        .iter()
        .map(|(_, _, kind, code)| {
            if village_like(kind) {
                let w = rng.gen_range(40..140);
                if code.starts_with(XIQIAO_TOWN) {
                    w * 4 / 3
                } else {
                    w
                }
            } else {
                rng.gen_range(3..12)
            }
        })
        .collect();
    let total_weight: u32 = weights.iter().sum::<u32>().max(1);
    let actor = Actor::cli("demo");
    let mut seq: HashMap<String, u32> = HashMap::new();
    let mut written = 0u64;
    for (n, ((org_id, place_name, _, _), w)) in orgs.iter().zip(&weights).enumerate() {
        let count =
            (TARGET_MEMBERS as u64 * u64::from(*w) / u64::from(total_weight)).max(1) as usize;
        let rows: Vec<MemberInput> = (0..count)
            .map(|_| {
                let at = Home {
                    area: "440403",
                    place: place_name,
                    address: "广东省珠海市斗门区",
                    phone: None,
                };
                member(&mut rng, &mut seq, *org_id, &at)
            })
            .collect();
        match store
            .import_members(
                &actor,
                &Scope::All,
                &rows,
                &ImportOptions {
                    label: &format!("demo:{org_id}"),
                    row_base: 1,
                    preview: false,
                },
                now_ms,
            )
            .await?
        {
            Ok(done) => {
                written += done.inserted.len() as u64;
                let (bases, payments) = dues_history(&mut rng, &rows, &done.inserted, now_ms);
                store
                    .import_dues_history(
                        &actor,
                        &bases,
                        &payments,
                        &format!("demo:{org_id}"),
                        now_ms,
                    )
                    .await?;
            }
            Err(errors) => {
                let first = errors
                    .first()
                    .map(|e| e.error.zh.clone())
                    .unwrap_or_default();
                return Err(StoreError::Internal(format!(
                    "demo roster for organisation {org_id} refused: {first}"
                )));
            }
        }
        if (n + 1) % 50 == 0 || n + 1 == orgs.len() {
            progress(&format!(
                "党员：{}/{} 个党组织，{written} 名",
                n + 1,
                orgs.len()
            ));
        }
    }
    Ok(written)
}

/// Where a generated member lives: the county code their ID number carries, their village, the
/// address before it, and a phone number when the caller makes them unique (None: drawn at random).
pub(crate) struct Home<'a> {
    pub area: &'a str,
    pub place: &'a str,
    pub address: &'a str,
    pub phone: Option<String>,
}

/// A plausible member of `org_id`. `seq` counts the numbers given per birth date within the area,
/// so no ID number repeats there.
pub(crate) fn member(
    rng: &mut ChaCha8Rng,
    seq: &mut HashMap<String, u32>,
    org_id: i64,
    at: &Home<'_>,
) -> MemberInput {
    let year: u32 = match rng.gen_range(0..100) {
        0..=9 => rng.gen_range(1938..1950),
        10..=49 => rng.gen_range(1950..1970),
        50..=84 => rng.gen_range(1970..1990),
        _ => rng.gen_range(1990..2004),
    };
    let (month, day) = (rng.gen_range(1..=12u32), rng.gen_range(1..=28u32));
    let male = rng.gen_range(0..100) < 72;
    let mut birth = format!("{year:04}{month:02}{day:02}");
    // The 17th digit is odd for men; numbers run per birth date so none repeats. A date whose 500
    // numbers are taken (only in a province-sized county) moves to the next day of the month.
    let mut day = day;
    for _ in 0..28 {
        if seq.get(&birth).is_none_or(|n| *n < 499) {
            break;
        }
        day = day % 28 + 1;
        birth = format!("{year:04}{month:02}{day:02}");
    }
    let n = seq.entry(birth.clone()).or_insert(0);
    *n += 1;
    let order = (*n * 2 - u32::from(male)) % 1000;
    let body = format!("{}{birth}{order:03}", at.area);
    let id_number = format!("{body}{}", check_char(&body));
    let age = 2026 - year;
    let status = match rng.gen_range(0..100) {
        0..=1 if age >= 18 => "applicant",
        2..=4 if age >= 18 => "activist",
        5..=6 if age >= 18 => "prospect",
        7..=10 if age >= 19 => "probationary",
        _ => "full",
    };
    let join_year = (year + rng.gen_range(20..40)).min(2025);
    let (join_date, full_date) = match status {
        "full" => (
            Some(format!("{join_year}-07-01")),
            Some(format!("{}-07-01", join_year + 1)),
        ),
        "probationary" => (Some("2026-07-01".to_string()), None),
        _ => (None, None),
    };
    let occupation = match (age, rng.gen_range(0..100)) {
        (60.., 0..=59) => "retiree",
        (60.., _) => "farmer",
        (_, 0..=39) => "farmer",
        (_, 40..=59) => "worker",
        (_, 60..=84) => "employee",
        (_, 85..=89) if age < 25 => "student",
        (_, 85..=92) => "unemployed",
        (_, 93..=95) => "dibao",
        _ => "other",
    };
    let education = match (year, rng.gen_range(0..100)) {
        (..1960, 0..=59) => "primary",
        (..1960, _) => "junior",
        (1960..1980, 0..=39) => "junior",
        (1960..1980, 40..=79) => "secondary",
        (1960..1980, _) => "college",
        (_, 0..=19) => "secondary",
        (_, 20..=59) => "college",
        (_, 60..=94) => "bachelor",
        _ => "postgraduate",
    };
    let name = format!(
        "{}{}{}",
        pick(rng, SURNAMES),
        pick(rng, GIVEN),
        if rng.gen_range(0..3) > 0 {
            pick(rng, GIVEN)
        } else {
            ""
        }
    );
    MemberInput {
        org_id,
        name,
        id_number,
        ethnicity: "汉族".into(),
        education: education.into(),
        occupation: occupation.into(),
        status: status.into(),
        join_date,
        full_date,
        workplace: Some(at.place.to_string()),
        phone: Some(
            at.phone
                .clone()
                .unwrap_or_else(|| format!("13{}", rng.gen_range(100_000_000..999_999_999u32))),
        ),
        address: Some(format!(
            "{}{}{}号",
            at.address,
            at.place,
            rng.gen_range(1..300)
        )),
    }
}

/// `YYYY-MM` of a time in ms (UTC+8), by the civil-from-days algorithm (no clock is read).
fn month_of(ms: i64) -> (i64, i64) {
    let days = (ms + 8 * 3_600_000).div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

/// Income bases from January of last year and monthly payments up to last month; a few members
/// fall behind (so the arrears page has something to show), some by six months or more.
type History = (Vec<(i64, String, i64)>, Vec<(i64, String, i64, String)>);

fn dues_history(rng: &mut ChaCha8Rng, rows: &[MemberInput], ids: &[i64], now_ms: i64) -> History {
    let rule = DuesRule::cpc_2008();
    let (year, month) = month_of(now_ms);
    let start = (year - 1) * 12; // January of last year, as a month number (year * 12 + month - 1)
    let last = year * 12 + month - 2; // the month before this one
    let fmt = |n: i64| format!("{:04}-{:02}", n / 12, n % 12 + 1);
    let mut bases = Vec::new();
    let mut payments = Vec::new();
    for (r, id) in rows.iter().zip(ids) {
        if r.status == "applicant" || r.status == "activist" || r.status == "prospect" {
            continue;
        }
        let income: i64 = match r.occupation.as_str() {
            "employee" => rng.gen_range(250_000..1_200_000),
            "worker" => rng.gen_range(200_000..600_000),
            "retiree" => rng.gen_range(180_000..700_000),
            _ => 0,
        };
        let Ok(amount) = rule.monthly(&r.occupation, income) else {
            continue;
        };
        bases.push((*id, fmt(start), income));
        // 90% keep up; the rest stopped paying some months ago.
        let stop = match rng.gen_range(0..100) {
            0..=89 => last,
            90..=95 => last - rng.gen_range(3..6),
            _ => last - rng.gen_range(6..10),
        };
        for m in start..=stop {
            let day = rng.gen_range(1..=25);
            payments.push((*id, fmt(m), amount, format!("{}-{day:02}", fmt(m))));
        }
    }
    (bases, payments)
}

#[cfg(test)]
mod tests {
    #[test]
    fn months_in_beijing_time() {
        assert_eq!(super::month_of(1_767_225_600_000), (2026, 1)); // 2026-01-01 00:00 UTC
        assert_eq!(super::month_of(1_767_196_800_000), (2026, 1)); // 2025-12-31 16:00 UTC = 00:00 +8
        assert_eq!(super::month_of(1_767_196_799_000), (2025, 12));
        assert_eq!(super::month_of(0), (1970, 1));
    }
}
