//! Flowing members (流动党员). The register organisation records that a member has been away six
//! months or more, where, and which organisation in the system hosts them; the host sees whom it
//! hosts. The member stays registered where they are (a flow is not a transfer), so the register
//! side keeps the record; the flow ends when the member comes back or their relation moves to the
//! host.

use crate::COUNTED;
use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use crate::sql::{Page, Sql, like_contains};
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use jiceng_domain::flow::{FlowRule, check_end, check_start};
use sqlx::AnyConnection;

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, PartialEq, Eq, utoipa::ToSchema)]
pub struct Flow {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    /// The register organisation (where the member's relation is).
    pub org_id: i64,
    pub org_name: String,
    pub host_org_id: Option<i64>,
    pub host_org_name: Option<String>,
    /// Where the member is: city, county or unit, as the register side wrote it.
    pub destination: String,
    /// 流动党员活动证 number.
    pub certificate_no: Option<String>,
    pub away_since: String,
    pub registered_on: String,
    pub ended_on: Option<String>,
}

const COLS: &str = "f.id, f.member_id, m.name AS member_name, m.org_id, o.name AS org_name, f.host_org_id, \
    h.name AS host_org_name, f.destination, f.certificate_no, f.away_since, f.registered_on, f.ended_on";
const FROM: &str = " FROM member_flows f JOIN members m ON m.id = f.member_id JOIN orgs o ON o.id = m.org_id \
    JOIN places p ON p.id = o.place_id LEFT JOIN orgs h ON h.id = f.host_org_id LEFT JOIN places hp ON hp.id = h.place_id";
/// Open flows of members who are still members.
const OPEN: &str = "f.ended_on IS NULL AND m.status IN ('probationary', 'full')";

/// What the register side records.
#[derive(Debug, Clone, Default)]
pub struct FlowInput {
    pub host_org_id: Option<i64>,
    pub destination: String,
    pub certificate_no: String,
    pub away_since: String,
    pub registered_on: String,
}

/// Which flows to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowSide {
    /// Members registered with organisations in scope who are away.
    Out,
    /// Members hosted by organisations in scope.
    In,
}

#[derive(Debug, Clone, Default)]
pub struct FlowFilter {
    pub q: Option<String>,
    pub org_id: Option<i64>,
}

/// One organisation's people: registered members, how many of them are away, and whom it hosts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct OrgFlowCounts {
    /// Current members registered with the organisation itself.
    pub registered: i64,
    /// Of those, away as flowing members.
    pub away: i64,
    /// Flowing members registered elsewhere whom it hosts.
    pub hosted: i64,
}

impl OrgFlowCounts {
    /// Everyone the organisation looks after: its registered members and those it hosts.
    pub fn total(&self) -> i64 {
        self.registered + self.hosted
    }
}

fn rule(code: &'static str, zh: &str, en: &str, field: &'static str) -> StoreError {
    DomainError::new(code, zh, en).on(field).into()
}

fn text(raw: &str, max: usize, field: &'static str, zh: &str) -> StoreResult<String> {
    let s = raw.trim();
    if s.chars().count() > max {
        return Err(rule(
            "flow.text_too_long",
            &format!("{zh}不超过{max}字"),
            &format!("at most {max} characters"),
            field,
        ));
    }
    Ok(s.to_string())
}

async fn flow_in(conn: &mut AnyConnection, id: i64) -> StoreResult<Flow> {
    let sql = format!("SELECT {COLS}{FROM} WHERE f.id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

impl Store {
    /// Records that a member of an organisation in scope is flowing. Refused when they have been
    /// away less than six months (naming the first possible date), are not a member in the full
    /// sense, or already flow.
    pub async fn start_flow(
        &self,
        actor: &Actor,
        scope: &Scope,
        member_id: i64,
        input: &FlowInput,
        now: i64,
    ) -> StoreResult<Flow> {
        let destination = text(&input.destination, 60, "destination", "外出地点")?;
        if destination.is_empty() {
            return Err(rule(
                "flow.destination_required",
                "请填写外出地点（如：广州市天河区、某某公司）",
                "enter where the member is",
                "destination",
            ));
        }
        let certificate = text(&input.certificate_no, 40, "certificate_no", "活动证编号")?;
        let mut tx = self.writer.begin().await?;
        let m = Self::member_in(&mut tx, scope, member_id).await?;
        let (away, on) = check_start(
            &FlowRule::default(),
            &m.status,
            &input.away_since,
            &input.registered_on,
        )?;
        if let Some(host) = input.host_org_id {
            // The host may be anywhere in the system, but open, not a Party group, not the register
            // organisation itself.
            let kind: Option<String> =
                sqlx::query_scalar("SELECT kind FROM orgs WHERE id = $1 AND closed_at IS NULL")
                    .bind(host)
                    .fetch_optional(&mut *tx)
                    .await?;
            match kind.as_deref() {
                None => {
                    return Err(rule(
                        "flow.host_unknown",
                        "找不到该流入地党组织（或已撤销）",
                        "no such open host organisation",
                        "host_org_id",
                    ));
                }
                Some("group") => {
                    return Err(rule(
                        "flow.host_group",
                        "流动党员应编入党支部或党委，不能编入党小组",
                        "a host is a branch or committee, not a Party group",
                        "host_org_id",
                    ));
                }
                Some(_) if host == m.org_id => {
                    return Err(rule(
                        "flow.host_is_register",
                        "流入地党组织不能是党员所在的党组织",
                        "the host cannot be the member's own organisation",
                        "host_org_id",
                    ));
                }
                Some(_) => {}
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO member_flows (member_id, host_org_id, destination, certificate_no, away_since, registered_on, \
             created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$7) RETURNING id",
        )
        .bind(m.id)
        .bind(input.host_org_id)
        .bind(&destination)
        .bind(Some(certificate.clone()).filter(|c| !c.is_empty()))
        .bind(&away)
        .bind(&on)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::from(e).unique(
                "flow.already_flowing",
                "away_since",
                "该党员已登记为流动党员，请先结束现有登记",
                "this member is already registered as flowing",
            )
        })?;
        let f = flow_in(&mut tx, id).await?;
        let after = serde_json::json!({"flow": id, "host_org_id": f.host_org_id, "destination": destination,
            "certificate_no": f.certificate_no, "away_since": away, "registered_on": on});
        audit::commit(
            tx,
            actor,
            Change::new("flow_start", "member", m.id, None, Some(after)),
            now,
        )
        .await?;
        Ok(f)
    }

    /// Ends an open flow: the member is back, or their relation moved. Register side only.
    pub async fn end_flow(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        ended_on: &str,
        now: i64,
    ) -> StoreResult<Flow> {
        let mut tx = self.writer.begin().await?;
        let mut check = Sql::new(&format!("SELECT f.id{FROM} WHERE f.id = "));
        check.bind(id).push(" AND ");
        scope.predicate(&mut check, "p.code");
        if check
            .scalar::<i64>()
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound);
        }
        let before = flow_in(&mut tx, id).await?;
        if before.ended_on.is_some() {
            return Err(rule(
                "flow.ended",
                "该流动党员登记已结束",
                "this flow has already ended",
                "ended_on",
            ));
        }
        let end = check_end(&before.away_since, ended_on)?;
        sqlx::query("UPDATE member_flows SET ended_on = $1, updated_at = $2 WHERE id = $3")
            .bind(&end)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = flow_in(&mut tx, id).await?;
        audit::commit(
            tx,
            actor,
            Change::new(
                "flow_end",
                "member",
                before.member_id,
                None,
                Some(serde_json::json!({"flow": id, "ended_on": end})),
            ),
            now,
        )
        .await?;
        Ok(after)
    }

    /// One flow whose register organisation is in scope.
    pub async fn flow(&self, scope: &Scope, id: i64) -> StoreResult<Flow> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE f.id = "));
        sql.bind(id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.query_as()
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// One member's flows, newest first (the member page; register side's scope).
    pub async fn member_flows(&self, scope: &Scope, member_id: i64) -> StoreResult<Vec<Flow>> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE f.member_id = "));
        sql.bind(member_id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.push(" ORDER BY f.id DESC");
        Ok(sql.query_as().fetch_all(&self.reader).await?)
    }

    /// Open flows on one side of the scope, with the total for the pager.
    pub async fn flows(
        &self,
        scope: &Scope,
        side: FlowSide,
        f: &FlowFilter,
        page: Page,
    ) -> StoreResult<(Vec<Flow>, i64)> {
        let mut w = Sql::new(FROM);
        w.push(" WHERE ").push(OPEN).push(" AND ");
        match side {
            FlowSide::Out => scope.predicate(&mut w, "p.code"),
            FlowSide::In => {
                w.push("f.host_org_id IS NOT NULL AND ");
                scope.predicate(&mut w, "hp.code");
            }
        }
        if let Some(o) = f.org_id {
            match side {
                FlowSide::Out => w.push(" AND m.org_id = ").bind(o),
                FlowSide::In => w.push(" AND f.host_org_id = ").bind(o),
            };
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            w.push(" AND (m.name LIKE ")
                .bind(like_contains(q))
                .push(" ESCAPE '\\' OR f.destination LIKE ")
                .bind(like_contains(q))
                .push(" ESCAPE '\\')");
        }
        Ok(w.paged(
            COLS,
            "ORDER BY f.away_since, m.name, f.id",
            page,
            &self.reader,
        )
        .await?)
    }

    /// The organisation's registered members, those of them away, and those it hosts. The
    /// organisation must be in scope; the hosted members' own records stay with their register side.
    pub async fn org_flow_counts(&self, scope: &Scope, org_id: i64) -> StoreResult<OrgFlowCounts> {
        let mut sql =
            Sql::new("SELECT o.id FROM orgs o JOIN places p ON p.id = o.place_id WHERE o.id = ");
        sql.bind(org_id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        if sql
            .scalar::<i64>()
            .fetch_optional(&self.reader)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound);
        }
        let (registered, away, hosted): (i64, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT (SELECT COUNT(*) FROM members m WHERE m.org_id = $1 AND {COUNTED}), \
             (SELECT COUNT(*) FROM member_flows f JOIN members m ON m.id = f.member_id WHERE m.org_id = $1 AND {OPEN}), \
             (SELECT COUNT(*) FROM member_flows f JOIN members m ON m.id = f.member_id WHERE f.host_org_id = $1 AND {OPEN})"
        )))
        .bind(org_id)
        .fetch_one(&self.reader)
        .await?;
        Ok(OrgFlowCounts {
            registered,
            away,
            hosted,
        })
    }
}
