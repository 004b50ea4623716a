//! Storage for jiceng: one schema and one set of queries for SQLite and PostgreSQL (sqlx `Any`,
//! SQL text with `$n` placeholders that both accept). Every write puts its record, its audit entry and
//! its roll-up deltas in one transaction.

/// The members who count (current ones): every status but the former ones (left, died,
/// transferred out of the system). One definition for every query that counts or lists them; a
/// test keeps it in step with `jiceng_domain::member::CURRENT`.
macro_rules! counted {
    () => {
        "m.status NOT IN ('left', 'deceased', 'transferred_out')"
    };
}

/// `counted!()` as a value, for queries built with `format!`.
pub(crate) const COUNTED: &str = counted!();

pub mod audit;
pub mod board;
pub mod bulk;
pub mod checkpoint;
pub mod coverage;
pub mod decisions;
pub mod dues;
pub mod dues_branch;
pub mod error;
pub mod flows;
pub mod formation;
pub mod group;
pub mod households;
pub mod life;
pub mod mandates;
pub mod matters;
pub mod meeting_files;
pub mod meeting_import;
pub mod meetings;
pub mod members;
pub mod observations;
pub mod open311;
pub mod orgs;
pub mod period_rollups;
pub mod places;
pub mod recent;
pub mod recruitment;
pub mod rollups;
pub mod roster;
pub mod schema;
pub mod scope;
pub mod seal;
pub mod services;
pub mod sql;
pub mod studio_edit;
pub mod studios;
pub mod teams;
// Test support: a panic here fails the test that asked for a database, which is what it should do.
#[allow(clippy::panic)]
pub mod testing;
pub mod totp;
pub mod transfers;
pub mod units;
pub mod users;
pub mod village;
pub mod village_meetings;
pub mod voice;

pub use error::{StoreError, StoreResult};
pub use scope::Scope;
pub use seal::Sealer;

use sqlx::AnyPool;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use std::time::Duration;

/// Registers the SQLite and PostgreSQL drivers with sqlx `Any` (idempotent).
pub fn install_drivers() {
    install_default_drivers();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Who makes a change, from where: every audit entry carries it.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub ip: String,
    pub request_id: String,
}

impl Actor {
    /// Changes made from the command line by the operator.
    pub fn cli(what: &str) -> Self {
        Self {
            user_id: None,
            username: format!("cli:{what}"),
            ip: "local".into(),
            request_id: String::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    pub readers: u32,
    /// PostgreSQL writer connections; SQLite always has exactly one writer (its lock serialises
    /// writers anyway, so more connections would add latency, not throughput).
    pub pg_writers: u32,
    pub acquire_timeout: Duration,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            readers: 4,
            pg_writers: 8,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// The database: a writer pool and a reader pool, plus the key that seals personal data.
#[derive(Clone)]
pub struct Store {
    pub writer: AnyPool,
    pub reader: AnyPool,
    pub backend: Backend,
    pub sealer: Sealer,
    /// Batches concurrent small writes into one writer transaction (`group.rs`).
    pub group: group::GroupCommit,
    pub argon: argon2::Params,
    /// Above this many members in its region, a member search starts from its indexes
    /// (`members/list.rs`); tests lower it to run both ways on a small register.
    pub search_index_first_above: i64,
    /// A filtered problem list counts up to this many rows (`voice/list.rs`); tests lower it.
    pub problem_count_cap: i64,
    /// Above this many problems in its region, a problem search on PostgreSQL starts from the
    /// words' index; tests lower it to run both ways on a few problems.
    pub problem_words_first_above: i64,
    /// The problem categories (`voice_services`, changed only by migrations), read again after
    /// `open311::CATEGORIES_FOR`: every resident's filing checks its category against them.
    pub(crate) categories: recent::Recent<(), Vec<open311::VoiceService>>,
    /// Open villages and communities by code, for the resident's pages (`places::VILLAGES_FOR`);
    /// cleared by every change of a place made here.
    pub(crate) villages: recent::Recent<String, places::Place>,
    /// Held by every clone: SQLite's background checkpoint ends when the last one is dropped.
    alive: std::sync::Arc<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

pub fn backend_of(url: &str) -> StoreResult<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::Config(format!(
            "数据库地址须以 sqlite:// 或 postgres:// 开头：{url}"
        )))
    }
}

impl Store {
    pub async fn connect(opts: &StoreOptions, sealer: Sealer) -> StoreResult<Self> {
        install_drivers();
        let backend = backend_of(&opts.url)?;
        let url = match backend {
            // Create the file if missing: `demo` and `migrate` start from nothing.
            Backend::Sqlite if !opts.url.contains("mode=") => {
                let sep = if opts.url.contains('?') { '&' } else { '?' };
                format!("{}{sep}mode=rwc", opts.url)
            }
            _ => opts.url.clone(),
        };
        let pool = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(opts.acquire_timeout)
                // A ping before each use is one more round trip to SQLite's thread for every
                // request; a connection to a local file does not go stale as a socket can.
                .test_before_acquire(backend != Backend::Sqlite)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            let pragmas = format!(
                                "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; \
                                 PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint={};",
                                checkpoint::BACKSTOP_PAGES
                            );
                            sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas))
                                .execute(&mut *conn)
                                .await?;
                        }
                        Ok(())
                    })
                })
        };
        let writers = if backend == Backend::Sqlite {
            1
        } else {
            opts.pg_writers
        };
        let writer = pool(writers).connect(&url).await?;
        let reader = pool(opts.readers).connect(&url).await?;
        let store = Self {
            group: match backend {
                Backend::Sqlite => group::GroupCommit::new(writer.clone(), group::MAX_BATCH)
                    .with_chore(group::Chore {
                        sql: voice::search::CATCH_UP,
                        every: voice::search::CATCH_UP_EVERY,
                    }),
                // The GIN index follows `problems.tokens` in the filing's own commit.
                Backend::Postgres => group::GroupCommit::new(writer.clone(), group::MAX_BATCH),
            },
            writer,
            reader,
            backend,
            sealer,
            argon: argon2::Params::default(),
            search_index_first_above: members::INDEX_FIRST_ABOVE,
            problem_count_cap: Store::PROBLEM_COUNT_CAP,
            problem_words_first_above: Store::PROBLEM_SEARCH_INDEX_ABOVE,
            categories: recent::Recent::new(open311::CATEGORIES_FOR, 1),
            villages: recent::Recent::new(places::VILLAGES_FOR, 50_000),
            alive: std::sync::Arc::new(()),
        };
        if backend == Backend::Sqlite {
            checkpoint::spawn(
                store.reader.clone(),
                std::sync::Arc::downgrade(&store.alive),
            );
        }
        Ok(store)
    }

    /// Lighter password hashing for tests only (argon2 defaults cost ~20 ms a hash).
    pub fn with_argon_params(mut self, params: argon2::Params) -> Self {
        self.argon = params;
        self
    }

    pub async fn migrate(&self) -> StoreResult<Vec<String>> {
        let applied = schema::migrate(&self.writer, self.backend).await?;
        self.seed_dues_rules().await?;
        self.seed_coverage_rules().await?;
        self.seed_power_items().await?;
        self.seed_meeting_rules().await?;
        self.seed_publication_rules().await?;
        self.index_unindexed_problems().await?;
        Ok(applied)
    }

    /// For /healthz: a round trip to the database.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

#[cfg(test)]
mod counted_tests {
    #[test]
    fn counted_is_every_status_but_the_current_ones() {
        use jiceng_domain::member::{CURRENT, STATUSES};
        let former: Vec<String> = STATUSES
            .iter()
            .filter(|s| !CURRENT.contains(&s.0))
            .map(|s| format!("'{}'", s.0))
            .collect();
        assert_eq!(
            super::COUNTED,
            format!("m.status NOT IN ({})", former.join(", "))
        );
    }
}
