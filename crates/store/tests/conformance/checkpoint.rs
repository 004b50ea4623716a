//! SQLite's write-ahead log is copied into the database file by a background pass
//! (`jiceng_store::checkpoint`), not inside the writer's commits.
use crate::voice::report;
use crate::{T0, actor, tree};
use jiceng_store::testing::Guard;
use sqlx::Connection;

/// The reports whose body is `body` in the database file alone (a copy without its WAL).
async fn in_the_file(dir: &std::path::Path, body: &str) -> Option<i64> {
    let copy = dir.join("copy.db");
    std::fs::copy(dir.join("test.db"), &copy).ok()?;
    let url = format!("sqlite://{}?mode=ro", copy.display());
    let mut conn = sqlx::AnyConnection::connect(&url).await.ok()?;
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM problems WHERE body = $1")
        .bind(body)
        .fetch_one(&mut conn)
        .await
        .ok();
    let _ = conn.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_reaches_the_database_file_in_the_background() {
    let (store, guard) = jiceng_store::testing::sqlite().await;
    let Guard::Sqlite(dir) = &guard else {
        panic!("a SQLite store has a directory")
    };
    let t = tree(&store).await;
    let body = "后台检查点：村口路灯不亮";
    store
        .file_problem(&actor(), &report(t.qianxi, body), "2026-03-01", T0)
        .await
        .unwrap();
    // One small write is far below the writer's own threshold (BACKSTOP_PAGES): only the
    // background pass can have put it in the file.
    let mut waited = 0;
    while in_the_file(dir.path(), body).await != Some(1) {
        assert!(waited < 100, "the report never reached the database file");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    store.close().await;
    guard.cleanup().await;
}
