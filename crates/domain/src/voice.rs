//! Residents' voice (问题清单, issue 5): a problem a resident reports goes collected → analysed →
//! assigned (an owner and a deadline) → resolved → 销号 (closed), and is closed only when the
//! resident confirms or the objection window passes; an objection reopens it; an assignment past
//! its deadline escalates to the town. Each change is an event appended to the problem's history,
//! never an edit: `Problem::apply` is the only way to change a problem, and it refuses what the
//! rules do not allow, naming the rule. The window is data with a date (`VoiceRule`).

use crate::error::{DomainError, Rule};
use crate::meeting::{add_days, day_number};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 已收集
    Collected,
    /// 已研判
    Analysed,
    /// 已交办
    Assigned,
    /// 已办结，待确认
    Resolved,
    /// 已销号
    Closed,
    /// 已并入另一问题
    Merged,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Self::Collected,
        Self::Analysed,
        Self::Assigned,
        Self::Resolved,
        Self::Closed,
        Self::Merged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Collected => "collected",
            Self::Analysed => "analysed",
            Self::Assigned => "assigned",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
            Self::Merged => "merged",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Self::Collected => "已收集",
            Self::Analysed => "已研判",
            Self::Assigned => "办理中",
            Self::Resolved => "已办结，待群众确认",
            Self::Closed => "已销号",
            Self::Merged => "已并入其他问题",
        }
    }

    /// Still to be dealt with (counts as open in lists and figures).
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Merged)
    }
}

/// What can happen to a problem. Dates are YYYY-MM-DD (the store's clock decides "today").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Staff sorted it: its category, confirmed or corrected.
    Analysed { category: String },
    /// A duplicate of another open problem of the same village: it follows that one.
    Merged { into: i64 },
    /// Given to an owner (a person or a unit) to deal with by a day; again to reassign.
    Assigned { owner: String, deadline: String },
    /// The owner says what was done.
    Resolved { what: String },
    /// The resident confirms it is solved: 销号.
    Confirmed,
    /// The resident says it is not solved: it goes back to its owner.
    Objected { reason: String },
    /// Nobody objected within the window: 销号.
    WindowPassed,
    /// Past its deadline unresolved: the town is told (once per assignment).
    Escalated,
    /// The resident's satisfaction, 1–5, once the problem is closed.
    Rated { score: u8 },
}

impl Event {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Analysed { .. } => "analysed",
            Self::Merged { .. } => "merged",
            Self::Assigned { .. } => "assigned",
            Self::Resolved { .. } => "resolved",
            Self::Confirmed => "confirmed",
            Self::Objected { .. } => "objected",
            Self::WindowPassed => "window_passed",
            Self::Escalated => "escalated",
            Self::Rated { .. } => "rated",
        }
    }

    pub fn zh(&self) -> &'static str {
        match self {
            Self::Analysed { .. } => "研判分类",
            Self::Merged { .. } => "合并重复问题",
            Self::Assigned { .. } => "交办",
            Self::Resolved { .. } => "办结",
            Self::Confirmed => "群众确认解决（销号）",
            Self::Objected { .. } => "群众提出异议（重新办理）",
            Self::WindowPassed => "异议期满无异议（销号）",
            Self::Escalated => "逾期未办结，上报镇（街道）",
            Self::Rated { .. } => "群众评价",
        }
    }
}

/// The window for objections, in force from a day, with its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceRule {
    pub effective_from: String,
    pub basis: String,
    /// Days after 办结 in which the resident may object; after them the problem is closed.
    pub objection_days: i64,
}

impl VoiceRule {
    pub fn defaults() -> Self {
        Self {
            effective_from: "2020-01-01".into(),
            basis: "jiceng默认值（种子经验：群众确认或异议期满方可销号），可按本地规定调整".into(),
            objection_days: 7,
        }
    }
}

/// A problem as its history left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub status: Status,
    pub category: Option<String>,
    pub owner: Option<String>,
    pub deadline: Option<String>,
    /// The day it was last resolved (the objection window runs from it).
    pub resolved_on: Option<String>,
    /// Escalated since its last assignment.
    pub escalated: bool,
    pub score: Option<u8>,
    pub merged_into: Option<i64>,
}

fn refuse(code: &'static str, zh: String, en: &str) -> DomainError {
    DomainError::new(code, zh, en)
}

impl Problem {
    /// A problem just collected.
    pub fn new(category: Option<String>) -> Self {
        Self {
            status: Status::Collected,
            category,
            owner: None,
            deadline: None,
            resolved_on: None,
            escalated: false,
            score: None,
            merged_into: None,
        }
    }

    /// Whether the assignment is past its deadline on `today` and not yet resolved.
    pub fn overdue(&self, today: &str) -> bool {
        self.status == Status::Assigned && self.deadline.as_deref().is_some_and(|d| d < today)
    }

    /// When the objection window closes (the last day an objection is taken).
    pub fn window_ends(&self, rule: &VoiceRule) -> Option<String> {
        let r = self.resolved_on.as_deref()?;
        add_days(r, rule.objection_days).ok()
    }

    fn wrong_state(&self, e: &Event) -> DomainError {
        refuse(
            "problem.wrong_state",
            format!("问题当前为“{}”，不能进行“{}”", self.status.zh(), e.zh()),
            "this cannot happen to the problem in its current state",
        )
    }

    /// Checks and applies `e` on `today`; on a refusal nothing changes.
    pub fn apply(&mut self, e: &Event, today: &str, rule: &VoiceRule) -> Rule<()> {
        use Status::*;
        let mut next = self.clone();
        match (self.status, e) {
            (Closed, Event::Confirmed | Event::Objected { .. } | Event::WindowPassed) => {
                return Err(refuse(
                    "problem.already_closed",
                    "该问题已销号，不能再确认或提出异议；如有新情况请重新反映".into(),
                    "the problem is closed",
                ));
            }
            (Collected | Analysed, Event::Analysed { category }) => {
                let category = category.trim();
                if category.is_empty() {
                    return Err(refuse(
                        "problem.category_required",
                        "请选择问题类别".into(),
                        "choose a category",
                    )
                    .on("category"));
                }
                next.category = Some(category.to_string());
                next.status = Analysed;
            }
            (Collected | Analysed, Event::Merged { into }) => {
                next.merged_into = Some(*into);
                next.status = Merged;
            }
            (Analysed | Assigned, Event::Assigned { owner, deadline }) => {
                let owner = owner.trim();
                if owner.is_empty() {
                    return Err(refuse(
                        "problem.owner_required",
                        "请填写责任人或责任单位".into(),
                        "name the owner",
                    )
                    .on("owner"));
                }
                if day_number(deadline)? < day_number(today)? {
                    return Err(refuse(
                        "problem.deadline_past",
                        format!("办理期限（{deadline}）不能早于今天（{today}）"),
                        "the deadline cannot be in the past",
                    )
                    .on("deadline"));
                }
                next.owner = Some(owner.to_string());
                next.deadline = Some(deadline.clone());
                next.escalated = false;
                next.status = Assigned;
            }
            (Assigned, Event::Resolved { what }) => {
                if what.trim().is_empty() {
                    return Err(refuse(
                        "problem.resolution_required",
                        "请写明办理结果".into(),
                        "say what was done",
                    )
                    .on("what"));
                }
                next.resolved_on = Some(today.to_string());
                next.status = Resolved;
            }
            (Resolved, Event::Confirmed) => next.status = Closed,
            (Resolved, Event::Objected { reason }) => {
                let ends = self.window_ends(rule).unwrap_or_default();
                if today > ends.as_str() {
                    return Err(refuse(
                        "problem.window_passed",
                        format!("异议期已于{ends}结束，问题已按期销号；如有新情况请重新反映"),
                        "the objection window has passed",
                    ));
                }
                if reason.trim().is_empty() {
                    return Err(refuse(
                        "problem.reason_required",
                        "请说明仍未解决的情况".into(),
                        "say what is still wrong",
                    )
                    .on("reason"));
                }
                next.resolved_on = None;
                next.status = Assigned;
            }
            (Resolved, Event::WindowPassed) => {
                let ends = self.window_ends(rule).unwrap_or_default();
                if today <= ends.as_str() {
                    return Err(refuse(
                        "problem.window_open",
                        format!("异议期至{ends}，期满前须由群众确认方可销号"),
                        "the objection window is still open",
                    ));
                }
                next.status = Closed;
            }
            (Assigned, Event::Escalated) => {
                if !self.overdue(today) {
                    return Err(refuse(
                        "problem.not_overdue",
                        "未超过办理期限，不需上报".into(),
                        "not overdue",
                    ));
                }
                if self.escalated {
                    return Err(refuse(
                        "problem.already_escalated",
                        "本次交办已上报过".into(),
                        "already escalated",
                    ));
                }
                next.escalated = true;
            }
            (Closed, Event::Rated { score }) => {
                if !(1..=5).contains(score) {
                    return Err(refuse(
                        "problem.score_invalid",
                        "评价为1至5分".into(),
                        "a score is 1 to 5",
                    )
                    .on("score"));
                }
                if self.score.is_some() {
                    return Err(refuse(
                        "problem.already_rated",
                        "已评价过".into(),
                        "already rated",
                    ));
                }
                next.score = Some(*score);
            }
            _ => return Err(self.wrong_state(e)),
        }
        *self = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
