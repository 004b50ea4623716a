//! Party members: states (《党章》, 《发展细则》), occupation categories (they drive dues, 《党费规定》),
//! and the personal fields that are sealed (PIPL: ID number, phone, address).

use crate::error::{DomainError, Rule};

/// (code, zh, en)
pub type Choice = (&'static str, &'static str, &'static str);

/// 申请人 → 入党积极分子 → 发展对象 → 预备党员 → 正式党员; also 出党/停止党籍, 死亡, and 已转出 for
/// a member whose relation went to an organisation outside the system.
pub const STATUSES: [Choice; 8] = [
    ("applicant", "入党申请人", "Applicant"),
    ("activist", "入党积极分子", "Activist"),
    ("prospect", "发展对象", "Candidate for admission"),
    ("probationary", "预备党员", "Probationary member"),
    ("full", "正式党员", "Full member"),
    ("left", "出党/停止党籍", "Left the Party"),
    ("deceased", "死亡", "Deceased"),
    (
        TRANSFERRED_OUT,
        "已转出（系统外）",
        "Transferred out of the system",
    ),
];

/// Set only when the receipt of a transfer out of the system comes back (组织关系回执): the record
/// stays for history, the member no longer counts here, and only a transfer back reopens it.
pub const TRANSFERRED_OUT: &str = "transferred_out";

/// What a form or a roster may set; 已转出 comes from a transfer alone.
pub fn selectable_statuses() -> &'static [Choice] {
    &STATUSES[..7]
}

/// Statuses that count as members of the organisation today.
pub const CURRENT: [&str; 5] = ["applicant", "activist", "prospect", "probationary", "full"];

/// Occupation categories; farmers, students, the unemployed and 低保 recipients pay fixed dues.
pub const OCCUPATIONS: [Choice; 8] = [
    ("employee", "在职人员", "Employee"),
    ("worker", "工人", "Worker"),
    ("farmer", "农民", "Farmer"),
    ("retiree", "离退休人员", "Retiree"),
    ("student", "学生", "Student"),
    ("unemployed", "无固定职业", "Unemployed"),
    ("dibao", "低保对象", "Minimum-living-allowance recipient"),
    ("other", "其他", "Other"),
];

pub const EDUCATION: [Choice; 6] = [
    ("postgraduate", "研究生", "Postgraduate"),
    ("bachelor", "大学本科", "Bachelor"),
    ("college", "大专", "College"),
    ("secondary", "中专/高中", "Secondary"),
    ("junior", "初中", "Junior secondary"),
    ("primary", "小学及以下", "Primary or less"),
];

pub fn label(choices: &[Choice], code: &str, en: bool) -> String {
    choices.iter().find(|c| c.0 == code).map_or_else(
        || code.to_string(),
        |c| if en { c.2 } else { c.1 }.to_string(),
    )
}

pub fn check_choice(
    choices: &[Choice],
    code: &str,
    field: &'static str,
    zh: &str,
    en: &str,
) -> Rule<()> {
    if choices.iter().any(|c| c.0 == code) {
        return Ok(());
    }
    Err(DomainError::new(
        "member.choice_invalid",
        format!("请选择{zh}"),
        format!("choose the {en}"),
    )
    .on(field))
}

/// A phone number: a mobile (11 digits from 1) or a landline with its area code (0xx-xxxxxxx).
pub fn parse_phone(raw: &str) -> Rule<String> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let digits: String = s.chars().filter(|c| *c != '-').collect();
    let mobile =
        digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit());
    let landline = (10..=12).contains(&digits.len())
        && digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit());
    if mobile || landline {
        return Ok(digits);
    }
    Err(DomainError::new(
        "member.phone_invalid",
        "电话须为11位手机号或带区号的固定电话",
        "a phone is an 11-digit mobile or a landline with its area code",
    )
    .on("phone"))
}

/// `138****5678`: the first three and last four digits.
pub fn mask_phone(p: &str) -> String {
    let n = p.chars().count();
    if n < 8 {
        return "*".repeat(n);
    }
    let head: String = p.chars().take(3).collect();
    let tail: String = p.chars().skip(n - 4).collect();
    format!("{head}****{tail}")
}

/// The first six characters of an address (the district and town), the rest hidden.
pub fn mask_address(a: &str) -> String {
    let head: String = a.chars().take(6).collect();
    if a.chars().count() <= 6 {
        format!("{head}…")
    } else {
        format!("{head}****")
    }
}

/// A calendar date `YYYY-MM-DD`, as a form or a spreadsheet gives it.
pub fn parse_date(raw: &str, field: &'static str) -> Rule<String> {
    let s = raw.trim();
    let parts: Vec<&str> = s.split('-').collect();
    let ok = parts.len() == 3
        && parts[0].len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && {
            let (y, m, d) = (
                parts[0].parse::<u32>().unwrap_or(0),
                parts[1].parse::<u32>().unwrap_or(0),
                parts[2].parse::<u32>().unwrap_or(0),
            );
            (1900..=2100).contains(&y)
                && (1..=12).contains(&m)
                && d >= 1
                && d <= crate::idcard::days_in_month(y, m)
        };
    if ok {
        // Already written as stored (a roster's every date, usually): no formatting needed.
        if parts[1].len() == 2 && parts[2].len() == 2 {
            return Ok(s.to_string());
        }
        let (y, m, d) = (
            parts[0],
            parts[1].parse::<u32>().unwrap_or(0),
            parts[2].parse::<u32>().unwrap_or(0),
        );
        return Ok(format!("{y}-{m:02}-{d:02}"));
    }
    Err(DomainError::new(
        "member.date_invalid",
        format!("日期格式应为 2020-07-01，收到“{s}”"),
        format!("a date looks like 2020-07-01, got \"{s}\""),
    )
    .on(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(parse_phone("138 0013 8000").unwrap(), "13800138000");
        assert_eq!(parse_phone("0756-5512345").unwrap(), "07565512345");
        assert!(parse_phone("12345").is_err());
        assert!(parse_phone("2380013800a").is_err());
        assert_eq!(mask_phone("13800135678"), "138****5678");
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2020-7-1", "d").unwrap(), "2020-07-01");
        assert_eq!(parse_date(" 2020-07-01 ", "d").unwrap(), "2020-07-01");
        assert!(parse_date("2021-02-29", "d").is_err());
        assert!(parse_date("2024-02-29", "d").is_ok());
        assert!(parse_date("20200701", "d").is_err());
    }

    #[test]
    fn address_mask_hides_the_rest() {
        assert_eq!(
            mask_address("广东省珠海市斗门区乾务镇乾西村12号"),
            "广东省珠海市****"
        );
    }
}
