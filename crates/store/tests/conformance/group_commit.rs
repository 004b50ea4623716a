//! Group commit (`jiceng_store::group`), on both backends: writes queued together share one
//! transaction; one that fails is rolled back alone and answered with its error; the others are
//! answered only once committed; the audit chain holds their entries in queue order.
use crate::voice::report;
use crate::{T0, actor, tree};
use jiceng_domain::life::period::Period;
use jiceng_store::audit::{Change, Verdict};
use jiceng_store::group::{Audited, GroupStats};
use jiceng_store::{Scope, Store, StoreError, both_backends};
use std::time::Duration;

/// Waits until the group commit's counts satisfy `ok`.
async fn until(store: &Store, ok: impl Fn(GroupStats) -> bool) {
    for _ in 0..1000 {
        if ok(store.group.stats()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!(
        "the group commit never got there: {:?}",
        store.group.stats()
    );
}

/// A write that registers a service code (a small table every write here can use), or fails
/// after writing it when `fail`.
async fn register(store: Store, code: String, fail: bool) -> Result<String, StoreError> {
    store
        .group
        .run(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO voice_services (code, name, description, service_group, keywords, \
                     sort_order) VALUES ($1, $2, '', '村务', '', 99)",
                )
                .bind(&code)
                .bind(format!("测试{code}"))
                .execute(&mut *conn)
                .await?;
                if fail {
                    return Err(StoreError::Forbidden);
                }
                let audit = Audited {
                    actor: actor(),
                    change: Change::new("create", "voice_service", code.clone(), None, None),
                    now: T0,
                };
                Ok((code, audit))
            })
        })
        .await
}

/// A write that holds its batch open until `open` is sent, so that others queue behind it.
fn hold_a_batch(
    store: &Store,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), StoreError>>,
) {
    let (open, hold) = tokio::sync::oneshot::channel::<()>();
    let store = store.clone();
    let gate = tokio::spawn(async move {
        store
            .group
            .run(move |_conn| {
                Box::pin(async move {
                    let _ = hold.await;
                    let audit = Audited {
                        actor: actor(),
                        change: Change::new("gate", "test", 0, None, None),
                        now: T0,
                    };
                    Ok(((), audit))
                })
            })
            .await
    });
    (open, gate)
}

async fn batches(store: Store) {
    // A first write holds its batch open until the others are queued behind it.
    let (open, gate) = hold_a_batch(&store);
    // The gate is in its batch (taken, nothing waiting) before the others are queued.
    until(&store, |s| s.writes >= 1 && s.waiting == 0).await;
    let before = store.group.stats();
    // Every fourth write fails, and the last one: its savepoint is the one open at the commit.
    let fails = |i: usize| i % 4 == 1 || i == 12;
    let mut writes = Vec::new();
    for i in 0..13 {
        let store2 = store.clone();
        writes.push(tokio::spawn(register(
            store2,
            format!("gc{i:02}"),
            fails(i),
        )));
        // Queue them in order: each is waiting before the next is sent.
        until(&store, |s| s.waiting > i as u64).await;
    }
    let _ = open.send(());
    gate.await.unwrap().unwrap();
    let mut answers = Vec::new();
    for w in writes {
        answers.push(w.await.unwrap());
    }
    let after = store.group.stats();
    assert_eq!(
        (after.batches - before.batches, after.writes - before.writes),
        (1, 13),
        "the thirteen queued writes shared one transaction"
    );
    // Writes 1, 5, 9 and 12 failed alone, each with its own error; the others committed.
    for (i, a) in answers.iter().enumerate() {
        match a {
            Ok(code) => assert!(!fails(i) && code == &format!("gc{i:02}")),
            Err(e) => assert!(fails(i) && matches!(e, StoreError::Forbidden), "{i}: {e}"),
        }
    }
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT code FROM voice_services WHERE code LIKE 'gc%' ORDER BY code")
            .fetch_all(&store.reader)
            .await
            .unwrap();
    let expected: Vec<String> = (0..13)
        .filter(|&i| !fails(i))
        .map(|i| format!("gc{i:02}"))
        .collect();
    assert_eq!(kept, expected, "a failed write left nothing behind");
    // Their audit entries follow the queue order, and the chain is intact.
    let logged: Vec<String> = sqlx::query_scalar(
        "SELECT entity_id FROM audit_log WHERE entity = 'voice_service' ORDER BY seq",
    )
    .fetch_all(&store.reader)
    .await
    .unwrap();
    assert_eq!(logged, expected);
    assert!(matches!(
        store.audit_verify().await.unwrap(),
        Verdict::Intact { .. }
    ));
}
both_backends!(group_commit_batches_writes, batches);

async fn concurrent_filings(store: Store) {
    let t = tree(&store).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = store.clone();
        let place = if i % 3 == 0 {
            t.other_village
        } else {
            t.qianxi
        };
        tasks.push(tokio::spawn(async move {
            let mut r = report(place, &format!("第{i}号反映：村口路灯不亮"));
            r.contact = (i % 2 == 0).then(|| "13900001111".to_string());
            store.file_problem(&actor(), &r, "2026-03-01", T0).await
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        let (p, code) = task.await.unwrap().unwrap();
        // What the caller is given is what was committed.
        let stored = store.problem_by_code(&code).await.unwrap();
        assert_eq!(stored, p);
        ids.push(p.id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 40);
    // The figures count every filing at the village and above.
    let period = Period::parse("2026-03").unwrap();
    let (county, rows) = store
        .voice_figures(&Scope::All, t.county, &period)
        .await
        .unwrap();
    assert_eq!(county.collected, 40);
    let qianwu = rows.iter().find(|r| r.place_id == t.qianwu).unwrap();
    assert_eq!(qianwu.collected, 26);
    // One audit entry each, chained.
    let created: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'problem' AND action = 'create'",
    )
    .fetch_one(&store.reader)
    .await
    .unwrap();
    assert_eq!(created, 40);
    assert!(matches!(
        store.audit_verify().await.unwrap(),
        Verdict::Intact { .. }
    ));
    // The words are indexed: a similar report finds the village's lamp reports.
    let similar = store
        .similar_problems(&Scope::All, t.qianxi, "路灯不亮", None)
        .await
        .unwrap();
    assert!(!similar.is_empty());
}
both_backends!(concurrent_filings_are_all_committed, concurrent_filings);

async fn closed_meanwhile(store: Store) {
    let t = tree(&store).await;
    // A village closed after it was looked up: the filing is refused inside the write.
    let village = {
        let mut conn = store.reader.acquire().await.unwrap();
        jiceng_store::voice::village_for_problem(&mut conn, t.qianxi)
            .await
            .unwrap()
    };
    sqlx::query("UPDATE places SET closed_at = 1 WHERE id = $1")
        .bind(t.qianxi)
        .execute(&store.writer)
        .await
        .unwrap();
    let p = store
        .prepare_problem(&report(t.qianxi, "路灯不亮"), None)
        .unwrap();
    let mut tx = store.writer.begin().await.unwrap();
    let e = jiceng_store::voice::insert_problem(
        &mut tx,
        store.backend,
        &actor(),
        &village,
        &p,
        "2026-03-01",
        T0,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, StoreError::NotFound), "{e}");
}
both_backends!(
    a_village_closed_meanwhile_takes_no_problem,
    closed_meanwhile
);

/// A write given as SQL text (`run_text`, SQLite): queued together, the texts go as one; when
/// that text fails, each runs again alone, so only the failing writes fail, and a write run
/// in between keeps its place in the order.
async fn register_text(store: Store, code: String, fail: bool) -> Result<String, StoreError> {
    let answer = code.clone();
    let write = move |sql: &mut jiceng_store::sql::Sql, tag: i64| {
        // A failing write registers its code twice: the second breaks the primary key.
        for _ in 0..if fail { 2 } else { 1 } {
            sql.push(
                "INSERT INTO voice_services (code, name, description, service_group, keywords, \
                 sort_order) VALUES (",
            )
            .bind(code.as_str())
            .push(", ")
            .bind(format!("测试{code}"))
            .push(", '', '村务', '', 99);\n");
        }
        sql.push(&format!("SELECT {tag}, 1"));
    };
    let finish = move |_id: i64| {
        let audit = Audited {
            actor: actor(),
            change: Change::new("create", "voice_service", answer.clone(), None, None),
            now: T0,
        };
        (answer, audit)
    };
    store.group.run_text(write, finish).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_writes_share_one_text_and_fail_alone() {
    let (store, guard) = jiceng_store::testing::sqlite().await;
    let (open, gate) = hold_a_batch(&store);
    until(&store, |s| s.writes >= 1 && s.waiting == 0).await;
    let before = store.group.stats();
    // Texts 0-2, a run (3), texts 4-5; 2 fails amid texts, 5 fails last.
    let fails = |i: usize| i == 2 || i == 5;
    let mut writes = Vec::new();
    for i in 0..6_usize {
        let (s2, code) = (store.clone(), format!("tx{i}"));
        writes.push(if i == 3 {
            tokio::spawn(register(s2, code, false))
        } else {
            tokio::spawn(register_text(s2, code, fails(i)))
        });
        until(&store, |s| s.waiting > i as u64).await;
    }
    let _ = open.send(());
    gate.await.unwrap().unwrap();
    for (i, w) in writes.into_iter().enumerate() {
        let a = w.await.unwrap();
        assert_eq!(a.is_err(), fails(i), "{i}: {a:?}");
    }
    let after = store.group.stats();
    assert_eq!(
        (after.batches - before.batches, after.writes - before.writes),
        (1, 6)
    );
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT code FROM voice_services WHERE code LIKE 'tx%' ORDER BY code")
            .fetch_all(&store.reader)
            .await
            .unwrap();
    assert_eq!(kept, ["tx0", "tx1", "tx3", "tx4"]);
    let logged: Vec<String> = sqlx::query_scalar(
        "SELECT entity_id FROM audit_log WHERE entity = 'voice_service' ORDER BY seq",
    )
    .fetch_all(&store.reader)
    .await
    .unwrap();
    assert_eq!(logged, kept);
    assert!(matches!(
        store.audit_verify().await.unwrap(),
        Verdict::Intact { .. }
    ));
    store.close().await;
    guard.cleanup().await;
}

/// While writes keep the batcher busy, a write through the writer pool still gets its turn (the
/// batcher keeps the writer between batches only for a moment).
async fn others_get_a_turn(store: Store) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut busy = Vec::new();
    // More writers than a batch takes: the queue is never empty.
    for w in 0..(2 * jiceng_store::group::MAX_BATCH) {
        let (store, stop) = (store.clone(), stop.clone());
        busy.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                register(store.clone(), format!("busy{w}-{n}"), false)
                    .await
                    .unwrap();
                n += 1;
            }
            n
        }));
    }
    until(&store, |s| s.batches >= 20).await;
    let direct = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::query("UPDATE voice_services SET sort_order = 98 WHERE code LIKE 'busy0-%'")
            .execute(&store.writer),
    )
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut done = 0;
    for b in busy {
        done += b.await.unwrap();
    }
    assert!(direct.is_ok(), "the direct write waited behind the batches");
    direct.unwrap().unwrap();
    assert!(done > 0);
}
both_backends!(
    a_direct_write_gets_the_writer_between_batches,
    others_get_a_turn
);
