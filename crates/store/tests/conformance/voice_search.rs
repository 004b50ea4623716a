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

/// The report ids FTS5's index itself finds for `word` (SQLite).
async fn in_the_index(store: &Store, word: &str) -> Vec<i64> {
    sqlx::query_scalar("SELECT rowid FROM problems_fts WHERE problems_fts MATCH $1 ORDER BY rowid")
        .bind(format!("\"{word}\""))
        .fetch_all(&store.reader)
        .await
        .unwrap()
}

/// SQLite: a resident's filing leaves its words to the writer's chore after the commit (one
/// index segment for many filings, not one a commit); the index has them soon after the
/// filings stop, a report not yet indexed is found by its words in the table meanwhile, and
/// words still owed when the server stopped are indexed at the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_indexes_words_after_the_commit() {
    let (store, guard) = jiceng_store::testing::sqlite().await;
    let t = tree(&store).await;
    let (p, _) = store
        .file_problem(
            &actor(),
            &report(t.qianxi, "村口路灯不亮"),
            "2026-03-01",
            T0,
        )
        .await
        .unwrap();
    let mut waited = 0;
    while in_the_index(&store, "路灯").await.is_empty() {
        assert!(waited < 200, "the words were never indexed");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        waited += 1;
    }
    assert_eq!(in_the_index(&store, "路灯").await, [p.id]);
    // As if the server had stopped before the chore: the index lacks the report.
    sqlx::query("DELETE FROM problems_fts")
        .execute(&store.writer)
        .await
        .unwrap();
    let found = store
        .similar_problems(&Scope::All, t.qianxi, "路灯坏了", None)
        .await
        .unwrap();
    assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), [p.id]);
    assert!(
        store
            .similar_problems(&Scope::All, t.qianxi, "垃圾清运", None)
            .await
            .unwrap()
            .is_empty(),
        "only the words in the report match"
    );
    store.migrate().await.unwrap();
    assert_eq!(in_the_index(&store, "路灯").await, [p.id]);
    store.close().await;
    guard.cleanup().await;
}
