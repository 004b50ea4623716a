//! The village's 村务公开 board, on the village test's publications: what is up on a day,
//! corrections in one line keeping category and matter, no personal data, immutability.
use crate::transfers::code;
use crate::village::publication;
use crate::{LATER, Tree, actor};
use jiceng_domain::decision::Step;
use jiceng_store::board::NewPublication;
use jiceng_store::matters::StepInput;
use jiceng_store::{Scope, Store};

/// `m2`: the matter whose two publications are on 乾西村's board. Returns a finance item's id.
pub(crate) async fn immutable_board(store: &Store, t: &Tree, m2: i64) -> i64 {
    let (a, s) = (actor(), Scope::All);
    // The board: what is up on a day, corrections, and immutability (no edit exists).
    let board = store.publications(&s, t.qianxi).await.unwrap();
    assert_eq!(board.len(), 2, "refused publications left nothing behind");
    let (_, up, past) = store
        .public_board("440403105201", "2026-10-15")
        .await
        .unwrap();
    assert_eq!((up.len(), past.len()), (1, 1));
    assert!(
        store
            .public_board("440403105000", "2026-10-15")
            .await
            .is_err(),
        "a town has no board"
    );
    let fin = store
        .publish(
            &a,
            &s,
            &NewPublication {
                place_id: t.qianxi,
                category: "finance".into(),
                title: "9月财务收支".into(),
                body: "收入1000元".into(),
                up_on: "2026-10-05".into(),
                down_on: "2026-11-05".into(),
                corrects_id: None,
            },
            LATER,
        )
        .await
        .unwrap();
    let fix = store
        .publish(
            &a,
            &s,
            &NewPublication {
                place_id: t.qianxi,
                category: "finance".into(),
                title: "9月财务收支（更正）".into(),
                body: "收入1100元".into(),
                up_on: "2026-10-08".into(),
                down_on: "2026-11-08".into(),
                corrects_id: Some(fin.id),
            },
            LATER,
        )
        .await
        .unwrap();
    assert_eq!(
        store.publication(&s, fin.id).await.unwrap().corrected_by,
        Some(fix.id)
    );
    assert_eq!(
        store.publication(&s, fin.id).await.unwrap().body,
        "收入1000元",
        "the original stays as published"
    );
    // One line of corrections; a correction keeps the category and matter of what it corrects;
    // a board never carries an ID number or a mobile number.
    let notice = |category: &str, body: &str, corrects_id: Option<i64>| NewPublication {
        place_id: t.qianxi,
        category: category.into(),
        title: "更正".into(),
        body: body.into(),
        up_on: "2026-10-09".into(),
        down_on: "2026-11-09".into(),
        corrects_id,
    };
    let e = store
        .publish(&a, &s, &notice("finance", "再更正", Some(fin.id)), LATER)
        .await
        .unwrap_err();
    assert_eq!(code(e), "board.already_corrected");
    let of_matter = store
        .publications(&s, t.qianxi)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.matter_id == Some(m2))
        .unwrap();
    let fixed = store
        .publish(
            &a,
            &s,
            &notice("affairs", "实施结果更正为：投资22万元", Some(of_matter.id)),
            LATER,
        )
        .await
        .unwrap();
    assert_eq!(
        (fixed.category.as_str(), fixed.matter_id),
        ("matter", Some(m2))
    );
    for pii in ["联系人电话13800138000", "身份证11010519491231002X"] {
        let e = store
            .publish(&a, &s, &notice("affairs", pii, None), LATER)
            .await
            .unwrap_err();
        assert_eq!(code(e), "board.personal_data", "{pii}");
    }
    let e = store
        .publish(
            &a,
            &s,
            &NewPublication {
                place_id: t.other_village,
                category: "finance".into(),
                title: "x".into(),
                body: "y".into(),
                up_on: "2026-10-08".into(),
                down_on: "2026-11-08".into(),
                corrects_id: Some(fin.id),
            },
            LATER,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "board.correction_elsewhere");
    let e = store
        .publish(
            &a,
            &s,
            &NewPublication {
                place_id: t.qianxi,
                category: "matter".into(),
                title: "x".into(),
                body: "y".into(),
                up_on: "2026-10-08".into(),
                down_on: "2026-11-08".into(),
                corrects_id: None,
            },
            LATER,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "board.matter_through_steps");
    fin.id
}

/// The board's overdue list: on 2026-10-20 乾西 is up to date and the other village has never
/// published; by 2027-01-10 乾西's finances are more than a month old; a matter decided and not
/// published within 3 days is overdue too. `meetings`: the committee's, the joint meeting's, the
/// members' assembly's and the representatives'. Returns that third matter.
pub(crate) async fn overdue_boards(store: &Store, t: &Tree, item: i64, meetings: [i64; 4]) -> i64 {
    let (a, s) = (actor(), Scope::All);
    let resolve =
        |meeting_id: i64, ayes: i64| crate::village::resolution(store.clone(), meeting_id, ayes);
    let [committee, joint, assembly, reps] = meetings;
    // Overdue: on 2026-10-20 乾西 is up to date; the other village has never published. By
    // 2027-01-10 乾西's finances are more than a month old.
    let overdue = store.board_overdue(&s, None, "2026-10-20").await.unwrap();
    assert_eq!(
        overdue.iter().map(|o| o.place_id).collect::<Vec<_>>(),
        [t.other_village]
    );
    let overdue = store.board_overdue(&s, None, "2027-01-10").await.unwrap();
    let qx = overdue.iter().find(|o| o.place_id == t.qianxi).unwrap();
    assert!(qx.reason.contains("财务"), "{}", qx.reason);
    // A matter decided but not published within 3 days is overdue too.
    let m3 = store
        .open_matter(&a, &s, t.qianxi, item, "第三件事", LATER)
        .await
        .unwrap();
    let (p3, c3, r3, d3) = (
        resolve(committee, 2).await.id,
        resolve(joint, 3).await.id,
        resolve(assembly, 2).await.id,
        resolve(reps, 4).await.id,
    );
    for (st, r) in [
        (Step::Proposal, p3),
        (Step::Consultation, c3),
        (Step::Review, r3),
        (Step::Resolution, d3),
    ] {
        store
            .record_matter_step(&a, &s, m3.id, st, &StepInput::Resolution(r), LATER)
            .await
            .unwrap();
    }
    let overdue = store.board_overdue(&s, None, "2026-10-20").await.unwrap();
    let qx = overdue.iter().find(|o| o.place_id == t.qianxi).unwrap();
    assert!(qx.reason.contains("未公开决议"), "{}", qx.reason);
    m3.id
}

/// The matter `m2`, decided, is published: 6 days is shorter than the item's 7; down before up
/// is refused; 7 days pass; then the result, and nothing after it.
pub(crate) async fn publications(store: &Store, m2: i64) {
    let step2 = |step: Step, input: StepInput| {
        let store = store.clone();
        async move {
            store
                .record_matter_step(&actor(), &Scope::All, m2, step, &input, LATER)
                .await
        }
    };
    // Publications: 6 days is shorter than the item's 7; down before up is refused; 7 days pass.
    assert_eq!(
        code(
            step2(
                Step::ResolutionPublished,
                publication("2026-08-21", "2026-08-27")
            )
            .await
            .unwrap_err()
        ),
        "decision.publication_too_short"
    );
    assert_eq!(
        code(
            step2(
                Step::ResolutionPublished,
                publication("2026-08-21", "2026-08-20")
            )
            .await
            .unwrap_err()
        ),
        "board.down_before_up"
    );
    step2(
        Step::ResolutionPublished,
        publication("2026-08-21", "2026-08-28"),
    )
    .await
    .unwrap();
    let done = step2(
        Step::ResultPublished,
        publication("2026-10-01", "2026-10-31"),
    )
    .await
    .unwrap();
    assert_eq!(done.next_step, None);
    assert_eq!(
        code(
            step2(
                Step::ResultPublished,
                publication("2026-11-01", "2026-11-30")
            )
            .await
            .unwrap_err()
        ),
        "decision.complete"
    );
    let steps = store.matter_steps(&Scope::All, m2).await.unwrap();
    let order: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        order,
        [
            "proposal",
            "consultation",
            "review",
            "resolution",
            "resolution_published",
            "result_published"
        ]
    );
}
