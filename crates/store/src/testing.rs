//! Fresh databases for tests: a temporary SQLite file, or a fresh PostgreSQL schema on the server
//! named by `JICENG_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/test`). Without a reachable
//! server the PostgreSQL half of a test is skipped loudly, except in CI (`CI=true`), where it fails.

use crate::{Sealer, Store, StoreOptions};
use sqlx::Connection;

pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Keeps the test database alive; dropping it removes the SQLite file.
#[derive(Debug)]
pub enum Guard {
    Sqlite(tempfile::TempDir),
    Postgres { base: String, schema: String },
}

impl Guard {
    /// Drops a PostgreSQL schema (call at the end of a passing test; failures keep theirs for a look).
    pub async fn cleanup(self) {
        if let Guard::Postgres { base, schema } = self
            && let Ok(mut c) = sqlx::AnyConnection::connect(&base).await
        {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE"
            )))
            .execute(&mut c)
            .await;
        }
    }
}

pub fn test_sealer() -> Sealer {
    Sealer::new(&[42u8; 32])
}

fn fast_argon() -> argon2::Params {
    // Test-only: cheap hashing keeps hundreds of logins fast; production uses argon2's defaults.
    argon2::Params::new(1024, 1, 1, None).unwrap_or_default()
}

pub async fn sqlite() -> (Store, Guard) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::connect(&StoreOptions::new(url), test_sealer())
        .await
        .unwrap_or_else(|e| panic!("sqlite: {e}"))
        .with_argon_params(fast_argon());
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));
    (store, Guard::Sqlite(dir))
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A migrated store in a fresh schema, or None (after a loud message) when no server is reachable
/// outside CI.
pub async fn postgres() -> Option<(Store, Guard)> {
    crate::install_drivers();
    let base = std::env::var("JICENG_TEST_PG").unwrap_or_else(|_| DEFAULT_PG.to_string());
    let mut conn = match sqlx::AnyConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) if !in_ci() => {
            eprintln!(
                "\n!!! PostgreSQL at {base} is unreachable ({e}); SKIPPING the PostgreSQL half of this test !!!\n"
            );
            return None;
        }
        Err(e) => panic!("CI=true and PostgreSQL at {base} is unreachable: {e}"),
    };
    let stamp = std::time::UNIX_EPOCH
        .elapsed()
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let schema = format!("t_{stamp}_{}", &crate::users::random_token()[..10]);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("create schema: {e}"));
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = Store::connect(&StoreOptions::new(url), test_sealer())
        .await
        .unwrap_or_else(|e| panic!("postgres: {e}"))
        .with_argon_params(fast_argon());
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));
    Some((store, Guard::Postgres { base, schema }))
}

/// Runs one async test body against SQLite and then PostgreSQL.
/// `both_backends!(name, body_fn)` where `body_fn: async fn(Store)`.
/// Makes every INSERT into `table` fail (a trigger), to see what a failing step leaves behind.
pub async fn fail_inserts(store: &Store, table: &str) {
    let sql = match store.backend {
        crate::Backend::Sqlite => format!(
            "CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'injected'); END"
        ),
        crate::Backend::Postgres => format!(
            "CREATE FUNCTION fail_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             RAISE EXCEPTION 'injected'; END $$; \
             CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION fail_{table}()"
        ),
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&store.writer)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Undoes `fail_inserts`.
pub async fn allow_inserts(store: &Store, table: &str) {
    let sql = match store.backend {
        crate::Backend::Sqlite => format!("DROP TRIGGER fail_{table}"),
        crate::Backend::Postgres => {
            format!("DROP TRIGGER fail_{table} ON {table}; DROP FUNCTION fail_{table}()")
        }
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&store.writer)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (store, guard) = $crate::testing::sqlite().await;
                super::$body(store.clone()).await;
                store.close().await;
                guard.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some((store, guard)) = $crate::testing::postgres().await {
                    super::$body(store.clone()).await;
                    store.close().await;
                    guard.cleanup().await;
                }
            }
        }
    };
}
