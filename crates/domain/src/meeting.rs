//! Meetings and their arithmetic (《中国共产党支部工作条例（试行）》, 《村民委员会组织法》): who
//! must be present for a meeting to be valid (quorum) and how many ayes a resolution needs. Both
//! are computed from the attendance and the votes, never typed; the thresholds are data with the
//! date they took effect and their source (`MeetingRule`), so a change of rules does not rewrite
//! history.

use crate::error::{DomainError, Rule};
use serde::{Deserialize, Serialize};

/// Every kind of meeting the rules name: the Party's organisational life (三会一课 and the yearly
/// ones) and the village's decision bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingKind {
    /// 支部党员大会
    BranchAssembly,
    /// 支部委员会会议
    BranchCommittee,
    /// 党小组会
    GroupMeeting,
    /// 党课
    PartyLecture,
    /// 主题党日
    ThemeDay,
    /// 组织生活会
    LifeMeeting,
    /// 民主评议党员
    Appraisal,
    /// 村“两委”联席会议
    JointCommittees,
    /// 村民会议
    VillagersAssembly,
    /// 村民代表会议
    RepresentativesAssembly,
}

impl MeetingKind {
    pub const ALL: [MeetingKind; 10] = [
        Self::BranchAssembly,
        Self::BranchCommittee,
        Self::GroupMeeting,
        Self::PartyLecture,
        Self::ThemeDay,
        Self::LifeMeeting,
        Self::Appraisal,
        Self::JointCommittees,
        Self::VillagersAssembly,
        Self::RepresentativesAssembly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BranchAssembly => "branch_assembly",
            Self::BranchCommittee => "branch_committee",
            Self::GroupMeeting => "group_meeting",
            Self::PartyLecture => "party_lecture",
            Self::ThemeDay => "theme_day",
            Self::LifeMeeting => "life_meeting",
            Self::Appraisal => "appraisal",
            Self::JointCommittees => "joint_committees",
            Self::VillagersAssembly => "villagers_assembly",
            Self::RepresentativesAssembly => "representatives_assembly",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Self::BranchAssembly => "支部党员大会",
            Self::BranchCommittee => "支部委员会会议",
            Self::GroupMeeting => "党小组会",
            Self::PartyLecture => "党课",
            Self::ThemeDay => "主题党日",
            Self::LifeMeeting => "组织生活会",
            Self::Appraisal => "民主评议党员",
            Self::JointCommittees => "村“两委”联席会议",
            Self::VillagersAssembly => "村民会议",
            Self::RepresentativesAssembly => "村民代表会议",
        }
    }

    /// Meetings of the Party's organisational life (the attendance that the lapse watch reads).
    pub fn is_party_life(self) -> bool {
        !matches!(
            self,
            Self::JointCommittees | Self::VillagersAssembly | Self::RepresentativesAssembly
        )
    }
}

/// A share of a base: `num/den`, passed when the count is more than it (`strict`) or at least it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    pub num: i64,
    pub den: i64,
    pub strict: bool,
}

impl Threshold {
    /// More than `num/den`.
    pub const fn more_than(num: i64, den: i64) -> Self {
        Self {
            num,
            den,
            strict: true,
        }
    }

    /// At least `num/den`.
    pub const fn at_least(num: i64, den: i64) -> Self {
        Self {
            num,
            den,
            strict: false,
        }
    }

    /// Whether `count` of `base` reaches the threshold, in integers (no rounding: 4 of 7 is more
    /// than half, 3 of 7 is not).
    pub fn met(&self, count: i64, base: i64) -> bool {
        if base <= 0 {
            return false;
        }
        let (lhs, rhs) = (
            i128::from(count) * i128::from(self.den),
            i128::from(self.num) * i128::from(base),
        );
        if self.strict { lhs > rhs } else { lhs >= rhs }
    }

    /// The smallest count of `base` that reaches the threshold.
    pub fn least(&self, base: i64) -> i64 {
        (0..=base).find(|&c| self.met(c, base)).unwrap_or(base + 1)
    }

    /// "过半数", "三分之二以上" and the like, for messages.
    pub fn zh(&self) -> String {
        let share = match (self.num, self.den) {
            (1, 2) => "半数".to_string(),
            (n, d) => format!("{}分之{}", zh_number(d), zh_number(n)),
        };
        if self.strict {
            format!("超过{share}")
        } else {
            format!("{share}以上（含）")
        }
    }
}

fn zh_number(n: i64) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match usize::try_from(n) {
        Ok(d) if d < 10 => DIGITS[d].to_string(),
        _ => n.to_string(),
    }
}

/// Who the quorum is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quorum {
    /// Of those who should attend with a vote (应到会有表决权的), e.g. a branch's full members.
    ShouldAttend(Threshold),
    /// 村民会议: of the adult villagers, or else of the households represented.
    AdultsOrHouseholds {
        adults: Threshold,
        households: Threshold,
    },
    /// No quorum set: the meeting is valid whoever came (a 党课, a 主题党日).
    None,
}

/// What the ayes of a resolution are counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Majority {
    /// Of those who should attend with a vote, not of those present (支部党员大会).
    OfShouldAttend(Threshold),
    /// Of those present (村民会议, 村民代表会议).
    OfPresent(Threshold),
    /// The meeting passes no resolutions.
    None,
}

/// The arithmetic of one kind of meeting, in force from `effective_from` (YYYY-MM-DD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRule {
    pub kind: MeetingKind,
    pub effective_from: String,
    pub basis: String,
    pub quorum: Quorum,
    /// Quorum for an election, when the meeting may hold one.
    pub election_quorum: Option<Threshold>,
    pub majority: Majority,
    /// Days between the notice and the meeting, at least.
    pub notice_days: i64,
}

const BRANCH_RULES: &str = "《中国共产党支部工作条例（试行）》（2018）";
const VILLAGE_LAW: &str = "《中华人民共和国村民委员会组织法》（2018年修正）第二十二条、第二十六条";
/// Where the sources name no figure, jiceng's default, to be set by local rules.
const JICENG_DEFAULT: &str = "jiceng默认值（上位规定未作要求，可按本地规定调整）";

impl MeetingRule {
    /// The rules as jiceng ships them (DOMAIN.md, "Organisational life" and "Decisions").
    pub fn defaults() -> Vec<MeetingRule> {
        let half = Threshold::more_than(1, 2);
        let rule =
            |kind, basis: &str, quorum, election_quorum, majority, notice_days| MeetingRule {
                kind,
                // The day each source took effect: the branch rules on 2018-10-28, the amended law
                // on 2018-12-29 (jiceng's defaults go with the branch rules).
                effective_from: if basis == VILLAGE_LAW {
                    "2018-12-29"
                } else {
                    "2018-10-28"
                }
                .into(),
                basis: basis.into(),
                quorum,
                election_quorum,
                majority,
                notice_days,
            };
        let mut out = vec![
            rule(
                MeetingKind::BranchAssembly,
                BRANCH_RULES,
                Quorum::ShouldAttend(half),
                Some(Threshold::more_than(4, 5)),
                Majority::OfShouldAttend(half),
                0,
            ),
            rule(
                MeetingKind::BranchCommittee,
                JICENG_DEFAULT,
                Quorum::ShouldAttend(half),
                None,
                Majority::OfShouldAttend(half),
                0,
            ),
            rule(
                MeetingKind::JointCommittees,
                JICENG_DEFAULT,
                Quorum::ShouldAttend(half),
                None,
                Majority::OfShouldAttend(half),
                0,
            ),
            rule(
                MeetingKind::VillagersAssembly,
                VILLAGE_LAW,
                Quorum::AdultsOrHouseholds {
                    adults: half,
                    households: Threshold::at_least(2, 3),
                },
                None,
                Majority::OfPresent(half),
                10,
            ),
            rule(
                MeetingKind::RepresentativesAssembly,
                VILLAGE_LAW,
                Quorum::ShouldAttend(Threshold::at_least(2, 3)),
                None,
                Majority::OfPresent(half),
                0,
            ),
        ];
        for kind in [
            MeetingKind::GroupMeeting,
            MeetingKind::PartyLecture,
            MeetingKind::ThemeDay,
            MeetingKind::LifeMeeting,
            MeetingKind::Appraisal,
        ] {
            out.push(rule(
                kind,
                BRANCH_RULES,
                Quorum::None,
                None,
                Majority::None,
                0,
            ));
        }
        out
    }

    /// The rule of `kind` in force on `date` (YYYY-MM-DD) among `rules`.
    pub fn in_force<'a>(
        rules: &'a [MeetingRule],
        kind: MeetingKind,
        date: &str,
    ) -> Option<&'a MeetingRule> {
        rules
            .iter()
            .filter(|r| r.kind == kind && r.effective_from.as_str() <= date)
            .max_by(|a, b| a.effective_from.cmp(&b.effective_from))
    }
}

/// Who came: counted from the attendance list (derived from the register on the meeting's date),
/// never typed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendance {
    /// Should attend with a vote (应到).
    pub should_attend: i64,
    /// Of them, present (实到).
    pub present: i64,
    /// 村民会议 only: the village's households and those represented at the meeting.
    pub households: i64,
    pub households_present: i64,
}

/// Whether the meeting could decide, and if not, why (the page shows the reason).
pub fn quorum(rule: &MeetingRule, a: &Attendance, election: bool) -> Rule<()> {
    check_attendance(a)?;
    let short = |t: &Threshold, base: i64, of: &str| {
        DomainError::new(
            "meeting.no_quorum",
            format!(
                "未达到法定人数：{}须有{}{}到会（{}人中至少{}人），实到{}人，会议不能作出决议",
                rule.kind.zh(),
                of,
                t.zh(),
                base,
                t.least(base),
                a.present
            ),
            format!(
                "no quorum: {} of {} needed, {} present; the meeting can pass nothing",
                t.least(base),
                base,
                a.present
            ),
        )
    };
    if election {
        let t = rule.election_quorum.ok_or_else(|| {
            DomainError::new(
                "meeting.no_election",
                format!("{}不能进行选举", rule.kind.zh()),
                "this kind of meeting holds no elections",
            )
        })?;
        return if t.met(a.present, a.should_attend) {
            Ok(())
        } else {
            Err(short(&t, a.should_attend, "有选举权的党员"))
        };
    }
    match rule.quorum {
        Quorum::None => Ok(()),
        Quorum::ShouldAttend(t) if t.met(a.present, a.should_attend) => Ok(()),
        Quorum::ShouldAttend(t) => Err(short(&t, a.should_attend, "应到会人员")),
        Quorum::AdultsOrHouseholds { adults, households } => {
            if adults.met(a.present, a.should_attend)
                || households.met(a.households_present, a.households)
            {
                Ok(())
            } else {
                Err(DomainError::new(
                    "meeting.no_quorum",
                    format!(
                        "未达到法定人数：村民会议须有本村十八周岁以上村民{}参加（{}人中至少{}人），或本村{}的户的代表参加（{}户中至少{}户）；实到{}人、{}户，会议不能作出决议",
                        adults.zh(),
                        a.should_attend,
                        adults.least(a.should_attend),
                        households.zh(),
                        a.households,
                        households.least(a.households),
                        a.present,
                        a.households_present
                    ),
                    "no quorum: neither more than half of the adults nor two thirds of the households",
                ))
            }
        }
    }
}

fn check_attendance(a: &Attendance) -> Rule<()> {
    // A household is represented by someone present: never more households than people.
    if a.households_present > a.present {
        return Err(DomainError::new(
            "meeting.households_exceed_present",
            format!(
                "到会户代表{}户，多于到会村民{}人",
                a.households_present, a.present
            ),
            "more households represented than people present",
        )
        .on("households_present"));
    }
    if a.should_attend < 0
        || a.present < 0
        || a.present > a.should_attend
        || a.households_present < 0
        || a.households_present > a.households
    {
        return Err(DomainError::new(
            "meeting.attendance_invalid",
            "实到人数不能为负数，也不能多于应到人数",
            "attendance cannot be negative or exceed those who should attend",
        )
        .on("attendance"));
    }
    Ok(())
}

/// The votes on one resolution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Votes {
    pub ayes: i64,
    pub nays: i64,
    pub abstentions: i64,
}

/// Whether a resolution passed: the meeting must have its quorum, the votes must add up to no more
/// than those present, and the ayes must reach the majority of the rule's base.
pub fn passes(rule: &MeetingRule, a: &Attendance, v: &Votes, election: bool) -> Rule<bool> {
    if v.ayes < 0 || v.nays < 0 || v.abstentions < 0 {
        return Err(DomainError::new(
            "meeting.votes_invalid",
            "票数不能为负数",
            "votes cannot be negative",
        )
        .on("ayes"));
    }
    if v.ayes + v.nays + v.abstentions > a.present {
        return Err(DomainError::new(
            "meeting.votes_exceed_present",
            format!(
                "赞成、反对、弃权合计{}票，多于实到会的{}人",
                v.ayes + v.nays + v.abstentions,
                a.present
            ),
            "more votes than people present",
        )
        .on("ayes"));
    }
    quorum(rule, a, election)?;
    Ok(match rule.majority {
        Majority::OfShouldAttend(t) => t.met(v.ayes, a.should_attend),
        Majority::OfPresent(t) => t.met(v.ayes, a.present),
        Majority::None => {
            return Err(DomainError::new(
                "meeting.no_resolutions",
                format!("{}不作表决", rule.kind.zh()),
                "this kind of meeting passes no resolutions",
            ));
        }
    })
}

/// A date given as YYYY-MM-DD (as `member::parse_date` leaves it).
pub(crate) fn date(s: &str) -> Rule<time::Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &f).map_err(|_| {
        DomainError::new(
            "date.invalid",
            format!("日期格式应为YYYY-MM-DD：{s}"),
            "a date is YYYY-MM-DD",
        )
    })
}

/// The date's place in a continuous count of days (its Julian day), for differences.
pub fn day_number(s: &str) -> Rule<i64> {
    Ok(i64::from(date(s)?.to_julian_day()))
}

/// The day `n` days after `s` (before it when `n` is negative), as YYYY-MM-DD.
pub fn add_days(s: &str, n: i64) -> Rule<String> {
    let d = date(s)?;
    let shifted = d.checked_add(time::Duration::days(n)).ok_or_else(|| {
        DomainError::new(
            "date.invalid",
            format!("日期超出范围：{s}"),
            "date out of range",
        )
    })?;
    Ok(format!(
        "{:04}-{:02}-{:02}",
        shifted.year(),
        u8::from(shifted.month()),
        shifted.day()
    ))
}

/// The notice went out early enough: at least `notice_days` before the meeting (村民会议: 10).
pub fn check_notice(rule: &MeetingRule, notice_sent: &str, held_on: &str) -> Rule<()> {
    let gap = day_number(held_on)? - day_number(notice_sent)?;
    if gap < 0 {
        return Err(DomainError::new(
            "meeting.notice_after",
            format!("通知日期（{notice_sent}）不能晚于召开日期（{held_on}）"),
            "the notice cannot come after the meeting",
        )
        .on("notice_sent_on"));
    }
    if gap < rule.notice_days.max(0) {
        return Err(DomainError::new(
            "meeting.notice_too_late",
            format!(
                "{}应提前{}天通知，本次通知于{}发出，距会议仅{}天",
                rule.kind.zh(),
                rule.notice_days,
                notice_sent,
                gap.max(0)
            ),
            format!(
                "{} days' notice needed, {} given",
                rule.notice_days,
                gap.max(0)
            ),
        )
        .on("notice_sent_on"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
