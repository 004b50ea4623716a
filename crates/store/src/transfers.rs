//! Transfers of organisational relation between organisations in the system (组织关系转接).
//! The sender issues a letter (the member is "in transit" and stays registered with the sender);
//! the receiving side confirms, which moves the member in one transaction; the sender may withdraw
//! before that. A member is never in two places and never in none; one transfer at a time.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::rollups;
use crate::scope::Scope;
use crate::sql::Sql;
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use jiceng_domain::member::CURRENT;
use sqlx::AnyConnection;

mod outside;
pub use outside::{Arrival, OutLetter};

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, PartialEq, Eq, utoipa::ToSchema)]
pub struct Transfer {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    /// within | out (to an organisation outside the system) | in (from one outside)
    pub direction: String,
    /// None when the member came from outside the system.
    pub from_org_id: Option<i64>,
    pub from_org_name: Option<String>,
    /// None when the member went outside the system.
    pub to_org_id: Option<i64>,
    pub to_org_name: Option<String>,
    /// The organisation outside the system, as its letter names it.
    pub counterpart: Option<String>,
    pub letter_no: String,
    /// in_transit | confirmed | withdrawn
    pub status: String,
    pub sent_on: String,
    pub closed_on: Option<String>,
}

impl Transfer {
    /// The sending side, named: an organisation in the system or the one outside.
    pub fn from_name(&self) -> &str {
        self.from_org_name
            .as_deref()
            .or(self.counterpart.as_deref())
            .unwrap_or_default()
    }

    /// The receiving side, named.
    pub fn to_name(&self) -> &str {
        self.to_org_name
            .as_deref()
            .or(self.counterpart.as_deref())
            .unwrap_or_default()
    }
}

const COLS: &str = "t.id, t.member_id, m.name AS member_name, t.direction, t.from_org_id, f.name AS from_org_name, \
    t.to_org_id, o.name AS to_org_name, t.counterpart, t.letter_no, t.status, t.sent_on, t.closed_on";
// Outer joins: one side is outside the system for transfers out of it or into it.
const FROM: &str = " FROM transfers t JOIN members m ON m.id = t.member_id LEFT JOIN orgs f ON f.id = t.from_org_id \
    LEFT JOIN orgs o ON o.id = t.to_org_id LEFT JOIN places fp ON fp.id = f.place_id LEFT JOIN places tp ON tp.id = o.place_id";

/// The sending side's letter (介绍信).
#[derive(Debug, Clone, Copy)]
pub struct Letter<'a> {
    pub to_org_id: i64,
    pub letter_no: &'a str,
    pub sent_on: &'a str,
}

/// Which side of the transfers to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Sent from organisations in scope.
    Outgoing,
    /// To be received by organisations in scope.
    Incoming,
}

pub(crate) async fn transfer_in(conn: &mut AnyConnection, id: i64) -> StoreResult<Transfer> {
    let sql = format!("SELECT {COLS}{FROM} WHERE t.id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

pub(crate) fn rule(code: &'static str, zh: &str, en: &str, field: &'static str) -> StoreError {
    DomainError::new(code, zh, en).on(field).into()
}

/// A letter number as written on the letter: required, at most 40 characters.
pub(crate) fn letter_no(raw: &str) -> StoreResult<&str> {
    let letter = raw.trim();
    if letter.is_empty() || letter.chars().count() > 40 {
        return Err(rule(
            "transfer.letter_required",
            "请填写介绍信编号（不超过40字）",
            "enter the letter number (at most 40 characters)",
            "letter_no",
        ));
    }
    Ok(letter)
}

/// Only a current member's relation can move.
pub(crate) fn current(status: &str) -> StoreResult<()> {
    if CURRENT.contains(&status) {
        return Ok(());
    }
    Err(rule(
        "transfer.not_current",
        "已出党、死亡或已转出的党员不能转接组织关系",
        "only current members can be transferred",
        "member_id",
    ))
}

impl Store {
    /// Transfers in scope on one side, newest first; `open_only` keeps those in transit.
    pub async fn transfers(
        &self,
        scope: &Scope,
        side: Side,
        open_only: bool,
    ) -> StoreResult<Vec<Transfer>> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE "));
        scope.predicate(
            &mut sql,
            if side == Side::Outgoing {
                // Sent from here, or arrived here from outside the system (no sender in it).
                "COALESCE(fp.code, tp.code)"
            } else {
                "tp.code"
            },
        );
        if open_only {
            sql.push(" AND t.status = 'in_transit'");
        }
        sql.push(" ORDER BY t.id DESC LIMIT 500");
        Ok(sql.query_as().fetch_all(&self.reader).await?)
    }

    /// The transfers of one member the caller may see (sender's or receiver's side).
    pub async fn member_transfers(
        &self,
        scope: &Scope,
        member_id: i64,
    ) -> StoreResult<Vec<Transfer>> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE t.member_id = "));
        sql.bind(member_id).push(" AND (");
        scope.predicate(&mut sql, "fp.code");
        sql.push(" OR ");
        scope.predicate(&mut sql, "tp.code");
        sql.push(") ORDER BY t.id DESC");
        Ok(sql.query_as().fetch_all(&self.reader).await?)
    }

    /// Issues the letter: the member (in the sender's scope) goes in transit to `to_org_id`, which
    /// may be anywhere in the system.
    pub async fn send_transfer(
        &self,
        actor: &Actor,
        scope: &Scope,
        member_id: i64,
        letter: &Letter<'_>,
        now: i64,
    ) -> StoreResult<Transfer> {
        let to_org_id = letter.to_org_id;
        let sent_on = letter.sent_on;
        let letter = letter_no(letter.letter_no)?;
        let sent_on = jiceng_domain::member::parse_date(sent_on, "sent_on")?;
        let m = self.member(scope, member_id).await?;
        current(&m.status)?;
        if m.org_id == to_org_id {
            return Err(rule(
                "transfer.same_org",
                "接收党组织与所在党组织相同",
                "the receiving organisation is the member's own",
                "to_org_id",
            ));
        }
        let mut tx = self.writer.begin().await?;
        // The receiving organisation: anywhere in the system, but open and able to hold members.
        let ok: Option<String> =
            sqlx::query_scalar("SELECT kind FROM orgs WHERE id = $1 AND closed_at IS NULL")
                .bind(to_org_id)
                .fetch_optional(&mut *tx)
                .await?;
        match ok.as_deref() {
            None => {
                return Err(rule(
                    "transfer.to_unknown",
                    "找不到该接收党组织（或已撤销）",
                    "no such open receiving organisation",
                    "to_org_id",
                ));
            }
            Some("group") => {
                return Err(rule(
                    "transfer.to_group",
                    "组织关系须转入党支部（或党委、党总支），不能转入党小组",
                    "transfer to a branch or committee, not a Party group",
                    "to_org_id",
                ));
            }
            Some(_) => {}
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO transfers (member_id, from_org_id, to_org_id, letter_no, status, sent_on, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,'in_transit',$5,$6,$6) RETURNING id",
        )
        .bind(m.id)
        .bind(m.org_id)
        .bind(to_org_id)
        .bind(letter)
        .bind(&sent_on)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from(e).unique("transfer.in_transit", "to_org_id", "该党员已有一个正在转接中的组织关系，请先等待接收或撤回", "a transfer of this member is already in transit"))?;
        let t = transfer_in(&mut tx, id).await?;
        let after = serde_json::json!({"transfer": id, "from": t.from_org_id, "to": t.to_org_id, "letter_no": letter, "sent_on": sent_on});
        audit::commit(
            tx,
            actor,
            Change::new("transfer_send", "member", m.id, None, Some(after)),
            now,
        )
        .await?;
        Ok(t)
    }

    /// Receives (confirms) or withdraws a transfer in transit. Receiving takes the receiver's scope
    /// and moves the member; withdrawing takes the sender's.
    pub async fn close_transfer(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        receive: bool,
        on: &str,
        now: i64,
    ) -> StoreResult<Transfer> {
        let on = jiceng_domain::member::parse_date(on, "on")?;
        let mut tx = self.writer.begin().await?;
        let mut check = Sql::new(&format!("SELECT t.id{FROM} WHERE t.id = "));
        check.bind(id).push(" AND ");
        // The receiver confirms a transfer within the system; for one out of it, the sender
        // records the receipt that came back (回执), so its own side closes it either way.
        let side = if receive {
            "COALESCE(tp.code, fp.code)"
        } else {
            "fp.code"
        };
        scope.predicate(&mut check, side);
        if check
            .scalar::<i64>()
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound);
        }
        let before = transfer_in(&mut tx, id).await?;
        if before.status != "in_transit" {
            return Err(rule(
                "transfer.closed",
                "该转接已办结",
                "this transfer is already closed",
                "id",
            ));
        }
        let status = if receive { "confirmed" } else { "withdrawn" };
        sqlx::query(
            "UPDATE transfers SET status = $1, closed_on = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(status)
        .bind(&on)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if receive && before.direction == "out" {
            self::outside::leave(&mut tx, &before, &on, now).await?;
        } else if receive {
            let codes: (String, String, String) = sqlx::query_as(
                "SELECT fp.code, tp.code, m.status FROM transfers t JOIN members m ON m.id = t.member_id \
                 JOIN orgs f ON f.id = t.from_org_id JOIN orgs o ON o.id = t.to_org_id \
                 JOIN places fp ON fp.id = f.place_id JOIN places tp ON tp.id = o.place_id WHERE t.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE members SET org_id = $1, updated_at = $2 WHERE id = $3")
                .bind(before.to_org_id)
                .bind(now)
                .bind(before.member_id)
                .execute(&mut *tx)
                .await?;
            let moved: Vec<i64> = [before.from_org_id, before.to_org_id]
                .into_iter()
                .flatten()
                .collect();
            crate::life::committee::recount(&mut tx, &moved).await?;
            // Moving the relation to the organisation that hosts a flowing member ends the flow.
            sqlx::query(
                "UPDATE member_flows SET ended_on = $1, updated_at = $2 WHERE member_id = $3 AND host_org_id = $4 \
                 AND ended_on IS NULL",
            )
            .bind(&on)
            .bind(now)
            .bind(before.member_id)
            .bind(before.to_org_id)
            .execute(&mut *tx)
            .await?;
            if CURRENT.contains(&codes.2.as_str()) {
                rollups::bump(&mut tx, &codes.0, rollups::MEMBERS, -1).await?;
                rollups::bump(&mut tx, &codes.1, rollups::MEMBERS, 1).await?;
            }
        }
        let after = transfer_in(&mut tx, id).await?;
        let action = if receive {
            "transfer_receive"
        } else {
            "transfer_withdraw"
        };
        let change = serde_json::json!({"transfer": id, "status": after.status, "on": on});
        audit::commit(
            tx,
            actor,
            Change::new(action, "member", before.member_id, None, Some(change)),
            now,
        )
        .await?;
        Ok(after)
    }
}
