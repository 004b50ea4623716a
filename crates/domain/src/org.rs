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
