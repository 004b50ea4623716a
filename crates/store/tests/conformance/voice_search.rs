//! Similar reports in Chinese, on both backends: words cut by jieba, matched through the index
//! (FTS5 on SQLite, a GIN full-text index on PostgreSQL), the same village's open problems only.
use crate::voice::report;
use crate::{T0, actor, tree};
use jiceng_store::{Scope, Store, both_backends};

async fn similar(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let mut ids = Vec::new();
    for (place, body) in [
        (t.qianxi, "村口路灯不亮，晚上出行很黑"),
        (t.qianxi, "村口的路灯坏了好几天了"),
        (t.qianxi, "垃圾没人清运，气味很大"),
        (t.other_village, "路灯不亮"),
    ] {
        let (p, _) = store
            .file_problem(&a, &report(place, body), "2026-03-01", T0)
            .await
            .unwrap();
        ids.push(p.id);
    }
    let found = |scope: Scope, text: &'static str, except: Option<i64>| {
        let store = store.clone();
        async move {
            store
                .similar_problems(&scope, t.qianxi, text, except)
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.id)
                .collect::<Vec<_>>()
        }
    };
    let mut lamps = found(Scope::All, "路灯又不亮了", None).await;
    lamps.sort();
    assert_eq!(
        lamps,
        [ids[0], ids[1]],
        "the same village's lamp reports only"
    );
    assert_eq!(found(Scope::All, "垃圾堆在路边", None).await, [ids[2]]);
    assert!(
        found(Scope::All, "！！", None).await.is_empty(),
        "no words, no match"
    );
    // The problem being looked at is not its own duplicate.
    assert_eq!(
        found(Scope::All, "村口的路灯坏了", Some(ids[1])).await,
        [ids[0]]
    );
    // Another town sees nothing of this village.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    assert!(found(baijiao, "路灯", None).await.is_empty());
}
both_backends!(similar_reports_are_found_by_their_words, similar);
