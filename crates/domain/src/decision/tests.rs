//! The order of 四议两公开, the body and validity of each "议", the length of each "公开".
use super::*;

const MIN_DAYS: i64 = 7;

fn meeting(kind: MeetingKind, held_on: &str) -> Evidence {
    Evidence::Meeting {
        kind,
        held_on: held_on.into(),
        quorate: true,
        passed: true,
        authorised: true,
    }
}

fn publication(up_on: &str, down_on: &str) -> Evidence {
    Evidence::Publication {
        up_on: up_on.into(),
        down_on: down_on.into(),
    }
}

/// A good run of all six steps.
fn good() -> Vec<(Step, Evidence)> {
    vec![
        (
            Step::Proposal,
            meeting(MeetingKind::BranchCommittee, "2026-03-01"),
        ),
        (
            Step::Consultation,
            meeting(MeetingKind::JointCommittees, "2026-03-05"),
        ),
        (
            Step::Review,
            meeting(MeetingKind::BranchAssembly, "2026-03-10"),
        ),
        (
            Step::Resolution,
            meeting(MeetingKind::RepresentativesAssembly, "2026-03-20"),
        ),
        (
            Step::ResolutionPublished,
            publication("2026-03-21", "2026-03-28"),
        ),
        (
            Step::ResultPublished,
            publication("2026-06-01", "2026-06-30"),
        ),
    ]
}

fn code(r: Rule<()>) -> &'static str {
    r.expect_err("expected a refusal").code
}

#[test]
fn all_six_steps_in_order() {
    let mut m = Matter::default();
    for (step, e) in good() {
        assert_eq!(m.next(), Some(step));
        m.apply(step, e, MIN_DAYS).unwrap();
    }
    assert!(m.is_complete());
    assert_eq!(
        code(m.apply(
            Step::ResultPublished,
            publication("2026-07-01", "2026-07-30"),
            MIN_DAYS
        )),
        "decision.complete"
    );
}

#[test]
fn a_step_out_of_order_is_refused_with_the_next_one_named() {
    let mut m = Matter::default();
    let (step, e) = good()[2].clone();
    let err = m.check(step, &e, MIN_DAYS).unwrap_err();
    assert_eq!(err.code, "decision.out_of_order");
    assert!(err.zh.contains("村党组织提议"), "{}", err.zh);
    // 决议公开 before the 决议.
    for (s, e) in good().into_iter().take(3) {
        m.apply(s, e, MIN_DAYS).unwrap();
    }
    assert_eq!(
        code(m.apply(
            Step::ResolutionPublished,
            publication("2026-03-21", "2026-03-28"),
            MIN_DAYS
        )),
        "decision.out_of_order"
    );
    assert_eq!(m.steps().len(), 3, "nothing recorded");
}

#[test]
fn each_deliberation_needs_a_valid_passing_meeting_of_its_body() {
    let mut m = Matter::default();
    // The wrong body: a 支部党员大会 cannot make the proposal.
    assert_eq!(
        code(m.apply(
            Step::Proposal,
            meeting(MeetingKind::BranchAssembly, "2026-03-01"),
            MIN_DAYS
        )),
        "decision.wrong_body"
    );
    // Without quorum, or not passed.
    let no_quorum = Evidence::Meeting {
        kind: MeetingKind::BranchCommittee,
        held_on: "2026-03-01".into(),
        quorate: false,
        passed: false,
        authorised: true,
    };
    assert_eq!(
        code(m.apply(Step::Proposal, no_quorum, MIN_DAYS)),
        "decision.no_quorum"
    );
    let rejected = Evidence::Meeting {
        kind: MeetingKind::BranchCommittee,
        held_on: "2026-03-01".into(),
        quorate: true,
        passed: false,
        authorised: true,
    };
    assert_eq!(
        code(m.apply(Step::Proposal, rejected, MIN_DAYS)),
        "decision.not_passed"
    );
    // A publication cannot stand for a meeting.
    assert_eq!(
        code(m.apply(
            Step::Proposal,
            publication("2026-03-01", "2026-03-10"),
            MIN_DAYS
        )),
        "decision.meeting_required"
    );
    assert!(m.steps().is_empty());
    // Either village body may resolve.
    for body in [
        MeetingKind::VillagersAssembly,
        MeetingKind::RepresentativesAssembly,
    ] {
        let mut m = Matter::default();
        for (s, e) in good().into_iter().take(3) {
            m.apply(s, e, MIN_DAYS).unwrap();
        }
        m.apply(Step::Resolution, meeting(body, "2026-03-20"), MIN_DAYS)
            .unwrap();
    }
}

#[test]
fn publications_last_long_enough_and_dates_never_go_back() {
    let mut m = Matter::default();
    for (s, e) in good().into_iter().take(4) {
        m.apply(s, e, MIN_DAYS).unwrap();
    }
    assert_eq!(
        code(m.apply(
            Step::ResolutionPublished,
            publication("2026-03-21", "2026-03-27"),
            MIN_DAYS
        )),
        "decision.publication_too_short"
    );
    assert_eq!(
        code(m.apply(
            Step::ResolutionPublished,
            meeting(MeetingKind::VillagersAssembly, "2026-03-21"),
            MIN_DAYS
        )),
        "decision.publication_required"
    );
    assert_eq!(
        code(m.apply(
            Step::ResolutionPublished,
            publication("2026-03-19", "2026-03-30"),
            MIN_DAYS
        )),
        "decision.before_previous"
    );
    m.apply(
        Step::ResolutionPublished,
        publication("2026-03-21", "2026-03-28"),
        MIN_DAYS,
    )
    .unwrap();
}

proptest::proptest! {
    /// Whatever is attempted, in whatever order and with whatever evidence, the recorded steps
    /// are always the first steps of the order, each on evidence that `check` accepted.
    #[test]
    fn no_sequence_of_actions_records_steps_out_of_order(
        attempts in proptest::collection::vec((0usize..6, 0usize..10, (proptest::bool::ANY, proptest::bool::ANY, proptest::bool::ANY), 0i64..40, 0i64..20), 0..40)
    ) {
        let mut m = Matter::default();
        for (step, kind, (quorate, passed, authorised), day, len) in attempts {
            let step = Step::ORDER[step];
            let date = |d: i64| format!("2026-{:02}-{:02}", 1 + d / 28, 1 + d % 28);
            let e = if kind == 9 {
                publication(&date(day), &date(day + len))
            } else {
                Evidence::Meeting { kind: MeetingKind::ALL[kind], held_on: date(day), quorate, passed, authorised }
            };
            let before = m.steps().len();
            let ok = m.apply(step, e, MIN_DAYS).is_ok();
            proptest::prop_assert_eq!(m.steps().len(), before + usize::from(ok));
        }
        for (k, (step, e)) in m.steps().iter().enumerate() {
            proptest::prop_assert_eq!(*step, Step::ORDER[k]);
            match e {
                Evidence::Meeting { kind, quorate, passed, authorised, .. } => {
                    proptest::prop_assert!(step.bodies().contains(kind) && *quorate && *passed);
                    // A 村民代表会议 decides only under the 村民会议's authorisation.
                    proptest::prop_assert!(*kind != MeetingKind::RepresentativesAssembly || *authorised);
                }
                Evidence::Publication { .. } => proptest::prop_assert!(step.is_publication()),
            }
        }
        let dates: Vec<i64> = m.steps().iter().map(|(_, e)| day_number(e.date()).unwrap()).collect();
        proptest::prop_assert!(dates.windows(2).all(|w| w[0] <= w[1]));
    }
}

#[test]
fn the_representatives_decide_only_under_the_villagers_authorisation() {
    let mut m = Matter::default();
    for (s, e) in good().into_iter().take(3) {
        m.apply(s, e, MIN_DAYS).unwrap();
    }
    let unauthorised = |kind| Evidence::Meeting {
        kind,
        held_on: "2026-03-20".into(),
        quorate: true,
        passed: true,
        authorised: false,
    };
    assert_eq!(
        code(m.apply(
            Step::Resolution,
            unauthorised(MeetingKind::RepresentativesAssembly),
            MIN_DAYS
        )),
        "decision.not_authorised"
    );
    assert_eq!(m.steps().len(), 3);
    // The 村民会议 decides in its own right: no authorisation is asked of it.
    m.apply(
        Step::Resolution,
        unauthorised(MeetingKind::VillagersAssembly),
        MIN_DAYS,
    )
    .unwrap();
}
