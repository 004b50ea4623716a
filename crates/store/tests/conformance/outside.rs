//! Transfers to and from outside the system, and dues collected for a whole branch at once.
use crate::members::id_number;
use crate::transfers::code;
use crate::{T0, actor, tree};
use jiceng_store::audit::AuditFilter;
use jiceng_store::dues::Payment;
use jiceng_store::members::MemberInput;
use jiceng_store::orgs::NewOrg;
use jiceng_store::sql::Page;
use jiceng_store::transfers::{Arrival, OutLetter, Side};
use jiceng_store::{Scope, Store, StoreError, both_backends};

fn branch(place_id: i64, name: &str) -> NewOrg {
    NewOrg {
        parent_id: None,
        place_id,
        name: name.into(),
        kind: "branch".into(),
        unit_ids: vec![],
        founded_on: None,
    }
}

async fn members_at(store: &Store, place: i64) -> i64 {
    store
        .rollup_values(place)
        .await
        .unwrap()
        .get("members")
        .copied()
        .unwrap_or(0)
}

async fn outside(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let here = store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部"), T0)
        .await
        .unwrap();
    let there = store
        .create_org(&a, &s, branch(t.other_village, "白蕉某村党支部"), T0)
        .await
        .unwrap();
    let qianwu = store.place(&s, t.qianwu).await.unwrap().scope();
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    let input = MemberInput {
        org_id: here.id,
        name: "外出党员".into(),
        id_number: id_number("19820303", 41),
        education: "college".into(),
        occupation: "worker".into(),
        status: "full".into(),
        ..Default::default()
    };
    let m = store
        .create_member(&a, &s, input.clone(), T0)
        .await
        .unwrap();
    assert_eq!(members_at(&store, t.qianwu).await, 1);

    // The letter needs the organisation outside and a number; another town cannot send it.
    let letter = OutLetter {
        counterpart: "广西壮族自治区南宁市某街道党工委",
        letter_no: "斗组外转〔2026〕3号",
        sent_on: "2026-11-02",
    };
    let blank = OutLetter {
        counterpart: " ",
        ..letter
    };
    assert_eq!(
        code(
            store
                .send_transfer_out(&a, &qianwu, m.id, &blank, T0)
                .await
                .unwrap_err()
        ),
        "transfer.counterpart_required"
    );
    assert!(matches!(
        store
            .send_transfer_out(&a, &baijiao, m.id, &letter, T0)
            .await,
        Err(StoreError::NotFound)
    ));
    let out = store
        .send_transfer_out(&a, &qianwu, m.id, &letter, T0)
        .await
        .unwrap();
    assert_eq!(
        (out.direction.as_str(), out.status.as_str(), out.to_org_id),
        ("out", "in_transit", None)
    );
    assert_eq!(out.to_name(), letter.counterpart);
    // In transit: still here and counted, and nothing else may start.
    assert_eq!(members_at(&store, t.qianwu).await, 1);
    assert_eq!(
        code(
            store
                .send_transfer_out(&a, &qianwu, m.id, &letter, T0)
                .await
                .unwrap_err()
        ),
        "transfer.in_transit"
    );
    // Nobody in the system receives it: the receiving town has nothing incoming.
    assert!(
        store
            .transfers(&baijiao, Side::Incoming, true)
            .await
            .unwrap()
            .is_empty()
    );
    // The receipt comes back: the sender records it; the member leaves the count, keeps the record.
    let done = store
        .close_transfer(&a, &qianwu, out.id, true, "2026-11-20", T0)
        .await
        .unwrap();
    assert_eq!(done.status, "confirmed");
    let gone = store.member(&s, m.id).await.unwrap();
    assert_eq!(gone.status, "transferred_out");
    assert_eq!(members_at(&store, t.qianwu).await, 0);
    // A rebuild agrees: 已转出 is not counted; the register's default list leaves it out too.
    store.rollup_rebuild().await.unwrap();
    assert_eq!(members_at(&store, t.qianwu).await, 0);
    let listed = store
        .members(&s, &Default::default(), Page::new(Some(1), Some(50)))
        .await
        .unwrap();
    assert!(
        listed.0.iter().all(|x| x.id != m.id),
        "a former member in the default list"
    );
    assert_eq!(
        code(
            store
                .close_transfer(&a, &qianwu, out.id, true, "2026-11-21", T0)
                .await
                .unwrap_err()
        ),
        "transfer.closed"
    );
    // The record is read-only now: no edit, no new transfer, and no form or sheet may set 已转出.
    assert_eq!(
        code(
            store
                .update_member(&a, &s, m.id, input.clone(), T0)
                .await
                .unwrap_err()
        ),
        "member.transferred_out"
    );
    assert_eq!(
        code(
            store
                .send_transfer_out(&a, &qianwu, m.id, &letter, T0)
                .await
                .unwrap_err()
        ),
        "transfer.not_current"
    );
    let mut forged = input.clone();
    forged.id_number = id_number("19820303", 42);
    forged.status = "transferred_out".into();
    assert_eq!(
        code(store.create_member(&a, &s, forged, T0).await.unwrap_err()),
        "member.choice_invalid"
    );

    // Years later they come back with a letter, to the other town: their own record returns.
    let arrival = Arrival {
        counterpart: "广西壮族自治区南宁市某街道党工委",
        letter_no: "南组转〔2028〕9号",
        received_on: "2026-11-25",
    };
    let mut back = input.clone();
    back.org_id = there.id;
    // The receiving side registers in its own scope only.
    assert!(matches!(
        store
            .admit_from_outside(&a, &qianwu, back.clone(), &arrival, T0)
            .await,
        Err(StoreError::Rule(_))
    ));
    let (returned, tin) = store
        .admit_from_outside(&a, &baijiao, back.clone(), &arrival, T0)
        .await
        .unwrap();
    assert_eq!(returned.id, m.id);
    assert_eq!(
        (returned.org_id, returned.status.as_str()),
        (there.id, "full")
    );
    assert_eq!(
        (tin.direction.as_str(), tin.status.as_str(), tin.from_org_id),
        ("in", "confirmed", None)
    );
    assert_eq!(tin.from_name(), arrival.counterpart);
    assert_eq!(members_at(&store, t.baijiao).await, 1);
    assert_eq!(members_at(&store, t.qianwu).await, 0);
    // A registered member cannot "arrive" a second time.
    assert_eq!(
        code(
            store
                .admit_from_outside(&a, &baijiao, back, &arrival, T0)
                .await
                .unwrap_err()
        ),
        "member.id_number_taken"
    );
    // A newcomer from outside becomes a new member; the letter number is required.
    let newcomer = MemberInput {
        org_id: there.id,
        name: "外省转入".into(),
        id_number: id_number("19900909", 43),
        education: "bachelor".into(),
        occupation: "employee".into(),
        status: "probationary".into(),
        ..Default::default()
    };
    let no_letter = Arrival {
        letter_no: "",
        ..arrival
    };
    assert_eq!(
        code(
            store
                .admit_from_outside(&a, &baijiao, newcomer.clone(), &no_letter, T0)
                .await
                .unwrap_err()
        ),
        "transfer.letter_required"
    );
    // Only a current member's relation arrives: not someone who left the Party.
    let left = MemberInput {
        status: "left".into(),
        ..newcomer.clone()
    };
    assert_eq!(
        code(
            store
                .admit_from_outside(&a, &baijiao, left, &arrival, T0)
                .await
                .unwrap_err()
        ),
        "transfer.not_current"
    );
    let (n, _) = store
        .admit_from_outside(&a, &baijiao, newcomer, &arrival, T0)
        .await
        .unwrap();
    assert_eq!(n.status, "probationary");
    assert_eq!(members_at(&store, t.baijiao).await, 2);
    // The member's history shows both letters; the receiving town lists the arrivals.
    let history = store.member_transfers(&s, m.id).await.unwrap();
    assert_eq!(history.len(), 2);
    let listed = store
        .transfers(&baijiao, Side::Outgoing, false)
        .await
        .unwrap();
    assert_eq!(listed.iter().filter(|t| t.direction == "in").count(), 2);
    // Every step is on file.
    let (entries, _) = store
        .audit_list(&AuditFilter::default(), Page::new(Some(1), Some(100)))
        .await
        .unwrap();
    for action in [
        "transfer_send_out",
        "transfer_receive",
        "transfer_in_outside",
    ] {
        assert!(entries.iter().any(|e| e.action == action), "{action}");
    }
    // Rebuilt figures agree with the ones kept along the way.
    let kept = members_at(&store, t.county).await;
    store.rollup_rebuild().await.unwrap();
    assert_eq!(members_at(&store, t.county).await, kept);
}
both_backends!(transfers_out_of_and_into_the_system, outside);

async fn branch_dues(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let org = store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部"), T0)
        .await
        .unwrap();
    let add = |name: &str, seq: u32, occupation: &str| MemberInput {
        org_id: org.id,
        name: name.into(),
        id_number: id_number("19700101", seq),
        education: "secondary".into(),
        occupation: occupation.into(),
        status: "full".into(),
        ..Default::default()
    };
    let worker = store
        .create_member(&a, &s, add("甲", 51, "employee"), T0)
        .await
        .unwrap();
    let farmer = store
        .create_member(&a, &s, add("乙", 52, "farmer"), T0)
        .await
        .unwrap();
    let newcomer = store
        .create_member(&a, &s, add("丙", 53, "employee"), T0)
        .await
        .unwrap();
    // 4000 yuan → 1% = 40.00; a farmer's base of 0 gives the farmers' fixed amount.
    store
        .set_dues_base(&a, &s, worker.id, "2026-01", 400_000, T0)
        .await
        .unwrap();
    store
        .set_dues_base(&a, &s, farmer.id, "2026-01", 0, T0)
        .await
        .unwrap();
    let farmer_due = store
        .dues_status(&s, farmer.id, "2026-10")
        .await
        .unwrap()
        .monthly
        .unwrap();
    let sheet = store.branch_dues(&s, org.id, "2026-10").await.unwrap();
    assert_eq!(sheet.rows.len(), 3);
    let row = |sheet: &jiceng_store::dues_branch::BranchSheet, id: i64| {
        sheet
            .rows
            .iter()
            .find(|r| r.member_id == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(row(&sheet, worker.id).amount, Some(4_000));
    assert_eq!(row(&sheet, newcomer.id).amount, None);
    assert_eq!(sheet.totals(), (2, 0, 4_000 + farmer_due, 0));
    // A month that is not one is refused, naming the field.
    assert_eq!(
        code(store.branch_dues(&s, org.id, "2026-13").await.unwrap_err()),
        "dues.month_invalid"
    );
    // Another town sees no such organisation.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    assert!(matches!(
        store.branch_dues(&baijiao, org.id, "2026-10").await,
        Err(StoreError::NotFound)
    ));

    let pay = Payment {
        month: "2026-10",
        paid_on: "2026-10-12",
        current_month: "2026-11",
    };
    // All or nothing: one member without a base refuses the batch, naming them.
    let err = store
        .record_branch_dues(&a, &s, org.id, &pay, &[worker.id, newcomer.id], T0)
        .await
        .unwrap_err();
    match &err {
        StoreError::Rule(d) => {
            assert_eq!(d.code, "dues.no_base");
            assert!(d.zh.contains("丙"), "{}", d.zh);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store
            .branch_dues(&s, org.id, "2026-10")
            .await
            .unwrap()
            .totals()
            .1,
        0
    );
    assert_eq!(
        code(
            store
                .record_branch_dues(&a, &s, org.id, &pay, &[], T0)
                .await
                .unwrap_err()
        ),
        "dues.none_chosen"
    );
    let future = Payment {
        month: "2026-12",
        ..pay
    };
    assert_eq!(
        code(
            store
                .record_branch_dues(&a, &s, org.id, &future, &[worker.id], T0)
                .await
                .unwrap_err()
        ),
        "dues.month_future"
    );
    let (count, total) = store
        .record_branch_dues(&a, &s, org.id, &pay, &[worker.id, farmer.id], T0)
        .await
        .unwrap();
    assert_eq!((count, total), (2, 4_000 + farmer_due));
    let sheet = store.branch_dues(&s, org.id, "2026-10").await.unwrap();
    assert_eq!(
        sheet.totals(),
        (2, 2, 4_000 + farmer_due, 4_000 + farmer_due)
    );
    let receipt = row(&sheet, worker.id).receipt_no("2026-10").unwrap();
    assert!(receipt.starts_with("DF202610"), "{receipt}");
    assert_ne!(Some(receipt), row(&sheet, farmer.id).receipt_no("2026-10"));
    // The member's own page agrees, and a second payment of the month is refused.
    let st = store.dues_status(&s, worker.id, "2026-10").await.unwrap();
    assert!(
        st.payments
            .iter()
            .any(|(m, a, _)| m == "2026-10" && *a == 4_000)
    );
    assert_eq!(
        code(
            store
                .record_branch_dues(&a, &s, org.id, &pay, &[worker.id], T0)
                .await
                .unwrap_err()
        ),
        "dues.month_paid"
    );
    // A member of another organisation cannot be slipped into the batch.
    let other = store
        .create_org(&a, &s, branch(t.other_village, "白蕉某村党支部"), T0)
        .await
        .unwrap();
    let stranger = store
        .create_member(
            &a,
            &s,
            MemberInput {
                org_id: other.id,
                ..add("丁", 54, "employee")
            },
            T0,
        )
        .await
        .unwrap();
    let nov = Payment {
        month: "2026-11",
        ..pay
    };
    assert_eq!(
        code(
            store
                .record_branch_dues(&a, &s, org.id, &nov, &[worker.id, stranger.id], T0)
                .await
                .unwrap_err()
        ),
        "dues.not_in_org"
    );
}
both_backends!(dues_collected_for_a_branch_all_or_nothing, branch_dues);
