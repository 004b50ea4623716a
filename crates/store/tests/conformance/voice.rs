//! Residents' voice in the store: a report filed with a tracking code, the lifecycle through staff
//! and resident actions with every transition in the history, 销号 only by confirmation or the
//! window (the sweep), escalation past the deadline, merging, sealing, scope.
use crate::transfers::code;
use crate::{T0, actor, tree};
use jiceng_domain::voice::Event;
use jiceng_store::sql::Page;
use jiceng_store::voice::NewProblem;
use jiceng_store::{Scope, Store, StoreError, both_backends};

pub fn report(place_id: i64, body: &str) -> NewProblem {
    NewProblem {
        place_id,
        source: "resident".into(),
        category: Some("road".into()),
        body: body.into(),
        location: Some("村口".into()),
        contact: None,
    }
}

async fn voice(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let mut r = report(t.qianxi, "村口路灯不亮，晚上出行不便");
    r.contact = Some("13800138000".into());
    let (p, tracking) = store.file_problem(&a, &r, "2026-03-01", T0).await.unwrap();
    assert_eq!((p.status.as_str(), tracking.len()), ("collected", 10));
    // The code works in any case; a wrong one tells nothing.
    assert_eq!(
        store
            .problem_by_code(&tracking.to_lowercase())
            .await
            .unwrap()
            .id,
        p.id
    );
    assert!(matches!(
        store.problem_by_code("ABCDEFGHJK").await,
        Err(StoreError::NotFound)
    ));
    // The phone is sealed at rest, shown only by an audited reveal.
    let raw: Vec<u8> = sqlx::query_scalar("SELECT contact_sealed FROM problems WHERE id = $1")
        .bind(p.id)
        .fetch_one(&store.reader)
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("13800138000"));
    assert_eq!(
        store
            .reveal_problem_contact(&a, &s, p.id, T0)
            .await
            .unwrap()
            .as_deref(),
        Some("13800138000")
    );
    // Bad input: empty or too long text, a bad phone, a town instead of a village.
    for (body, contact, place, why) in [
        ("  ", None, t.qianxi, "problem.text_invalid"),
        (
            &"长".repeat(2001)[..],
            None,
            t.qianxi,
            "problem.text_invalid",
        ),
        ("路灯坏了", Some("123"), t.qianxi, "member.phone_invalid"),
        ("路灯坏了", None, t.qianwu, "village.not_a_village"),
    ] {
        let mut bad = report(place, body);
        bad.contact = contact.map(str::to_string);
        let e = store
            .file_problem(&a, &bad, "2026-03-01", T0)
            .await
            .unwrap_err();
        assert_eq!(code(e), why);
    }
    let (all, n) = store
        .problems(&s, None, None, Page::new(None, None))
        .await
        .unwrap();
    assert_eq!((all.len(), n), (1, 1), "refused reports left nothing");

    // Staff: analyse, assign, resolve; the resident confirms; rating once.
    let go = |id: i64, e: Event, day: &'static str| {
        let store = store.clone();
        let a = a.clone();
        async move { store.problem_act(&a, &Scope::All, id, &e, day, T0).await }
    };
    go(
        p.id,
        Event::Analysed {
            category: "road".into(),
        },
        "2026-03-02",
    )
    .await
    .unwrap();
    go(
        p.id,
        Event::Assigned {
            owner: "村委会".into(),
            deadline: "2026-03-10".into(),
        },
        "2026-03-02",
    )
    .await
    .unwrap();
    // Staff cannot confirm for the resident.
    assert!(matches!(
        go(p.id, Event::Confirmed, "2026-03-03").await,
        Err(StoreError::Forbidden)
    ));
    go(
        p.id,
        Event::Resolved {
            what: "更换灯泡".into(),
        },
        "2026-03-05",
    )
    .await
    .unwrap();
    let done = store
        .resident_act(&a, &tracking, &Event::Confirmed, "2026-03-06", T0)
        .await
        .unwrap();
    assert_eq!(
        (done.status.as_str(), done.closed_on.as_deref()),
        ("closed", Some("2026-03-06"))
    );
    let e = store
        .resident_act(&a, &tracking, &Event::Confirmed, "2026-03-07", T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "problem.already_closed");
    store
        .resident_act(&a, &tracking, &Event::Rated { score: 5 }, "2026-03-07", T0)
        .await
        .unwrap();
    let history: Vec<String> = store
        .problem_events(&s, p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        history,
        [
            "collected",
            "analysed",
            "assigned",
            "resolved",
            "confirmed",
            "rated"
        ]
    );

    // An objection reopens; the sweep closes after the whole window, escalates past a deadline.
    let (q, q_code) = store
        .file_problem(&a, &report(t.qianxi, "垃圾清运不及时"), "2026-04-01", T0)
        .await
        .unwrap();
    go(
        q.id,
        Event::Analysed {
            category: "sanitation".into(),
        },
        "2026-04-01",
    )
    .await
    .unwrap();
    go(
        q.id,
        Event::Assigned {
            owner: "保洁队".into(),
            deadline: "2026-04-05".into(),
        },
        "2026-04-01",
    )
    .await
    .unwrap();
    assert_eq!(
        store.voice_sweep("2026-04-05", T0).await.unwrap(),
        (0, 0),
        "the deadline day is in time"
    );
    assert_eq!(store.voice_sweep("2026-04-06", T0).await.unwrap(), (0, 1));
    assert_eq!(
        store.voice_sweep("2026-04-07", T0).await.unwrap(),
        (0, 0),
        "once per assignment"
    );
    let (overdue, _) = store
        .problems(&s, None, Some("overdue"), Page::new(None, None))
        .await
        .unwrap();
    assert_eq!(overdue.iter().map(|p| p.id).collect::<Vec<_>>(), [q.id]);
    go(
        q.id,
        Event::Resolved {
            what: "已清运".into(),
        },
        "2026-04-08",
    )
    .await
    .unwrap();
    store
        .resident_act(
            &a,
            &q_code,
            &Event::Objected {
                reason: "又堆满了".into(),
            },
            "2026-04-10",
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.problem(&s, q.id).await.unwrap().status, "assigned");
    go(
        q.id,
        Event::Resolved {
            what: "增加清运次数".into(),
        },
        "2026-04-12",
    )
    .await
    .unwrap();
    assert_eq!(
        store.voice_sweep("2026-04-19", T0).await.unwrap(),
        (0, 0),
        "the 7th day is still open"
    );
    assert_eq!(store.voice_sweep("2026-04-20", T0).await.unwrap(), (1, 0));
    let e = store
        .resident_act(
            &a,
            &q_code,
            &Event::Objected { reason: "x".into() },
            "2026-04-21",
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "problem.already_closed");

    // Merging: into an open problem of the same village only.
    let (dup, _) = store
        .file_problem(&a, &report(t.qianxi, "村口路灯坏了"), "2026-05-01", T0)
        .await
        .unwrap();
    let (open, _) = store
        .file_problem(&a, &report(t.qianxi, "路灯问题"), "2026-05-01", T0)
        .await
        .unwrap();
    let (far, _) = store
        .file_problem(&a, &report(t.other_village, "外村问题"), "2026-05-01", T0)
        .await
        .unwrap();
    assert_eq!(
        code(
            go(dup.id, Event::Merged { into: far.id }, "2026-05-02")
                .await
                .unwrap_err()
        ),
        "problem.merge_elsewhere"
    );
    assert_eq!(
        code(
            go(dup.id, Event::Merged { into: p.id }, "2026-05-02")
                .await
                .unwrap_err()
        ),
        "problem.merge_closed"
    );
    let merged = go(dup.id, Event::Merged { into: open.id }, "2026-05-02")
        .await
        .unwrap();
    assert_eq!(
        (merged.status.as_str(), merged.merged_into),
        ("merged", Some(open.id))
    );

    // Scope: the other town sees neither the problem nor it in lists, and cannot act on it.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    assert!(store.problem(&baijiao, p.id).await.is_err());
    assert!(
        store
            .problem_act(
                &a,
                &baijiao,
                open.id,
                &Event::Analysed {
                    category: "x".into()
                },
                "2026-05-02",
                T0
            )
            .await
            .is_err()
    );
    let (theirs, n) = store
        .problems(&baijiao, None, None, Page::new(None, None))
        .await
        .unwrap();
    assert_eq!((theirs.len(), n), (1, 1));
    assert_eq!(theirs[0].id, far.id);
    // The audit keeps no resident's words.
    let (entries, _) = store
        .audit_list(
            &jiceng_store::audit::AuditFilter::default(),
            Page::new(None, Some(500)),
        )
        .await
        .unwrap();
    assert!(entries.iter().filter(|e| e.entity == "problem").count() >= 10);
    assert!(
        entries
            .iter()
            .all(|e| !e.after_json.as_deref().unwrap_or("").contains("路灯不亮"))
    );
    figures_follow_the_problems(&store, &t).await;
}
both_backends!(problems_close_only_by_the_resident_or_the_window, voice);

/// The figures read from the roll-ups agree with the problems themselves (counted here straight
/// from the table), equal a rebuild, and follow a village that moves to another town.
async fn figures_follow_the_problems(store: &Store, t: &crate::Tree) {
    use jiceng_domain::life::period::Period;
    use jiceng_store::voice::figures::Span;
    let (a, s) = (actor(), Scope::All);
    let count = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&store.reader)
            .await
            .unwrap()
    };
    let year = Period::parse("2026").unwrap();
    let (county, rows) = store.voice_figures(&s, t.county, &year).await.unwrap();
    let collected = count("SELECT COUNT(*) FROM problems WHERE status <> 'merged'").await;
    let solved = count("SELECT COUNT(*) FROM problems WHERE status = 'closed'").await;
    let rated = count("SELECT COUNT(*) FROM problems WHERE score IS NOT NULL").await;
    let score = count("SELECT CAST(COALESCE(SUM(score), 0) AS BIGINT) FROM problems").await;
    let merged = count("SELECT COUNT(*) FROM problems WHERE status = 'merged'").await;
    assert!(
        solved > 0 && rated > 0 && merged > 0,
        "the test above closed, rated and merged"
    );
    assert_eq!(
        (
            county.collected,
            county.solved,
            county.rated,
            county.score,
            county.merged
        ),
        (collected, solved, rated, score, merged)
    );
    assert_eq!(county.solve_per_mille(), Some(solved * 1000 / collected));
    // The towns below add up to the district.
    let towns: i64 = rows.iter().map(|r| r.collected).sum();
    assert_eq!(towns, collected);
    // Nothing filed in 2025.
    let (before, _) = store
        .voice_figures(&s, t.county, &Period::parse("2025").unwrap())
        .await
        .unwrap();
    assert_eq!(before.collected, 0);
    // One more filed after the turn of the year: 累计 counts both years, as the table does.
    let late = NewProblem {
        place_id: t.qianxi,
        source: "desk".into(),
        body: "跨年反映的问题".into(),
        ..Default::default()
    };
    store
        .file_problem(&a, &late, "2027-01-04", T0)
        .await
        .unwrap();
    let (all, _) = store.voice_figures(&s, t.county, Span::All).await.unwrap();
    let (next, _) = store
        .voice_figures(&s, t.county, &Period::parse("2027").unwrap())
        .await
        .unwrap();
    assert_eq!((next.collected, all.collected), (1, collected + 1));
    assert_eq!(all.solved, solved);
    let live = store.voice_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(store.voice_snapshot().await.unwrap(), live);
    // 乾西村 moves from 乾务镇 to 白蕉镇: its problems' figures go with it.
    let (_, rows) = store.voice_figures(&s, t.county, &year).await.unwrap();
    let of = |rows: &[jiceng_store::voice::figures::VoiceRow], id: i64| {
        rows.iter().find(|r| r.place_id == id).unwrap().collected
    };
    let (qianwu, baijiao) = (of(&rows, t.qianwu), of(&rows, t.baijiao));
    let (qianxi, _) = store.voice_figures(&s, t.qianxi, &year).await.unwrap();
    store
        .move_place(&a, &s, t.qianxi, t.baijiao, Some("440403106202"), T0)
        .await
        .unwrap();
    let (_, rows) = store.voice_figures(&s, t.county, &year).await.unwrap();
    assert_eq!(
        (of(&rows, t.qianwu), of(&rows, t.baijiao)),
        (qianwu - qianxi.collected, baijiao + qianxi.collected)
    );
    let moved = store.voice_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(store.voice_snapshot().await.unwrap(), moved);
}
