//! The 支委会 only where there is a committee (7 full members or more), and a history of meetings
//! imported in one go: checked as `record_meeting` checks, quorum computed, roll-ups moved so that
//! a rebuild finds the same.
use crate::members::{id_number, input};
use crate::transfers::code;
use crate::{T0, actor, branch, tree};
use jiceng_domain::life::Period;
use jiceng_domain::meeting::MeetingKind;
use jiceng_store::audit::AuditFilter;
use jiceng_store::meeting_import::HistoricMeeting;
use jiceng_store::meetings::NewMeeting;
use jiceng_store::sql::Page;
use jiceng_store::{Scope, Store, both_backends};

const DAY: i64 = 86_400_000;

fn by_kind(row: &jiceng_store::life::LifeRow, kind: MeetingKind) -> (i64, i64) {
    row.by_kind
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map_or((0, 0), |(_, d, m)| (*d, *m))
}

fn hm(org: i64, kind: &str, on: &str, present: &[i64]) -> HistoricMeeting {
    HistoricMeeting {
        org_id: org,
        kind: kind.into(),
        title: format!("{kind} {on}"),
        held_on: on.into(),
        attendance: present
            .iter()
            .map(|id| (*id, "present".to_string(), None))
            .collect(),
        ..Default::default()
    }
}

/// Branch F (乾西村) has 8 full members and a committee; branch E (白蕉某村) has 6 full members
/// and a probationary one, so no committee, until the probationary member is made full.
async fn committee_and_import(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let mut f = branch(t.qianxi, "乾西村党支部");
    f.founded_on = Some("2025-01-01".into());
    let f = store.create_org(&a, &s, f, T0).await.unwrap().id;
    let mut e = branch(t.other_village, "白蕉某村党支部");
    e.founded_on = Some("2025-01-01".into());
    let e = store.create_org(&a, &s, e, T0).await.unwrap().id;
    let mut fm = Vec::new();
    for i in 0..8 {
        let m = input(f, &format!("丁{i}"), &id_number("19800101", i));
        fm.push(store.create_member(&a, &s, m, T0).await.unwrap().id);
    }
    let mut em = Vec::new();
    for i in 0..6 {
        let m = input(e, &format!("戊{i}"), &id_number("19810101", i));
        em.push(store.create_member(&a, &s, m, T0).await.unwrap().id);
    }
    let mut late = input(e, "戊新", &id_number("19810101", 9));
    late.status = "probationary".into();
    late.join_date = Some("2025-03-01".into());
    late.full_date = None;
    let late_input = late.clone();
    let late = store.create_member(&a, &s, late, T0).await.unwrap().id;

    // One meeting recorded the usual way first: the import adds to what is there.
    let m = NewMeeting {
        org_id: f,
        kind: "theme_day".into(),
        title: "十月主题党日".into(),
        held_on: "2025-10-05".into(),
        ..Default::default()
    };
    store.record_meeting(&a, &s, &m, T0).await.unwrap();

    let mut history = vec![
        // F's committee of three meets in October; in November one came: no quorum.
        hm(f, "branch_committee", "2025-10-08", &fm[..3]),
        hm(f, "branch_committee", "2025-11-08", &fm[..1]),
        hm(f, "theme_day", "2025-11-05", &fm[..6]),
        hm(f, "theme_day", "2025-10-25", &fm[..6]),
        // Two of eight: below quorum, recorded, counts for nothing.
        hm(f, "branch_assembly", "2025-10-20", &fm[..2]),
        hm(f, "branch_assembly", "2025-11-20", &fm[..6]),
        // E has no committee, but three of its members met as one in November.
        hm(e, "branch_committee", "2025-11-09", &em[..3]),
        hm(e, "group_meeting", "2025-10-12", &em[..5]),
        // Before the probationary member joined the Party: not on the roll.
        hm(e, "party_lecture", "2025-02-15", &em),
    ];
    history[1].attendance.push((fm[1], "absent".into(), None));
    history[1]
        .attendance
        .push((fm[2], "leave".into(), Some("因病".into())));
    history[3]
        .attendance
        .push((fm[7], "leave".into(), Some("外出务工".into())));
    history[2].observations.push((
        "陈观察".into(),
        "按时召开，学习内容充实。".into(),
        Some("会前通知应提前发出".into()),
    ));
    let later = T0 + 40 * DAY;
    let sum = store
        .import_meeting_history(&a, &s, &history, "demo-life", later)
        .await
        .unwrap();
    assert_eq!(
        (sum.meetings, sum.without_quorum, sum.observations),
        (9, 2, 1)
    );
    // Rolls: 3 + 3 committee members; F's register (8) four times; E's 7, and 6 before 戊新 joined.
    assert_eq!(sum.attendance, 3 + 3 + 8 * 4 + 3 + 7 + 6);
    let incremental = store.life_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(
        incremental,
        store.life_snapshot().await.unwrap(),
        "rebuild == import"
    );

    // The import reads the roll as `record_meeting` does: the register on the day.
    let meetings = store.meetings(&s, e).await.unwrap();
    let lecture = meetings.iter().find(|m| m.kind == "party_lecture").unwrap();
    let roll: Vec<i64> = store
        .attendance(&s, lecture.id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.member_id)
        .collect();
    let mut expected: Vec<i64> = store
        .meeting_roll(&s, e, "2025-02-15")
        .await
        .unwrap()
        .iter()
        .map(|r| r.0)
        .collect();
    expected.sort_unstable();
    let mut roll_sorted = roll.clone();
    roll_sorted.sort_unstable();
    assert_eq!(roll_sorted, expected);
    assert!(!roll.contains(&late));
    let assembly = store
        .meetings(&s, f)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.held_on == "2025-10-20")
        .unwrap();
    assert_eq!(
        (assembly.should_attend, assembly.present, assembly.quorate),
        (8, 2, 0)
    );
    let committee = store
        .meetings(&s, f)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.held_on == "2025-11-08")
        .unwrap();
    assert_eq!(
        (
            committee.should_attend,
            committee.present,
            committee.quorate
        ),
        (3, 1, 0)
    );
    let theme = store
        .meetings(&s, f)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.held_on == "2025-10-25")
        .unwrap();
    let marks: Vec<(i64, String, Option<String>)> = store
        .attendance(&s, theme.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.status != "present")
        .map(|r| (r.member_id, r.status, r.reason))
        .collect();
    assert_eq!(
        marks,
        [
            (fm[6], "absent".to_string(), None),
            (fm[7], "leave".into(), Some("外出务工".into()))
        ]
    );

    // The fourth quarter on 10 December: only F owes the 支委会 (October met, November not);
    // E's committee meeting meets nothing it owed, and is not counted for F's November.
    let q4 = Period::parse("2025-Q4").unwrap();
    let today = "2025-12-10";
    let fig = store.life_figures(&s, t.county, &q4, today).await.unwrap();
    assert_eq!(by_kind(&fig.total, MeetingKind::BranchCommittee), (2, 1));
    assert_eq!(by_kind(&fig.total, MeetingKind::ThemeDay), (4, 2));
    let towns: Vec<(i64, i64)> = fig
        .children
        .iter()
        .map(|c| by_kind(c, MeetingKind::BranchCommittee))
        .collect();
    assert_eq!(towns, [(2, 1), (0, 0)]);
    let own = |org| store.org_life(&s, org, &q4, today);
    let committee_owed = |l: &jiceng_store::life::BranchLife| {
        l.owed
            .iter()
            .filter(|j| j.due.kind == MeetingKind::BranchCommittee)
            .count()
    };
    assert_eq!(committee_owed(&own(f).await.unwrap()), 3);
    assert_eq!(committee_owed(&own(e).await.unwrap()), 0);
    let county = store.place(&s, t.county).await.unwrap();
    let missed = store
        .life_branches(&s, &county.prefix(), &q4, today, true, 100)
        .await
        .unwrap()
        .unwrap();
    let committee_missed = |org| {
        missed
            .iter()
            .filter(|b| b.org_id == org)
            .flat_map(|b| b.missed())
            .filter(|j| j.due.kind == MeetingKind::BranchCommittee)
            .map(|j| j.period.label())
            .collect::<Vec<_>>()
    };
    assert_eq!(committee_missed(f), ["2025-11"]);
    assert!(committee_missed(e).is_empty());
    let kinds = |v: Vec<jiceng_domain::life::Due>| -> Vec<MeetingKind> {
        v.iter().map(|d| d.kind).collect()
    };
    let r = store.life_reminders(&s, f, "2025-12-26").await.unwrap();
    assert!(kinds(r).contains(&MeetingKind::BranchCommittee));
    let r = store.life_reminders(&s, e, "2025-12-26").await.unwrap();
    assert!(!kinds(r).contains(&MeetingKind::BranchCommittee));

    // 戊新 is made full: E has seven full members and owes the 支委会, judged by its register
    // as it stands, in October (missed) and November (met) too.
    let mut full = late_input;
    full.status = "full".into();
    full.full_date = Some("2025-12-01".into());
    store.update_member(&a, &s, late, full, T0).await.unwrap();
    let fig = store.life_figures(&s, t.county, &q4, today).await.unwrap();
    assert_eq!(by_kind(&fig.total, MeetingKind::BranchCommittee), (4, 2));
    assert_eq!(committee_owed(&own(e).await.unwrap()), 3);
    let r = store.life_reminders(&s, e, "2025-12-26").await.unwrap();
    assert!(kinds(r).contains(&MeetingKind::BranchCommittee));
    store.rollup_rebuild().await.unwrap();
    assert_eq!(
        store.life_figures(&s, t.county, &q4, today).await.unwrap(),
        fig,
        "the count of full members is the same after a rebuild"
    );

    // Refusals: nothing written, the meeting named.
    let before = store.life_snapshot().await.unwrap();
    let count = store.meetings(&s, f).await.unwrap().len();
    let mut stranger = hm(f, "theme_day", "2025-12-05", &fm[..2]);
    stranger.attendance.push((em[0], "present".into(), None));
    let future = hm(f, "theme_day", "2026-03-05", &[]);
    let mut probationary_on_committee = hm(e, "branch_committee", "2025-11-09", &em[..2]);
    probationary_on_committee
        .attendance
        .push((late, "present".into(), None));
    let mut twice = hm(f, "theme_day", "2025-12-06", &[]);
    twice.observations = vec![
        ("林观察".into(), "有发现".into(), None),
        ("林观察".into(), "再记一次".into(), None),
    ];
    for (bad, expected) in [
        (stranger, "meeting.not_in_org"),
        (future, "meeting.not_held_yet"),
        (
            hm(f, "joint_committees", "2025-12-05", &[]),
            "meeting.kind_invalid",
        ),
        (probationary_on_committee, "meeting.not_in_org"),
        (twice, "observation.twice"),
    ] {
        let batch = [hm(f, "group_meeting", "2025-12-03", &[]), bad];
        let err = store
            .import_meeting_history(&a, &s, &batch, "bad", later)
            .await
            .unwrap_err();
        assert_eq!(code(err), expected);
    }
    let out_of_scope = store.place(&s, t.baijiao).await.unwrap().scope();
    assert!(
        store
            .import_meeting_history(
                &a,
                &out_of_scope,
                &[hm(f, "theme_day", "2025-12-05", &[])],
                "x",
                later
            )
            .await
            .is_err()
    );
    assert_eq!(store.meetings(&s, f).await.unwrap().len(), count);
    assert_eq!(store.life_snapshot().await.unwrap(), before);

    // One audit entry for the batch.
    let (entries, _) = store
        .audit_list(&AuditFilter::default(), Page::new(None, Some(500)))
        .await
        .unwrap();
    let imports: Vec<_> = entries
        .iter()
        .filter(|x| x.entity == "meeting" && x.action == "import")
        .collect();
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0].entity_id, "demo-life");
}
both_backends!(
    committee_only_in_branches_of_seven_and_history_import,
    committee_and_import
);
