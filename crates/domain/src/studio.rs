//! Party-representative studios (党代表工作室, issue 5): the duty schedule is an RFC 5545
//! recurrence rule (by default `FREQ=MONTHLY;BYDAY=2TU`, the second Tuesday of each month),
//! 09:00–11:30 Beijing time, read and expanded by the `rrule` crate. A rule is kept as the text
//! the feed publishes; `Duty::parse` is the only way to build one, so a stored rule expands.

use crate::error::{DomainError, Rule};
use chrono::{NaiveDate, NaiveTime, TimeZone};
use rrule::{Frequency, RRule, RRuleSet, Tz, Unvalidated};

/// The default duty day: the second Tuesday of each month.
pub const DEFAULT_RULE: &str = "FREQ=MONTHLY;BYDAY=2TU";
pub const DEFAULT_STARTS: &str = "09:00";
pub const DEFAULT_ENDS: &str = "11:30";
/// The time zone of every duty time (and of the feeds' DTSTART).
pub const TZID: &str = "Asia/Shanghai";
/// How far ahead a rule must give a duty day (a rule that never does is refused).
const HORIZON_DAYS: i64 = 400;

fn refuse(code: &'static str, zh: impl Into<String>, en: &str, field: &'static str) -> DomainError {
    DomainError::new(code, zh, en).on(field)
}

fn day(s: &str, field: &'static str) -> Rule<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        refuse(
            "date.invalid",
            format!("日期格式应为YYYY-MM-DD：{s}"),
            "a date is YYYY-MM-DD",
            field,
        )
    })
}

fn clock(s: &str, field: &'static str) -> Rule<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| {
        refuse(
            "studio.time_invalid",
            format!("时间格式应为HH:MM：{s}"),
            "a time is HH:MM",
            field,
        )
    })
}

/// A studio's duty schedule: the rule, the day it runs from, and the hours (Beijing time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duty {
    rule: String,
    since: NaiveDate,
    starts: NaiveTime,
    ends: NaiveTime,
}

impl Duty {
    /// Checks a rule as typed (an `RRULE:` prefix and case are forgiven): it must parse, be
    /// weekly or monthly, leave the hours to the schedule, and give a duty day within a year.
    pub fn parse(rule: &str, since: &str, starts: &str, ends: &str) -> Rule<Duty> {
        let text = rule.trim().to_ascii_uppercase();
        let text = text
            .strip_prefix("RRULE:")
            .unwrap_or(&text)
            .trim()
            .to_string();
        let bad = |why: &str| {
            refuse(
                "studio.rule_invalid",
                format!("接待日规则无效（{why}），例如 {DEFAULT_RULE} 表示每月第二个星期二"),
                "the duty rule is not a valid RFC 5545 RRULE",
                "rule",
            )
        };
        if text.is_empty() || text.len() > 200 {
            return Err(bad("不能为空，不超过200字符"));
        }
        let since = day(since, "since")?;
        let (starts, ends) = (clock(starts, "starts")?, clock(ends, "ends")?);
        if ends <= starts {
            return Err(refuse(
                "studio.hours_invalid",
                "结束时间须晚于开始时间",
                "the duty ends after it starts",
                "ends",
            ));
        }
        if ["BYHOUR", "BYMINUTE", "BYSECOND"]
            .iter()
            .any(|k| text.contains(k))
        {
            return Err(bad("时间由开始、结束时间给出，规则中不写时分秒"));
        }
        let parsed: RRule<Unvalidated> = text.parse().map_err(|_| bad("无法解析"))?;
        if !matches!(parsed.get_freq(), Frequency::Weekly | Frequency::Monthly) {
            return Err(bad("接待日须为每周（WEEKLY）或每月（MONTHLY）"));
        }
        let duty = Duty {
            rule: text,
            since,
            starts,
            ends,
        };
        let first = duty.set()?.all(1).dates;
        let horizon = since + chrono::Duration::days(HORIZON_DAYS);
        if first.first().is_none_or(|d| d.date_naive() > horizon) {
            return Err(bad("一年内没有接待日"));
        }
        Ok(duty)
    }

    pub fn rule(&self) -> &str {
        &self.rule
    }
    pub fn since(&self) -> String {
        self.since.format("%Y-%m-%d").to_string()
    }
    pub fn starts(&self) -> String {
        self.starts.format("%H:%M").to_string()
    }
    pub fn ends(&self) -> String {
        self.ends.format("%H:%M").to_string()
    }

    fn at(&self, d: NaiveDate, t: NaiveTime) -> Rule<chrono::DateTime<Tz>> {
        Tz::Asia__Shanghai
            .from_local_datetime(&d.and_time(t))
            .single()
            .ok_or_else(|| refuse("date.invalid", "日期超出范围", "date out of range", "since"))
    }

    /// The rule anchored at its first day (before the first occurrence: DTSTART need not be one).
    fn set(&self) -> Rule<RRuleSet> {
        let start = self.at(self.since, self.starts)?;
        let rule: RRule<Unvalidated> = self.rule.parse().map_err(|_| {
            refuse(
                "studio.rule_invalid",
                "接待日规则无效",
                "invalid rule",
                "rule",
            )
        })?;
        let rule = rule.validate(start).map_err(|e| {
            refuse(
                "studio.rule_invalid",
                format!("接待日规则无效：{e}"),
                "invalid rule",
                "rule",
            )
        })?;
        Ok(RRuleSet::new(start).rrule(rule))
    }

    /// Duty days from `from` to `to` (both included, YYYY-MM-DD), at most `limit`.
    pub fn days_between(&self, from: &str, to: &str, limit: u16) -> Rule<Vec<String>> {
        let (from, to) = (day(from, "from")?, day(to, "to")?);
        let midnight = NaiveTime::MIN;
        let after = self.at(from, midnight)? - chrono::Duration::seconds(1);
        let before = self.at(to + chrono::Duration::days(1), midnight)?;
        Ok(self
            .set()?
            .after(after)
            .before(before)
            .all(limit)
            .dates
            .iter()
            .map(|d| d.date_naive().format("%Y-%m-%d").to_string())
            .collect())
    }

    /// The next `n` duty days on or after `from`.
    pub fn next_days(&self, from: &str, n: u16) -> Rule<Vec<String>> {
        let end = day(from, "from")? + chrono::Duration::days(HORIZON_DAYS * 3);
        self.days_between(from, &end.format("%Y-%m-%d").to_string(), n)
    }

    pub fn is_duty_day(&self, on: &str) -> Rule<bool> {
        Ok(!self.days_between(on, on, 1)?.is_empty())
    }

    /// The first duty day (the feed's DTSTART, which RFC 5545 wants to be an occurrence).
    pub fn first_day(&self) -> Rule<String> {
        let since = self.since();
        self.next_days(&since, 1)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                refuse(
                    "studio.rule_invalid",
                    "接待日规则无效",
                    "invalid rule",
                    "rule",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn default_since(since: &str) -> Duty {
        Duty::parse(DEFAULT_RULE, since, DEFAULT_STARTS, DEFAULT_ENDS).unwrap()
    }

    #[test]
    fn second_tuesday_across_a_year_boundary() {
        let d = default_since("2026-10-01");
        assert_eq!(
            d.next_days("2026-10-01", 5).unwrap(),
            [
                "2026-10-13",
                "2026-11-10",
                "2026-12-08",
                "2027-01-12",
                "2027-02-09"
            ]
        );
        assert_eq!(d.first_day().unwrap(), "2026-10-13");
        assert!(d.is_duty_day("2027-01-12").unwrap());
        assert!(!d.is_duty_day("2027-01-05").unwrap());
        // Before the schedule began there is no duty day.
        assert!(!d.is_duty_day("2026-09-08").unwrap());
        assert_eq!(
            d.days_between("2026-10-14", "2026-11-09", 10)
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn rules_are_normalised_and_bad_ones_refused() {
        let d = Duty::parse("rrule:freq=weekly;byday=we", "2026-01-01", "14:00", "16:00").unwrap();
        assert_eq!(d.rule(), "FREQ=WEEKLY;BYDAY=WE");
        assert_eq!(
            d.next_days("2026-01-01", 2).unwrap(),
            ["2026-01-07", "2026-01-14"]
        );
        for (rule, since, s, e, code) in [
            (
                "FREQ=MONTHLY;BYDAY=9XX",
                "2026-01-01",
                "09:00",
                "11:30",
                "studio.rule_invalid",
            ),
            (
                "hello",
                "2026-01-01",
                "09:00",
                "11:30",
                "studio.rule_invalid",
            ),
            (
                "FREQ=DAILY",
                "2026-01-01",
                "09:00",
                "11:30",
                "studio.rule_invalid",
            ),
            (
                "FREQ=MONTHLY;BYDAY=2TU;BYHOUR=9",
                "2026-01-01",
                "09:00",
                "11:30",
                "studio.rule_invalid",
            ),
            (
                "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20200101T000000Z",
                "2026-01-01",
                "09:00",
                "11:30",
                "studio.rule_invalid",
            ),
            ("", "2026-01-01", "09:00", "11:30", "studio.rule_invalid"),
            (DEFAULT_RULE, "2026-13-01", "09:00", "11:30", "date.invalid"),
            (
                DEFAULT_RULE,
                "2026-01-01",
                "9点",
                "11:30",
                "studio.time_invalid",
            ),
            (
                DEFAULT_RULE,
                "2026-01-01",
                "11:30",
                "09:00",
                "studio.hours_invalid",
            ),
        ] {
            assert_eq!(
                Duty::parse(rule, since, s, e).unwrap_err().code,
                code,
                "{rule}"
            );
        }
    }
}
