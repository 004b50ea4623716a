//! Group commit: concurrent writes batched into one writer transaction, so that a burst of small
//! writes (residents filing reports) shares one `BEGIN … COMMIT`, one fsync and one audit-head
//! update instead of paying each per write.
//!
//! A write is a closure run on the writer connection. The batcher (one tokio task per store)
//! takes whatever writes are queued when it gets the writer, runs each in its own `SAVEPOINT`
//! (one that fails is rolled back to its savepoint and answered with its error, the others go
//! on), appends the audit entries of the writes that succeeded in order (one hash chain, as
//! `audit::append` would have written them one by one), commits, and only then answers each
//! caller. A 200 therefore still means committed. A failure of the batch itself (the commit)
//! is every member's failure.

use crate::Actor;
use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use sqlx::{AnyConnection, AnyPool};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// A future that borrows the writer connection for its lifetime.
pub type WriteFuture<'c, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'c>>;

/// The audit entry a batched write asks for (appended by the batch, after the write).
#[derive(Debug, Clone)]
pub struct Audited<'a> {
    pub actor: Actor,
    pub change: Change<'a>,
    pub now: i64,
}

/// Most writes one transaction takes: bounds the time a caller waits behind others and the size
/// of the audit INSERT (13 values a row).
pub const MAX_BATCH: usize = 32;

type Deliver = Box<dyn FnOnce(StoreResult<()>) + Send>;
type Run = Box<
    dyn for<'c> FnOnce(
            &'c mut AnyConnection,
        ) -> Pin<Box<dyn Future<Output = Option<Staged>> + Send + 'c>>
        + Send,
>;

/// A queued write, its type erased.
struct Job {
    run: Run,
}

/// A write that succeeded inside its savepoint, waiting for the commit.
struct Staged {
    audit: Audited<'static>,
    deliver: Deliver,
}

/// The handle writes are queued through (cheap to clone). The batcher is started on first use,
/// on the runtime of that caller, and again if that runtime has gone (tests run one per test).
#[derive(Clone, Debug)]
pub struct GroupCommit {
    pool: AnyPool,
    max: usize,
    jobs: Arc<Mutex<Option<mpsc::UnboundedSender<Job>>>>,
    counts: Arc<Counts>,
}

/// What the batcher has done so far (for tests and for a look at batch sizes).
#[derive(Debug, Default)]
struct Counts {
    queued: AtomicU64,
    batches: AtomicU64,
    writes: AtomicU64,
}

/// A snapshot of `Counts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupStats {
    /// Writes queued and not yet taken into a batch.
    pub waiting: u64,
    /// Transactions begun for batches, and the writes they took.
    pub batches: u64,
    pub writes: u64,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl GroupCommit {
    /// Batches of at most `max_batch` writes on the writer `pool`. The batcher takes the writer
    /// from the pool for each batch, so other writes through the pool interleave with batches.
    pub fn new(pool: AnyPool, max_batch: usize) -> Self {
        Self {
            pool,
            max: max_batch.max(1),
            jobs: Arc::new(Mutex::new(None)),
            counts: Arc::default(),
        }
    }

    pub fn stats(&self) -> GroupStats {
        let c = &self.counts;
        let writes = c.writes.load(Ordering::Relaxed);
        GroupStats {
            waiting: c.queued.load(Ordering::Relaxed).saturating_sub(writes),
            batches: c.batches.load(Ordering::Relaxed),
            writes,
        }
    }

    fn queue(&self, job: Job) -> StoreResult<()> {
        self.counts.queued.fetch_add(1, Ordering::Relaxed);
        // A panic while holding the lock leaves only the sender behind: keep using it.
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let job = match jobs.as_ref() {
            Some(sender) => match sender.send(job) {
                Ok(()) => return Ok(()),
                // The batcher's runtime has gone: start another on this one.
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(batcher(
            self.pool.clone(),
            rx,
            self.max,
            Arc::clone(&self.counts),
        ));
        tx.send(job)
            .map_err(|_| StoreError::Internal("group commit stopped".into()))?;
        *jobs = Some(tx);
        Ok(())
    }

    /// Runs `write` in the next batch and returns its value once the batch has committed. The
    /// write leaves its audit entry to the batch (it returns it) rather than append it.
    pub async fn run<T, F>(&self, write: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> WriteFuture<'c, (T, Audited<'static>)>
            + Send
            + 'static,
    {
        let (tx, rx) = oneshot::channel::<StoreResult<T>>();
        let run: Run = Box::new(move |conn| {
            Box::pin(async move {
                match write(conn).await {
                    Ok((value, audit)) => Some(Staged {
                        audit,
                        deliver: Box::new(move |r: StoreResult<()>| {
                            let _ = tx.send(r.map(|()| value));
                        }),
                    }),
                    Err(e) => {
                        // Nothing of it will be committed: its savepoint is rolled back next.
                        let _ = tx.send(Err(e));
                        None
                    }
                }
            })
        });
        self.queue(Job { run })?;
        rx.await.map_err(|_| {
            StoreError::Internal("group commit: the batch failed before this write ran".into())
        })?
    }
}

async fn batcher(
    pool: AnyPool,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    max: usize,
    counts: Arc<Counts>,
) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        let tx = pool.begin().await;
        // What queued while the writer was busy (the previous batch's commit, another write)
        // joins this batch.
        while batch.len() < max {
            match jobs.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let n = batch.len() as u64;
        let batches = counts.batches.fetch_add(1, Ordering::Relaxed) + 1;
        let writes = counts.writes.fetch_add(n, Ordering::Relaxed) + n;
        // Now and then, how full the batches are (the benchmark reads it from the log).
        if (writes - n) / 10_000 != writes / 10_000 {
            tracing::info!(batches, writes, "group commit");
        }
        let mut tx = match tx {
            Ok(tx) => tx,
            Err(e) => {
                abandon(batch, &StoreError::from(e));
                continue;
            }
        };
        let mut staged: Vec<Staged> = Vec::with_capacity(batch.len());
        let mut broken = None;
        // A batch of one needs no savepoint: its failure is the transaction's.
        if batch.len() == 1 {
            let mut only = batch;
            let result = match only.pop() {
                Some(job) => (job.run)(&mut tx).await,
                None => None,
            };
            if let Some(s) = result {
                let r = commit(tx, std::slice::from_ref(&s.audit)).await;
                (s.deliver)(r);
            }
            continue;
        }
        let mut pending = batch.into_iter();
        // What goes to the writer before the next write: the previous write's end and the next
        // one's savepoint, as one text (one hand-off to the connection, not two).
        let mut before: &'static str = "SAVEPOINT batch_item";
        let mut last_failed = false;
        for job in pending.by_ref() {
            if let Err(e) = sqlx::raw_sql(before).execute(&mut *tx).await {
                tracing::warn!(error = %e, "group commit: {before} failed");
                abandon(vec![job], &StoreError::from(e));
                broken = Some("SAVEPOINT");
                break;
            }
            let done = (job.run)(&mut tx).await;
            last_failed = done.is_none();
            // ROLLBACK TO keeps the savepoint open; RELEASE takes it off the stack.
            before = if last_failed {
                "ROLLBACK TO SAVEPOINT batch_item; RELEASE SAVEPOINT batch_item; SAVEPOINT batch_item"
            } else {
                "RELEASE SAVEPOINT batch_item; SAVEPOINT batch_item"
            };
            staged.extend(done);
        }
        // The last write's savepoint: undone when it failed; when it succeeded the commit
        // releases it with the transaction.
        if broken.is_none() && last_failed {
            let end = "ROLLBACK TO SAVEPOINT batch_item";
            if let Err(e) = sqlx::raw_sql(end).execute(&mut *tx).await {
                tracing::warn!(error = %e, "group commit: {end} failed");
                broken = Some(end);
            }
        }
        let staged_delivers: Vec<Deliver>;
        let result = match broken {
            // The transaction is in an unknown state: nothing of this batch is committed (it is
            // rolled back when `tx` drops).
            Some(what) => {
                abandon(pending.collect(), &StoreError::Internal(what.into()));
                staged_delivers = staged.into_iter().map(|s| s.deliver).collect();
                Err(StoreError::Internal(format!("{what} failed")))
            }
            None => {
                let (audits, delivers): (Vec<_>, Vec<_>) =
                    staged.into_iter().map(|s| (s.audit, s.deliver)).unzip();
                staged_delivers = delivers;
                commit(tx, &audits).await
            }
        };
        for deliver in staged_delivers {
            deliver(match &result {
                Ok(()) => Ok(()),
                // StoreError is not Clone (sqlx's errors are not): each member gets its text.
                Err(e) => Err(StoreError::Internal(format!("group commit: {e}"))),
            });
        }
    }
    tracing::info!(
        batches = counts.batches.load(Ordering::Relaxed),
        writes = counts.writes.load(Ordering::Relaxed),
        "group commit: batcher stopped"
    );
}

/// The audit entries of the writes that succeeded, in order, then the commit.
async fn commit(
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    audits: &[Audited<'static>],
) -> StoreResult<()> {
    if !audits.is_empty() {
        let entries: Vec<&Audited<'_>> = audits.iter().collect();
        audit::append_many(&mut tx, &entries).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Drops jobs that will not run; their callers are answered with an error (the reply channel
/// closes), and the log says why.
fn abandon(jobs: Vec<Job>, e: &StoreError) {
    if !jobs.is_empty() {
        tracing::warn!(error = %e, writes = jobs.len(), "group commit: writes not run");
    }
}
