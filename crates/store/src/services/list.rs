//! Service-centre lists and figures. Lists: requests within scope with filters (status, overdue
//! now, item, channel, a node's subtree, search by request number, applicant's name or phone —
//! exact, through the blind indexes — or words of the item and summary), paged; the catalogue at
//! a node. Figures: roll-ups per place and month **of filing** — `service.requests`,
//! `service.completed`, `service.on_time` (办结 by the due date), `service.rejected`,
//! `service.overdue` (ever past its due date unfinished). A request's contribution is a function
//! of its state (`contribution`); a write bumps the difference, a rebuild sums the contributions.

use super::{ITEM_COLS, Item, REQ_COLS, REQ_FROM, RequestRow, offered_at};
use crate::Store;
use crate::error::StoreResult;
use crate::period_rollups::Totals;
use crate::rollups::bump_period;
use crate::scope::Scope;
use crate::sql::{Page, Sql, like_contains};
use jiceng_domain::member::parse_phone;
use jiceng_domain::service::{Request, Status};
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::HashMap;

pub const REQUESTS: &str = "service.requests";
pub const COMPLETED: &str = "service.completed";
pub const ON_TIME: &str = "service.on_time";
pub const REJECTED: &str = "service.rejected";
pub const OVERDUE: &str = "service.overdue";

/// What one request adds to the figures of the month it was filed.
pub fn contribution(r: &Request) -> Vec<(&'static str, i64)> {
    let mut out = vec![(REQUESTS, 1)];
    if r.status == Status::Completed {
        out.push((COMPLETED, 1));
        if r.on_time() {
            out.push((ON_TIME, 1));
        }
    }
    if r.status == Status::Rejected {
        out.push((REJECTED, 1));
    }
    if r.overdue {
        out.push((OVERDUE, 1));
    }
    out
}

fn month(day: &str) -> &str {
    day.get(..7).unwrap_or(day)
}

/// Bumps `after - before` at the centre and above, in the month of filing.
pub(crate) async fn bump(
    conn: &mut AnyConnection,
    place_id: i64,
    filed_on: &str,
    before: Option<&Request>,
    after: &Request,
) -> StoreResult<()> {
    let mut delta: HashMap<&'static str, i64> = HashMap::new();
    for (m, v) in contribution(after) {
        *delta.entry(m).or_default() += v;
    }
    for (m, v) in before.map(contribution).unwrap_or_default() {
        *delta.entry(m).or_default() -= v;
    }
    let mut metrics: Vec<_> = delta.into_iter().filter(|(_, v)| *v != 0).collect();
    if metrics.is_empty() {
        return Ok(());
    }
    metrics.sort();
    let code: String = sqlx::query_scalar("SELECT code FROM places WHERE id = $1")
        .bind(place_id)
        .fetch_one(&mut *conn)
        .await?;
    for (metric, v) in metrics {
        bump_period(conn, &code, metric, month(filed_on), v).await?;
    }
    Ok(())
}

/// Recomputes every `service.*` row from the requests (part of `rollup_rebuild`).
pub async fn rebuild(conn: &mut AnyConnection) -> StoreResult<usize> {
    let mut totals = Totals::new(conn).await?;
    let mut sql = Sql::new(&format!(
        "SELECT p.code AS place_code, {REQ_COLS}{REQ_FROM}"
    ));
    sql.push(" ORDER BY sr.id");
    let rows: Vec<(String, RequestRow)> = sql
        .query_as::<CodedRow>()
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| (r.place_code, r.row))
        .collect();
    for (code, r) in &rows {
        for (m, v) in contribution(&r.state()?) {
            totals.add(code, m, month(&r.filed_on), v);
        }
    }
    totals.replace(conn, "service.").await
}

/// A request with its centre's code (what a rebuild adds up the tree).
#[derive(sqlx::FromRow)]
struct CodedRow {
    place_code: String,
    #[sqlx(flatten)]
    row: RequestRow,
}

/// The request list's filters (the page's and its export's).
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// The code prefix of a node's subtree.
    pub under: Option<String>,
    pub status: Option<Status>,
    /// Only requests overdue on this day (open, clock running, past their due date).
    pub overdue_on: Option<String>,
    /// Only requests still open (not 办结 or 不予受理).
    pub open: bool,
    pub item_id: Option<i64>,
    /// `desk` or `online`.
    pub channel: Option<String>,
    /// A request number, the applicant's full name or phone, or words of the item or summary.
    pub q: Option<String>,
}

/// A place's service figures over some months.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FigureRow {
    pub place_id: i64,
    pub name: String,
    pub requests: i64,
    pub completed: i64,
    pub on_time: i64,
    pub rejected: i64,
    pub overdue: i64,
}

impl Store {
    /// Requests visible to the caller with the filters, newest first, with the total.
    pub async fn service_requests(
        &self,
        scope: &Scope,
        f: &RequestFilter,
        page: Page,
    ) -> StoreResult<(Vec<RequestRow>, i64)> {
        let mut w = Sql::new(&format!("{REQ_FROM} WHERE "));
        scope.predicate(&mut w, "p.code");
        if let Some(u) = &f.under {
            w.push(" AND ");
            Scope::prefix(u.clone()).predicate(&mut w, "p.code");
        }
        if let Some(s) = f.status {
            w.push(" AND sr.status = ").bind(s.as_str());
        }
        if f.open {
            w.push(" AND sr.status NOT IN ('completed', 'rejected')");
        }
        if let Some(d) = &f.overdue_on {
            w.push(" AND sr.status IN ('accepted', 'processing') AND sr.due_on < ")
                .bind(d.as_str());
        }
        if let Some(i) = f.item_id {
            w.push(" AND sr.item_id = ").bind(i);
        }
        if let Some(c) = &f.channel {
            w.push(" AND sr.channel = ").bind(c.as_str());
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            if let Ok(phone) = parse_phone(q) {
                w.push(" AND sr.phone_index = ")
                    .bind(self.sealer.blind(&phone));
            } else if let Ok(n) = q.trim_start_matches('#').parse::<i64>() {
                w.push(" AND sr.id = ").bind(n);
            } else {
                w.push(" AND (sr.name_index = ").bind(self.sealer.blind(q));
                let like = like_contains(q);
                w.push(" OR si.name LIKE ").bind(like.clone());
                w.push(" ESCAPE '\\' OR sr.summary LIKE ").bind(like);
                w.push(" ESCAPE '\\')");
            }
        }
        let order = if f.overdue_on.is_some() {
            "ORDER BY sr.due_on, sr.id"
        } else {
            "ORDER BY sr.filed_on DESC, sr.id DESC"
        };
        Ok(w.paged(REQ_COLS, order, page, &self.reader).await?)
    }

    /// The catalogue at a node: what its centre offers (its ancestors' items and its own) and the
    /// items of the places under it, by group and order; inactive ones too when `all`.
    pub async fn service_catalogue(
        &self,
        node_code: &str,
        node_prefix: &str,
        group: Option<&str>,
        all: bool,
        page: Page,
    ) -> StoreResult<(Vec<Item>, i64)> {
        let mut w = Sql::new(" FROM service_items si JOIN places p ON p.id = si.place_id WHERE (");
        offered_at(&mut w, node_code);
        w.push(" OR ");
        Scope::prefix(node_prefix).predicate(&mut w, "p.code");
        w.push(")");
        if let Some(g) = group {
            w.push(" AND si.grp = ").bind(g);
        }
        if !all {
            w.push(" AND si.active = 1");
        }
        Ok(w.paged(
            ITEM_COLS,
            "ORDER BY si.grp, si.sort, si.code",
            page,
            &self.reader,
        )
        .await?)
    }

    /// Figures over `months` at a node and each child place, from the roll-ups.
    pub async fn service_figures(
        &self,
        scope: &Scope,
        place_id: i64,
        months: &[String],
    ) -> StoreResult<Vec<FigureRow>> {
        let (node, children) = self.node_and_children(scope, place_id).await?;
        let ids: Vec<i64> = std::iter::once(node.id)
            .chain(children.iter().map(|c| c.id))
            .collect();
        let sums = self.period_sums(&ids, "service.", months).await?;
        let get = |id: i64, metric: &str| sums.get(id, metric);
        Ok(std::iter::once(&node)
            .chain(children.iter())
            .map(|p| FigureRow {
                place_id: p.id,
                name: p.name.clone(),
                requests: get(p.id, REQUESTS),
                completed: get(p.id, COMPLETED),
                on_time: get(p.id, ON_TIME),
                rejected: get(p.id, REJECTED),
                overdue: get(p.id, OVERDUE),
            })
            .collect())
    }

    /// Every non-zero `service.*` roll-up row, sorted (rebuild == incremental in tests).
    pub async fn service_snapshot(&self) -> StoreResult<Vec<(i64, String, String, i64)>> {
        self.period_snapshot("service.").await
    }
}
