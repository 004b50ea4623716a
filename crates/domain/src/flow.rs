//! Flowing members (流动党员): a member away from the register organisation for at least six
//! consecutive months (DOMAIN.md, Members). The member stays registered where they are; the record
//! says where they are, since when, and which 流动党员 branch (if any) hosts them.

use crate::error::{DomainError, Rule};
use crate::member::parse_date;
use crate::recruitment::add_months;

/// The rule as data, with its basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRule {
    /// Months away before a member counts as flowing.
    pub min_months: u32,
    pub basis: &'static str,
}

impl Default for FlowRule {
    fn default() -> Self {
        Self {
            min_months: 6,
            basis: "《中国共产党党员教育管理工作条例》流动党员管理：外出连续6个月以上",
        }
    }
}

/// Only members in the full sense flow: probationary and full members.
pub const FLOWING_STATUSES: [&str; 2] = ["probationary", "full"];

/// Checks that a member of `status`, away since `away_since`, may be registered as flowing on
/// `on`. Returns both dates normalised.
pub fn check_start(
    rule: &FlowRule,
    status: &str,
    away_since: &str,
    on: &str,
) -> Rule<(String, String)> {
    if !FLOWING_STATUSES.contains(&status) {
        return Err(DomainError::new(
            "flow.not_member",
            "只有预备党员和正式党员才能登记为流动党员",
            "only probationary and full members can be registered as flowing",
        )
        .on("away_since"));
    }
    let away = parse_date(away_since, "away_since")?;
    let on = parse_date(on, "registered_on")?;
    if away > on {
        return Err(DomainError::new(
            "flow.away_in_future",
            "外出日期不能晚于登记日期",
            "the date of leaving cannot be after the registration date",
        )
        .on("away_since"));
    }
    let from = add_months(&away, rule.min_months);
    if from > on {
        return Err(DomainError::new(
            "flow.too_short",
            format!(
                "外出连续满{}个月方可登记为流动党员（{}），{from} 起可登记",
                rule.min_months, rule.basis
            ),
            format!(
                "a member counts as flowing after {} consecutive months away; possible from {from}",
                rule.min_months
            ),
        )
        .on("away_since"));
    }
    Ok((away, on))
}

/// Checks the date a flow ends (the member came back or moved their relation).
pub fn check_end(away_since: &str, ended_on: &str) -> Rule<String> {
    let end = parse_date(ended_on, "ended_on")?;
    if end.as_str() < away_since {
        return Err(DomainError::new(
            "flow.end_before_start",
            format!("结束日期不能早于外出日期（{away_since}）"),
            format!("the end cannot be before the member left ({away_since})"),
        )
        .on("ended_on"));
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_months_away_is_the_edge() {
        let r = FlowRule::default();
        // Left on 2026-01-15: flowing from 2026-07-15, not a day earlier.
        assert!(check_start(&r, "full", "2026-01-15", "2026-07-15").is_ok());
        let e = check_start(&r, "full", "2026-01-15", "2026-07-14").unwrap_err();
        assert_eq!(e.code, "flow.too_short");
        assert!(e.zh.contains("2026-07-15 起可登记"), "{}", e.zh);
        // Month ends clip: away from 2025-08-31, possible from 2026-02-28.
        assert!(check_start(&r, "probationary", "2025-08-31", "2026-02-28").is_ok());
        assert!(check_start(&r, "probationary", "2025-08-31", "2026-02-27").is_err());
    }

    #[test]
    fn the_rule_is_data() {
        let r = FlowRule {
            min_months: 3,
            basis: "test",
        };
        assert!(check_start(&r, "full", "2026-01-15", "2026-04-15").is_ok());
    }

    #[test]
    fn only_members_flow_and_dates_make_sense() {
        let r = FlowRule::default();
        for s in ["applicant", "activist", "prospect", "left", "deceased"] {
            assert_eq!(
                check_start(&r, s, "2020-01-01", "2026-01-01")
                    .unwrap_err()
                    .code,
                "flow.not_member"
            );
        }
        assert_eq!(
            check_start(&r, "full", "2026-09-01", "2026-08-01")
                .unwrap_err()
                .code,
            "flow.away_in_future"
        );
        assert_eq!(
            check_start(&r, "full", "2026-02-30", "2026-09-01")
                .unwrap_err()
                .code,
            "member.date_invalid"
        );
        assert!(check_end("2026-01-01", "2026-01-01").is_ok());
        assert_eq!(
            check_end("2026-01-01", "2025-12-31").unwrap_err().code,
            "flow.end_before_start"
        );
    }
}
