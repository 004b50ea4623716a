//! Transfers between organisations: letter, in transit, received or withdrawn; never two at once.
use crate::members::id_number;
use crate::{T0, actor, branch, tree};
use jiceng_store::members::{MemberFilter, MemberInput};
use jiceng_store::orgs::NewOrg;
use jiceng_store::sql::Page;
use jiceng_store::transfers::{Letter, Side};
use jiceng_store::{Scope, Store, StoreError, both_backends};

pub fn code(e: StoreError) -> &'static str {
    match e {
        StoreError::Rule(d) => d.code,
        other => panic!("expected a rule error, got {other:?}"),
    }
}

async fn transfers(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let from = store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部"), T0)
        .await
        .unwrap();
    let to = store
        .create_org(&a, &s, branch(t.other_village, "白蕉某村党支部"), T0)
        .await
        .unwrap();
    let input = MemberInput {
        org_id: from.id,
        name: "转出党员".into(),
        id_number: id_number("19750505", 31),
        education: "college".into(),
        occupation: "worker".into(),
        status: "full".into(),
        ..Default::default()
    };
    let m = store
        .create_member(&a, &s, input.clone(), T0)
        .await
        .unwrap();
    let qianwu = store.place(&s, t.qianwu).await.unwrap().scope();
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    let members_at = |id| {
        let store = store.clone();
        async move {
            store
                .rollup_values(id)
                .await
                .unwrap()
                .get("members")
                .copied()
                .unwrap_or(0)
        }
    };

    // The sender (乾务镇) issues the letter to another town's branch: in transit, still theirs.
    let letter = Letter {
        to_org_id: to.id,
        letter_no: "斗组转〔2026〕12号",
        sent_on: "2026-11-01",
    };
    let tr = store
        .send_transfer(&a, &qianwu, m.id, &letter, T0)
        .await
        .unwrap();
    assert_eq!(tr.status, "in_transit");
    assert_eq!(store.member(&s, m.id).await.unwrap().org_id, from.id);
    // A second transfer while one is in transit is refused; so is moving the member by an edit.
    assert_eq!(
        code(
            store
                .send_transfer(&a, &qianwu, m.id, &letter, T0)
                .await
                .unwrap_err()
        ),
        "transfer.in_transit"
    );
    let mut moved = input.clone();
    moved.org_id = to.id;
    moved.id_number = String::new();
    assert_eq!(
        code(
            store
                .update_member(&a, &s, m.id, moved, T0)
                .await
                .unwrap_err()
        ),
        "transfer.in_transit"
    );
    // The receiver sees it among its incoming transfers; the sender cannot receive it.
    assert_eq!(
        store
            .transfers(&baijiao, Side::Incoming, true)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .transfers(&baijiao, Side::Outgoing, true)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .close_transfer(&a, &qianwu, tr.id, true, "2026-11-05", T0)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        (
            members_at(t.qianxi).await,
            members_at(t.other_village).await
        ),
        (1, 0)
    );

    // Received: the member moves, with the figures, in one step.
    let done = store
        .close_transfer(&a, &baijiao, tr.id, true, "2026-11-05", T0)
        .await
        .unwrap();
    assert_eq!(
        (done.status.as_str(), done.closed_on.as_deref()),
        ("confirmed", Some("2026-11-05"))
    );
    assert_eq!(store.member(&s, m.id).await.unwrap().org_id, to.id);
    // A search from the indexes (as in a region of more than 20,000 members) finds the member in
    // the receiving town only: on PostgreSQL the row's place code followed the organisation.
    let mut index_first = store.clone();
    index_first.search_index_first_above = 0;
    let search = |scope: Scope| {
        let store = index_first.clone();
        async move {
            let f = MemberFilter {
                q: Some("zcdy".into()),
                ..Default::default()
            };
            let (rows, total) = store
                .members(&scope, &f, Page::new(None, None))
                .await
                .unwrap();
            (rows.len(), total)
        }
    };
    assert_eq!(search(baijiao.clone()).await, (1, 1));
    assert_eq!(search(qianwu.clone()).await, (0, 0));
    assert_eq!(
        (
            members_at(t.qianxi).await,
            members_at(t.other_village).await
        ),
        (0, 1)
    );
    assert!(
        matches!(store.member(&qianwu, m.id).await, Err(StoreError::NotFound)),
        "no longer the sender's"
    );
    assert_eq!(
        code(
            store
                .close_transfer(&a, &baijiao, tr.id, true, "2026-11-06", T0)
                .await
                .unwrap_err()
        ),
        "transfer.closed"
    );

    // Back again, then withdrawn by the sender: nothing moves.
    let back = Letter {
        to_org_id: from.id,
        letter_no: "白组转1号",
        sent_on: "2026-11-10",
    };
    let tr2 = store
        .send_transfer(&a, &baijiao, m.id, &back, T0)
        .await
        .unwrap();
    assert!(matches!(
        store
            .close_transfer(&a, &qianwu, tr2.id, false, "2026-11-11", T0)
            .await,
        Err(StoreError::NotFound)
    ));
    store
        .close_transfer(&a, &baijiao, tr2.id, false, "2026-11-11", T0)
        .await
        .unwrap();
    assert_eq!(store.member(&s, m.id).await.unwrap().org_id, to.id);
    assert_eq!(store.member_transfers(&s, m.id).await.unwrap().len(), 2);
    // Bad input: no letter number, the member's own organisation, a Party group.
    let none = Letter {
        to_org_id: from.id,
        letter_no: " ",
        sent_on: "2026-11-10",
    };
    assert_eq!(
        code(
            store
                .send_transfer(&a, &s, m.id, &none, T0)
                .await
                .unwrap_err()
        ),
        "transfer.letter_required"
    );
    let same = Letter {
        to_org_id: to.id,
        letter_no: "x",
        sent_on: "2026-11-10",
    };
    assert_eq!(
        code(
            store
                .send_transfer(&a, &s, m.id, &same, T0)
                .await
                .unwrap_err()
        ),
        "transfer.same_org"
    );
    let group = NewOrg {
        parent_id: Some(from.id),
        place_id: t.qianxi,
        name: "小组".into(),
        kind: "group".into(),
        unit_ids: vec![],
        founded_on: None,
    };
    let group = store.create_org(&a, &s, group, T0).await.unwrap();
    let to_group = Letter {
        to_org_id: group.id,
        letter_no: "x",
        sent_on: "2026-11-10",
    };
    assert_eq!(
        code(
            store
                .send_transfer(&a, &s, m.id, &to_group, T0)
                .await
                .unwrap_err()
        ),
        "transfer.to_group"
    );
    // The register counts the member once, wherever they are.
    assert_eq!(
        store
            .members(&s, &MemberFilter::default(), Page::new(None, None))
            .await
            .unwrap()
            .1,
        1
    );
    // The member's village moved to the other town (its code changes): the search follows.
    let at = store.member(&s, m.id).await.unwrap();
    let town = store.place(&s, t.qianwu).await.unwrap().code;
    let (to_town, to_scope, from_scope) = if at.place_code[..9] == town[..9] {
        (t.baijiao, baijiao.clone(), qianwu.clone())
    } else {
        (t.qianwu, qianwu.clone(), baijiao.clone())
    };
    let new_code = format!("{}299", &store.place(&s, to_town).await.unwrap().code[..9]);
    store
        .move_place(&a, &s, at.place_id, to_town, Some(&new_code), T0)
        .await
        .unwrap();
    assert_eq!(search(to_scope).await, (1, 1));
    assert_eq!(search(from_scope).await, (0, 0));
    let incremental = store.rollup_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(incremental, store.rollup_snapshot().await.unwrap());
}
both_backends!(transfers_move_members_once_received, transfers);

async fn formation(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let committee = NewOrg {
        parent_id: None,
        place_id: t.qianwu,
        name: "镇党委".into(),
        kind: "committee".into(),
        unit_ids: vec![],
        founded_on: None,
    };
    let committee = store.create_org(&a, &s, committee, T0).await.unwrap();
    let branch = NewOrg {
        parent_id: Some(committee.id),
        place_id: t.qianxi,
        name: "小支部".into(),
        kind: "branch".into(),
        unit_ids: vec![],
        founded_on: None,
    };
    let branch = store.create_org(&a, &s, branch, T0).await.unwrap();
    for (i, status) in ["full", "full", "probationary", "left"].iter().enumerate() {
        let input = MemberInput {
            org_id: branch.id,
            name: format!("党员{i}"),
            id_number: id_number("19800808", 40 + i as u32),
            education: "college".into(),
            occupation: "farmer".into(),
            status: (*status).into(),
            ..Default::default()
        };
        store.create_member(&a, &s, input, T0).await.unwrap();
    }
    let sizes = store.org_sizes(&s).await.unwrap();
    let of = |id| sizes.iter().find(|o| o.id == id).cloned().unwrap();
    // The branch: 3 current members (the one who left does not count), 2 of them full.
    assert_eq!((of(branch.id).members, of(branch.id).full), (3, 2));
    // The committee counts everything registered below it.
    assert_eq!((of(committee.id).members, of(committee.id).full), (3, 0));
    let rule = jiceng_domain::FormationRule::default();
    let warn = |o: &jiceng_store::formation::OrgSize| {
        jiceng_domain::org::formation_warning(
            &rule,
            jiceng_domain::OrgKind::parse(&o.kind).unwrap(),
            o.members,
            o.full,
        )
        .map(|w| w.0)
    };
    assert_eq!(warn(&of(branch.id)), Some("org.too_few_full_members"));
    assert_eq!(warn(&of(committee.id)), Some("org.committee_too_small"));
    // Scope: another town sees none of them.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    assert!(store.org_sizes(&baijiao).await.unwrap().is_empty());
}
both_backends!(organisation_sizes_for_the_formation_check, formation);

async fn recruitment(store: Store) {
    use jiceng_store::recruitment::NewStep;
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let branch = NewOrg {
        parent_id: None,
        place_id: t.qianxi,
        name: "乾西村党支部".into(),
        kind: "branch".into(),
        unit_ids: vec![],
        founded_on: None,
    };
    let branch = store.create_org(&a, &s, branch, T0).await.unwrap();
    let input = MemberInput {
        org_id: branch.id,
        name: "申请人".into(),
        id_number: id_number("20080601", 51),
        education: "secondary".into(),
        occupation: "student".into(),
        status: "applicant".into(),
        ..Default::default()
    };
    let m = store.create_member(&a, &s, input, T0).await.unwrap();
    let step = |n: u8, date: &'static str| NewStep {
        step: n,
        date,
        value: if n == 11 { Some(24) } else { None },
        note: "",
    };
    // Seventeen on the day: refused with the date it becomes possible.
    let e = store
        .record_step(&a, &s, m.id, &step(1, "2026-05-31"), T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "recruitment.applicant_minor");
    assert_eq!(
        code(
            store
                .record_step(&a, &s, m.id, &step(2, "2026-06-02"), T0)
                .await
                .unwrap_err()
        ),
        "recruitment.out_of_order"
    );
    let dates = [
        "2026-06-01",
        "2026-06-20",
        "2026-09-01",
        "2026-09-02",
        "2026-09-03",
        "2027-03-01",
        "2027-09-01",
        "2027-09-02",
        "2027-09-03",
        "2027-09-04",
        "2027-09-10",
        "2027-09-20",
        "2027-09-21",
        "2027-09-22",
        "2027-10-01",
        "2027-10-02",
        "2027-10-03",
        "2027-10-04",
        "2027-10-05",
        "2027-10-06",
        "2028-06-01",
        "2028-09-01",
    ];
    for (i, d) in dates.iter().enumerate() {
        store
            .record_step(&a, &s, m.id, &step(i as u8 + 1, d), T0)
            .await
            .unwrap_or_else(|e| panic!("step {}: {e:?}", i + 1));
    }
    // Statuses follow: probationary since the admission vote (step 15), with the join date.
    let now = store.member(&s, m.id).await.unwrap();
    assert_eq!(
        (now.status.as_str(), now.join_date.as_deref()),
        ("probationary", Some("2027-10-01"))
    );
    // Probation is a year: the full-membership vote is refused a day early, with the date.
    let e = store
        .record_step(&a, &s, m.id, &step(23, "2028-09-30"), T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "recruitment.probation_not_complete");
    // Extended once by six months, then the vote is possible from 2029-04-01.
    store
        .extend_probation(&a, &s, m.id, 6, "2028-09-15", T0)
        .await
        .unwrap();
    assert_eq!(
        code(
            store
                .extend_probation(&a, &s, m.id, 6, "2028-09-16", T0)
                .await
                .unwrap_err()
        ),
        "recruitment.extended_once"
    );
    assert_eq!(
        code(
            store
                .record_step(&a, &s, m.id, &step(23, "2029-03-31"), T0)
                .await
                .unwrap_err()
        ),
        "recruitment.probation_not_complete"
    );
    store
        .record_step(&a, &s, m.id, &step(23, "2029-04-01"), T0)
        .await
        .unwrap();
    let full = store.member(&s, m.id).await.unwrap();
    assert_eq!(
        (full.status.as_str(), full.full_date.as_deref()),
        ("full", Some("2029-04-01"))
    );
    let (file, rows) = store.recruitment_file(&s, m.id).await.unwrap();
    assert_eq!((file.next_step(), rows.len()), (Some(24), 24));
    // A full member (the one just admitted) cannot be taken back to applicant by an out-of-place step,
    // nor can an imported full member start a file at step 1.
    let imported = MemberInput {
        org_id: branch.id,
        name: "老党员".into(),
        id_number: id_number("19600101", 53),
        education: "college".into(),
        occupation: "retiree".into(),
        status: "full".into(),
        ..Default::default()
    };
    let old = store.create_member(&a, &s, imported, T0).await.unwrap();
    assert_eq!(
        code(
            store
                .record_step(&a, &s, old.id, &step(1, "2026-01-01"), T0)
                .await
                .unwrap_err()
        ),
        "recruitment.status_behind"
    );
    assert_eq!(store.member(&s, old.id).await.unwrap().status, "full");
    // Due lists: the talk is due a month after the application; after step 24 nothing is fixed.
    assert!(
        store
            .recruitment_due(&s, "2030-01-01")
            .await
            .unwrap()
            .is_empty()
    );
    let input2 = MemberInput {
        org_id: branch.id,
        name: "新申请人".into(),
        id_number: id_number("19950101", 52),
        education: "college".into(),
        occupation: "worker".into(),
        status: "applicant".into(),
        ..Default::default()
    };
    let m2 = store.create_member(&a, &s, input2, T0).await.unwrap();
    store
        .record_step(&a, &s, m2.id, &step(1, "2026-11-10"), T0)
        .await
        .unwrap();
    assert!(
        store
            .recruitment_due(&s, "2026-12-09")
            .await
            .unwrap()
            .is_empty()
    );
    let due = store.recruitment_due(&s, "2026-12-31").await.unwrap();
    assert_eq!(
        due.iter()
            .map(|d| (d.name.as_str(), d.step, d.date.as_str(), d.deadline))
            .collect::<Vec<_>>(),
        [("新申请人", 2, "2026-12-10", true)]
    );
    // Scope: another town cannot read or write the file.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    assert!(matches!(
        store.recruitment_file(&baijiao, m.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .record_step(&a, &baijiao, m.id, &step(24, "2029-04-02"), T0)
            .await,
        Err(StoreError::NotFound)
    ));
}
both_backends!(recruitment_steps_in_order_with_their_periods, recruitment);
