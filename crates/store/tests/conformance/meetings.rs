//! Meetings of a branch: attendance from the register, quorum and outcomes computed, minutes
//! frozen once approved, scope, and nothing written by a refused attempt.
use crate::members::{id_number, input};
use crate::transfers::code;
use crate::{LATER, actor, branch, tree};
use jiceng_domain::meeting::Votes;
use jiceng_store::audit::AuditFilter;
use jiceng_store::meetings::{NewMeeting, NewResolution};
use jiceng_store::sql::Page;
use jiceng_store::{Scope, Store, both_backends};

fn votes(ayes: i64, nays: i64) -> Votes {
    Votes {
        ayes,
        nays,
        abstentions: 0,
    }
}

async fn meetings(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let org = store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部"), LATER)
        .await
        .unwrap();
    let other = store
        .create_org(&a, &s, branch(t.other_village, "白蕉某村党支部"), LATER)
        .await
        .unwrap();
    // Seven full members with a vote, two probationary without, one applicant (not a member yet).
    let mut full = Vec::new();
    for i in 0..7 {
        let m = input(org.id, &format!("党员{i}"), &id_number("19700101", i));
        full.push(store.create_member(&a, &s, m, LATER).await.unwrap().id);
    }
    for (i, status) in [(7, "probationary"), (8, "probationary"), (9, "applicant")] {
        let mut m = input(org.id, &format!("党员{i}"), &id_number("19700101", i));
        m.status = status.into();
        m.full_date = None;
        store.create_member(&a, &s, m, LATER).await.unwrap();
    }
    let stranger = store
        .create_member(
            &a,
            &s,
            input(other.id, "外支部党员", &id_number("19700101", 20)),
            LATER,
        )
        .await
        .unwrap()
        .id;
    let present = |ids: &[i64]| -> Vec<(i64, String, Option<String>)> {
        ids.iter()
            .map(|id| (*id, "present".to_string(), None))
            .collect()
    };
    let new = |ids: &[i64]| NewMeeting {
        org_id: org.id,
        kind: "branch_assembly".into(),
        title: "第一季度支部党员大会".into(),
        held_on: "2026-03-20".into(),
        attendance: present(ids),
        ..Default::default()
    };

    // 7 voting members: 4 present is a quorum, and the roll has everyone who should attend.
    let m = store
        .record_meeting(&a, &s, &new(&full[..4]), LATER)
        .await
        .unwrap();
    assert_eq!((m.should_attend, m.present, m.quorate), (7, 4, 1));
    let roll = store.attendance(&s, m.id).await.unwrap();
    assert_eq!(
        roll.len(),
        9,
        "full and probationary members, not the applicant"
    );
    assert_eq!(roll.iter().filter(|r| r.status == "absent").count(), 5);
    // Ayes of those who should attend: 4 of 7 pass, 3 do not, though only 4 came.
    let r = store
        .record_resolution(
            &a,
            &s,
            &NewResolution {
                meeting_id: m.id,
                title: "通过发展对象",
                votes: votes(4, 0),
                election: false,
            },
            LATER,
        )
        .await
        .unwrap();
    assert_eq!(r.passed, 1);
    let r = store
        .record_resolution(
            &a,
            &s,
            &NewResolution {
                meeting_id: m.id,
                title: "另一议题",
                votes: votes(3, 1),
                election: false,
            },
            LATER,
        )
        .await
        .unwrap();
    assert_eq!(r.passed, 0);
    // Bad input: more votes than people present; an election needs more than 4/5 present.
    let e = store
        .record_resolution(
            &a,
            &s,
            &NewResolution {
                meeting_id: m.id,
                title: "多票",
                votes: votes(4, 1),
                election: false,
            },
            LATER,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "meeting.votes_exceed_present");
    let e = store
        .record_resolution(
            &a,
            &s,
            &NewResolution {
                meeting_id: m.id,
                title: "选举",
                votes: votes(4, 0),
                election: true,
            },
            LATER,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "meeting.no_quorum");
    assert_eq!(store.resolutions(&s, m.id).await.unwrap().len(), 2);

    // 3 of 7: recorded as without quorum, and it passes nothing.
    let thin = store
        .record_meeting(&a, &s, &new(&full[..3]), LATER)
        .await
        .unwrap();
    assert_eq!((thin.present, thin.quorate), (3, 0));
    let e = store
        .record_resolution(
            &a,
            &s,
            &NewResolution {
                meeting_id: thin.id,
                title: "议题",
                votes: votes(3, 0),
                election: false,
            },
            LATER,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "meeting.no_quorum");

    // Attendance by someone of another organisation, leave without a reason: refused, nothing kept.
    let mut bad = new(&full[..4]);
    bad.attendance.push((stranger, "present".into(), None));
    assert_eq!(
        code(store.record_meeting(&a, &s, &bad, LATER).await.unwrap_err()),
        "meeting.not_in_org"
    );
    let mut bad = new(&full[..4]);
    bad.attendance
        .push((full[5], "leave".into(), Some("  ".into())));
    assert_eq!(
        code(store.record_meeting(&a, &s, &bad, LATER).await.unwrap_err()),
        "meeting.leave_reason"
    );
    let mut bad = new(&full[..4]);
    bad.attendance.push((full[0], "absent".into(), None));
    assert_eq!(
        code(store.record_meeting(&a, &s, &bad, LATER).await.unwrap_err()),
        "meeting.attendance_twice"
    );
    let mut bad = new(&full[..4]);
    bad.kind = "joint_committees".into();
    assert_eq!(
        code(store.record_meeting(&a, &s, &bad, LATER).await.unwrap_err()),
        "meeting.kind_invalid"
    );
    assert_eq!(store.meetings(&s, org.id).await.unwrap().len(), 2);

    // Minutes can change until approved, never after.
    store
        .set_minutes(&a, &s, m.id, "讨论了三项议题。", false, LATER)
        .await
        .unwrap();
    let approved = store
        .set_minutes(&a, &s, m.id, "讨论并表决了两项议题。", true, LATER + 1)
        .await
        .unwrap();
    assert_eq!(approved.minutes_approved_at, Some(LATER + 1));
    let e = store
        .set_minutes(&a, &s, m.id, "改过的记录", false, LATER + 2)
        .await
        .unwrap_err();
    assert_eq!(code(e), "meeting.minutes_approved");
    assert_eq!(
        store.meeting(&s, m.id).await.unwrap().minutes.as_deref(),
        Some("讨论并表决了两项议题。")
    );

    // Scope: the other town sees neither the meeting nor the organisation's list.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    assert!(store.meeting(&baijiao, m.id).await.is_err());
    assert!(store.meetings(&baijiao, org.id).await.unwrap().is_empty());
    assert!(
        store
            .record_meeting(&a, &baijiao, &new(&full[..4]), LATER)
            .await
            .is_err()
    );

    // Every write has its audit entry: two meetings, two resolutions, two minutes.
    let (entries, _) = store
        .audit_list(&AuditFilter::default(), Page::new(None, Some(500)))
        .await
        .unwrap();
    let count = |entity: &str| entries.iter().filter(|e| e.entity == entity).count();
    assert_eq!((count("meeting"), count("resolution")), (4, 2));
}
both_backends!(branch_meetings_count_quorum_and_votes, meetings);

/// The roll is the register on the meeting's day: not yet joined, not yet full (no vote), or
/// arrived by a transfer confirmed later, each counts as it stood then.
async fn roll_on_the_day(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let org = store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部"), LATER)
        .await
        .unwrap();
    let other = store
        .create_org(&a, &s, branch(t.qianxi, "乾西村第二党支部"), LATER)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        let m = input(org.id, &format!("老党员{i}"), &id_number("19600101", i));
        ids.push(store.create_member(&a, &s, m, LATER).await.unwrap().id);
    }
    // Full since May 2026: probationary (no vote) at a March meeting.
    let mut late_full = input(org.id, "新转正", &id_number("19900101", 1));
    late_full.join_date = Some("2025-04-01".into());
    late_full.full_date = Some("2026-05-01".into());
    let late_full = store
        .create_member(&a, &s, late_full, LATER)
        .await
        .unwrap()
        .id;
    // Joined in June 2026: not on a March roll at all.
    let mut newcomer = input(org.id, "新党员", &id_number("19900101", 2));
    newcomer.status = "probationary".into();
    newcomer.join_date = Some("2026-06-01".into());
    newcomer.full_date = None;
    store.create_member(&a, &s, newcomer, LATER).await.unwrap();
    // Arrived from the other branch by a transfer confirmed in April.
    let mover = input(other.id, "转入者", &id_number("19800101", 3));
    let mover = store.create_member(&a, &s, mover, LATER).await.unwrap().id;
    let letter = jiceng_store::transfers::Letter {
        to_org_id: org.id,
        letter_no: "转〔2026〕1号",
        sent_on: "2026-04-01",
    };
    let tr = store
        .send_transfer(&a, &s, mover, &letter, LATER)
        .await
        .unwrap();
    store
        .close_transfer(&a, &s, tr.id, true, "2026-04-10", LATER)
        .await
        .unwrap();

    let march = store.meeting_roll(&s, org.id, "2026-03-20").await.unwrap();
    let names: Vec<(&str, bool)> = march.iter().map(|(_, n, v)| (n.as_str(), *v)).collect();
    assert_eq!(
        names,
        [
            ("新转正", false),
            ("老党员0", true),
            ("老党员1", true),
            ("老党员2", true)
        ]
    );
    let m = store
        .record_meeting(
            &a,
            &s,
            &NewMeeting {
                org_id: org.id,
                kind: "branch_assembly".into(),
                title: "三月支部党员大会".into(),
                held_on: "2026-03-20".into(),
                attendance: vec![
                    (ids[0], "present".into(), None),
                    (ids[1], "present".into(), None),
                ],
                ..Default::default()
            },
            LATER,
        )
        .await
        .unwrap();
    // Three with a vote then, two present: a quorum; the newcomer and the mover cannot be ticked.
    assert_eq!((m.should_attend, m.present, m.quorate), (3, 2, 1));
    assert!(
        store
            .attendance(&s, m.id)
            .await
            .unwrap()
            .iter()
            .any(|r| r.member_id == late_full && r.voting == 0)
    );
    let e = store
        .record_meeting(
            &a,
            &s,
            &NewMeeting {
                org_id: org.id,
                kind: "branch_assembly".into(),
                title: "x".into(),
                held_on: "2026-03-20".into(),
                attendance: vec![(mover, "present".into(), None)],
                ..Default::default()
            },
            LATER,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "meeting.not_in_org");
    // By July all six are on the roll, five with a vote.
    let july = store.meeting_roll(&s, org.id, "2026-07-01").await.unwrap();
    assert_eq!((july.len(), july.iter().filter(|r| r.2).count()), (6, 5));
}
both_backends!(
    the_roll_is_the_register_on_the_meetings_day,
    roll_on_the_day
);
