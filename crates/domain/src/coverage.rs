//! Two-new coverage (两新覆盖, DOMAIN.md Party organisations): units with a Party organisation (own
//! or 联合) ÷ units that qualify. Which units qualify is a rule with its basis and effective date;
//! the store keeps the rules and the figures per period.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageRule {
    /// Stable code, part of the metric names (`coverage.<code>.qualifying`).
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Unit kinds that count (`enterprise`, `social_org`, …).
    pub kinds: Vec<String>,
    /// Only enterprises above designated size (规模以上).
    pub above_size_only: bool,
    /// Least headcount for a unit to count.
    pub min_staff: i64,
    pub basis: String,
    /// `YYYY-MM-DD`: periods ending on or after this day are judged by this rule.
    pub effective_from: String,
}

impl CoverageRule {
    pub fn qualifies(&self, kind: &str, above_size: bool, staff: i64) -> bool {
        self.kinds.iter().any(|k| k == kind)
            && (above_size || !self.above_size_only)
            && staff >= self.min_staff
    }

    /// The rules jiceng starts with: the seeds' two figures (Doumen's enterprises above designated
    /// size, 68% → 94%; Yangjiang's 两新 organisations, 93.3%).
    pub fn defaults() -> Vec<CoverageRule> {
        vec![
            CoverageRule {
                code: "above_size".into(),
                name_zh: "规模以上企业党组织覆盖率".into(),
                name_en: "Coverage of enterprises above designated size".into(),
                kinds: vec!["enterprise".into()],
                above_size_only: true,
                min_staff: 0,
                basis: "《关于加强和改进非公有制企业党的建设工作的意见（试行）》（2012）".into(),
                effective_from: "2000-01-01".into(),
            },
            CoverageRule {
                code: "two_new".into(),
                name_zh: "两新组织党组织覆盖率".into(),
                name_en: "Coverage of non-public enterprises and social organisations".into(),
                kinds: vec!["enterprise".into(), "social_org".into()],
                above_size_only: false,
                min_staff: 3,
                basis: "《中国共产党章程》第三十条：有正式党员三人以上的，都应当成立党的基层组织；\
                        以从业人员3人以上为统计口径"
                    .into(),
                effective_from: "2000-01-01".into(),
            },
        ]
    }
}

/// The rule of each code in force on `day` (`YYYY-MM-DD`): the latest that took effect by then.
pub fn in_force<'a>(rules: &'a [CoverageRule], day: &str) -> Vec<&'a CoverageRule> {
    let mut out: Vec<&CoverageRule> = Vec::new();
    for r in rules.iter().filter(|r| r.effective_from.as_str() <= day) {
        match out.iter_mut().find(|o| o.code == r.code) {
            Some(o) if o.effective_from < r.effective_from => *o = r,
            Some(_) => {}
            None => out.push(r),
        }
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

/// Per mille, rounded half up; `None` when nothing qualifies (no figure, not 0%).
pub fn permille(covered: i64, qualifying: i64) -> Option<i64> {
    (qualifying > 0).then(|| (covered * 2000 + qualifying) / (qualifying * 2))
}

/// `94.1%` from per mille.
pub fn percent(permille: i64) -> String {
    format!("{}.{}%", permille / 10, permille % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifying_units() {
        let r = CoverageRule::defaults();
        let (above, two_new) = (&r[0], &r[1]);
        assert!(above.qualifies("enterprise", true, 1));
        assert!(!above.qualifies("enterprise", false, 5000));
        assert!(!above.qualifies("social_org", true, 50));
        assert!(two_new.qualifies("social_org", false, 3));
        assert!(!two_new.qualifies("social_org", false, 2));
        assert!(!two_new.qualifies("institution", false, 300));
    }

    #[test]
    fn the_rule_in_force_is_the_latest_by_the_day() {
        let mut rules = CoverageRule::defaults();
        let mut stricter = rules[1].clone();
        stricter.min_staff = 10;
        stricter.effective_from = "2024-01-01".into();
        rules.push(stricter);
        let before = in_force(&rules, "2023-12-31");
        assert_eq!(
            before
                .iter()
                .find(|r| r.code == "two_new")
                .unwrap()
                .min_staff,
            3
        );
        let after = in_force(&rules, "2024-01-01");
        assert_eq!(
            after
                .iter()
                .find(|r| r.code == "two_new")
                .unwrap()
                .min_staff,
            10
        );
        assert_eq!(after.len(), 2);
        assert!(in_force(&rules, "1999-12-31").is_empty());
    }

    #[test]
    fn rates_round_half_up_and_need_a_denominator() {
        assert_eq!(permille(94, 100), Some(940));
        assert_eq!(permille(2, 3), Some(667));
        assert_eq!(permille(1, 3), Some(333));
        assert_eq!(permille(0, 0), None);
        assert_eq!(percent(667), "66.7%");
        assert_eq!(percent(1000), "100.0%");
    }
}
