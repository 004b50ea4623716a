//! Data scope as a query predicate: the code prefixes of the subtrees a caller may see.
//! Division codes are hierarchical (county 6 digits, town 9, village 12, grid 15), so "this node and
//! everything under it" is a range scan `code >= prefix AND code < prefix || ':'` on the code index
//! (':' sorts right after '9').

use crate::sql::Sql;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole installation (district administrators at the root, the CLI).
    All,
    /// The subtrees under these code prefixes.
    Prefixes(Vec<String>),
}

impl Scope {
    pub fn prefix(p: impl Into<String>) -> Self {
        Scope::Prefixes(vec![p.into()])
    }

    /// Appends `(col >= $a AND col < $b OR ...)`; an empty scope matches nothing.
    pub fn predicate(&self, sql: &mut Sql, col: &str) {
        match self {
            Scope::All => {
                sql.push("1=1");
            }
            Scope::Prefixes(ps) if ps.is_empty() => {
                sql.push("1=0");
            }
            Scope::Prefixes(ps) => {
                sql.push("(");
                for (i, p) in ps.iter().enumerate() {
                    if i > 0 {
                        sql.push(" OR ");
                    }
                    sql.push("(").push(col).push(" >= ").bind(p.clone());
                    sql.push(" AND ")
                        .push(col)
                        .push(" < ")
                        .bind(format!("{p}:"))
                        .push(")");
                }
                sql.push(")");
            }
        }
    }

    pub fn contains_code(&self, code: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Prefixes(ps) => ps.iter().any(|p| code.starts_with(p.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_contains() {
        let s = Scope::prefix("440403105");
        assert!(s.contains_code("440403105201"));
        assert!(!s.contains_code("440403106201"));
        assert!(Scope::All.contains_code("1"));
        assert!(!Scope::Prefixes(vec![]).contains_code("440403105201"));
    }
}
