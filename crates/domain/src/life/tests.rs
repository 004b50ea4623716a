//! 三会一课 requirements, compliance per whole period, reminders a week ahead, months without life.
use super::*;

fn held(list: &[(MeetingKind, &str)]) -> Vec<(MeetingKind, String)> {
    list.iter().map(|(k, d)| (*k, d.to_string())).collect()
}

fn only(kind: MeetingKind, every: Every) -> LifeRule {
    LifeRule {
        effective_from: "2018-10-28".into(),
        basis: "test".into(),
        requirements: vec![Requirement {
            kind,
            every,
            times: 1,
            min_full_members: None,
        }],
    }
}

#[test]
fn periods_are_whole_and_only_ended_ones_are_judged() {
    assert_eq!(
        periods(Every::Quarter, "2026-02-15", "2026-09-30").unwrap(),
        [
            ("2026-01-01".to_string(), "2026-03-31".to_string()),
            ("2026-04-01".into(), "2026-06-30".into()),
            ("2026-07-01".into(), "2026-09-30".into()),
        ]
    );
    // The quarter still running on 2026-12-30 is not judged yet.
    assert_eq!(
        periods(Every::Quarter, "2026-10-01", "2026-12-30")
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        periods(Every::Month, "2024-01-31", "2024-03-01").unwrap(),
        [
            ("2024-01-01".to_string(), "2024-01-31".to_string()),
            ("2024-02-01".into(), "2024-02-29".into()),
        ]
    );
    assert_eq!(
        periods(Every::Year, "2025-06-01", "2026-12-31")
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn compliance_lists_each_missed_period() {
    let rule = only(MeetingKind::BranchAssembly, Every::Quarter);
    let h = held(&[
        (MeetingKind::BranchAssembly, "2026-01-15"),
        (MeetingKind::BranchCommittee, "2026-05-15"),
        (MeetingKind::BranchAssembly, "2026-07-01"),
        (MeetingKind::BranchAssembly, "2026-09-30"),
    ]);
    let dues = compliance(&rule, &h, "2026-01-01", "2026-09-30").unwrap();
    let met: Vec<(&str, bool, u32)> = dues
        .iter()
        .map(|d| (d.start.as_str(), d.met(), d.held))
        .collect();
    assert_eq!(
        met,
        [
            ("2026-01-01", true, 1),
            ("2026-04-01", false, 0),
            ("2026-07-01", true, 2)
        ]
    );
    assert_eq!(rate_per_mille(&dues), 666);
    assert_eq!(rate_per_mille(&[]), 1000);
    assert_eq!(
        compliance(&rule, &h, "2026-09-30", "2026-01-01")
            .unwrap_err()
            .code,
        "life.period_invalid"
    );
}

#[test]
fn the_default_rule_requires_the_three_meetings_and_one_lecture() {
    let rule = LifeRule::cpc_2018();
    // A year of a branch that met every requirement but one 党课 quarter.
    let mut h = Vec::new();
    for m in 1..=12 {
        for kind in [
            MeetingKind::BranchCommittee,
            MeetingKind::GroupMeeting,
            MeetingKind::ThemeDay,
        ] {
            h.push((kind, format!("2025-{m:02}-10")));
        }
    }
    for q in [1, 4, 7, 10] {
        h.push((MeetingKind::BranchAssembly, format!("2025-{q:02}-20")));
        if q != 7 {
            h.push((MeetingKind::PartyLecture, format!("2025-{q:02}-21")));
        }
    }
    h.push((MeetingKind::LifeMeeting, "2025-12-20".into()));
    h.push((MeetingKind::Appraisal, "2025-12-21".into()));
    let dues = compliance(&rule, &h, "2025-01-01", "2025-12-31").unwrap();
    // 12 × 3 monthly + 4 × 2 quarterly + 2 yearly.
    assert_eq!(dues.len(), 36 + 8 + 2);
    let missed: Vec<(MeetingKind, &str)> = dues
        .iter()
        .filter(|d| !d.met())
        .map(|d| (d.kind, d.start.as_str()))
        .collect();
    assert_eq!(missed, [(MeetingKind::PartyLecture, "2025-07-01")]);
}

#[test]
fn reminders_come_a_week_before_the_period_ends() {
    let rule = only(MeetingKind::BranchAssembly, Every::Quarter);
    assert!(
        reminders(&rule, &[], "2026-03-24").unwrap().is_empty(),
        "eight days before"
    );
    let r = reminders(&rule, &[], "2026-03-25").unwrap();
    assert_eq!((r.len(), r[0].end.as_str()), (1, "2026-03-31"));
    assert_eq!(
        reminders(&rule, &[], "2026-03-31").unwrap().len(),
        1,
        "the last day"
    );
    let h = held(&[(MeetingKind::BranchAssembly, "2026-02-01")]);
    assert!(
        reminders(&rule, &h, "2026-03-25").unwrap().is_empty(),
        "already held"
    );
}

#[test]
fn six_months_without_organisational_life() {
    let attended = vec!["2026-03-10".to_string()];
    // Today in October: April to September are six whole months without; October is running.
    assert_eq!(
        months_without_life(&attended, "2020-01-01", "2026-10-05").unwrap(),
        6
    );
    assert_eq!(
        months_without_life(&attended, "2020-01-01", "2026-09-30").unwrap(),
        5
    );
    // Never attended, joined in July: July to September.
    assert_eq!(
        months_without_life(&[], "2026-07-15", "2026-10-05").unwrap(),
        3
    );
    assert_eq!(
        months_without_life(&attended, "2020-01-01", "2026-04-01").unwrap(),
        0
    );
}

#[test]
fn spans_end_on_the_last_day_of_their_month() {
    assert_eq!(span(month_index("2024-02-10").unwrap(), 1).1, "2024-02-29");
    assert_eq!(span(month_index("2023-02-10").unwrap(), 1).1, "2023-02-28");
    assert_eq!(
        span(month_index("2025-10-01").unwrap(), 3),
        ("2025-10-01".into(), "2025-12-31".into())
    );
    assert_eq!(
        period_start(month_index("2025-11-15").unwrap(), Every::Quarter),
        month_index("2025-10-01").unwrap()
    );
}

#[test]
fn periods_parse_name_and_step() {
    let q = Period::parse("2025-Q4").unwrap();
    assert_eq!(q.label(), "2025-Q4");
    assert_eq!(q.zh(), "2025年第4季度");
    assert_eq!(q.days(), ("2025-10-01".into(), "2025-12-31".into()));
    assert_eq!(q.next().label(), "2026-Q1");
    assert_eq!(q.prev().label(), "2025-Q3");
    let m = Period::parse("2024-02").unwrap();
    assert_eq!(m.days(), ("2024-02-01".into(), "2024-02-29".into()));
    assert_eq!(m.prev().label(), "2024-01");
    assert_eq!(Period::parse("2024-01").unwrap().prev().label(), "2023-12");
    assert_eq!(Period::parse("2025").unwrap().zh(), "2025年");
    assert_eq!(
        Period::of(Every::Quarter, "2025-08-31").unwrap().label(),
        "2025-Q3"
    );
    assert_eq!(
        Period::of(Every::Year, "2025-08-31").unwrap().label(),
        "2025"
    );
    for bad in [
        "", "2025-13", "2025-Q5", "2025-Q0", "25-01", "2025-1", "abcd", "2025/11", "2025-Q4x",
    ] {
        assert_eq!(
            Period::parse(bad).unwrap_err().code,
            "life.period_invalid",
            "{bad:?}"
        );
    }
}

#[test]
fn a_period_holds_the_requirement_periods_no_longer_than_itself() {
    let year = Period::parse("2025").unwrap();
    assert_eq!(year.parts(Every::Month).len(), 12);
    assert_eq!(
        year.parts(Every::Quarter)
            .iter()
            .map(Period::label)
            .collect::<Vec<_>>(),
        ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    );
    let month = Period::parse("2025-11").unwrap();
    assert!(month.parts(Every::Quarter).is_empty());
    assert!(month.parts(Every::Year).is_empty());
}

#[test]
fn judging_a_quarter_lists_misses_and_leaves_running_months_out_of_the_rate() {
    let rule = LifeRule::cpc_2018();
    let q = Period::parse("2025-Q4").unwrap();
    let h = held(&[
        (MeetingKind::BranchAssembly, "2025-10-20"),
        (MeetingKind::ThemeDay, "2025-10-05"),
        (MeetingKind::ThemeDay, "2025-11-05"),
        // Held in December, counted though December is still running.
        (MeetingKind::ThemeDay, "2025-12-01"),
        // Outside the quarter: counts for nothing here.
        (MeetingKind::PartyLecture, "2025-09-30"),
    ]);
    let j = judge(&rule, &h, &q, "2025-12-10").unwrap();
    // Quarterly: assembly and lecture once each; monthly: committee, group meeting, theme day
    // three times each; yearly ones are not inside a quarter.
    assert_eq!(j.len(), 2 + 3 * 3);
    assert_eq!(j.iter().filter(|x| !x.ended).count(), 2 + 3);
    let missed: Vec<(MeetingKind, String)> = j
        .iter()
        .filter(|x| x.missed())
        .map(|x| (x.due.kind, x.period.label()))
        .collect();
    assert_eq!(
        missed,
        [
            (MeetingKind::BranchCommittee, "2025-10".to_string()),
            (MeetingKind::BranchCommittee, "2025-11".into()),
            (MeetingKind::GroupMeeting, "2025-10".into()),
            (MeetingKind::GroupMeeting, "2025-11".into()),
        ]
    );
    // Ended: committee, group meeting and theme day in October and November: 2 of 6 met.
    assert_eq!(judged_rate(&j), Some(333));
    // A day later in the next year everything has ended: the assembly is met, the lecture not.
    let all = judge(&rule, &h, &q, "2026-01-01").unwrap();
    assert!(all.iter().all(|x| x.ended));
    assert_eq!(all.iter().filter(|x| x.due.met()).count(), 4);
    // Nothing has begun before the quarter: nothing judged, no rate.
    assert!(judge(&rule, &h, &q, "2025-09-30").unwrap().is_empty());
    assert_eq!(judged_rate(&[]), None);
}

#[test]
fn only_branches_hold_branch_life() {
    use crate::org::OrgKind;
    assert!(holds_branch_life(OrgKind::Branch));
    assert!(holds_branch_life(OrgKind::JointBranch));
    assert!(holds_branch_life(OrgKind::RegionalBranch));
    assert!(!holds_branch_life(OrgKind::Committee));
    assert!(!holds_branch_life(OrgKind::GeneralBranch));
    assert!(!holds_branch_life(OrgKind::Group));
}

#[test]
fn the_committee_meets_monthly_only_in_a_branch_of_seven_full_members() {
    let rule = LifeRule::cpc_2018();
    let year = Period::parse("2025").unwrap();
    // A branch that held nothing: what it owed in a year, by its number of full members.
    for (full, committee_months, total) in [(0, 0, 34), (6, 0, 34), (7, 12, 46), (40, 12, 46)] {
        let owed = rule.for_branch(full);
        let j = judge(&owed, &[], &year, "2026-01-01").unwrap();
        let committee = j
            .iter()
            .filter(|x| x.due.kind == MeetingKind::BranchCommittee)
            .count();
        assert_eq!(
            (committee, j.len()),
            (committee_months, total),
            "{full} full members"
        );
        let dues = compliance(&owed, &[], "2025-01-01", "2025-12-31").unwrap();
        assert_eq!(dues.len(), total, "{full} full members");
        // Only the 支委会 carries a condition, and it cites its article.
        assert!(
            owed.requirements
                .iter()
                .all(|r| r.kind == MeetingKind::BranchCommittee || r.applies(0))
        );
    }
    let committee = rule
        .requirements
        .iter()
        .find(|r| r.kind == MeetingKind::BranchCommittee)
        .unwrap();
    assert_eq!(committee.min_full_members, Some(7));
    assert!(!committee.applies(6));
    assert!(committee.applies(7));
    // A branch of six with every other meeting held is fully compliant.
    let mut h = Vec::new();
    for m in 1..=12 {
        h.push((MeetingKind::GroupMeeting, format!("2025-{m:02}-10")));
        h.push((MeetingKind::ThemeDay, format!("2025-{m:02}-05")));
    }
    for q in [1, 4, 7, 10] {
        h.push((MeetingKind::BranchAssembly, format!("2025-{q:02}-20")));
        h.push((MeetingKind::PartyLecture, format!("2025-{q:02}-21")));
    }
    h.push((MeetingKind::LifeMeeting, "2025-12-20".into()));
    h.push((MeetingKind::Appraisal, "2025-12-21".into()));
    let six = judge(&rule.for_branch(6), &h, &year, "2026-01-01").unwrap();
    assert_eq!(judged_rate(&six), Some(1000));
    let seven = judge(&rule.for_branch(7), &h, &year, "2026-01-01").unwrap();
    assert_eq!(judged_rate(&seven), Some(34 * 1000 / 46));
    // Reminders a week before the month ends: the 支委会 only for the branch of seven.
    let kinds = |full| -> Vec<MeetingKind> {
        reminders(&rule.for_branch(full), &h, "2025-12-26")
            .unwrap()
            .into_iter()
            .map(|d| d.kind)
            .collect()
    };
    assert_eq!(kinds(6), Vec::<MeetingKind>::new());
    assert_eq!(kinds(7), [MeetingKind::BranchCommittee]);
}
