//! The member list and its search, fast at every level of a province (4.5 million members): the
//! total of the default list is the members roll-up (kept with every record, principle 3) rather
//! than a count over the subtree; a search by name, initials, ID number or phone reaches its
//! candidates through indexes (migration 0011), and each page is sorted on the matching ids and
//! keys alone before its rows are read.

use super::{COLS, FROM, Member, MemberFilter};
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

    /// Members in scope matching the filter, one page, and how many there are in all.
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
        // A search in a big region starts from the indexes (a few candidates, then their places);
        // in a small one, from the region's rows (fewer than the candidates province-wide).
        let index_first = q.is_some() && region.is_none_or(|n| n > self.search_index_first_above);
        let mut w = Sql::new("");
        match q {
            Some(q) if index_first => {
                w.push(" FROM (");
                self.candidates(&mut w, q);
                w.push(") m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id");
            }
            _ => {
                w.push(FROM);
            }
        }
        w.push(" WHERE ");
        scope.predicate(&mut w, "p.code");
        if let Some(pre) = under {
            w.push(" AND ");
            Scope::prefix(pre).predicate(&mut w, "p.code");
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
        if let Some(q) = q.filter(|_| !index_first) {
            w.push(" AND (");
            self.matches(&mut w, q);
            w.push(")");
        }
        let plain = q.is_none() && status.is_none() && f.org_id.is_none() && !f.include_former;
        // A search is planned for its own values each time: a plan cached for "any value" reads
        // the whole table for a LIKE or a rare ID number alike.
        let custom = q.is_none();
        let total: i64 = match region.filter(|_| plain) {
            Some(n) => n,
            None => {
                let count = Sql {
                    text: format!("SELECT COUNT(*){}", w.text),
                    vals: w.vals.clone(),
                };
                count
                    .scalar()
                    .persistent(custom)
                    .fetch_one(&self.reader)
                    .await?
            }
        };
        // The page's ids first, sorted on the keys alone; then only those rows are read whole.
        let mut sql = Sql {
            text: format!(
                "SELECT {COLS}{FROM} WHERE m.id IN (SELECT m.id{} ORDER BY p.code, m.name, m.id",
                w.text
            ),
            vals: w.vals,
        };
        page.limit_offset(&mut sql);
        sql.push(") ORDER BY p.code, m.name, m.id");
        let rows = sql
            .query_as()
            .persistent(custom)
            .fetch_all(&self.reader)
            .await?;
        Ok((rows, total))
    }

    /// The search's candidates, one index each, as rows of (id, org_id, status, name): names,
    /// initials, ID number, phone. On PostgreSQL the initials come from a covering index alone.
    fn candidates(&self, w: &mut Sql, q: &str) {
        let each = "SELECT m.id, m.org_id, m.status, m.name FROM members m WHERE ";
        let mut first = true;
        let mut branch = |w: &mut Sql| {
            if !first {
                w.push(" UNION ");
            }
            first = false;
            w.push(each);
        };
        branch(w);
        self.name_matches(w, q);
        if may_be_initials(q) {
            branch(w);
            initials_match(w, q);
        }
        if let Some(b) = self.id_blind(q) {
            branch(w);
            w.push("m.id_index = ").bind(b);
        }
        if let Some(b) = self.phone_blind(q) {
            branch(w);
            w.push("m.phone_index = ").bind(b);
        }
    }

    fn id_blind(&self, q: &str) -> Option<String> {
        CitizenId::parse(q)
            .ok()
            .map(|id| self.sealer.blind(id.as_str()))
    }

    fn phone_blind(&self, q: &str) -> Option<String> {
        member::parse_phone(q).ok().map(|p| self.sealer.blind(&p))
    }

    /// A name containing `q`.
    fn name_matches(&self, w: &mut Sql, q: &str) {
        if self.backend == Backend::Postgres {
            // Every character of `q` is in the name: a necessary condition the name's character
            // index (0011, GIN) answers, where LIKE '%q%' alone would read every row.
            w.push("(string_to_array(m.name, NULL) @> string_to_array(")
                .bind(q)
                .push(", NULL) AND m.name LIKE ")
                .bind(like_contains(q))
                .push(" ESCAPE '\\')");
        } else {
            w.push("m.name LIKE ")
                .bind(like_contains(q))
                .push(" ESCAPE '\\'");
        }
    }

    /// The search as one condition: a name containing `q`, initials starting with it, or exactly
    /// its ID number or phone (through their blind indexes, never by LIKE).
    fn matches(&self, w: &mut Sql, q: &str) {
        self.name_matches(w, q);
        if may_be_initials(q) {
            w.push(" OR ");
            initials_match(w, q);
        }
        if let Some(b) = self.id_blind(q) {
            w.push(" OR m.id_index = ").bind(b);
        }
        if let Some(b) = self.phone_blind(q) {
            w.push(" OR m.phone_index = ").bind(b);
        }
    }
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
