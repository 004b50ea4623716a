//! Roster files in the template's format (the columns of `/members/import/template.xlsx`), written
//! the way a person filling the template in Excel leaves them: the organisation number as a number,
//! everything else as text, strings in the shared-strings table. Deterministic: row `i` of every
//! file is the same person.

use jiceng_domain::member::{EDUCATION, OCCUPATIONS};
use rust_xlsxwriter::{Workbook, XlsxError};
use std::path::Path;

/// The template's header row, in its order.
pub const HEADERS: [&str; 12] = [
    "党组织编号",
    "姓名",
    "身份证号",
    "民族",
    "学历",
    "职业类别",
    "党员状态",
    "入党日期",
    "转正日期",
    "工作单位",
    "联系电话",
    "家庭住址",
];

const SURNAMES: &[&str] = &[
    "陈", "黄", "李", "梁", "林", "张", "罗", "何", "吴", "赵", "周", "钟", "郑", "谢", "冯", "邓",
    "曾", "彭", "刘", "杨", "赖", "卢", "邝", "容", "麦", "谭", "莫", "黎", "苏", "欧阳",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "辉", "志", "荣", "海", "燕",
];
const STREETS: &[&str] = &["幸福路", "团结街", "和平巷", "振兴路", "新村大道", "河堤路"];

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// A GB 11643 number: the 17 digits and their check character.
pub fn citizen_id(first17: &str) -> String {
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    format!(
        "{first17}{}",
        char::from(b"10X98765432"[(sum % 11) as usize])
    )
}

/// splitmix64: enough randomness for names, without a dependency.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

/// Where the generated members belong: the organisation numbers and their villages' names.
#[derive(Debug, Clone)]
pub struct Orgs(pub Vec<(i64, String)>);

/// One row of the roster: person `i`, unique ID number and phone.
fn row(i: u64, orgs: &Orgs, mix: &mut Mix) -> (i64, [String; 11]) {
    let (org, village) = &orgs.0[(i % orgs.0.len() as u64) as usize];
    // Birth dates 1940-01-01 + (i mod 20,000) days, then a sequence number per date: unique to
    // 20 million rows, and every date is a real one.
    let day = i % 20_000;
    let seq = i / 20_000;
    let (y, m, d) = civil(day as i64 + days_from_civil(1940, 1, 1));
    let id = citizen_id(&format!("440403{y:04}{m:02}{d:02}{:03}", seq % 1000));
    let name = format!(
        "{}{}{}",
        mix.pick(SURNAMES),
        mix.pick(GIVEN),
        if mix.next().is_multiple_of(3) {
            ""
        } else {
            mix.pick(GIVEN)
        }
    );
    let join_year = (y + 18 + (mix.next() % 20) as i64).min(2024);
    let probationary = mix.next().is_multiple_of(10);
    let edu = EDUCATION[(mix.next() % EDUCATION.len() as u64) as usize].1;
    let occ = OCCUPATIONS[(mix.next() % OCCUPATIONS.len() as u64) as usize].1;
    let cells = [
        name,
        id,
        "汉族".to_string(),
        edu.to_string(),
        occ.to_string(),
        if probationary {
            "预备党员"
        } else {
            "正式党员"
        }
        .to_string(),
        format!("{join_year}-07-01"),
        if probationary {
            String::new()
        } else {
            format!("{}-07-01", join_year + 1)
        },
        village.clone(),
        // Unique and scattered, as real numbers are (i ↦ 48,271·i + c is one-to-one modulo 10⁸).
        format!("139{:08}", (i * 48_271 + 12_345_678) % 100_000_000),
        format!(
            "广东省珠海市斗门区乾务镇{village}{}{}号",
            mix.pick(STREETS),
            1 + mix.next() % 300
        ),
    ];
    (*org, cells)
}

/// Writes a roster of `rows` members to `path`.
pub fn roster(path: &Path, rows: u64, orgs: &Orgs) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("党员名册")?;
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    let mut mix = Mix(0x6a69_6365_6e67_0004);
    for i in 0..rows {
        let r = i as u32 + 1;
        let (org, cells) = row(i, orgs, &mut mix);
        ws.write_number(r, 0, org as f64)?;
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r, c as u16 + 1, v)?;
            }
        }
    }
    wb.save(path)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number since 1970-01-01.
fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiceng_domain::idcard::CitizenId;

    #[test]
    fn dates_round_trip_and_ids_pass_the_check() {
        for z in [-11_000, 0, 10_957, 20_000] {
            let (y, m, d) = civil(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        let orgs = Orgs(vec![(1, "乾西村".into())]);
        let mut mix = Mix(1);
        let mut seen = std::collections::HashSet::new();
        for i in (0..400_000).step_by(997) {
            let (_, cells) = row(i, &orgs, &mut mix);
            assert!(CitizenId::parse(&cells[1]).is_ok(), "{}", cells[1]);
            assert!(seen.insert(cells[1].clone()));
        }
    }
}
