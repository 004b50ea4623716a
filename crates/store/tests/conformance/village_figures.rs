//! The village test's last part: the supervision committee's reviews, scope across towns, and the
//! figures of 四议两公开 from the roll-ups (equal to a rebuild, carried when a village moves).
use crate::transfers::code;
use crate::village::publication;
use crate::{LATER, Tree, actor};
use jiceng_domain::decision::Step;
use jiceng_domain::life::period::Period;
use jiceng_store::board::Target;
use jiceng_store::sql::Page;
use jiceng_store::{Scope, Store};

/// `supervisor` sits on the supervision committee, `outsider` does not; `m2` is the completed
/// matter, `m3` one decided but not yet published; `fin` a finance item on the board.
pub(crate) async fn reviews_scope_and_figures(
    store: &Store,
    t: &Tree,
    (supervisor, outsider): (i64, i64),
    (m2, m3, fin): (i64, i64, i64),
) {
    let (a, s) = (actor(), Scope::All);
    // The village's meetings page: every kind filter lists only its kind and together they list
    // them all; pages of two, newest first, add up to the whole list.
    let all = |kind, size| store.body_meetings(&s, t.qianxi, kind, Page::new(None, Some(size)));
    let (everything, total) = all(None, 500).await.unwrap();
    assert!(total >= 4 && everything.len() as i64 == total, "{total}");
    let mut by_kind = 0;
    for k in jiceng_domain::meeting::MeetingKind::ALL {
        let (rows, n) = all(Some(k), 500).await.unwrap();
        assert!(rows.iter().all(|m| m.kind == k.as_str()), "{k:?}");
        by_kind += n;
    }
    assert_eq!(by_kind, total);
    let mut paged = Vec::new();
    for page in 1..=(total + 1) / 2 {
        let (rows, n) = store
            .body_meetings(&s, t.qianxi, None, Page::new(Some(page), Some(2)))
            .await
            .unwrap();
        assert_eq!(n, total);
        paged.extend(rows.into_iter().map(|m| (m.held_on, m.id)));
    }
    let whole: Vec<_> = everything
        .iter()
        .map(|m| (m.held_on.clone(), m.id))
        .collect();
    assert_eq!(paged, whole);
    assert!(whole.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // Reviews by a sitting supervisor only.
    let e = store
        .review(
            &a,
            &s,
            outsider,
            Target::Matter(m2),
            "agree",
            "程序合规",
            "2026-10-02",
            LATER,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "supervision.not_member");
    store
        .review(
            &a,
            &s,
            supervisor,
            Target::Matter(m2),
            "agree",
            "程序合规",
            "2026-10-02",
            LATER,
        )
        .await
        .unwrap();
    store
        .review(
            &a,
            &s,
            supervisor,
            Target::Publication(fin),
            "object",
            "数字有误",
            "2026-10-06",
            LATER,
        )
        .await
        .unwrap();
    assert_eq!(
        store.reviews(&s, Target::Matter(m2)).await.unwrap().len(),
        1
    );
    assert_eq!(
        store.reviews(&s, Target::Publication(fin)).await.unwrap()[0].verdict,
        "object"
    );

    // Scope: the other town sees none of it.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    assert!(store.matter(&baijiao, m2).await.is_err());
    assert!(store.village_people(&baijiao, t.qianxi).await.is_err());
    assert!(store.publications(&baijiao, t.qianxi).await.is_err());
    assert!(
        store
            .record_matter_step(
                &a,
                &baijiao,
                m3,
                Step::ResolutionPublished,
                &publication("2026-10-21", "2026-10-31"),
                LATER
            )
            .await
            .is_err()
    );
    let (mine, n) = store
        .matters(&baijiao, None, false, Page::new(None, None))
        .await
        .unwrap();
    assert!(mine.is_empty() && n == 0);
    let (all, n) = store
        .matters(&s, Some("440403105201"), true, Page::new(None, None))
        .await
        .unwrap();
    assert_eq!(
        (all.len(), n),
        (2, 2),
        "open matters of 乾西: the first and the third"
    );
    // The 支委会 meetings count toward 三会一课 as they are written: a rebuild finds the same.
    let live = store.life_snapshot().await.unwrap();
    assert!(
        format!("{live:?}").contains("life.held.branch_committee"),
        "{live:?}"
    );
    store.rollup_rebuild().await.unwrap();
    assert_eq!(store.life_snapshot().await.unwrap(), live);
    let theirs = store
        .board_overdue(&baijiao, None, "2026-10-20")
        .await
        .unwrap();
    assert_eq!(
        theirs.iter().map(|o| o.place_id).collect::<Vec<_>>(),
        [t.other_village]
    );

    // Figures for 2026 from the roll-ups: three matters proposed, two decided (both of the law's
    // public-welfare item), one completed, its 决议公开 a day after the 决议 (on time); the board's
    // two finance items and the two matter publications.
    let year = Period::parse("2026").unwrap();
    let (county, rows) = store.decision_figures(&s, t.county, &year).await.unwrap();
    assert_eq!(
        (
            county.proposed,
            county.decided,
            county.completed,
            county.on_time,
            county.late
        ),
        (3, 2, 1, 1, 0)
    );
    assert_eq!(county.by_item.get("law.public_welfare"), Some(&2));
    assert_eq!(county.published.get("finance"), Some(&2));
    assert_eq!(
        county.published.get("matter"),
        Some(&3),
        "two steps and one correction"
    );
    assert_eq!(county.timeliness_per_mille(), Some(1000));
    let qianwu = rows.iter().find(|r| r.place_id == t.qianwu).unwrap();
    assert_eq!((qianwu.proposed, qianwu.decided), (3, 2));
    let q3 = Period::parse("2026-Q3").unwrap();
    let (in_q3, _) = store.decision_figures(&s, t.qianxi, &q3).await.unwrap();
    assert_eq!(
        (in_q3.decided, in_q3.completed),
        (2, 0),
        "completed in October, not Q3"
    );
    // A late 决议公开: the third matter's goes up 40 days after its 决议.
    store
        .record_matter_step(
            &a,
            &s,
            m3,
            Step::ResolutionPublished,
            &publication("2026-09-29", "2026-10-10"),
            LATER,
        )
        .await
        .unwrap();
    let (county, _) = store.decision_figures(&s, t.county, &year).await.unwrap();
    assert_eq!(
        (county.on_time, county.late, county.timeliness_per_mille()),
        (1, 1, Some(500))
    );
    // Rebuilt from the records, the same; moved with its village, the figures follow.
    let live = store.decisions_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(store.decisions_snapshot().await.unwrap(), live);
    store
        .move_place(&a, &s, t.qianxi, t.baijiao, Some("440403106202"), LATER)
        .await
        .unwrap();
    let (_, rows) = store.decision_figures(&s, t.county, &year).await.unwrap();
    let by = |id: i64| rows.iter().find(|r| r.place_id == id).unwrap().decided;
    assert_eq!((by(t.qianwu), by(t.baijiao)), (0, 2));
    let moved = store.decisions_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(store.decisions_snapshot().await.unwrap(), moved);
}
