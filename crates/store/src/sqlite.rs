//! The embedded backend: one SQLite file, `roleplay.db`, in a data directory.
//!
//! WAL journal with `synchronous = FULL`: a write acknowledged by [`Store::write_tx`] has
//! reached the disk and survives `kill -9` and power loss. One writer connection behind a
//! mutex serializes writes; reads on disk use pooled connections that see the last committed
//! state without waiting for the writer. In memory there is one connection for both.

mod codec;
mod read;
mod s3;
mod schema;
mod write;

use crate::error::StoreError;
use crate::transaction::{ReadTx, Store, WriteTx};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "roleplay.db";

/// How long a connection waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite store.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    /// Idle read connections on disk; `None` in memory, where reads use the writer.
    readers: Option<ReaderPool>,
}

struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.readers.as_ref().map(|r| &r.path))
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/roleplay.db`, creating `dir` too, and brings the
    /// schema up to date.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Backend(Box::new(e)))?;
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
        schema::migrate(&mut writer)?;
        Ok(Self {
            writer: Mutex::new(writer),
            readers: Some(ReaderPool {
                path,
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Opens an empty database that lives as long as the store.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let mut writer = Connection::open_in_memory()?;
        configure(&writer)?;
        schema::migrate(&mut writer)?;
        Ok(Self {
            writer: Mutex::new(writer),
            readers: None,
        })
    }

    /// Checks the file's structure and every foreign key; `Corrupt` names the first problem.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let conn = lock(&self.writer);
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

    /// The schema version of the database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        let conn = lock(&self.writer);
        Ok(conn.query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )?)
    }

    fn read_on(
        conn: &mut Connection,
        f: &mut dyn FnMut(&dyn ReadTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        f(&SqliteTx { conn: &tx })
        // Dropping the transaction ends it; a read has nothing to commit.
    }
}

impl ReaderPool {
    fn take(&self) -> Result<Connection, StoreError> {
        if let Some(conn) = lock(&self.idle).pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
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
        match &self.readers {
            Some(pool) => {
                let mut conn = pool.take()?;
                let result = Self::read_on(&mut conn, f);
                pool.give_back(conn);
                result
            }
            None => Self::read_on(&mut lock(&self.writer), f),
        }
    }

    fn write_tx(
        &self,
        f: &mut dyn FnMut(&mut dyn WriteTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        f(&mut SqliteTx { conn: &tx })?;
        tx.commit()?;
        Ok(())
    }
}

/// Settings every connection needs.
fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// A poisoned lock only means a closure panicked; its transaction was rolled back.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A transaction on one connection; the trait object decides whether it may write.
struct SqliteTx<'c> {
    conn: &'c Connection,
}
