//! Party dues in the store: the rules (data with a date), members' income bases, payments and
//! arrears. A month is paid once; a payment is never edited.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use jiceng_domain::dues::{DuesRule, rule_on};

/// A payment to record: the month it is for, the day it was paid, and the month it is now (months
/// after it cannot be paid yet).
#[derive(Debug, Clone, Copy)]
pub struct Payment<'a> {
    pub month: &'a str,
    pub paid_on: &'a str,
    pub current_month: &'a str,
}

/// A member's dues at a glance, for the months from their first income base to `through`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DuesStatus {
    /// The income base in force at `through`: (from month, income in fen).
    pub base: Option<(String, i64)>,
    /// What `through` costs (fen), if a base exists.
    pub monthly: Option<i64>,
    /// (month, amount, paid on), newest first.
    pub payments: Vec<(String, i64, String)>,
    /// Months due and not paid, oldest first.
    pub unpaid: Vec<String>,
}

pub(crate) fn month_ok(m: &str, field: &'static str) -> StoreResult<String> {
    let ok = m.len() == 7
        && m.as_bytes()[4] == b'-'
        && m[..4]
            .parse::<u32>()
            .is_ok_and(|y| (1950..=2100).contains(&y))
        && m[5..].parse::<u32>().is_ok_and(|mo| (1..=12).contains(&mo));
    if ok {
        Ok(m.to_string())
    } else {
        Err(DomainError::new(
            "dues.month_invalid",
            "月份格式应为 2026-11",
            "a month looks like 2026-11",
        )
        .on(field)
        .into())
    }
}

/// `2026-11` → `2026-12`.
pub fn next_month(m: &str) -> String {
    let (y, mo) = (
        m[..4].parse::<u32>().unwrap_or(2000),
        m[5..].parse::<u32>().unwrap_or(1),
    );
    if mo == 12 {
        format!("{:04}-01", y + 1)
    } else {
        format!("{y:04}-{:02}", mo + 1)
    }
}

impl Store {
    /// Puts the 2008 rule in place on a new database (the rule itself lives in the domain crate).
    pub(crate) async fn seed_dues_rules(&self) -> StoreResult<()> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dues_rules")
            .fetch_one(&self.writer)
            .await?;
        if n == 0 {
            let r = DuesRule::cpc_2008();
            let json =
                serde_json::to_string(&r).map_err(|e| StoreError::Internal(e.to_string()))?;
            sqlx::query(
                "INSERT INTO dues_rules (effective_from, rule_json, created_at) VALUES ($1, $2, 0)",
            )
            .bind(&r.effective_from)
            .bind(json)
            .execute(&self.writer)
            .await?;
        }
        Ok(())
    }

    pub async fn dues_rules(&self) -> StoreResult<Vec<DuesRule>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT rule_json FROM dues_rules ORDER BY effective_from")
                .fetch_all(&self.reader)
                .await?;
        rows.iter()
            .map(|j| {
                serde_json::from_str(j).map_err(|e| StoreError::Internal(format!("dues rule: {e}")))
            })
            .collect()
    }

    /// The dues of one month for a member, by the rule in force that month and the base in force.
    pub(crate) async fn due_for(
        &self,
        occupation: &str,
        bases: &[(String, i64)],
        rules: &[DuesRule],
        month: &str,
    ) -> StoreResult<Option<i64>> {
        let Some((_, income)) = bases.iter().rev().find(|(from, _)| from.as_str() <= month) else {
            return Ok(None);
        };
        let Some(rule) = rule_on(rules, &format!("{month}-01")) else {
            return Ok(None);
        };
        Ok(Some(rule.monthly(occupation, *income)?))
    }

    async fn bases(&self, member_id: i64) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT from_month, income FROM dues_bases WHERE member_id = $1 ORDER BY from_month",
        )
        .bind(member_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Sets the income base from a month on (history is kept; a later base wins from its month).
    pub async fn set_dues_base(
        &self,
        actor: &Actor,
        scope: &Scope,
        member_id: i64,
        from_month: &str,
        income: i64,
        now: i64,
    ) -> StoreResult<()> {
        let from = month_ok(from_month.trim(), "from_month")?;
        if income < 0 {
            return Err(DomainError::new(
                "dues.income_invalid",
                "月收入不能为负数",
                "income cannot be negative",
            )
            .on("income")
            .into());
        }
        let m = self.member(scope, member_id).await?;
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO dues_bases (member_id, from_month, income, created_at) VALUES ($1,$2,$3,$4) \
             ON CONFLICT (member_id, from_month) DO UPDATE SET income = excluded.income, created_at = excluded.created_at",
        )
        .bind(m.id)
        .bind(&from)
        .bind(income)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // The amount is personal financial data: the audit entry says that it changed, not what it is.
        let after = serde_json::json!({"from_month": from});
        audit::commit(
            tx,
            actor,
            Change::new("dues_base", "member", m.id, None, Some(after)),
            now,
        )
        .await
    }

    /// Records the payment of `month`; the amount is what the rules say unless given.
    pub async fn record_dues(
        &self,
        actor: &Actor,
        scope: &Scope,
        member_id: i64,
        pay: &Payment<'_>,
        now: i64,
    ) -> StoreResult<i64> {
        let current_month = pay.current_month;
        let month = month_ok(pay.month.trim(), "month")?;
        let paid_on = jiceng_domain::member::parse_date(pay.paid_on, "paid_on")?;
        if month.as_str() > current_month {
            return Err(DomainError::new(
                "dues.month_future",
                format!("不能登记{current_month}之后月份的党费"),
                format!("months after {current_month} cannot be paid yet"),
            )
            .on("month")
            .into());
        }
        let m = self.member(scope, member_id).await?;
        let rules = self.dues_rules().await?;
        let bases = self.bases(m.id).await?;
        let Some(amount) = self.due_for(&m.occupation, &bases, &rules, &month).await? else {
            return Err(DomainError::new(
                "dues.no_base",
                "该月之前尚未登记月收入（交纳基数）",
                "no income base is recorded for that month",
            )
            .on("month")
            .into());
        };
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO dues_payments (member_id, month, amount, paid_on, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id")
            .bind(m.id)
            .bind(&month)
            .bind(amount)
            .bind(&paid_on)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::from(e).unique("dues.month_paid", "month", &format!("{month}的党费已交"), &format!("dues for {month} are already paid")))?;
        let after = serde_json::json!({"payment": id, "month": month, "amount": amount, "paid_on": paid_on});
        audit::commit(
            tx,
            actor,
            Change::new("dues_paid", "member", m.id, None, Some(after)),
            now,
        )
        .await?;
        Ok(amount)
    }

    pub async fn dues_status(
        &self,
        scope: &Scope,
        member_id: i64,
        through: &str,
    ) -> StoreResult<DuesStatus> {
        let m = self.member(scope, member_id).await?;
        let rules = self.dues_rules().await?;
        let bases = self.bases(m.id).await?;
        let payments: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT month, amount, paid_on FROM dues_payments WHERE member_id = $1 ORDER BY month DESC")
                .bind(m.id)
                .fetch_all(&self.reader)
                .await?;
        let base = bases
            .iter()
            .rev()
            .find(|(from, _)| from.as_str() <= through)
            .cloned();
        let monthly = self.due_for(&m.occupation, &bases, &rules, through).await?;
        let mut unpaid = Vec::new();
        if let Some((first, _)) = bases.first() {
            let mut month = first.clone();
            // Bounded: at most a century of months, whatever the data says.
            for _ in 0..1200 {
                if month.as_str() > through {
                    break;
                }
                if !payments.iter().any(|(p, _, _)| *p == month) {
                    unpaid.push(month.clone());
                }
                month = next_month(&month);
            }
        }
        Ok(DuesStatus {
            base,
            monthly,
            payments,
            unpaid,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn months() {
        assert_eq!(super::next_month("2026-12"), "2027-01");
        assert_eq!(super::next_month("2026-01"), "2026-02");
        assert!(super::month_ok("2026-13", "m").is_err());
        assert!(super::month_ok("2026-1", "m").is_err());
    }
}

/// 《党章》 Art. 9: six consecutive months without paying dues (without good reason) → 自行脱党; warn at three.
pub const LAPSE_WARN_MONTHS: i64 = 3;
pub const LAPSE_FLAG_MONTHS: i64 = 6;

/// A member behind with dues.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Lapse {
    pub member_id: i64,
    pub name: String,
    pub org_id: i64,
    pub org_name: String,
    /// The first month not paid.
    pub since: String,
    /// Consecutive months unpaid, up to the month before the current one.
    pub months: i64,
}

impl Lapse {
    /// 自行脱党 candidate for the branch to decide (six months and more).
    pub fn flagged(&self) -> bool {
        self.months >= LAPSE_FLAG_MONTHS
    }
}

/// Months from `a` to `b` inclusive (0 when `b` is before `a`).
pub fn months_between(a: &str, b: &str) -> i64 {
    let n = |m: &str| m[..4].parse::<i64>().unwrap_or(0) * 12 + m[5..].parse::<i64>().unwrap_or(1);
    (n(b) - n(a) + 1).max(0)
}

/// The month before `m`.
pub fn prev_month(m: &str) -> String {
    let (y, mo) = (
        m[..4].parse::<u32>().unwrap_or(2000),
        m[5..].parse::<u32>().unwrap_or(1),
    );
    if mo == 1 {
        format!("{:04}-12", y - 1)
    } else {
        format!("{y:04}-{:02}", mo - 1)
    }
}

impl Store {
    /// Current members with at least three consecutive unpaid months before `current_month`,
    /// longest first. Members without an income base owe nothing yet and are not listed.
    pub async fn lapse_watch(
        &self,
        scope: &Scope,
        under_prefix: Option<&str>,
        current_month: &str,
    ) -> StoreResult<Vec<Lapse>> {
        let mut sql = crate::sql::Sql::new(concat!(
            "SELECT m.id, m.name, o.id, o.name, (SELECT MIN(b.from_month) FROM dues_bases b WHERE b.member_id = m.id), \
             (SELECT MAX(d.month) FROM dues_payments d WHERE d.member_id = m.id) \
             FROM members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id \
             WHERE ",
            counted!(),
            " AND EXISTS (SELECT 1 FROM dues_bases b WHERE b.member_id = m.id) AND "
        ));
        scope.predicate(&mut sql, "p.code");
        if let Some(pre) = under_prefix {
            sql.push(" AND ");
            Scope::prefix(pre).predicate(&mut sql, "p.code");
        }
        type Row = (i64, String, i64, String, Option<String>, Option<String>);
        let rows: Vec<Row> = sql.query_as().fetch_all(&self.reader).await?;
        let through = prev_month(current_month);
        let mut out: Vec<Lapse> = rows
            .into_iter()
            .filter_map(|(member_id, name, org_id, org_name, first, last_paid)| {
                let first = first?;
                let since = match last_paid {
                    Some(p) if p >= first => next_month(&p),
                    _ => first,
                };
                let months = months_between(&since, &through);
                (months >= LAPSE_WARN_MONTHS).then_some(Lapse {
                    member_id,
                    name,
                    org_id,
                    org_name,
                    since,
                    months,
                })
            })
            .collect();
        out.sort_by(|a, b| b.months.cmp(&a.months).then(a.name.cmp(&b.name)));
        Ok(out)
    }

    /// Writes a dues history in one transaction with one audit entry (the demo's years of dues,
    /// later a dues import): bases (member, from month, income) and payments (member, month, amount, paid on).
    pub async fn import_dues_history(
        &self,
        actor: &Actor,
        bases: &[(i64, String, i64)],
        payments: &[(i64, String, i64, String)],
        label: &str,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        // Many rows per statement: a district's years of dues are hundreds of thousands of rows.
        for chunk in bases.chunks(200) {
            let mut sql = crate::sql::Sql::new(
                "INSERT INTO dues_bases (member_id, from_month, income, created_at) VALUES ",
            );
            for (i, (member, from, income)) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(*member)
                    .push(", ")
                    .bind(from.clone())
                    .push(", ")
                    .bind(*income)
                    .push(", ")
                    .bind(now)
                    .push(")");
            }
            sql.query().execute(&mut *tx).await?;
        }
        for chunk in payments.chunks(200) {
            let mut sql = crate::sql::Sql::new(
                "INSERT INTO dues_payments (member_id, month, amount, paid_on, created_at) VALUES ",
            );
            for (i, (member, month, amount, on)) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(*member)
                    .push(", ")
                    .bind(month.clone())
                    .push(", ")
                    .bind(*amount)
                    .push(", ")
                    .bind(on.clone());
                sql.push(", ").bind(now).push(")");
            }
            sql.query().execute(&mut *tx).await?;
        }
        let after =
            serde_json::json!({"bases": bases.len(), "payments": payments.len(), "source": label});
        audit::commit(
            tx,
            actor,
            Change::new("dues_import", "member", label, None, Some(after)),
            now,
        )
        .await
    }
}
