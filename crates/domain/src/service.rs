//! The service centre (党群服务中心, issue 5 item 4): a request for one catalogue item and the moves
//! it may make, with its time limit counted in working days (工作日).
//!
//! A request taken at the desk is accepted (已受理) on the day; one filed online waits (待受理)
//! until the staff accept it or refuse it. Accepted, it goes 办理中 → 办结, or 不予受理 with a
//! reason at any open step. 补正材料 (materials missing) pauses the clock: when the materials come,
//! the due date moves on by the working days the request waited. Overdue = still open (not paused)
//! after its due date; a request that was ever overdue keeps the mark (`overdue`), so a month's
//! figures count it even after it is done.
//!
//! Working days are Monday to Friday, except the days a `Calendar` (the district's table of public
//! holidays, 放假, and of weekend days worked in their place, 调休上班) says otherwise. A day the
//! table does not hold follows the week.

use crate::error::{DomainError, Rule};
use serde::{Deserialize, Serialize};

/// The longest time limit an item may carry, in working days.
pub const MAX_LIMIT_DAYS: i64 = 60;

/// The four groups of the catalogue.
pub const GROUPS: [(&str, &str); 4] = [
    ("party", "党务"),
    ("gov", "政务"),
    ("village", "村务"),
    ("public", "公共服务"),
];

pub fn group_zh(code: &str) -> Option<&'static str> {
    GROUPS.iter().find(|(c, _)| *c == code).map(|(_, z)| *z)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 待受理: filed online, not yet looked at.
    Submitted,
    /// 已受理
    Accepted,
    /// 办理中
    Processing,
    /// 补正材料: waiting for the applicant's materials; the clock is paused.
    Supplement,
    /// 办结
    Completed,
    /// 不予受理
    Rejected,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Submitted,
        Status::Accepted,
        Status::Processing,
        Status::Supplement,
        Status::Completed,
        Status::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Accepted => "accepted",
            Status::Processing => "processing",
            Status::Supplement => "supplement",
            Status::Completed => "completed",
            Status::Rejected => "rejected",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Status::Submitted => "待受理",
            Status::Accepted => "已受理",
            Status::Processing => "办理中",
            Status::Supplement => "补正材料",
            Status::Completed => "办结",
            Status::Rejected => "不予受理",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn is_final(self) -> bool {
        matches!(self, Status::Completed | Status::Rejected)
    }
    /// Whose clock runs: accepted and not paused, not finished.
    pub fn clock_runs(self) -> bool {
        matches!(self, Status::Accepted | Status::Processing)
    }
}

/// What the staff do to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "move", rename_all = "snake_case")]
pub enum Move {
    /// 受理 an online request: the clock starts.
    Accept,
    /// 开始办理
    Start,
    /// 一次性告知补正材料: what is missing.
    AskMaterials { what: String },
    /// 材料已补齐: the clock runs again.
    MaterialsIn,
    /// 办结, with what was done.
    Complete { result: String },
    /// 不予受理, with the reason.
    Reject { reason: String },
}

impl Move {
    pub fn as_str(&self) -> &'static str {
        match self {
            Move::Accept => "accept",
            Move::Start => "start",
            Move::AskMaterials { .. } => "ask_materials",
            Move::MaterialsIn => "materials_in",
            Move::Complete { .. } => "complete",
            Move::Reject { .. } => "reject",
        }
    }
    pub fn zh(&self) -> &'static str {
        match self {
            Move::Accept => "受理",
            Move::Start => "开始办理",
            Move::AskMaterials { .. } => "告知补正材料",
            Move::MaterialsIn => "材料已补齐",
            Move::Complete { .. } => "办结",
            Move::Reject { .. } => "不予受理",
        }
    }
    /// The status the move leads to.
    pub fn to(&self) -> Status {
        match self {
            Move::Accept => Status::Accepted,
            Move::Start | Move::MaterialsIn => Status::Processing,
            Move::AskMaterials { .. } => Status::Supplement,
            Move::Complete { .. } => Status::Completed,
            Move::Reject { .. } => Status::Rejected,
        }
    }
    /// The words that go with the move (reason, what is missing, result), if any.
    pub fn note(&self) -> Option<&str> {
        match self {
            Move::AskMaterials { what } => Some(what),
            Move::Complete { result } => Some(result),
            Move::Reject { reason } => Some(reason),
            _ => None,
        }
    }
    /// The moves a request in `s` may make (what the staff page offers).
    pub fn offered(s: Status) -> &'static [&'static str] {
        match s {
            Status::Submitted => &["accept", "reject"],
            Status::Accepted => &["start", "ask_materials", "complete", "reject"],
            Status::Processing => &["ask_materials", "complete", "reject"],
            Status::Supplement => &["materials_in", "reject"],
            Status::Completed | Status::Rejected => &[],
        }
    }
    /// Builds a move from a form's choice and its words.
    pub fn parse(kind: &str, note: &str) -> Option<Move> {
        let note = note.trim().to_string();
        Some(match kind {
            "accept" => Move::Accept,
            "start" => Move::Start,
            "ask_materials" => Move::AskMaterials { what: note },
            "materials_in" => Move::MaterialsIn,
            "complete" => Move::Complete { result: note },
            "reject" => Move::Reject { reason: note },
            _ => return None,
        })
    }
}

/// A request as its events left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub status: Status,
    /// The item's time limit when the request was filed (a later change of the catalogue does
    /// not move the dates of requests already taken).
    pub limit_days: i64,
    pub accepted_on: Option<String>,
    pub due_on: Option<String>,
    /// Since when the clock is paused (补正材料).
    pub paused_on: Option<String>,
    pub finished_on: Option<String>,
    /// Went past its due date unfinished at some time.
    pub overdue: bool,
}

fn refuse<T>(code: &'static str, zh: impl Into<String>, en: &str, field: &'static str) -> Rule<T> {
    Err(DomainError::new(code, zh, en).on(field))
}

/// Checks an item's time limit (0 = 即办, done on the day).
pub fn check_limit(days: i64) -> Rule<i64> {
    if !(0..=MAX_LIMIT_DAYS).contains(&days) {
        return refuse(
            "service.limit_invalid",
            format!("办理时限须为0至{MAX_LIMIT_DAYS}个工作日（0表示即办）"),
            "a time limit is 0 to 60 working days",
            "limit_days",
        );
    }
    Ok(days)
}

/// Day of the week of `day`, 1 = Monday … 7 = Sunday.
fn weekday(day: &str) -> Rule<i64> {
    // Julian day 0 was a Monday; `rem_euclid` keeps it right for any day number.
    Ok(crate::meeting::day_number(day)?.rem_euclid(7) + 1)
}

/// The district's exceptions to the week: public holidays (放假) and weekend days worked in their
/// place (调休上班), as the State Council publishes them each year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    off: std::collections::BTreeSet<String>,
    on: std::collections::BTreeSet<String>,
}

impl Calendar {
    /// From (day, working) rows: `false` a holiday, `true` a weekend day worked.
    pub fn new(rows: impl IntoIterator<Item = (String, bool)>) -> Self {
        let mut c = Calendar::default();
        for (day, working) in rows {
            if working {
                c.on.insert(day);
            } else {
                c.off.insert(day);
            }
        }
        c
    }

    pub fn is_working_day(&self, day: &str) -> Rule<bool> {
        let weekday = weekday(day)? <= 5;
        Ok(if weekday {
            !self.off.contains(day)
        } else {
            self.on.contains(day)
        })
    }

    /// The `n`th working day after `day` (the day itself does not count: Friday + 1 = Monday);
    /// `day` itself for `n` = 0.
    pub fn add_working_days(&self, day: &str, n: i64) -> Rule<String> {
        let mut d = day.to_string();
        let mut left = n;
        while left > 0 {
            d = crate::meeting::add_days(&d, 1)?;
            if self.is_working_day(&d)? {
                left -= 1;
            }
        }
        crate::meeting::day_number(&d)?;
        Ok(d)
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not after `from`).
    pub fn working_days_between(&self, from: &str, to: &str) -> Rule<i64> {
        let (a, b) = (
            crate::meeting::day_number(from)?,
            crate::meeting::day_number(to)?,
        );
        let mut n = 0;
        let mut d = from.to_string();
        for _ in a..b {
            d = crate::meeting::add_days(&d, 1)?;
            if self.is_working_day(&d)? {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// `Calendar::add_working_days` with no exceptions (Monday to Friday).
pub fn add_working_days(day: &str, n: i64) -> Rule<String> {
    Calendar::default().add_working_days(day, n)
}

impl Request {
    /// A new request filed on `today`: at the desk it is accepted at once (its clock starts), online
    /// it waits to be accepted.
    pub fn filed(desk: bool, limit_days: i64, today: &str, cal: &Calendar) -> Rule<Request> {
        let mut r = Request {
            status: Status::Submitted,
            limit_days: check_limit(limit_days)?,
            accepted_on: None,
            due_on: None,
            paused_on: None,
            finished_on: None,
            overdue: false,
        };
        if desk {
            r.accept(today, cal)?;
        }
        Ok(r)
    }

    fn accept(&mut self, today: &str, cal: &Calendar) -> Rule<()> {
        self.status = Status::Accepted;
        self.accepted_on = Some(today.to_string());
        self.due_on = Some(cal.add_working_days(today, self.limit_days)?);
        Ok(())
    }

    /// Open with its clock running and past its due date on `today`.
    pub fn is_overdue(&self, today: &str) -> bool {
        self.status.clock_runs() && self.due_on.as_deref().is_some_and(|d| d < today)
    }

    /// Marks the request overdue if it is on `today`; true when that changed it.
    pub fn sweep(&mut self, today: &str) -> bool {
        if !self.overdue && self.is_overdue(today) {
            self.overdue = true;
            return true;
        }
        false
    }

    /// Done on time: finished (办结) on or before the due date.
    pub fn on_time(&self) -> bool {
        self.status == Status::Completed
            && matches!((&self.finished_on, &self.due_on), (Some(f), Some(d)) if f <= d)
    }

    /// Applies `m` on `today`, or says which rule refuses it.
    pub fn apply(&mut self, m: &Move, today: &str, cal: &Calendar) -> Rule<()> {
        crate::meeting::day_number(today)?;
        if self.status.is_final() {
            return refuse(
                "service.request_final",
                format!("该办件已{}，不能再更改", self.status.zh()),
                "the request is finished",
                "move",
            );
        }
        if !Move::offered(self.status).contains(&m.as_str()) {
            return refuse(
                "service.move_invalid",
                format!("办件当前为「{}」，不能{}", self.status.zh(), m.zh()),
                "this step is not open in the request's status",
                "move",
            );
        }
        let note = m.note().map(str::trim).unwrap_or_default();
        let needs = match m {
            Move::AskMaterials { .. } => Some("请写明需补正的材料（一次性告知）"),
            Move::Reject { .. } => Some("不予受理须写明理由"),
            _ => None,
        };
        if let Some(msg) = needs
            && note.is_empty()
        {
            return refuse("service.note_required", msg, "say why", "note");
        }
        if note.chars().count() > 500 {
            return refuse(
                "service.note_invalid",
                "说明不超过500字",
                "at most 500 characters",
                "note",
            );
        }
        // The mark is taken before the move: a request done late was overdue.
        self.sweep(today);
        match m {
            Move::Accept => self.accept(today, cal)?,
            Move::AskMaterials { .. } => self.paused_on = Some(today.to_string()),
            Move::MaterialsIn => {
                if let (Some(since), Some(due)) = (self.paused_on.take(), self.due_on.clone()) {
                    let waited = cal.working_days_between(&since, today)?;
                    self.due_on = Some(cal.add_working_days(&due, waited)?);
                }
            }
            Move::Complete { .. } | Move::Reject { .. } => {
                self.paused_on = None;
                self.finished_on = Some(today.to_string());
            }
            Move::Start => {}
        }
        self.status = m.to();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const W: Calendar = Calendar {
        off: std::collections::BTreeSet::new(),
        on: std::collections::BTreeSet::new(),
    };

    #[test]
    fn working_days_skip_weekends() {
        // 2026-01-02 is a Friday.
        assert!(W.is_working_day("2026-01-02").unwrap());
        assert!(!W.is_working_day("2026-01-03").unwrap());
        assert!(!W.is_working_day("2026-01-04").unwrap());
        assert_eq!(add_working_days("2026-01-02", 1).unwrap(), "2026-01-05");
        assert_eq!(add_working_days("2026-01-02", 0).unwrap(), "2026-01-02");
        assert_eq!(add_working_days("2026-01-02", 5).unwrap(), "2026-01-09");
        // Filed on a Saturday: the first working day is Monday.
        assert_eq!(add_working_days("2026-01-03", 1).unwrap(), "2026-01-05");
        assert_eq!(add_working_days("2026-01-05", 10).unwrap(), "2026-01-19");
        // Across a month and a year end.
        assert_eq!(add_working_days("2025-12-31", 2).unwrap(), "2026-01-02");
        assert_eq!(
            W.working_days_between("2026-01-02", "2026-01-05").unwrap(),
            1
        );
        assert_eq!(
            W.working_days_between("2026-01-05", "2026-01-05").unwrap(),
            0
        );
        assert_eq!(
            W.working_days_between("2026-01-05", "2026-01-02").unwrap(),
            0
        );
        assert_eq!(
            W.working_days_between("2026-01-03", "2026-01-11").unwrap(),
            5
        );
        assert!(add_working_days("2026-13-01", 1).is_err());
    }

    #[test]
    fn holidays_and_make_up_days() {
        // An example table: 10-01 … 10-07 off, Saturday 10-10 worked in their place.
        let cal = Calendar::new(
            (1..=7)
                .map(|d| (format!("2026-10-{d:02}"), false))
                .chain([("2026-10-10".to_string(), true)]),
        );
        assert!(!cal.is_working_day("2026-10-05").unwrap());
        assert!(
            cal.is_working_day("2026-10-10").unwrap(),
            "a Saturday worked"
        );
        assert_eq!(cal.add_working_days("2026-09-30", 1).unwrap(), "2026-10-08");
        assert_eq!(cal.add_working_days("2026-10-09", 1).unwrap(), "2026-10-10");
        assert_eq!(
            cal.working_days_between("2026-09-30", "2026-10-11")
                .unwrap(),
            3
        );
        // Accepted the day before the holiday with 2 days: due Friday 10-09, not 10-02.
        let r = Request::filed(true, 2, "2026-09-30", &cal).unwrap();
        assert_eq!(r.due_on.as_deref(), Some("2026-10-09"));
    }

    #[test]
    fn desk_and_online() {
        let desk = Request::filed(true, 3, "2026-01-02", &W).unwrap();
        assert_eq!(desk.status, Status::Accepted);
        assert_eq!(desk.due_on.as_deref(), Some("2026-01-07"));
        let mut online = Request::filed(false, 3, "2026-01-02", &W).unwrap();
        assert_eq!(
            (online.status, online.due_on.clone()),
            (Status::Submitted, None)
        );
        assert!(!online.is_overdue("2027-01-01"), "no clock before 受理");
        online.apply(&Move::Accept, "2026-01-05", &W).unwrap();
        assert_eq!(online.due_on.as_deref(), Some("2026-01-08"));
        assert_eq!(
            Request::filed(true, 61, "2026-01-02", &W).unwrap_err().code,
            "service.limit_invalid"
        );
    }

    #[test]
    fn moves_and_refusals() {
        let mut r = Request::filed(true, 5, "2026-01-05", &W).unwrap();
        let e = r.apply(&Move::Accept, "2026-01-05", &W).unwrap_err();
        assert_eq!(e.code, "service.move_invalid");
        let e = r
            .apply(&Move::Reject { reason: " ".into() }, "2026-01-05", &W)
            .unwrap_err();
        assert_eq!(e.code, "service.note_required");
        let e = r
            .apply(&Move::AskMaterials { what: "".into() }, "2026-01-05", &W)
            .unwrap_err();
        assert_eq!(e.code, "service.note_required");
        assert_eq!(r.status, Status::Accepted, "a refused move changes nothing");
        r.apply(&Move::Start, "2026-01-06", &W).unwrap();
        r.apply(
            &Move::Complete {
                result: "已出具证明".into(),
            },
            "2026-01-12",
            &W,
        )
        .unwrap();
        assert!(r.on_time(), "due 2026-01-12, done that day");
        assert!(!r.overdue);
        let e = r.apply(&Move::Start, "2026-01-13", &W).unwrap_err();
        assert_eq!(e.code, "service.request_final");
    }

    #[test]
    fn materials_pause_the_clock() {
        // Accepted Monday 01-05 with 5 days: due Monday 01-12.
        let mut r = Request::filed(true, 5, "2026-01-05", &W).unwrap();
        r.apply(
            &Move::AskMaterials {
                what: "户口簿复印件".into(),
            },
            "2026-01-07",
            &W,
        )
        .unwrap();
        assert!(!r.is_overdue("2026-01-20"), "paused: never overdue");
        assert!(!r.sweep("2026-01-20"));
        // Materials in on Wednesday 01-14: 5 working days waited (01-08 … 01-14).
        r.apply(&Move::MaterialsIn, "2026-01-14", &W).unwrap();
        assert_eq!(r.due_on.as_deref(), Some("2026-01-19"));
        assert_eq!(r.status, Status::Processing);
        assert!(!r.is_overdue("2026-01-19"));
        assert!(r.is_overdue("2026-01-20"));
        r.apply(
            &Move::Complete {
                result: "办结".into(),
            },
            "2026-01-21",
            &W,
        )
        .unwrap();
        assert!(r.overdue && !r.on_time(), "done late counts as overdue");
    }

    #[test]
    fn sweep_marks_once() {
        let mut r = Request::filed(true, 0, "2026-01-05", &W).unwrap();
        assert_eq!(r.due_on.as_deref(), Some("2026-01-05"));
        assert!(!r.sweep("2026-01-05"));
        assert!(r.sweep("2026-01-06"));
        assert!(!r.sweep("2026-01-07"), "marked once");
        assert!(Move::parse("x", "").is_none());
        assert_eq!(
            Move::parse("reject", " 不符合条件 "),
            Some(Move::Reject {
                reason: "不符合条件".into()
            })
        );
    }
}
