//! Households and grids: registration in a grid (or a village without grids), sealed phone and
//! address, members looking after households one at a time, visits and their rules, a raised
//! matter put on the problem list, 入户率 from the roll-ups equal to a rebuild and carried when a
//! village moves, the bulk import under the same rules, scope across towns.
use crate::members::input;
use crate::transfers::code;
use crate::{T0, actor, branch, place, tree};
use jiceng_domain::life::period::Period;
use jiceng_store::households::{
    BulkVisit, HouseholdField, HouseholdFilter, NewHousehold, NewVisit,
};
use jiceng_store::sql::Page;
use jiceng_store::{Scope, Store, StoreError, both_backends};

const TODAY: &str = "2026-11-30";

fn household(place_id: i64, head: &str) -> NewHousehold {
    NewHousehold {
        place_id,
        head_name: head.into(),
        people: 4,
        address: Some("广东省珠海市斗门区乾务镇乾西村东街8号".into()),
        phone: Some("13800138000".into()),
        since_on: "2020-01-01".into(),
    }
}

fn visit(household_id: i64, member_id: i64, on: &str, mode: &str) -> NewVisit {
    NewVisit {
        household_id,
        member_id,
        visited_on: on.into(),
        mode: mode.into(),
        raised: None,
        raise_as_problem: None,
    }
}

async fn households(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let grid = place(&store, Some(t.qianxi), "440403105201001", "一网格").await;
    let org = store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部"), T0)
        .await
        .unwrap();
    let m1 = store
        .create_member(&a, &s, input(org.id, "黄伟", "11010519491231002X"), T0)
        .await
        .unwrap();
    let m2 = store
        .create_member(&a, &s, input(org.id, "陈芳", "110105194912310038"), T0)
        .await
        .unwrap();
    let mut applicant = input(org.id, "李强", "110105195001010012");
    applicant.status = "applicant".into();
    applicant.join_date = None;
    applicant.full_date = None;
    let applicant = store.create_member(&a, &s, applicant, T0).await.unwrap();

    // Where a household may sit: a grid; not a village that has grids, not a town.
    let h = store
        .create_household(&a, &s, &household(grid, "梁明"), TODAY, T0)
        .await
        .unwrap();
    assert_eq!(h.phone_masked.as_deref(), Some("138****8000"));
    for (p, why) in [
        (t.qianxi, "household.choose_grid"),
        (t.qianwu, "household.place_kind"),
    ] {
        let e = store
            .create_household(&a, &s, &household(p, "某户"), TODAY, T0)
            .await
            .unwrap_err();
        assert_eq!(code(e), why);
    }
    // A village without grids takes households directly.
    let direct = store
        .create_household(&a, &s, &household(t.other_village, "白某"), TODAY, T0)
        .await
        .unwrap();
    let mut future = household(grid, "未来户");
    future.since_on = "2026-12-01".into();
    let e = store
        .create_household(&a, &s, &future, TODAY, T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "household.since_future");
    // Sealed at rest, revealed with an audit entry.
    let raw: Vec<u8> = sqlx::query_scalar("SELECT phone_sealed FROM households WHERE id = $1")
        .bind(h.id)
        .fetch_one(&store.reader)
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("13800138000"));
    let clear = store
        .reveal_household(&a, &s, h.id, HouseholdField::Phone, T0)
        .await
        .unwrap();
    assert_eq!(clear.as_deref(), Some("13800138000"));

    // One member at a time; a member may look after several households.
    let first = store
        .assign_household(&a, &s, h.id, m1.id, "2025-01-01", T0)
        .await
        .unwrap();
    let e = store
        .assign_household(&a, &s, h.id, m2.id, "2025-06-01", T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "household.assignment_overlap");
    let e = store
        .assign_household(&a, &s, h.id, applicant.id, "2026-01-01", T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "household.member_inactive");
    let e = store
        .end_assignment(&a, &s, first.id, "2024-12-31", T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "household.assignment_end_before");
    store
        .end_assignment(&a, &s, first.id, "2025-05-31", T0)
        .await
        .unwrap();
    let e = store
        .assign_household(&a, &s, h.id, m2.id, "2025-05-31", T0)
        .await
        .unwrap_err();
    assert_eq!(
        code(e),
        "household.assignment_overlap",
        "the last day is held"
    );
    store
        .assign_household(&a, &s, h.id, m2.id, "2025-06-01", T0)
        .await
        .unwrap();
    let h2 = store
        .create_household(&a, &s, &household(grid, "麦华"), TODAY, T0)
        .await
        .unwrap();
    store
        .assign_household(&a, &s, h2.id, m2.id, "2025-06-01", T0)
        .await
        .unwrap();
    assert_eq!(
        store
            .household(&s, h.id)
            .await
            .unwrap()
            .member_name
            .as_deref(),
        Some("陈芳")
    );
    assert_eq!(
        store.household_assignments(&s, h.id).await.unwrap().len(),
        2
    );

    // Visits: the rules.
    store
        .record_visit(&a, &s, &visit(h.id, m1.id, "2026-03-05", "home"), TODAY, T0)
        .await
        .unwrap();
    store
        .record_visit(
            &a,
            &s,
            &visit(h.id, m2.id, "2026-04-10", "phone"),
            TODAY,
            T0,
        )
        .await
        .unwrap();
    store
        .record_visit(
            &a,
            &s,
            &visit(h2.id, m2.id, "2026-04-11", "online"),
            TODAY,
            T0,
        )
        .await
        .unwrap();
    for (v, why) in [
        (
            visit(h.id, m1.id, "2026-12-01", "home"),
            "household.visit_future",
        ),
        (
            visit(h.id, m1.id, "2019-12-31", "home"),
            "household.visit_before",
        ),
        (
            visit(h.id, m1.id, "2026-02-30", "home"),
            "member.date_invalid",
        ),
        (
            visit(h.id, m1.id, "2026-03-05", "fax"),
            "household.mode_invalid",
        ),
        (
            visit(h.id, applicant.id, "2026-03-05", "home"),
            "household.member_inactive",
        ),
    ] {
        let e = store.record_visit(&a, &s, &v, TODAY, T0).await.unwrap_err();
        let got = code(e);
        assert!(
            got == why || why == "member.date_invalid",
            "{got} for {why}"
        );
    }

    // A raised matter becomes a problem of the village, linked from the visit.
    let mut raised = visit(h.id, m1.id, "2026-05-02", "home");
    raised.raised = Some("巷口排水沟堵塞".into());
    raised.raise_as_problem = Some("东街巷口排水沟堵塞，雨天积水".into());
    let v = store
        .record_visit(&a, &s, &raised, TODAY, T0)
        .await
        .unwrap();
    let pid = v.problem_id.expect("linked to a problem");
    let p = store.problem(&s, pid).await.unwrap();
    assert_eq!((p.place_id, p.source.as_str()), (t.qianxi, "visit"));
    // The visit and its problem are one transaction: a problem that cannot be written leaves
    // no visit behind either.
    let visits = |store: Store| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM household_visits")
            .fetch_one(&store.reader)
            .await
            .unwrap()
    };
    let before = visits(store.clone()).await;
    crate::fail_inserts(&store, "problems").await;
    store
        .record_visit(&a, &s, &raised, TODAY, T0)
        .await
        .unwrap_err();
    crate::allow_inserts(&store, "problems").await;
    assert_eq!(visits(store.clone()).await, before);

    // Figures: 4 visits to 2 open households in 乾西's grid, 1 household in the other town.
    let year = Period::parse("2026").unwrap();
    let (county, rows) = store.household_figures(&s, t.county, &year).await.unwrap();
    assert_eq!((county.households, county.visits, county.home), (3, 4, 2));
    let qianwu = rows.iter().find(|r| r.place_id == t.qianwu).unwrap();
    assert_eq!(
        (qianwu.households, qianwu.visits, qianwu.rate_percent()),
        (2, 4, Some(200))
    );
    let (_, months) = store
        .household_figures(&s, grid, &Period::parse("2026-04").unwrap())
        .await
        .unwrap();
    assert!(months.is_empty());
    let (g, _) = store
        .household_figures(&s, grid, &Period::parse("2026-Q2").unwrap())
        .await
        .unwrap();
    assert_eq!((g.visits, g.phone, g.online), (3, 1, 1));

    // Closing (moved away): no more visits, the member's time ends, the stock goes down.
    let e = store
        .close_household(&a, &s, h2.id, ("2026-12-01", "迁出"), TODAY, T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "household.closed_on_invalid");
    store
        .close_household(&a, &s, h2.id, ("2026-06-30", "迁出本村"), TODAY, T0)
        .await
        .unwrap();
    let e = store
        .record_visit(
            &a,
            &s,
            &visit(h2.id, m2.id, "2026-06-01", "home"),
            TODAY,
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "household.closed");
    let e = store
        .assign_household(&a, &s, h2.id, m1.id, "2026-07-01", T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "household.closed");
    let (county, _) = store.household_figures(&s, t.county, &year).await.unwrap();
    assert_eq!((county.households, county.visits), (2, 4));

    // Bulk: the same rules, nothing written on a refusal; the roll-ups as the form leaves them.
    let bulk = |on: &str, m: i64| BulkVisit {
        household_id: h.id,
        member_id: m,
        visited_on: on.into(),
        mode: "home".into(),
        raised: None,
    };
    let e = store
        .import_visits(
            &a,
            &s,
            &[bulk("2026-06-01", m1.id), bulk("2027-01-01", m1.id)],
            TODAY,
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "household.visit_future");
    let e = store
        .import_visits(&a, &s, &[bulk("2026-06-01", applicant.id)], TODAY, T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "household.member_inactive");
    assert_eq!(
        store
            .import_visits(
                &a,
                &s,
                &[bulk("2026-06-01", m1.id), bulk("2026-07-01", m2.id)],
                TODAY,
                T0
            )
            .await
            .unwrap(),
        2
    );
    let ids = store
        .import_households(
            &a,
            &s,
            &[household(grid, "谭一"), household(grid, "谭二")],
            TODAY,
            T0,
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let e = store
        .import_assignments(&a, &s, &[(h.id, m1.id, "2026-01-01".into())], T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "household.assignment_overlap");
    assert_eq!(
        store
            .import_assignments(&a, &s, &[(ids[0], m1.id, "2026-01-01".into())], T0)
            .await
            .unwrap(),
        1
    );
    let (county, _) = store.household_figures(&s, t.county, &year).await.unwrap();
    assert_eq!((county.households, county.visits), (4, 6));
    let live = store.households_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(store.households_snapshot().await.unwrap(), live);

    // Scope: the other town sees none of 乾务's households, visits or figures.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    assert!(matches!(
        store.household(&baijiao, h.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.visit(&baijiao, v.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .household_figures(&baijiao, t.qianwu, &year)
            .await
            .is_err()
    );
    assert!(
        store
            .record_visit(
                &a,
                &baijiao,
                &visit(h.id, m1.id, "2026-06-01", "home"),
                TODAY,
                T0
            )
            .await
            .is_err()
    );
    assert!(
        store
            .reveal_household(&a, &baijiao, h.id, HouseholdField::Phone, T0)
            .await
            .is_err()
    );
    let e = store
        .record_visit(
            &a,
            &baijiao,
            &visit(direct.id, m1.id, "2026-06-01", "home"),
            TODAY,
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(
        code(e),
        "household.member_unknown",
        "a member of another town"
    );
    let (theirs, n) = store
        .households(&baijiao, &HouseholdFilter::default(), Page::new(None, None))
        .await
        .unwrap();
    assert_eq!((theirs.len(), n), (1, 1));
    assert_eq!(theirs[0].id, direct.id);

    // Moving 乾西 to 白蕉镇 carries its figures along.
    store
        .move_place(&a, &s, t.qianxi, t.baijiao, Some("440403106202"), T0)
        .await
        .unwrap();
    let (_, rows) = store.household_figures(&s, t.county, &year).await.unwrap();
    let by = |id| rows.iter().find(|r| r.place_id == id).unwrap().clone();
    assert_eq!((by(t.qianwu).households, by(t.qianwu).visits), (0, 0));
    assert_eq!((by(t.baijiao).households, by(t.baijiao).visits), (4, 6));
    let live = store.households_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(store.households_snapshot().await.unwrap(), live);

    // Every change audited (masked values only).
    let log = store
        .audit_list(
            &jiceng_store::audit::AuditFilter {
                entity: Some("household".into()),
                ..Default::default()
            },
            Page::new(None, Some(100)),
        )
        .await
        .unwrap();
    assert!(log.0.iter().any(|e| e.action == "reveal"));
    assert!(log.0.iter().all(|e| {
        !e.after_json
            .as_deref()
            .unwrap_or("")
            .contains("13800138000")
    }));
}
both_backends!(households_visits_and_figures, households);
