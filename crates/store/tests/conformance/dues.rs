//! Dues on both backends: the amount from the rule and the base, one payment per month, arrears.
use crate::members::id_number;
use crate::{T0, actor, tree};
use jiceng_store::audit::AuditFilter;
use jiceng_store::dues::Payment;
use jiceng_store::members::MemberInput;
use jiceng_store::orgs::NewOrg;
use jiceng_store::sql::Page;
use jiceng_store::{Scope, Store, StoreError, both_backends};

fn code(e: StoreError) -> &'static str {
    match e {
        StoreError::Rule(d) => d.code,
        other => panic!("expected a rule error, got {other:?}"),
    }
}

async fn dues(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let org = NewOrg {
        parent_id: None,
        place_id: t.qianxi,
        name: "乾西村党支部".into(),
        kind: "branch".into(),
        unit_ids: vec![],
        founded_on: None,
    };
    let org = store.create_org(&a, &s, org, T0).await.unwrap();
    let input = MemberInput {
        org_id: org.id,
        name: "在职党员".into(),
        id_number: id_number("19800101", 11),
        education: "college".into(),
        occupation: "employee".into(),
        status: "full".into(),
        ..Default::default()
    };
    let m = store.create_member(&a, &s, input, T0).await.unwrap();

    // No base yet: nothing can be computed or paid.
    assert_eq!(
        code(
            store
                .record_dues(
                    &a,
                    &s,
                    m.id,
                    &Payment {
                        month: "2026-01",
                        paid_on: "2026-01-10",
                        current_month: "2026-11"
                    },
                    T0
                )
                .await
                .unwrap_err()
        ),
        "dues.no_base"
    );
    // 3000.00 yuan a month: 0.5% = 15.00.
    store
        .set_dues_base(&a, &s, m.id, "2026-01", 300_000, T0)
        .await
        .unwrap();
    assert_eq!(
        store
            .record_dues(
                &a,
                &s,
                m.id,
                &Payment {
                    month: "2026-01",
                    paid_on: "2026-01-10",
                    current_month: "2026-11"
                },
                T0
            )
            .await
            .unwrap(),
        1_500
    );
    assert_eq!(
        code(
            store
                .record_dues(
                    &a,
                    &s,
                    m.id,
                    &Payment {
                        month: "2026-01",
                        paid_on: "2026-01-11",
                        current_month: "2026-11"
                    },
                    T0
                )
                .await
                .unwrap_err()
        ),
        "dues.month_paid"
    );
    assert_eq!(
        code(
            store
                .record_dues(
                    &a,
                    &s,
                    m.id,
                    &Payment {
                        month: "2026-12",
                        paid_on: "2026-12-01",
                        current_month: "2026-11"
                    },
                    T0
                )
                .await
                .unwrap_err()
        ),
        "dues.month_future"
    );
    assert_eq!(
        code(
            store
                .record_dues(
                    &a,
                    &s,
                    m.id,
                    &Payment {
                        month: "2025-12",
                        paid_on: "2026-01-10",
                        current_month: "2026-11"
                    },
                    T0
                )
                .await
                .unwrap_err()
        ),
        "dues.no_base"
    );
    assert_eq!(
        code(
            store
                .record_dues(
                    &a,
                    &s,
                    m.id,
                    &Payment {
                        month: "2026-13",
                        paid_on: "2026-01-10",
                        current_month: "2026-11"
                    },
                    T0
                )
                .await
                .unwrap_err()
        ),
        "dues.month_invalid"
    );

    // A raise from March: 5000.01 yuan → 1.5% = 75.00 from then on; earlier months keep their rate.
    store
        .set_dues_base(&a, &s, m.id, "2026-03", 500_001, T0)
        .await
        .unwrap();
    assert_eq!(
        store
            .record_dues(
                &a,
                &s,
                m.id,
                &Payment {
                    month: "2026-03",
                    paid_on: "2026-03-10",
                    current_month: "2026-11"
                },
                T0
            )
            .await
            .unwrap(),
        7_500
    );
    assert_eq!(
        store
            .record_dues(
                &a,
                &s,
                m.id,
                &Payment {
                    month: "2026-02",
                    paid_on: "2026-03-10",
                    current_month: "2026-11"
                },
                T0
            )
            .await
            .unwrap(),
        1_500
    );
    let st = store.dues_status(&s, m.id, "2026-06").await.unwrap();
    assert_eq!(st.base, Some(("2026-03".to_string(), 500_001)));
    assert_eq!(st.monthly, Some(7_500));
    assert_eq!(st.unpaid, ["2026-04", "2026-05", "2026-06"]);
    assert_eq!(st.payments.len(), 3);

    // Scope: another town's committee cannot read or pay them.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    assert!(matches!(
        store.dues_status(&baijiao, m.id, "2026-06").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .record_dues(
                &a,
                &baijiao,
                m.id,
                &Payment {
                    month: "2026-04",
                    paid_on: "2026-04-10",
                    current_month: "2026-11"
                },
                T0
            )
            .await,
        Err(StoreError::NotFound)
    ));

    // Payments are on record; the income itself is not written into the audit log.
    let (entries, _) = store
        .audit_list(
            &AuditFilter {
                entity: Some("member".into()),
                ..Default::default()
            },
            Page::new(None, Some(100)),
        )
        .await
        .unwrap();
    assert_eq!(
        entries.iter().filter(|e| e.action == "dues_paid").count(),
        3
    );
    for e in entries.iter().filter(|e| e.action == "dues_base") {
        assert!(!e.after_json.as_deref().unwrap_or("").contains("500001"));
    }
    // Lapse watch (《党章》 Art. 9): three months unpaid warn, six flag a 自行脱党 candidate.
    let newer = |n: u32, name: &str| MemberInput {
        org_id: org.id,
        name: name.into(),
        id_number: id_number("19900101", n),
        education: "college".into(),
        occupation: "retiree".into(),
        status: "full".into(),
        ..Default::default()
    };
    let three = store
        .create_member(&a, &s, newer(21, "三个月"), T0)
        .await
        .unwrap();
    let two = store
        .create_member(&a, &s, newer(22, "两个月"), T0)
        .await
        .unwrap();
    store
        .import_dues_history(
            &a,
            &[
                (three.id, "2026-08".into(), 200_000),
                (two.id, "2026-09".into(), 200_000),
            ],
            &[],
            "test",
            T0,
        )
        .await
        .unwrap();
    let watch = store.lapse_watch(&s, None, "2026-11").await.unwrap();
    let seen: Vec<(&str, i64, bool)> = watch
        .iter()
        .map(|l| (l.name.as_str(), l.months, l.flagged()))
        .collect();
    assert_eq!(seen, [("在职党员", 7, true), ("三个月", 3, false)]);
    assert_eq!(watch[0].since, "2026-04");
    assert!(
        store
            .lapse_watch(&baijiao, None, "2026-11")
            .await
            .unwrap()
            .is_empty()
    );
    // Paying the oldest month moves the start; the member still lapses until caught up.
    store
        .record_dues(
            &a,
            &s,
            three.id,
            &Payment {
                month: "2026-08",
                paid_on: "2026-11-02",
                current_month: "2026-11",
            },
            T0,
        )
        .await
        .unwrap();
    let watch = store.lapse_watch(&s, None, "2026-11").await.unwrap();
    assert_eq!(
        watch.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        ["在职党员"]
    );

    // The rules are data: the 2008 rule is there with its basis.
    let rules = store.dues_rules().await.unwrap();
    assert_eq!(rules.len(), 1);
    assert!(rules[0].basis.contains("2008"));
}
both_backends!(dues_follow_the_rules_once_a_month, dues);
