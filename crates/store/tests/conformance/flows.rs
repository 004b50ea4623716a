//! Flowing members: six months away first, one flow at a time, both sides see it, the host's figure.
use crate::members::id_number;
use crate::transfers::code;
use crate::{T0, actor, tree};
use jiceng_store::flows::{FlowFilter, FlowInput, FlowSide};
use jiceng_store::members::MemberInput;
use jiceng_store::orgs::NewOrg;
use jiceng_store::sql::Page;
use jiceng_store::transfers::Letter;
use jiceng_store::{Scope, Store, StoreError, both_backends};

async fn flows(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let branch = |place_id, name: &str, kind: &str| NewOrg {
        parent_id: None,
        place_id,
        name: name.into(),
        kind: kind.into(),
        unit_ids: vec![],
        founded_on: None,
    };
    let home = store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部", "branch"), T0)
        .await
        .unwrap();
    let host = store
        .create_org(
            &a,
            &s,
            branch(t.baijiao, "白蕉镇“小个专”党委", "committee"),
            T0,
        )
        .await
        .unwrap();
    let member = |name: &str, seq: u32, status: &str| MemberInput {
        org_id: home.id,
        name: name.into(),
        id_number: id_number("19800101", seq),
        education: "college".into(),
        occupation: "worker".into(),
        status: status.into(),
        ..Default::default()
    };
    let m = store
        .create_member(&a, &s, member("外出党员", 41, "full"), T0)
        .await
        .unwrap();
    let applicant = store
        .create_member(&a, &s, member("申请人", 42, "applicant"), T0)
        .await
        .unwrap();
    let qianwu = store.place(&s, t.qianwu).await.unwrap().scope();
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    let input = |away: &str, on: &str| FlowInput {
        host_org_id: Some(host.id),
        destination: "白蕉镇轻纺市场".into(),
        certificate_no: "粤流2026001".into(),
        away_since: away.into(),
        registered_on: on.into(),
    };

    // Five months and a day away: refused, naming the date it becomes possible.
    let e = store
        .start_flow(&a, &qianwu, m.id, &input("2026-05-02", "2026-11-01"), T0)
        .await
        .unwrap_err();
    match &e {
        StoreError::Rule(d) => {
            assert_eq!(d.code, "flow.too_short");
            assert!(d.zh.contains("2026-11-02"), "{}", d.zh);
        }
        other => panic!("{other:?}"),
    }
    // Another town cannot register the member (not theirs): 404, nothing written.
    assert!(matches!(
        store
            .start_flow(&a, &baijiao, m.id, &input("2026-05-01", "2026-11-01"), T0)
            .await,
        Err(StoreError::NotFound)
    ));
    // Applicants do not flow; a host that is the member's own organisation is refused.
    assert_eq!(
        code(
            store
                .start_flow(&a, &s, applicant.id, &input("2026-01-01", "2026-11-01"), T0)
                .await
                .unwrap_err()
        ),
        "flow.not_member"
    );
    let mut own = input("2026-01-01", "2026-11-01");
    own.host_org_id = Some(home.id);
    assert_eq!(
        code(store.start_flow(&a, &s, m.id, &own, T0).await.unwrap_err()),
        "flow.host_is_register"
    );
    // Nowhere to say, a host that is a Party group or does not exist: refused.
    let mut nowhere = input("2026-01-01", "2026-11-01");
    nowhere.destination = "  ".into();
    assert_eq!(
        code(
            store
                .start_flow(&a, &s, m.id, &nowhere, T0)
                .await
                .unwrap_err()
        ),
        "flow.destination_required"
    );
    let sub = store
        .create_org(
            &a,
            &s,
            NewOrg {
                parent_id: Some(host.id),
                ..branch(t.baijiao, "市场第一支部", "branch")
            },
            T0,
        )
        .await
        .unwrap();
    let group = store
        .create_org(
            &a,
            &s,
            NewOrg {
                parent_id: Some(sub.id),
                ..branch(t.baijiao, "市场第一党小组", "group")
            },
            T0,
        )
        .await
        .unwrap();
    let mut to_group = input("2026-01-01", "2026-11-01");
    to_group.host_org_id = Some(group.id);
    assert_eq!(
        code(
            store
                .start_flow(&a, &s, m.id, &to_group, T0)
                .await
                .unwrap_err()
        ),
        "flow.host_group"
    );
    let mut unknown = input("2026-01-01", "2026-11-01");
    unknown.host_org_id = Some(999_999);
    assert_eq!(
        code(
            store
                .start_flow(&a, &s, m.id, &unknown, T0)
                .await
                .unwrap_err()
        ),
        "flow.host_unknown"
    );
    assert!(store.member_flows(&s, m.id).await.unwrap().is_empty());

    // Six months to the day: registered; the member stays with the register organisation.
    let f = store
        .start_flow(&a, &qianwu, m.id, &input("2026-05-01", "2026-11-01"), T0)
        .await
        .unwrap();
    assert_eq!(f.host_org_id, Some(host.id));
    assert_eq!(store.member(&s, m.id).await.unwrap().org_id, home.id);
    // One flow at a time.
    assert_eq!(
        code(
            store
                .start_flow(&a, &qianwu, m.id, &input("2026-05-01", "2026-11-01"), T0)
                .await
                .unwrap_err()
        ),
        "flow.already_flowing"
    );
    // The register side lists it as away; the host's town lists it as hosted, not the reverse.
    let list = |scope: Scope, side| {
        let store = store.clone();
        async move {
            store
                .flows(&scope, side, &FlowFilter::default(), Page::new(None, None))
                .await
                .unwrap()
                .1
        }
    };
    assert_eq!(list(qianwu.clone(), FlowSide::Out).await, 1);
    assert_eq!(list(qianwu.clone(), FlowSide::In).await, 0);
    assert_eq!(list(baijiao.clone(), FlowSide::In).await, 1);
    assert_eq!(list(baijiao.clone(), FlowSide::Out).await, 0);
    // Search by destination or name, literal.
    let by = |q: &str| FlowFilter {
        q: Some(q.into()),
        org_id: None,
    };
    for (q, n) in [("轻纺", 1), ("外出党", 1), ("%", 0)] {
        let (_, total) = store
            .flows(&qianwu, FlowSide::Out, &by(q), Page::new(None, None))
            .await
            .unwrap();
        assert_eq!(total, n, "{q}");
    }
    // The figures: home has 2 registered, 1 away; the host has 0 registered and hosts 1.
    let hc = store.org_flow_counts(&baijiao, host.id).await.unwrap();
    assert_eq!(
        (hc.registered, hc.away, hc.hosted, hc.total()),
        (0, 0, 1, 1)
    );
    let rc = store.org_flow_counts(&qianwu, home.id).await.unwrap();
    assert_eq!((rc.registered, rc.away, rc.hosted), (2, 1, 0));
    assert!(matches!(
        store.org_flow_counts(&qianwu, host.id).await,
        Err(StoreError::NotFound)
    ));

    // Ending: not before the member left, only by the register side, once.
    assert_eq!(
        code(
            store
                .end_flow(&a, &qianwu, f.id, "2026-04-30", T0)
                .await
                .unwrap_err()
        ),
        "flow.end_before_start"
    );
    assert!(matches!(
        store.end_flow(&a, &baijiao, f.id, "2026-12-01", T0).await,
        Err(StoreError::NotFound)
    ));
    store
        .end_flow(&a, &qianwu, f.id, "2026-12-01", T0)
        .await
        .unwrap();
    assert_eq!(
        code(
            store
                .end_flow(&a, &qianwu, f.id, "2026-12-02", T0)
                .await
                .unwrap_err()
        ),
        "flow.ended"
    );
    assert_eq!(list(baijiao.clone(), FlowSide::In).await, 0);

    // Flowing again; moving the relation to the host ends the flow in the same step.
    let f2 = store
        .start_flow(&a, &qianwu, m.id, &input("2026-06-01", "2026-12-01"), T0)
        .await
        .unwrap();
    let letter = Letter {
        to_org_id: host.id,
        letter_no: "斗组转〔2026〕30号",
        sent_on: "2026-12-05",
    };
    let tr = store
        .send_transfer(&a, &qianwu, m.id, &letter, T0)
        .await
        .unwrap();
    store
        .close_transfer(&a, &baijiao, tr.id, true, "2026-12-08", T0)
        .await
        .unwrap();
    let ended = store.flow(&baijiao, f2.id).await.unwrap();
    assert_eq!(ended.ended_on.as_deref(), Some("2026-12-08"));
    let hc = store.org_flow_counts(&baijiao, host.id).await.unwrap();
    assert_eq!((hc.registered, hc.hosted), (1, 0));

    // Every change is on the audit chain.
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'flow_%' ORDER BY seq")
            .fetch_all(&store.reader)
            .await
            .unwrap();
    assert_eq!(actions, ["flow_start", "flow_end", "flow_start"]);
}

both_backends!(flowing_members_after_six_months_seen_from_both_sides, flows);
