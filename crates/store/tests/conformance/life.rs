//! 三会一课 compliance: figures per node and period (owed counted from the branches, met from the
//! roll-ups), drill-down, the non-compliant list, a branch's own page and reminders; the roll-ups
//! carried along by moves and equal to a rebuild; red observers; the lapse watch's months without
//! organisational life; a member's meetings.
use crate::members::{id_number, input};
use crate::transfers::code;
use crate::{T0, actor, branch, tree};
use jiceng_domain::life::Period;
use jiceng_domain::meeting::MeetingKind;
use jiceng_store::audit::AuditFilter;
use jiceng_store::meetings::NewMeeting;
use jiceng_store::observations::NewObservation;
use jiceng_store::orgs::NewOrg;
use jiceng_store::sql::Page;
use jiceng_store::{Scope, Store, both_backends};

fn founded(mut o: NewOrg, on: &str) -> NewOrg {
    o.founded_on = Some(on.into());
    o
}

async fn meet(store: &Store, org: i64, kind: &str, on: &str, present: &[i64]) -> i64 {
    let m = NewMeeting {
        org_id: org,
        kind: kind.into(),
        title: format!("{kind} {on}"),
        held_on: on.into(),
        attendance: present
            .iter()
            .map(|id| (*id, "present".to_string(), None))
            .collect(),
        ..Default::default()
    };
    store
        // Recorded on a later day: a meeting is recorded once held.
        .record_meeting(&actor(), &Scope::All, &m, crate::LATER)
        .await
        .unwrap()
        .id
}

fn by_kind(row: &jiceng_store::life::LifeRow, kind: MeetingKind) -> (i64, i64) {
    row.by_kind
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map_or((0, 0), |(_, d, m)| (*d, *m))
}

fn held(row: &jiceng_store::life::LifeRow, kind: MeetingKind) -> i64 {
    row.held
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(0, |(_, n)| *n)
}

/// A branch A (乾西村, founded in January) with members and meetings, B (白蕉某村), C founded in
/// mid-November, D closed on T0 (24 November), and a 党委 at the town that owes nothing.
async fn life(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let org = |o| store.create_org(&a, &s, o, T0);
    let branch_a = org(founded(branch(t.qianxi, "乾西村党支部"), "2025-01-01"))
        .await
        .unwrap()
        .id;
    let branch_b = org(founded(
        branch(t.other_village, "白蕉某村党支部"),
        "2025-01-01",
    ))
    .await
    .unwrap()
    .id;
    let branch_c = org(founded(branch(t.qianxi, "乾西村新支部"), "2025-11-15"))
        .await
        .unwrap()
        .id;
    let branch_d = org(founded(branch(t.qianxi, "乾西村旧支部"), "2025-01-01"))
        .await
        .unwrap()
        .id;
    let mut committee = branch(t.qianwu, "乾务镇党委");
    committee.kind = "committee".into();
    let committee = org(committee).await.unwrap().id;
    store.close_org(&a, &s, branch_d, T0).await.unwrap();
    // Three full members with a vote, one probationary who joined in November.
    let mut members = Vec::new();
    for i in 0..3 {
        let m = input(branch_a, &format!("甲{i}"), &id_number("19800101", i));
        members.push(store.create_member(&a, &s, m, T0).await.unwrap().id);
    }
    let mut late = input(branch_a, "甲新", &id_number("19800101", 9));
    late.status = "probationary".into();
    late.join_date = Some("2025-11-10".into());
    late.full_date = None;
    let late = store.create_member(&a, &s, late, T0).await.unwrap().id;
    let c_member = store
        .create_member(
            &a,
            &s,
            input(branch_c, "丙", &id_number("19800101", 20)),
            T0,
        )
        .await
        .unwrap()
        .id;

    meet(&store, branch_a, "theme_day", "2025-10-05", &[members[0]]).await;
    meet(&store, branch_a, "group_meeting", "2025-10-10", &[]).await;
    let assembly = meet(
        &store,
        branch_a,
        "branch_assembly",
        "2025-10-20",
        &members[1..3],
    )
    .await;
    let theme = meet(&store, branch_a, "theme_day", "2025-11-05", &[members[0]]).await;
    meet(&store, branch_a, "party_lecture", "2025-11-01", &[]).await;
    // Below quorum (1 of 3): recorded, counts for nothing.
    meet(
        &store,
        branch_a,
        "branch_assembly",
        "2025-11-20",
        &members[..1],
    )
    .await;
    // A second theme day in October changes nothing: the month was met already.
    meet(&store, branch_a, "theme_day", "2025-10-25", &[]).await;
    meet(&store, branch_b, "theme_day", "2025-10-06", &[]).await;
    meet(&store, committee, "party_lecture", "2025-10-01", &[]).await;
    // Before A was founded: held, but no period is met that A did not owe.
    meet(&store, branch_a, "theme_day", "2024-12-20", &[]).await;
    let rows = store.life_snapshot().await.unwrap();
    assert!(
        rows.iter()
            .any(|r| r.1 == "life.held.theme_day" && r.2 == "2024-12")
    );
    assert!(
        !rows
            .iter()
            .any(|r| r.2 == "2024-12" && r.1.starts_with("life.met."))
    );
    // The 党委's lecture is held at the town but meets nothing: only A's lecture does.
    let lecture_met = rows
        .iter()
        .find(|r| r.0 == t.qianwu && r.1 == "life.met.party_lecture" && r.2 == "2025-Q4")
        .map(|r| r.3);
    assert_eq!(lecture_met, Some(1));

    // The fourth quarter on 10 December: October and November judged, December and the quarter
    // running. Owed: A, B and D from October (C was founded in November), A, B and C in December.
    let q4 = Period::parse("2025-Q4").unwrap();
    let today = "2025-12-10";
    let f = store.life_figures(&s, t.county, &q4, today).await.unwrap();
    // Group meeting and theme day, in October and November, by three branches; none has the 7
    // full members that make a committee, so none owes a 支委会 (`life_committee.rs`).
    assert_eq!((f.total.due(), f.total.met()), (12, 4));
    assert_eq!(f.total.rate(), Some(333));
    assert_eq!(by_kind(&f.total, MeetingKind::ThemeDay), (6, 3));
    assert_eq!(by_kind(&f.total, MeetingKind::GroupMeeting), (6, 1));
    assert_eq!(by_kind(&f.total, MeetingKind::BranchCommittee), (0, 0));
    // Running: the quarter's assembly and lecture (3 + 3) and December's two (2 × 3); the
    // assembly and the lecture of A are met already.
    assert_eq!(f.total.running, (12, 2));
    assert_eq!(f.total.branches, 3);
    assert_eq!(held(&f.total, MeetingKind::ThemeDay), 4);
    assert_eq!(
        held(&f.total, MeetingKind::BranchAssembly),
        1,
        "only the valid one"
    );
    assert_eq!(
        held(&f.total, MeetingKind::PartyLecture),
        2,
        "the 党委's too"
    );
    // Drill-down: 乾务镇 holds A and D (and C from December), 白蕉镇 holds B.
    let names: Vec<(&str, i64, i64)> = f
        .children
        .iter()
        .map(|c| (c.name.as_str(), c.due(), c.met()))
        .collect();
    assert_eq!(names, [("乾务镇", 8, 3), ("白蕉镇", 4, 1)]);
    assert!(f.here.is_none());
    let town = store.life_figures(&s, t.qianwu, &q4, today).await.unwrap();
    assert_eq!(town.children.len(), 1);
    assert_eq!(town.children[0].place_id, Some(t.qianxi));
    // The 党委 sits at the town itself: its lecture shows there, and it owes nothing.
    let here = town.here.clone().unwrap();
    assert_eq!((here.due(), held(&here, MeetingKind::PartyLecture)), (0, 1));
    // A month holds only the monthly requirements; a year also the yearly ones.
    let nov = Period::parse("2025-11").unwrap();
    let f = store.life_figures(&s, t.county, &nov, today).await.unwrap();
    assert_eq!((f.total.due(), f.total.met()), (6, 1));
    assert_eq!(f.total.running, (0, 0));

    // The branches behind the figure: every one that missed something, and what.
    let county = store.place(&s, t.county).await.unwrap();
    let list = store
        .life_branches(&s, &county.prefix(), &q4, today, true, 100)
        .await
        .unwrap()
        .unwrap();
    let mut names: Vec<&str> = list.iter().map(|b| b.org_name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["乾西村党支部", "乾西村旧支部", "白蕉某村党支部"]);
    let own = list.iter().find(|b| b.org_id == branch_a).unwrap();
    let missed: Vec<String> = own
        .missed()
        .iter()
        .map(|j| format!("{}{}", j.due.kind.as_str(), j.period.label()))
        .collect();
    assert_eq!(missed, ["group_meeting2025-11"]);
    // Too many to list at this level: read a level further down.
    assert!(
        store
            .life_branches(&s, &county.prefix(), &q4, today, true, 2)
            .await
            .unwrap()
            .is_none()
    );
    // Scope: the other town's list holds only its own.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    let theirs = store
        .life_branches(&baijiao, &county.prefix(), &q4, today, false, 100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(theirs.len(), 1);
    assert!(
        store
            .life_figures(&baijiao, t.qianwu, &q4, today)
            .await
            .is_err()
    );
    assert!(
        store
            .org_life(&baijiao, branch_a, &q4, today)
            .await
            .is_err()
    );

    // One branch's page: A owed everything; C only December; the 党委 nothing.
    let own = store.org_life(&s, branch_a, &q4, today).await.unwrap();
    assert_eq!(
        (own.owed.len(), own.due(), own.met(), own.rate()),
        (8, 4, 3, Some(750))
    );
    let c = store.org_life(&s, branch_c, &q4, today).await.unwrap();
    assert_eq!((c.owed.len(), c.rate()), (2, None));
    assert!(
        store
            .org_life(&s, committee, &q4, today)
            .await
            .unwrap()
            .owed
            .is_empty()
    );

    // Reminders a week before the period ends: December's three and the year's two for A (its
    // quarter is met); only December's for C, which did not owe the quarter or the year.
    let kinds = |v: Vec<jiceng_domain::life::Due>| -> Vec<&'static str> {
        v.iter().map(|d| d.kind.as_str()).collect()
    };
    let r = store
        .life_reminders(&s, branch_a, "2025-12-26")
        .await
        .unwrap();
    assert_eq!(
        kinds(r),
        ["group_meeting", "theme_day", "life_meeting", "appraisal"]
    );
    let r = store
        .life_reminders(&s, branch_c, "2025-12-26")
        .await
        .unwrap();
    assert_eq!(kinds(r), ["group_meeting", "theme_day"]);
    assert!(
        store
            .life_reminders(&s, branch_a, "2025-12-20")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .life_reminders(&s, committee, "2025-12-26")
            .await
            .unwrap()
            .is_empty()
    );

    // Red observers: recorded against a meeting held, counted in its month; refusals change nothing.
    let obs = |meeting_id: i64, name: &str, findings: &str| NewObservation {
        meeting_id,
        observer_user_id: None,
        observer_name: name.into(),
        findings: findings.into(),
        suggestions: Some("会前通知应提前发出".into()),
    };
    store
        .record_observation(
            &a,
            &s,
            &obs(theme, "陈观察", "按时召开，学习内容充实。"),
            T0,
        )
        .await
        .unwrap();
    for (o, expected) in [
        (obs(theme, "陈观察", "再记一次"), "observation.twice"),
        (obs(theme, "林观察", "  "), "observation.findings_missing"),
        (obs(theme, "", "有发现"), "observation.observer_missing"),
        (
            obs(theme, "林观察", &"长".repeat(2001)),
            "observation.text_too_long",
        ),
    ] {
        let e = store.record_observation(&a, &s, &o, T0).await.unwrap_err();
        assert_eq!(code(e), expected);
    }
    let future = meet(&store, branch_a, "theme_day", "2025-12-28", &[]).await;
    let e = store
        .record_observation(&a, &s, &obs(future, "林观察", "有发现"), T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "observation.not_held_yet");
    assert!(
        store
            .record_observation(&a, &baijiao, &obs(assembly, "林观察", "有发现"), T0)
            .await
            .is_err()
    );
    assert_eq!(store.observations(&s, theme).await.unwrap().len(), 1);
    let f = store.life_figures(&s, t.county, &q4, today).await.unwrap();
    assert_eq!(f.total.observed, 1);
    assert_eq!(f.children[0].observed, 1);

    // Lapse: counted from the later of joining the organisation and its first meeting record.
    // On 10 April 2026: 甲0 was last present on 20 November (Dec–Mar: 4 months, warned); 甲1 and
    // 甲2 on 20 October (Nov–Mar: 5, warned); 甲新 joined on 10 November and never came (Nov–Mar:
    // 5, warned; counted from the branch's first meeting it would be 6).
    let lapse = store.life_lapse(&s, None, "2026-04-10").await.unwrap();
    let seen: Vec<(&str, u32, bool)> = lapse
        .iter()
        .map(|l| (l.name.as_str(), l.months, l.flagged()))
        .collect();
    assert_eq!(
        seen,
        [
            ("甲1", 5, false),
            ("甲2", 5, false),
            ("甲新", 5, false),
            ("甲0", 4, false)
        ]
    );
    // A month later those three reach six and are flagged; 丙's branch recorded no meeting at
    // all, so 丙 is never counted.
    let lapse = store.life_lapse(&s, None, "2026-05-10").await.unwrap();
    let flagged: Vec<&str> = lapse
        .iter()
        .filter(|l| l.flagged())
        .map(|l| l.name.as_str())
        .collect();
    assert_eq!(flagged, ["甲1", "甲2", "甲新"]);
    assert!(lapse.iter().all(|l| l.member_id != c_member));
    assert_eq!(
        lapse
            .iter()
            .find(|l| l.member_id == late)
            .map(|l| l.counted_from.as_str()),
        Some("2025-11-10")
    );
    assert!(
        store
            .life_lapse(&baijiao, None, "2026-05-10")
            .await
            .unwrap()
            .is_empty()
    );

    // A member's meetings: every meeting whose roll lists them (all of A's, the roll is the
    // branch's members), latest first; none of another branch's.
    let mine = store.member_meetings(&s, members[0], today).await.unwrap();
    assert_eq!(mine.len(), 9);
    assert_eq!(mine[0].held_on, "2025-12-28");
    assert!(
        store
            .member_meetings(&baijiao, members[0], today)
            .await
            .is_err()
    );

    // Moves carry the figures: 白蕉某村 (with B) into 乾务镇, then B's branch into 乾西村.
    let before = store.life_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(
        before,
        store.life_snapshot().await.unwrap(),
        "rebuild == incremental"
    );
    store
        .move_place(&a, &s, t.other_village, t.qianwu, Some("440403105202"), T0)
        .await
        .unwrap();
    let f = store.life_figures(&s, t.county, &q4, today).await.unwrap();
    assert_eq!((f.children[0].due(), f.children[0].met()), (12, 4));
    assert_eq!((f.children[1].due(), f.children[1].met()), (0, 0));
    store
        .move_org(&a, &s, branch_b, None, Some(t.qianxi), T0)
        .await
        .unwrap();
    meet(&store, branch_b, "group_meeting", "2025-11-11", &[]).await;
    let incremental = store.life_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(
        incremental,
        store.life_snapshot().await.unwrap(),
        "after moves"
    );
    let f = store.life_figures(&s, t.qianwu, &q4, today).await.unwrap();
    assert_eq!((f.total.due(), f.total.met()), (12, 5));
    assert_eq!(f.children.len(), 2);
    assert_eq!(f.children[0].met(), 5, "乾西村 holds A and now B");

    // Every write audited: one per observation recorded.
    let (entries, _) = store
        .audit_list(&AuditFilter::default(), Page::new(None, Some(500)))
        .await
        .unwrap();
    assert_eq!(
        entries.iter().filter(|e| e.entity == "observation").count(),
        1
    );
}
both_backends!(life_compliance_figures_observers_and_lapse, life);
