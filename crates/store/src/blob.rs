//! Object bodies: blobs written once, read with seeks, deleted when nothing refers to them.
//!
//! On disk a blob is the file `DATA_DIR/blobs/ID`, named after its random [`BlobId`] and
//! never after an object key. A [`BlobWriter`] streams chunks to `DATA_DIR/blobs/tmp/ID.tmp`
//! through a small buffer, hashing as it goes; [`BlobWriter::commit`] fsyncs the file, renames
//! it into place and fsyncs the directory, so a committed blob survives `kill -9` and power
//! loss. The durability rule for callers: commit the blob first, then the metadata that refers
//! to it; after a metadata commit that releases blobs, delete them.
//!
//! A crash leaves at most temp files (removed by [`BlobStore::on_disk`]) and committed blobs
//! no metadata refers to (removed by [`BlobStore::sweep_orphans`], run at startup before any
//! write). The in-memory variant keeps bodies in memory, for `--in-memory` servers.
//!
//! A body past 1 MiB is written by a thread of its own, beside the hashing thread, with
//! direct I/O (`O_DIRECT`, on Linux, where the file system takes it) a 1 MiB aligned buffer at
//! a time, and a blob file that large is read back the same way: large bodies stream between
//! the network and the disk without passing through the page cache, whose copies cost as
//! much CPU as the network's and which a one-off upload would fill with pages nobody reads.
//! Elsewhere, or where the file system refuses, the same code goes through the page cache.
//!
//! Small bodies (up to [`INLINE_MAX`]) never become files: the writer keeps them, and the
//! committed blob carries its bytes ([`CommittedBlob::inline`]) for the store to keep in the
//! same transaction as the metadata that refers to them. A small durable write then costs a
//! share of one WAL sync instead of a file creation, two fsyncs and a rename, and reading it
//! back opens no file.

use crate::error::StoreError;
use crate::s3::{BlobId, Segment};
use crate::transaction::{Store, StoreExt};
use bytes::Bytes;
use md5::Digest as _;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The blob directory's name inside the data directory.
pub const BLOB_DIR: &str = "blobs";
/// The temp directory's name inside the blob directory.
pub const TMP_DIR: &str = "tmp";

/// The write buffer of a blob writer: the memory one upload holds on disk.
const BUFFER: usize = 256 * 1024;
/// How many blobs one read transaction of the orphan sweep checks.
const SWEEP_BATCH: usize = 512;
/// Bodies up to this size are kept inline, in the store's records, not in blobs of their own.
/// The object log writes bodies this small faster than a file system does, and a request
/// body of one 64 KiB chunk is read whole anyway.
pub const INLINE_MAX: usize = 64 * 1024;

/// Which checksums to compute while writing, besides MD5 (computed for the ETag unless
/// `defer_md5` leaves it to the commit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checksums {
    /// SHA-256.
    pub sha256: bool,
    /// SHA-1.
    pub sha1: bool,
    /// CRC32 (ISO-HDLC, as S3's `CRC32`).
    pub crc32: bool,
    /// CRC32C (Castagnoli).
    pub crc32c: bool,
    /// Leaves the MD5 of a body that stays inline to the caller ([`CommittedBlob::md5`] is
    /// then `None`), who can hash a batch of them together ([`crate::md5_many`]); a body that
    /// outgrows inline is hashed as it is written.
    pub defer_md5: bool,
}

impl Checksums {
    /// MD5 only.
    pub const NONE: Self = Self {
        sha256: false,
        sha1: false,
        crc32: false,
        crc32c: false,
        defer_md5: false,
    };
    /// Every checksum.
    pub const ALL: Self = Self {
        sha256: true,
        sha1: true,
        crc32: true,
        crc32c: true,
        defer_md5: false,
    };
}

/// A committed blob: its id, length and digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedBlob {
    /// The new blob's id.
    pub id: BlobId,
    /// Its length in bytes.
    pub size: u64,
    /// MD5 of the bytes; `None` for an inline body whose MD5 was deferred
    /// ([`Checksums::defer_md5`]).
    pub md5: Option<[u8; 16]>,
    /// SHA-256, if asked for.
    pub sha256: Option<[u8; 32]>,
    /// SHA-1, if asked for.
    pub sha1: Option<[u8; 20]>,
    /// CRC32, if asked for.
    pub crc32: Option<u32>,
    /// CRC32C, if asked for.
    pub crc32c: Option<u32>,
    /// The bytes of a small blob, which the store keeps with the metadata; such a blob is
    /// not in the blob store.
    pub inline: Option<Bytes>,
}

impl CommittedBlob {
    /// The blob as the one segment of a body.
    pub fn segment(&self) -> Segment {
        Segment {
            blob: self.id.clone(),
            size: self.size,
            inline: self.inline.clone(),
        }
    }

    /// The S3 ETag of a single-part upload: the quoted hex MD5 (`None` while deferred).
    pub fn etag(&self) -> Option<String> {
        self.md5.map(|md5| etag_of(&md5))
    }
}

/// The ETag of a body with MD5 `md5`, as S3 quotes it.
pub fn etag_of(md5: &[u8; 16]) -> String {
    format!("\"{}\"", hex::encode(md5))
}

/// What [`BlobStore::sweep_orphans`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SweepReport {
    /// Blobs found that something refers to.
    pub kept: usize,
    /// Blobs deleted because nothing referred to them.
    pub removed: usize,
}

type MemoryMap = Arc<Mutex<HashMap<BlobId, Arc<Chunks>>>>;

/// The size of the pieces an in-memory blob is kept in: a body never moves once written,
/// so an upload holds its size in memory, not twice that while a buffer grows.
const MEMORY_CHUNK: usize = 1024 * 1024;

/// An in-memory blob: every chunk but the last holds exactly [`MEMORY_CHUNK`] bytes.
struct Chunks {
    chunks: Vec<Vec<u8>>,
    len: u64,
}

enum Backend {
    Disk {
        dir: PathBuf,
        tmp: PathBuf,
        dir_sync: DirSync,
    },
    Memory(MemoryMap),
}

/// Directory fsyncs shared by concurrent commits: one sync started after a blob's rename
/// makes that rename durable, so a commit waits for a sync that started after it asked, or
/// starts one, and blobs committed together cost one directory sync.
#[derive(Default)]
struct DirSync {
    state: Mutex<DirSyncState>,
    done: std::sync::Condvar,
}

#[derive(Default)]
struct DirSyncState {
    /// Tickets handed out, one per rename to make durable.
    asked: u64,
    /// Every ticket up to this one is durable.
    synced: u64,
    running: bool,
}

impl DirSync {
    fn sync(&self, dir: &Path) -> io::Result<()> {
        let mut s = lock(&self.state);
        s.asked += 1;
        let ticket = s.asked;
        loop {
            if s.synced >= ticket {
                return Ok(());
            }
            if s.running {
                s = self.done.wait(s).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            s.running = true;
            let covers = s.asked;
            drop(s);
            let result = sync_dir(dir);
            s = lock(&self.state);
            s.running = false;
            if result.is_ok() {
                s.synced = s.synced.max(covers);
            }
            self.done.notify_all();
            result?;
        }
    }
}

/// Where object bodies live: a directory, or memory. Cheap to clone.
#[derive(Clone)]
pub struct BlobStore {
    backend: Arc<Backend>,
    /// Bodies up to this size are committed inline.
    inline_max: usize,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.backend.as_ref() {
            Backend::Disk { dir, .. } => f.debug_struct("BlobStore").field("dir", dir).finish(),
            Backend::Memory(_) => f.write_str("BlobStore(memory)"),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl BlobStore {
    /// Opens `data_dir/blobs` (creating it and `data_dir` as needed) and removes every temp
    /// file left by writers that never committed.
    pub fn on_disk(data_dir: impl AsRef<Path>) -> io::Result<Self> {
        let data_dir = data_dir.as_ref();
        let dir = data_dir.join(BLOB_DIR);
        let tmp = dir.join(TMP_DIR);
        let created = !tmp.is_dir();
        fs::create_dir_all(&tmp)?;
        if created {
            sync_dir(&dir)?;
            sync_dir(data_dir)?;
        }
        for entry in fs::read_dir(&tmp)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                remove_if_present(&entry.path())?;
            }
        }
        Ok(Self {
            backend: Arc::new(Backend::Disk {
                dir,
                tmp,
                dir_sync: DirSync::default(),
            }),
            inline_max: INLINE_MAX,
        })
    }

    /// An empty store in memory; bodies live as long as it does.
    pub fn in_memory() -> Self {
        Self {
            backend: Arc::new(Backend::Memory(Arc::default())),
            inline_max: INLINE_MAX,
        }
    }

    /// The same store, committing bodies up to `max` bytes inline (0: none; every body
    /// becomes a blob of its own).
    #[must_use]
    pub fn with_inline_max(mut self, max: usize) -> Self {
        self.inline_max = max;
        self
    }

    /// Starts a new blob, computing MD5 and the `checksums` asked for while it is written.
    pub fn begin(&self, checksums: Checksums) -> io::Result<BlobWriter> {
        let id = BlobId::fresh()?;
        let inline = self.inline_max > 0;
        // A deferred MD5 catches up when the body outgrows inline, which must come before
        // the hashing moves to a thread of its own.
        let may_defer = inline && self.inline_max as u64 <= HASH_THREAD_AFTER;
        let sink = if inline {
            Sink::Inline {
                buf: Vec::new(),
                store: self.clone(),
            }
        } else {
            self.sink(&id)?
        };
        Ok(BlobWriter {
            id,
            sink: Some(sink),
            size: 0,
            digests: Digests::Here(Box::new(Hashes::new(checksums, may_defer))),
        })
    }

    /// Where a blob of its own is written.
    fn sink(&self, id: &BlobId) -> io::Result<Sink> {
        Ok(match self.backend.as_ref() {
            Backend::Disk { dir, tmp, .. } => {
                let tmp_path = tmp.join(format!("{id}.tmp"));
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .open(&tmp_path)?;
                Sink::File {
                    out: FileOut::Buffered(BufWriter::with_capacity(BUFFER, file)),
                    pos: 0,
                    tmp_path,
                    final_path: dir.join(id.as_str()),
                    store: Arc::clone(&self.backend),
                }
            }
            Backend::Memory(map) => Sink::Memory {
                chunks: Vec::new(),
                map: Arc::clone(map),
            },
        })
    }

    /// Writes a whole body at once: `begin`, `write_all`, `commit`.
    pub fn put(&self, bytes: &[u8], checksums: Checksums) -> io::Result<CommittedBlob> {
        let mut writer = self.begin(checksums)?;
        writer.write_all(bytes)?;
        writer.commit()
    }

    /// Opens a committed blob for reading. `NotFound` if absent.
    pub fn open(&self, id: &BlobId) -> io::Result<BlobReader> {
        match self.backend.as_ref() {
            Backend::Disk { dir, .. } => {
                let path = dir.join(id.as_str());
                let file = File::open(&path)?;
                let len = file.metadata()?.len();
                let inner = match (len > DIRECT_READ_AFTER)
                    .then(|| open_direct(&path, false))
                    .flatten()
                {
                    Some(direct) => ReaderInner::Direct(Box::new(DirectReader {
                        file: direct,
                        path,
                        direct: true,
                        buffer: None,
                        start: 0,
                        filled: 0,
                        pos: 0,
                        len,
                    })),
                    None => ReaderInner::File(file),
                };
                Ok(BlobReader { inner, len })
            }
            Backend::Memory(map) => {
                let chunks = lock(map)
                    .get(id)
                    .cloned()
                    .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such blob"))?;
                Ok(BlobReader {
                    len: chunks.len,
                    inner: ReaderInner::Memory { chunks, pos: 0 },
                })
            }
        }
    }

    /// A reader over a body made of segments (an object version's `body`), with seeks for
    /// ranges. Every blob is opened now, so the reader keeps the body it started with even
    /// if the version is replaced and its blobs deleted meanwhile (one open file per
    /// segment, for the reader's lifetime). `NotFound` if a blob is missing; a blob shorter
    /// than its segment fails the read that reaches its end.
    pub fn open_body(&self, segments: &[Segment]) -> io::Result<BodyReader> {
        let mut parts = Vec::with_capacity(segments.len());
        let mut start = 0u64;
        for segment in segments {
            let reader = match &segment.inline {
                Some(bytes) => BlobReader {
                    len: bytes.len() as u64,
                    inner: ReaderInner::Inline(Cursor::new(bytes.clone())),
                },
                None => self.open(&segment.blob)?,
            };
            parts.push(OpenSegment {
                start,
                size: segment.size,
                reader,
            });
            start += segment.size;
        }
        Ok(BodyReader {
            parts,
            len: start,
            pos: 0,
            current: None,
        })
    }

    /// Deletes a blob; absent is fine (deletion is idempotent).
    pub fn delete(&self, id: &BlobId) -> io::Result<()> {
        match self.backend.as_ref() {
            Backend::Disk { dir, .. } => remove_if_present(&dir.join(id.as_str())),
            Backend::Memory(map) => {
                lock(map).remove(id);
                Ok(())
            }
        }
    }

    /// Deletes every blob in `ids`, stopping at the first failure.
    pub fn delete_all(&self, ids: &[BlobId]) -> io::Result<()> {
        ids.iter().try_for_each(|id| self.delete(id))
    }

    /// The ids of every committed blob, in no particular order. Files whose names are not
    /// blob ids are not listed.
    pub fn list(&self) -> io::Result<Vec<BlobId>> {
        match self.backend.as_ref() {
            Backend::Disk { dir, .. } => {
                let mut ids = Vec::new();
                for entry in fs::read_dir(dir)? {
                    let entry = entry?;
                    if !entry.file_type()?.is_file() {
                        continue;
                    }
                    if let Some(id) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
                        ids.push(id);
                    }
                }
                Ok(ids)
            }
            Backend::Memory(map) => Ok(lock(map).keys().cloned().collect()),
        }
    }

    /// Whether bodies live in memory (the tests' expectations differ).
    #[cfg(test)]
    fn is_memory(&self) -> bool {
        matches!(self.backend.as_ref(), Backend::Memory(_))
    }

    /// The number of temp files (writers not yet committed or dropped); always 0 in memory.
    pub fn temp_files(&self) -> io::Result<usize> {
        match self.backend.as_ref() {
            Backend::Disk { tmp, .. } => Ok(fs::read_dir(tmp)?.count()),
            Backend::Memory(_) => Ok(0),
        }
    }

    /// Deletes the blobs no object version or part of `store` refers to: bodies committed
    /// by a process that died before committing their metadata, or released by a metadata
    /// commit whose process died before deleting them. Run it at startup, before any
    /// write: a blob being written now is not referred to yet and would be deleted.
    pub fn sweep_orphans(&self, store: &dyn Store) -> Result<SweepReport, StoreError> {
        let ids = self.list().map_err(|e| StoreError::Backend(Box::new(e)))?;
        let mut report = SweepReport::default();
        for batch in ids.chunks(SWEEP_BATCH) {
            let orphans = store.read(|tx| {
                let mut orphans = Vec::new();
                for id in batch {
                    if !tx.blob_in_use(id)? {
                        orphans.push(id.clone());
                    }
                }
                Ok::<_, StoreError>(orphans)
            })?;
            report.kept += batch.len() - orphans.len();
            report.removed += orphans.len();
            self.delete_all(&orphans)
                .map_err(|e| StoreError::Backend(Box::new(e)))?;
        }
        Ok(report)
    }
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

enum Sink {
    /// A body still small enough to be committed inline; it moves to a sink of `store`'s
    /// once it outgrows that.
    Inline { buf: Vec<u8>, store: BlobStore },
    File {
        out: FileOut,
        /// Bytes accepted so far.
        pos: u64,
        tmp_path: PathBuf,
        final_path: PathBuf,
        store: Arc<Backend>,
    },
    Memory {
        chunks: Vec<Vec<u8>>,
        map: MemoryMap,
    },
}

/// Appends to in-memory chunks: the last one grows up to [`MEMORY_CHUNK`], then a new one
/// starts, so small bodies stay small and large ones are never copied.
fn append_chunks(chunks: &mut Vec<Vec<u8>>, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let last = match chunks.last_mut() {
            Some(c) if c.len() < MEMORY_CHUNK => c,
            _ => {
                chunks.push(Vec::new());
                let Some(c) = chunks.last_mut() else { return };
                c
            }
        };
        let room = MEMORY_CHUNK - last.len();
        let (now, rest) = bytes.split_at(room.min(bytes.len()));
        if last.capacity() - last.len() < now.len() {
            // Doubling, capped at the chunk size.
            let want = (last.len() + now.len())
                .max(last.capacity() * 2)
                .min(MEMORY_CHUNK);
            last.reserve_exact(want - last.len());
        }
        last.extend_from_slice(now);
        bytes = rest;
    }
}

struct Hashes {
    /// `None` while deferred ([`Checksums::defer_md5`]).
    md5: Option<md5::Md5>,
    sha256: Option<sha2::Sha256>,
    sha1: Option<sha1::Sha1>,
    crc32: Option<crc32fast::Hasher>,
    crc32c: Option<u32>,
}

impl Hashes {
    /// `may_defer`: the body starts inline, so its MD5 may be deferred.
    fn new(c: Checksums, may_defer: bool) -> Self {
        Self {
            md5: (!(c.defer_md5 && may_defer)).then(md5::Md5::new),
            sha256: c.sha256.then(sha2::Sha256::new),
            sha1: c.sha1.then(sha1::Sha1::new),
            crc32: c.crc32.then(crc32fast::Hasher::new),
            crc32c: c.crc32c.then_some(0),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        if let Some(h) = &mut self.md5 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.sha256 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.crc32 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.crc32c {
            *h = crc32c::crc32c_append(*h, bytes);
        }
    }
}

/// Past this size a body is hashed on its own thread, beside the writes: MD5 alone runs
/// at about one core's worth of bytes, which would otherwise cap a large upload.
const HASH_THREAD_AFTER: u64 = 1024 * 1024;
/// Pieces in flight to the hashing thread before a write waits for it.
const HASH_QUEUE: usize = 64;

/// Where the digests are computed.
enum Digests {
    Here(Box<Hashes>),
    Thread(PieceThread<Box<Hashes>>),
    Gone,
}

/// A thread fed a body's pieces through a bounded queue (a sender waits while it is full),
/// which hands back what it made of them once the queue closes.
struct PieceThread<T> {
    queue: std::sync::mpsc::SyncSender<Bytes>,
    done: std::thread::JoinHandle<T>,
    name: &'static str,
}

impl<T: Send + 'static> PieceThread<T> {
    fn spawn(
        name: &'static str,
        capacity: usize,
        work: impl FnOnce(std::sync::mpsc::Receiver<Bytes>) -> T + Send + 'static,
    ) -> io::Result<Self> {
        let (queue, pieces) = std::sync::mpsc::sync_channel::<Bytes>(capacity);
        let done = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || work(pieces))?;
        Ok(Self { queue, done, name })
    }

    fn send(&self, piece: Bytes) -> io::Result<()> {
        self.queue
            .send(piece)
            .map_err(|_| io::Error::other(format!("the {} thread stopped", self.name)))
    }

    /// Closes the queue and waits for the thread's result.
    fn finish(self) -> io::Result<T> {
        drop(self.queue);
        self.done
            .join()
            .map_err(|_| io::Error::other(format!("the {} thread failed", self.name)))
    }
}

impl Digests {
    /// A deferred MD5 catches up on `held`, every byte so far, when the body outgrows inline.
    fn undefer_md5(&mut self, held: &[u8]) {
        if let Digests::Here(h) = self
            && h.md5.is_none()
        {
            h.md5 = Some(md5::Md5::new_with_prefix(held));
        }
    }

    fn update(&mut self, bytes: Bytes, size_before: u64) -> io::Result<()> {
        if let Digests::Here(h) = self {
            if size_before + bytes.len() as u64 <= HASH_THREAD_AFTER {
                h.update(&bytes);
                return Ok(());
            }
            self.start_thread()?;
        }
        match self {
            Digests::Here(h) => h.update(&bytes),
            Digests::Thread(thread) => thread.send(bytes)?,
            Digests::Gone => return Err(io::Error::other("blob writer already finished")),
        }
        Ok(())
    }

    /// Moves the hashes to a thread of their own.
    fn start_thread(&mut self) -> io::Result<()> {
        let Digests::Here(mut hashes) = std::mem::replace(self, Digests::Gone) else {
            return Ok(());
        };
        let thread = PieceThread::spawn("blob-hash", HASH_QUEUE, move |pieces| {
            for piece in pieces {
                hashes.update(&piece);
            }
            hashes
        })?;
        *self = Digests::Thread(thread);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<Hashes> {
        match std::mem::replace(self, Digests::Gone) {
            Digests::Here(h) => Ok(*h),
            Digests::Thread(thread) => thread.finish().map(|h| *h),
            Digests::Gone => Err(io::Error::other("blob writer already finished")),
        }
    }
}

/// Past this size a file blob is written by a thread of its own, with direct I/O where the
/// file system has it: a large body then streams to the disk at the disk's pace instead of
/// through the page cache (whose copies cost as much CPU as the network receive, and which a
/// one-off upload would only fill with pages nobody reads again), beside the hashing thread.
const WRITE_BEHIND_AFTER: u64 = HASH_THREAD_AFTER;
/// The bytes one write of the writing thread carries.
const WRITE_BEHIND_BUFFER: usize = 1024 * 1024;
/// Pieces in flight to the writing thread before a write waits for it.
const WRITE_QUEUE: usize = 64;
/// The alignment direct I/O asks of offsets, lengths and memory.
const ALIGN: usize = 4096;

/// `WRITE_BEHIND_BUFFER` bytes aligned for direct I/O, found inside a slightly larger
/// allocation.
struct AlignedBuffer {
    storage: Vec<u8>,
    skew: usize,
}

impl AlignedBuffer {
    fn new() -> Self {
        let storage = vec![0u8; WRITE_BEHIND_BUFFER + ALIGN];
        let skew = storage.as_ptr().align_offset(ALIGN);
        Self { storage, skew }
    }

    fn get(&self) -> &[u8] {
        self.storage
            .get(self.skew..self.skew + WRITE_BEHIND_BUFFER)
            .unwrap_or_default()
    }

    fn get_mut(&mut self) -> io::Result<&mut [u8]> {
        self.storage
            .get_mut(self.skew..self.skew + WRITE_BEHIND_BUFFER)
            .ok_or_else(|| io::Error::other("no aligned buffer"))
    }
}

/// A blob file's writes.
enum FileOut {
    /// Through a small buffer, on the caller's thread.
    Buffered(BufWriter<File>),
    /// On a thread of their own ([`write_behind`]), which hands the file back at the end.
    Thread(PieceThread<io::Result<File>>),
    Gone,
}

impl FileOut {
    /// Moves the writes after the first `pos` bytes to a thread of their own.
    fn write_behind(&mut self, pos: u64, path: &Path) -> io::Result<()> {
        let FileOut::Buffered(file) = std::mem::replace(self, FileOut::Gone) else {
            return Ok(());
        };
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        let direct = open_direct(path, true);
        let thread = PieceThread::spawn("blob-write", WRITE_QUEUE, move |pieces| {
            write_behind(file, direct, pos, &pieces)
        })?;
        *self = FileOut::Thread(thread);
        Ok(())
    }

    /// Every byte written; the file, ready to be synced.
    fn finish(self) -> io::Result<File> {
        match self {
            FileOut::Buffered(file) => file.into_inner().map_err(io::IntoInnerError::into_error),
            FileOut::Thread(thread) => thread.finish()?,
            FileOut::Gone => Err(io::Error::other("blob writer failed")),
        }
    }
}

/// A blob file opened for direct I/O, where the platform and file system allow it.
#[cfg(target_os = "linux")]
fn open_direct(path: &Path, write: bool) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    OpenOptions::new()
        .read(!write)
        .write(write)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .ok()
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_path: &Path, _write: bool) -> Option<File> {
    None
}

/// Writes all of `bytes` at offset `at` (positional where the platform has it).
#[cfg(unix)]
pub(crate) fn write_at(file: &File, bytes: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, at)
}

#[cfg(not(unix))]
pub(crate) fn write_at(mut file: &File, bytes: &[u8], at: u64) -> io::Result<()> {
    file.seek(SeekFrom::Start(at))?;
    file.write_all(bytes)
}

#[cfg(unix)]
fn read_at(file: &File, bytes: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, bytes, at)
}

#[cfg(not(unix))]
fn read_at(mut file: &File, bytes: &mut [u8], at: u64) -> io::Result<usize> {
    file.seek(SeekFrom::Start(at))?;
    file.read(bytes)
}

/// Fills `bytes` from offset `at`; a file that ends first is an error.
pub(crate) fn read_exact_at(file: &File, mut bytes: &mut [u8], mut at: u64) -> io::Result<()> {
    while !bytes.is_empty() {
        match read_at(file, bytes, at) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                bytes = bytes.get_mut(n..).unwrap_or_default();
                at += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Past this size a blob file is read as it was written: with direct I/O, a buffer at a
/// time.
const DIRECT_READ_AFTER: u64 = WRITE_BEHIND_AFTER;

/// A large blob file read with direct I/O through an aligned buffer, allocated at the first
/// read and freed at the end of the file, so a body of many segments holds one at a time.
struct DirectReader {
    file: File,
    path: PathBuf,
    /// Whether `file` is open for direct I/O (it is reopened without when a read is refused).
    direct: bool,
    buffer: Option<AlignedBuffer>,
    /// The file offset the buffer holds, and how many bytes from there.
    start: u64,
    filled: usize,
    pos: u64,
    len: u64,
}

impl DirectReader {
    /// Reads the buffer's worth of the file from the aligned offset at or before `pos`.
    fn fill(&mut self) -> io::Result<()> {
        let at = self.pos - self.pos % ALIGN as u64;
        let buf = self
            .buffer
            .get_or_insert_with(AlignedBuffer::new)
            .get_mut()?;
        let n = loop {
            match read_at(&self.file, buf, at) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::InvalidInput && self.direct => {
                    self.file = File::open(&self.path)?;
                    self.direct = false;
                }
                Err(e) => return Err(e),
            }
        };
        self.start = at;
        self.filled = n;
        Ok(())
    }
}

impl Read for DirectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let end = self.start + self.filled as u64;
        if self.buffer.is_none() || self.pos < self.start || self.pos >= end {
            self.fill()?;
        }
        let from = usize::try_from(self.pos - self.start).unwrap_or(usize::MAX);
        let held = self
            .buffer
            .as_ref()
            .and_then(|b| b.get().get(from..self.filled))
            .unwrap_or_default();
        let n = held.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(held.get(..n).unwrap_or_default());
        self.pos += n as u64;
        if self.pos >= self.len {
            self.buffer = None;
            self.filled = 0;
        }
        Ok(n)
    }
}

/// Writes whole aligned blocks at an aligned offset: directly while the file system takes
/// direct I/O, through the page cache once it refuses.
fn write_blocks(direct: &mut Option<File>, file: &File, bytes: &[u8], at: u64) -> io::Result<()> {
    if let Some(d) = direct {
        match write_at(d, bytes, at) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => *direct = None,
            Err(e) => return Err(e),
        }
    }
    write_at(file, bytes, at)
}

/// The writing thread: `pieces` land in an aligned buffer that covers the file from an
/// aligned offset (the bytes before `pos` in its first block are read back), and go out a
/// buffer at a time; the unaligned tail goes through the page cache.
fn write_behind(
    file: File,
    mut direct: Option<File>,
    pos: u64,
    pieces: &std::sync::mpsc::Receiver<Bytes>,
) -> io::Result<File> {
    let mut buffer = AlignedBuffer::new();
    let buf = buffer.get_mut()?;
    let lead = (pos % ALIGN as u64) as usize;
    let mut at = pos - lead as u64;
    read_exact_at(&file, buf.get_mut(..lead).unwrap_or_default(), at)?;
    let mut filled = lead;
    for piece in pieces {
        let mut rest: &[u8] = &piece;
        while !rest.is_empty() {
            let room = buf.get_mut(filled..).unwrap_or_default();
            let n = room.len().min(rest.len());
            let (now, later) = rest.split_at(n);
            room.get_mut(..n).unwrap_or_default().copy_from_slice(now);
            rest = later;
            filled += n;
            if filled == buf.len() {
                write_blocks(&mut direct, &file, buf, at)?;
                at += buf.len() as u64;
                filled = 0;
            }
        }
    }
    let whole = filled - filled % ALIGN;
    let (blocks, tail) = buf.get(..filled).unwrap_or_default().split_at(whole);
    write_blocks(&mut direct, &file, blocks, at)?;
    write_at(&file, tail, at + whole as u64)?;
    Ok(file)
}

/// A blob being written. Dropping it without [`BlobWriter::commit`] discards it.
pub struct BlobWriter {
    id: BlobId,
    sink: Option<Sink>,
    size: u64,
    digests: Digests,
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobWriter")
            .field("id", &self.id)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.write_sink(buf, None)?;
        let written = buf.get(..n).unwrap_or_default();
        match &mut self.digests {
            // Small bodies are hashed here; only the thread needs an owned copy.
            Digests::Here(h) if self.size + n as u64 <= HASH_THREAD_AFTER => h.update(written),
            _ => self
                .digests
                .update(Bytes::copy_from_slice(written), self.size)?,
        }
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Some(Sink::File {
                out: FileOut::Buffered(file),
                ..
            }) => file.flush(),
            _ => Ok(()),
        }
    }
}

impl BlobWriter {
    /// Says how long the body will be, so that one that stays inline is held in one
    /// allocation instead of one per doubling.
    pub fn expect(&mut self, len: u64) {
        if let Some(Sink::Inline { buf, store }) = &mut self.sink
            && buf.is_empty()
            && len <= store.inline_max as u64
        {
            buf.reserve_exact(usize::try_from(len).unwrap_or(0));
        }
    }

    /// Writes all of `bytes`, sharing them with the hashing thread without a copy.
    pub fn write_bytes(&mut self, bytes: Bytes) -> io::Result<()> {
        let mut rest: &[u8] = &bytes;
        while !rest.is_empty() {
            let n = self.write_sink(rest, Some(&bytes))?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            rest = rest.get(n..).unwrap_or_default();
        }
        let size = self.size;
        self.size += bytes.len() as u64;
        self.digests.update(bytes, size)
    }

    /// Writes some of `buf` to the sink; `owned`, when given, holds `buf`, so a thread can
    /// share it without a copy.
    fn write_sink(&mut self, buf: &[u8], owned: Option<&Bytes>) -> io::Result<usize> {
        if let Some(Sink::Inline { buf: held, store }) = &mut self.sink {
            if held.len() + buf.len() <= store.inline_max {
                held.extend_from_slice(buf);
                return Ok(buf.len());
            }
            // Outgrown: a blob of its own, starting with what was held.
            let held = std::mem::take(held);
            self.digests.undefer_md5(&held);
            let mut sink = store.sink(&self.id)?;
            self.sink = None;
            match &mut sink {
                Sink::File { out, pos, .. } => {
                    if let FileOut::Buffered(file) = out {
                        file.write_all(&held)?;
                        *pos = held.len() as u64;
                    }
                }
                Sink::Memory { chunks, .. } => append_chunks(chunks, &held),
                Sink::Inline { .. } => {}
            }
            self.sink = Some(sink);
        }
        match &mut self.sink {
            Some(Sink::Inline { .. }) => Err(io::Error::other("an inline body did not move")),
            Some(Sink::File {
                out, pos, tmp_path, ..
            }) => {
                if matches!(out, FileOut::Buffered(_))
                    && *pos + buf.len() as u64 > WRITE_BEHIND_AFTER
                {
                    out.write_behind(*pos, tmp_path)?;
                }
                let n = match out {
                    FileOut::Buffered(file) => file.write(buf)?,
                    FileOut::Thread(thread) => {
                        thread.send(match owned {
                            Some(o) => o.slice_ref(buf),
                            None => Bytes::copy_from_slice(buf),
                        })?;
                        buf.len()
                    }
                    FileOut::Gone => return Err(io::Error::other("blob writer failed")),
                };
                *pos += n as u64;
                Ok(n)
            }
            Some(Sink::Memory { chunks, .. }) => {
                append_chunks(chunks, buf);
                Ok(buf.len())
            }
            None => Err(io::Error::other("blob writer already finished")),
        }
    }

    /// The id the blob will have.
    pub fn id(&self) -> &BlobId {
        &self.id
    }

    /// The bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether [`BlobWriter::commit`] will touch the file system (flush, fsync, rename), and so
    /// belongs on a thread that may block. An inline or in-memory body commits at once.
    pub fn commit_blocks(&self) -> bool {
        matches!(self.sink, Some(Sink::File { .. }))
    }

    /// Makes the blob durable under its id and returns it with its digests: flush, fsync of
    /// the file, rename into place, fsync of the directory.
    pub fn commit(mut self) -> io::Result<CommittedBlob> {
        let mut hashes = self.digests.finish()?;
        let mut inline = None;
        match self.sink.take() {
            Some(Sink::Inline { buf, .. }) => inline = Some(Bytes::from(buf)),
            Some(Sink::File {
                out,
                tmp_path,
                final_path,
                store,
                ..
            }) => {
                let result = (|| {
                    let file = out.finish()?;
                    file.sync_all()?;
                    drop(file);
                    fs::rename(&tmp_path, &final_path)?;
                    match store.as_ref() {
                        Backend::Disk { dir, dir_sync, .. } => dir_sync.sync(dir),
                        Backend::Memory(_) => Ok(()),
                    }
                })();
                if let Err(e) = result {
                    let _ = remove_if_present(&tmp_path);
                    return Err(e);
                }
            }
            Some(Sink::Memory { mut chunks, map }) => {
                if let Some(last) = chunks.last_mut() {
                    last.shrink_to_fit();
                }
                let blob = Chunks {
                    chunks,
                    len: self.size,
                };
                lock(&map).insert(self.id.clone(), Arc::new(blob));
            }
            None => return Err(io::Error::other("blob writer already finished")),
        }
        let hashes = &mut hashes;
        if hashes.md5.is_none() && inline.is_none() {
            return Err(io::Error::other(
                "a blob's MD5 was deferred but it is not inline",
            ));
        }
        Ok(CommittedBlob {
            id: self.id.clone(),
            size: self.size,
            md5: hashes.md5.take().map(|h| h.finalize().into()),
            sha256: hashes.sha256.take().map(|h| h.finalize().into()),
            sha1: hashes.sha1.take().map(|h| h.finalize().into()),
            crc32: hashes.crc32.take().map(crc32fast::Hasher::finalize),
            crc32c: hashes.crc32c,
            inline,
        })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if let Some(Sink::File { out, tmp_path, .. }) = self.sink.take() {
            drop(out);
            let _ = remove_if_present(&tmp_path);
        }
    }
}

enum ReaderInner {
    File(File),
    Direct(Box<DirectReader>),
    Memory { chunks: Arc<Chunks>, pos: u64 },
    Inline(Cursor<Bytes>),
}

/// A committed blob opened for reading.
pub struct BlobReader {
    inner: ReaderInner,
    len: u64,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl BlobReader {
    /// The blob's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the blob is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            ReaderInner::File(f) => f.read(buf),
            ReaderInner::Direct(d) => d.read(buf),
            ReaderInner::Inline(c) => c.read(buf),
            ReaderInner::Memory { chunks, pos } => {
                let index = usize::try_from(*pos / MEMORY_CHUNK as u64).unwrap_or(usize::MAX);
                let offset = usize::try_from(*pos % MEMORY_CHUNK as u64).unwrap_or(0);
                let Some(chunk) = chunks.chunks.get(index) else {
                    return Ok(0);
                };
                let n = Cursor::new(chunk.get(offset..).unwrap_or_default()).read(buf)?;
                *pos += u64::try_from(n).unwrap_or(u64::MAX);
                Ok(n)
            }
        }
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match &mut self.inner {
            ReaderInner::File(f) => f.seek(pos),
            ReaderInner::Inline(c) => c.seek(pos),
            ReaderInner::Direct(d) => {
                d.pos = seek_target(pos, d.pos, d.len)?;
                Ok(d.pos)
            }
            ReaderInner::Memory { chunks, pos: at } => {
                *at = seek_target(pos, *at, chunks.len)?;
                Ok(*at)
            }
        }
    }
}

/// Where a seek lands, for readers that keep their own position.
fn seek_target(to: SeekFrom, at: u64, len: u64) -> io::Result<u64> {
    match to {
        SeekFrom::Start(p) => Some(p),
        SeekFrom::End(d) => len.checked_add_signed(d),
        SeekFrom::Current(d) => at.checked_add_signed(d),
    }
    .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))
}

struct OpenSegment {
    /// Where the segment starts in the body.
    start: u64,
    size: u64,
    reader: BlobReader,
}

/// A body made of segments, read in order; seeks make ranges cheap.
pub struct BodyReader {
    parts: Vec<OpenSegment>,
    len: u64,
    pos: u64,
    /// The segment whose reader is positioned at `pos`, if any.
    current: Option<usize>,
}

impl std::fmt::Debug for BodyReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyReader")
            .field("len", &self.len)
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl BodyReader {
    /// The body's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let pos = self.pos;
        let Some(index) = self
            .parts
            .iter()
            .position(|p| pos >= p.start && pos - p.start < p.size)
        else {
            return Ok(0);
        };
        let Some(part) = self.parts.get_mut(index) else {
            return Ok(0);
        };
        let offset = pos - part.start;
        if self.current != Some(index) {
            part.reader.seek(SeekFrom::Start(offset))?;
            self.current = Some(index);
        }
        let room = usize::try_from(part.size - offset).unwrap_or(usize::MAX);
        let want = buf.len().min(room);
        let n = part.reader.read(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            self.current = None;
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "a blob is shorter than its segment",
            ));
        }
        self.pos += u64::try_from(n).unwrap_or(u64::MAX);
        Ok(n)
    }
}

impl Seek for BodyReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        if target != self.pos {
            self.current = None;
        }
        self.pos = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(mut r: impl Read) -> Vec<u8> {
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        out
    }

    /// Both backends, every body a blob of its own.
    fn both() -> Vec<(BlobStore, Option<tempfile::TempDir>)> {
        let dir = tempfile::tempdir().unwrap();
        vec![
            (
                BlobStore::on_disk(dir.path()).unwrap().with_inline_max(0),
                Some(dir),
            ),
            (BlobStore::in_memory().with_inline_max(0), None),
        ]
    }

    #[test]
    fn small_bodies_stay_inline_and_larger_ones_move_to_blobs() {
        let dir = tempfile::tempdir().unwrap();
        for blobs in [
            BlobStore::on_disk(dir.path()).unwrap(),
            BlobStore::in_memory(),
        ] {
            let data: Vec<u8> = (0..INLINE_MAX + 1).map(|i| (i % 249) as u8).collect();
            for size in [0, 1, 4096, INLINE_MAX, INLINE_MAX + 1] {
                let body = &data[..size];
                let mut w = blobs.begin(Checksums::ALL).unwrap();
                // In pieces that cross the inline limit mid-write.
                for piece in body.chunks(10_000) {
                    w.write_all(piece).unwrap();
                }
                assert_eq!(
                    blobs.temp_files().unwrap(),
                    usize::from(size > INLINE_MAX && !blobs.is_memory())
                );
                let b = w.commit().unwrap();
                let whole = blobs.put(body, Checksums::ALL).unwrap();
                assert_eq!(
                    (b.md5, b.sha256, b.crc32c),
                    (whole.md5, whole.sha256, whole.crc32c)
                );
                assert_eq!(b.md5, Some(md5::Md5::digest(body).into()), "{size}");
                assert_eq!(b.size, size as u64);
                if size <= INLINE_MAX {
                    assert_eq!(b.inline.as_deref(), Some(body));
                    assert_eq!(
                        blobs.open(&b.id).unwrap_err().kind(),
                        io::ErrorKind::NotFound,
                        "an inline body is not a blob"
                    );
                } else {
                    assert_eq!(b.inline, None);
                    assert_eq!(read_all(blobs.open(&b.id).unwrap()), body);
                }
                let mut r = blobs.open_body(&[b.segment()]).unwrap();
                assert_eq!(r.len(), size as u64);
                r.seek(SeekFrom::Start(size as u64 / 2)).unwrap();
                assert_eq!(read_all(r), body[size / 2..], "{size}");
                blobs.delete(&b.id).unwrap();
                blobs.delete(&whole.id).unwrap();
            }
            assert!(blobs.list().unwrap().is_empty());
            assert_eq!(blobs.temp_files().unwrap(), 0);
        }
    }

    #[test]
    fn a_deferred_md5_is_left_only_for_bodies_that_stay_inline() {
        let dir = tempfile::tempdir().unwrap();
        let defer = Checksums {
            defer_md5: true,
            ..Checksums::ALL
        };
        let data: Vec<u8> = (0..3 * INLINE_MAX).map(|i| (i % 251) as u8).collect();
        for blobs in [
            BlobStore::on_disk(dir.path()).unwrap(),
            BlobStore::in_memory(),
            BlobStore::in_memory().with_inline_max(0),
        ] {
            let inline = blobs.inline_max > 0;
            for size in [0, 1, 4096, INLINE_MAX, INLINE_MAX + 1, 3 * INLINE_MAX] {
                let body = &data[..size];
                let want: [u8; 16] = md5::Md5::digest(body).into();
                // Through both write paths, in pieces that cross the inline limit mid-write.
                let mut by_slice = blobs.begin(defer).unwrap();
                let mut by_bytes = blobs.begin(defer).unwrap();
                for piece in body.chunks(10_000) {
                    by_slice.write_all(piece).unwrap();
                    by_bytes.write_bytes(Bytes::copy_from_slice(piece)).unwrap();
                }
                for b in [by_slice.commit().unwrap(), by_bytes.commit().unwrap()] {
                    if inline && size <= INLINE_MAX {
                        assert_eq!((b.md5, b.etag()), (None, None), "{size}");
                        assert_eq!(b.inline.as_deref(), Some(body));
                    } else {
                        assert_eq!(b.md5, Some(want), "{size}");
                    }
                    // The other digests are never deferred.
                    let sha: [u8; 32] = sha2::Sha256::digest(body).into();
                    assert_eq!(b.sha256, Some(sha), "{size}");
                    blobs.delete(&b.id).unwrap();
                }
            }
        }
    }

    #[test]
    fn digests_match_known_values() {
        for (blobs, _dir) in both() {
            let b = blobs.put(b"hello world", Checksums::ALL).unwrap();
            assert_eq!(b.size, 11);
            assert_eq!(b.etag().unwrap(), "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
            assert_eq!(
                hex::encode(b.sha256.unwrap()),
                "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
            );
            assert_eq!(
                hex::encode(b.sha1.unwrap()),
                "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"
            );
            assert_eq!(b.crc32, Some(0x0d4a_1185));
            assert_eq!(b.crc32c, Some(0xc994_65aa));
            let none = blobs.put(b"", Checksums::NONE).unwrap();
            assert_eq!(none.etag().unwrap(), "\"d41d8cd98f00b204e9800998ecf8427e\"");
            assert_eq!((none.sha256, none.crc32), (None, None));
        }
    }

    #[test]
    fn bodies_read_back_with_ranges_across_segments() {
        for (blobs, _dir) in both() {
            let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
            let (a, rest) = data.split_at(100_000);
            let (b, c) = rest.split_at(150_000);
            let mut segments = Vec::new();
            for chunk in [a, b, &[][..], c] {
                let mut w = blobs.begin(Checksums::NONE).unwrap();
                for piece in chunk.chunks(7_000) {
                    w.write_all(piece).unwrap();
                }
                segments.push(w.commit().unwrap().segment());
            }
            let body = blobs.open_body(&segments).unwrap();
            assert_eq!(body.len(), 300_000);
            assert_eq!(read_all(body), data);
            let mut body = blobs.open_body(&segments).unwrap();
            // Deleting the blobs does not disturb a reader already open.
            for segment in &segments {
                blobs.delete(&segment.blob).unwrap();
            }
            body.seek(SeekFrom::Start(99_990)).unwrap();
            let mut range = vec![0u8; 150_020];
            body.read_exact(&mut range).unwrap();
            assert_eq!(range, data[99_990..250_010]);
            body.seek(SeekFrom::End(-5)).unwrap();
            assert_eq!(read_all(&mut body), data[299_995..]);
            body.seek(SeekFrom::Start(0)).unwrap();
            let mut first = vec![0u8; 10];
            body.read_exact(&mut first).unwrap();
            assert_eq!(first, data[..10]);
        }
    }

    #[test]
    fn large_bodies_read_back_across_chunk_boundaries() {
        let data: Vec<u8> = (0..(2 * MEMORY_CHUNK + 12_345))
            .map(|i| (i % 253) as u8)
            .collect();
        for (blobs, _dir) in both() {
            let mut w = blobs.begin(Checksums::NONE).unwrap();
            for piece in data.chunks(100_003) {
                w.write_all(piece).unwrap();
            }
            let b = w.commit().unwrap();
            assert_eq!(b.size, data.len() as u64);
            assert_eq!(read_all(blobs.open(&b.id).unwrap()), data);
            let mut r = blobs.open(&b.id).unwrap();
            for start in [MEMORY_CHUNK - 3, 2 * MEMORY_CHUNK, 7, data.len() - 1] {
                r.seek(SeekFrom::Start(start as u64)).unwrap();
                let end = (start + 10).min(data.len());
                let mut got = vec![0u8; end - start];
                r.read_exact(&mut got).unwrap();
                assert_eq!(got, data[start..end], "from {start}");
            }
        }
    }

    #[test]
    fn large_files_are_written_behind_and_read_back_at_any_offset() {
        // Odd sizes everywhere: the unaligned start of the written-behind part, pieces that
        // straddle the writing thread's buffer, an unaligned tail.
        let size = 3 * WRITE_BEHIND_BUFFER + 4097;
        let data = Bytes::from((0..size).map(|i| (i % 241) as u8).collect::<Vec<u8>>());
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::on_disk(dir.path()).unwrap();
        let mut w = blobs.begin(Checksums::ALL).unwrap();
        let mut at = 0;
        for (i, len) in [1000, 70_001, 999_999, 1, 65_536]
            .iter()
            .cycle()
            .enumerate()
        {
            let end = (at + len).min(size);
            let piece = data.slice(at..end);
            if i % 2 == 0 {
                w.write_bytes(piece).unwrap();
            } else {
                w.write_all(&piece).unwrap();
            }
            at = end;
            if at == size {
                break;
            }
        }
        let b = w.commit().unwrap();
        assert_eq!(b.size, size as u64);
        assert_eq!(b.md5, Some(md5::Md5::digest(&data).into()));
        assert_eq!(
            b.sha256,
            Some(<[u8; 32]>::from(sha2::Sha256::digest(&data)))
        );
        // The file holds the body, whatever reads it.
        let on_disk = fs::read(dir.path().join(BLOB_DIR).join(b.id.as_str())).unwrap();
        assert!(on_disk == data, "the file differs from the body");
        assert_eq!(blobs.temp_files().unwrap(), 0);

        assert!(read_all(blobs.open(&b.id).unwrap()) == data);
        let mut r = blobs.open(&b.id).unwrap();
        let buffer = WRITE_BEHIND_BUFFER;
        for start in [
            buffer - 3,
            0,
            4095,
            2 * buffer + 1,
            size - 2,
            buffer,
            12_345,
        ] {
            r.seek(SeekFrom::Start(start as u64)).unwrap();
            let end = (start + 10).min(size);
            let mut got = vec![0u8; end - start];
            r.read_exact(&mut got).unwrap();
            assert_eq!(got, data[start..end], "from {start}");
        }
        r.seek(SeekFrom::Start(size as u64 + 10)).unwrap();
        assert_eq!(r.read(&mut [0u8; 8]).unwrap(), 0, "past the end");

        // Two large segments, read across the seam.
        let second = blobs.put(&data[..buffer + 1], Checksums::NONE).unwrap();
        let mut body = blobs.open_body(&[b.segment(), second.segment()]).unwrap();
        body.seek(SeekFrom::Start(size as u64 - 100)).unwrap();
        let mut seam = vec![0u8; 200];
        body.read_exact(&mut seam).unwrap();
        assert_eq!(seam[..100], data[size - 100..]);
        assert_eq!(seam[100..], data[..100]);
    }

    #[test]
    fn a_large_file_dropped_mid_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::on_disk(dir.path()).unwrap();
        let mut w = blobs.begin(Checksums::NONE).unwrap();
        for _ in 0..3 {
            w.write_bytes(Bytes::from(vec![7u8; WRITE_BEHIND_BUFFER]))
                .unwrap();
        }
        assert_eq!(blobs.temp_files().unwrap(), 1);
        drop(w);
        assert_eq!(blobs.temp_files().unwrap(), 0);
        assert!(blobs.list().unwrap().is_empty());
    }

    #[test]
    fn dropped_writers_and_deletes_leave_nothing() {
        for (blobs, _dir) in both() {
            let mut w = blobs.begin(Checksums::NONE).unwrap();
            w.write_all(b"abandoned").unwrap();
            drop(w);
            assert_eq!(blobs.temp_files().unwrap(), 0);
            assert!(blobs.list().unwrap().is_empty());
            let b = blobs.put(b"x", Checksums::NONE).unwrap();
            assert_eq!(blobs.list().unwrap(), vec![b.id.clone()]);
            blobs.delete(&b.id).unwrap();
            blobs.delete(&b.id).unwrap();
            assert!(blobs.list().unwrap().is_empty());
            assert_eq!(
                blobs.open(&b.id).unwrap_err().kind(),
                io::ErrorKind::NotFound
            );
            assert_eq!(
                blobs.open_body(&[b.segment()]).unwrap_err().kind(),
                io::ErrorKind::NotFound
            );
        }
    }

    #[test]
    fn reopening_sweeps_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::on_disk(dir.path()).unwrap().with_inline_max(0);
        let mut w = blobs.begin(Checksums::NONE).unwrap();
        w.write_all(&[1u8; 1000]).unwrap();
        w.flush().unwrap();
        std::mem::forget(w);
        assert_eq!(blobs.temp_files().unwrap(), 1);
        let kept = blobs.put(b"kept", Checksums::NONE).unwrap();
        let blobs = BlobStore::on_disk(dir.path()).unwrap();
        assert_eq!(blobs.temp_files().unwrap(), 0);
        assert_eq!(blobs.list().unwrap(), vec![kept.id]);
    }
}
