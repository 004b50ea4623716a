//! Dues for a whole organisation at once, as a branch collects them (often at the monthly 主题党日):
//! the month's sheet — who owes what by the rules, who has paid, the receipt numbers — and one
//! payment recorded for many members in a single transaction (all or nothing).

use crate::audit::{self, Change};
use crate::error::StoreResult;
use crate::scope::Scope;
use crate::sql::Sql;
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use jiceng_domain::dues::format_yuan;
use jiceng_domain::member::CURRENT;
use std::collections::HashMap;

/// One member's line on the month's sheet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BranchDue {
    pub member_id: i64,
    pub name: String,
    pub occupation: String,
    /// What the month costs by the rules (fen); None without an income base.
    pub amount: Option<i64>,
    /// The payment, when made: (payment id, amount in fen, paid on).
    pub payment: Option<(i64, i64, String)>,
}

impl BranchDue {
    /// The receipt number printed on the 党费收据: the month and the payment's own number.
    pub fn receipt_no(&self, month: &str) -> Option<String> {
        self.payment
            .as_ref()
            .map(|(id, _, _)| format!("DF{}{:08}", month.replace('-', ""), id))
    }
}

/// The month's sheet of one organisation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BranchSheet {
    pub org_id: i64,
    pub org_name: String,
    pub month: String,
    pub rows: Vec<BranchDue>,
}

impl BranchSheet {
    /// (members due, members paid, fen due, fen paid); a member without a base is not yet due.
    pub fn totals(&self) -> (usize, usize, i64, i64) {
        let due: Vec<&BranchDue> = self.rows.iter().filter(|r| r.amount.is_some()).collect();
        let paid: Vec<&BranchDue> = self.rows.iter().filter(|r| r.payment.is_some()).collect();
        (
            due.len(),
            paid.len(),
            due.iter().filter_map(|r| r.amount).sum(),
            paid.iter()
                .filter_map(|r| r.payment.as_ref().map(|p| p.1))
                .sum(),
        )
    }
}

fn refuse(code: &'static str, zh: String, en: String, field: &'static str) -> crate::StoreError {
    DomainError::new(code, zh, en).on(field).into()
}

impl Store {
    /// The month's sheet of an organisation in scope: its current members, by name.
    pub async fn branch_dues(
        &self,
        scope: &Scope,
        org_id: i64,
        month: &str,
    ) -> StoreResult<BranchSheet> {
        let month = super::dues::month_ok(month.trim(), "month")?;
        let org = self.org(scope, org_id).await?;
        let members: Vec<(i64, String, String)> = {
            let mut sql = Sql::new("SELECT id, name, occupation FROM members WHERE org_id = ");
            sql.bind(org.id).push(" AND status IN (");
            for (i, s) in CURRENT.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(*s);
            }
            sql.push(") ORDER BY name, id");
            sql.query_as().fetch_all(&self.reader).await?
        };
        let mut bases: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT b.member_id, b.from_month, b.income FROM dues_bases b JOIN members m ON m.id = b.member_id \
             WHERE m.org_id = $1 ORDER BY b.member_id, b.from_month",
        )
        .bind(org.id)
        .fetch_all(&self.reader)
        .await?;
        for (member, from, income) in rows {
            bases.entry(member).or_default().push((from, income));
        }
        let paid: Vec<(i64, i64, i64, String)> = sqlx::query_as(
            "SELECT p.member_id, p.id, p.amount, p.paid_on FROM dues_payments p JOIN members m ON m.id = p.member_id \
             WHERE m.org_id = $1 AND p.month = $2",
        )
        .bind(org.id)
        .bind(&month)
        .fetch_all(&self.reader)
        .await?;
        let mut paid: HashMap<i64, (i64, i64, String)> = paid
            .into_iter()
            .map(|(m, id, amount, on)| (m, (id, amount, on)))
            .collect();
        let rules = self.dues_rules().await?;
        let mut out = Vec::with_capacity(members.len());
        for (id, name, occupation) in members {
            let b = bases.get(&id).map_or(&[][..], Vec::as_slice);
            let amount = self.due_for(&occupation, b, &rules, &month).await?;
            out.push(BranchDue {
                member_id: id,
                name,
                occupation,
                amount,
                payment: paid.remove(&id),
            });
        }
        Ok(BranchSheet {
            org_id: org.id,
            org_name: org.name,
            month,
            rows: out,
        })
    }

    /// Records `month` as paid on `paid_on` for the chosen members of the organisation, each at
    /// the amount the rules give, in one transaction: any member already paid, without a base, or
    /// not in the organisation refuses the whole batch, naming them. Returns (count, fen).
    pub async fn record_branch_dues(
        &self,
        actor: &Actor,
        scope: &Scope,
        org_id: i64,
        pay: &super::dues::Payment<'_>,
        member_ids: &[i64],
        now: i64,
    ) -> StoreResult<(usize, i64)> {
        // The organisation first: outside the caller's scope nothing else is said about it.
        let sheet = self.branch_dues(scope, org_id, pay.month).await?;
        if member_ids.is_empty() {
            return Err(refuse(
                "dues.none_chosen",
                "请至少勾选一名党员".into(),
                "choose at least one member".into(),
                "member_id",
            ));
        }
        let paid_on = jiceng_domain::member::parse_date(pay.paid_on, "paid_on")?;
        let month = sheet.month.clone();
        if month.as_str() > pay.current_month {
            return Err(refuse(
                "dues.month_future",
                format!("不能登记{}之后月份的党费", pay.current_month),
                format!("months after {} cannot be paid yet", pay.current_month),
                "month",
            ));
        }
        let mut chosen = Vec::with_capacity(member_ids.len());
        for id in member_ids {
            let Some(row) = sheet.rows.iter().find(|r| r.member_id == *id) else {
                return Err(refuse(
                    "dues.not_in_org",
                    format!("编号 {id} 不是本组织的在册党员"),
                    format!("member {id} is not a current member of this organisation"),
                    "member_id",
                ));
            };
            if row.payment.is_some() {
                return Err(refuse(
                    "dues.month_paid",
                    format!("{}：{month}的党费已交", row.name),
                    format!("{}: dues for {month} are already paid", row.name),
                    "member_id",
                ));
            }
            let Some(amount) = row.amount else {
                return Err(refuse(
                    "dues.no_base",
                    format!("{}：该月之前尚未登记月收入（交纳基数）", row.name),
                    format!("{}: no income base is recorded for that month", row.name),
                    "member_id",
                ));
            };
            if !chosen.iter().any(|(m, _)| m == id) {
                chosen.push((*id, amount));
            }
        }
        let mut tx = self.writer.begin().await?;
        for (member, amount) in &chosen {
            // The unique (member, month) index stays the last word if a payment raced this batch.
            sqlx::query(
                "INSERT INTO dues_payments (member_id, month, amount, paid_on, created_at) VALUES ($1,$2,$3,$4,$5)",
            )
            .bind(member)
            .bind(&month)
            .bind(amount)
            .bind(&paid_on)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                crate::StoreError::from(e).unique(
                    "dues.month_paid",
                    "member_id",
                    &format!("{month}的党费已有人登记，请刷新后重试"),
                    &format!("dues for {month} were just recorded; reload and try again"),
                )
            })?;
        }
        let total: i64 = chosen.iter().map(|(_, a)| a).sum();
        let after = serde_json::json!({"month": month, "paid_on": paid_on, "members": chosen.iter().map(|(m, _)| m).collect::<Vec<_>>(),
            "count": chosen.len(), "total": format_yuan(total)});
        audit::commit(
            tx,
            actor,
            Change::new("dues_paid_bulk", "org", org_id, None, Some(after)),
            now,
        )
        .await?;
        Ok((chosen.len(), total))
    }
}
