//! Organisational life (三会一课, 《中国共产党支部工作条例（试行）》 and 《中国共产党党员教育管理工作条例》):
//! what each branch must hold and how often, as data with the date it took effect; compliance per
//! period (required against held, with the misses listed); reminders a week before a period ends
//! with its requirement unmet; and the months a member has gone without organisational life.

use crate::error::{DomainError, Rule};
use crate::meeting::{MeetingKind, date, day_number};
use serde::{Deserialize, Serialize};

pub mod period;
pub use period::{Judged, Period, holds_branch_life, judge, judged_rate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    Month,
    Quarter,
    Year,
}

impl Every {
    fn months(self) -> u32 {
        match self {
            Self::Month => 1,
            Self::Quarter => 3,
            Self::Year => 12,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Self::Month => "每月",
            Self::Quarter => "每季度",
            Self::Year => "每年",
        }
    }
}

/// At least `times` meetings of `kind` in every period; only for a branch with at least
/// `min_full_members` full members (正式党员) when that is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub kind: MeetingKind,
    pub every: Every,
    pub times: u32,
    #[serde(default)]
    pub min_full_members: Option<u32>,
}

impl Requirement {
    /// Whether a branch with `full_members` full members owes this requirement.
    pub fn applies(&self, full_members: u32) -> bool {
        self.min_full_members.is_none_or(|n| full_members >= n)
    }
}

/// What a branch must hold, in force from `effective_from` (YYYY-MM-DD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifeRule {
    pub effective_from: String,
    pub basis: String,
    pub requirements: Vec<Requirement>,
}

impl LifeRule {
    /// DOMAIN.md, "Organisational life": 支部党员大会 and 党课 quarterly, 支委会, 党小组会 and 主题党日
    /// monthly, 组织生活会 and 民主评议 yearly. The 支委会 only where there is a committee:
    /// 《中国共产党支部工作条例（试行）》第十条 sets one up in a branch of 7 full members or more; a
    /// smaller branch has a secretary (and perhaps a deputy) and no committee to meet.
    pub fn cpc_2018() -> Self {
        let r = |kind, every| Requirement {
            kind,
            every,
            times: 1,
            min_full_members: None,
        };
        Self {
            effective_from: "2018-10-28".into(),
            basis: "《中国共产党支部工作条例（试行）》（2018）".into(),
            requirements: vec![
                r(MeetingKind::BranchAssembly, Every::Quarter),
                Requirement {
                    min_full_members: Some(COMMITTEE_MIN_FULL_MEMBERS),
                    ..r(MeetingKind::BranchCommittee, Every::Month)
                },
                r(MeetingKind::GroupMeeting, Every::Month),
                r(MeetingKind::PartyLecture, Every::Quarter),
                r(MeetingKind::ThemeDay, Every::Month),
                r(MeetingKind::LifeMeeting, Every::Year),
                r(MeetingKind::Appraisal, Every::Year),
            ],
        }
    }

    /// The requirements a branch of `full_members` full members owes (the others left out).
    pub fn for_branch(&self, full_members: u32) -> LifeRule {
        LifeRule {
            requirements: self
                .requirements
                .iter()
                .filter(|r| r.applies(full_members))
                .copied()
                .collect(),
            ..self.clone()
        }
    }
}

/// 《中国共产党支部工作条例（试行）》第十条: a branch with 7 full members or more sets up a
/// 支部委员会.
pub const COMMITTEE_MIN_FULL_MEMBERS: u32 = 7;

/// One requirement in one period: how many were required and held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub kind: MeetingKind,
    pub every: Every,
    /// The period, first and last day (YYYY-MM-DD).
    pub start: String,
    pub end: String,
    pub required: u32,
    pub held: u32,
}

impl Due {
    pub fn met(&self) -> bool {
        self.held >= self.required
    }
}

/// A month as one count (year × 12 + month − 1), from a YYYY-MM-DD date.
fn month_index(s: &str) -> Rule<i32> {
    let d = date(s)?;
    Ok(d.year() * 12 + i32::from(u8::from(d.month())) - 1)
}

/// YYYY-MM-DD of day `d` of month `i` (a `month_index`).
fn day(i: i32, d: u8) -> String {
    format!("{:04}-{:02}-{d:02}", i.div_euclid(12), i.rem_euclid(12) + 1)
}

/// First and last day of the `months` months starting at month `i`.
fn span(i: i32, months: u32) -> (String, String) {
    let end = i + months as i32 - 1;
    // The month number is 1–12 by construction, so the conversion cannot fail.
    let last = u8::try_from(end.rem_euclid(12) + 1)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .map_or(28, |m| m.length(end.div_euclid(12)));
    (day(i, 1), day(end, last))
}

/// The first month of the period of `every` that holds month `i`: periods start in January
/// (years), January, April, July, October (quarters), or any month.
fn period_start(i: i32, every: Every) -> i32 {
    i - i.rem_euclid(every.months() as i32)
}

/// Meetings of `kind` held from `start` to `end` (YYYY-MM-DD, inclusive).
fn held_in(held: &[(MeetingKind, String)], kind: MeetingKind, start: &str, end: &str) -> u32 {
    let n = held
        .iter()
        .filter(|(k, d)| *k == kind && d.as_str() >= start && d.as_str() <= end)
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Every whole period of `every` from the one holding `from` to the last one that ended on or
/// before `to` (a period still running is not judged yet).
fn periods(every: Every, from: &str, to: &str) -> Rule<Vec<(String, String)>> {
    let mut i = period_start(month_index(from)?, every);
    let end = day_number(to)?;
    let mut out = Vec::new();
    loop {
        let (first, last) = span(i, every.months());
        if day_number(&last)? > end {
            return Ok(out);
        }
        out.push((first, last));
        i += every.months() as i32;
    }
}

/// Required against held, per requirement and whole period between `from` and `to`. `held` is
/// the kind and date of each valid meeting the branch held.
pub fn compliance(
    rule: &LifeRule,
    held: &[(MeetingKind, String)],
    from: &str,
    to: &str,
) -> Rule<Vec<Due>> {
    if day_number(to)? < day_number(from)? {
        return Err(DomainError::new(
            "life.period_invalid",
            "统计区间的结束日期不能早于开始日期",
            "the end of the period cannot precede its start",
        ));
    }
    let mut out = Vec::new();
    for req in &rule.requirements {
        for (start, end) in periods(req.every, from, to)? {
            out.push(Due {
                kind: req.kind,
                every: req.every,
                held: held_in(held, req.kind, &start, &end),
                start,
                end,
                required: req.times,
            });
        }
    }
    Ok(out)
}

/// Compliance rate in per mille: periods met ÷ periods required (1000 when nothing was due).
pub fn rate_per_mille(dues: &[Due]) -> i64 {
    if dues.is_empty() {
        return 1000;
    }
    let met = dues.iter().filter(|d| d.met()).count() as i64;
    met * 1000 / dues.len() as i64
}

/// The requirements whose current period ends within a week of `today` and is not met yet: what
/// the branch's work list shows.
pub fn reminders(rule: &LifeRule, held: &[(MeetingKind, String)], today: &str) -> Rule<Vec<Due>> {
    let now = day_number(today)?;
    let month = month_index(today)?;
    let mut out = Vec::new();
    for req in &rule.requirements {
        let (start, end) = span(period_start(month, req.every), req.every.months());
        let left = day_number(&end)? - now;
        let count = held_in(held, req.kind, &start, today);
        if (0..7).contains(&left) && count < req.times {
            out.push(Due {
                kind: req.kind,
                every: req.every,
                start,
                end,
                required: req.times,
                held: count,
            });
        }
    }
    Ok(out)
}

/// Whole calendar months, counted back from the one before `today`'s, in which the member took
/// part in no organisational life (`attended`: dates present at a meeting of the Party's life),
/// stopping at the month of `since` (joining, or the start of the record). The lapse watch flags
/// six.
pub fn months_without_life(attended: &[String], since: &str, today: &str) -> Rule<u32> {
    let first = month_index(since)?;
    let mut month = month_index(today)? - 1;
    let mut count = 0;
    while month >= first {
        let (start, end) = span(month, 1);
        if attended
            .iter()
            .any(|d| d.as_str() >= start.as_str() && d.as_str() <= end.as_str())
        {
            break;
        }
        count += 1;
        month -= 1;
    }
    Ok(count)
}

/// Months without organisational life that flag a member for the branch to decide.
pub const LAPSE_MONTHS_WITHOUT_LIFE: u32 = 6;

#[cfg(test)]
mod tests;
