//! 四议两公开: a village matter runs through six steps in order, none skipped — 村党组织提议 →
//! 村“两委”会议商议 → 党员大会审议 → 村民会议或村民代表会议决议 → 决议公开 → 实施结果公开
//! (DOMAIN.md, "Decisions"). Each "议" step is bound to a valid meeting of the right body whose
//! resolution passed; each "公开" step is a publication that stays up long enough. `Matter::apply`
//! is the only way to add a step, so no sequence of actions can leave the steps out of order.

use crate::error::{DomainError, Rule};
use crate::meeting::{MeetingKind, day_number};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 村党组织提议
    Proposal,
    /// 村“两委”会议商议
    Consultation,
    /// 党员大会审议
    Review,
    /// 村民会议或村民代表会议决议
    Resolution,
    /// 决议公开
    ResolutionPublished,
    /// 实施结果公开
    ResultPublished,
}

impl Step {
    /// The order of the steps, none skipped.
    pub const ORDER: [Step; 6] = [
        Self::Proposal,
        Self::Consultation,
        Self::Review,
        Self::Resolution,
        Self::ResolutionPublished,
        Self::ResultPublished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposal => "proposal",
            Self::Consultation => "consultation",
            Self::Review => "review",
            Self::Resolution => "resolution",
            Self::ResolutionPublished => "resolution_published",
            Self::ResultPublished => "result_published",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ORDER.into_iter().find(|k| k.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Self::Proposal => "村党组织提议",
            Self::Consultation => "村“两委”会议商议",
            Self::Review => "党员大会审议",
            Self::Resolution => "村民会议或村民代表会议决议",
            Self::ResolutionPublished => "决议公开",
            Self::ResultPublished => "实施结果公开",
        }
    }

    /// The bodies whose meeting may carry this step (none for a publication).
    pub fn bodies(self) -> &'static [MeetingKind] {
        match self {
            Self::Proposal => &[MeetingKind::BranchCommittee],
            Self::Consultation => &[MeetingKind::JointCommittees],
            Self::Review => &[MeetingKind::BranchAssembly],
            Self::Resolution => &[
                MeetingKind::VillagersAssembly,
                MeetingKind::RepresentativesAssembly,
            ],
            Self::ResolutionPublished | Self::ResultPublished => &[],
        }
    }

    pub fn is_publication(self) -> bool {
        self.bodies().is_empty()
    }
}

/// What a step rests on: the meeting that decided it, or the publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// A meeting as the meeting rules judged it (`meeting::quorum`, `meeting::passes`).
    Meeting {
        kind: MeetingKind,
        held_on: String,
        quorate: bool,
        passed: bool,
        /// Whether the body held the power to decide this matter that day: a body deciding in
        /// its own right always does; a 村民代表会议 only under an authorisation by the 村民会议
        /// in force that day and covering the matter (《村民委员会组织法》第二十四条).
        authorised: bool,
    },
    /// A publication on the village's board: the day it went up and the day it comes down.
    Publication { up_on: String, down_on: String },
}

impl Evidence {
    fn date(&self) -> &str {
        match self {
            Self::Meeting { held_on, .. } => held_on,
            Self::Publication { up_on, .. } => up_on,
        }
    }
}

/// A matter's steps so far, in order, with what each rests on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matter {
    steps: Vec<(Step, Evidence)>,
}

fn refuse(code: &'static str, zh: String, en: &str) -> DomainError {
    DomainError::new(code, zh, en).on("step")
}

impl Matter {
    pub fn steps(&self) -> &[(Step, Evidence)] {
        &self.steps
    }

    /// The step that may come next, if any.
    pub fn next(&self) -> Option<Step> {
        Step::ORDER.get(self.steps.len()).copied()
    }

    /// Whether the whole procedure is done (the result published).
    pub fn is_complete(&self) -> bool {
        self.next().is_none()
    }

    /// Checks `step` against the procedure, without recording it.
    pub fn check(&self, step: Step, e: &Evidence, min_publication_days: i64) -> Rule<()> {
        let Some(next) = self.next() else {
            return Err(refuse(
                "decision.complete",
                "该事项的四议两公开程序已全部完成".into(),
                "every step of this matter is done",
            ));
        };
        if step != next {
            return Err(refuse(
                "decision.out_of_order",
                format!(
                    "四议两公开须依次进行、不得跳过：下一步应为「{}」，不能进行「{}」",
                    next.zh(),
                    step.zh()
                ),
                "the steps go in order, none skipped",
            ));
        }
        if let Some((prev, pe)) = self.steps.last()
            && day_number(e.date())? < day_number(pe.date())?
        {
            return Err(refuse(
                "decision.before_previous",
                format!(
                    "「{}」的日期（{}）不能早于上一步「{}」（{}）",
                    step.zh(),
                    e.date(),
                    prev.zh(),
                    pe.date()
                ),
                "a step cannot be dated before the previous one",
            ));
        }
        match (step.is_publication(), e) {
            (
                false,
                Evidence::Meeting {
                    kind,
                    quorate,
                    passed,
                    authorised,
                    ..
                },
            ) => {
                if !step.bodies().contains(kind) {
                    let bodies: Vec<&str> = step.bodies().iter().map(|k| k.zh()).collect();
                    return Err(refuse(
                        "decision.wrong_body",
                        format!(
                            "「{}」须由{}作出，所选会议是{}",
                            step.zh(),
                            bodies.join("或"),
                            kind.zh()
                        ),
                        "this step belongs to another body",
                    ));
                }
                if step == Step::Resolution
                    && *kind == MeetingKind::RepresentativesAssembly
                    && !authorised
                {
                    return Err(refuse(
                        "decision.not_authorised",
                        "村民代表会议须经村民会议授权才能决定该事项（《村民委员会组织法》第二十四条）；\
                         请先登记村民会议的授权，或提交村民会议决议"
                            .into(),
                        "the representatives' assembly decides only under the villagers' assembly's authorisation",
                    ));
                }
                if !quorate {
                    return Err(refuse(
                        "decision.no_quorum",
                        format!(
                            "所选{}未达到法定人数，不能作为「{}」的依据",
                            kind.zh(),
                            step.zh()
                        ),
                        "the meeting had no quorum",
                    ));
                }
                if !passed {
                    return Err(refuse(
                        "decision.not_passed",
                        format!(
                            "所选{}的表决未获通过，不能作为「{}」的依据",
                            kind.zh(),
                            step.zh()
                        ),
                        "the meeting's resolution did not pass",
                    ));
                }
                Ok(())
            }
            (true, Evidence::Publication { up_on, down_on }) => {
                let days = day_number(down_on)? - day_number(up_on)?;
                if days < min_publication_days {
                    return Err(refuse(
                        "decision.publication_too_short",
                        format!(
                            "「{}」公开期限不少于{}天，所填{}至{}仅{}天",
                            step.zh(),
                            min_publication_days,
                            up_on,
                            down_on,
                            days.max(0)
                        ),
                        "the publication is shorter than the required period",
                    ));
                }
                Ok(())
            }
            (false, _) => Err(refuse(
                "decision.meeting_required",
                format!("「{}」须关联一次会议", step.zh()),
                "this step rests on a meeting",
            )),
            (true, _) => Err(refuse(
                "decision.publication_required",
                format!("「{}」须关联一次公开", step.zh()),
                "this step is a publication",
            )),
        }
    }

    /// Records `step` if `check` allows it; otherwise nothing changes.
    pub fn apply(&mut self, step: Step, e: Evidence, min_publication_days: i64) -> Rule<()> {
        self.check(step, &e, min_publication_days)?;
        self.steps.push((step, e));
        Ok(())
    }
}

#[cfg(test)]
mod tests;
