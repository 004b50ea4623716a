//! The problem list's rules that the province-scale work (issue 5, Performance) added or moved
//! into indexes, on both backends: the category filter; an exact total for a plain list (from the
//! roll-ups) and a capped count for a filtered one; a text search that starts from the words'
//! index finds what reading the region finds; the region follows a village that moves (the row's
//! own code on PostgreSQL); the figures' count of overdue problems per place below.
use crate::voice::report;
use crate::{T0, actor, tree};
use jiceng_domain::life::{Every, Period};
use jiceng_domain::voice::Event;
use jiceng_store::sql::Page;
use jiceng_store::voice::ProblemFilter;
use jiceng_store::{Scope, Store, both_backends};

async fn lists(mut store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let mut ids = Vec::new();
    // 乾西村: three road reports and two about water; 白蕉某村: one road report.
    for (place, category, body, day) in [
        (t.qianxi, "road", "村口路灯不亮，晚上出行不便", "2026-03-01"),
        (t.qianxi, "water", "自来水水压低", "2026-03-02"),
        (t.qianxi, "road", "村道有坑洼", "2026-03-03"),
        (t.qianxi, "water", "排水沟堵塞，雨天积水", "2026-03-04"),
        (t.qianxi, "road", "祠堂前路灯坏了", "2026-03-05"),
        (t.other_village, "road", "外村路灯不亮", "2026-03-05"),
    ] {
        let mut r = report(place, body);
        r.category = Some(category.into());
        let (p, _) = store.file_problem(&a, &r, day, T0).await.unwrap();
        ids.push(p.id);
    }
    let list = |store: &Store, f: ProblemFilter| {
        let store = store.clone();
        async move {
            let (rows, n) = store
                .problem_list(&Scope::All, &f, Page::new(None, Some(100)))
                .await
                .unwrap();
            (rows.into_iter().map(|p| p.id).collect::<Vec<_>>(), n)
        }
    };
    let f = |under: &str| ProblemFilter {
        under: Some(under.into()),
        today: "2026-03-06".into(),
        ..Default::default()
    };
    // Category, latest first.
    let water = ProblemFilter {
        category: Some("water".into()),
        ..f("440403")
    };
    assert_eq!(list(&store, water.clone()).await, (vec![ids[3], ids[1]], 2));

    // A plain list's total is exact whatever the cap; a filtered one's stops one past the cap.
    store.problem_count_cap = 2;
    let (rows, n) = list(&store, f("440403105")).await;
    assert_eq!((rows.len(), n), (5, 5), "plain: every problem of 乾务镇");
    let road = ProblemFilter {
        category: Some("road".into()),
        ..f("440403")
    };
    let (rows, n) = list(&store, road.clone()).await;
    assert_eq!(
        (rows, n),
        (vec![ids[5], ids[4], ids[2], ids[0]], 3),
        "4 road reports: the rows all come, the count says more than 2"
    );
    assert_eq!(list(&store, water).await.1, 2, "at the cap: exact");
    store.problem_count_cap = Store::PROBLEM_COUNT_CAP;

    // A search reads the same whether it starts from the words' index or from the region.
    for above in [i64::MAX, 0] {
        store.problem_words_first_above = above;
        for (q, want) in [
            ("路灯", vec![ids[5], ids[4], ids[0]]),
            ("路灯不亮", vec![ids[5], ids[0]]),
            ("灯", vec![ids[5], ids[4], ids[0]]),
            ("水压", vec![ids[1]]),
            ("100%_", vec![]),
        ] {
            let search = ProblemFilter {
                q: Some(q.into()),
                ..f("440403")
            };
            let (rows, n) = list(&store, search).await;
            assert_eq!(rows, want, "{q} (index first above {above})");
            assert_eq!(n, want.len() as i64);
        }
    }

    // Overdue on the day asked, at the node and at the place below that holds it.
    for (e, day) in [
        (
            Event::Analysed {
                category: "road".into(),
            },
            "2026-03-01",
        ),
        (
            Event::Assigned {
                owner: "村委会".into(),
                deadline: "2026-03-04".into(),
            },
            "2026-03-01",
        ),
    ] {
        store
            .problem_act(&a, &s, ids[0], &e, day, T0)
            .await
            .unwrap();
    }
    let year = Period::of(Every::Year, "2026-03-06").unwrap();
    let (node, below) = store
        .voice_figures_on(&s, t.county, &year, "2026-03-06")
        .await
        .unwrap();
    let overdue = |id: i64| below.iter().find(|r| r.place_id == id).unwrap().overdue;
    assert_eq!(
        (node.overdue, overdue(t.qianwu), overdue(t.baijiao)),
        (1, 1, 0)
    );
    let (node, _) = store
        .voice_figures_on(&s, t.county, &year, "2026-03-04")
        .await
        .unwrap();
    assert_eq!(node.overdue, 0, "the deadline day is in time");
    let overdue_list = ProblemFilter {
        overdue: true,
        ..f("440403")
    };
    assert_eq!(list(&store, overdue_list).await, (vec![ids[0]], 1));

    // 乾西村 moves to 白蕉镇 under a new code: its problems are listed there, not in 乾务镇.
    store
        .move_place(&a, &s, t.qianxi, t.baijiao, Some("440403106202"), T0)
        .await
        .unwrap();
    assert_eq!(list(&store, f("440403105")).await, (vec![], 0));
    let (rows, n) = list(&store, f("440403106")).await;
    assert_eq!((rows.len(), n), (6, 6));
    let road_there = ProblemFilter {
        category: Some("road".into()),
        ..f("440403106202")
    };
    assert_eq!(
        list(&store, road_there).await,
        (vec![ids[4], ids[2], ids[0]], 3)
    );
}
both_backends!(problem_lists_filter_count_search_and_follow_a_move, lists);
