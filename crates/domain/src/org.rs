//! Party organisations (《党章》, 《支部条例》): kinds and which kind may sit under which.

use crate::error::{DomainError, Rule};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 基层党委
    Committee,
    /// 党总支
    GeneralBranch,
    /// 党支部
    Branch,
    /// 联合党支部 (several small units, ≤5)
    JointBranch,
    /// 区域化/功能型党支部
    RegionalBranch,
    /// 党小组
    Group,
}

impl OrgKind {
    pub const ALL: [OrgKind; 6] = [
        OrgKind::Committee,
        OrgKind::GeneralBranch,
        OrgKind::Branch,
        OrgKind::JointBranch,
        OrgKind::RegionalBranch,
        OrgKind::Group,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Committee => "committee",
            OrgKind::GeneralBranch => "general_branch",
            OrgKind::Branch => "branch",
            OrgKind::JointBranch => "joint_branch",
            OrgKind::RegionalBranch => "regional_branch",
            OrgKind::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            OrgKind::Committee => "基层党委",
            OrgKind::GeneralBranch => "党总支",
            OrgKind::Branch => "党支部",
            OrgKind::JointBranch => "联合党支部",
            OrgKind::RegionalBranch => "区域化党支部",
            OrgKind::Group => "党小组",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            OrgKind::Committee => "Primary Party committee",
            OrgKind::GeneralBranch => "General branch",
            OrgKind::Branch => "Branch",
            OrgKind::JointBranch => "Joint branch",
            OrgKind::RegionalBranch => "Regional branch",
            OrgKind::Group => "Party group",
        }
    }

    fn is_branch(self) -> bool {
        matches!(
            self,
            OrgKind::Branch | OrgKind::JointBranch | OrgKind::RegionalBranch
        )
    }

    /// Which parent kinds an organisation of this kind may have (`None` = it may be a root).
    pub fn check_parent(self, parent: Option<OrgKind>) -> Rule<()> {
        let ok = match (self, parent) {
            (OrgKind::Committee, None | Some(OrgKind::Committee)) => true,
            (OrgKind::GeneralBranch, Some(OrgKind::Committee)) => true,
            (k, Some(OrgKind::Committee | OrgKind::GeneralBranch)) if k.is_branch() => true,
            (k, None) if k.is_branch() => true,
            (OrgKind::Group, Some(p)) if p.is_branch() => true,
            _ => false,
        };
        if ok {
            return Ok(());
        }
        let (pz, pe) = parent.map_or(("（无上级）", "(no parent)"), |p| (p.zh(), p.en()));
        Err(DomainError::new(
            "org.parent_kind",
            format!("{}不能设在{}之下", self.zh(), pz),
            format!("a {} cannot sit under {}", self.en(), pe),
        )
        .on("parent_id"))
    }
}

#[cfg(test)]
mod tests {
    use super::OrgKind::*;

    #[test]
    fn parent_kinds() {
        assert!(Committee.check_parent(None).is_ok());
        assert!(Committee.check_parent(Some(Committee)).is_ok());
        assert!(GeneralBranch.check_parent(Some(Committee)).is_ok());
        assert!(GeneralBranch.check_parent(None).is_err());
        assert!(Branch.check_parent(Some(GeneralBranch)).is_ok());
        assert!(JointBranch.check_parent(Some(Committee)).is_ok());
        assert!(Group.check_parent(Some(Branch)).is_ok());
        assert!(Group.check_parent(Some(RegionalBranch)).is_ok());
        assert_eq!(
            Group.check_parent(Some(Committee)).unwrap_err().code,
            "org.parent_kind"
        );
        assert!(Group.check_parent(None).is_err());
        assert!(Branch.check_parent(Some(Group)).is_err());
        assert!(Committee.check_parent(Some(Branch)).is_err());
    }
}

/// Sizes at which an organisation's kind stops fitting (《党章》 Art. 30, 《支部条例》 Art. 5, 《农村条例》).
/// Kept as data so a province can set its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormationRule {
    /// A 党支部 needs at least this many full members; fewer → join a 联合党支部.
    pub branch_min_full: i64,
    /// More members than this may form a 党总支.
    pub general_branch_over: i64,
    /// At least this many members may form a 基层党委.
    pub committee_from: i64,
}

impl Default for FormationRule {
    fn default() -> Self {
        Self {
            branch_min_full: 3,
            general_branch_over: 50,
            committee_from: 100,
        }
    }
}

/// Why an organisation's kind no longer fits its size: (code, zh, en).
pub fn formation_warning(
    rule: &FormationRule,
    kind: OrgKind,
    members: i64,
    full: i64,
) -> Option<(&'static str, String, String)> {
    let branch = matches!(kind, OrgKind::Branch | OrgKind::RegionalBranch);
    if branch && full < rule.branch_min_full {
        return Some((
            "org.too_few_full_members",
            format!(
                "正式党员{full}人，不足{}人：应与邻近单位成立联合党支部",
                rule.branch_min_full
            ),
            format!(
                "{full} full members, fewer than {}: join a joint branch",
                rule.branch_min_full
            ),
        ));
    }
    if (branch || kind == OrgKind::GeneralBranch) && members >= rule.committee_from {
        return Some((
            "org.may_form_committee",
            format!(
                "党员{members}人，已达{}人：可成立基层党委",
                rule.committee_from
            ),
            format!(
                "{members} members, {} or more: may form a primary Party committee",
                rule.committee_from
            ),
        ));
    }
    if branch && members > rule.general_branch_over {
        return Some((
            "org.may_form_general_branch",
            format!(
                "党员{members}人，超过{}人：可成立党总支",
                rule.general_branch_over
            ),
            format!(
                "{members} members, more than {}: may form a general branch",
                rule.general_branch_over
            ),
        ));
    }
    if kind == OrgKind::Committee && members < rule.committee_from {
        return Some((
            "org.committee_too_small",
            format!(
                "党员{members}人，不足{}人：不再符合成立基层党委的条件",
                rule.committee_from
            ),
            format!(
                "{members} members, fewer than {}: no longer fits a primary Party committee",
                rule.committee_from
            ),
        ));
    }
    None
}

#[cfg(test)]
mod formation_tests {
    use super::OrgKind::*;
    use super::{FormationRule, formation_warning};

    #[test]
    fn kinds_that_no_longer_fit() {
        let r = FormationRule::default();
        let code = |k, m, f| formation_warning(&r, k, m, f).map(|w| w.0);
        assert_eq!(code(Branch, 5, 2), Some("org.too_few_full_members"));
        assert_eq!(code(Branch, 5, 3), None);
        assert_eq!(code(Branch, 50, 40), None);
        assert_eq!(code(Branch, 51, 40), Some("org.may_form_general_branch"));
        assert_eq!(code(Branch, 100, 90), Some("org.may_form_committee"));
        assert_eq!(code(GeneralBranch, 99, 90), None);
        assert_eq!(code(GeneralBranch, 100, 90), Some("org.may_form_committee"));
        assert_eq!(code(Committee, 99, 90), Some("org.committee_too_small"));
        assert_eq!(code(Committee, 100, 90), None);
        assert_eq!(
            code(JointBranch, 4, 2),
            None,
            "a joint branch exists because its units are small"
        );
        assert_eq!(code(Group, 2, 1), None);
    }
}
