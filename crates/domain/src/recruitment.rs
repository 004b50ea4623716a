//! Recruitment (《中国共产党发展党员工作细则》, 2014): five stages, twenty-five steps, in order.
//! The steps are data; the checks the rules impose are enforced when a step is recorded, and a
//! refusal names the rule and, for a period not yet over, the first date the step is possible.

use crate::error::{DomainError, Rule};

/// (number, stage, zh, en)
pub const STEPS: [(u8, u8, &str, &str); 25] = [
    (1, 1, "递交入党申请书", "Application submitted"),
    (2, 1, "党组织派人谈话", "Talk with the applicant"),
    (3, 2, "推荐和确定入党积极分子", "Named an activist"),
    (
        4,
        2,
        "报上级党委备案（积极分子）",
        "Activist filed with the higher committee",
    ),
    (5, 2, "指定培养联系人", "Two mentors assigned"),
    (6, 2, "培养教育考察", "Training and assessment"),
    (7, 3, "确定发展对象", "Named a candidate for admission"),
    (
        8,
        3,
        "报上级党委备案（发展对象）",
        "Candidate filed with the higher committee",
    ),
    (9, 3, "确定入党介绍人", "Sponsors named"),
    (10, 3, "进行政治审查", "Political review"),
    (11, 3, "开展集中培训", "Concentrated training"),
    (12, 4, "支部委员会审查", "Review by the branch committee"),
    (13, 4, "上级党委预审", "Pre-review by the higher committee"),
    (14, 4, "填写入党志愿书", "Application form completed"),
    (
        15,
        4,
        "支部党员大会讨论接收",
        "Admission voted by the branch general meeting",
    ),
    (16, 4, "上级党委派人谈话", "Talk by the higher committee"),
    (17, 4, "上级党委审批", "Approved by the higher committee"),
    (
        18,
        4,
        "再上级党委组织部门备案",
        "Filed with the organisation department",
    ),
    (19, 5, "编入党支部和党小组", "Assigned to branch and group"),
    (20, 5, "入党宣誓", "Oath taken"),
    (21, 5, "继续教育考察", "Continued assessment"),
    (22, 5, "提出转正申请", "Application for full membership"),
    (
        23,
        5,
        "支部党员大会讨论转正",
        "Full membership voted by the branch general meeting",
    ),
    (24, 5, "上级党委审批转正", "Full membership approved"),
    (25, 5, "材料归档", "Files archived"),
];

pub const STAGES: [(&str, &str); 5] = [
    ("申请入党", "Application"),
    ("入党积极分子的确定和教育培养", "Activists"),
    ("发展对象的确定和考察", "Candidates"),
    ("预备党员的接收", "Admission"),
    ("预备党员的教育考察和转正", "Probation and full membership"),
];

/// The periods the rules set, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecruitmentRule {
    pub min_age: u32,
    /// The talk comes within this many months of the application.
    pub talk_within_months: u32,
    /// An activist for at least this many months before becoming a candidate.
    pub activist_months: u32,
    pub training_min_days: i64,
    pub training_min_hours: i64,
    pub probation_months: u32,
    /// An extension of probation, allowed once: 6–12 months.
    pub extension_months: (u32, u32),
}

impl Default for RecruitmentRule {
    fn default() -> Self {
        Self {
            min_age: 18,
            talk_within_months: 1,
            activist_months: 12,
            training_min_days: 3,
            training_min_hours: 24,
            probation_months: 12,
            extension_months: (6, 12),
        }
    }
}

/// `date` plus `months` (YYYY-MM-DD), the day kept or clipped to the month's end.
pub fn add_months(date: &str, months: u32) -> String {
    let (y, m, d) = (
        date[..4].parse::<u32>().unwrap_or(2000),
        date[5..7].parse::<u32>().unwrap_or(1),
        date[8..10].parse::<u32>().unwrap_or(1),
    );
    let total = y * 12 + m.saturating_sub(1) + months;
    let (ny, nm) = (total / 12, total % 12 + 1);
    let nd = d.min(crate::idcard::days_in_month(ny, nm));
    format!("{ny:04}-{nm:02}-{nd:02}")
}

/// What a member's file holds so far: the date of each recorded step (index = step − 1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecruitmentFile {
    pub birth_date: String,
    pub dates: Vec<Option<String>>,
    /// Months of extension already granted, if any.
    pub extension: Option<u32>,
}

/// What recording a step means for the member's status.
pub fn status_after(step: u8) -> Option<&'static str> {
    match step {
        1 => Some("applicant"),
        3 => Some("activist"),
        7 => Some("prospect"),
        15 => Some("probationary"),
        23 => Some("full"),
        _ => None,
    }
}

fn refuse(code: &'static str, zh: String, en: String) -> DomainError {
    DomainError::new(code, zh, en).on("date")
}

impl RecruitmentFile {
    fn date(&self, step: u8) -> Option<&str> {
        self.dates
            .get(usize::from(step) - 1)
            .and_then(|d| d.as_deref())
    }

    /// The next step to record (1-based), or None when the file is complete.
    pub fn next_step(&self) -> Option<u8> {
        (1..=25u8).find(|s| self.date(*s).is_none())
    }

    /// Checks that `step` may be recorded on `date` (with `value`: training hours for step 11).
    pub fn check(
        &self,
        rule: &RecruitmentRule,
        step: u8,
        date: &str,
        value: Option<i64>,
    ) -> Rule<()> {
        let name = STEPS
            .get(usize::from(step).wrapping_sub(1))
            .map(|s| s.2)
            .unwrap_or("?");
        match self.next_step() {
            Some(next) if next == step => {}
            Some(next) => {
                let want = STEPS[usize::from(next) - 1].2;
                return Err(refuse(
                    "recruitment.out_of_order",
                    format!("步骤须依次进行：下一步应为“{want}”，不能先登记“{name}”"),
                    format!("steps go in order: the next is step {next}, not {step}"),
                ));
            }
            None => {
                return Err(refuse(
                    "recruitment.complete",
                    "发展程序已全部完成".into(),
                    "the file is complete".into(),
                ));
            }
        }
        if let Some(prev) = step
            .checked_sub(1)
            .filter(|p| *p >= 1)
            .and_then(|p| self.date(p))
            && date < prev
        {
            return Err(refuse(
                "recruitment.before_previous",
                format!("日期不能早于上一步（{prev}）"),
                format!("the date cannot precede the previous step ({prev})"),
            ));
        }
        match step {
            1 => {
                let adult = add_months(&self.birth_date, rule.min_age * 12);
                if date < adult.as_str() {
                    return Err(refuse(
                        "recruitment.applicant_minor",
                        format!(
                            "年满{}岁方可申请入党（《党章》第一条），{adult}起可以申请",
                            rule.min_age
                        ),
                        format!("applicants are at least {} (from {adult})", rule.min_age),
                    ));
                }
            }
            2 => {
                let applied = self.date(1).unwrap_or(date);
                let by = add_months(applied, rule.talk_within_months);
                if date > by.as_str() {
                    return Err(refuse(
                        "recruitment.talk_late",
                        format!(
                            "党组织应在收到申请书后一个月内派人谈话（《发展细则》第七条），最迟{by}"
                        ),
                        format!("the talk is due within a month of the application, by {by}"),
                    ));
                }
            }
            7 => {
                let named = self.date(3).unwrap_or(date);
                let from = add_months(named, rule.activist_months);
                if date < from.as_str() {
                    return Err(refuse(
                        "recruitment.activist_period",
                        format!(
                            "入党积极分子须经过一年以上培养教育（《发展细则》第十三条），{from}起可以确定为发展对象"
                        ),
                        format!("an activist is trained for at least a year: possible from {from}"),
                    ));
                }
            }
            11 => {
                let hours = value.unwrap_or(0);
                if hours < rule.training_min_hours {
                    return Err(DomainError::new("recruitment.training_short", format!("集中培训不少于{}天（或不少于{}学时），登记{hours}学时（《发展细则》第十八条）", rule.training_min_days, rule.training_min_hours), format!("training lasts at least {} days or {} hours; {hours} recorded", rule.training_min_days, rule.training_min_hours)).on("value"));
                }
            }
            23 => {
                let admitted = self.date(15).unwrap_or(date);
                let from = add_months(
                    admitted,
                    rule.probation_months + self.extension.unwrap_or(0),
                );
                if date < from.as_str() {
                    return Err(refuse(
                        "recruitment.probation_not_complete",
                        format!("预备期未满（《党章》第七条），{from}起可以讨论转正"),
                        format!("probation is not over: possible from {from}"),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The next step's date that the rules fix: (step, date, true when it is a deadline rather than
    /// the first possible day). Steps without a period give None.
    pub fn next_date(&self, rule: &RecruitmentRule) -> Option<(u8, String, bool)> {
        let next = self.next_step()?;
        match next {
            2 => Some((2, add_months(self.date(1)?, rule.talk_within_months), true)),
            7 => Some((7, add_months(self.date(3)?, rule.activist_months), false)),
            23 => Some((
                23,
                add_months(
                    self.date(15)?,
                    rule.probation_months + self.extension.unwrap_or(0),
                ),
                false,
            )),
            _ => None,
        }
    }

    /// Checks an extension of probation: once, 6–12 months, while on probation (after step 15, before 23).
    pub fn check_extension(&self, rule: &RecruitmentRule, months: u32) -> Rule<()> {
        if self.date(15).is_none() || self.date(23).is_some() {
            return Err(DomainError::new(
                "recruitment.not_on_probation",
                "只有预备党员才能延长预备期",
                "only a probationary member's probation can be extended",
            )
            .on("value"));
        }
        if self.extension.is_some() {
            return Err(DomainError::new(
                "recruitment.extended_once",
                "预备期只能延长一次（《党章》第七条）",
                "probation is extended once at most",
            )
            .on("value"));
        }
        let (lo, hi) = rule.extension_months;
        if !(lo..=hi).contains(&months) {
            return Err(DomainError::new(
                "recruitment.extension_length",
                format!("延长预备期为{lo}至{hi}个月"),
                format!("an extension is {lo}–{hi} months"),
            )
            .on("value"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(birth: &str, dates: &[&str]) -> RecruitmentFile {
        let mut d: Vec<Option<String>> = dates.iter().map(|s| Some(s.to_string())).collect();
        d.resize(25, None);
        RecruitmentFile {
            birth_date: birth.into(),
            dates: d,
            extension: None,
        }
    }

    #[test]
    fn next_dates() {
        let r = RecruitmentRule::default();
        assert_eq!(
            file("1990-01-01", &["2025-01-10"]).next_date(&r),
            Some((2, "2025-02-10".into(), true))
        );
        assert_eq!(
            file("1990-01-01", &["2025-01-10", "2025-01-20", "2025-03-01"]).next_date(&r),
            None
        );
        let six = [
            "2025-01-10",
            "2025-01-20",
            "2025-03-01",
            "2025-03-05",
            "2025-03-05",
            "2025-06-01",
        ];
        assert_eq!(
            file("1990-01-01", &six).next_date(&r),
            Some((7, "2026-03-01".into(), false))
        );
    }

    #[test]
    fn months_add_up() {
        assert_eq!(add_months("2024-01-31", 1), "2024-02-29");
        assert_eq!(add_months("2025-11-23", 12), "2026-11-23");
        assert_eq!(add_months("2000-02-29", 18 * 12), "2018-02-28");
    }

    #[test]
    fn the_periods() {
        let r = RecruitmentRule::default();
        let empty = file("2008-06-01", &[]);
        let e = empty.check(&r, 1, "2026-05-31", None).unwrap_err();
        assert_eq!(e.code, "recruitment.applicant_minor");
        assert!(e.zh.contains("2026-06-01"), "{}", e.zh);
        assert!(empty.check(&r, 1, "2026-06-01", None).is_ok());
        assert_eq!(
            empty.check(&r, 2, "2026-06-01", None).unwrap_err().code,
            "recruitment.out_of_order"
        );

        let applied = file("1990-01-01", &["2025-01-10"]);
        assert!(applied.check(&r, 2, "2025-02-10", None).is_ok());
        assert_eq!(
            applied.check(&r, 2, "2025-02-11", None).unwrap_err().code,
            "recruitment.talk_late"
        );
        assert_eq!(
            applied.check(&r, 2, "2025-01-09", None).unwrap_err().code,
            "recruitment.before_previous"
        );

        let activist = file(
            "1990-01-01",
            &[
                "2025-01-10",
                "2025-01-20",
                "2025-03-01",
                "2025-03-05",
                "2025-03-05",
                "2025-06-01",
            ],
        );
        let e = activist.check(&r, 7, "2026-02-28", None).unwrap_err();
        assert_eq!(e.code, "recruitment.activist_period");
        assert!(e.zh.contains("2026-03-01"));
        assert!(activist.check(&r, 7, "2026-03-01", None).is_ok());

        let ten: Vec<&str> = vec![
            "2025-01-10",
            "2025-01-20",
            "2025-03-01",
            "2025-03-05",
            "2025-03-05",
            "2025-06-01",
            "2026-03-01",
            "2026-03-02",
            "2026-03-03",
            "2026-03-04",
        ];
        let f = file("1990-01-01", &ten);
        assert_eq!(
            f.check(&r, 11, "2026-04-01", Some(23)).unwrap_err().code,
            "recruitment.training_short"
        );
        assert!(f.check(&r, 11, "2026-04-01", Some(24)).is_ok());

        let mut through_22: Vec<String> = ten.iter().map(|s| s.to_string()).collect();
        through_22.extend(
            [
                "2026-04-01",
                "2026-04-02",
                "2026-04-03",
                "2026-04-04",
                "2026-04-10",
            ]
            .map(String::from),
        ); // 11–15
        through_22.extend(
            [
                "2026-04-11",
                "2026-04-12",
                "2026-04-13",
                "2026-04-14",
                "2026-04-15",
                "2026-04-16",
                "2027-03-01",
            ]
            .map(String::from),
        ); // 16–22
        let refs: Vec<&str> = through_22.iter().map(String::as_str).collect();
        let mut p = file("1990-01-01", &refs);
        assert_eq!(
            p.check(&r, 23, "2027-04-09", None).unwrap_err().code,
            "recruitment.probation_not_complete"
        );
        assert!(p.check(&r, 23, "2027-04-10", None).is_ok());
        // An extension once, 6–12 months, moves the date.
        assert_eq!(
            p.check_extension(&r, 5).unwrap_err().code,
            "recruitment.extension_length"
        );
        assert!(p.check_extension(&r, 6).is_ok());
        p.extension = Some(6);
        assert_eq!(
            p.check_extension(&r, 6).unwrap_err().code,
            "recruitment.extended_once"
        );
        assert_eq!(
            p.check(&r, 23, "2027-10-09", None).unwrap_err().code,
            "recruitment.probation_not_complete"
        );
        assert!(p.check(&r, 23, "2027-10-10", None).is_ok());
    }
}
