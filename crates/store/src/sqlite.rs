//! The embedded backend: one SQLite file, `roleplay.db`, in a data directory, for accounts,
//! IAM and buckets; objects, uploads and parts are in the object log beside it
//! (`crate::objects`), whose changes a batch commits right after SQLite's.
//!
//! WAL journal with `synchronous = FULL`: a write acknowledged by [`Store::write_tx`] has
//! reached the disk and survives `kill -9` and power loss. One writer connection behind a
//! mutex serializes writes, and concurrent writes share one commit (group commit); reads use
//! pooled connections that see the last committed state without waiting for the writer. In
//! memory the same design runs over SQLite's `memdb` VFS.
//!
//! Writes queued with [`Store::write_queued`] are run by a writer thread of the store's own,
//! back to back under one hold of the mutex, and acknowledged together after their commit:
//! a burst of small writes then costs neither a blocked thread each nor a hand-off of the
//! mutex between them.
//!
//! On disk, committed pages are copied from the WAL into the database file by a
//! checkpoint thread of the store's own (see [`Checkpointer`]), not inside the commit that
//! happens to cross SQLite's threshold: a commit costs its own pages and one sync, never
//! the copy of everyone else's.

mod codec;
mod legacy;
mod read;
mod s3;
mod schema;
mod write;

use crate::error::StoreError;
use crate::objects::{Objects, Pending, View, Writing};
use crate::s3::ObjectVersion;
use crate::transaction::{Md5Job, ReadTx, Store, WriteDone, WriteJob, WriteTx};
use rusqlite::config::DbConfig;
use rusqlite::hooks::Action;
use rusqlite::wal::CheckpointMode;
use rusqlite::{Connection, OpenFlags};
use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "roleplay.db";

/// The file a store holds an exclusive lock on while it has the data directory open: two
/// processes appending to one object log would interleave their records.
pub const LOCK_FILE: &str = "roleplay.lock";

/// How long a connection waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite store.
pub struct SqliteStore {
    writer: Arc<Writer>,
    readers: ReaderPool,
    /// The thread running queued writes, started by the first one.
    queue_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The checkpoint thread (on disk only).
    checkpoint_thread: Option<std::thread::JoinHandle<()>>,
    /// The data directory's lock, released when the store goes (on disk only).
    _lock: Option<std::fs::File>,
}

/// The one writer connection and the batch of writes waiting for its next commit.
///
/// Group commit: a write runs in a savepoint of the open transaction; if other writes are
/// queued behind it, it leaves the commit to them and waits; the last of a queue (or the
/// one that fills a batch) commits for everyone with one sync. While a commit syncs, the
/// writes that arrive queue up and form the next batch, so the cost of a sync is shared by
/// every write that arrived during the previous one.
struct Writer {
    state: Mutex<WriterState>,
    /// Writes waiting for `state`.
    queued: AtomicUsize,
    /// Set by the update hook when a row changes.
    iam_touched: Arc<AtomicBool>,
    /// Bumped after every commit that changed IAM state (see [`Store::iam_generation`]).
    iam_generation: AtomicU64,
    /// Object versions, uploads and parts (not in SQLite).
    objects: Objects,
    /// Bumped after every commit that changed objects (see [`ReadTx::object_generation`]).
    object_generation: AtomicU64,
    /// Writes queued by [`Store::write_queued`], for the queue thread.
    jobs: Mutex<Jobs>,
    /// Wakes the queue thread.
    jobs_ready: Condvar,
    /// The WAL's checkpointing (on disk only).
    wal: Option<Arc<Checkpointer>>,
}

/// Frames (pages) of the WAL not yet in the database file that wake the checkpoint thread:
/// SQLite's own default threshold.
const CHECKPOINT_FRAMES: u32 = 1000;

/// A WAL this long is rewound: once the checkpoint thread has caught up to within
/// [`REWIND_SLACK`] frames, the writer copies the rest itself, and its next transaction
/// starts the log over from the beginning (SQLite rewinds a fully copied log only).
const REWIND_FRAMES: u32 = 4 * CHECKPOINT_FRAMES;

/// How far behind the checkpoint thread may be when the writer finishes its work.
const REWIND_SLACK: u32 = 256;

/// A WAL this long is copied by the writer whatever the checkpoint thread is doing, so the
/// log stays bounded when checkpoints cannot keep up.
const WAL_MAX_FRAMES: u32 = 16 * CHECKPOINT_FRAMES;

/// Copies committed WAL pages into the database file on a thread of its own.
///
/// The writer connection runs no automatic checkpoints (its WAL hook replaces them); after
/// each commit it wakes this thread when enough pages wait. The thread's checkpoints are
/// `PASSIVE`: they take no lock the writer or the readers need, so commits go on while
/// pages are copied; the writer copies only the last few pages before the log starts over.
#[derive(Default)]
struct Checkpointer {
    /// Frames in the WAL after the last commit, as the WAL hook reports them.
    frames: AtomicU32,
    /// Frames already copied into the database file, as the last checkpoint reported.
    copied: AtomicU32,
    state: Mutex<CheckpointState>,
    wake: Condvar,
}

#[derive(Default)]
struct CheckpointState {
    wanted: bool,
    closing: bool,
}

impl Checkpointer {
    /// Frames committed but not yet copied.
    fn behind(&self) -> u32 {
        self.frames
            .load(Ordering::Relaxed)
            .saturating_sub(self.copied.load(Ordering::Relaxed))
    }

    /// Runs one `PASSIVE` checkpoint on `conn`; busy (another checkpoint running) is no
    /// error, the next commit asks again.
    fn checkpoint(&self, conn: &Connection) {
        if let Ok((_, copied)) = conn.wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE)
            && let Ok(copied) = u32::try_from(copied)
        {
            self.copied.store(copied, Ordering::Relaxed);
        }
    }

    /// After a commit, on the writer's connection: wakes the thread, or finishes the copy
    /// so the log can start over.
    fn after_commit(&self, conn: &Connection) {
        let frames = self.frames.load(Ordering::Relaxed);
        let behind = self.behind();
        if (frames >= REWIND_FRAMES && behind <= REWIND_SLACK) || frames >= WAL_MAX_FRAMES {
            self.checkpoint(conn);
        } else if behind >= CHECKPOINT_FRAMES {
            let mut state = lock(&self.state);
            if !state.wanted {
                state.wanted = true;
                self.wake.notify_one();
            }
        }
    }

    /// The checkpoint thread: one checkpoint per wake-up, until the store closes.
    fn serve(&self, conn: &Connection) {
        loop {
            {
                let mut state = lock(&self.state);
                while !state.wanted && !state.closing {
                    state = self
                        .wake
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                if state.closing {
                    return;
                }
                state.wanted = false;
            }
            self.checkpoint(conn);
        }
    }

    fn close(&self) {
        lock(&self.state).closing = true;
        self.wake.notify_all();
    }
}

/// A queued write.
enum Queued {
    Write(WriteJob),
    /// A write given the MD5 of its body, hashed beside the others run with it.
    Md5(bytes::Bytes, Md5Job),
}

#[derive(Default)]
struct Jobs {
    waiting: VecDeque<(Queued, WriteDone)>,
    /// Set when the store is dropped: the queue thread finishes what is queued and stops.
    closing: bool,
    /// Whether the queue thread is waiting for jobs. A busy thread finds new jobs when it
    /// looks again, so only a waiting one is woken (a wake-up is a system call each time).
    idle: bool,
}

struct WriterState {
    conn: Connection,
    batch: Option<Arc<Batch>>,
    /// The open batch's object changes.
    pending: RefCell<Pending>,
    /// Buckets the writer has read, while nothing in the database has changed.
    buckets: RefCell<BucketMemo>,
}

/// Bucket rows as of a committed IAM generation. Every PutObject reads its bucket (for its
/// versioning and ownership) and checks it still exists: two queries per write, for rows
/// that change rarely. An entry is kept only while no row has changed since the last
/// commit (`iam_touched` unset), so it is the committed row; a commit that changed rows
/// moves the generation on and empties the memo.
#[derive(Default)]
struct BucketMemo {
    generation: u64,
    rows: std::collections::HashMap<String, Option<crate::s3::Bucket>>,
}

/// Names held at most: missing buckets are remembered too, and a client may ask for many.
const BUCKET_MEMO_MAX: usize = 1024;

/// A write transaction's view of the memo and of what invalidates it.
struct MemoRef<'c> {
    memo: &'c RefCell<BucketMemo>,
    touched: &'c AtomicBool,
    generation: &'c AtomicU64,
}

impl MemoRef<'_> {
    /// `pick` of the bucket `name`, remembered or read by `read` (a hit is not cloned
    /// unless `pick` clones it).
    fn bucket<T>(
        &self,
        name: &str,
        read: impl FnOnce() -> Result<Option<crate::s3::Bucket>, StoreError>,
        pick: impl FnOnce(&Option<crate::s3::Bucket>) -> T,
    ) -> Result<T, StoreError> {
        if self.touched.load(Ordering::Relaxed) {
            return Ok(pick(&read()?));
        }
        let generation = self.generation.load(Ordering::Acquire);
        {
            let mut memo = self.memo.borrow_mut();
            if memo.generation != generation {
                memo.rows.clear();
                memo.generation = generation;
            }
            if let Some(row) = memo.rows.get(name) {
                return Ok(pick(row));
            }
        }
        let row = read()?;
        let picked = pick(&row);
        let mut memo = self.memo.borrow_mut();
        if memo.rows.len() >= BUCKET_MEMO_MAX {
            memo.rows.clear();
        }
        memo.rows.insert(name.to_owned(), row);
        Ok(picked)
    }
}

/// One transaction shared by several writes; they learn its outcome together.
#[derive(Default)]
struct Batch {
    /// Writes that succeeded in this batch.
    members: AtomicUsize,
    /// `None` until committed or failed; then the error text, if any.
    outcome: Mutex<Option<Result<(), String>>>,
    done: Condvar,
    /// Queued writes in this batch, told its outcome when it ends.
    queued: Mutex<Vec<WriteDone>>,
}

/// The most writes one commit acknowledges, so that a steady stream still commits.
const MAX_BATCH: usize = 128;

/// Read connections: on disk they see the last commit without waiting for the writer; in
/// memory they share the writer's database through SQLite's `memdb` VFS.
struct ReaderPool {
    uri: String,
    idle: Mutex<Vec<Connection>>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.readers.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/roleplay.db`, creating `dir` too, and brings the
    /// schema up to date.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Backend(Box::new(e)))?;
        let lock = lock_dir(dir)?;
        let path = dir.join(DB_FILE);
        let mut writer = Connection::open(&path)?;
        configure(&writer)?;
        let mode: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt(format!(
                "journal mode `{mode}` instead of WAL"
            )));
        }
        schema::migrate(&mut writer, Some(dir))?;
        let buckets = bucket_names(&writer)?;
        let objects = Objects::open(dir, &buckets)?;
        let wal = Arc::new(Checkpointer::default());
        let hook = Arc::clone(&wal);
        writer.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, frames: i32| {
            let frames = u32::try_from(frames).unwrap_or(0);
            if hook.frames.swap(frames, Ordering::Relaxed) > frames {
                // The log started over: nothing in it is copied yet.
                hook.copied.store(0, Ordering::Relaxed);
            }
            Ok(())
        }))?;
        let conn = Connection::open(&path)?;
        configure(&conn)?;
        let uri = path.to_string_lossy().into_owned();
        let mut store =
            Self::with_writer(writer, objects, uri, Some(path), Some(Arc::clone(&wal)))?;
        store._lock = Some(lock);
        store.checkpoint_thread = Some(
            std::thread::Builder::new()
                .name("store-checkpoint".into())
                .spawn(move || wal.serve(&conn))
                .map_err(|e| StoreError::Backend(Box::new(e)))?,
        );
        Ok(store)
    }

    /// Opens an empty database that lives as long as the store.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        // A name starting with `/` makes a memdb database shared by the process's
        // connections; it is freed when its last connection closes.
        let uri = format!(
            "file:/roleplay-{}-{}?vfs=memdb",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut writer = Connection::open_with_flags(&uri, uri_flags())?;
        // memdb stops a database at 1 GiB unless told otherwise.
        let budget = memory_limit();
        let mut limit = budget;
        writer.file_control(Some("main"), rusqlite::FileControl::SizeLimit(&mut limit))?;
        configure(&writer)?;
        schema::migrate(&mut writer, None)?;
        let max = u64::try_from(budget).unwrap_or(u64::MAX);
        Self::with_writer(writer, Objects::in_memory(max), uri, None, None)
    }

    fn with_writer(
        mut conn: Connection,
        objects: Objects,
        uri: String,
        path: Option<PathBuf>,
        wal: Option<Arc<Checkpointer>>,
    ) -> Result<Self, StoreError> {
        // Every table in SQLite is IAM state or a bucket's configuration.
        let iam_touched = Arc::new(AtomicBool::new(false));
        let iam = Arc::clone(&iam_touched);
        conn.update_hook(Some(move |_: Action, _: &str, _: &str, _: i64| {
            iam.store(true, Ordering::Relaxed);
        }))?;
        Ok(Self {
            writer: Arc::new(Writer {
                state: Mutex::new(WriterState {
                    conn,
                    batch: None,
                    pending: RefCell::default(),
                    buckets: RefCell::default(),
                }),
                queued: AtomicUsize::new(0),
                iam_touched,
                iam_generation: AtomicU64::new(0),
                objects,
                object_generation: AtomicU64::new(0),
                jobs: Mutex::default(),
                jobs_ready: Condvar::new(),
                wal,
            }),
            readers: ReaderPool {
                uri,
                idle: Mutex::new(Vec::new()),
                path,
            },
            queue_thread: Mutex::new(None),
            checkpoint_thread: None,
            _lock: None,
        })
    }

    /// Checks the file's structure and every foreign key; `Corrupt` names the first problem.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let conn = self.readers.take()?;
        let result = integrity(&conn);
        self.readers.give_back(conn);
        result
    }

    /// The schema version of the database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        let conn = self.readers.take()?;
        let version = conn.query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        );
        self.readers.give_back(conn);
        Ok(version?)
    }

    /// Queues a write for the writer thread, starting it on first use.
    fn enqueue(&self, queued: Queued, done: WriteDone) {
        {
            let mut thread = lock(&self.queue_thread);
            if thread.is_none() {
                let writer = Arc::clone(&self.writer);
                match std::thread::Builder::new()
                    .name("store-writer".into())
                    .spawn(move || writer.serve_queue())
                {
                    Ok(handle) => *thread = Some(handle),
                    Err(e) => return done(Err(StoreError::Backend(Box::new(e)))),
                }
            }
        }
        let idle = {
            let mut jobs = lock(&self.writer.jobs);
            jobs.waiting.push_back((queued, done));
            jobs.idle
        };
        if idle {
            self.writer.jobs_ready.notify_one();
        }
    }

    fn read_on(
        conn: &Connection,
        objects: &Objects,
        generations: (u64, u64),
        f: &mut dyn FnMut(&dyn ReadTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let tx = SqliteTx {
            conn: TxConn::new(conn, "BEGIN"),
            generation: Some(generations.0),
            object_generation: Some(generations.1),
            objects: ObjectsTx::Read(objects),
            buckets: None,
        };
        let result = f(&tx);
        if !tx.conn.began() {
            // Answered without a statement (from the engine's caches): nothing began.
            return result;
        }
        // A read has nothing to commit.
        let ended = exec(conn, "ROLLBACK");
        result.and(ended.map_err(StoreError::from))
    }
}

impl Writer {
    /// Opens a batch if none is open, and returns it.
    fn batch(&self, state: &mut WriterState) -> Result<Arc<Batch>, StoreError> {
        if state.batch.is_some() && state.conn.is_autocommit() {
            // The database ended the batch's transaction (a failed statement): its members
            // learn that it failed, and this write starts a new one.
            self.finish_batch(state);
        }
        if let Some(batch) = &state.batch {
            return Ok(Arc::clone(batch));
        }
        exec(&state.conn, "BEGIN IMMEDIATE")?;
        let batch = Arc::new(Batch::default());
        state.batch = Some(Arc::clone(&batch));
        Ok(batch)
    }

    /// Runs `f` in a savepoint of the batch, begun at its first statement: its changes
    /// stay if it returns `Ok`, and only its own are undone otherwise. A panic is returned,
    /// not resumed.
    fn apply(
        &self,
        state: &WriterState,
        batch: &Batch,
        f: &mut dyn FnMut(&mut dyn WriteTx) -> Result<(), StoreError>,
    ) -> std::thread::Result<Result<(), StoreError>> {
        let conn = &state.conn;
        let mark = state.pending.borrow().mark();
        let (run, savepoint) = {
            let mut tx = SqliteTx {
                conn: TxConn::new(conn, "SAVEPOINT write"),
                generation: None,
                object_generation: None,
                objects: ObjectsTx::Write(&self.objects, &state.pending),
                buckets: Some(MemoRef {
                    memo: &state.buckets,
                    touched: &self.iam_touched,
                    generation: &self.iam_generation,
                }),
            };
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut tx)));
            (run, tx.conn.began())
        };
        let undo = !matches!(run, Ok(Ok(())));
        if undo {
            state.pending.borrow_mut().rollback(mark);
        } else {
            state.pending.borrow_mut().settle();
        }
        if savepoint && undo && !conn.is_autocommit() {
            let _ = exec(conn, "ROLLBACK TO write");
        }
        if savepoint && !conn.is_autocommit() {
            let _ = exec(conn, "RELEASE write");
        }
        if !undo {
            batch.members.fetch_add(1, Ordering::Relaxed);
        }
        run
    }

    /// Runs the queued writes into the open batch, committing every [`MAX_BATCH`], and
    /// commits at the end unless a blocked writer is next.
    fn run_queued(&self, state: &mut WriterState) {
        loop {
            let taken: Vec<(Queued, WriteDone)> = {
                let mut jobs = lock(&self.jobs);
                let n = jobs.waiting.len().min(MAX_BATCH);
                jobs.waiting.drain(..n).collect()
            };
            if taken.is_empty() {
                break;
            }
            let bodies: Vec<&[u8]> = taken
                .iter()
                .filter_map(|(queued, _)| match queued {
                    Queued::Md5(body, _) => Some(body.as_ref()),
                    Queued::Write(_) => None,
                })
                .collect();
            let mut digests = crate::md5_many(&bodies).into_iter();
            for (queued, done) in taken {
                let digest = match &queued {
                    Queued::Md5(..) => digests.next(),
                    Queued::Write(_) => None,
                };
                self.run_one(state, queued, digest, done);
            }
        }
        if self.queued.load(Ordering::Relaxed) == 0 {
            self.finish_batch(state);
        }
    }

    /// Runs one queued write (given its body's MD5, if it asked for one) into the open
    /// batch, committing every [`MAX_BATCH`] writes.
    fn run_one(
        &self,
        state: &mut WriterState,
        queued: Queued,
        digest: Option<[u8; 16]>,
        done: WriteDone,
    ) {
        let batch = match self.batch(state) {
            Ok(batch) => batch,
            Err(e) => {
                tell(done, Err(e));
                return;
            }
        };
        let mut queued = Some(queued);
        let run = self.apply(state, &batch, &mut |tx| match (queued.take(), digest) {
            (Some(Queued::Write(job)), _) => job(tx),
            (Some(Queued::Md5(_, job)), Some(md5)) => job(tx, md5),
            _ => Err(StoreError::Aborted),
        });
        match run {
            Ok(Ok(())) => lock(&batch.queued).push(done),
            Ok(Err(e)) => tell(done, Err(e)),
            Err(_) => tell(
                done,
                Err(StoreError::Backend("a queued write panicked".into())),
            ),
        }
        if batch.members.load(Ordering::Relaxed) >= MAX_BATCH {
            self.finish_batch(state);
        }
    }

    /// The queue thread: waits for queued writes and runs them, until the store closes.
    fn serve_queue(&self) {
        loop {
            {
                let mut jobs = lock(&self.jobs);
                while jobs.waiting.is_empty() && !jobs.closing {
                    jobs.idle = true;
                    jobs = self
                        .jobs_ready
                        .wait(jobs)
                        .unwrap_or_else(PoisonError::into_inner);
                    jobs.idle = false;
                }
                if jobs.waiting.is_empty() {
                    return;
                }
                if jobs.waiting.len() < crate::md5x4::LANES {
                    // A wake-up runs this thread at once, ahead of the threads about to
                    // queue more writes: let them first, so that the batch shares one
                    // commit and its bodies are hashed four abreast rather than alone.
                    drop(jobs);
                    std::thread::yield_now();
                }
            }
            self.queued.fetch_add(1, Ordering::Relaxed);
            let mut state = lock(&self.state);
            self.queued.fetch_sub(1, Ordering::Relaxed);
            self.run_queued(&mut state);
        }
    }

    /// Commits the open batch (or rolls it back if no write in it succeeded) and tells its
    /// members.
    fn finish_batch(&self, state: &mut WriterState) {
        let Some(batch) = state.batch.take() else {
            return;
        };
        let empty = batch.members.load(Ordering::Relaxed) == 0;
        let mut outcome = if empty {
            exec(&state.conn, "ROLLBACK").map_err(|e| e.to_string())
        } else if state.conn.is_autocommit() {
            Err("the transaction was rolled back by the database".to_owned())
        } else {
            let committed = exec(&state.conn, "COMMIT");
            if committed.is_err() && !state.conn.is_autocommit() {
                let _ = exec(&state.conn, "ROLLBACK");
            }
            committed.map_err(|e| e.to_string())
        };
        // Objects after the database: a crash between the two leaves at worst objects of
        // a bucket the database does not have, which opening the store drops.
        let mut pending = state.pending.borrow_mut();
        let objects_changed = if outcome.is_ok() && !empty {
            match self.objects.commit(&mut pending) {
                Ok(changed) => changed,
                Err(e) => {
                    outcome = Err(e.to_string());
                    false
                }
            }
        } else {
            pending.discard();
            false
        };
        drop(pending);
        // After the commit: a reader that sees a new number reads the new state.
        let committed = outcome.is_ok() && !empty;
        if self.iam_touched.swap(false, Ordering::Relaxed) && committed {
            self.iam_generation.fetch_add(1, Ordering::Release);
        }
        if objects_changed {
            self.object_generation.fetch_add(1, Ordering::Release);
        }
        for done in std::mem::take(&mut *lock(&batch.queued)) {
            tell(
                done,
                outcome.clone().map_err(|e| StoreError::Backend(e.into())),
            );
        }
        *lock(&batch.outcome) = Some(outcome);
        batch.done.notify_all();
        // After the acknowledgements: a copy the writer runs itself delays only later writes.
        if committed && let Some(wal) = &self.wal {
            wal.after_commit(&state.conn);
        }
        if objects_changed {
            // A failed rewrite leaves the log as it was; the next commit tries again.
            let _ = self.objects.compact_if_due();
        }
    }
}

/// Tells a queued write its outcome. A completion that panics must not take the queue
/// thread (and every write queued after it) down with it.
fn tell(done: WriteDone, outcome: Result<(), StoreError>) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| done(outcome)));
}

fn integrity(conn: &Connection) -> Result<(), StoreError> {
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(StoreError::Corrupt(verdict));
    }
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let mut rows = stmt.query([])?;
    if let Some(row) = rows.next()? {
        let table: String = row.get(0)?;
        return Err(StoreError::Corrupt(format!(
            "a row of `{table}` refers to a missing record"
        )));
    }
    Ok(())
}

fn uri_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

impl ReaderPool {
    fn take(&self) -> Result<Connection, StoreError> {
        if let Some(conn) = lock(&self.idle).pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(&self.uri, uri_flags())?;
        configure(&conn)?;
        conn.pragma_update(None, "query_only", true)?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        lock(&self.idle).push(conn);
    }
}

impl Store for SqliteStore {
    fn read_tx(
        &self,
        f: &mut dyn FnMut(&dyn ReadTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // Read before the transaction takes its snapshot (see `ReadTx::iam_generation`).
        let generations = (
            self.iam_generation(),
            self.writer.object_generation.load(Ordering::Acquire),
        );
        let conn = self.readers.take()?;
        let result = Self::read_on(&conn, &self.writer.objects, generations, f);
        self.readers.give_back(conn);
        result
    }

    fn write_tx(
        &self,
        f: &mut dyn FnMut(&mut dyn WriteTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let writer = &*self.writer;
        writer.queued.fetch_add(1, Ordering::Relaxed);
        let mut state = lock(&writer.state);
        writer.queued.fetch_sub(1, Ordering::Relaxed);
        let batch = writer.batch(&mut state)?;
        let result = writer.apply(&state, &batch, f);
        let last = writer.queued.load(Ordering::Relaxed) == 0
            || batch.members.load(Ordering::Relaxed) >= MAX_BATCH;
        if last {
            writer.finish_batch(&mut state);
        }
        drop(state);
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        let mut outcome = lock(&batch.outcome);
        loop {
            match outcome.as_ref() {
                Some(Ok(())) => return Ok(()),
                Some(Err(e)) => return Err(StoreError::Backend(e.clone().into())),
                None => {
                    outcome = batch
                        .done
                        .wait(outcome)
                        .unwrap_or_else(PoisonError::into_inner)
                }
            }
        }
    }

    fn write_queued(&self, job: WriteJob, done: WriteDone) {
        self.enqueue(Queued::Write(job), done);
    }

    fn write_queued_md5(&self, body: bytes::Bytes, job: Md5Job, done: WriteDone) {
        self.enqueue(Queued::Md5(body, job), done);
    }

    fn iam_generation(&self) -> u64 {
        self.writer.iam_generation.load(Ordering::Acquire)
    }
}

impl Drop for SqliteStore {
    /// Queued writes are finished before the store goes.
    fn drop(&mut self) {
        lock(&self.writer.jobs).closing = true;
        self.writer.jobs_ready.notify_all();
        if let Some(thread) = lock(&self.queue_thread).take()
            // The last handle can go in a completion, on the queue thread itself.
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
        if let Some(wal) = &self.writer.wal {
            wal.close();
        }
        if let Some(thread) = self.checkpoint_thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs a statement without results through the connection's statement cache (transaction
/// control runs on every request: parsing it each time would cost more than running it).
/// A transaction's connection. A read transaction begins at its first statement, so a read
/// the engine's caches answer whole runs no SQL at all; its snapshot is taken there either
/// way (SQLite's `BEGIN` is deferred), after the generations it reports were read.
struct TxConn<'c> {
    conn: &'c Connection,
    /// The statement still to run before the first one: a read's `BEGIN`, or the savepoint
    /// of a write in a batch. A write that runs no SQL (a PutObject whose bucket the
    /// writer remembers) then costs the database nothing.
    begin: std::cell::Cell<Option<&'static str>>,
}

impl<'c> TxConn<'c> {
    fn new(conn: &'c Connection, begin: &'static str) -> Self {
        Self {
            conn,
            begin: std::cell::Cell::new(Some(begin)),
        }
    }

    fn prepare_cached(&self, sql: &str) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
        self.begun()?.prepare_cached(sql)
    }

    /// The connection, once the transaction has begun.
    fn begun(&self) -> rusqlite::Result<&'c Connection> {
        if let Some(begin) = self.begin.get() {
            exec(self.conn, begin)?;
            self.begin.set(None);
        }
        Ok(self.conn)
    }

    /// Whether a statement has run.
    fn began(&self) -> bool {
        self.begin.get().is_none()
    }
}

pub(super) fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// The most an in-memory store may hold (its database, and apart from it its objects'
/// small bodies): half the machine's memory (1 GiB where that is unknown), so that a full
/// store answers errors instead of the process being killed.
fn memory_limit() -> i64 {
    const FALLBACK: i64 = 1 << 30;
    let Ok(info) = std::fs::read_to_string("/proc/meminfo") else {
        return FALLBACK;
    };
    info.lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse::<i64>().ok())
        .map_or(FALLBACK, |kib| kib.saturating_mul(1024) / 2)
        .max(FALLBACK)
}

/// Settings every connection needs.
fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Plans must not depend on bound values: otherwise (with STAT4) every new binding of a
    // cached statement makes SQLite parse and plan it again.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// Takes the data directory's lock, or says that another process has it.
fn lock_dir(dir: &Path) -> Result<std::fs::File, StoreError> {
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(|e| StoreError::Backend(Box::new(e)))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Backend(
            format!(
                "{} is in use by another roleplay process (it holds {LOCK_FILE})",
                dir.display()
            )
            .into(),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Backend(Box::new(e))),
    }
}

/// The names of all buckets.
fn bucket_names(conn: &Connection) -> Result<HashSet<String>, StoreError> {
    let mut stmt = conn.prepare("SELECT name FROM buckets")?;
    let names = stmt.query_map([], |r| r.get(0))?;
    Ok(names.collect::<rusqlite::Result<_>>()?)
}

/// A poisoned lock only means a closure panicked; its transaction was rolled back.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A transaction on one connection; the trait object decides whether it may write.
struct SqliteTx<'c> {
    conn: TxConn<'c>,
    generation: Option<u64>,
    object_generation: Option<u64>,
    objects: ObjectsTx<'c>,
    /// The writer's bucket memo (write transactions only).
    buckets: Option<MemoRef<'c>>,
}

/// A transaction's access to the object state: committed only, or through the writer's
/// pending changes.
enum ObjectsTx<'c> {
    Read(&'c Objects),
    Write(&'c Objects, &'c RefCell<Pending>),
}

impl ObjectsTx<'_> {
    fn read<T>(&self, f: impl FnOnce(&dyn View) -> T) -> T {
        match self {
            Self::Read(objects) => objects.read(f),
            Self::Write(objects, pending) => objects.pending(&pending.borrow(), f),
        }
    }

    fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<ObjectVersion>, StoreError> {
        match self {
            Self::Read(objects) => objects.get_object(bucket, key, version_id),
            Self::Write(..) => {
                self.read(|view| crate::objects::get_object(view, bucket, key, version_id))
            }
        }
    }

    fn write<T>(&self, f: impl FnOnce(&mut Writing<'_>) -> T) -> Result<T, StoreError> {
        match self {
            Self::Read(_) => Err(StoreError::Backend("a write in a read transaction".into())),
            Self::Write(objects, pending) => Ok(objects.writing(&mut pending.borrow_mut(), f)),
        }
    }
}
