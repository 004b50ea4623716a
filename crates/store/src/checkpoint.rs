//! SQLite's WAL checkpoints off the writer. By default the connection whose commit takes the
//! write-ahead log past 1,000 pages copies them into the database file and syncs it, inside
//! that commit: the writer (and every filing waiting on it) pays for it every few dozen
//! commits. Here a reader connection runs a PASSIVE checkpoint every `EVERY` instead, on its own
//! thread, beside the writer (PASSIVE never blocks the writer or readers); the writer still
//! checkpoints by itself past `BACKSTOP_PAGES`, should this pass fall behind or not run.

use sqlx::AnyPool;
use std::sync::Weak;
use std::time::Duration;

/// How often the background pass runs (an idle database costs it a look at the log's header).
pub const EVERY: Duration = Duration::from_millis(100);

/// `PRAGMA wal_autocheckpoint` of every connection: 40 MB of log at 4 KiB a page.
pub const BACKSTOP_PAGES: u32 = 10_000;

/// Starts the pass on the caller's runtime; it ends when `alive` has no strong reference left
/// (the store and its clones are gone) or the pool is closed.
pub(crate) fn spawn(pool: AnyPool, alive: Weak<()>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if alive.strong_count() == 0 || pool.is_closed() {
                break;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::debug!(error = %e, "background checkpoint");
            }
        }
    });
}
