//! Party dues (《党费规定》, 2008): a monthly amount from the after-tax monthly income, by bracket.
//! The brackets are data with the date they took effect (`DuesRule`), so a change of rules does not
//! rewrite history; the whole income is charged at its bracket's rate (not progressively).
//! Amounts are in fen (分).

use crate::error::{DomainError, Rule};
use serde::{Deserialize, Serialize};

/// One bracket: incomes up to and including `upto` (fen; `None` = no limit) pay `per_mille`‰.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bracket {
    pub upto: Option<i64>,
    pub per_mille: i64,
}

/// The rules in force from `effective_from` (YYYY-MM-DD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuesRule {
    pub effective_from: String,
    pub basis: String,
    /// Employees and workers on a salary.
    pub salaried: Vec<Bracket>,
    /// Retirees, on their pension.
    pub retiree: Vec<Bracket>,
    /// Farmers: a fixed monthly amount (the rule allows 0.2–1 yuan).
    pub farmer: i64,
    /// Students, the unemployed and 低保 recipients: a fixed amount.
    pub nominal: i64,
}

impl DuesRule {
    /// 《关于中国共产党党费收缴、使用和管理的规定》(中组发〔2008〕3号), in force from 2008-04-01.
    pub fn cpc_2008() -> Self {
        let b = |upto: Option<i64>, per_mille| Bracket { upto, per_mille };
        Self {
            effective_from: "2008-04-01".into(),
            basis: "《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）".into(),
            salaried: vec![
                b(Some(300_000), 5),
                b(Some(500_000), 10),
                b(Some(1_000_000), 15),
                b(None, 20),
            ],
            retiree: vec![b(Some(500_000), 5), b(None, 10)],
            farmer: 50,
            nominal: 20,
        }
    }

    /// Checks that the brackets are usable: ascending limits, the last one open, rates 0–100‰,
    /// fixed amounts within the rule's range.
    pub fn check(&self) -> Rule<()> {
        for brackets in [&self.salaried, &self.retiree] {
            let limits: Vec<Option<i64>> = brackets.iter().map(|b| b.upto).collect();
            let ascending = limits.windows(2).all(|w| {
                matches!((w[0], w[1]), (Some(a), Some(b)) if a < b)
                    || matches!((w[0], w[1]), (Some(_), None))
            });
            let open_end = limits.last() == Some(&None);
            if brackets.is_empty()
                || !ascending
                || !open_end
                || brackets.iter().any(|b| !(0..=100).contains(&b.per_mille))
            {
                return Err(DomainError::new(
                    "dues.rule_invalid",
                    "党费档次须按收入从低到高排列，最后一档不设上限，比例在0–10%之间",
                    "brackets must ascend, end open, and rates lie within 0–10%",
                ));
            }
        }
        if !(20..=100).contains(&self.farmer) || self.nominal < 0 {
            return Err(DomainError::new(
                "dues.rule_invalid",
                "农民党员每月交纳0.2元至1元",
                "farmers pay 0.2–1 yuan a month",
            ));
        }
        Ok(())
    }

    /// The monthly dues of a member in `occupation` with after-tax monthly income `income` (fen).
    pub fn monthly(&self, occupation: &str, income: i64) -> Rule<i64> {
        let by_bracket = |brackets: &[Bracket]| -> Rule<i64> {
            if income < 0 {
                return Err(DomainError::new(
                    "dues.income_invalid",
                    "月收入不能为负数",
                    "income cannot be negative",
                )
                .on("income"));
            }
            let rate = brackets
                .iter()
                .find(|b| b.upto.is_none_or(|u| income <= u))
                .map_or(0, |b| b.per_mille);
            // Half a fen and up rounds up.
            Ok((income * rate + 500) / 1000)
        };
        match occupation {
            "employee" | "worker" | "other" => by_bracket(&self.salaried),
            "retiree" => by_bracket(&self.retiree),
            "farmer" => Ok(self.farmer),
            "student" | "unemployed" | "dibao" => Ok(self.nominal),
            _ => Err(DomainError::new(
                "dues.occupation_unknown",
                "未知的职业类别，无法计算党费",
                "unknown occupation: dues cannot be computed",
            )
            .on("occupation")),
        }
    }
}

/// Picks the rule in force on `date` (YYYY-MM-DD) from rules in any order.
pub fn rule_on<'a>(rules: &'a [DuesRule], date: &str) -> Option<&'a DuesRule> {
    rules
        .iter()
        .filter(|r| r.effective_from.as_str() <= date)
        .max_by(|a, b| a.effective_from.cmp(&b.effective_from))
}

/// Parses an amount in yuan as typed (`3000`, `3000.5`, `3,000.01`) into fen.
pub fn parse_yuan(raw: &str, field: &'static str) -> Rule<i64> {
    let s: String = raw
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    let bad = || {
        DomainError::new(
            "dues.amount_invalid",
            "金额须为不超过两位小数的非负数（元）",
            "an amount is a non-negative number of yuan with at most two decimals",
        )
        .on(field)
    };
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    if int.is_empty()
        || int.len() > 10
        || frac.len() > 2
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let yuan: i64 = int.parse().map_err(|_| bad())?;
    let fen: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    Ok(yuan * 100 + fen)
}

/// `12.50` from 1250 fen.
pub fn format_yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, (fen % 100).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dues(occupation: &str, yuan: &str) -> String {
        format_yuan(
            DuesRule::cpc_2008()
                .monthly(occupation, parse_yuan(yuan, "income").unwrap())
                .unwrap(),
        )
    }

    #[test]
    fn every_bracket_edge() {
        assert_eq!(dues("employee", "3000.00"), "15.00"); // 0.5%
        assert_eq!(dues("employee", "3000.01"), "30.00"); // 1%
        assert_eq!(dues("employee", "5000"), "50.00"); // 1%
        assert_eq!(dues("employee", "5000.01"), "75.00"); // 1.5%
        assert_eq!(dues("employee", "10000"), "150.00"); // 1.5%
        assert_eq!(dues("employee", "10000.01"), "200.00"); // 2%
        assert_eq!(dues("retiree", "5000"), "25.00"); // 0.5%
        assert_eq!(dues("retiree", "5000.01"), "50.00"); // 1%
        assert_eq!(dues("farmer", "0"), "0.50");
        assert_eq!(dues("student", "0"), "0.20");
        assert_eq!(dues("dibao", "800"), "0.20");
        assert_eq!(dues("unemployed", "0"), "0.20");
        assert_eq!(dues("employee", "0"), "0.00");
    }

    #[test]
    fn rules_are_data_with_a_date() {
        let mut newer = DuesRule::cpc_2008();
        newer.effective_from = "2030-01-01".into();
        newer.salaried[0].per_mille = 4;
        let rules = [newer.clone(), DuesRule::cpc_2008()];
        assert_eq!(
            rule_on(&rules, "2026-11-23").unwrap().effective_from,
            "2008-04-01"
        );
        assert_eq!(
            rule_on(&rules, "2030-01-01").unwrap().effective_from,
            "2030-01-01"
        );
        assert!(rule_on(&rules, "2000-01-01").is_none());
        assert!(DuesRule::cpc_2008().check().is_ok());
        let mut bad = DuesRule::cpc_2008();
        bad.salaried.swap(0, 1);
        assert!(bad.check().is_err());
        bad = DuesRule::cpc_2008();
        bad.farmer = 150;
        assert!(bad.check().is_err());
    }

    #[test]
    fn amounts_as_typed() {
        assert_eq!(parse_yuan("3,000.5", "x").unwrap(), 300_050);
        assert_eq!(parse_yuan("0.01", "x").unwrap(), 1);
        for bad in ["", "-1", "1.234", "abc", "1e5", "."] {
            assert!(parse_yuan(bad, "x").is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Within a category, more income never means less dues.
        #[test]
        fn dues_are_monotone_in_income(a in 0i64..5_000_000, b in 0i64..5_000_000, retiree: bool) {
            let r = DuesRule::cpc_2008();
            let occ = if retiree { "retiree" } else { "employee" };
            let (lo, hi) = (a.min(b), a.max(b));
            proptest::prop_assert!(r.monthly(occ, lo).unwrap() <= r.monthly(occ, hi).unwrap());
        }
    }
}
