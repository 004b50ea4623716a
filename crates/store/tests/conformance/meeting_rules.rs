//! Meeting rules are rows with their effective days: a meeting is judged by the one in force.
use crate::transfers::code;
use crate::village::{body_meeting, seat};
use crate::{LATER, actor, branch, tree};
use jiceng_store::{Scope, Store, both_backends};

/// Meeting rules are data with a date: a stricter local rule for the 村民代表会议 from 2027 judges
/// meetings from then on, and leaves earlier ones as they were.
async fn rules_are_data(store: Store) {
    use jiceng_domain::meeting::{MeetingKind, MeetingRule, Quorum, Threshold};
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部"), LATER)
        .await
        .unwrap();
    let mut reps = Vec::new();
    for i in 0..9 {
        let p = store
            .add_person(&a, &s, t.qianxi, &format!("代表{i}"), None, LATER)
            .await
            .unwrap();
        store
            .add_seat(&a, &s, &seat(p.id, "representatives", "2026-01-01"), LATER)
            .await
            .unwrap();
        reps.push(p.id);
    }
    let mut stricter = MeetingRule::defaults()
        .into_iter()
        .find(|r| r.kind == MeetingKind::RepresentativesAssembly)
        .unwrap();
    stricter.effective_from = "2027-01-01".into();
    stricter.basis = "本地村民代表会议议事规则".into();
    stricter.quorum = Quorum::ShouldAttend(Threshold::at_least(3, 4));
    store.add_meeting_rule(&a, &stricter, LATER).await.unwrap();
    let e = store
        .add_meeting_rule(&a, &stricter, LATER)
        .await
        .unwrap_err();
    assert_eq!(code(e), "meeting.rule_exists");
    // 6 of 9: at least 2/3 in 2026, a quorum; under the 2027 rule 3/4 of 9 needs 7.
    let meet = |day: &'static str, n: usize| {
        let store = store.clone();
        let a = a.clone();
        let m = body_meeting(t.qianxi, "representatives_assembly", day, &reps[..n]);
        async move {
            store
                .record_body_meeting(&a, &Scope::All, &m, LATER)
                .await
                .unwrap()
                .quorate
        }
    };
    assert_eq!(meet("2026-12-20", 6).await, 1);
    assert_eq!(meet("2026-12-20", 5).await, 0);
    assert_eq!(meet("2027-01-05", 6).await, 0);
    assert_eq!(meet("2027-01-05", 7).await, 1);
    let rules = store.meeting_rules().await.unwrap();
    let in_force =
        MeetingRule::in_force(&rules, MeetingKind::RepresentativesAssembly, "2027-01-05").unwrap();
    assert_eq!(in_force.basis, "本地村民代表会议议事规则");
    let old =
        MeetingRule::in_force(&rules, MeetingKind::RepresentativesAssembly, "2026-12-31").unwrap();
    assert_ne!(old.basis, in_force.basis);
}
both_backends!(meeting_rules_are_data_with_a_date, rules_are_data);

/// The 村务公开 rule is data with a date too: a local rule asking for finances every 20 days from
/// 2027 makes a board overdue that the law's monthly rule left in time, from that day only.
async fn publication_rule_is_data(store: Store) {
    use jiceng_domain::village::PublicationRule;
    use jiceng_store::board::NewPublication;
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    for (category, title) in [("affairs", "村务公开"), ("finance", "12月财务收支")] {
        let p = NewPublication {
            place_id: t.qianxi,
            category: category.into(),
            title: title.into(),
            body: "收支明细见附表".into(),
            up_on: "2026-12-20".into(),
            down_on: "2027-01-20".into(),
            corrects_id: None,
        };
        store.publish(&a, &s, &p, LATER).await.unwrap();
    }
    let overdue = |day: &'static str| {
        let store = store.clone();
        async move {
            store
                .board_overdue(&Scope::All, None, day)
                .await
                .unwrap()
                .into_iter()
                .any(|o| o.place_id == t.qianxi)
        }
    };
    assert!(!overdue("2027-01-15").await, "26 days is within a month");
    let local = PublicationRule {
        effective_from: "2027-01-01".into(),
        basis: "本镇村务公开实施细则：财务每20天公开一次".into(),
        finance_every_days: 20,
        ..PublicationRule::defaults()
    };
    store.add_publication_rule(&a, &local, LATER).await.unwrap();
    let again = store.add_publication_rule(&a, &local, LATER).await;
    assert_eq!(code(again.unwrap_err()), "board.rule_exists");
    assert!(
        overdue("2027-01-15").await,
        "26 days is beyond the local 20"
    );
    assert!(
        !overdue("2026-12-31").await,
        "the law's rule still judges 2026"
    );
    assert_eq!(store.publication_rule("2027-01-15").await.unwrap(), local);
    let silly = PublicationRule {
        effective_from: "2027-02-01".into(),
        finance_every_days: 0,
        ..PublicationRule::defaults()
    };
    let e = store.add_publication_rule(&a, &silly, LATER).await;
    assert_eq!(code(e.unwrap_err()), "board.rule_invalid");
}
both_backends!(
    publication_rule_is_data_with_a_date,
    publication_rule_is_data
);
