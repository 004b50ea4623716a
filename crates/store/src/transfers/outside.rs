//! Transfers to and from organisations outside the system (another province, a central unit):
//! the letter number and the organisation on the other side are recorded. Out: the sender issues
//! the letter, the member stays here "in transit" until the receipt comes back (回执), then leaves
//! the register as 已转出 (the record stays for history). In: the receiving side registers the
//! member with the letter; a member who once left for outside comes back to their own record.

use super::{current, letter_no, rule, transfer_in};
use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::members::MemberInput;
use crate::rollups;
use crate::scope::Scope;
use crate::{Actor, Store};
use jiceng_domain::member::{CURRENT, TRANSFERRED_OUT, parse_date};
use sqlx::AnyConnection;

use super::Transfer;
use crate::members::Member;

/// The letter for a transfer out of the system.
#[derive(Debug, Clone, Copy)]
pub struct OutLetter<'a> {
    /// The receiving organisation outside the system, as the letter names it.
    pub counterpart: &'a str,
    pub letter_no: &'a str,
    pub sent_on: &'a str,
}

/// The letter a member brings from an organisation outside the system.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    /// The sending organisation outside the system.
    pub counterpart: &'a str,
    pub letter_no: &'a str,
    pub received_on: &'a str,
}

fn counterpart<'a>(raw: &'a str, field: &'static str) -> StoreResult<&'a str> {
    let c = raw.trim();
    if c.is_empty() || c.chars().count() > 100 {
        return Err(rule(
            "transfer.counterpart_required",
            "请填写系统外党组织的全称（不超过100字）",
            "name the organisation outside the system (at most 100 characters)",
            field,
        ));
    }
    Ok(c)
}

/// The receipt came back: the member leaves the register here (no longer counted, open flows
/// end) in the transaction that closes the transfer.
pub(super) async fn leave(
    tx: &mut AnyConnection,
    t: &Transfer,
    on: &str,
    now: i64,
) -> StoreResult<()> {
    let (code, status): (String, String) = sqlx::query_as(
        "SELECT p.code, m.status FROM members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id \
         WHERE m.id = $1",
    )
    .bind(t.member_id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE members SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(TRANSFERRED_OUT)
        .bind(now)
        .bind(t.member_id)
        .execute(&mut *tx)
        .await?;
    crate::life::committee::recount_member(tx, t.member_id).await?;
    sqlx::query(
        "UPDATE member_flows SET ended_on = $1, updated_at = $2 WHERE member_id = $3 AND ended_on IS NULL",
    )
    .bind(on)
    .bind(now)
    .bind(t.member_id)
    .execute(&mut *tx)
    .await?;
    if CURRENT.contains(&status.as_str()) {
        rollups::bump(tx, &code, rollups::MEMBERS, -1).await?;
    }
    Ok(())
}

impl Store {
    /// Issues the letter to an organisation outside the system; the member stays here, in
    /// transit, until `close_transfer` records the receipt (or the letter is withdrawn).
    pub async fn send_transfer_out(
        &self,
        actor: &Actor,
        scope: &Scope,
        member_id: i64,
        letter: &OutLetter<'_>,
        now: i64,
    ) -> StoreResult<Transfer> {
        let to = counterpart(letter.counterpart, "counterpart")?;
        let no = letter_no(letter.letter_no)?;
        let sent_on = parse_date(letter.sent_on, "sent_on")?;
        let m = self.member(scope, member_id).await?;
        current(&m.status)?;
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO transfers (member_id, from_org_id, to_org_id, counterpart, direction, letter_no, status, sent_on, \
             created_at, updated_at) VALUES ($1,$2,NULL,$3,'out',$4,'in_transit',$5,$6,$6) RETURNING id",
        )
        .bind(m.id)
        .bind(m.org_id)
        .bind(to)
        .bind(no)
        .bind(&sent_on)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::from(e).unique(
                "transfer.in_transit",
                "counterpart",
                "该党员已有一个正在转接中的组织关系，请先等待办结或撤回",
                "a transfer of this member is already in transit",
            )
        })?;
        let t = transfer_in(&mut tx, id).await?;
        let after = serde_json::json!({"transfer": id, "from": m.org_id, "to_outside": to, "letter_no": no, "sent_on": sent_on});
        audit::commit(
            tx,
            actor,
            Change::new("transfer_send_out", "member", m.id, None, Some(after)),
            now,
        )
        .await?;
        Ok(t)
    }

    /// Registers a member arriving with a letter from outside the system, in the organisation
    /// `input.org_id` (in the caller's scope). A member who once left for outside (已转出) gets
    /// their own record back, updated from the form; any other registered ID number is refused.
    pub async fn admit_from_outside(
        &self,
        actor: &Actor,
        scope: &Scope,
        input: MemberInput,
        arrival: &Arrival<'_>,
        now: i64,
    ) -> StoreResult<(Member, Transfer)> {
        let from = counterpart(arrival.counterpart, "counterpart")?;
        let no = letter_no(arrival.letter_no)?;
        let on = parse_date(arrival.received_on, "received_on")?;
        let p = self.prepare(&input, true)?;
        current(&input.status)?;
        let mut tx = self.writer.begin().await?;
        let index = p.id.as_ref().map(|x| x.index.clone());
        let known: Option<i64> = sqlx::query_scalar("SELECT id FROM members WHERE id_index = $1")
            .bind(index)
            .fetch_optional(&mut *tx)
            .await?;
        let (before, m) = match known {
            Some(id) => {
                let before = Self::member_in(&mut tx, &Scope::All, id).await?;
                if before.status != TRANSFERRED_OUT {
                    return Err(rule(
                        "member.id_number_taken",
                        "该身份证号已在党员名册中",
                        "this ID number is already in the register",
                        "id_number",
                    ));
                }
                let m = Self::update_in(&mut tx, scope, &before, &input, &p, now).await?;
                (Some(before.json()), m)
            }
            None => (
                None,
                Self::create_in(&mut tx, scope, &input, &p, now).await?,
            ),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO transfers (member_id, from_org_id, to_org_id, counterpart, direction, letter_no, status, sent_on, \
             closed_on, created_at, updated_at) VALUES ($1,NULL,$2,$3,'in',$4,'confirmed',$5,$5,$6,$6) RETURNING id",
        )
        .bind(m.id)
        .bind(m.org_id)
        .bind(from)
        .bind(no)
        .bind(&on)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let t = transfer_in(&mut tx, id).await?;
        let mut after = m.json();
        after["transfer"] =
            serde_json::json!({"id": id, "from_outside": from, "letter_no": no, "received_on": on});
        audit::commit(
            tx,
            actor,
            Change::new("transfer_in_outside", "member", m.id, before, Some(after)),
            now,
        )
        .await?;
        Ok((m, t))
    }
}
