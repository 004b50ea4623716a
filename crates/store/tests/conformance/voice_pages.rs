//! What the residents' voice pages read and write in the store: photos judged by their bytes and
//! kept with the event they came with (a refused one leaves nothing), the staff list's filters,
//! the work lists' notices, the monthly report per node, and the objection window as a rule
//! with an effective day.
use crate::transfers::code;
use crate::voice::report;
use crate::{T0, actor, tree};
use jiceng_domain::voice::Event;
use jiceng_store::sql::Page;
use jiceng_store::voice::ProblemFilter;
use jiceng_store::{Scope, Store, both_backends};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

async fn pages(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    // A photo that is not one, or too large: refused, nothing written.
    for (bytes, why) in [
        (b"plain text".to_vec(), "problem.photo_type"),
        (vec![0u8; 9 * 1024 * 1024], "problem.photo_too_large"),
    ] {
        let r = report(t.qianxi, "路灯不亮");
        let e = store
            .file_problem_with(&a, &r, Some(&bytes), "2026-03-01", T0)
            .await
            .unwrap_err();
        assert_eq!(code(e), why);
    }
    let r = report(t.qianxi, "村口路灯不亮");
    let (lamp, _) = store
        .file_problem_with(&a, &r, Some(PNG), "2026-03-01", T0)
        .await
        .unwrap();
    let files = store.problem_files(&s, lamp.id).await.unwrap();
    assert_eq!(
        (files.len(), files[0].seq, files[0].mime.as_str()),
        (1, 1, "image/png")
    );
    let (_, bytes) = store.problem_file(&s, lamp.id, files[0].id).await.unwrap();
    assert_eq!(bytes, PNG);
    let (rubbish, _) = store
        .file_problem(&a, &report(t.qianxi, "垃圾没人清"), "2026-03-02", T0)
        .await
        .unwrap();
    let (far, _) = store
        .file_problem(&a, &report(t.other_village, "外村路灯"), "2026-03-02", T0)
        .await
        .unwrap();
    let go = |id: i64, e: Event, day: &'static str| {
        let store = store.clone();
        let a = a.clone();
        async move { store.problem_act(&a, &Scope::All, id, &e, day, T0).await }
    };
    for id in [lamp.id, rubbish.id] {
        go(
            id,
            Event::Analysed {
                category: "sanitation".into(),
            },
            "2026-03-02",
        )
        .await
        .unwrap();
        go(
            id,
            Event::Assigned {
                owner: "村委会".into(),
                deadline: "2026-03-05".into(),
            },
            "2026-03-02",
        )
        .await
        .unwrap();
    }
    // Evidence only with 办结, checked before anything is written.
    let e = store
        .problem_act_with(
            &a,
            &s,
            lamp.id,
            &Event::Resolved {
                what: "更换灯泡".into(),
            },
            Some(b"nope"),
            "2026-03-04",
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "problem.photo_type");
    assert_eq!(store.problem(&s, lamp.id).await.unwrap().status, "assigned");
    store
        .problem_act_with(
            &a,
            &s,
            lamp.id,
            &Event::Resolved {
                what: "更换灯泡".into(),
            },
            Some(PNG),
            "2026-03-04",
            T0,
        )
        .await
        .unwrap();
    let files = store.problem_files(&s, lamp.id).await.unwrap();
    assert_eq!(files.iter().map(|f| f.seq).collect::<Vec<_>>(), [1, 4]);

    // The list's filters, one WHERE for the page and the export.
    let list = |f: ProblemFilter, scope: Scope| {
        let store = store.clone();
        async move {
            let (rows, n) = store
                .problem_list(&scope, &f, Page::new(None, None))
                .await
                .unwrap();
            assert_eq!(rows.len() as i64, n);
            rows.into_iter().map(|p| p.id).collect::<Vec<_>>()
        }
    };
    let f = |today: &str| ProblemFilter {
        today: today.into(),
        ..Default::default()
    };
    assert_eq!(
        list(
            ProblemFilter {
                overdue: true,
                ..f("2026-03-06")
            },
            s.clone()
        )
        .await,
        [rubbish.id]
    );
    assert!(
        list(
            ProblemFilter {
                overdue: true,
                ..f("2026-03-05")
            },
            s.clone()
        )
        .await
        .is_empty(),
        "the deadline day is in time"
    );
    assert_eq!(
        list(
            ProblemFilter {
                q: Some("路灯".into()),
                ..f("2026-03-06")
            },
            s.clone()
        )
        .await,
        [far.id, lamp.id]
    );
    assert_eq!(
        list(
            ProblemFilter {
                q: Some("100%_".into()),
                ..f("2026-03-06")
            },
            s.clone()
        )
        .await,
        Vec::<i64>::new(),
        "LIKE wildcards are literal"
    );
    assert_eq!(
        list(
            ProblemFilter {
                status: Some("resolved".into()),
                under: Some("440403105".into()),
                ..f("2026-03-06")
            },
            s.clone()
        )
        .await,
        [lamp.id]
    );
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    assert_eq!(list(f("2026-03-06"), baijiao.clone()).await, [far.id]);

    // Escalation and the work lists: the village's and the town's; not the other town's.
    assert_eq!(store.voice_sweep("2026-03-06", T0).await.unwrap(), (0, 1));
    let notices = |under: &'static str, scope: Scope| {
        let store = store.clone();
        async move {
            store
                .problem_notices(&scope, under, "2026-03-06", 50)
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(notices("440403105201", s.clone()).await, [rubbish.id]);
    assert_eq!(notices("440403105", s.clone()).await, [rubbish.id]);
    assert!(notices("440403105", baijiao.clone()).await.is_empty());
    assert_eq!(
        list(
            ProblemFilter {
                escalated: true,
                ..f("2026-03-06")
            },
            s.clone()
        )
        .await,
        [rubbish.id]
    );

    // The objection window is a rule with a day: from 2026-03-10 it is 3 days.
    let rule = |from: &str, days: i64, basis: &str| jiceng_domain::voice::VoiceRule {
        effective_from: from.into(),
        basis: basis.into(),
        objection_days: days,
    };
    for (bad, why) in [
        (rule("2026-03-10", 0, "本地规定"), "problem.window_days"),
        (rule("2026-02-30", 3, "本地规定"), "date.invalid"),
        (rule("2026-03-10", 3, " "), "problem.basis_required"),
        (rule("2020-01-01", 3, "本地规定"), "problem.window_exists"),
    ] {
        let e = store.add_voice_rule(&a, &bad, T0).await.unwrap_err();
        assert_eq!(code(e), why);
    }
    store
        .add_voice_rule(&a, &rule("2026-03-10", 3, "本地规定"), T0)
        .await
        .unwrap();
    assert_eq!(
        store
            .voice_rules()
            .await
            .unwrap()
            .iter()
            .map(|r| r.objection_days)
            .collect::<Vec<_>>(),
        [7, 3]
    );
    go(
        rubbish.id,
        Event::Resolved {
            what: "已清运".into(),
        },
        "2026-03-10",
    )
    .await
    .unwrap();
    let r = store.problem(&s, rubbish.id).await.unwrap();
    assert_eq!(store.problem_window_ends(&r).await.unwrap(), "2026-03-13");
    // The lamp was resolved under the old rule: 7 days from 2026-03-04.
    let l = store.problem(&s, lamp.id).await.unwrap();
    assert_eq!(store.problem_window_ends(&l).await.unwrap(), "2026-03-11");
    assert_eq!(store.voice_sweep("2026-03-12", T0).await.unwrap(), (1, 0));
    assert_eq!(store.voice_sweep("2026-03-14", T0).await.unwrap(), (1, 0));

    // The month per node: filed, closed (by the window), escalated, open at its end.
    let month = store
        .problem_month(&s, "440403105", "2026-03")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(month.len(), 1);
    let m = &month[0];
    assert_eq!(
        (
            m.place_name.as_str(),
            m.filed,
            m.closed,
            m.window_passed,
            m.escalated,
            m.open_at_end
        ),
        ("乾西村", 2, 2, 2, 1, 0)
    );
    let feb = store
        .problem_month(&s, "440403105", "2026-02")
        .await
        .unwrap()
        .unwrap();
    assert!(feb.is_empty(), "nothing filed by February's end");
    let apr = store
        .problem_month(&s, "440403", "2026-04")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        apr.iter()
            .map(|r| (r.place_name.as_str(), r.filed, r.open_at_end))
            .collect::<Vec<_>>(),
        [("乾西村", 0, 0), ("白蕉某村", 0, 1)]
    );
    assert!(
        store
            .problem_month(&baijiao, "440403105", "2026-03")
            .await
            .unwrap()
            .unwrap()
            .is_empty(),
        "another town's report is empty"
    );
    assert!(
        store
            .problem_month(&s, "440403", "2026-3")
            .await
            .unwrap()
            .is_none()
    );
}
both_backends!(voice_pages_photos_filters_notices_and_month, pages);
