//! Party-representative studios in the store: a studio's duty rule checked, representatives seated
//! (full members only), receptions refused for a future day, a day off the rule, or a
//! representative not seated that day, with nothing written; a raised matter on the problem list;
//! figures from roll-ups equal to a rebuild; scope.
use crate::members::{id_number, input};
use crate::transfers::code;
use crate::{T0, actor, branch, tree};
use jiceng_store::sql::Page;
use jiceng_store::studios::{NewReception, NewStudio};
use jiceng_store::{Scope, Store, StoreError, both_backends};

async fn count(store: &Store, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&store.reader)
        .await
        .unwrap()
}

async fn studios(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let org = store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部"), T0)
        .await
        .unwrap();
    let rep = store
        .create_member(&a, &s, input(org.id, "张红", &id_number("19700101", 1)), T0)
        .await
        .unwrap();
    let other = store
        .create_member(&a, &s, input(org.id, "李明", &id_number("19710101", 2)), T0)
        .await
        .unwrap();
    let mut p = input(org.id, "王新", &id_number("19990101", 3));
    p.status = "probationary".into();
    p.full_date = None;
    let probationary = store.create_member(&a, &s, p, T0).await.unwrap();
    let new = |rule: &str| NewStudio {
        place_id: t.qianwu,
        name: "乾务镇党代表工作室".into(),
        address: Some("乾务镇政府一楼".into()),
        rule: rule.into(),
        since: "2026-01-01".into(),
        starts: "09:00".into(),
        ends: "11:30".into(),
    };
    for bad in ["FREQ=DAILY", "FREQ=MONTHLY;BYDAY=9XX", ""] {
        let e = store
            .create_studio(&a, &s, &new(bad), T0)
            .await
            .unwrap_err();
        assert_eq!(code(e), "studio.rule_invalid");
    }
    assert_eq!(count(&store, "studios").await, 0);
    let st = store
        .create_studio(&a, &s, &new("rrule:freq=monthly;byday=2tu"), T0)
        .await
        .unwrap();
    assert_eq!(st.rrule, "FREQ=MONTHLY;BYDAY=2TU");
    let seat = store
        .add_rep(&a, &s, st.id, rep.id, "2026-02-01", T0)
        .await
        .unwrap();
    for (m, why) in [
        (rep.id, "studio.rep_sitting"),
        (probationary.id, "studio.member_not_full"),
        (999_999, "studio.member_unknown"),
    ] {
        let e = store
            .add_rep(&a, &s, st.id, m, "2026-02-01", T0)
            .await
            .unwrap_err();
        assert_eq!(code(e), why);
    }
    let today = "2026-03-20";
    let rec = |member_id, held_on: &str, residents, to_problem, place| NewReception {
        studio_id: st.id,
        member_id,
        held_on: held_on.into(),
        residents,
        raised: "村道路灯损坏，请求维修".into(),
        to_problem,
        problem_place_id: place,
    };
    for (r, why) in [
        (
            rec(rep.id, "2026-02-11", 5, false, None),
            "studio.not_duty_day",
        ),
        (
            rec(rep.id, "2026-04-14", 5, false, None),
            "studio.reception_future",
        ),
        (
            rec(other.id, "2026-02-10", 5, false, None),
            "studio.not_on_duty",
        ),
        // Seated from 2026-02-01: not on the January duty day.
        (
            rec(rep.id, "2026-01-13", 5, false, None),
            "studio.not_on_duty",
        ),
        (
            rec(rep.id, "2026-02-10", 0, false, None),
            "studio.residents_invalid",
        ),
        (
            rec(rep.id, "2026-02-10", 5, true, None),
            "studio.problem_place_invalid",
        ),
        (
            rec(rep.id, "2026-02-10", 5, true, Some(t.other_village)),
            "studio.problem_place_invalid",
        ),
    ] {
        let e = store
            .record_reception(&a, &s, &r, today, T0)
            .await
            .unwrap_err();
        assert_eq!(code(e), why, "{}", r.held_on);
    }
    assert_eq!(count(&store, "receptions").await, 0);
    assert_eq!(count(&store, "problems").await, 0);
    let (r1, tracking) = store
        .record_reception(
            &a,
            &s,
            &rec(rep.id, "2026-02-10", 5, true, Some(t.qianxi)),
            today,
            T0,
        )
        .await
        .unwrap();
    let problem = store.problem(&s, r1.problem_id.unwrap()).await.unwrap();
    assert_eq!(
        (problem.source.as_str(), problem.place_id),
        ("studio", t.qianxi)
    );
    assert_eq!(
        store.problem_by_code(&tracking.unwrap()).await.unwrap().id,
        problem.id
    );
    let (r2, none) = store
        .record_reception(
            &a,
            &s,
            &rec(rep.id, "2026-03-10", 3, false, None),
            today,
            T0,
        )
        .await
        .unwrap();
    assert!(none.is_none() && r2.problem_id.is_none());
    // The reception and its problem are one transaction: a problem that cannot be written
    // leaves no reception behind either.
    let problems = count(&store, "problems").await;
    crate::fail_inserts(&store, "problems").await;
    store
        .record_reception(
            &a,
            &s,
            &rec(rep.id, "2026-02-10", 2, true, Some(t.qianxi)),
            today,
            T0,
        )
        .await
        .unwrap_err();
    crate::allow_inserts(&store, "problems").await;
    assert_eq!(count(&store, "receptions").await, 2);
    assert_eq!(count(&store, "problems").await, problems);
    // The seat ends: no reception after it.
    store
        .end_rep(&a, &s, seat.id, "2026-03-01", T0)
        .await
        .unwrap();
    let e = store
        .end_rep(&a, &s, seat.id, "2026-03-01", T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "studio.rep_ended");
    let e = store
        .record_reception(
            &a,
            &s,
            &rec(rep.id, "2026-03-10", 1, false, None),
            today,
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "studio.not_on_duty");
    let studios_of = store.member_studios(&s, rep.id).await.unwrap();
    assert_eq!(studios_of.len(), 1);
    assert_eq!(studios_of[0].1.until_on.as_deref(), Some("2026-03-01"));

    // Figures from the roll-ups: the district, and each town under it.
    let months = ["2026-01".to_string(), "2026-02".into(), "2026-03".into()];
    let figs = store.studio_figures(&s, t.county, &months).await.unwrap();
    assert_eq!(figs[0], (t.county, "斗门区".into(), 2, 8));
    assert!(figs.contains(&(t.qianwu, "乾务镇".into(), 2, 8)));
    assert!(figs.contains(&(t.baijiao, "白蕉镇".into(), 0, 0)));
    let feb = store
        .studio_figures(&s, t.qianwu, &["2026-02".to_string()])
        .await
        .unwrap();
    assert_eq!((feb[0].2, feb[0].3), (1, 5));
    let before = store.studios_snapshot().await.unwrap();
    assert!(!before.is_empty());
    store.rollup_rebuild().await.unwrap();
    assert_eq!(store.studios_snapshot().await.unwrap(), before);

    // Scope: another town sees nothing and reaches nothing.
    let baijiao = Scope::prefix("440403106");
    assert!(matches!(
        store.studio(&baijiao, st.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.studio_reps(&baijiao, st.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .studios(&baijiao, None, Page::new(None, None))
            .await
            .unwrap()
            .1,
        0
    );
    assert_eq!(
        store
            .receptions(&baijiao, None, None, Page::new(None, None))
            .await
            .unwrap()
            .1,
        0
    );
    assert!(matches!(
        store.reception(&baijiao, r1.id).await,
        Err(StoreError::NotFound)
    ));
    let e = store
        .record_reception(
            &a,
            &baijiao,
            &rec(rep.id, "2026-02-10", 1, false, None),
            today,
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound));
    let e = store
        .add_rep(&a, &baijiao, st.id, other.id, "2026-02-01", T0)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound));
    assert_eq!(
        store
            .studios(&Scope::prefix("440403105"), None, Page::new(None, None))
            .await
            .unwrap()
            .1,
        1
    );
    assert_eq!(
        store
            .receptions(&s, Some(st.id), None, Page::new(None, None))
            .await
            .unwrap()
            .1,
        2
    );
}
both_backends!(studios_duty_reps_receptions_figures_scope, studios);
