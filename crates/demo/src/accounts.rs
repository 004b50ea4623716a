//! The demo accounts: one per role, bound to the places a visitor expects to find them at.

use jiceng_domain::Role;
use jiceng_store::users::NewUser;
use jiceng_store::{Actor, Scope, Store, StoreError};
use std::collections::HashMap;

/// Shared by every demo account; satisfies the password policy (upper, lower, digit, symbol).
pub const DEMO_PASSWORD: &str = "Demo#2026";

pub const COUNTY_CODE: &str = "440403000000";
pub const TOWN_CODE: &str = "440403105000";
pub const VILLAGE_CODE: &str = "440403105201";
pub const GRID_CODE: &str = "440403105201001";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub place_code: String,
    pub place_name: String,
}

/// Where each role's demo account is bound.
fn binding(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::DistrictOrg | Role::SysAdmin | Role::SecAdmin | Role::AuditAdmin => {
            (COUNTY_CODE, "斗门区")
        }
        Role::TownCommittee => (TOWN_CODE, "乾务镇"),
        Role::VillageCommittee | Role::ServiceStaff | Role::Member | Role::Resident => {
            (VILLAGE_CODE, "乾西村")
        }
        Role::GridWorker => (GRID_CODE, "乾西村第一网格"),
    }
}

/// The fixed list of demo accounts, one per role in `Role::ALL` order; the username is the role's
/// name (e.g. `town_committee`), so the login page can list them plainly.
pub fn demo_accounts() -> Vec<DemoAccount> {
    Role::ALL
        .into_iter()
        .map(|role| {
            let (code, name) = binding(role);
            DemoAccount {
                username: role.as_str().to_string(),
                password: DEMO_PASSWORD.to_string(),
                role,
                place_code: code.to_string(),
                place_name: name.to_string(),
            }
        })
        .collect()
}

/// Creates the demo accounts; `place_ids` maps the codes above to their ids.
pub(crate) async fn create(
    store: &Store,
    actor: &Actor,
    place_ids: &HashMap<String, i64>,
    now: i64,
) -> Result<u64, StoreError> {
    let mut n = 0;
    for a in demo_accounts() {
        let place_id = *place_ids
            .get(&a.place_code)
            .ok_or_else(|| StoreError::Internal(format!("demo: place {} missing", a.place_code)))?;
        store
            .create_user(
                actor,
                &Scope::All,
                NewUser {
                    username: a.username,
                    display_name: format!("{}（演示）", a.role.zh()),
                    password: a.password,
                    role: a.role.as_str().to_string(),
                    place_id,
                },
                now,
            )
            .await?;
        n += 1;
    }
    Ok(n)
}
