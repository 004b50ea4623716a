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
        let mut w = Sql::new(FROM);
        w.push(" WHERE ");
        scope.predicate(&mut w, "p.code");
        if let Some(pre) = &f.under_prefix {
            w.push(" AND ");
            Scope::prefix(pre.clone()).predicate(&mut w, "p.code");
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
                w.push(" AND m.status NOT IN ('left', 'deceased')");
            }
            None => {}
        }
        if let Some(q) = q {
            self.search(&mut w, q);
        }
        let plain = q.is_none() && status.is_none() && f.org_id.is_none() && !f.include_former;
        let counted = if plain {
            self.members_total(scope, f.under_prefix.as_deref()).await?
        } else {
            None
        };
        let total: i64 = match counted {
            Some(n) => n,
            None => {
                let count = Sql {
                    text: format!("SELECT COUNT(*){}", w.text),
                    vals: w.vals.clone(),
                };
                count.scalar().fetch_one(&self.reader).await?
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
        Ok((sql.query_as().fetch_all(&self.reader).await?, total))
    }

    /// Appends the search: a name containing `q`, initials starting with it, or exactly its ID
    /// number or phone (through their blind indexes, never by LIKE).
    fn search(&self, w: &mut Sql, q: &str) {
        let id_blind = CitizenId::parse(q)
            .ok()
            .map(|id| self.sealer.blind(id.as_str()));
        let phone_blind = member::parse_phone(q).ok().map(|p| self.sealer.blind(&p));
        w.push(" AND (");
        if self.backend == Backend::Postgres {
            // Every character of `q` is in the name: a necessary condition the name's character
            // index (0011, GIN) answers, where LIKE '%q%' alone would read every row in scope.
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
        if may_be_initials(q) {
            w.push(" OR m.name_initials LIKE ")
                .bind(like_prefix(&q.to_lowercase()))
                .push(" ESCAPE '\\'");
        }
        if let Some(b) = id_blind {
            w.push(" OR m.id_index = ").bind(b);
        }
        if let Some(b) = phone_blind {
            w.push(" OR m.phone_index = ").bind(b);
        }
        w.push(")");
    }
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
