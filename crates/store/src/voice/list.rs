//! Reading the problem list: the staff list and its export (one filter, one WHERE), the work
//! lists' notices (overdue and escalated problems under a place) and the monthly report per node.

use super::{COLS, FROM, ProblemRow};
use crate::error::StoreResult;
use crate::scope::Scope;
use crate::sql::{Page, Sql, like_contains};
use crate::{Backend, Store};
use jiceng_domain::voice::Status;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the staff list is narrowed to. Every field is optional; `today` decides "overdue".
#[derive(Debug, Clone, Default)]
pub struct ProblemFilter {
    /// A place code prefix (the node the list is for, or one village of it).
    pub under: Option<String>,
    /// A `Status`, or `open` (not closed nor merged).
    pub status: Option<String>,
    /// Assigned and past its deadline.
    pub overdue: bool,
    /// Escalated to the town since its last assignment.
    pub escalated: bool,
    /// A category (`voice_services` code).
    pub category: Option<String>,
    /// Words in the report, its category, location or owner (LIKE for now; one place to change).
    pub q: Option<String>,
    pub today: String,
}

/// A village's month in the problem list.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct MonthRow {
    pub place_id: i64,
    pub place_code: String,
    pub place_name: String,
    pub filed: i64,
    pub closed: i64,
    /// Closed by the resident's confirmation / by the window passing, in the month.
    pub confirmed: i64,
    pub window_passed: i64,
    pub objected: i64,
    pub escalated: i64,
    /// Filed by the month's end and not closed (nor merged) by then.
    pub open_at_end: i64,
    pub rated: i64,
    pub score_sum: i64,
}

/// The WHERE of the staff list (after `FROM`), the one place its filters are written. On
/// PostgreSQL the region is the row's own `place_code` (migration 26), so it is checked inside the
/// list's indexes; `words_first` narrows a text search by the words' index first (large regions).
/// With `bare`, PostgreSQL reads `problems` alone (ids and counts need no place names); `since`
/// keeps the problems filed from that day on.
fn problem_where(
    scope: &Scope,
    f: &ProblemFilter,
    backend: Backend,
    (words_first, bare): (bool, bool),
    since: Option<&str>,
) -> Sql {
    let (code, from) = match backend {
        Backend::Postgres if bare => ("pr.place_code", " FROM problems pr"),
        Backend::Postgres => ("pr.place_code", FROM),
        Backend::Sqlite => ("p.code", FROM),
    };
    let mut w = Sql::new(&format!("{from} WHERE "));
    scope.predicate(&mut w, code);
    if let Some(u) = &f.under {
        w.push(" AND ");
        Scope::prefix(u.clone()).predicate(&mut w, code);
    }
    match f.status.as_deref() {
        Some("open") => {
            w.push(" AND pr.status NOT IN ('closed', 'merged')");
        }
        Some(s) if Status::parse(s).is_some() => {
            w.push(" AND pr.status = ").bind(s);
        }
        _ => {}
    }
    if f.overdue {
        // Also stated as open, so that the open problems' index answers it.
        w.push(" AND pr.status NOT IN ('closed', 'merged') AND pr.status = 'assigned' AND pr.deadline < ")
            .bind(f.today.as_str());
    }
    if f.escalated {
        w.push(" AND pr.escalated = 1");
    }
    if let Some(day) = since {
        w.push(" AND pr.filed_on >= ").bind(day);
    }
    if let Some(c) = f
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        w.push(" AND pr.category = ").bind(c);
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let words = query_words(q);
        if words_first && backend == Backend::Postgres && !words.is_empty() {
            // Every pair of characters of the query is among the report's words (search.rs
            // keeps each adjacent pair), which the GIN index of migration 24 finds.
            w.push(" AND to_tsvector('simple', COALESCE(pr.tokens, '')) @@ to_tsquery('simple', ")
                .bind(words.join(" & "))
                .push(")");
        }
        let pat = like_contains(q);
        w.push(" AND (pr.body LIKE ").bind(pat.as_str());
        w.push(" ESCAPE '\\' OR pr.category LIKE ")
            .bind(pat.as_str());
        w.push(" ESCAPE '\\' OR pr.location LIKE ")
            .bind(pat.as_str());
        w.push(" ESCAPE '\\' OR pr.owner LIKE ").bind(pat);
        w.push(" ESCAPE '\\')");
    }
    w
}

/// No filter but the region: a list whose total the roll-ups know.
fn plain(f: &ProblemFilter) -> bool {
    f.status.is_none()
        && !f.overdue
        && !f.escalated
        && f.category.as_deref().is_none_or(|c| c.trim().is_empty())
        && f.q.as_deref().is_none_or(|q| q.trim().is_empty())
}

/// What a report holding `q` must have among its words (`search::tokens`): every two adjacent
/// Chinese characters of `q`, and its runs of letters and digits (lower case, two or more).
fn query_words(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = q.chars().collect();
    let han = |c: char| matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}');
    for pair in chars.windows(2) {
        if pair.iter().all(|c| han(*c)) {
            out.push(pair.iter().collect());
        }
    }
    for run in q.split(|c: char| !c.is_ascii_alphanumeric()) {
        if run.len() >= 2 {
            out.push(run.to_lowercase());
        }
    }
    out.sort();
    out.dedup();
    out
}

fn next_month(month: &str) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    if !(1..=12).contains(&m) || month.len() != 7 {
        return None;
    }
    Some(if m == 12 {
        format!("{:04}-01", y + 1)
    } else {
        format!("{y:04}-{:02}", m + 1)
    })
}

impl Store {
    /// A filtered problem list counts its rows up to this many (and one more, to tell "more").
    pub const PROBLEM_COUNT_CAP: i64 = 10_000;
    /// Above this many problems in its region, a text search on PostgreSQL starts from the
    /// words' index instead of reading the region's reports.
    pub const PROBLEM_SEARCH_INDEX_ABOVE: i64 = 20_000;

    /// Files a new objection window from its effective day on (problems resolved before it keep
    /// the window in force on their day of 办结).
    pub async fn add_voice_rule(
        &self,
        actor: &crate::Actor,
        rule: &jiceng_domain::voice::VoiceRule,
        now: i64,
    ) -> StoreResult<()> {
        use crate::error::StoreError;
        use jiceng_domain::DomainError;
        jiceng_domain::meeting::day_number(&rule.effective_from)
            .map_err(|e| StoreError::from(e.on("effective_from")))?;
        if !(1..=60).contains(&rule.objection_days) {
            return Err(DomainError::new(
                "problem.window_days",
                "异议期须为1至60天",
                "the objection window is 1 to 60 days",
            )
            .on("objection_days")
            .into());
        }
        if rule.basis.trim().is_empty() {
            return Err(
                DomainError::new("problem.basis_required", "请写明依据", "name the basis")
                    .on("basis")
                    .into(),
            );
        }
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO voice_rules (effective_from, basis, objection_days, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&rule.effective_from)
        .bind(rule.basis.trim())
        .bind(rule.objection_days)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::from(e).unique(
                "problem.window_exists",
                "effective_from",
                "这一天生效的异议期规定已存在",
                "a window already takes effect that day",
            )
        })?;
        let after = serde_json::json!({"effective_from": rule.effective_from,
            "objection_days": rule.objection_days, "basis": rule.basis.trim()});
        crate::audit::commit(
            tx,
            actor,
            crate::audit::Change::new(
                "create",
                "voice_rule",
                rule.effective_from.as_str(),
                None,
                Some(after),
            ),
            now,
        )
        .await
    }

    /// Every objection window on file, the earliest first.
    pub async fn voice_rules(&self) -> StoreResult<Vec<jiceng_domain::voice::VoiceRule>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT effective_from, basis, objection_days FROM voice_rules ORDER BY effective_from",
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(effective_from, basis, objection_days)| jiceng_domain::voice::VoiceRule {
                    effective_from,
                    basis,
                    objection_days,
                },
            )
            .collect())
    }

    /// Problems in a region counted exactly from the roll-ups: those filed under the place whose
    /// code `under` is the prefix of (collected and merged, every month). None when the place is
    /// not a whole node in scope.
    async fn problems_filed_under(&self, scope: &Scope, under: &str) -> StoreResult<Option<i64>> {
        if under.len() > 12 || under.is_empty() {
            return Ok(None);
        }
        let code = format!("{under:0<12}");
        if !scope.contains_code(&code) {
            return Ok(None);
        }
        // SUM of a BIGINT is NUMERIC on PostgreSQL, which the Any driver cannot read.
        let n: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(r.value) AS BIGINT) FROM places p JOIN rollups r ON r.place_id = p.id \
             WHERE p.code = $1 AND r.metric IN ($2, $3)",
        )
        .bind(&code)
        .bind(super::figures::COLLECTED)
        .bind(super::figures::MERGED)
        .fetch_one(&self.reader)
        .await?;
        Ok(Some(n.unwrap_or(0)))
    }

    /// The most a filtered list counts to: a text search counts as far as a member search does
    /// (`SEARCH_COUNT_CAP`), since each match is checked against the report's text.
    /// A plain list is counted exactly (from the roll-ups, or rows when its region is not a
    /// whole node).
    pub fn problem_count_cap_for(&self, f: &ProblemFilter) -> i64 {
        if plain(f) {
            i64::MAX
        } else if f.q.as_deref().is_some_and(|q| !q.trim().is_empty()) {
            self.problem_count_cap.min(Self::SEARCH_COUNT_CAP)
        } else {
            self.problem_count_cap
        }
    }

    /// The staff list: problems in scope matching `f`, latest first, with the total. The total is
    /// exact from the roll-ups for a plain list; with a filter it is counted up to
    /// `problem_count_cap_for(f) + 1` (more than the cap: "10000+"). A page's ids are found
    /// first, from the indexes alone where the filters allow (migration 26), then its rows read.
    pub async fn problem_list(
        &self,
        scope: &Scope,
        f: &ProblemFilter,
        page: Page,
    ) -> StoreResult<(Vec<ProblemRow>, i64)> {
        let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let plain = plain(f);
        let region = match &f.under {
            Some(u) => self.problems_filed_under(scope, u).await?,
            None => None,
        };
        let words_first = region.is_none_or(|n| n > self.problem_words_first_above);
        // Unnamed statements on PostgreSQL: a province and a village need different plans, and a
        // cached generic one would serve one of them badly.
        let persistent = self.backend != Backend::Postgres;
        // The count and the page are read at once, on two of the readers.
        let count = async {
            let n: i64 = match region {
                Some(n) if plain => n,
                _ => {
                    let bare = problem_where(scope, f, self.backend, (words_first, true), None);
                    let limit = match self.problem_count_cap_for(f) {
                        i64::MAX => String::new(),
                        cap => format!(" LIMIT {}", cap + 1),
                    };
                    let count = Sql {
                        text: format!("SELECT COUNT(*) FROM (SELECT 1{}{limit}) c", bare.text),
                        vals: bare.vals,
                    };
                    count
                        .scalar()
                        .persistent(persistent)
                        .fetch_one(&self.reader)
                        .await?
                }
            };
            StoreResult::Ok(n)
        };
        let rows = async {
            // A search from the words' index in a large region has thousands of matches to
            // sort: the last week's first, then two months', then all, until the page is full.
            let searching = words_first
                && self.backend == Backend::Postgres
                && q.is_some_and(|q| !query_words(q).is_empty());
            let mut windows: Vec<Option<String>> = Vec::new();
            if searching {
                for days in [7, 60] {
                    if let Ok(day) = jiceng_domain::meeting::add_days(&f.today, -days) {
                        windows.push(Some(day));
                    }
                }
            }
            windows.push(None);
            let mut ids: Vec<i64> = Vec::new();
            for since in &windows {
                let w = problem_where(
                    scope,
                    f,
                    self.backend,
                    (words_first, true),
                    since.as_deref(),
                );
                let mut sql = Sql {
                    text: format!(
                        "SELECT pr.id{} ORDER BY pr.filed_on DESC, pr.id DESC",
                        w.text
                    ),
                    vals: w.vals,
                };
                page.limit_offset(&mut sql);
                ids = sql
                    .scalar()
                    .persistent(persistent)
                    .fetch_all(&self.reader)
                    .await?;
                if ids.len() as i64 >= page.size {
                    break;
                }
            }
            if ids.is_empty() {
                return StoreResult::Ok(Vec::new());
            }
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            // Ids from the query above, written as numbers.
            let rows: Vec<ProblemRow> = Sql::new(&format!(
                "SELECT {COLS}{FROM} WHERE pr.id IN ({}) ORDER BY pr.filed_on DESC, pr.id DESC",
                list.join(", ")
            ))
            .query_as()
            .persistent(false)
            .fetch_all(&self.reader)
            .await?;
            StoreResult::Ok(rows)
        };
        let (total, rows) = tokio::try_join!(count, rows)?;
        Ok((rows, total))
    }

    /// Problems in scope (under a place prefix, of a status; `overdue` = escalated and still
    /// assigned), latest first, with the total.
    pub async fn problems(
        &self,
        scope: &Scope,
        under: Option<&str>,
        status: Option<&str>,
        page: Page,
    ) -> StoreResult<(Vec<ProblemRow>, i64)> {
        let mut f = ProblemFilter {
            under: under.map(str::to_string),
            ..Default::default()
        };
        if status == Some("overdue") {
            f.status = Some("assigned".into());
            f.escalated = true;
        } else {
            f.status = status.map(str::to_string);
        }
        self.problem_list(scope, &f, page).await
    }

    /// The notices of a place's work list: open problems under it that are past their deadline
    /// or were escalated to the town, the most overdue first (at most `cap`).
    pub async fn problem_notices(
        &self,
        scope: &Scope,
        under: &str,
        today: &str,
        cap: i64,
    ) -> StoreResult<Vec<ProblemRow>> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE "));
        scope.predicate(&mut sql, "p.code");
        sql.push(" AND ");
        Scope::prefix(under).predicate(&mut sql, "p.code");
        sql.push(" AND ((pr.status = 'assigned' AND pr.deadline < ")
            .bind(today)
            .push(") OR (pr.escalated = 1 AND pr.status NOT IN ('closed', 'merged')))")
            .push(" ORDER BY pr.deadline, pr.id LIMIT ")
            .bind(cap);
        Ok(sql.query_as().fetch_all(&self.reader).await?)
    }

    /// The month `YYYY-MM` of every village under `under` (in scope) that had a problem by its
    /// end, by division code. `None` for a malformed month.
    pub async fn problem_month(
        &self,
        scope: &Scope,
        under: &str,
        month: &str,
    ) -> StoreResult<Option<Vec<MonthRow>>> {
        let Some(next) = next_month(month) else {
            return Ok(None);
        };
        let (from, to) = (format!("{month}-01"), format!("{next}-01"));
        let mut sql = Sql::new(
            "SELECT p.id, p.code, p.name, \
             CAST(SUM(CASE WHEN pr.filed_on >= ",
        );
        sql.bind(from.as_str())
            .push(" THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN pr.closed_on >= ")
            .bind(from.as_str())
            .push(" AND pr.closed_on < ")
            .bind(to.as_str())
            .push(" THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN pr.status <> 'merged' AND (pr.closed_on IS NULL OR pr.closed_on >= ")
            .bind(to.as_str())
            .push(") THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN pr.score IS NOT NULL AND pr.closed_on >= ")
            .bind(from.as_str())
            .push(" AND pr.closed_on < ")
            .bind(to.as_str())
            .push(" THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN pr.closed_on >= ")
            .bind(from.as_str())
            .push(" AND pr.closed_on < ")
            .bind(to.as_str())
            .push(" THEN COALESCE(pr.score, 0) ELSE 0 END) AS BIGINT)")
            .push(FROM)
            .push(" WHERE pr.filed_on < ")
            .bind(to.as_str())
            .push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.push(" AND ");
        Scope::prefix(under).predicate(&mut sql, "p.code");
        sql.push(" GROUP BY p.id, p.code, p.name ORDER BY p.code");
        type Sums = (i64, String, String, i64, i64, i64, i64, i64);
        let sums: Vec<Sums> = sql.query_as().fetch_all(&self.reader).await?;
        let mut rows: BTreeMap<i64, MonthRow> = BTreeMap::new();
        for (id, code, name, filed, closed, open_at_end, rated, score_sum) in sums {
            rows.insert(
                id,
                MonthRow {
                    place_id: id,
                    place_code: code,
                    place_name: name,
                    filed,
                    closed,
                    open_at_end,
                    rated,
                    score_sum,
                    ..Default::default()
                },
            );
        }
        let mut ev = Sql::new(
            "SELECT pr.place_id, e.event, CAST(COUNT(*) AS BIGINT) FROM problem_events e \
             JOIN problems pr ON pr.id = e.problem_id JOIN places p ON p.id = pr.place_id WHERE e.on_date >= ",
        );
        ev.bind(from.as_str())
            .push(" AND e.on_date < ")
            .bind(to.as_str())
            .push(" AND e.event IN ('confirmed', 'window_passed', 'objected', 'escalated') AND ");
        scope.predicate(&mut ev, "p.code");
        ev.push(" AND ");
        Scope::prefix(under).predicate(&mut ev, "p.code");
        ev.push(" GROUP BY pr.place_id, e.event");
        let counts: Vec<(i64, String, i64)> = ev.query_as().fetch_all(&self.reader).await?;
        for (place, event, n) in counts {
            if let Some(r) = rows.get_mut(&place) {
                match event.as_str() {
                    "confirmed" => r.confirmed = n,
                    "window_passed" => r.window_passed = n,
                    "objected" => r.objected = n,
                    _ => r.escalated = n,
                }
            }
        }
        let mut out: Vec<MonthRow> = rows.into_values().collect();
        out.sort_by(|a, b| a.place_code.cmp(&b.place_code));
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::next_month;

    #[test]
    fn months_roll_over() {
        assert_eq!(next_month("2026-12").as_deref(), Some("2027-01"));
        assert_eq!(next_month("2026-03").as_deref(), Some("2026-04"));
        assert_eq!(next_month("2026-13"), None);
        assert_eq!(next_month("2026-3"), None);
        assert_eq!(next_month("x"), None);
    }
}
