//! Changing a studio (党代表工作室): its name, address and duty schedule. A new schedule takes
//! effect from a day (`since`): the calendar feeds show duty days by the new rule from then, and
//! receptions already recorded stay as they were (each was checked against the rule of its day
//! when it was recorded); a reception on a day before the new schedule's first day can no longer
//! be recorded late. The audit keeps the schedule before and after.

use crate::audit::{self, Change};
use crate::error::StoreResult;
use crate::scope::Scope;
use crate::studios::{NewStudio, Studio, studio_in};
use crate::village::refuse;
use crate::{Actor, Store};
use jiceng_domain::studio::Duty;

impl Store {
    /// Rewrites the studio's name, address and schedule (`n.place_id` is ignored: a studio does
    /// not move; close it and open another).
    pub async fn update_studio(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        n: &NewStudio,
        now: i64,
    ) -> StoreResult<Studio> {
        let name = crate::places::check_name(&n.name, "name")?;
        let address = n
            .address
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        if address.is_some_and(|a| a.chars().count() > 200) {
            return Err(refuse(
                "studio.address_invalid",
                "地址不超过200字".into(),
                "an address is at most 200 characters",
                "address",
            ));
        }
        let duty = Duty::parse(&n.rule, &n.since, &n.starts, &n.ends)?;
        let mut tx = self.writer.begin().await?;
        let before = studio_in(&mut tx, scope, id).await?;
        sqlx::query(
            "UPDATE studios SET name = $1, address = $2, rrule = $3, since_on = $4, starts_at = $5, \
             ends_at = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(&name)
        .bind(address)
        .bind(duty.rule())
        .bind(duty.since())
        .bind(duty.starts())
        .bind(duty.ends())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let was = serde_json::json!({"name": before.name, "address": before.address,
            "rrule": before.rrule, "since_on": before.since_on, "starts_at": before.starts_at,
            "ends_at": before.ends_at});
        let after = serde_json::json!({"name": name, "address": address, "rrule": duty.rule(),
            "since_on": duty.since(), "starts_at": duty.starts(), "ends_at": duty.ends()});
        audit::commit(
            tx,
            actor,
            Change::new("update", "studio", id, Some(was), Some(after)),
            now,
        )
        .await?;
        self.studio(scope, id).await
    }
}
