//! Two-new coverage: current figures kept with every unit and organisation change, equal to a
//! rebuild; monthly figures computed from founding dates; the units behind every figure.
use crate::transfers::code;
use crate::{T0, actor, tree};
use jiceng_store::orgs::NewOrg;
use jiceng_store::sql::Page;
use jiceng_store::units::UnitInput;
use jiceng_store::{Scope, Store, both_backends};

/// 2026-01-01 00:00 Beijing time, in ms.
const JAN_2026: i64 = 1_767_196_800_000;

async fn figures(store: &Store, place: i64, code: &str) -> (i64, i64) {
    let v = store.rollup_values(place).await.unwrap();
    let get = |m: String| v.get(&m).copied().unwrap_or(0);
    (
        get(format!("coverage.{code}.covered")),
        get(format!("coverage.{code}.qualifying")),
    )
}

async fn coverage(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let unit = |place_id, name: &str, above: bool, staff, founded: &str| UnitInput {
        place_id,
        name: name.into(),
        kind: "enterprise".into(),
        credit_code: None,
        above_size: above,
        staff,
        founded_on: Some(founded.into()),
    };
    // Three enterprises above designated size in 乾西村, one small one, one in 白蕉镇.
    let mut ids = Vec::new();
    for (i, place) in [t.qianxi, t.qianxi, t.qianxi, t.other_village]
        .into_iter()
        .enumerate()
    {
        let u = store
            .create_unit(
                &a,
                &s,
                unit(place, &format!("规上企业{i}"), true, 300, "2010-05-01"),
                T0,
            )
            .await
            .unwrap();
        ids.push(u.id);
    }
    let small = store
        .create_unit(
            &a,
            &s,
            unit(t.qianxi, "小微企业", false, 8, "2012-01-01"),
            T0,
        )
        .await
        .unwrap();
    // Nothing covered yet: 0 of 4 above size in the district, 0 of 5 两新 units.
    assert_eq!(figures(&store, t.county, "above_size").await, (0, 4));
    assert_eq!(figures(&store, t.county, "two_new").await, (0, 5));
    assert_eq!(figures(&store, t.qianwu, "above_size").await, (0, 3));

    let org = |name: &str, kind: &str, place_id, unit_ids: Vec<i64>, founded: &str| NewOrg {
        parent_id: None,
        place_id,
        name: name.into(),
        kind: kind.into(),
        unit_ids,
        founded_on: Some(founded.into()),
    };
    // Its own branch since 2016 for the first; a joint branch since 2020 for the second and the
    // small one; the fourth (白蕉) gets a branch in 2021.
    let own = store
        .create_org(
            &a,
            &s,
            org(
                "规上企业0党支部",
                "branch",
                t.qianxi,
                vec![ids[0]],
                "2016-03-01",
            ),
            T0,
        )
        .await
        .unwrap();
    store
        .create_org(
            &a,
            &s,
            org(
                "乾务镇第一联合党支部",
                "joint_branch",
                t.qianwu,
                vec![ids[1], small.id],
                "2020-07-01",
            ),
            T0,
        )
        .await
        .unwrap();
    let baijiao_branch = store
        .create_org(
            &a,
            &s,
            org(
                "规上企业3党支部",
                "branch",
                t.other_village,
                vec![ids[3]],
                "2021-01-01",
            ),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(figures(&store, t.county, "above_size").await, (3, 4));
    assert_eq!(figures(&store, t.qianwu, "above_size").await, (2, 3));
    assert_eq!(figures(&store, t.county, "two_new").await, (4, 5));
    // A unit above size that shrinks below the rule leaves the denominator; closing the branch
    // uncovers its unit.
    let mut edit = unit(t.qianxi, "规上企业2", false, 300, "");
    edit.founded_on = None;
    store.update_unit(&a, &s, ids[2], edit, T0).await.unwrap();
    assert_eq!(figures(&store, t.qianwu, "above_size").await, (2, 2));
    store
        .close_org(&a, &s, baijiao_branch.id, T0)
        .await
        .unwrap();
    assert_eq!(figures(&store, t.county, "above_size").await, (2, 3));
    // Closing a covered unit takes it out of both counts; moving a village carries its figures
    // from one town to the other.
    let closing = store
        .create_unit(
            &a,
            &s,
            unit(t.qianxi, "将关闭企业", true, 300, "2011-01-01"),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(figures(&store, t.qianwu, "above_size").await, (2, 3));
    store.close_unit(&a, &s, closing.id, T0).await.unwrap();
    assert_eq!(figures(&store, t.qianwu, "above_size").await, (2, 2));
    store
        .move_place(&a, &s, t.qianxi, t.baijiao, Some("440403106202"), T0)
        .await
        .unwrap();
    assert_eq!(figures(&store, t.qianwu, "above_size").await, (0, 0));
    assert_eq!(figures(&store, t.baijiao, "above_size").await, (2, 3));
    assert_eq!(figures(&store, t.county, "above_size").await, (2, 3));
    store
        .move_place(&a, &s, t.qianxi, t.qianwu, Some("440403105201"), T0)
        .await
        .unwrap();
    assert_eq!(figures(&store, t.qianwu, "above_size").await, (2, 2));
    // The incremental figures equal a rebuild from the records.
    let before = store.rollup_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(store.rollup_snapshot().await.unwrap(), before);

    // History, judged by founding dates as they stood at each month's end.
    for (period, end_ms, end_day) in [
        ("2015-12", JAN_2026 - 10 * 365 * 86_400_000, "2016-01-01"),
        ("2019-12", JAN_2026 - 6 * 365 * 86_400_000, "2020-01-01"),
        ("2025-12", JAN_2026, "2026-01-01"),
    ] {
        store
            .coverage_snapshot(&a, period, end_ms, end_day, T0)
            .await
            .unwrap();
    }
    let trend = store
        .coverage_trend(&s, t.county, "above_size")
        .await
        .unwrap();
    let points: Vec<(&str, i64, i64)> = trend
        .iter()
        .map(|p| (p.period.as_str(), p.covered, p.qualifying))
        .collect();
    // The records were written at T0 (2025-11): every month before counts by founding dates. The
    // 白蕉 branch closed at T0, so it never counts; 规上企业2 is no longer above size; 将关闭企业
    // (founded 2011, closed at T0) counts until it closed.
    assert_eq!(
        points,
        [
            ("2015-12", 0, 4),
            ("2019-12", 1, 4),
            ("2025-12", 2, 3),
            ("current", 2, 3)
        ]
    );
    assert_eq!(store.coverage_periods().await.unwrap().len(), 3);
    // Another town cannot read 乾务镇's trend.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    assert!(
        store
            .coverage_trend(&baijiao, t.qianwu, "two_new")
            .await
            .is_err()
    );

    // The units behind a figure: covered and not, now and at a month's end, within scope.
    let qianwu = store.place(&s, t.qianwu).await.unwrap();
    let list = |scope: Scope, at: Option<(i64, &'static str)>, covered| {
        let store = store.clone();
        let prefix = qianwu.prefix();
        async move {
            let (rows, total) = store
                .coverage_units(
                    &scope,
                    &prefix,
                    "above_size",
                    at,
                    covered,
                    Page::new(None, None),
                )
                .await
                .unwrap();
            assert_eq!(rows.len() as i64, total);
            rows.into_iter()
                .map(|u| (u.name, u.org_name))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(s.clone(), None, Some(true)).await,
        [
            ("规上企业0".to_string(), Some("规上企业0党支部".to_string())),
            (
                "规上企业1".to_string(),
                Some("乾务镇第一联合党支部".to_string())
            ),
        ]
    );
    let at_2019 = Some((JAN_2026 - 6 * 365 * 86_400_000, "2020-01-01"));
    assert_eq!(
        list(s.clone(), at_2019, Some(false)).await,
        [
            ("将关闭企业".to_string(), None),
            ("规上企业1".to_string(), None)
        ]
    );
    assert!(list(baijiao.clone(), None, None).await.is_empty());

    // A founding date in the future is refused.
    let mut late = unit(t.qianxi, "未来企业", true, 300, "2099-01-01");
    late.founded_on = Some("2099-01-01".into());
    assert_eq!(
        code(store.create_unit(&a, &s, late, T0).await.unwrap_err()),
        "founded_on.future"
    );
    let _ = own;
}

both_backends!(coverage_figures_now_by_month_and_their_units, coverage);
