//! Every quorum and threshold at its edge (issue 6: "7 voting members: 4 present valid, 3 not;
//! ayes 4 of 7 pass, 3 do not — even when only 4 are present").
use super::*;

fn rule(kind: MeetingKind) -> MeetingRule {
    MeetingRule::in_force(&MeetingRule::defaults(), kind, "2026-12-01")
        .cloned()
        .unwrap_or_else(|| panic!("no rule for {kind:?}"))
}

fn att(should_attend: i64, present: i64) -> Attendance {
    Attendance {
        should_attend,
        present,
        ..Default::default()
    }
}

fn ayes(n: i64) -> Votes {
    Votes {
        ayes: n,
        ..Default::default()
    }
}

fn code<T: std::fmt::Debug>(r: Rule<T>) -> &'static str {
    r.expect_err("expected a refusal").code
}

#[test]
fn branch_assembly_quorum_and_majority_at_their_edges() {
    let r = rule(MeetingKind::BranchAssembly);
    // (should attend, present, valid)
    for (should, present, valid) in [
        (7, 4, true),
        (7, 3, false),
        (8, 5, true),
        (8, 4, false),
        (1, 1, true),
        (2, 1, false),
        (0, 0, false),
    ] {
        assert_eq!(
            quorum(&r, &att(should, present), false).is_ok(),
            valid,
            "{present} of {should}"
        );
    }
    // (should attend, present, ayes, passes): the majority is of those who should attend.
    for (should, present, yes, pass) in [
        (7, 4, 4, true),
        (7, 4, 3, false),
        (7, 7, 4, true),
        (7, 7, 3, false),
        (8, 8, 5, true),
        (8, 8, 4, false),
        (8, 5, 4, false),
    ] {
        assert_eq!(
            passes(&r, &att(should, present), &ayes(yes), false),
            Ok(pass),
            "{yes} ayes, {present} of {should} present"
        );
    }
}

#[test]
fn below_quorum_nothing_passes_and_the_reason_is_given() {
    let r = rule(MeetingKind::BranchAssembly);
    let e = passes(&r, &att(7, 3), &ayes(3), false).unwrap_err();
    assert_eq!(e.code, "meeting.no_quorum");
    assert!(e.zh.contains("7人中至少4人"), "{}", e.zh);
    assert!(e.zh.contains("实到3人"), "{}", e.zh);
}

#[test]
fn elections_need_more_than_four_fifths() {
    let r = rule(MeetingKind::BranchAssembly);
    for (should, present, valid) in [
        (5, 5, true),
        (5, 4, false),
        (7, 6, true),
        (7, 5, false),
        (10, 9, true),
        (10, 8, false),
    ] {
        assert_eq!(
            quorum(&r, &att(should, present), true).is_ok(),
            valid,
            "{present} of {should}"
        );
    }
    // A meeting with a quorum for business may still be short of one for an election.
    assert!(quorum(&r, &att(10, 8), false).is_ok());
    assert_eq!(
        code(quorum(&rule(MeetingKind::PartyLecture), &att(10, 10), true)),
        "meeting.no_election"
    );
}

#[test]
fn villagers_assembly_adults_or_households_and_majority_of_present() {
    let r = rule(MeetingKind::VillagersAssembly);
    assert_eq!(r.notice_days, 10);
    let a = |adults, present, households, households_present| Attendance {
        should_attend: adults,
        present,
        households,
        households_present,
    };
    // (attendance, valid)
    for (x, valid) in [
        (a(100, 51, 30, 0), true),
        (a(100, 50, 30, 0), false),
        (a(100, 20, 30, 20), true),
        (a(100, 19, 30, 19), false),
        (a(101, 50, 31, 20), false),
        (a(101, 51, 31, 0), true),
        (a(101, 50, 31, 21), true),
    ] {
        assert_eq!(quorum(&r, &x, false).is_ok(), valid, "{x:?}");
    }
    // A household is represented by someone present: 20 households with 10 people is refused.
    assert_eq!(
        quorum(&r, &a(100, 10, 30, 20), false).unwrap_err().code,
        "meeting.households_exceed_present"
    );
    // More than half of those present, not of all adults.
    assert_eq!(passes(&r, &a(100, 51, 30, 0), &ayes(26), false), Ok(true));
    assert_eq!(passes(&r, &a(100, 51, 30, 0), &ayes(25), false), Ok(false));
    assert_eq!(passes(&r, &a(100, 60, 30, 0), &ayes(30), false), Ok(false));
    assert_eq!(passes(&r, &a(100, 60, 30, 0), &ayes(31), false), Ok(true));
}

#[test]
fn representatives_assembly_two_thirds_present_and_majority_of_present() {
    let r = rule(MeetingKind::RepresentativesAssembly);
    for (should, present, valid) in [
        (30, 20, true),
        (30, 19, false),
        (31, 21, true),
        (31, 20, false),
    ] {
        assert_eq!(
            quorum(&r, &att(should, present), false).is_ok(),
            valid,
            "{present} of {should}"
        );
    }
    assert_eq!(passes(&r, &att(30, 20), &ayes(11), false), Ok(true));
    assert_eq!(passes(&r, &att(30, 20), &ayes(10), false), Ok(false));
}

#[test]
fn bad_counts_are_refused() {
    let r = rule(MeetingKind::BranchAssembly);
    let v = Votes {
        ayes: 4,
        nays: 1,
        abstentions: 0,
    };
    assert_eq!(
        code(passes(&r, &att(7, 4), &v, false)),
        "meeting.votes_exceed_present"
    );
    assert_eq!(
        code(passes(&r, &att(7, 4), &ayes(-1), false)),
        "meeting.votes_invalid"
    );
    assert_eq!(
        code(quorum(&r, &att(7, 8), false)),
        "meeting.attendance_invalid"
    );
    assert_eq!(
        code(passes(
            &rule(MeetingKind::ThemeDay),
            &att(7, 7),
            &ayes(7),
            false
        )),
        "meeting.no_resolutions"
    );
}

#[test]
fn meetings_without_a_quorum_rule_are_valid_whoever_came() {
    for kind in [
        MeetingKind::PartyLecture,
        MeetingKind::ThemeDay,
        MeetingKind::GroupMeeting,
    ] {
        assert!(quorum(&rule(kind), &att(20, 1), false).is_ok(), "{kind:?}");
    }
}

#[test]
fn rules_are_data_with_effective_dates() {
    let mut rules = MeetingRule::defaults();
    assert!(MeetingRule::in_force(&rules, MeetingKind::BranchAssembly, "2018-01-01").is_none());
    let mut stricter = rule(MeetingKind::BranchAssembly);
    stricter.effective_from = "2027-01-01".into();
    stricter.quorum = Quorum::ShouldAttend(Threshold::at_least(2, 3));
    rules.push(stricter);
    let before = MeetingRule::in_force(&rules, MeetingKind::BranchAssembly, "2026-12-31").unwrap();
    let after = MeetingRule::in_force(&rules, MeetingKind::BranchAssembly, "2027-01-01").unwrap();
    assert!(quorum(before, &att(9, 5), false).is_ok());
    assert!(quorum(after, &att(9, 5), false).is_err());
    assert!(quorum(after, &att(9, 6), false).is_ok());
    for kind in MeetingKind::ALL {
        assert_eq!(MeetingKind::parse(kind.as_str()), Some(kind));
        assert!(
            MeetingRule::in_force(&MeetingRule::defaults(), kind, "2026-12-01").is_some(),
            "{kind:?}"
        );
    }
}

#[test]
fn thresholds_in_words() {
    assert_eq!(Threshold::more_than(1, 2).zh(), "超过半数");
    assert_eq!(Threshold::at_least(2, 3).zh(), "三分之二以上（含）");
    assert_eq!(Threshold::more_than(4, 5).zh(), "超过五分之四");
    assert_eq!(Threshold::more_than(4, 5).least(7), 6);
    assert_eq!(Threshold::at_least(2, 3).least(30), 20);
}

proptest::proptest! {
    /// `least` is the edge: one fewer never meets the threshold, `least` always does.
    #[test]
    fn least_is_the_edge(num in 1i64..5, extra in 1i64..5, strict: bool, base in 1i64..500) {
        let t = Threshold { num, den: num + extra, strict };
        let l = t.least(base);
        proptest::prop_assert!(l <= base);
        proptest::prop_assert!(t.met(l, base));
        proptest::prop_assert!(l == 0 || !t.met(l - 1, base));
    }
}

#[test]
fn villagers_need_ten_days_notice() {
    let r = rule(MeetingKind::VillagersAssembly);
    assert!(check_notice(&r, "2026-03-01", "2026-03-11").is_ok());
    assert_eq!(
        code(check_notice(&r, "2026-03-02", "2026-03-11")),
        "meeting.notice_too_late"
    );
    // Across a month and a leap day.
    assert!(check_notice(&r, "2024-02-20", "2024-03-01").is_ok());
    assert_eq!(
        code(check_notice(&r, "2023-02-20", "2023-03-01")),
        "meeting.notice_too_late"
    );
    assert!(
        check_notice(
            &rule(MeetingKind::BranchAssembly),
            "2026-03-11",
            "2026-03-11"
        )
        .is_ok()
    );
    assert_eq!(
        code(check_notice(&r, "2026-3-1", "2026-03-11")),
        "date.invalid"
    );
    assert_eq!(
        day_number("2000-03-01").unwrap() - day_number("1970-01-01").unwrap(),
        11_017
    );
    assert_eq!(code(day_number("2026-02-30").map(|_| ())), "date.invalid");
}
