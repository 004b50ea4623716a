//! Roles are bound to a node of the place tree; the three administrators are separated (三员分立).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 区委组织部
    DistrictOrg,
    /// 镇街党委
    TownCommittee,
    /// 村（社区）党组织、两委
    VillageCommittee,
    /// 党群服务中心工作人员（聘用）
    ServiceStaff,
    /// 网格员
    GridWorker,
    /// 党员
    Member,
    /// 群众（自行注册，后续）
    Resident,
    /// 系统管理员
    SysAdmin,
    /// 安全管理员
    SecAdmin,
    /// 审计管理员
    AuditAdmin,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::DistrictOrg,
        Role::TownCommittee,
        Role::VillageCommittee,
        Role::ServiceStaff,
        Role::GridWorker,
        Role::Member,
        Role::Resident,
        Role::SysAdmin,
        Role::SecAdmin,
        Role::AuditAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::DistrictOrg => "district_org",
            Role::TownCommittee => "town_committee",
            Role::VillageCommittee => "village_committee",
            Role::ServiceStaff => "service_staff",
            Role::GridWorker => "grid_worker",
            Role::Member => "member",
            Role::Resident => "resident",
            Role::SysAdmin => "sys_admin",
            Role::SecAdmin => "sec_admin",
            Role::AuditAdmin => "audit_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Role::DistrictOrg => "区委组织部",
            Role::TownCommittee => "镇街党委",
            Role::VillageCommittee => "村（社区）两委",
            Role::ServiceStaff => "党群服务中心工作人员",
            Role::GridWorker => "网格员",
            Role::Member => "党员",
            Role::Resident => "群众",
            Role::SysAdmin => "系统管理员",
            Role::SecAdmin => "安全管理员",
            Role::AuditAdmin => "审计管理员",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Role::DistrictOrg => "District organisation department",
            Role::TownCommittee => "Town Party committee",
            Role::VillageCommittee => "Village committee",
            Role::ServiceStaff => "Service-centre staff",
            Role::GridWorker => "Grid worker",
            Role::Member => "Party member",
            Role::Resident => "Resident",
            Role::SysAdmin => "System administrator",
            Role::SecAdmin => "Security administrator",
            Role::AuditAdmin => "Audit administrator",
        }
    }

    /// Administrators must pass a second factor (等保 level 3).
    pub fn is_admin(self) -> bool {
        matches!(self, Role::SysAdmin | Role::SecAdmin | Role::AuditAdmin)
    }

    /// May read the structure (places, organisations, units) of its subtree.
    pub fn reads_structure(self) -> bool {
        !matches!(self, Role::SecAdmin | Role::AuditAdmin | Role::Resident)
    }

    /// May create, rename, move and close places, organisations and units in its subtree.
    pub fn edits_structure(self) -> bool {
        matches!(
            self,
            Role::DistrictOrg | Role::TownCommittee | Role::VillageCommittee | Role::SysAdmin
        )
    }

    /// May read and edit the member register of its subtree, and reveal sealed personal data
    /// (each reveal is audited). Personal data is for the organisation departments and 两委 only.
    pub fn manages_members(self) -> bool {
        matches!(
            self,
            Role::DistrictOrg | Role::TownCommittee | Role::VillageCommittee
        )
    }

    /// May create accounts and reset passwords (the system administrator; 三员分立).
    pub fn manages_accounts(self) -> bool {
        matches!(self, Role::SysAdmin)
    }

    /// May lock and unlock accounts and see security events (the security administrator).
    pub fn manages_security(self) -> bool {
        matches!(self, Role::SecAdmin)
    }

    /// Only the audit administrator reads the audit log.
    pub fn reads_audit(self) -> bool {
        matches!(self, Role::AuditAdmin)
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn three_administrators_are_separated() {
        // No role may both change things and read the audit log of those changes.
        for r in Role::ALL {
            let powers = [
                r.edits_structure() || r.manages_accounts(),
                r.manages_security(),
                r.reads_audit(),
            ];
            assert!(powers.iter().filter(|p| **p).count() <= 1, "{r:?}");
        }
        assert!(Role::AuditAdmin.reads_audit() && !Role::SysAdmin.reads_audit());
        assert!(Role::SysAdmin.is_admin() && !Role::TownCommittee.is_admin());
    }

    #[test]
    fn names_roundtrip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
