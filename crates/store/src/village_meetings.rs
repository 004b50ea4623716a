//! Meetings of the village's bodies (issue 6): the 支委会, the 两委联席会议 and the 村民代表会议 take
//! their roll from the seats held on the meeting's date; the 村民会议 counts the adults and
//! households present against the village's counts in force that day, with its 10 days' notice.
//! The quorum is computed by the meeting rules in force (`domain::meeting`), as for a branch's own
//! meetings, and the meeting sits with the village's Party organisation (which leads them).

use crate::audit::{self, Change};
use crate::error::StoreResult;
use crate::meetings::{Meeting, check_marks, rule_on};
use crate::scope::Scope;
use crate::sql::{Page, Sql};
use crate::village::{SeatRow, counts_on, refuse, seats_on, village_in};
use crate::{Actor, Store};
use jiceng_domain::meeting::{self, Attendance, MeetingKind};
use jiceng_domain::member::parse_date;
use jiceng_domain::village::Body;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// The kinds recorded here.
pub const BODY_KINDS: [MeetingKind; 4] = [
    MeetingKind::BranchCommittee,
    MeetingKind::JointCommittees,
    MeetingKind::RepresentativesAssembly,
    MeetingKind::VillagersAssembly,
];

/// A body's meeting as a form gives it. For the 村民会议, `present` and `households_present` come
/// from its sign-in sheet; for the others the roll is ticked and those not listed were absent.
#[derive(Debug, Clone, Default)]
pub struct NewBodyMeeting {
    pub place_id: i64,
    pub kind: String,
    pub title: String,
    pub held_on: String,
    pub notice_sent_on: Option<String>,
    pub agenda: Option<String>,
    /// (person, present | leave | absent, reason)
    pub attendance: Vec<(i64, String, Option<String>)>,
    pub present: i64,
    pub households_present: i64,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct SeatAttendance {
    pub person_id: i64,
    pub name: String,
    pub status: String,
    pub reason: Option<String>,
}

fn body_kind(raw: &str) -> StoreResult<MeetingKind> {
    match MeetingKind::parse(raw) {
        Some(k) if BODY_KINDS.contains(&k) => Ok(k),
        _ => Err(refuse(
            "meeting.kind_invalid",
            "请选择会议类型（支部委员会会议、村“两委”联席会议、村民代表会议、村民会议）".into(),
            "choose the kind of meeting",
            "kind",
        )),
    }
}

/// Who should attend a meeting of `kind` on `day`: the seat holders of its bodies, each once
/// (a secretary who also chairs the villagers' committee comes once to a joint meeting).
async fn body_roll(
    conn: &mut AnyConnection,
    place_id: i64,
    kind: MeetingKind,
    day: &str,
) -> StoreResult<BTreeMap<i64, String>> {
    let bodies = Body::attending(kind);
    let seats: Vec<SeatRow> = seats_on(conn, place_id, day).await?;
    Ok(seats
        .into_iter()
        .filter(|s| bodies.iter().any(|b| b.as_str() == s.body))
        .map(|s| (s.person_id, s.name))
        .collect())
}

/// The village's Party organisation: the top open organisation sitting at the village.
async fn village_org(conn: &mut AnyConnection, place_id: i64, name: &str) -> StoreResult<i64> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM orgs WHERE place_id = $1 AND closed_at IS NULL ORDER BY LENGTH(path), id LIMIT 1",
    )
    .bind(place_id)
    .fetch_optional(&mut *conn)
    .await?;
    id.ok_or_else(|| {
        refuse(
            "meeting.no_village_org",
            format!("{name}尚无党组织，村级会议由村党组织召集"),
            "the village has no Party organisation",
            "place_id",
        )
    })
}

impl Store {
    /// Who should attend a body's meeting on `day`: (person, name), by name.
    pub async fn body_roll(
        &self,
        scope: &Scope,
        place_id: i64,
        kind: MeetingKind,
        day: &str,
    ) -> StoreResult<Vec<(i64, String)>> {
        let mut conn = self.reader.acquire().await?;
        let place = village_in(&mut conn, scope, place_id).await?;
        let mut roll: Vec<(i64, String)> = body_roll(&mut conn, place.id, kind, day)
            .await?
            .into_iter()
            .collect();
        roll.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        Ok(roll)
    }

    /// Records a meeting of a village body with its quorum computed.
    pub async fn record_body_meeting(
        &self,
        actor: &Actor,
        scope: &Scope,
        m: &NewBodyMeeting,
        now: i64,
    ) -> StoreResult<Meeting> {
        let kind = body_kind(&m.kind)?;
        let title = crate::places::check_name(&m.title, "title")?;
        let held_on = parse_date(m.held_on.trim(), "held_on")?;
        crate::meetings::not_ahead(&held_on, now)?;
        let notice = m
            .notice_sent_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|d| parse_date(d, "notice_sent_on"))
            .transpose()?;
        let rules = self.meeting_rules().await?;
        let rule = &rule_on(&rules, kind, &held_on)?;
        match &notice {
            Some(n) => meeting::check_notice(rule, n, &held_on)?,
            None if rule.notice_days > 0 => {
                return Err(refuse(
                    "meeting.notice_required",
                    format!(
                        "{}应提前{}天通知，请填写通知日期",
                        kind.zh(),
                        rule.notice_days
                    ),
                    "this meeting needs its notice date",
                    "notice_sent_on",
                ));
            }
            None => {}
        }
        let mut tx = self.writer.begin().await?;
        let place = village_in(&mut tx, scope, m.place_id).await?;
        let org_id = village_org(&mut tx, place.id, &place.name).await?;
        let (counted, marks) = if kind == MeetingKind::VillagersAssembly {
            let (_, c) = counts_on(&mut tx, place.id, &held_on).await?.ok_or_else(|| {
                refuse(
                    "meeting.counts_missing",
                    format!(
                        "请先登记{}在{}时十八周岁以上村民人数和户数（村民会议的法定人数以此计算）",
                        place.name, held_on
                    ),
                    "set the village's adults and households first",
                    "present",
                )
            })?;
            let a = Attendance {
                should_attend: c.adults,
                present: m.present,
                households: c.households,
                households_present: m.households_present,
            };
            (a, BTreeMap::new())
        } else {
            let roll = body_roll(&mut tx, place.id, kind, &held_on).await?;
            let marks = check_marks(&m.attendance, |id| roll.get(&id).cloned(), kind.zh())?;
            let present = marks.values().filter(|(s, _)| s == "present").count() as i64;
            let a = Attendance {
                should_attend: roll.len() as i64,
                present,
                ..Default::default()
            };
            let full: BTreeMap<i64, (String, Option<String>)> = roll
                .into_keys()
                .map(|id| {
                    let mark = marks
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| ("absent".into(), None));
                    (id, mark)
                })
                .collect();
            (a, full)
        };
        let quorate = match meeting::quorum(rule, &counted, false) {
            Ok(()) => true,
            Err(e) if e.code == "meeting.no_quorum" => false,
            Err(e) => return Err(e.on("present").into()),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO meetings (org_id, kind, title, held_on, notice_sent_on, agenda, should_attend, present, \
             quorate, households, households_present, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12) RETURNING id",
        )
        .bind(org_id)
        .bind(kind.as_str())
        .bind(&title)
        .bind(&held_on)
        .bind(&notice)
        .bind(
            m.agenda
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty()),
        )
        .bind(counted.should_attend)
        .bind(counted.present)
        .bind(i64::from(quorate))
        .bind(counted.households)
        .bind(counted.households_present)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        // The 支委会 counts toward 三会一课 like a branch's own meetings.
        crate::life::meeting_recorded(&mut tx, org_id, kind.as_str(), &held_on, quorate).await?;
        if !marks.is_empty() {
            let mut ins = Sql::new(
                "INSERT INTO meeting_seats (meeting_id, person_id, status, reason) VALUES ",
            );
            for (n, (person, (status, reason))) in marks.into_iter().enumerate() {
                ins.push(if n == 0 { "(" } else { ", (" });
                ins.bind(id).push(", ").bind(person).push(", ");
                ins.bind(status).push(", ").bind(reason).push(")");
            }
            ins.query().execute(&mut *tx).await?;
        }
        let after = serde_json::json!({"place_id": place.id, "org_id": org_id, "kind": kind.as_str(),
            "title": title, "held_on": held_on, "should_attend": counted.should_attend,
            "present": counted.present, "households": counted.households,
            "households_present": counted.households_present, "quorate": quorate});
        audit::commit(
            tx,
            actor,
            Change::new("create", "meeting", id, None, Some(after)),
            now,
        )
        .await?;
        self.meeting(scope, id).await
    }

    /// The attendance of a body's meeting, by name (empty for other meetings).
    pub async fn seat_attendance(
        &self,
        scope: &Scope,
        meeting_id: i64,
    ) -> StoreResult<Vec<SeatAttendance>> {
        let m = self.meeting(scope, meeting_id).await?;
        Ok(sqlx::query_as(
            "SELECT a.person_id, vp.name, a.status, a.reason FROM meeting_seats a \
             JOIN village_people vp ON vp.id = a.person_id WHERE a.meeting_id = $1 ORDER BY vp.name, vp.id",
        )
        .bind(m.id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The meetings held in the village (its bodies' and its branches'), latest first, of one
    /// kind when given: one page, and how many there are.
    pub async fn body_meetings(
        &self,
        scope: &Scope,
        place_id: i64,
        kind: Option<MeetingKind>,
        page: Page,
    ) -> StoreResult<(Vec<Meeting>, i64)> {
        let mut conn = self.reader.acquire().await?;
        let place = village_in(&mut conn, scope, place_id).await?;
        drop(conn);
        let mut w = Sql::new(&format!("{} WHERE o.place_id = ", crate::meetings::FROM));
        w.bind(place.id).push(" AND ");
        scope.predicate(&mut w, "p.code");
        if let Some(k) = kind {
            w.push(" AND mt.kind = ").bind(k.as_str());
        }
        let order = "ORDER BY mt.held_on DESC, mt.id DESC";
        Ok(w.paged(crate::meetings::COLS, order, page, &self.reader)
            .await?)
    }
}
