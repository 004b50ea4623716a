//! The village's side of issue 6: seats and the supervision committee's eligibility, the bodies'
//! meetings with their rolls on the meeting's date, a matter through 四议两公开 with every refusal,
//! overdue publications; then, in their own files on the same scenario, the 村民会议's
//! authorisation (`village_mandates`), the board (`village_board`), reviews, scope and figures
//! (`village_figures`).
use crate::transfers::code;
use crate::{LATER, actor, branch, tree};
use jiceng_domain::decision::Step;
use jiceng_domain::meeting::Votes;
use jiceng_store::matters::StepInput;
use jiceng_store::meetings::NewResolution;
use jiceng_store::village::{Counts, NewSeat};
use jiceng_store::village_meetings::NewBodyMeeting;
use jiceng_store::{Scope, Store, both_backends};

pub(crate) fn seat(person_id: i64, body: &str, from_on: &str) -> NewSeat {
    NewSeat {
        person_id,
        body: body.into(),
        title: None,
        from_on: from_on.into(),
    }
}

pub(crate) fn present(ids: &[i64]) -> Vec<(i64, String, Option<String>)> {
    ids.iter().map(|i| (*i, "present".into(), None)).collect()
}

pub(crate) fn body_meeting(
    place_id: i64,
    kind: &str,
    held_on: &str,
    who: &[i64],
) -> NewBodyMeeting {
    NewBodyMeeting {
        place_id,
        kind: kind.into(),
        title: format!("{kind}会议"),
        held_on: held_on.into(),
        attendance: present(who),
        ..Default::default()
    }
}

pub(crate) fn publication(up_on: &str, down_on: &str) -> StepInput {
    StepInput::Publication {
        title: "公开".into(),
        body: "内容".into(),
        up_on: up_on.into(),
        down_on: down_on.into(),
    }
}

/// A resolution on the village's road (`ayes` for, none against), recorded at `meeting_id`.
pub(crate) async fn resolution(
    store: Store,
    meeting_id: i64,
    ayes: i64,
) -> jiceng_store::meetings::Resolution {
    let votes = Votes {
        ayes,
        nays: 0,
        abstentions: 0,
    };
    let r = NewResolution {
        meeting_id,
        title: "村道硬化",
        votes,
        election: false,
    };
    store
        .record_resolution(&actor(), &Scope::All, &r, LATER)
        .await
        .unwrap()
}

async fn village(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部"), LATER)
        .await
        .unwrap();
    store
        .create_org(&a, &s, branch(t.other_village, "白蕉某村党支部"), LATER)
        .await
        .unwrap();
    let mut people = Vec::new();
    for i in 0..12 {
        let p = store
            .add_person(&a, &s, t.qianxi, &format!("村民{i:02}"), None, LATER)
            .await
            .unwrap();
        people.push(p.id);
    }
    let p = |i: usize| people[i];
    // Party committee 0–2; villagers' committee 2–4 (2 sits on both); representatives 5–10;
    // accountant 11; person 3 leaves the villagers' committee at the end of June.
    for i in 0..3 {
        store
            .add_seat(&a, &s, &seat(p(i), "party_committee", "2026-01-01"), LATER)
            .await
            .unwrap();
    }
    let mut leaving = 0;
    for i in 2..5 {
        let r = store
            .add_seat(
                &a,
                &s,
                &seat(p(i), "villagers_committee", "2026-01-01"),
                LATER,
            )
            .await
            .unwrap();
        if i == 3 {
            leaving = r.id;
        }
    }
    for i in 5..11 {
        store
            .add_seat(&a, &s, &seat(p(i), "representatives", "2026-01-01"), LATER)
            .await
            .unwrap();
    }
    store
        .add_seat(&a, &s, &seat(p(11), "accountant", "2026-01-01"), LATER)
        .await
        .unwrap();
    store
        .end_seat(&a, &s, t.qianxi, leaving, "2026-06-30", LATER)
        .await
        .unwrap();
    let e = store
        .add_seat(&a, &s, &seat(p(5), "representatives", "2026-02-01"), LATER)
        .await
        .unwrap_err();
    assert_eq!(code(e), "village.seat_held");

    // Supervision: a villagers' committee member, the accountant, a committee member's spouse
    // are refused; a representative with no such tie is accepted.
    store
        .add_kinship(&a, &s, t.qianxi, (p(4), p(6)), "spouse", LATER)
        .await
        .unwrap();
    let e = store
        .add_kinship(&a, &s, t.qianxi, (p(6), p(4)), "siblings", LATER)
        .await
        .unwrap_err();
    assert_eq!(code(e), "village.kinship_known");
    for (who, why) in [
        (2, "supervision.committee_member"),
        (11, "supervision.finance_staff"),
        (6, "supervision.near_relative"),
    ] {
        let e = store
            .add_seat(&a, &s, &seat(p(who), "supervision", "2026-07-01"), LATER)
            .await
            .unwrap_err();
        assert_eq!(code(e), why, "person {who}");
    }
    store
        .add_seat(&a, &s, &seat(p(7), "supervision", "2026-07-01"), LATER)
        .await
        .unwrap();
    // Person 3 left the committee in June: by July they may supervise.
    store
        .add_seat(&a, &s, &seat(p(3), "supervision", "2026-07-01"), LATER)
        .await
        .unwrap();
    assert!(
        store
            .supervision_conflicts(&s, t.qianxi, "2026-07-02")
            .await
            .unwrap()
            .is_empty()
    );
    // The check runs both ways: a relation, or a seat, that would bar a sitting supervisor is
    // refused, and nothing is written.
    let e = store
        .add_kinship(&a, &s, t.qianxi, (p(7), p(2)), "parent_of", LATER)
        .await
        .unwrap_err();
    assert_eq!(code(e), "supervision.near_relative");
    assert_eq!(store.kinships(&s, t.qianxi).await.unwrap().len(), 1);
    for (body, why) in [
        ("villagers_committee", "supervision.committee_member"),
        ("accountant", "supervision.finance_staff"),
        ("cashier", "supervision.finance_staff"),
    ] {
        let e = store
            .add_seat(&a, &s, &seat(p(7), body, "2026-09-01"), LATER)
            .await
            .unwrap_err();
        assert_eq!(code(e), why, "{body}");
    }
    // A 村委会 seat that starts after a supervisor took office is caught as well: 9 supervises
    // from July; their spouse 10 cannot join the villagers' committee in August.
    store
        .add_seat(&a, &s, &seat(p(9), "supervision", "2026-07-01"), LATER)
        .await
        .unwrap();
    store
        .add_kinship(&a, &s, t.qianxi, (p(9), p(10)), "spouse", LATER)
        .await
        .unwrap();
    let e = store
        .add_seat(
            &a,
            &s,
            &seat(p(10), "villagers_committee", "2026-08-01"),
            LATER,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "supervision.near_relative");
    // Seats and relations of another village cannot be reached from this one's page.
    assert!(
        store
            .end_seat(&a, &s, t.other_village, leaving, "2026-06-30", LATER)
            .await
            .is_err()
    );

    // Rolls on the meeting's date: the joint meeting has 0–4 once each (5 people) in March, 4 in July.
    let march = store
        .body_roll(
            &s,
            t.qianxi,
            jiceng_domain::meeting::MeetingKind::JointCommittees,
            "2026-03-01",
        )
        .await
        .unwrap();
    assert_eq!(march.len(), 5);
    let july = store
        .body_roll(
            &s,
            t.qianxi,
            jiceng_domain::meeting::MeetingKind::JointCommittees,
            "2026-07-10",
        )
        .await
        .unwrap();
    assert_eq!(july.len(), 4);
    let e = store
        .record_body_meeting(
            &a,
            &s,
            &body_meeting(t.qianxi, "joint_committees", "2026-07-10", &[p(3)]),
            LATER,
        )
        .await
        .unwrap_err();
    assert_eq!(
        code(e),
        "meeting.not_in_org",
        "person 3 left the committee in June"
    );

    // Representatives: 6 seats, quorum is at least 2/3 (4 of 6); 3 is not enough.
    let thin = store
        .record_body_meeting(
            &a,
            &s,
            &body_meeting(
                t.qianxi,
                "representatives_assembly",
                "2026-07-20",
                &[p(5), p(6), p(7)],
            ),
            LATER,
        )
        .await
        .unwrap();
    // 《组织法》第二十五条: the villagers' committee (2 and 4 in July) sits with the 6 representatives.
    assert_eq!((thin.should_attend, thin.present, thin.quorate), (8, 3, 0));
    // 村民会议: needs the counts, and 10 days' notice.
    let mut va = body_meeting(t.qianxi, "villagers_assembly", "2026-07-20", &[]);
    va.present = 300;
    va.households_present = 100;
    assert_eq!(
        code(
            store
                .record_body_meeting(&a, &s, &va, LATER)
                .await
                .unwrap_err()
        ),
        "meeting.notice_required"
    );
    va.notice_sent_on = Some("2026-07-15".into());
    assert_eq!(
        code(
            store
                .record_body_meeting(&a, &s, &va, LATER)
                .await
                .unwrap_err()
        ),
        "meeting.notice_too_late"
    );
    va.notice_sent_on = Some("2026-07-10".into());
    assert_eq!(
        code(
            store
                .record_body_meeting(&a, &s, &va, LATER)
                .await
                .unwrap_err()
        ),
        "meeting.counts_missing"
    );
    store
        .set_village_counts(
            &a,
            &s,
            t.qianxi,
            "2026-01-01",
            Counts {
                adults: 600,
                households: 150,
            },
            LATER,
        )
        .await
        .unwrap();
    // 300 of 600 adults is not more than half, but 100 of 150 households is two thirds: valid.
    let vm = store.record_body_meeting(&a, &s, &va, LATER).await.unwrap();
    assert_eq!((vm.should_attend, vm.households, vm.quorate), (600, 150, 1));
    // Households are represented by people present: never more households than people.
    let (came, households) = (va.present, va.households_present);
    va.present = 50;
    assert_eq!(
        code(
            store
                .record_body_meeting(&a, &s, &va, LATER)
                .await
                .unwrap_err()
        ),
        "meeting.households_exceed_present"
    );
    va.present = came;
    va.households_present = households - 1;
    assert_eq!(
        store
            .record_body_meeting(&a, &s, &va, LATER)
            .await
            .unwrap()
            .quorate,
        0
    );
    va.present = 601;
    assert_eq!(
        code(
            store
                .record_body_meeting(&a, &s, &va, LATER)
                .await
                .unwrap_err()
        ),
        "meeting.attendance_invalid"
    );

    // A matter through the six steps.
    let items = store.power_items(&s, t.qianxi).await.unwrap();
    assert_eq!(items.len(), 9, "the law's list for every village");
    let local = store
        .add_power_item(&a, &s, t.qianxi, "村道硬化工程", 10, LATER)
        .await
        .unwrap();
    assert_eq!(store.power_items(&s, t.qianxi).await.unwrap().len(), 10);
    assert_eq!(
        store.power_items(&s, t.other_village).await.unwrap().len(),
        9,
        "a local item stays local"
    );
    let matter = store
        .open_matter(&a, &s, t.qianxi, local.id, "2026年村道硬化", LATER)
        .await
        .unwrap();
    assert_eq!(matter.next_step.as_deref(), Some("proposal"));

    let resolve = |meeting_id: i64, ayes: i64| resolution(store.clone(), meeting_id, ayes);
    let step = |step: Step, input: StepInput| {
        let store = store.clone();
        let a = a.clone();
        async move {
            store
                .record_matter_step(&a, &Scope::All, matter.id, step, &input, LATER)
                .await
        }
    };
    let committee = store
        .record_body_meeting(
            &a,
            &s,
            &body_meeting(t.qianxi, "branch_committee", "2026-08-01", &[p(0), p(1)]),
            LATER,
        )
        .await
        .unwrap();
    assert_eq!((committee.should_attend, committee.quorate), (3, 1));
    let proposal = resolve(committee.id, 2).await;
    // Out of order: a consultation before the proposal.
    let e = step(Step::Consultation, StepInput::Resolution(proposal.id))
        .await
        .unwrap_err();
    assert_eq!(code(e), "decision.out_of_order");
    step(Step::Proposal, StepInput::Resolution(proposal.id))
        .await
        .unwrap();
    // Wrong body: the committee's resolution offered for the joint meeting's step.
    let e = step(Step::Consultation, StepInput::Resolution(proposal.id))
        .await
        .unwrap_err();
    assert_eq!(code(e), "decision.wrong_body");
    let joint = store
        .record_body_meeting(
            &a,
            &s,
            &body_meeting(
                t.qianxi,
                "joint_committees",
                "2026-08-05",
                &[p(0), p(1), p(2)],
            ),
            LATER,
        )
        .await
        .unwrap();
    // 3 of the joint meeting's 4: more than half present, but 2 ayes of 4 is not more than half.
    let lost = resolve(joint.id, 2).await;
    assert_eq!(lost.passed, 0);
    assert_eq!(
        code(
            step(Step::Consultation, StepInput::Resolution(lost.id))
                .await
                .unwrap_err()
        ),
        "decision.not_passed"
    );
    let consult = resolve(joint.id, 3).await;
    step(Step::Consultation, StepInput::Resolution(consult.id))
        .await
        .unwrap();
    // The Party members' assembly of the village's branch (its register is empty here, so no quorum).
    let org = store.meetings(&s, committee.org_id).await.unwrap();
    assert!(!org.is_empty());
    let members = store
        .record_meeting(
            &a,
            &s,
            &jiceng_store::meetings::NewMeeting {
                org_id: committee.org_id,
                kind: "branch_assembly".into(),
                title: "审议村道硬化".into(),
                held_on: "2026-08-10".into(),
                ..Default::default()
            },
            LATER,
        )
        .await
        .unwrap();
    assert_eq!(members.quorate, 0);
    // Review: the other village's committee resolution cannot stand for this village.
    store
        .add_person(&a, &s, t.other_village, "外村人", None, LATER)
        .await
        .unwrap();
    let other_people = store.village_people(&s, t.other_village).await.unwrap();
    store
        .add_seat(
            &a,
            &s,
            &seat(other_people[0].id, "party_committee", "2026-01-01"),
            LATER,
        )
        .await
        .unwrap();
    let far = store
        .record_body_meeting(
            &a,
            &s,
            &body_meeting(
                t.other_village,
                "branch_committee",
                "2026-08-12",
                &[other_people[0].id],
            ),
            LATER,
        )
        .await
        .unwrap();
    let far_r = resolve(far.id, 1).await;
    assert_eq!(
        code(
            step(Step::Review, StepInput::Resolution(far_r.id))
                .await
                .unwrap_err()
        ),
        "decision.other_village"
    );
    // Without a passing members' assembly the review cannot go on: resolutions at a meeting
    // without quorum are refused outright.
    let e = store
        .record_resolution(
            &a,
            &s,
            &NewResolution {
                meeting_id: members.id,
                title: "x",
                votes: Votes::default(),
                election: false,
            },
            LATER,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "meeting.no_quorum");
    // The representatives' meeting without quorum: no resolution either; a quorate one decides.
    let reps = store
        .record_body_meeting(
            &a,
            &s,
            &body_meeting(
                t.qianxi,
                "representatives_assembly",
                "2026-08-20",
                &[p(2), p(4), p(5), p(6), p(7), p(8)],
            ),
            LATER,
        )
        .await
        .unwrap();
    assert_eq!(reps.quorate, 1);
    assert_eq!(
        resolve(reps.id, 3).await.passed,
        0,
        "3 of 6 present is not more than half"
    );
    let decided = resolve(reps.id, 4).await;
    assert_eq!(decided.passed, 1, "4 of 6 present is");
    // The review step is still next: the resolution cannot jump it.
    assert_eq!(
        code(
            step(Step::Resolution, StepInput::Resolution(decided.id))
                .await
                .unwrap_err()
        ),
        "decision.out_of_order"
    );
    let steps = store.matter_steps(&s, matter.id).await.unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(
        store
            .matter(&s, matter.id)
            .await
            .unwrap()
            .next_step
            .as_deref(),
        Some("review")
    );

    // A second matter runs the whole way (the law's item, 7 days' publication).
    let item = items
        .iter()
        .find(|i| i.code == "law.public_welfare")
        .unwrap();
    let m2 = store
        .open_matter(&a, &s, t.qianxi, item.id, "文化室修缮", LATER)
        .await
        .unwrap();
    let step2 = |step: Step, input: StepInput| {
        let store = store.clone();
        let a = a.clone();
        async move {
            store
                .record_matter_step(&a, &Scope::All, m2.id, step, &input, LATER)
                .await
        }
    };
    // A vote carries one step of one matter: the first matter's proposal cannot serve again.
    assert_eq!(
        code(
            step2(Step::Proposal, StepInput::Resolution(proposal.id))
                .await
                .unwrap_err()
        ),
        "decision.resolution_used"
    );
    let proposal2 = resolve(committee.id, 2).await;
    let consult2 = resolve(joint.id, 3).await;
    step2(Step::Proposal, StepInput::Resolution(proposal2.id))
        .await
        .unwrap();
    step2(Step::Consultation, StepInput::Resolution(consult2.id))
        .await
        .unwrap();
    let member_org = committee.org_id;
    let mut ids = Vec::new();
    for i in 0..3 {
        let m = jiceng_store::members::MemberInput {
            ..crate::members::input(
                member_org,
                &format!("党员{i}"),
                &crate::members::id_number("19700101", i),
            )
        };
        ids.push(store.create_member(&a, &s, m, LATER).await.unwrap().id);
    }
    let assembly = store
        .record_meeting(
            &a,
            &s,
            &jiceng_store::meetings::NewMeeting {
                org_id: member_org,
                kind: "branch_assembly".into(),
                title: "审议文化室修缮".into(),
                held_on: "2026-08-15".into(),
                attendance: present(&ids[..2]),
                ..Default::default()
            },
            LATER,
        )
        .await
        .unwrap();
    let reviewed = resolve(assembly.id, 2).await;
    step2(Step::Review, StepInput::Resolution(reviewed.id))
        .await
        .unwrap();
    // A step dated before the previous one is refused.
    let early = store
        .record_body_meeting(
            &a,
            &s,
            &body_meeting(
                t.qianxi,
                "representatives_assembly",
                "2026-08-14",
                &[p(2), p(4), p(5), p(6), p(7), p(8)],
            ),
            LATER,
        )
        .await
        .unwrap();
    let early_r = resolve(early.id, 4).await;
    assert_eq!(
        code(
            step2(Step::Resolution, StepInput::Resolution(early_r.id))
                .await
                .unwrap_err()
        ),
        "decision.before_previous"
    );
    crate::village_mandates::representatives_need_authority(
        &store,
        &t,
        (vm.id, decided.id),
        (local.id, m2.id),
    )
    .await;
    step2(Step::Resolution, StepInput::Resolution(decided.id))
        .await
        .unwrap();
    crate::village_board::publications(&store, m2.id).await;

    let fin = crate::village_board::immutable_board(&store, &t, m2.id).await;

    let m3 = crate::village_board::overdue_boards(
        &store,
        &t,
        item.id,
        [committee.id, joint.id, assembly.id, reps.id],
    )
    .await;

    crate::village_figures::reviews_scope_and_figures(&store, &t, (p(3), p(5)), (m2.id, m3, fin))
        .await;
}
both_backends!(village_bodies_decisions_and_board, village);
