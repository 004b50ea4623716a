//! The period a compliance page is asked for (a month, a quarter, a year) and the requirement
//! periods inside it, each judged once it has ended: met, or missed. A requirement period still
//! running is shown as such and left out of the rate, as `compliance` leaves it out.

use super::{Due, Every, LifeRule, held_in, month_index, span};
use crate::error::{DomainError, Rule};
use crate::meeting::{MeetingKind, day_number};
use crate::org::OrgKind;

/// Organisations that hold 三会一课: the branches (党支部, 联合党支部, 区域化党支部). A 党委 or 党总支
/// meets through its own committee and its branches; a 党小组 within its branch.
pub fn holds_branch_life(kind: OrgKind) -> bool {
    matches!(
        kind,
        OrgKind::Branch | OrgKind::JointBranch | OrgKind::RegionalBranch
    )
}

/// A calendar month, quarter or year: `2025-11`, `2025-Q4`, `2025`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    pub every: Every,
    /// The first month (year × 12 + month − 1).
    first: i32,
}

fn invalid() -> DomainError {
    DomainError::new(
        "life.period_invalid",
        "统计期格式应为 2025-11（月）、2025-Q4（季度）或 2025（年）",
        "a period looks like 2025-11 (month), 2025-Q4 (quarter) or 2025 (year)",
    )
    .on("period")
}

impl Period {
    pub fn parse(s: &str) -> Rule<Period> {
        let s = s.trim();
        let year = |y: &str| -> Rule<i32> {
            match y.parse::<i32>() {
                Ok(v) if y.len() == 4 && (1900..=9999).contains(&v) => Ok(v),
                _ => Err(invalid()),
            }
        };
        let (every, first) = match (s.get(..4), s.get(4..5), s.get(5..)) {
            (Some(y), None, None) => (Every::Year, year(y)? * 12),
            (Some(y), Some("-"), Some(q)) if q.len() == 2 && q.starts_with(['Q', 'q']) => {
                match q[1..].parse::<i32>() {
                    Ok(n @ 1..=4) => (Every::Quarter, year(y)? * 12 + (n - 1) * 3),
                    _ => return Err(invalid()),
                }
            }
            (Some(y), Some("-"), Some(m)) if m.len() == 2 => match m.parse::<i32>() {
                Ok(n @ 1..=12) => (Every::Month, year(y)? * 12 + n - 1),
                _ => return Err(invalid()),
            },
            _ => return Err(invalid()),
        };
        Ok(Period { every, first })
    }

    /// The period of `every` that holds `day` (YYYY-MM-DD).
    pub fn of(every: Every, day: &str) -> Rule<Period> {
        let i = month_index(day)?;
        Ok(Period {
            every,
            first: i - i.rem_euclid(every.months() as i32),
        })
    }

    /// `2025-11`, `2025-Q4`, `2025`: the period's name in links and in roll-ups.
    pub fn label(&self) -> String {
        let (y, m) = (self.first.div_euclid(12), self.first.rem_euclid(12) + 1);
        match self.every {
            Every::Month => format!("{y:04}-{m:02}"),
            Every::Quarter => format!("{y:04}-Q{}", (m - 1) / 3 + 1),
            Every::Year => format!("{y:04}"),
        }
    }

    /// `2025年11月`, `2025年第4季度`, `2025年`.
    pub fn zh(&self) -> String {
        let (y, m) = (self.first.div_euclid(12), self.first.rem_euclid(12) + 1);
        match self.every {
            Every::Month => format!("{y}年{m}月"),
            Every::Quarter => format!("{y}年第{}季度", (m - 1) / 3 + 1),
            Every::Year => format!("{y}年"),
        }
    }

    /// First and last day (YYYY-MM-DD).
    pub fn days(&self) -> (String, String) {
        span(self.first, self.every.months())
    }

    pub fn prev(&self) -> Period {
        Period {
            every: self.every,
            first: self.first - self.every.months() as i32,
        }
    }

    pub fn next(&self) -> Period {
        Period {
            every: self.every,
            first: self.first + self.every.months() as i32,
        }
    }

    /// The requirement periods of `every` inside this one, in order (none when `every` is longer).
    pub fn parts(&self, every: Every) -> Vec<Period> {
        let step = every.months();
        if step > self.every.months() {
            return Vec::new();
        }
        (0..self.every.months() / step)
            .map(|n| Period {
                every,
                first: self.first + (n * step) as i32,
            })
            .collect()
    }

    /// Whether the period is over on `today` (its last day is before it): only then is it judged.
    pub fn ended(&self, today: &str) -> Rule<bool> {
        Ok(day_number(&self.days().1)? < day_number(today)?)
    }
}

/// One requirement period inside the chosen one, with whether it has ended (and so is judged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    pub due: Due,
    pub period: Period,
    pub ended: bool,
}

impl Judged {
    /// Over and not met.
    pub fn missed(&self) -> bool {
        self.ended && !self.due.met()
    }
}

/// Each requirement of the rule in each of its periods inside `period` that has begun by `today`,
/// counted against the valid meetings `held` (kind, date).
pub fn judge(
    rule: &LifeRule,
    held: &[(MeetingKind, String)],
    period: &Period,
    today: &str,
) -> Rule<Vec<Judged>> {
    let mut out = Vec::new();
    for req in &rule.requirements {
        for p in period.parts(req.every) {
            let (start, end) = p.days();
            if start.as_str() > today {
                continue;
            }
            out.push(Judged {
                ended: p.ended(today)?,
                period: p,
                due: Due {
                    kind: req.kind,
                    every: req.every,
                    held: held_in(held, req.kind, &start, &end),
                    start,
                    end,
                    required: req.times,
                },
            });
        }
    }
    Ok(out)
}

/// The rate over the ended periods, per mille (`None` when none has ended yet).
pub fn judged_rate(judged: &[Judged]) -> Option<i64> {
    let ended: Vec<&Judged> = judged.iter().filter(|j| j.ended).collect();
    if ended.is_empty() {
        return None;
    }
    let met = ended.iter().filter(|j| j.due.met()).count() as i64;
    Some(met * 1000 / ended.len() as i64)
}
