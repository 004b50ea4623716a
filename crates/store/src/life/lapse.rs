//! The lapse watch's organisational-life side (《党章》 Art. 9; DOMAIN.md "Lapse"): current
//! probationary and full members who have not been present at any meeting of the Party's life for
//! whole consecutive months.
//!
//! Counted from the later of the member's joining of their organisation and the first meeting
//! recorded for that organisation: before either, jiceng cannot know whether they took part, so
//! an organisation that starts recording its meetings does not flag everyone on day one, and a
//! member who arrived last month is not blamed for the months before. An organisation that has
//! recorded no meeting at all flags nobody here; it shows as non-compliant on the 三会一课 pages.
//! Joining the organisation is the day its last transfer into the organisation was confirmed,
//! else the day they joined the Party, else the day they were entered into jiceng.

use crate::Store;
use crate::error::StoreResult;
use crate::scope::Scope;
use crate::sql::Sql;
use jiceng_domain::life::{LAPSE_MONTHS_WITHOUT_LIFE, months_without_life};
use jiceng_domain::meeting::MeetingKind;

/// Months without organisational life from which a member is warned (DOMAIN.md: warn at 3).
pub const LIFE_WARN_MONTHS: u32 = 3;

/// A member without organisational life for `LIFE_WARN_MONTHS` or more whole months.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LifeLapse {
    pub member_id: i64,
    pub name: String,
    pub org_id: i64,
    pub org_name: String,
    /// The last day present at a meeting of the Party's life, if ever.
    pub last_present: Option<String>,
    /// The day the count may reach back to (see the module's comment).
    pub counted_from: String,
    pub months: u32,
}

impl LifeLapse {
    /// Six months or more: for the branch to decide (自行脱党 candidates).
    pub fn flagged(&self) -> bool {
        self.months >= LAPSE_MONTHS_WITHOUT_LIFE
    }
}

/// Appends `IN (…)` of the meeting kinds of the Party's life.
fn party_life_kinds(sql: &mut Sql) {
    sql.push(" IN (");
    let kinds: Vec<MeetingKind> = MeetingKind::ALL
        .into_iter()
        .filter(|k| k.is_party_life())
        .collect();
    for (i, k) in kinds.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(k.as_str());
    }
    sql.push(")");
}

type Row = (
    i64,
    String,
    i64,
    String,
    Option<String>,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl Store {
    /// Members under `under_prefix` (in scope) without organisational life for three whole months
    /// or more before `today`'s month, longest first.
    pub async fn life_lapse(
        &self,
        scope: &Scope,
        under_prefix: Option<&str>,
        today: &str,
    ) -> StoreResult<Vec<LifeLapse>> {
        let mut sql = Sql::new(
            "SELECT m.id, m.name, o.id, o.name, m.join_date, m.created_at, \
             (SELECT MAX(t.closed_on) FROM transfers t WHERE t.member_id = m.id AND t.to_org_id = m.org_id \
              AND t.status = 'confirmed'), \
             (SELECT MIN(f.held_on) FROM meetings f WHERE f.org_id = m.org_id AND f.held_on <= ",
        );
        sql.bind(today).push(" AND f.kind");
        party_life_kinds(&mut sql);
        sql.push(
            "), (SELECT MAX(mt.held_on) FROM meeting_attendance a JOIN meetings mt ON mt.id = a.meeting_id \
             WHERE a.member_id = m.id AND a.status = 'present' AND mt.held_on <= ",
        );
        sql.bind(today).push(" AND mt.kind");
        party_life_kinds(&mut sql);
        sql.push(
            ") FROM members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id \
             WHERE m.status IN ('probationary', 'full') AND ",
        );
        scope.predicate(&mut sql, "p.code");
        if let Some(pre) = under_prefix {
            sql.push(" AND ");
            Scope::prefix(pre).predicate(&mut sql, "p.code");
        }
        let rows: Vec<Row> = sql.query_as().fetch_all(&self.reader).await?;
        let mut out = Vec::new();
        for (member_id, name, org_id, org_name, joined, created, arrived, first, last) in rows {
            // No meeting recorded for the organisation yet: nothing to count from.
            let Some(first) = first else { continue };
            let joined = arrived
                .or(joined)
                .unwrap_or_else(|| crate::coverage::day_of(created));
            let from = joined.max(first);
            let attended: Vec<String> = last.iter().cloned().collect();
            let months = months_without_life(&attended, &from, today)?;
            if months >= LIFE_WARN_MONTHS {
                out.push(LifeLapse {
                    member_id,
                    name,
                    org_id,
                    org_name,
                    last_present: last,
                    counted_from: from,
                    months,
                });
            }
        }
        out.sort_by(|a, b| b.months.cmp(&a.months).then(a.name.cmp(&b.name)));
        Ok(out)
    }
}
