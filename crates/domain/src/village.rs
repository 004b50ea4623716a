//! The village's bodies and who sits on them (村党组织委员会, 村民委员会, 村民代表, 村务监督委员会,
//! and the accountant and cashier), near relatives between people, the eligibility of a
//! supervision committee member, and the key-powers list (重要事权清单) seeded from the
//! 《村民委员会组织法》 list of matters that go to the 村民会议. All of it is data with its source.

use crate::error::{DomainError, Rule};
use crate::meeting::MeetingKind;
use serde::{Deserialize, Serialize};

/// A body of the village (or a post that stands alone, like the accountant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// 村党组织委员会（支委会）
    PartyCommittee,
    /// 村民委员会
    VillagersCommittee,
    /// 村民代表
    Representatives,
    /// 村务监督委员会
    Supervision,
    /// 村会计
    Accountant,
    /// 村出纳
    Cashier,
}

impl Body {
    pub const ALL: [Body; 6] = [
        Self::PartyCommittee,
        Self::VillagersCommittee,
        Self::Representatives,
        Self::Supervision,
        Self::Accountant,
        Self::Cashier,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PartyCommittee => "party_committee",
            Self::VillagersCommittee => "villagers_committee",
            Self::Representatives => "representatives",
            Self::Supervision => "supervision",
            Self::Accountant => "accountant",
            Self::Cashier => "cashier",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Self::PartyCommittee => "村党组织委员会",
            Self::VillagersCommittee => "村民委员会",
            Self::Representatives => "村民代表",
            Self::Supervision => "村务监督委员会",
            Self::Accountant => "村会计",
            Self::Cashier => "村出纳",
        }
    }

    /// The bodies whose members attend a meeting of `kind` (and vote at it). None for the
    /// branch's own meetings (its register) and the 村民会议 (all adult villagers, counted).
    pub fn attending(kind: MeetingKind) -> &'static [Body] {
        match kind {
            MeetingKind::BranchCommittee => &[Self::PartyCommittee],
            MeetingKind::JointCommittees => &[Self::PartyCommittee, Self::VillagersCommittee],
            // 《村民委员会组织法》第二十五条: the 村民委员会 members and the representatives.
            MeetingKind::RepresentativesAssembly => {
                &[Self::VillagersCommittee, Self::Representatives]
            }
            _ => &[],
        }
    }
}

/// Near relatives (近亲属): 《中华人民共和国民法典》第一千零四十五条 — spouse, parents, children,
/// siblings, grandparents (both sides), grandchildren (both sides). Recorded once per pair, read
/// both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kinship {
    Spouse,
    /// The first person is the parent of the second.
    ParentOf,
    Siblings,
    /// The first person is the grandparent of the second.
    GrandparentOf,
}

impl Kinship {
    pub const ALL: [Kinship; 4] = [
        Self::Spouse,
        Self::ParentOf,
        Self::Siblings,
        Self::GrandparentOf,
    ];
    pub const BASIS: &'static str = "《中华人民共和国民法典》第一千零四十五条";

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spouse => "spouse",
            Self::ParentOf => "parent_of",
            Self::Siblings => "siblings",
            Self::GrandparentOf => "grandparent_of",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How the first person stands to the second.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Spouse => "配偶",
            Self::ParentOf => "父母（前者为后者的父母）",
            Self::Siblings => "兄弟姐妹",
            Self::GrandparentOf => "祖父母、外祖父母（前者为后者的祖辈）",
        }
    }
}

/// Who holds what, as the eligibility check needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seat {
    pub person: i64,
    pub body: Body,
}

/// May `candidate` (named `name`) sit on the 村务监督委员会? Not a 村民委员会 member, not the
/// accountant or cashier, and not a near relative of a 村民委员会 member (DOMAIN.md, "Decisions";
/// 《村民委员会组织法》第三十二条). `seats` are the village's current seats; `kin` its recorded
/// near-relative pairs.
pub fn check_supervisor(
    candidate: i64,
    name: &str,
    seats: &[Seat],
    names: &dyn Fn(i64) -> String,
    kin: &[(i64, i64, Kinship)],
) -> Rule<()> {
    let refuse = |code: &'static str, zh: String, en: &str| {
        Err(DomainError::new(code, zh, en).on("person_id"))
    };
    for s in seats.iter().filter(|s| s.person == candidate) {
        match s.body {
            Body::VillagersCommittee => {
                return refuse(
                    "supervision.committee_member",
                    format!("{name}是村民委员会成员，不得担任村务监督委员会成员"),
                    "a villagers' committee member cannot sit on the supervision committee",
                );
            }
            Body::Accountant | Body::Cashier => {
                return refuse(
                    "supervision.finance_staff",
                    format!(
                        "{name}是{}，村务监督委员会成员不得由村会计、村出纳担任",
                        s.body.zh()
                    ),
                    "the accountant or cashier cannot sit on the supervision committee",
                );
            }
            _ => {}
        }
    }
    let committee: Vec<i64> = seats
        .iter()
        .filter(|s| s.body == Body::VillagersCommittee)
        .map(|s| s.person)
        .collect();
    for (a, b, k) in kin {
        let other = if *a == candidate {
            *b
        } else if *b == candidate {
            *a
        } else {
            continue;
        };
        if committee.contains(&other) {
            return refuse(
                "supervision.near_relative",
                format!(
                    "{name}与村民委员会成员{}是近亲属（{}），不得担任村务监督委员会成员（{}）",
                    names(other),
                    k.zh(),
                    Kinship::BASIS
                ),
                "a near relative of a villagers' committee member cannot sit on the supervision committee",
            );
        }
    }
    Ok(())
}

/// One matter of the key-powers list: who decides it and how long its publications stay up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PowerItem {
    pub code: String,
    pub name: String,
    /// The body that decides at the 决议 step (the 村民会议, or by its authorisation the 村民代表会议).
    pub decided_by: MeetingKind,
    pub basis: String,
    pub effective_from: String,
    /// Days a 决议公开 or 实施结果公开 stays up, at least.
    pub publication_days: i64,
}

const LAW_LIST: &str = "《中华人民共和国村民委员会组织法》（2018年修正）第二十四条";
/// The law names no period for a publication; jiceng's default until local rules set one.
pub const DEFAULT_PUBLICATION_DAYS: i64 = 7;

impl PowerItem {
    /// The 《组织法》 list of matters that need the 村民会议 (DOMAIN.md, "Decisions").
    pub fn law_list() -> Vec<PowerItem> {
        [
            ("law.subsidy", "本村享受误工补贴的人员及补贴标准"),
            ("law.income_use", "从村集体经济所得收益的使用"),
            (
                "law.public_welfare",
                "本村公益事业的兴办和筹资筹劳方案及建设承包方案",
            ),
            ("law.land_contract", "土地承包经营方案"),
            ("law.collective_project", "村集体经济项目的立项、承包方案"),
            ("law.homestead", "宅基地的使用方案"),
            ("law.compensation", "征地补偿费的使用、分配方案"),
            (
                "law.asset_disposal",
                "以借贷、租赁或者其他方式处分村集体财产",
            ),
            (
                "law.other",
                "村民会议认为应当由村民会议讨论决定的涉及村民利益的其他事项",
            ),
        ]
        .into_iter()
        .map(|(code, name)| PowerItem {
            code: code.into(),
            name: name.into(),
            decided_by: MeetingKind::VillagersAssembly,
            basis: LAW_LIST.into(),
            effective_from: "2018-12-29".into(),
            publication_days: DEFAULT_PUBLICATION_DAYS,
        })
        .collect()
    }
}

#[cfg(test)]
mod tests;

/// How often the 村务公开 board must be refreshed (DOMAIN.md, "Decisions"): village affairs at
/// least quarterly, finances monthly, a decided matter at once. Data with a date, like the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationRule {
    pub effective_from: String,
    pub basis: String,
    /// Days since the last publication of any kind before the board is overdue.
    pub affairs_every_days: i64,
    /// Days since the last finance publication before finances are overdue.
    pub finance_every_days: i64,
    /// Days after a 决议 within which its 决议公开 must go up ("at once").
    pub resolution_within_days: i64,
}

impl PublicationRule {
    pub fn defaults() -> Self {
        Self {
            effective_from: "2018-12-29".into(),
            basis: "《村民委员会组织法》第三十条（村务公开至少每季度一次，财务收支较多的每月一次，重大事项随时公布）；“随时”按jiceng默认值3天计".into(),
            affairs_every_days: 92,
            finance_every_days: 31,
            resolution_within_days: 3,
        }
    }

    /// The version in force on `day`: the latest taking effect on or before it.
    pub fn in_force<'a>(rules: &'a [PublicationRule], day: &str) -> Option<&'a PublicationRule> {
        rules
            .iter()
            .filter(|r| r.effective_from.as_str() <= day)
            .max_by(|a, b| a.effective_from.cmp(&b.effective_from))
    }
}

/// A publication category of the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 村务（日常事项）
    Affairs,
    /// 财务
    Finance,
    /// 重大事项（四议两公开的决议与实施结果）
    Matter,
}

impl Category {
    pub const ALL: [Category; 3] = [Self::Affairs, Self::Finance, Self::Matter];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Affairs => "affairs",
            Self::Finance => "finance",
            Self::Matter => "matter",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Self::Affairs => "村务",
            Self::Finance => "财务",
            Self::Matter => "重大事项",
        }
    }
}
