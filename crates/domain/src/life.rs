//! Organisational life (三会一课, 《中国共产党支部工作条例（试行）》 and 《中国共产党党员教育管理工作条例》):
//! what each branch must hold and how often, as data with the date it took effect; compliance per
//! period (required against held, with the misses listed); reminders a week before a period ends
//! with its requirement unmet; and the months a member has gone without organisational life.

use crate::error::{DomainError, Rule};
use crate::meeting::{MeetingKind, day_number};
use serde::{Deserialize, Serialize};

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

/// At least `times` meetings of `kind` in every period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub kind: MeetingKind,
    pub every: Every,
    pub times: u32,
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
    /// monthly, 组织生活会 and 民主评议 yearly.
    pub fn cpc_2018() -> Self {
        let r = |kind, every| Requirement {
            kind,
            every,
            times: 1,
        };
        Self {
            effective_from: "2018-10-28".into(),
            basis: "《中国共产党支部工作条例（试行）》（2018）".into(),
            requirements: vec![
                r(MeetingKind::BranchAssembly, Every::Quarter),
                r(MeetingKind::BranchCommittee, Every::Month),
                r(MeetingKind::GroupMeeting, Every::Month),
                r(MeetingKind::PartyLecture, Every::Quarter),
                r(MeetingKind::ThemeDay, Every::Month),
                r(MeetingKind::LifeMeeting, Every::Year),
                r(MeetingKind::Appraisal, Every::Year),
            ],
        }
    }
}

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

/// (year, month) of a YYYY-MM-DD date.
fn ym(date: &str) -> Rule<(i32, u32)> {
    day_number(date)?;
    let y = date[..4].parse().unwrap_or_default();
    let m = date[5..7].parse().unwrap_or_default();
    Ok((y, m))
}

fn first_day(y: i32, m: u32) -> String {
    format!("{y:04}-{m:02}-01")
}

/// The last day of the period of `months` months starting at (y, m).
fn last_day(y: i32, m: u32, months: u32) -> String {
    let total = y * 12 + (m as i32 - 1) + months as i32;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    // The day before the next period starts.
    let next = day_number(&first_day(ny, nm)).unwrap_or_default() - 1;
    civil(next)
}

/// YYYY-MM-DD of a day number (the inverse of `day_number`).
fn civil(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Every whole period of `every` from the one holding `from` to the last one that ended on or
/// before `to` (a period still running is not judged yet).
fn periods(every: Every, from: &str, to: &str) -> Rule<Vec<(String, String)>> {
    let (fy, fm) = ym(from)?;
    let n = every.months();
    // Periods start at January (years), January/April/July/October (quarters), any month.
    let mut m = fm - (fm - 1) % n;
    let mut y = fy;
    let end = day_number(to)?;
    let mut out = Vec::new();
    loop {
        let last = last_day(y, m, n);
        if day_number(&last)? > end {
            return Ok(out);
        }
        out.push((first_day(y, m), last));
        m += n;
        if m > 12 {
            m -= 12;
            y += 1;
        }
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
            let count = held
                .iter()
                .filter(|(k, d)| {
                    *k == req.kind && d.as_str() >= start.as_str() && d.as_str() <= end.as_str()
                })
                .count();
            out.push(Due {
                kind: req.kind,
                every: req.every,
                start,
                end,
                required: req.times,
                held: u32::try_from(count).unwrap_or(u32::MAX),
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
    let (y, m) = ym(today)?;
    let mut out = Vec::new();
    for req in &rule.requirements {
        let n = req.every.months();
        let start_m = m - (m - 1) % n;
        let (start, end) = (first_day(y, start_m), last_day(y, start_m, n));
        let left = day_number(&end)? - now;
        let count = held
            .iter()
            .filter(|(k, d)| *k == req.kind && d.as_str() >= start.as_str() && d.as_str() <= today)
            .count();
        let count = u32::try_from(count).unwrap_or(u32::MAX);
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
    let (sy, sm) = ym(since)?;
    let (ty, tm) = ym(today)?;
    let first = sy * 12 + sm as i32 - 1;
    let mut month = ty * 12 + tm as i32 - 2;
    let mut count = 0;
    while month >= first {
        let (y, m) = (month.div_euclid(12), month.rem_euclid(12) as u32 + 1);
        let (start, end) = (first_day(y, m), last_day(y, m, 1));
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
