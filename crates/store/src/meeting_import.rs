//! A history of meetings written in one go (the demo's years of 三会一课; later an import of
//! records kept elsewhere): each meeting checked and its quorum computed as `record_meeting`
//! does — its roll the register on its day, the rule in force on its day — then all of them, their
//! attendance and the observers' records inserted in multi-row statements, in one transaction
//! with one audit entry, and the `life.*` roll-ups moved by the difference the batch made
//! (`life::take` before and after, `life::apply`), which is what `rollup_rebuild` would find.
//!
//! One meeting at a time through `record_meeting` costs a transaction, an audit entry and a
//! roll-up bump per meeting: a district's two years (~30,000 meetings, ~1 million attendance
//! rows) would take minutes.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::meetings::{RECORDED_KINDS, check_marks, rule_on, rules};
use crate::scope::Scope;
use crate::sql::Sql;
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use jiceng_domain::meeting::{self, Attendance, MeetingKind};
use jiceng_domain::member::parse_date;
use sqlx::AnyConnection;
use std::collections::{BTreeSet, HashMap};

/// A meeting already held, as an import gives it.
#[derive(Debug, Clone, Default)]
pub struct HistoricMeeting {
    pub org_id: i64,
    pub kind: String,
    pub title: String,
    pub held_on: String,
    pub agenda: Option<String>,
    /// (member, present | leave | absent, reason). For a meeting of the branch's members, those
    /// of the roll not listed were absent. For a 支委会 the roll is the committee, listed here in
    /// full: full members of the branch on the day.
    pub attendance: Vec<(i64, String, Option<String>)>,
    /// Red observers' records.
    pub observations: Vec<Observed>,
}

/// An observer's record as given: (observer, findings, suggestions).
pub type Observed = (String, String, Option<String>);

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportedMeetings {
    pub meetings: u64,
    /// Of them, below quorum (recorded, counting for nothing).
    pub without_quorum: u64,
    pub attendance: u64,
    pub observations: u64,
}

/// Rows per multi-row statement.
const CHUNK: usize = 400;

fn refuse(code: &'static str, zh: String, en: &str, field: &'static str) -> StoreError {
    DomainError::new(code, zh, en).on(field).into()
}

/// A current probationary or full member of an organisation, as the roll of a day reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub id: i64,
    /// A full member now.
    pub full: bool,
    pub join_date: Option<String>,
    pub full_date: Option<String>,
    /// The last confirmed transfer into the organisation.
    pub arrived_on: Option<String>,
}

impl Registered {
    /// On the roll of `day`, and with a vote: the rule of `meetings::roll` (joined the Party by
    /// then, not arrived by a transfer confirmed later; a vote for those full by then).
    pub fn on(&self, day: &str) -> Option<bool> {
        let joined = self.join_date.as_deref().is_none_or(|d| d <= day);
        let here = self.arrived_on.as_deref().is_none_or(|d| d <= day);
        (joined && here).then(|| self.full && self.full_date.as_deref().is_none_or(|f| f <= day))
    }
}

/// Registers by organisation.
pub type Registers = HashMap<i64, Vec<Registered>>;

/// The current probationary and full members of these organisations (in scope), with the dates
/// the roll reads, by organisation and member id.
async fn registers(
    conn: &mut AnyConnection,
    scope: &Scope,
    orgs: &[i64],
) -> StoreResult<Registers> {
    let mut out: Registers = HashMap::new();
    for chunk in orgs.chunks(500) {
        // Integer literals: the ids are our own i64s.
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let mut sql = Sql::new(&format!(
            "SELECT m.org_id, m.id, m.status, m.join_date, m.full_date, (SELECT MAX(t.closed_on) \
             FROM transfers t WHERE t.member_id = m.id AND t.to_org_id = m.org_id AND t.status = 'confirmed') \
             FROM members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id \
             WHERE m.org_id IN ({}) AND m.status IN ('probationary', 'full') AND ",
            list.join(", ")
        ));
        scope.predicate(&mut sql, "p.code");
        sql.push(" ORDER BY m.org_id, m.id");
        type Row = (
            i64,
            i64,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = sql.query_as().fetch_all(&mut *conn).await?;
        for (org, id, status, join_date, full_date, arrived_on) in rows {
            out.entry(org).or_default().push(Registered {
                id,
                full: status == "full",
                join_date,
                full_date,
                arrived_on,
            });
        }
    }
    Ok(out)
}

/// One meeting checked: what goes into its row and its attendance rows.
struct Checked {
    org_id: i64,
    kind: MeetingKind,
    title: String,
    held_on: String,
    agenda: Option<String>,
    counted: Attendance,
    quorate: bool,
    /// (member, votes, status, reason)
    roll: Vec<(i64, bool, String, Option<String>)>,
    observations: Vec<Observed>,
}

fn kind_of(raw: &str) -> StoreResult<MeetingKind> {
    match MeetingKind::parse(raw) {
        Some(k) if RECORDED_KINDS.contains(&k) || k == MeetingKind::BranchCommittee => Ok(k),
        _ => Err(refuse(
            "meeting.kind_invalid",
            format!("无法导入的会议类型：{raw}"),
            "this kind of meeting cannot be imported",
            "kind",
        )),
    }
}

fn observations(m: &HistoricMeeting) -> StoreResult<Vec<Observed>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (who, findings, suggestions) in &m.observations {
        let who = crate::places::check_name(who, "observer_name")?;
        let findings = findings.trim().to_string();
        let long = |t: &str| t.chars().count() > crate::observations::TEXT_MAX;
        if findings.is_empty() || long(&findings) || suggestions.as_deref().is_some_and(long) {
            return Err(refuse(
                "observation.findings_missing",
                format!("{who}的观察发现须填写，且不超过2000字"),
                "findings are 1–2000 characters",
                "findings",
            ));
        }
        if !seen.insert(who.clone()) {
            return Err(refuse(
                "observation.twice",
                format!("{who}对{}的同一次会议登记了两次观察记录", m.held_on),
                "this observer recorded the meeting twice",
                "observer_name",
            ));
        }
        out.push((who, findings, suggestions.clone()));
    }
    Ok(out)
}

/// Checks one meeting against its organisation's register and the rules on file.
fn check(
    m: &HistoricMeeting,
    register: &[Registered],
    rules: &[meeting::MeetingRule],
    today: &str,
) -> StoreResult<Checked> {
    let kind = kind_of(&m.kind)?;
    let title = crate::places::check_name(&m.title, "title")?;
    let held_on = parse_date(m.held_on.trim(), "held_on")?;
    if held_on.as_str() > today {
        return Err(refuse(
            "meeting.not_held_yet",
            format!("{held_on}的会议尚未召开，不能作为历史记录导入"),
            "a meeting still to come is not history",
            "held_on",
        ));
    }
    let rule = rule_on(rules, kind, &held_on)?;
    let on_day: HashMap<i64, bool> = register
        .iter()
        .filter_map(|r| r.on(&held_on).map(|v| (r.id, v)))
        .collect();
    let (roll, counted) = if kind == MeetingKind::BranchCommittee {
        // The committee: full members of the branch, each listed once.
        let marks = check_marks(
            &m.attendance,
            // Only full members sit on the committee; the import names them by number.
            |id| {
                on_day
                    .get(&id)
                    .copied()
                    .unwrap_or(false)
                    .then(|| format!("编号{id}的党员"))
            },
            "支部委员会",
        )?;
        let mut roll: Vec<(i64, bool, String, Option<String>)> = marks
            .into_iter()
            .map(|(id, (s, r))| (id, true, s, r))
            .collect();
        roll.sort_by_key(|r| r.0);
        let present = roll.iter().filter(|r| r.2 == "present").count() as i64;
        let counted = Attendance {
            should_attend: roll.len() as i64,
            present,
            ..Default::default()
        };
        (roll, counted)
    } else {
        let mut marks = check_marks(
            &m.attendance,
            |id| on_day.contains_key(&id).then(|| format!("编号{id}的党员")),
            "本党组织",
        )?;
        let mut roll: Vec<(i64, bool, String, Option<String>)> = on_day
            .iter()
            .map(|(id, votes)| {
                let (s, r) = marks
                    .remove(id)
                    .unwrap_or_else(|| ("absent".to_string(), None));
                (*id, *votes, s, r)
            })
            .collect();
        roll.sort_by_key(|r| r.0);
        let counted = Attendance {
            should_attend: roll.iter().filter(|r| r.1).count() as i64,
            present: roll.iter().filter(|r| r.1 && r.2 == "present").count() as i64,
            ..Default::default()
        };
        (roll, counted)
    };
    let quorate = meeting::quorum(&rule, &counted, false).is_ok();
    Ok(Checked {
        org_id: m.org_id,
        kind,
        title,
        agenda: m
            .agenda
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        held_on,
        counted,
        quorate,
        roll,
        observations: observations(m)?,
    })
}

/// Inserts a chunk of meetings; returns their ids in the order given. Ids are handed out in the
/// order of the VALUES list; each returned row is checked against the meeting it was given for,
/// so a database that ordered them otherwise would stop the import rather than mix them up.
async fn insert_meetings(
    conn: &mut AnyConnection,
    chunk: &[Checked],
    now: i64,
) -> StoreResult<Vec<i64>> {
    let mut sql = Sql::new(
        "INSERT INTO meetings (org_id, kind, title, held_on, agenda, should_attend, present, quorate, \
         created_at, updated_at) VALUES ",
    );
    for (i, c) in chunk.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        // Integers and the kind's fixed name as literals; the texts a person wrote are bound.
        sql.push(&format!("{}, '{}', ", c.org_id, c.kind.as_str()))
            .bind(c.title.as_str())
            .push(", ")
            .bind(c.held_on.as_str())
            .push(", ")
            .bind(c.agenda.clone())
            .push(&format!(
                ", {}, {}, {}, {now}, {now})",
                c.counted.should_attend,
                c.counted.present,
                i64::from(c.quorate)
            ));
    }
    sql.push(" RETURNING id, org_id, held_on, title");
    let mut got: Vec<(i64, i64, String, String)> = sql.query_as().fetch_all(&mut *conn).await?;
    got.sort_by_key(|g| g.0);
    if got.len() != chunk.len()
        || got
            .iter()
            .zip(chunk)
            .any(|(g, c)| g.1 != c.org_id || g.2 != c.held_on || g.3 != c.title)
    {
        return Err(StoreError::Internal(
            "meeting import: ids not handed out in order".into(),
        ));
    }
    Ok(got.into_iter().map(|g| g.0).collect())
}

/// Inserts the attendance rows (meeting, member, votes, status, reason).
async fn insert_attendance(
    conn: &mut AnyConnection,
    rows: &[(i64, i64, bool, &str, Option<&str>)],
) -> StoreResult<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut sql = Sql::new(
            "INSERT INTO meeting_attendance (meeting_id, member_id, voting, status, reason) VALUES ",
        );
        for (i, (meeting, member, votes, status, reason)) in chunk.iter().enumerate() {
            // Ids are our own i64s and the status one of three names checked above: literals, so
            // that a statement of 400 rows binds only the reasons.
            let status = match *status {
                "present" => "present",
                "leave" => "leave",
                _ => "absent",
            };
            sql.push(&format!(
                "{}({meeting}, {member}, {}, '{status}', ",
                if i == 0 { "" } else { ", " },
                i64::from(*votes)
            ));
            match reason {
                Some(r) => sql.bind(*r),
                None => sql.push("NULL"),
            };
            sql.push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_observations(
    conn: &mut AnyConnection,
    rows: &[(i64, &Observed)],
    actor: &Actor,
    now: i64,
) -> StoreResult<()> {
    for chunk in rows.chunks(CHUNK / 4) {
        let mut sql = Sql::new(
            "INSERT INTO observations (meeting_id, observer_user_id, observer_name, findings, \
             suggestions, created_by, created_at) VALUES ",
        );
        for (i, (meeting, (who, findings, suggestions))) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*meeting)
                .push(", NULL, ")
                .bind(who.as_str())
                .push(", ")
                .bind(findings.as_str())
                .push(", ")
                .bind(suggestions.clone())
                .push(", ")
                .bind(actor.user_id)
                .push(&format!(", {now})"));
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

impl Store {
    /// The current probationary and full members of these organisations (in scope) with the
    /// dates a day's roll reads (`Registered::on`): what a caller building a history to import
    /// lists attendance from.
    pub async fn registers(&self, scope: &Scope, orgs: &[i64]) -> StoreResult<Registers> {
        let mut conn = self.reader.acquire().await?;
        registers(&mut conn, scope, orgs).await
    }

    /// Writes a history of meetings (see the module's comment): every meeting is checked before
    /// anything is written, and the first refusal names the meeting and its rule; nothing is
    /// written then. Organisations must be in scope and open; meetings must have been held by
    /// `now`.
    pub async fn import_meeting_history(
        &self,
        actor: &Actor,
        scope: &Scope,
        meetings: &[HistoricMeeting],
        label: &str,
        now: i64,
    ) -> StoreResult<ImportedMeetings> {
        let today = crate::coverage::day_of(now);
        let mut tx = self.writer.begin().await?;
        let rules = rules(&mut tx).await?;
        let orgs: Vec<i64> = meetings
            .iter()
            .map(|m| m.org_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for id in &orgs {
            let org = crate::orgs::org_in(&mut tx, scope, *id).await?;
            if org.closed_at.is_some() {
                return Err(refuse(
                    "meeting.org_closed",
                    format!("{}已撤销", org.name),
                    "the organisation is closed",
                    "org_id",
                ));
            }
        }
        let registers = registers(&mut tx, scope, &orgs).await?;
        let mut checked = Vec::with_capacity(meetings.len());
        for (n, m) in meetings.iter().enumerate() {
            let register = registers.get(&m.org_id).map_or(&[][..], Vec::as_slice);
            checked.push(check(m, register, &rules, &today).map_err(|e| match e {
                StoreError::Rule(mut d) => {
                    d.zh = format!("第{}条会议（{} {}）：{}", n + 1, m.held_on, m.title, d.zh);
                    StoreError::Rule(d)
                }
                other => other,
            })?);
        }
        let before = crate::life::take(&mut tx, &orgs).await?;
        let mut sum = ImportedMeetings::default();
        let mut first_id = None;
        let mut last_id = None;
        for chunk in checked.chunks(CHUNK / 2) {
            let ids = insert_meetings(&mut tx, chunk, now).await?;
            first_id = first_id.or(ids.first().copied());
            last_id = ids.last().copied().or(last_id);
            let mut attendance = Vec::new();
            let mut observed = Vec::new();
            for (id, c) in ids.iter().zip(chunk) {
                attendance.extend(c.roll.iter().map(|(member, votes, status, reason)| {
                    (*id, *member, *votes, status.as_str(), reason.as_deref())
                }));
                observed.extend(c.observations.iter().map(|o| (*id, o)));
                sum.meetings += 1;
                sum.without_quorum += u64::from(!c.quorate);
            }
            insert_attendance(&mut tx, &attendance).await?;
            insert_observations(&mut tx, &observed, actor, now).await?;
            sum.attendance += attendance.len() as u64;
            sum.observations += observed.len() as u64;
        }
        let after = crate::life::take(&mut tx, &orgs).await?;
        crate::life::apply(&mut tx, &before, &after).await?;
        let json = serde_json::json!({"meetings": sum.meetings, "without_quorum": sum.without_quorum,
            "attendance": sum.attendance, "observations": sum.observations,
            "first_id": first_id, "last_id": last_id, "source": label});
        audit::commit(
            tx,
            actor,
            Change::new("import", "meeting", label, None, Some(json)),
            now,
        )
        .await?;
        Ok(sum)
    }
}
