//! Meetings of an organisation's Party life (issue 6): who should attend comes from the register
//! (the organisation's probationary and full members; full members vote), the attendance is
//! recorded per member, the quorum is computed from it by the meeting rules in force on the day
//! (`domain::meeting`), and each resolution's outcome is computed from its votes. A meeting below
//! quorum is recorded as such and can pass nothing. Minutes can be changed until approved, never
//! after. Every write has its audit entry; a refused one is audited by the web layer.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use crate::sql::Sql;
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use jiceng_domain::meeting::{self, Attendance, MeetingKind, MeetingRule, Votes};
use jiceng_domain::member::parse_date;
use serde::Serialize;
use std::collections::HashMap;

/// Statuses that make someone a Party member who should attend; `full` members vote.
const ATTENDING: [&str; 2] = ["probationary", "full"];

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Meeting {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub kind: String,
    pub title: String,
    pub held_on: String,
    pub notice_sent_on: Option<String>,
    pub agenda: Option<String>,
    pub minutes: Option<String>,
    pub minutes_approved_at: Option<i64>,
    pub should_attend: i64,
    pub present: i64,
    /// 1 when the meeting had its quorum (an integer on both backends).
    pub quorate: i64,
    /// 村民会议 only: the village's households and those represented.
    pub households: i64,
    pub households_present: i64,
}

impl Meeting {
    /// The counts the meeting rules read.
    pub fn counted(&self) -> Attendance {
        Attendance {
            should_attend: self.should_attend,
            present: self.present,
            households: self.households,
            households_present: self.households_present,
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct AttendanceRow {
    pub member_id: i64,
    pub name: String,
    /// 1 for a full member (who votes).
    pub voting: i64,
    /// present | leave | absent
    pub status: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Resolution {
    pub id: i64,
    pub meeting_id: i64,
    pub title: String,
    pub election: i64,
    pub ayes: i64,
    pub nays: i64,
    pub abstentions: i64,
    /// 1 when the ayes reached the majority the rules require.
    pub passed: i64,
}

/// A meeting as a form gives it. Members of the organisation not listed in `attendance` were
/// absent; `leave` needs a reason.
#[derive(Debug, Clone, Default)]
pub struct NewMeeting {
    pub org_id: i64,
    pub kind: String,
    pub title: String,
    pub held_on: String,
    pub notice_sent_on: Option<String>,
    pub agenda: Option<String>,
    /// (member, present | leave | absent, reason)
    pub attendance: Vec<(i64, String, Option<String>)>,
}

/// A vote taken at a meeting.
#[derive(Debug, Clone, Copy)]
pub struct NewResolution<'a> {
    pub meeting_id: i64,
    pub title: &'a str,
    pub votes: Votes,
    /// An election: its quorum is more than 4/5 of the voting members.
    pub election: bool,
}

pub(crate) const COLS: &str = "mt.id, mt.org_id, o.name AS org_name, mt.kind, mt.title, mt.held_on, mt.notice_sent_on, \
    mt.agenda, mt.minutes, mt.minutes_approved_at, mt.should_attend, mt.present, mt.quorate, mt.households, \
    mt.households_present";
pub(crate) const FROM: &str =
    " FROM meetings mt JOIN orgs o ON o.id = mt.org_id JOIN places p ON p.id = o.place_id";

fn refuse(code: &'static str, zh: String, en: &str, field: &'static str) -> StoreError {
    DomainError::new(code, zh, en).on(field).into()
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The kinds recorded here: those whose attendees are the organisation's own members. A branch
/// committee (its members are the committee) and the village's bodies (villagers) come with the
/// rosters they need.
pub const RECORDED_KINDS: [MeetingKind; 6] = [
    MeetingKind::BranchAssembly,
    MeetingKind::GroupMeeting,
    MeetingKind::PartyLecture,
    MeetingKind::ThemeDay,
    MeetingKind::LifeMeeting,
    MeetingKind::Appraisal,
];

/// The organisation's Party members, by name: (member, name, votes).
/// On `day`: those who had joined the Party by then and had not arrived by a transfer confirmed
/// later; a vote for those full members by then (a probationary member made full after the
/// meeting had no vote at it). Members who have since left the organisation are not on it: the
/// register keeps no history of where each member was on each day beyond transfers.
async fn roll(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    day: &str,
) -> StoreResult<Vec<(i64, String, bool)>> {
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT m.id, m.name, m.status, m.full_date FROM members m WHERE m.org_id = $1 \
         AND m.status IN ($2, $3) AND (m.join_date IS NULL OR m.join_date <= $4) \
         AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.member_id = m.id AND t.to_org_id = $1 \
         AND t.status = 'confirmed' AND t.closed_on > $4) ORDER BY m.name, m.id",
    )
    .bind(org_id)
    .bind(ATTENDING[0])
    .bind(ATTENDING[1])
    .bind(day)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, s, full)| {
            let votes = s == "full" && full.as_deref().is_none_or(|f| f <= day);
            (id, name, votes)
        })
        .collect())
}

fn kind_of(raw: &str) -> StoreResult<MeetingKind> {
    match MeetingKind::parse(raw) {
        Some(k) if RECORDED_KINDS.contains(&k) => Ok(k),
        _ => Err(refuse(
            "meeting.kind_invalid",
            "请选择会议类型（支部党员大会、党小组会、党课、主题党日、组织生活会、民主评议党员）"
                .into(),
            "choose the kind of meeting",
            "kind",
        )),
    }
}

/// The attendance as given, checked: everyone on the roll (`on_roll`), each once, a known status,
/// a reason for leave. `whose` names the roll in the refusal.
pub(crate) fn check_marks(
    given: &[(i64, String, Option<String>)],
    on_roll: impl Fn(i64) -> Option<String>,
    whose: &str,
) -> StoreResult<HashMap<i64, (String, Option<String>)>> {
    let mut marks = HashMap::new();
    for (who, status, reason) in given {
        let Some(name) = on_roll(*who) else {
            return Err(refuse(
                "meeting.not_in_org",
                format!(
                    "所选人员中有人不在{whose}召开当日的应到名单中，不能登记出席（请按召开日期重新选取应到人员）"
                ),
                "attendance by someone not on the roll that day",
                "attendance",
            ));
        };
        if !matches!(status.as_str(), "present" | "leave" | "absent") {
            return Err(refuse(
                "meeting.attendance_invalid",
                "出席情况须为出席、请假或缺席".into(),
                "attendance is present, on leave or absent",
                "attendance",
            ));
        }
        let reason = text(reason);
        if status == "leave" && reason.is_none() {
            return Err(refuse(
                "meeting.leave_reason",
                "请假须注明事由".into(),
                "leave needs a reason",
                "attendance",
            ));
        }
        if marks.insert(*who, (status.clone(), reason)).is_some() {
            return Err(refuse(
                "meeting.attendance_twice",
                format!("{name}登记了两次（出席和请假只能选一项）"),
                "someone is listed twice",
                "attendance",
            ));
        }
    }
    Ok(marks)
}

/// A meeting is recorded once held: its attendance and votes are facts, not plans.
pub(crate) fn not_ahead(held_on: &str, now: i64) -> StoreResult<()> {
    let today = crate::coverage::day_of(now);
    if held_on > today.as_str() {
        return Err(refuse(
            "meeting.in_future",
            format!("召开日期（{held_on}）晚于今天（{today}）：会议召开后再登记出席和表决"),
            "a meeting is recorded after it is held",
            "held_on",
        ));
    }
    Ok(())
}

/// The meeting rules on file, every version (what `MeetingRule::in_force` chooses from).
pub(crate) async fn rules(conn: &mut sqlx::AnyConnection) -> StoreResult<Vec<MeetingRule>> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT rule_json FROM meeting_rules ORDER BY kind, effective_from")
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|j| {
            serde_json::from_str(j).map_err(|e| StoreError::Internal(format!("meeting rule: {e}")))
        })
        .collect()
}

/// The rule of `kind` in force on `day`, or a refusal naming the day.
pub(crate) fn rule_on(
    rules: &[MeetingRule],
    kind: MeetingKind,
    day: &str,
) -> StoreResult<MeetingRule> {
    MeetingRule::in_force(rules, kind, day)
        .cloned()
        .ok_or_else(|| {
            refuse(
                "meeting.no_rule",
                format!("{}在{}时尚无适用的规定", kind.zh(), day),
                "no rule in force on that day",
                "held_on",
            )
        })
}

impl Store {
    /// Seeds the meeting rules once (a migration cannot read the domain's data).
    pub(crate) async fn seed_meeting_rules(&self) -> StoreResult<()> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM meeting_rules")
            .fetch_one(&self.writer)
            .await?;
        if n > 0 {
            return Ok(());
        }
        for r in MeetingRule::defaults() {
            let json =
                serde_json::to_string(&r).map_err(|e| StoreError::Internal(e.to_string()))?;
            sqlx::query("INSERT INTO meeting_rules (kind, effective_from, rule_json, created_at) VALUES ($1, $2, $3, 0)")
                .bind(r.kind.as_str())
                .bind(&r.effective_from)
                .bind(json)
                .execute(&self.writer)
                .await?;
        }
        Ok(())
    }

    /// Files a new version of a meeting rule from its effective day on; meetings before that day
    /// keep being judged by the version they were held under.
    pub async fn add_meeting_rule(
        &self,
        actor: &Actor,
        rule: &MeetingRule,
        now: i64,
    ) -> StoreResult<()> {
        parse_date(&rule.effective_from, "effective_from")?;
        let json = serde_json::to_string(rule).map_err(|e| StoreError::Internal(e.to_string()))?;
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO meeting_rules (kind, effective_from, rule_json, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(rule.kind.as_str())
        .bind(&rule.effective_from)
        .bind(&json)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::from(e).unique(
                "meeting.rule_exists",
                "effective_from",
                "该类会议在这一天生效的规定已存在",
                "a rule of this kind already takes effect that day",
            )
        })?;
        let after = serde_json::json!({"kind": rule.kind.as_str(), "effective_from": rule.effective_from,
            "basis": rule.basis});
        audit::commit(
            tx,
            actor,
            Change::new(
                "create",
                "meeting_rule",
                rule.kind.as_str(),
                None,
                Some(after),
            ),
            now,
        )
        .await
    }

    /// Every meeting rule on file (pages explain a quorum or a majority by them).
    pub async fn meeting_rules(&self) -> StoreResult<Vec<MeetingRule>> {
        let mut conn = self.reader.acquire().await?;
        rules(&mut conn).await
    }

    /// Records a meeting held: its attendance against the register, its quorum computed.
    pub async fn record_meeting(
        &self,
        actor: &Actor,
        scope: &Scope,
        m: &NewMeeting,
        now: i64,
    ) -> StoreResult<Meeting> {
        let kind = kind_of(&m.kind)?;
        let title = crate::places::check_name(&m.title, "title")?;
        let held_on = parse_date(m.held_on.trim(), "held_on")?;
        crate::meetings::not_ahead(&held_on, now)?;
        let notice = text(&m.notice_sent_on)
            .map(|d| parse_date(&d, "notice_sent_on"))
            .transpose()?;
        let rules = self.meeting_rules().await?;
        let rule = &rule_on(&rules, kind, &held_on)?;
        if let Some(n) = &notice {
            meeting::check_notice(rule, n, &held_on)?;
        }
        let mut tx = self.writer.begin().await?;
        let org = crate::orgs::org_in(&mut tx, scope, m.org_id).await?;
        if org.closed_at.is_some() {
            return Err(refuse(
                "meeting.org_closed",
                "该党组织已撤销".into(),
                "the organisation is closed",
                "org_id",
            ));
        }
        // Who should attend: the organisation's Party members today.
        let on_roll = roll(&mut tx, org.id, &held_on).await?;
        let names: HashMap<i64, String> =
            on_roll.iter().map(|(id, n, _)| (*id, n.clone())).collect();
        let voting: HashMap<i64, bool> = on_roll
            .into_iter()
            .map(|(id, _, votes)| (id, votes))
            .collect();
        let mut marks = check_marks(&m.attendance, |id| names.get(&id).cloned(), &org.name)?;
        let counted = Attendance {
            should_attend: voting.values().filter(|v| **v).count() as i64,
            present: voting
                .iter()
                .filter(|(id, v)| **v && marks.get(id).is_some_and(|(s, _)| s == "present"))
                .count() as i64,
            ..Default::default()
        };
        let quorate = meeting::quorum(rule, &counted, false).is_ok();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO meetings (org_id, kind, title, held_on, notice_sent_on, agenda, should_attend, present, \
             quorate, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$10) RETURNING id",
        )
        .bind(org.id)
        .bind(kind.as_str())
        .bind(&title)
        .bind(&held_on)
        .bind(&notice)
        .bind(text(&m.agenda))
        .bind(counted.should_attend)
        .bind(counted.present)
        .bind(i64::from(quorate))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        crate::life::meeting_recorded(&mut tx, org.id, kind.as_str(), &held_on, quorate).await?;
        // One statement for the whole roll (a branch has at most a few hundred members).
        if !voting.is_empty() {
            let mut ins = Sql::new(
                "INSERT INTO meeting_attendance (meeting_id, member_id, voting, status, reason) VALUES ",
            );
            for (n, (member, vote)) in voting.iter().enumerate() {
                let (status, reason) = marks
                    .remove(member)
                    .unwrap_or_else(|| ("absent".to_string(), None));
                ins.push(if n == 0 { "(" } else { ", (" });
                ins.bind(id).push(", ").bind(*member).push(", ");
                ins.bind(i64::from(*vote)).push(", ").bind(status);
                ins.push(", ").bind(reason).push(")");
            }
            ins.query().execute(&mut *tx).await?;
        }
        let after = serde_json::json!({"org_id": org.id, "kind": kind.as_str(), "title": title,
            "held_on": held_on, "should_attend": counted.should_attend, "present": counted.present,
            "quorate": quorate});
        audit::commit(
            tx,
            actor,
            Change::new("create", "meeting", id, None, Some(after)),
            now,
        )
        .await?;
        self.meeting(scope, id).await
    }

    /// Who should attend a meeting of the organisation on `day`: (member, name, votes), by name.
    pub async fn meeting_roll(
        &self,
        scope: &Scope,
        org_id: i64,
        day: &str,
    ) -> StoreResult<Vec<(i64, String, bool)>> {
        let org = self.org(scope, org_id).await?;
        let mut conn = self.reader.acquire().await?;
        roll(&mut conn, org.id, day).await
    }

    /// A meeting within scope (NotFound otherwise).
    pub async fn meeting(&self, scope: &Scope, id: i64) -> StoreResult<Meeting> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE mt.id = "));
        sql.bind(id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.query_as()
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// An organisation's meetings, latest first.
    pub async fn meetings(&self, scope: &Scope, org_id: i64) -> StoreResult<Vec<Meeting>> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE mt.org_id = "));
        sql.bind(org_id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.push(" ORDER BY mt.held_on DESC, mt.id DESC");
        Ok(sql.query_as().fetch_all(&self.reader).await?)
    }

    pub async fn attendance(
        &self,
        scope: &Scope,
        meeting_id: i64,
    ) -> StoreResult<Vec<AttendanceRow>> {
        let m = self.meeting(scope, meeting_id).await?;
        Ok(sqlx::query_as(
            "SELECT a.member_id, m.name, a.voting, a.status, a.reason FROM meeting_attendance a \
             JOIN members m ON m.id = a.member_id WHERE a.meeting_id = $1 ORDER BY m.name, m.id",
        )
        .bind(m.id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn resolutions(
        &self,
        scope: &Scope,
        meeting_id: i64,
    ) -> StoreResult<Vec<Resolution>> {
        let m = self.meeting(scope, meeting_id).await?;
        Ok(sqlx::query_as(
            "SELECT id, meeting_id, title, election, ayes, nays, abstentions, passed FROM resolutions \
             WHERE meeting_id = $1 ORDER BY id",
        )
        .bind(m.id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Records a vote: refused when the meeting had no quorum (it can pass nothing) or the votes
    /// add up to more than those present; otherwise the outcome is computed, never typed.
    pub async fn record_resolution(
        &self,
        actor: &Actor,
        scope: &Scope,
        r: &NewResolution<'_>,
        now: i64,
    ) -> StoreResult<Resolution> {
        let (votes, election) = (r.votes, r.election);
        let title = crate::places::check_name(r.title, "title")?;
        let m = self.meeting(scope, r.meeting_id).await?;
        let kind = MeetingKind::parse(&m.kind).ok_or(StoreError::NotFound)?;
        let rules = self.meeting_rules().await?;
        let rule = &rule_on(&rules, kind, &m.held_on)?;
        let passed = meeting::passes(rule, &m.counted(), &votes, election)?;
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO resolutions (meeting_id, title, election, ayes, nays, abstentions, passed, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
        )
        .bind(m.id)
        .bind(&title)
        .bind(i64::from(election))
        .bind(votes.ayes)
        .bind(votes.nays)
        .bind(votes.abstentions)
        .bind(i64::from(passed))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"meeting_id": m.id, "title": title, "ayes": votes.ayes,
            "nays": votes.nays, "abstentions": votes.abstentions, "passed": passed});
        audit::commit(
            tx,
            actor,
            Change::new("create", "resolution", id, None, Some(after)),
            now,
        )
        .await?;
        Ok(Resolution {
            id,
            meeting_id: m.id,
            title,
            election: i64::from(election),
            ayes: votes.ayes,
            nays: votes.nays,
            abstentions: votes.abstentions,
            passed: i64::from(passed),
        })
    }

    /// Sets the minutes, and approves them when `approve`; approved minutes are never changed.
    pub async fn set_minutes(
        &self,
        actor: &Actor,
        scope: &Scope,
        meeting_id: i64,
        minutes: &str,
        approve: bool,
        now: i64,
    ) -> StoreResult<Meeting> {
        let before = self.meeting(scope, meeting_id).await?;
        let minutes = minutes.trim();
        if minutes.is_empty() || minutes.chars().count() > 20_000 {
            return Err(refuse(
                "meeting.minutes_invalid",
                "会议记录不能为空，且不超过2万字".into(),
                "minutes are 1–20,000 characters",
                "minutes",
            ));
        }
        let mut tx = self.writer.begin().await?;
        // The check and the write in one statement: approved minutes stay as they are.
        let changed = sqlx::query(
            "UPDATE meetings SET minutes = $1, minutes_approved_at = $2, updated_at = $3 \
             WHERE id = $4 AND minutes_approved_at IS NULL",
        )
        .bind(minutes)
        .bind(approve.then_some(now))
        .bind(now)
        .bind(before.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(refuse(
                "meeting.minutes_approved",
                "会议记录已审定，不能再修改".into(),
                "approved minutes cannot be changed",
                "minutes",
            ));
        }
        let after =
            serde_json::json!({"minutes_chars": minutes.chars().count(), "approved": approve});
        audit::commit(
            tx,
            actor,
            Change::new(
                if approve {
                    "approve_minutes"
                } else {
                    "update_minutes"
                },
                "meeting",
                before.id,
                None,
                Some(after),
            ),
            now,
        )
        .await?;
        self.meeting(scope, meeting_id).await
    }
}
