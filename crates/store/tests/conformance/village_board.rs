//! The village's 村务公开 board, on the village test's publications: what is up on a day,
//! corrections in one line keeping category and matter, no personal data, immutability.
use crate::transfers::code;
use crate::{LATER, Tree, actor};
use jiceng_store::board::NewPublication;
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
