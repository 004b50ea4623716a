//! Organisation sizes for the formation check: each open organisation's current members (its own
//! and everything registered below it) and its own full members.

use crate::Store;
use crate::error::StoreResult;
use crate::scope::Scope;
use crate::sql::Sql;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrgSize {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub place_name: String,
    /// Current members registered here or anywhere below.
    pub members: i64,
    /// Full members registered with this organisation itself.
    pub full: i64,
}

impl Store {
    pub async fn org_sizes(&self, scope: &Scope) -> StoreResult<Vec<OrgSize>> {
        let mut sql = Sql::new(
            "SELECT o.id, o.name, o.kind, o.path, p.name FROM orgs o JOIN places p ON p.id = o.place_id WHERE o.closed_at IS NULL AND ",
        );
        scope.predicate(&mut sql, "p.code");
        sql.push(" ORDER BY p.code, o.path");
        let orgs: Vec<(i64, String, String, String, String)> =
            sql.query_as().fetch_all(&self.reader).await?;
        let mut counts = Sql::new(concat!(
            "SELECT o.path, COUNT(*), CAST(SUM(CASE WHEN m.status = 'full' THEN 1 ELSE 0 END) AS BIGINT) FROM members m \
             JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id WHERE ",
            counted!(),
            " AND "
        ));
        scope.predicate(&mut counts, "p.code");
        counts.push(" GROUP BY o.path");
        let rows: Vec<(String, i64, i64)> = counts.query_as().fetch_all(&self.reader).await?;
        // Each registration counts for its organisation and every ancestor on its path.
        let mut subtree: HashMap<String, i64> = HashMap::new();
        let mut own_full: HashMap<String, i64> = HashMap::new();
        for (path, n, full) in rows {
            own_full.insert(path.clone(), full);
            let mut prefix = String::from("/");
            for seg in path.split('/').filter(|s| !s.is_empty()) {
                prefix.push_str(seg);
                prefix.push('/');
                *subtree.entry(prefix.clone()).or_default() += n;
            }
        }
        Ok(orgs
            .into_iter()
            .map(|(id, name, kind, path, place_name)| OrgSize {
                id,
                name,
                kind,
                place_name,
                members: subtree.get(&path).copied().unwrap_or(0),
                full: own_full.get(&path).copied().unwrap_or(0),
            })
            .collect())
    }
}
