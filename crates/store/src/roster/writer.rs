//! The write side of a roster import: a task that owns the write transaction and inserts each
//! sealed batch as soon as it comes. SQLite's thread (or PostgreSQL) inserts while the next
//! batches are read, checked and sealed, instead of in turns with them.

use super::rows;
use super::{Pending, Written};
use crate::Backend;
use crate::error::{StoreError, StoreResult};
use sqlx::{Any, AnyConnection, Transaction};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Sealed batches that may wait for the writer task besides the one it is inserting: enough
/// that neither side waits for the other whenever the scheduler runs the two cores' three busy
/// threads (reader, checker, SQLite) unevenly (with one, the import took 7% longer).
const WAITING_BATCHES: usize = 4;

pub(super) struct Writer {
    pub(super) batches: mpsc::Sender<Pending>,
    pub(super) written: mpsc::UnboundedReceiver<StoreResult<Written>>,
    /// Batches sent whose result has not come back yet.
    pub(super) in_flight: usize,
    /// Gives the transaction back once `batches` is closed (after an insert failed, at once).
    task: JoinHandle<Transaction<'static, Any>>,
}

impl Writer {
    pub(super) fn start(mut tx: Transaction<'static, Any>, backend: Backend) -> Self {
        let (batches, mut rx) = mpsc::channel::<Pending>(WAITING_BATCHES);
        let (done, written) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                let result = insert(&mut tx, backend, p).await;
                let failed = result.is_err();
                if done.send(result).is_err() || failed {
                    break;
                }
            }
            tx
        });
        Self {
            batches,
            written,
            in_flight: 0,
            task,
        }
    }

    /// Closes the queue and takes the transaction back once the batch being inserted is done.
    pub(super) async fn stop(self) -> StoreResult<Transaction<'static, Any>> {
        drop(self.batches);
        self.task
            .await
            .map_err(|e| StoreError::Internal(format!("roster writer: {e}")))
    }
}

/// Inserts a sealed batch; returns its rows with their new ids.
async fn insert(tx: &mut AnyConnection, backend: Backend, p: Pending) -> StoreResult<Written> {
    let ids = rows::insert_members(tx, backend, p.args, &p.indexes, p.first_id).await?;
    Ok(p.rows.into_iter().zip(ids).collect())
}
