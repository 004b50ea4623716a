//! The member list and its search, fast at every level of a province (4.5 million members): the
//! total of the default list is the members roll-up (kept with every record, principle 3) rather
//! than a count over the subtree; a search by name, initials, ID number or phone reaches its
//! candidates through indexes (migrations 0011, 0012), is counted only up to a cap, and each page
//! is sorted on the matching ids and keys alone before its rows are read.

use super::{COLS, FROM, Member, MemberFilter, initials};
use crate::error::StoreResult;
use crate::rollups;
use crate::scope::Scope;
use crate::sql::{Page, Sql, like_contains, like_prefix};
use crate::{Backend, Store};
use jiceng_domain::idcard::CitizenId;
use jiceng_domain::member;
use pinyin::ToPinyin;

/// The subtrees both the scope and the `under` filter allow: None for the whole installation.
fn region(scope: &Scope, under: Option<&str>) -> Option<Vec<String>> {
    match (scope, under) {
        (Scope::All, None) => None,
        (Scope::All, Some(u)) => Some(vec![u.to_string()]),
        (Scope::Prefixes(ps), None) => Some(ps.clone()),
        (Scope::Prefixes(ps), Some(u)) => {
            let mut out: Vec<String> = ps
                .iter()
                .filter_map(|p| {
                    if u.starts_with(p.as_str()) {
                        Some(u.to_string())
                    } else if p.starts_with(u) {
                        Some(p.clone())
                    } else {
                        None
                    }
                })
                .collect();
            out.sort();
            out.dedup();
            Some(out)
        }
    }
}

/// The code of the place a subtree prefix starts at (`4404` → `440400000000`).
fn place_code(prefix: &str) -> String {
    if prefix.len() < 12 {
        format!("{prefix:0<12}")
    } else {
        prefix.to_string()
    }
}

/// Whether `q` could start someone's pinyin initials: initials hold a letter for every character
/// that has a pinyin reading, so a query with such a character never matches them.
fn may_be_initials(q: &str) -> bool {
    !q.chars().any(|c| c.to_pinyin().is_some())
}

/// How a search branch writes a condition.
type Cond<'a> = Box<dyn Fn(&mut Sql) + 'a>;

/// Above this many members in the region, a search starts from its indexes (see `members`).
pub(crate) const INDEX_FIRST_ABOVE: i64 = 20_000;

impl Store {
    /// Current members in the region, from the roll-ups: what the default list (no search, no
    /// status, no organisation, former members hidden) counts. None when a subtree has no place
    /// to read it from (then the caller counts).
    async fn members_total(&self, scope: &Scope, under: Option<&str>) -> StoreResult<Option<i64>> {
        // The cast: PostgreSQL sums BIGINT as NUMERIC, which the Any driver cannot decode.
        let mut sql = Sql::new(
            "SELECT COUNT(*), CAST(COALESCE(SUM(r.value), 0) AS BIGINT) FROM places p LEFT JOIN rollups r ON r.place_id = p.id \
             AND r.metric = ",
        );
        sql.bind(rollups::MEMBERS)
            .push(" AND r.period = 'current' WHERE ");
        let wanted = match region(scope, under) {
            None => {
                sql.push("p.parent_id IS NULL");
                None
            }
            Some(prefixes) if prefixes.is_empty() => return Ok(Some(0)),
            Some(prefixes) => {
                sql.push("p.code IN (");
                for (i, p) in prefixes.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind(place_code(p));
                }
                sql.push(")");
                Some(prefixes.len() as i64)
            }
        };
        let (places, total): (i64, i64) = sql.query_as().fetch_one(&self.reader).await?;
        Ok((wanted.is_none_or(|n| n == places)).then_some(total))
    }

    /// A search counts its matches up to this many (a page shows `1000+` beyond): a query that
    /// matches more is refined, not paged through, and counting the 176,000 members of a
    /// province whose initials start `lj` would cost far more than showing the first page.
    pub const SEARCH_COUNT_CAP: i64 = 1_000;

    /// Members in scope matching the filter, one page, and how many there are in all (for a
    /// search, at most `SEARCH_COUNT_CAP + 1`). The list is sorted by place, then name; a search
    /// by the name's pinyin initials, then place, then name, the order of the search index (0012).
    pub async fn members(
        &self,
        scope: &Scope,
        f: &MemberFilter,
        page: Page,
    ) -> StoreResult<(Vec<Member>, i64)> {
        let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let status = f.status.as_deref().filter(|s| !s.is_empty());
        let under = f.under_prefix.as_deref();
        // How many members the region holds, from the roll-ups: the plain list's total, and what
        // decides where a search starts.
        let region = match f.org_id {
            None => self.members_total(scope, under).await?,
            Some(_) => Some(0),
        };
        // A search in a big region starts from the indexes (its matches, then those of the
        // region); in a small one, from the region's rows.
        let index_first = q.is_some() && region.is_none_or(|n| n > self.search_index_first_above);
        // The filters besides the search, on a row whose place code is `place`.
        let filter = |w: &mut Sql, place: &str| {
            scope.predicate(w, place);
            if let Some(pre) = under {
                w.push(" AND ");
                Scope::prefix(pre).predicate(w, place);
            }
            if let Some(o) = f.org_id {
                w.push(" AND m.org_id = ").bind(o);
            }
            match status {
                Some(s) => {
                    w.push(" AND m.status = ").bind(s);
                }
                // The statuses the members roll-up counts (rollups::CURRENT_MEMBERS).
                None if !f.include_former => {
                    w.push(concat!(" AND ", counted!()));
                }
                None => {}
            }
        };
        // `FROM … WHERE …` of the rows wanted. From the indexes, each branch of the search is
        // sorted and cut at `limit` rows on its own, so each reads the front of its index;
        // PostgreSQL does not merge sorted branches of a UNION ALL.
        let rows_from = |limit: i64| {
            let mut w = Sql::new("");
            match q {
                Some(q) if index_first => {
                    w.push(" FROM (");
                    self.candidates(&mut w, q, &filter, limit);
                    w.push(") m");
                }
                _ => {
                    w.push(FROM).push(" WHERE ");
                    filter(&mut w, "p.code");
                    if let Some(q) = q {
                        w.push(" AND (");
                        self.matches(&mut w, q);
                        w.push(")");
                    }
                }
            }
            w
        };
        let plain = q.is_none() && status.is_none() && f.org_id.is_none() && !f.include_former;
        // A search is planned for its own values each time: a plan cached for "any value" reads
        // the whole table for a LIKE or a rare ID number alike.
        let custom = q.is_none();
        let cap = Self::SEARCH_COUNT_CAP + 1;
        let total: i64 = match region.filter(|_| plain) {
            Some(n) => n,
            None => {
                let w = rows_from(cap);
                let text = match q {
                    Some(_) => format!("SELECT COUNT(*) FROM (SELECT 1{} LIMIT {cap}) t", w.text),
                    None => format!("SELECT COUNT(*){}", w.text),
                };
                Sql { text, vals: w.vals }
                    .scalar()
                    .persistent(custom)
                    .fetch_one(&self.reader)
                    .await?
            }
        };
        let (inner, outer) = match q {
            Some(_) if index_first => (
                "m.name_initials, m.place_code, m.name, m.id",
                "m.name_initials, p.code, m.name, m.id",
            ),
            Some(_) => (
                "m.name_initials, p.code, m.name, m.id",
                "m.name_initials, p.code, m.name, m.id",
            ),
            None => ("p.code, m.name, m.id", "p.code, m.name, m.id"),
        };
        // The page's ids first, sorted on the keys alone; then only those rows are read whole.
        let w = rows_from(page.number * page.size);
        let mut sql = Sql {
            text: format!(
                "SELECT {COLS}{FROM} WHERE m.id IN (SELECT m.id{} ORDER BY {inner}",
                w.text
            ),
            vals: w.vals,
        };
        page.limit_offset(&mut sql);
        sql.push(") ORDER BY ").push(outer);
        let rows = sql
            .query_as()
            .persistent(custom)
            .fetch_all(&self.reader)
            .await?;
        Ok((rows, total))
    }

    /// The search's candidates, one index each: names, initials, ID number, phone. `UNION ALL`,
    /// each branch leaving out what an earlier one matched (so no row comes twice and nothing is
    /// collected whole to remove duplicates), keeping the rows `filter` allows, sorted, and at
    /// most `limit` of them.
    fn candidates(&self, w: &mut Sql, q: &str, filter: &dyn Fn(&mut Sql, &str), limit: i64) {
        let branches = self.branches(q);
        // Each branch is a row of (id, org_id, status, name, name_initials, place_code): on
        // PostgreSQL the member row carries its place code (0012); SQLite joins it.
        let (row, from, place) = match self.backend {
            Backend::Postgres => (
                "m.id, m.org_id, m.status, m.name, m.name_initials, m.place_code",
                "members m",
                "m.place_code",
            ),
            Backend::Sqlite => (
                "m.id, m.org_id, m.status, m.name, m.name_initials, p.code AS place_code",
                "members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id",
                "p.code",
            ),
        };
        for (k, (find, _)) in branches.iter().enumerate() {
            if k > 0 {
                w.push(" UNION ALL ");
            }
            w.push("SELECT * FROM (SELECT ")
                .push(row)
                .push(" FROM ")
                .push(from);
            w.push(" WHERE ");
            find(w);
            for (_, earlier) in &branches[..k] {
                w.push(" AND NOT (");
                earlier(w);
                w.push(")");
            }
            w.push(" AND ");
            filter(w, place);
            w.push(" ORDER BY m.name_initials, ")
                .push(place)
                .push(", m.name, m.id LIMIT ");
            w.push(&limit.to_string()).push(&format!(") b{k}"));
        }
    }

    /// The search's branches: how each finds its rows (an index on PostgreSQL), and the plain
    /// condition that says a row matches it (what later branches leave out, and what a search of
    /// a small region tests row by row).
    fn branches<'a>(&'a self, q: &'a str) -> Vec<(Cond<'a>, Cond<'a>)> {
        let mut branches: Vec<(Cond<'a>, Cond<'a>)> = vec![
            (
                Box::new(|w: &mut Sql| name_starts(w, q)),
                Box::new(|w: &mut Sql| name_starts(w, q)),
            ),
            (
                Box::new(|w: &mut Sql| self.name_holds(w, q)),
                Box::new(|w: &mut Sql| name_like(w, q)),
            ),
        ];
        if may_be_initials(q) {
            branches.push((
                Box::new(|w: &mut Sql| initials_match(w, q)),
                Box::new(|w: &mut Sql| initials_match(w, q)),
            ));
        }
        if let Some(b) = self.id_blind(q) {
            let cond = move |w: &mut Sql| {
                w.push("m.id_index = ").bind(b.clone());
            };
            branches.push((Box::new(cond.clone()), Box::new(cond)));
        }
        if let Some(b) = self.phone_blind(q) {
            let cond = move |w: &mut Sql| {
                w.push("m.phone_index = ").bind(b.clone());
            };
            branches.push((Box::new(cond.clone()), Box::new(cond)));
        }
        branches
    }

    fn id_blind(&self, q: &str) -> Option<String> {
        CitizenId::parse(q)
            .ok()
            .map(|id| self.sealer.blind(id.as_str()))
    }

    fn phone_blind(&self, q: &str) -> Option<String> {
        member::parse_phone(q).ok().map(|p| self.sealer.blind(&p))
    }

    /// A name holding `q` (names starting with it are `name_starts`' and are left out by the
    /// caller). On PostgreSQL a GIN index of each name from its second character on answers a
    /// necessary condition first, where LIKE '%q%' alone would read every row (0012): every
    /// adjacent pair of characters of `q` is among the name's, or for one character, the
    /// character is.
    fn name_holds(&self, w: &mut Sql, q: &str) {
        if self.backend == Backend::Postgres {
            if q.chars().nth(1).is_some() {
                w.push("(jiceng_name_pairs(m.name, 2) @> jiceng_name_pairs(")
                    .bind(q)
                    .push(", 1) AND ");
            } else {
                w.push("(string_to_array(substr(m.name, 2), NULL) @> string_to_array(")
                    .bind(q)
                    .push(", NULL) AND ");
            }
            name_like(w, q);
            w.push(")");
        } else {
            name_like(w, q);
        }
    }

    /// The search as one condition, tested on each row of a small region: any branch's match.
    fn matches(&self, w: &mut Sql, q: &str) {
        for (k, (_, is_match)) in self.branches(q).iter().enumerate() {
            if k > 0 {
                w.push(" OR ");
            }
            is_match(w);
        }
    }
}

/// A name starting with `q`: its initials start with the query's, which an index answers
/// (`members_search` on PostgreSQL, `members_initials` on SQLite), then the name itself.
fn name_starts(w: &mut Sql, q: &str) {
    w.push("(m.name_initials LIKE ")
        .bind(like_prefix(&initials(q)))
        .push(" ESCAPE '\\' AND m.name LIKE ")
        .bind(like_prefix(q))
        .push(" ESCAPE '\\')");
}

/// A name containing `q`, by LIKE alone.
fn name_like(w: &mut Sql, q: &str) {
    w.push("m.name LIKE ")
        .bind(like_contains(q))
        .push(" ESCAPE '\\'");
}

/// Pinyin initials starting with `q`.
fn initials_match(w: &mut Sql, q: &str) {
    w.push("m.name_initials LIKE ")
        .bind(like_prefix(&q.to_lowercase()))
        .push(" ESCAPE '\\'");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_intersect_scope_and_filter() {
        let town = Scope::prefix("440403105");
        assert_eq!(region(&Scope::All, None), None);
        assert_eq!(region(&town, None), Some(vec!["440403105".into()]));
        assert_eq!(
            region(&town, Some("440403105201")),
            Some(vec!["440403105201".into()])
        );
        assert_eq!(
            region(&town, Some("440403")),
            Some(vec!["440403105".into()])
        );
        assert_eq!(region(&town, Some("440403106")), Some(vec![]));
        assert_eq!(place_code("4404"), "440400000000");
        assert_eq!(place_code("440403105201001"), "440403105201001");
    }

    #[test]
    fn initials_never_hold_a_chinese_character() {
        assert!(may_be_initials("zs"));
        assert!(may_be_initials("13800138000"));
        assert!(!may_be_initials("张"));
        assert!(!may_be_initials("z张"));
    }
}
