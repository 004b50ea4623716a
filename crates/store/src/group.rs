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
use crate::sql::Sql;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

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

/// A queued write, its type erased: run on the writer, or given as SQL text (SQLite), which
/// the batch sends together with the texts of the writes queued next to it, in one hand-off to
/// SQLite's thread for all of them (`run_text`).
enum Job {
    Run(Run),
    Text(TextJob),
}

/// Appends a write's statements to a batch's text, given the write's tag.
type WriteText = dyn Fn(&mut Sql, i64) + Send;

struct TextJob {
    /// Appends the write's statements to a batch's text; the last selects `tag, id` of the row
    /// written (no row when a guard in the text found it must not be written).
    write: Box<WriteText>,
    /// Its answer, from the id its text selected or the text's error.
    done: Box<dyn FnOnce(StoreResult<Option<i64>>) -> Option<Staged> + Send>,
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
    chore: Option<Chore>,
    jobs: Arc<Mutex<Option<mpsc::UnboundedSender<Job>>>>,
    counts: Arc<Counts>,
}

/// Work the writer owes after writes but need not do in their transaction: run at most once
/// every `every` while writes come, and once the writes stop (SQLite's search index of new
/// reports, `voice::search::CATCH_UP`, so a commit does not flush an index segment each time).
#[derive(Clone, Copy, Debug)]
pub struct Chore {
    /// One statement, idempotent (it works out what is owed from the data).
    pub sql: &'static str,
    pub every: Duration,
}

impl Chore {
    /// In its own transaction; a failure is logged and the chore is tried again after the
    /// next writes (what it owes stays in the data).
    pub async fn run(&self, conn: &mut AnyConnection) {
        if let Err(e) = sqlx::raw_sql(self.sql).execute(conn).await {
            tracing::warn!(error = %e, sql = self.sql, "group commit: chore failed");
        }
    }
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
    /// Batches of at most `max_batch` writes on the writer `pool`. The batcher keeps the writer
    /// from one batch to the next only while writes are queued, and for at most `HOLD`, so other
    /// writes through the pool interleave with batches.
    pub fn new(pool: AnyPool, max_batch: usize) -> Self {
        Self {
            pool,
            max: max_batch.max(1),
            chore: None,
            jobs: Arc::new(Mutex::new(None)),
            counts: Arc::default(),
        }
    }

    /// With `chore` run after writes (see `Chore`).
    pub fn with_chore(mut self, chore: Chore) -> Self {
        self.chore = Some(chore);
        self
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
            self.chore,
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
        self.queue(Job::Run(run))?;
        answer(rx).await
    }

    /// Runs the write `write` appends as SQL text (SQLite: several statements, `$n` numbered on
    /// from what the text holds, the last `SELECT <tag>, id`) in the next batch, with the texts of
    /// the other writes queued next to it; `finish` makes its value and audit entry from the id.
    /// When the text selects no id (a guard in it refused the write, which then wrote nothing),
    /// the answer is NotFound. If the batch's text fails, each write's text is run again alone,
    /// so one write's failure is its own.
    pub async fn run_text<T, W, F>(&self, write: W, finish: F) -> StoreResult<T>
    where
        T: Send + 'static,
        W: Fn(&mut Sql, i64) + Send + 'static,
        F: FnOnce(i64) -> (T, Audited<'static>) + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<StoreResult<T>>();
        let done = Box::new(move |r: StoreResult<Option<i64>>| {
            match r.and_then(|id| id.ok_or(StoreError::NotFound)) {
                Ok(id) => {
                    let (value, audit) = finish(id);
                    Some(Staged {
                        audit,
                        deliver: Box::new(move |r: StoreResult<()>| {
                            let _ = tx.send(r.map(|()| value));
                        }),
                    })
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    None
                }
            }
        });
        self.queue(Job::Text(TextJob {
            write: Box::new(write),
            done,
        }))?;
        answer(rx).await
    }
}

async fn answer<T>(rx: oneshot::Receiver<StoreResult<T>>) -> StoreResult<T> {
    rx.await.map_err(|_| {
        StoreError::Internal("group commit: the batch failed before this write ran".into())
    })?
}

/// The texts of `jobs` as one, after the statements `before` (a savepoint's; may be empty).
fn texts_sql(before: &str, jobs: &[TextJob]) -> (Sql, usize) {
    let mut sql = Sql::default();
    if !before.is_empty() {
        sql.push(before).push(";\n");
    }
    for (tag, job) in (0_i64..).zip(jobs) {
        (job.write)(&mut sql, tag);
        sql.push(";\n");
    }
    (sql, jobs.len())
}

/// Runs the texts `texts_sql` made; the id each selected, in order.
async fn run_texts(
    conn: &mut AnyConnection,
    (sql, n): (Sql, usize),
) -> StoreResult<Vec<Option<i64>>> {
    let rows: Vec<(i64, i64)> = sql.query_as().fetch_all(&mut *conn).await?;
    let mut ids = vec![None; n];
    for (tag, id) in rows {
        if let Some(slot) = usize::try_from(tag).ok().and_then(|t| ids.get_mut(t)) {
            *slot = Some(id);
        }
    }
    Ok(ids)
}

/// One write of a batch: a run, or the texts queued next to each other.
enum Step {
    Run(Run),
    Texts(Vec<TextJob>),
}

fn steps(batch: Vec<Job>) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    for job in batch {
        match (job, out.last_mut()) {
            (Job::Text(t), Some(Step::Texts(ts))) => ts.push(t),
            (Job::Text(t), _) => out.push(Step::Texts(vec![t])),
            (Job::Run(r), _) => out.push(Step::Run(r)),
        }
    }
    out
}

impl Step {
    fn into_jobs(self) -> Vec<Job> {
        match self {
            Step::Run(r) => vec![Job::Run(r)],
            Step::Texts(ts) => ts.into_iter().map(Job::Text).collect(),
        }
    }
}

/// What goes to the writer before the next write, after one that failed or succeeded: the
/// previous write's end and the next one's savepoint, as one text (one hand-off, not two).
fn between(failed: bool) -> &'static str {
    if failed {
        // ROLLBACK TO keeps the savepoint open; RELEASE takes it off the stack.
        "ROLLBACK TO SAVEPOINT batch_item; RELEASE SAVEPOINT batch_item; SAVEPOINT batch_item"
    } else {
        "RELEASE SAVEPOINT batch_item; SAVEPOINT batch_item"
    }
}

/// Runs the texts of one step inside the savepoint `before` opens; collects what succeeded into
/// `staged`. Returns whether the savepoint now holds a failed write (to roll back), or Err when
/// the transaction is in an unknown state.
async fn texts_step(
    tx: &mut AnyConnection,
    before: &str,
    texts: Vec<TextJob>,
    staged: &mut Vec<Staged>,
) -> Result<bool, &'static str> {
    if let Ok(ids) = run_texts(tx, texts_sql(before, &texts)).await {
        for (t, id) in texts.into_iter().zip(ids) {
            staged.extend((t.done)(Ok(id)));
        }
        return Ok(false);
    }
    // One of them failed: undo them all and run each alone in its savepoint (the one open).
    let undo = "ROLLBACK TO SAVEPOINT batch_item";
    if let Err(e) = sqlx::raw_sql(undo).execute(&mut *tx).await {
        tracing::warn!(error = %e, "group commit: {undo} failed");
        return Err(undo);
    }
    let mut failed = None;
    for t in texts {
        if let Some(f) = failed {
            let next = between(f);
            if let Err(e) = sqlx::raw_sql(next).execute(&mut *tx).await {
                tracing::warn!(error = %e, "group commit: {next} failed");
                return Err("SAVEPOINT");
            }
        }
        let r = run_texts(tx, texts_sql("", std::slice::from_ref(&t))).await;
        let done = (t.done)(r.map(|ids| ids.first().copied().flatten()));
        failed = Some(done.is_none());
        staged.extend(done);
    }
    Ok(failed == Some(true))
}

/// How long the batcher keeps the writer across batches while writes keep coming, before it
/// gives other writes through the pool their turn.
const HOLD: Duration = Duration::from_millis(20);

async fn batcher(
    pool: AnyPool,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    max: usize,
    counts: Arc<Counts>,
    chore: Option<Chore>,
) {
    // When the chore is owed: set by the first batch after it last ran.
    let mut due: Option<Instant> = None;
    // The writer, kept from one batch to the next while writes are queued (taking it from the
    // pool is a hand-off of its own each time), given back when the queue is empty or after HOLD.
    let mut held: Option<(PoolConnection<Any>, Instant)> = None;
    loop {
        let next = match jobs.try_recv() {
            Ok(job) => Some(job),
            Err(mpsc::error::TryRecvError::Disconnected) => None,
            Err(mpsc::error::TryRecvError::Empty) => {
                held = None;
                match (&chore, due) {
                    (Some(c), Some(at)) => match tokio::time::timeout_at(at, jobs.recv()).await {
                        Ok(next) => next,
                        // The writes have stopped: the chore now, not with the next write.
                        Err(_) => {
                            match pool.acquire().await {
                                Ok(mut conn) => c.run(&mut conn).await,
                                Err(e) => tracing::warn!(error = %e, "group commit: chore"),
                            }
                            due = None;
                            continue;
                        }
                    },
                    _ => jobs.recv().await,
                }
            }
        };
        let Some(first) = next else { break };
        if held
            .as_ref()
            .is_some_and(|(_, since)| since.elapsed() > HOLD)
        {
            held = None;
        }
        let conn = match &mut held {
            Some((conn, _)) => conn,
            None => match pool.acquire().await {
                Ok(conn) => &mut held.insert((conn, Instant::now())).0,
                Err(e) => {
                    abandon(vec![first], &StoreError::from(e));
                    continue;
                }
            },
        };
        if !run_batch(conn, first, &mut jobs, max, &counts).await {
            // The connection may be in an unknown state: the pool gets it back to check.
            held = None;
            continue;
        }
        if let (Some(c), Some((conn, _))) = (&chore, &mut held) {
            let at = *due.get_or_insert_with(|| Instant::now() + c.every);
            if Instant::now() >= at {
                c.run(conn).await;
                due = None;
            }
        }
    }
    tracing::info!(
        batches = counts.batches.load(Ordering::Relaxed),
        writes = counts.writes.load(Ordering::Relaxed),
        "group commit: batcher stopped"
    );
}

/// Takes `first` and what queued behind it (up to `max`), runs them in one transaction on
/// `conn` and answers each. False when the transaction could not be begun or ended.
async fn run_batch(
    conn: &mut AnyConnection,
    first: Job,
    jobs: &mut mpsc::UnboundedReceiver<Job>,
    max: usize,
    counts: &Counts,
) -> bool {
    let mut batch = vec![first];
    let tx = sqlx::Connection::begin(conn).await;
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
            return false;
        }
    };
    let mut staged: Vec<Staged> = Vec::with_capacity(batch.len());
    let mut broken = None;
    // A batch of one needs no savepoint: its failure is the transaction's.
    if batch.len() == 1 {
        let mut only = batch;
        let result = match only.pop() {
            Some(Job::Run(run)) => run(&mut tx).await,
            Some(Job::Text(t)) => {
                let r = run_texts(&mut tx, texts_sql("", std::slice::from_ref(&t))).await;
                (t.done)(r.map(|ids| ids.first().copied().flatten()))
            }
            None => None,
        };
        // A write that failed leaves `tx` to roll back as it drops.
        let Some(s) = result else { return true };
        let r = commit(tx, std::slice::from_ref(&s.audit)).await;
        let ended = r.is_ok();
        (s.deliver)(r);
        return ended;
    }
    let mut pending = steps(batch).into_iter();
    let mut before: &'static str = "SAVEPOINT batch_item";
    let mut last_failed = false;
    for step in pending.by_ref() {
        last_failed = match step {
            Step::Run(run) => {
                if let Err(e) = sqlx::raw_sql(before).execute(&mut *tx).await {
                    tracing::warn!(error = %e, "group commit: {before} failed");
                    abandon(vec![Job::Run(run)], &StoreError::from(e));
                    broken = Some("SAVEPOINT");
                    break;
                }
                let done = run(&mut tx).await;
                let failed = done.is_none();
                staged.extend(done);
                failed
            }
            // The savepoint goes at the head of the texts: one hand-off for both.
            Step::Texts(texts) => match texts_step(&mut tx, before, texts, &mut staged).await {
                Ok(failed) => failed,
                Err(what) => {
                    broken = Some(what);
                    break;
                }
            },
        };
        before = between(last_failed);
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
            abandon(
                pending.flat_map(Step::into_jobs).collect(),
                &StoreError::Internal(what.into()),
            );
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
    let ended = result.is_ok();
    for deliver in staged_delivers {
        deliver(match &result {
            Ok(()) => Ok(()),
            // StoreError is not Clone (sqlx's errors are not): each member gets its text.
            Err(e) => Err(StoreError::Internal(format!("group commit: {e}"))),
        });
    }
    ended
}

/// The audit entries of the writes that succeeded, in order, then the commit.
async fn commit(
    mut tx: sqlx::Transaction<'_, sqlx::Any>,
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
