//! Group commit for flow inserts.
//!
//! Every durable commit costs a WAL write (SQLite) or a WAL flush and round
//! trip (PostgreSQL); paying that per flow caps throughput far below what
//! the API needs. A single writer task takes whatever inserts are queued,
//! writes them in one transaction with multi-row INSERTs and answers each
//! caller through its oneshot only after COMMIT. There is no timer: while
//! one batch commits the next one accumulates, so batches grow with load and
//! a lone insert is written immediately.

use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;

use crate::db::{values_placeholders, with_pool, Db};
use crate::error::{StoreError, StoreResult};
use crate::flows::{
    bind_sealed_flow, flow_insert_error, SealedFlow, FLOW_INSERT_COLUMNS, FLOW_INSERT_COLUMN_COUNT,
};
use crate::ledger::{
    merge_counts, write_counts, BILL_COLUMNS, BILL_COLUMN_COUNT, BILL_RETENTION_MS,
};

/// Queued inserts beyond this make callers wait (backpressure).
const QUEUE_CAPACITY: usize = 16_384;
/// Inserts per transaction.
const MAX_BATCH: usize = 2_048;
/// Rows per INSERT statement: 256 × 12 = 3,072 bind parameters, well under
/// SQLite's 32,766 and PostgreSQL's 65,535.
const ROWS_PER_STATEMENT: usize = 256;

type Reply = oneshot::Sender<StoreResult<()>>;

enum WriterMessage {
    Insert(Box<SealedFlow>, Reply),
    Shutdown(oneshot::Sender<()>),
}

#[derive(Debug)]
pub(crate) struct FlowWriter {
    queue: mpsc::Sender<WriterMessage>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for WriterMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriterMessage::Insert(flow, _) => write!(f, "Insert({})", flow.token),
            WriterMessage::Shutdown(_) => f.write_str("Shutdown"),
        }
    }
}

impl FlowWriter {
    pub(crate) fn spawn(db: Db) -> FlowWriter {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let task = tokio::spawn(run_writer(db, receiver));
        FlowWriter {
            queue,
            task: Mutex::new(Some(task)),
        }
    }

    pub(crate) async fn insert(&self, flow: SealedFlow) -> StoreResult<()> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(WriterMessage::Insert(Box::new(flow), reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        // A dropped reply means the writer task died (e.g. runtime shutdown).
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Stops intake and waits until everything already queued is committed.
    pub(crate) async fn shutdown(&self) {
        let (done, drained) = oneshot::channel();
        if self.queue.send(WriterMessage::Shutdown(done)).await.is_ok() {
            let _ = drained.await;
        }
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

async fn run_writer(db: Db, mut receiver: mpsc::Receiver<WriterMessage>) {
    let mut messages = Vec::with_capacity(MAX_BATCH);
    let mut shutdown_waiters = Vec::new();
    let mut held = None;
    let mut checkpoints = Checkpoints::default();
    // `recv_many` returns 0 only once the channel is closed and drained, so
    // inserts queued before a shutdown are still written.
    while receiver.recv_many(&mut messages, MAX_BATCH).await > 0 {
        let mut batch = Vec::with_capacity(messages.len());
        for message in messages.drain(..) {
            match message {
                WriterMessage::Insert(flow, reply) => batch.push((*flow, reply)),
                WriterMessage::Shutdown(waiter) => {
                    receiver.close();
                    shutdown_waiters.push(waiter);
                }
            }
        }
        if !batch.is_empty() {
            write_batch(&db, &mut held, batch).await;
            checkpoints.maybe_start(&db);
        }
    }
    // Back to the pool before anyone is told the writer is done (close waits for it).
    drop(held);
    for waiter in shutdown_waiters {
        let _ = waiter.send(());
    }
}

/// How often the WAL is checkpointed while flows are being written.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// SQLite WAL checkpoints, run on another pooled connection than the writer's,
/// so commits never wait for them (a PASSIVE checkpoint does not block writers).
/// Automatic checkpoints are off (db.rs); closing the last connection still
/// checkpoints, and so does every write burst here.
#[derive(Default)]
struct Checkpoints {
    running: std::sync::Arc<std::sync::atomic::AtomicBool>,
    last: Option<std::time::Instant>,
}

impl Checkpoints {
    fn maybe_start(&mut self, db: &Db) {
        use std::sync::atomic::Ordering;
        let Db::Sqlite(pool) = db else { return };
        if self.last.is_some_and(|t| t.elapsed() < CHECKPOINT_EVERY) {
            return;
        }
        if self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        self.last = Some(std::time::Instant::now());
        let (pool, running) = (pool.clone(), self.running.clone());
        tokio::spawn(async move {
            if let Err(err) = checkpoint(&pool).await {
                tracing::warn!(%err, "WAL checkpoint failed; will retry");
            }
            running.store(false, Ordering::Release);
        });
    }
}

/// WAL frames (pages: 256 MiB) beyond which a checkpoint also restarts the WAL;
/// larger means rarer writer stalls and a larger WAL file.
const WAL_RESTART_FRAMES: i64 = 65_536;
/// A restart is only worth its stall once PASSIVE checkpoints have copied all but
/// this many frames: then it waits for little more than the current transaction.
const WAL_RESTART_BACKLOG: i64 = 4_096;
/// Past this size the WAL is restarted however much is left to copy, so it stays bounded.
const WAL_HARD_LIMIT_FRAMES: i64 = 4 * WAL_RESTART_FRAMES;

/// Copies the WAL into the database without blocking the writer. While writes
/// keep coming a PASSIVE checkpoint rarely catches up with the WAL's end, so the
/// WAL would only grow; past [`WAL_RESTART_FRAMES`], once the backlog is small
/// (or past [`WAL_HARD_LIMIT_FRAMES`] in any case), a RESTART checkpoint waits for
/// the writer between two transactions so the next commit starts the WAL over.
async fn checkpoint(pool: &sqlx::SqlitePool) -> Result<(), sqlx::Error> {
    let (_busy, frames, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    let nearly_copied = frames - copied <= WAL_RESTART_BACKLOG;
    if (frames > WAL_RESTART_FRAMES && nearly_copied) || frames > WAL_HARD_LIMIT_FRAMES {
        sqlx::query("PRAGMA wal_checkpoint(RESTART)")
            .execute(pool)
            .await?;
    }
    Ok(())
}

async fn write_batch(db: &Db, held: &mut Option<Held>, batch: Vec<(SealedFlow, Reply)>) {
    let flows: Vec<&SealedFlow> = batch.iter().map(|(flow, _)| flow).collect();
    match insert_in_one_transaction(db, held, &flows).await {
        Ok(()) => {
            for (_, reply) in batch {
                let _ = reply.send(Ok(()));
            }
        }
        Err(batch_error) => {
            // One bad row (typically a duplicate token) aborts the whole
            // transaction. Retry row by row so only the offending caller
            // gets the error and everyone else still succeeds.
            tracing::debug!(rows = batch.len(), error = %batch_error, "flow batch failed; retrying rows one by one");
            for (flow, reply) in batch {
                let _ = reply.send(insert_one(db, &flow).await);
            }
        }
    }
}

/// The writer's own connection, kept from batch to batch. SQLite drops a
/// connection's page cache whenever another connection has written, so taking
/// whichever pooled connection was idle re-read the index pages of every batch
/// (a `pread` per page); one connection that does all the writing keeps them.
enum Held {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

async fn insert_in_one_transaction(
    db: &Db,
    held: &mut Option<Held>,
    flows: &[&SealedFlow],
) -> Result<(), sqlx::Error> {
    let conn = match held.take() {
        Some(conn) => conn,
        None => match db {
            Db::Sqlite(pool) => Held::Sqlite(pool.acquire().await?),
            Db::Postgres(pool) => Held::Postgres(pool.acquire().await?),
        },
    };
    macro_rules! batch_in_transaction {
        ($conn:expr) => {
            async {
                let mut tx = sqlx::Connection::begin(&mut **$conn).await?;
                for chunk in flows.chunks(ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "INSERT INTO flows ({FLOW_INSERT_COLUMNS}) VALUES {}",
                        values_placeholders(db.backend(), chunk.len(), FLOW_INSERT_COLUMN_COUNT)
                    );
                    let mut query = sqlx::query(&sql);
                    for flow in chunk {
                        query = bind_sealed_flow!(query, flow);
                    }
                    query.execute(&mut *tx).await?;
                }
                write_ledger_of_new_flows!(tx, db.backend(), flows.iter().copied())?;
                tx.commit().await
            }
            .await
        };
    }
    let mut conn = conn;
    let result = match &mut conn {
        Held::Sqlite(c) => batch_in_transaction!(c),
        Held::Postgres(c) => batch_in_transaction!(c),
    };
    // A failed batch may have left the connection broken: take a fresh one next time.
    if result.is_ok() {
        *held = Some(conn);
    }
    result
}

/// The counters and bills of newly inserted flows, inside the caller's transaction `$tx`.
macro_rules! write_ledger_of_new_flows {
    ($tx:expr, $backend:expr, $flows:expr) => {
        async {
            let db_backend = $backend;
            let flows: Vec<&SealedFlow> = $flows.collect();
            let merged = merge_counts(flows.iter().flat_map(|flow| {
                flow.counts
                    .iter()
                    .map(|c| (flow.app_id.as_str(), flow.scope_id.as_str(), c))
            }));
            write_counts!($tx, merged)?;
            let billed: Vec<&&SealedFlow> = flows.iter().filter(|f| f.bill.is_some()).collect();
            for chunk in billed.chunks(ROWS_PER_STATEMENT) {
                let sql = format!(
                    "INSERT INTO bills ({BILL_COLUMNS}) VALUES {}",
                    values_placeholders(db_backend, chunk.len(), BILL_COLUMN_COUNT)
                );
                let mut query = sqlx::query(&sql);
                for flow in chunk {
                    let channel = flow.bill.as_ref().map(|b| b.channel.as_str()).unwrap_or("");
                    query = query
                        .bind(&flow.token)
                        .bind(&flow.app_id)
                        .bind(&flow.scope_id)
                        .bind(flow.created_at)
                        .bind(channel)
                        .bind(flow.created_at + BILL_RETENTION_MS);
                }
                query.execute(&mut *$tx).await?;
            }
            Ok::<(), sqlx::Error>(())
        }
        .await
    };
}
use write_ledger_of_new_flows;

async fn insert_one(db: &Db, flow: &SealedFlow) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO flows ({FLOW_INSERT_COLUMNS}) VALUES {}",
        values_placeholders(db.backend(), 1, FLOW_INSERT_COLUMN_COUNT)
    );
    macro_rules! one_in_transaction {
        ($pool:expr) => {
            async {
                let mut tx = $pool.begin().await?;
                bind_sealed_flow!(sqlx::query(&sql), flow)
                    .execute(&mut *tx)
                    .await?;
                write_ledger_of_new_flows!(tx, db.backend(), std::iter::once(flow))?;
                tx.commit().await
            }
            .await
        };
    }
    let result = with_pool!(db, |pool| one_in_transaction!(pool));
    result.map_err(|e| flow_insert_error(&flow.token, e))
}
