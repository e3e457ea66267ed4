//! Object versions, multipart uploads and parts: an index in memory, made durable by an
//! append-only log (`objects.log`, see [`log`]) that each commit extends with one write and
//! one sync.
//!
//! Readers see [`Committed`] state only, under a read lock held for one lookup (a GET reads
//! a body from the log after letting it go). The writer
//! keeps a batch's changes in [`Pending`] — per key, the key's whole new list of versions;
//! per upload, its new state — which its own reads see first; the records go into a
//! buffer, a job's failure undoes its own entries, and after the batch's log write is
//! synced the pending entries move into the committed state. Bodies kept in the log are
//! not held in memory: the index knows their offsets and reads them back on a GET.
//!
//! The log only grows; once it is more than twice the size of what is live (and past
//! [`COMPACT_MIN`]), the writer rewrites it with live records only.

mod log;

pub use log::LOG_FILE;

use crate::error::{Entity, StoreError, WriteError};
use crate::model::Tag;
use crate::s3::{
    BlobId, ContentHeaders, ListEntry, MultipartUpload, ObjectListing, ObjectQuery, ObjectVersion,
    Part, PartListing, Segment, UploadListing, UploadQuery, VersionListing, VersionQuery,
    prefix_end,
};
use bytes::Bytes;
use log::{LogFile, Record, Update};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A log smaller than this is never rewritten.
const COMPACT_MIN: u64 = 64 << 20;

/// A version as kept, compact: its bucket and key are the index's keys, its blob ids
/// bytes, the fields most versions leave empty in one optional box, and the bytes of a
/// body in the log not in memory.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    version_id: Box<str>,
    etag: Box<str>,
    size: u64,
    last_modified: time::OffsetDateTime,
    owner: roleplay_types::AccountId,
    /// `None` for `STANDARD`.
    storage_class: Option<Box<str>>,
    delete_marker: bool,
    parts_count: Option<u32>,
    /// `None` when all of it is empty.
    extra: Option<Box<Extra>>,
    body: Box<[Seg]>,
    /// Bytes its records take in the log.
    weight: u64,
}

/// Reads the bytes of a body in the log: offset, length.
type Bodies<'a> = dyn Fn(u64, u64) -> Result<Bytes, StoreError> + 'a;

/// What a version has only sometimes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Extra {
    headers: ContentHeaders,
    metadata: BTreeMap<String, String>,
    checksums: BTreeMap<String, String>,
    tags: Vec<Tag>,
    acl: Option<String>,
}

/// A segment of a body.
#[derive(Debug, Clone)]
struct Seg {
    blob: [u8; 16],
    size: u64,
    bytes: Held,
}

/// Where a segment's bytes are.
#[derive(Debug, Clone)]
enum Held {
    /// In its blob file.
    File,
    /// In the log, at this offset.
    Log(u64),
    /// Here (a store in memory).
    Mem(Bytes),
}

const STANDARD: &str = "STANDARD";

impl Stored {
    /// Keeps `v`; the segments in `logged` (index, offset) are read back from the log.
    fn new(v: ObjectVersion, logged: &[(usize, u64)], weight: u64) -> Self {
        let body = v
            .body
            .into_iter()
            .enumerate()
            .map(|(i, s)| Seg {
                blob: s.blob.to_bytes(),
                size: s.size,
                bytes: match (logged.iter().find(|(j, _)| *j == i), s.inline) {
                    (Some((_, at)), _) => Held::Log(*at),
                    (None, Some(b)) => Held::Mem(b),
                    (None, None) => Held::File,
                },
            })
            .collect();
        let extra = Extra {
            headers: v.headers,
            metadata: v.metadata,
            checksums: v.checksums,
            tags: v.tags,
            acl: v.acl,
        };
        Self {
            version_id: v.version_id.into(),
            etag: v.etag.into(),
            size: v.size,
            last_modified: v.last_modified,
            owner: v.owner,
            storage_class: (v.storage_class != STANDARD).then(|| v.storage_class.into()),
            delete_marker: v.delete_marker,
            parts_count: v.parts_count,
            extra: (extra != Extra::default()).then(|| Box::new(extra)),
            body,
            weight,
        }
    }

    /// The bytes of its body held in memory.
    fn held(&self) -> u64 {
        self.body
            .iter()
            .filter(|s| matches!(s.bytes, Held::Mem(_)))
            .map(|s| s.size)
            .sum()
    }

    /// The blobs of its body in the blob store.
    fn blobs(&self) -> impl Iterator<Item = BlobId> + '_ {
        self.body
            .iter()
            .filter(|s| matches!(s.bytes, Held::File))
            .map(|s| BlobId::from_bytes(s.blob))
    }

    /// The version as the store returns it; the body only when `bodies` is given, to read
    /// the bytes in the log (offset, length).
    fn version(
        &self,
        bucket: &str,
        key: &str,
        latest: bool,
        bodies: Option<&Bodies<'_>>,
    ) -> Result<ObjectVersion, StoreError> {
        let mut body = Vec::new();
        if let Some(read) = bodies {
            body.reserve(self.body.len());
            for s in &self.body {
                let inline = match &s.bytes {
                    Held::File => None,
                    Held::Mem(b) => Some(b.clone()),
                    Held::Log(at) => Some(read(*at, s.size)?),
                };
                body.push(Segment {
                    blob: BlobId::from_bytes(s.blob),
                    size: s.size,
                    inline,
                });
            }
        }
        let extra = self.extra.as_deref().cloned().unwrap_or_default();
        Ok(ObjectVersion {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id: self.version_id.to_string(),
            is_latest: latest,
            delete_marker: self.delete_marker,
            size: self.size,
            etag: self.etag.to_string(),
            last_modified: self.last_modified,
            headers: extra.headers,
            metadata: extra.metadata,
            checksums: extra.checksums,
            tags: extra.tags,
            owner: self.owner.clone(),
            storage_class: self.storage_class.as_deref().unwrap_or(STANDARD).to_owned(),
            acl: extra.acl,
            parts_count: self.parts_count,
            body,
        })
    }

    /// Takes an update's attributes.
    fn update(&mut self, u: Update) {
        let mut extra = self.extra.take().map(|e| *e).unwrap_or_default();
        extra.headers = u.headers;
        extra.metadata = u.metadata;
        extra.tags = u.tags;
        extra.acl = u.acl;
        self.extra = (extra != Extra::default()).then(|| Box::new(extra));
        self.storage_class = (u.storage_class != STANDARD).then(|| u.storage_class.into());
    }
}

/// A part as kept.
#[derive(Debug, Clone)]
pub(crate) struct StoredPart {
    /// `inline: None` when its bytes are in the log.
    p: Part,
    /// Where its bytes are in the log.
    at: Option<u64>,
    weight: u64,
}

impl StoredPart {
    /// Its blob, if in the blob store.
    fn blob(&self) -> Option<&BlobId> {
        (self.p.inline.is_none() && self.at.is_none()).then_some(&self.p.blob)
    }
}

/// An upload in progress and its parts.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    u: MultipartUpload,
    /// Its place among uploads created at the same time.
    seq: u64,
    parts: BTreeMap<u32, Arc<StoredPart>>,
    weight: u64,
}

impl Upload {
    fn order(&self) -> UploadOrder {
        (
            self.u.key.clone(),
            self.u.initiated.unix_timestamp_nanos(),
            self.seq,
        )
    }

    fn weight(&self) -> u64 {
        self.weight + self.parts.values().map(|p| p.weight).sum::<u64>()
    }

    /// The bytes of its parts held in memory.
    fn held(&self) -> u64 {
        self.parts
            .values()
            .filter(|p| p.p.inline.is_some())
            .map(|p| p.p.size)
            .sum()
    }
}

/// A key's versions, newest first.
pub(crate) type Versions = Vec<Arc<Stored>>;

/// How uploads are listed: by key, then creation, then creation order.
pub(crate) type UploadOrder = (String, i128, u64);

#[derive(Debug, Default)]
struct BucketObjects {
    /// Keys with at least one version.
    keys: BTreeMap<String, Versions>,
    uploads: BTreeMap<UploadOrder, String>,
}

/// The committed state.
#[derive(Debug, Default)]
pub(crate) struct Committed {
    buckets: HashMap<String, BucketObjects>,
    /// Uploads by id (ids are unique across buckets).
    uploads: HashMap<String, Arc<Upload>>,
    /// References to blobs in the blob store.
    refs: HashMap<BlobId, u32>,
    next_seq: u64,
    /// Bytes the live records take in the log.
    live: u64,
    log: Option<LogFile>,
    /// Bytes of bodies held in memory (a store in memory), and the most it may hold.
    held: u64,
    held_max: u64,
}

/// The object state of a store: committed, behind a lock readers share.
#[derive(Debug)]
pub(crate) struct Objects {
    state: RwLock<Committed>,
}

fn read(lock: &RwLock<Committed>) -> RwLockReadGuard<'_, Committed> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write(lock: &RwLock<Committed>) -> RwLockWriteGuard<'_, Committed> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Objects {
    /// Objects kept in memory only, their bodies up to `max` bytes: past it, writes fail
    /// rather than the process being killed.
    pub(crate) fn in_memory(max: u64) -> Self {
        Self {
            state: RwLock::new(Committed {
                held_max: max,
                ..Committed::default()
            }),
        }
    }

    /// Objects in `dir/objects.log`, read back into memory; then the buckets not in
    /// `buckets` lose their objects (what a crash left of a bucket whose deletion or
    /// creation was not acknowledged), and a log mostly of dead records is rewritten.
    pub(crate) fn open(dir: &Path, buckets: &HashSet<String>) -> Result<Self, StoreError> {
        let mut state = Committed::default();
        let mut pending = Pending::default();
        let log = LogFile::open(dir, |record, len| {
            Writing {
                c: &state,
                p: &mut pending,
            }
            .replay(record, len)
        })?;
        state.log = Some(log);
        pending.undo.clear();
        state.apply(pending);
        let orphans: Vec<String> = state
            .buckets
            .keys()
            .filter(|b| !buckets.contains(*b))
            .cloned()
            .collect();
        for name in &orphans {
            state.drop_bucket(name);
        }
        let objects = Self {
            state: RwLock::new(state),
        };
        if !orphans.is_empty() {
            objects.compact()?;
        } else {
            objects.compact_if_due()?;
        }
        Ok(objects)
    }

    /// A committed version, or the latest; a body in the log is read after the lock is let
    /// go, so that a read from the disk holds up no commit (and no reader behind it).
    pub(crate) fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<ObjectVersion>, StoreError> {
        let found = {
            let c = read(&self.state);
            pick(c.versions(bucket, key), version_id).map(|(latest, s)| {
                let file = c.log.as_ref().map(|l| Arc::clone(&l.file));
                (latest, Arc::clone(s), file)
            })
        };
        let Some((latest, s, file)) = found else {
            return Ok(None);
        };
        let bodies = |at, len| match &file {
            Some(file) => log::read_at(file, at, len),
            None => Err(StoreError::Corrupt("a logged body without a log".into())),
        };
        s.version(bucket, key, latest, Some(&bodies)).map(Some)
    }

    /// Runs `f` on the committed state.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&dyn View) -> T) -> T {
        f(&*read(&self.state))
    }

    /// Runs `f` on the committed state and the writer's pending changes.
    pub(crate) fn pending<T>(&self, pending: &Pending, f: impl FnOnce(&dyn View) -> T) -> T {
        let c = read(&self.state);
        f(&WriteView { c: &c, p: pending })
    }

    /// Runs `f` with the writer's changes open for more.
    pub(crate) fn writing<T>(
        &self,
        pending: &mut Pending,
        f: impl FnOnce(&mut Writing<'_>) -> T,
    ) -> T {
        let c = read(&self.state);
        f(&mut Writing { c: &c, p: pending })
    }

    /// Makes the pending changes durable (one write and one sync of the log) and then
    /// visible. Returns whether anything changed. On error nothing is applied.
    pub(crate) fn commit(&self, pending: &mut Pending) -> Result<bool, StoreError> {
        if !pending.changed() {
            pending.discard();
            return Ok(false);
        }
        let records = std::mem::take(&mut pending.records);
        let batch = std::mem::take(pending);
        let result = self.commit_batch(batch, &records);
        pending.reuse(records);
        result
    }

    fn commit_batch(&self, batch: Pending, records: &[u8]) -> Result<bool, StoreError> {
        // Readers go on while the log syncs: only this thread appends.
        let log = read(&self.state)
            .log
            .as_ref()
            .map(|l| (Arc::clone(&l.file), l.end));
        if let Some((file, end)) = log {
            log::append(&file, end, records)?;
        }
        let mut state = write(&self.state);
        if let Some(log) = &mut state.log {
            log.end += records.len() as u64;
        }
        state.apply(batch);
        Ok(true)
    }

    /// Rewrites the log if it is mostly dead records.
    pub(crate) fn compact_if_due(&self) -> Result<(), StoreError> {
        let due = {
            let c = read(&self.state);
            c.log
                .as_ref()
                .is_some_and(|log| log.end > COMPACT_MIN && log.end > 2 * c.live)
        };
        if due { self.compact() } else { Ok(()) }
    }

    /// Rewrites the log with the live records only, and points the index at their new
    /// places. Writes wait meanwhile; readers only for the swap of the index.
    fn compact(&self) -> Result<(), StoreError> {
        // Only the writer changes the state, and it is here: the copy runs under a read
        // lock (readers go on), the swap under the write lock.
        let state = read(&self.state);
        let Some(log) = &state.log else {
            return Ok(());
        };
        let old = Arc::clone(&log.file);
        let mut fresh = log.fresh()?;
        // Versions are read through the state (a `View`), parts from the old file.
        let mut live = 0;
        let mut buckets = HashMap::new();
        for (name, bucket) in &state.buckets {
            let mut keys = BTreeMap::new();
            for (key, versions) in &bucket.keys {
                let mut moved: Versions = Vec::with_capacity(versions.len());
                // Oldest first: each record read back becomes the latest.
                for s in versions.iter().rev() {
                    let full = s.version(name, key, false, Some(&|at, len| state.body(at, len)))?;
                    let (weight, spans) = fresh.put_version(&full)?;
                    live += weight;
                    moved.push(Arc::new(Stored::new(full, &spans, weight)));
                }
                moved.reverse();
                keys.insert(key.clone(), moved);
            }
            buckets.insert(name.clone(), keys);
        }
        let mut uploads = HashMap::new();
        for (id, upload) in &state.uploads {
            let weight = fresh.create_upload(&upload.u, upload.seq)?;
            let mut parts = BTreeMap::new();
            for (n, part) in &upload.parts {
                let mut p = part.p.clone();
                if let Some(at) = part.at {
                    p.inline = Some(log::read_at(&old, at, p.size)?);
                }
                let (weight, at) = fresh.put_part(id, &p)?;
                live += weight;
                if at.is_some() {
                    p.inline = None;
                }
                parts.insert(*n, Arc::new(StoredPart { p, at, weight }));
            }
            live += weight;
            uploads.insert(
                id.clone(),
                Arc::new(Upload {
                    u: upload.u.clone(),
                    seq: upload.seq,
                    parts,
                    weight,
                }),
            );
        }
        drop(state);
        // Synced and renamed before the swap: until then readers keep the old file open
        // and read the old offsets from it, and after a crash here the new log is whole.
        let (file, end) = fresh.finish()?;
        let mut guard = write(&self.state);
        let state = &mut *guard;
        if let Some(log) = &mut state.log {
            log.replace(file, end);
        }
        for (name, keys) in buckets {
            if let Some(bucket) = state.buckets.get_mut(&name) {
                bucket.keys = keys;
            }
        }
        state.uploads = uploads;
        state.live = live;
        Ok(())
    }
}

fn read_bytes(
    file: &std::fs::File,
    pending: Option<(u64, &[u8])>,
    at: u64,
    len: u64,
) -> Result<Bytes, StoreError> {
    match pending {
        Some((start, buf)) if at >= start => {
            let from = usize::try_from(at - start).unwrap_or(usize::MAX);
            let to = usize::try_from(len).map_or(usize::MAX, |l| from.saturating_add(l));
            buf.get(from..to)
                .map(Bytes::copy_from_slice)
                .ok_or_else(|| StoreError::Corrupt("a pending body out of range".into()))
        }
        _ => log::read_at(file, at, len),
    }
}

impl Committed {
    fn versions(&self, bucket: &str, key: &str) -> Option<&Versions> {
        self.buckets.get(bucket)?.keys.get(key)
    }

    fn next_key(&self, bucket: &str, from: Bound<&str>) -> Option<(&str, &Versions)> {
        self.buckets
            .get(bucket)?
            .keys
            .range::<str, _>((from, Bound::Unbounded))
            .next()
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Moves a batch's changes in.
    fn apply(&mut self, p: Pending) {
        for (name, mut keys) in p.keys {
            let bucket = self.buckets.entry(name).or_default();
            if bucket.keys.is_empty() {
                // Nothing to replace (a new bucket; every bucket when the log is read
                // back): the batch's map moves in whole.
                keys.retain(|_, versions| !versions.is_empty());
                for s in keys.values().flatten() {
                    self.live = self.live.saturating_add(s.weight);
                    self.held = self.held.saturating_add(s.held());
                }
                bucket.keys = keys;
                continue;
            }
            for (key, versions) in keys {
                let added: u64 = versions.iter().map(|s| s.weight).sum();
                let held: u64 = versions.iter().map(|s| s.held()).sum();
                let old = if versions.is_empty() {
                    bucket.keys.remove(&key)
                } else {
                    bucket.keys.insert(key, versions)
                };
                let removed: u64 = old.iter().flatten().map(|s| s.weight).sum();
                let freed: u64 = old.iter().flatten().map(|s| s.held()).sum();
                self.live = self.live.saturating_add(added).saturating_sub(removed);
                self.held = self.held.saturating_add(held).saturating_sub(freed);
            }
        }
        for (id, upload) in p.uploads {
            if let Some(old) = self.uploads.remove(&id) {
                self.live = self.live.saturating_sub(old.weight());
                self.held = self.held.saturating_sub(old.held());
                if let Some(b) = self.buckets.get_mut(&old.u.bucket) {
                    b.uploads.remove(&old.order());
                }
            }
            if let Some(upload) = upload {
                self.live = self.live.saturating_add(upload.weight());
                self.held = self.held.saturating_add(upload.held());
                self.buckets
                    .entry(upload.u.bucket.clone())
                    .or_default()
                    .uploads
                    .insert(upload.order(), id.clone());
                self.uploads.insert(id, upload);
            }
        }
        for (blob, delta) in p.refs {
            let n = i64::from(self.refs.get(&blob).copied().unwrap_or(0)) + delta;
            match u32::try_from(n) {
                Ok(n) if n > 0 => {
                    self.refs.insert(blob, n);
                }
                _ => {
                    self.refs.remove(&blob);
                }
            }
        }
        if let Some(seq) = p.next_seq {
            self.next_seq = self.next_seq.max(seq);
        }
        self.buckets
            .retain(|_, b| !b.keys.is_empty() || !b.uploads.is_empty());
    }

    /// Forgets a bucket's objects and uploads.
    fn drop_bucket(&mut self, name: &str) {
        let Some(bucket) = self.buckets.remove(name) else {
            return;
        };
        for versions in bucket.keys.values() {
            for s in versions {
                self.live = self.live.saturating_sub(s.weight);
                for blob in s.blobs() {
                    unref(&mut self.refs, &blob);
                }
            }
        }
        for id in bucket.uploads.values() {
            if let Some(u) = self.uploads.remove(id) {
                self.live = self.live.saturating_sub(u.weight());
                for p in u.parts.values() {
                    if let Some(blob) = p.blob() {
                        unref(&mut self.refs, blob);
                    }
                }
            }
        }
    }

    fn file(&self) -> Option<&std::fs::File> {
        self.log.as_ref().map(|l| &*l.file)
    }
}

fn unref(refs: &mut HashMap<BlobId, u32>, blob: &BlobId) {
    if let Some(n) = refs.get_mut(blob) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            refs.remove(blob);
        }
    }
}

/// The writer's changes since the last commit.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// Per bucket, per key: its whole new list of versions (empty: none left).
    keys: HashMap<String, BTreeMap<String, Versions>>,
    /// Per upload id: its new state (`None`: gone).
    uploads: HashMap<String, Option<Arc<Upload>>>,
    /// Changes to blob references.
    refs: HashMap<BlobId, i64>,
    /// The log frames of the changes, in order.
    records: Vec<u8>,
    undo: Vec<Undo>,
    next_seq: Option<u64>,
}

#[derive(Debug)]
enum Undo {
    Key(String, String, Option<Versions>),
    Upload(String, Option<Option<Arc<Upload>>>),
    Ref(BlobId, i64),
}

/// Where a job's changes start, to undo them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    undo: usize,
    records: usize,
}

impl Pending {
    fn changed(&self) -> bool {
        !self.keys.is_empty() || !self.uploads.is_empty() || !self.refs.is_empty()
    }

    /// The current position, for [`Pending::rollback`].
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            undo: self.undo.len(),
            records: self.records.len(),
        }
    }

    /// Undoes the changes made since `mark`.
    pub(crate) fn rollback(&mut self, mark: Mark) {
        while self.undo.len() > mark.undo {
            let Some(undo) = self.undo.pop() else { break };
            match undo {
                Undo::Key(bucket, key, old) => {
                    let keys = self.keys.entry(bucket).or_default();
                    match old {
                        Some(v) => {
                            keys.insert(key, v);
                        }
                        None => {
                            keys.remove(&key);
                        }
                    }
                }
                Undo::Upload(id, old) => match old {
                    Some(u) => {
                        self.uploads.insert(id, u);
                    }
                    None => {
                        self.uploads.remove(&id);
                    }
                },
                Undo::Ref(blob, delta) => {
                    let n = self.refs.entry(blob.clone()).or_default();
                    *n -= delta;
                    if *n == 0 {
                        self.refs.remove(&blob);
                    }
                }
            }
        }
        self.keys.retain(|_, keys| !keys.is_empty());
        self.records.truncate(mark.records);
    }

    /// Drops every change (the batch failed).
    pub(crate) fn discard(&mut self) {
        let records = std::mem::take(&mut self.records);
        *self = Self::default();
        self.reuse(records);
    }

    /// Keeps a spent record buffer for the next batch (the pages stay mapped), unless a
    /// batch of large bodies made it big.
    fn reuse(&mut self, mut records: Vec<u8>) {
        if records.capacity() <= 4 << 20 {
            records.clear();
            self.records = records;
        }
    }

    /// A job succeeded: nothing of it needs undoing any more.
    pub(crate) fn settle(&mut self) {
        self.undo.clear();
    }
}

/// The reads of object state.
pub(crate) trait View {
    /// A key's versions, newest first; `None` or empty when it has none.
    fn versions(&self, bucket: &str, key: &str) -> Option<&Versions>;
    /// The first key from `from` on that has versions.
    fn next_key<'a>(&'a self, bucket: &str, from: Bound<&str>) -> Option<(&'a str, &'a Versions)>;
    /// An upload by id.
    fn upload(&self, id: &str) -> Option<&Arc<Upload>>;
    /// A bucket's uploads in listing order.
    fn uploads_in(&self, bucket: &str) -> Cow<'_, BTreeMap<UploadOrder, String>>;
    /// References to a blob in the blob store.
    fn refs(&self, blob: &BlobId) -> i64;
    /// The bytes of a logged body.
    fn body(&self, at: u64, len: u64) -> Result<Bytes, StoreError>;
}

impl View for Committed {
    fn versions(&self, bucket: &str, key: &str) -> Option<&Versions> {
        Committed::versions(self, bucket, key)
    }
    fn next_key<'a>(&'a self, bucket: &str, from: Bound<&str>) -> Option<(&'a str, &'a Versions)> {
        Committed::next_key(self, bucket, from)
    }
    fn upload(&self, id: &str) -> Option<&Arc<Upload>> {
        self.uploads.get(id)
    }
    fn uploads_in(&self, bucket: &str) -> Cow<'_, BTreeMap<UploadOrder, String>> {
        match self.buckets.get(bucket) {
            Some(b) => Cow::Borrowed(&b.uploads),
            None => Cow::Owned(BTreeMap::new()),
        }
    }
    fn refs(&self, blob: &BlobId) -> i64 {
        i64::from(self.refs.get(blob).copied().unwrap_or(0))
    }
    fn body(&self, at: u64, len: u64) -> Result<Bytes, StoreError> {
        let file = self
            .file()
            .ok_or_else(|| StoreError::Corrupt("a logged body without a log".into()))?;
        log::read_at(file, at, len)
    }
}

/// The committed state seen through the writer's pending changes.
struct WriteView<'a> {
    c: &'a Committed,
    p: &'a Pending,
}

fn pending_versions<'a>(p: &'a Pending, bucket: &str, key: &str) -> Option<&'a Versions> {
    p.keys.get(bucket)?.get(key)
}

fn merged_next_key<'a>(
    c: &'a Committed,
    p: &'a Pending,
    bucket: &str,
    from: Bound<&str>,
) -> Option<(&'a str, &'a Versions)> {
    let mut from = from;
    loop {
        let committed = c.next_key(bucket, from);
        let pending = p
            .keys
            .get(bucket)
            .and_then(|keys| keys.range::<str, _>((from, Bound::Unbounded)).next())
            .map(|(k, v)| (k.as_str(), v));
        let (key, versions) = match (committed, pending) {
            (None, None) => return None,
            (Some(c), None) => return Some(c),
            (Some(c), Some((key, _))) if c.0 < key => return Some(c),
            (_, Some(p)) => p,
        };
        if !versions.is_empty() {
            return Some((key, versions));
        }
        // Emptied in this batch: the committed entry of that key is hidden too.
        from = Bound::Excluded(key);
    }
}

fn pending_body(c: &Committed, p: &Pending, at: u64, len: u64) -> Result<Bytes, StoreError> {
    let file = c
        .file()
        .ok_or_else(|| StoreError::Corrupt("a logged body without a log".into()))?;
    let start = c.log.as_ref().map_or(0, |l| l.end);
    read_bytes(file, Some((start, &p.records)), at, len)
}

fn pending_uploads<'a>(
    c: &'a Committed,
    p: &Pending,
    bucket: &str,
) -> Cow<'a, BTreeMap<UploadOrder, String>> {
    let base = View::uploads_in(c, bucket);
    let touched = p
        .uploads
        .iter()
        .any(|(id, u)| u.is_some() || c.uploads.get(id).is_some_and(|o| o.u.bucket == bucket));
    if !touched {
        return base;
    }
    let mut all = base.into_owned();
    for (id, upload) in &p.uploads {
        if let Some(old) = c.uploads.get(id).filter(|o| o.u.bucket == bucket) {
            all.remove(&old.order());
        }
        if let Some(u) = upload.as_ref().filter(|u| u.u.bucket == bucket) {
            all.insert(u.order(), id.clone());
        }
    }
    Cow::Owned(all)
}

/// The committed state seen through the pending changes, for both views the writer has.
macro_rules! pending_view {
    ($t:ident) => {
        impl View for $t<'_> {
            fn versions(&self, bucket: &str, key: &str) -> Option<&Versions> {
                pending_versions(self.p, bucket, key).or_else(|| self.c.versions(bucket, key))
            }
            fn next_key<'a>(
                &'a self,
                bucket: &str,
                from: Bound<&str>,
            ) -> Option<(&'a str, &'a Versions)> {
                merged_next_key(self.c, self.p, bucket, from)
            }
            fn upload(&self, id: &str) -> Option<&Arc<Upload>> {
                match self.p.uploads.get(id) {
                    Some(u) => u.as_ref(),
                    None => self.c.uploads.get(id),
                }
            }
            fn uploads_in(&self, bucket: &str) -> Cow<'_, BTreeMap<UploadOrder, String>> {
                pending_uploads(self.c, self.p, bucket)
            }
            fn refs(&self, blob: &BlobId) -> i64 {
                self.c.refs(blob) + self.p.refs.get(blob).copied().unwrap_or(0)
            }
            fn body(&self, at: u64, len: u64) -> Result<Bytes, StoreError> {
                pending_body(self.c, self.p, at, len)
            }
        }
    };
}

pending_view!(WriteView);
pending_view!(Writing);

/// The writer's view with its changes open: the writes.
pub(crate) struct Writing<'a> {
    c: &'a Committed,
    p: &'a mut Pending,
}

impl Writing<'_> {
    /// Whether the log is kept (on disk).
    fn logged(&self) -> bool {
        self.c.log.is_some()
    }

    /// The absolute offset where the next pending frame starts.
    fn next_offset(&self) -> u64 {
        self.c.log.as_ref().map_or(0, |l| l.end) + self.p.records.len() as u64
    }

    fn set_key(&mut self, bucket: &str, key: &str, versions: Versions) {
        let old = self
            .p
            .keys
            .entry(bucket.to_owned())
            .or_default()
            .insert(key.to_owned(), versions);
        self.p
            .undo
            .push(Undo::Key(bucket.to_owned(), key.to_owned(), old));
    }

    fn set_upload(&mut self, id: &str, upload: Option<Arc<Upload>>) {
        let old = self.p.uploads.insert(id.to_owned(), upload);
        self.p.undo.push(Undo::Upload(id.to_owned(), old));
    }

    fn add_ref(&mut self, blob: &BlobId, delta: i64) {
        *self.p.refs.entry(blob.clone()).or_default() += delta;
        self.p.undo.push(Undo::Ref(blob.clone(), delta));
    }

    /// The blobs among `dropped` nothing refers to any more, each once.
    fn released(&self, dropped: Vec<BlobId>) -> Vec<BlobId> {
        let unique: BTreeSet<BlobId> = dropped.into_iter().collect();
        unique.into_iter().filter(|b| self.refs(b) <= 0).collect()
    }

    /// Puts `s` as its key's latest, replacing a version with its id; returns the blobs of
    /// the one replaced.
    fn put_stored(&mut self, bucket: &str, key: &str, s: Stored) -> Vec<BlobId> {
        let mut versions = self.versions(bucket, key).cloned().unwrap_or_default();
        let mut dropped = Vec::new();
        if let Some(i) = versions.iter().position(|o| o.version_id == s.version_id) {
            dropped.extend(versions.remove(i).blobs());
        }
        for blob in &dropped {
            self.add_ref(blob, -1);
        }
        let added: Vec<BlobId> = s.blobs().collect();
        for blob in &added {
            self.add_ref(blob, 1);
        }
        versions.insert(0, Arc::new(s));
        self.set_key(bucket, key, versions);
        dropped
    }

    /// Writes `v` as the latest of its key. Returns the blobs released.
    pub(crate) fn put_version(&mut self, v: &ObjectVersion) -> Result<Vec<BlobId>, WriteError> {
        self.room_for(
            v.body
                .iter()
                .filter(|s| s.inline.is_some())
                .map(|s| s.size)
                .sum(),
        )?;
        let dropped = self.put_logged(v.clone());
        Ok(self.released(dropped))
    }

    /// In memory: whether `bytes` more of bodies fit (the batch's own are not counted; a
    /// batch is small beside the limit).
    fn room_for(&self, bytes: u64) -> Result<(), WriteError> {
        if self.logged() || self.c.held.saturating_add(bytes) <= self.c.held_max {
            return Ok(());
        }
        Err(StoreError::Backend(
            format!(
                "the in-memory store is full: its objects hold {} bytes of {} allowed",
                self.c.held, self.c.held_max
            )
            .into(),
        )
        .into())
    }

    /// Logs and puts a version; returns the blobs of the one replaced.
    fn put_logged(&mut self, mut v: ObjectVersion) -> Vec<BlobId> {
        let (weight, spans) = if self.logged() {
            let start = self.next_offset();
            let (weight, spans) = log::put_version(&mut self.p.records, &v);
            let spans: Vec<(usize, u64)> =
                spans.into_iter().map(|(i, at)| (i, start + at)).collect();
            (weight, spans)
        } else {
            (0, Vec::new())
        };
        let (bucket, key) = (std::mem::take(&mut v.bucket), std::mem::take(&mut v.key));
        self.put_stored(&bucket, &key, Stored::new(v, &spans, weight))
    }

    /// Replaces the attributes of a version. `NotFound(Object)`.
    pub(crate) fn update_version(&mut self, v: &ObjectVersion) -> Result<(), WriteError> {
        let exists = self
            .versions(&v.bucket, &v.key)
            .is_some_and(|vs| vs.iter().any(|s| *s.version_id == v.version_id));
        if !exists {
            return Err(WriteError::NotFound(Entity::Object));
        }
        let weight = if self.logged() {
            log::update_version(&mut self.p.records, v)
        } else {
            0
        };
        self.apply_update(Update::of(v), weight)
    }

    fn apply_update(&mut self, u: Update, weight: u64) -> Result<(), WriteError> {
        let (bucket, key) = (u.bucket.clone(), u.key.clone());
        let mut versions = self.versions(&bucket, &key).cloned().unwrap_or_default();
        let slot = versions
            .iter_mut()
            .find(|s| *s.version_id == u.version_id)
            .ok_or(WriteError::NotFound(Entity::Object))?;
        let mut s = Stored::clone(slot);
        s.update(u);
        s.weight += weight;
        *slot = Arc::new(s);
        self.set_key(&bucket, &key, versions);
        Ok(())
    }

    /// Removes a version. Returns the blobs released. `NotFound(Object)`.
    pub(crate) fn delete_version(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Vec<BlobId>, WriteError> {
        let dropped = self.remove_version(bucket, key, version_id)?;
        if self.logged() {
            log::delete_version(&mut self.p.records, bucket, key, version_id);
        }
        Ok(self.released(dropped))
    }

    fn remove_version(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Vec<BlobId>, WriteError> {
        let mut versions = self.versions(bucket, key).cloned().unwrap_or_default();
        let i = versions
            .iter()
            .position(|s| *s.version_id == *version_id)
            .ok_or(WriteError::NotFound(Entity::Object))?;
        let old = versions.remove(i);
        let dropped: Vec<BlobId> = old.blobs().collect();
        for blob in &dropped {
            self.add_ref(blob, -1);
        }
        self.set_key(bucket, key, versions);
        Ok(dropped)
    }

    /// Starts an upload. `AlreadyExists(MultipartUpload)` for an id in use.
    pub(crate) fn create_upload(&mut self, u: &MultipartUpload) -> Result<(), WriteError> {
        if self.upload(&u.upload_id).is_some() {
            return Err(WriteError::AlreadyExists(Entity::MultipartUpload));
        }
        let seq = self.p.next_seq.unwrap_or(self.c.next_seq);
        self.p.next_seq = Some(seq + 1);
        let weight = if self.logged() {
            log::create_upload(&mut self.p.records, u, seq)
        } else {
            0
        };
        self.insert_upload(u.clone(), seq, weight);
        Ok(())
    }

    fn insert_upload(&mut self, u: MultipartUpload, seq: u64, weight: u64) {
        let id = u.upload_id.clone();
        self.set_upload(
            &id,
            Some(Arc::new(Upload {
                u,
                seq,
                parts: BTreeMap::new(),
                weight,
            })),
        );
    }

    /// The upload `upload_id` of `bucket`. `NotFound(MultipartUpload)`.
    fn upload_in(&self, bucket: &str, upload_id: &str) -> Result<Arc<Upload>, WriteError> {
        self.upload(upload_id)
            .filter(|u| u.u.bucket == bucket)
            .cloned()
            .ok_or(WriteError::NotFound(Entity::MultipartUpload))
    }

    /// Adds or replaces a part. Returns the blob replaced if nothing else uses it.
    pub(crate) fn put_part(
        &mut self,
        bucket: &str,
        upload_id: &str,
        part: &Part,
    ) -> Result<Vec<BlobId>, WriteError> {
        self.upload_in(bucket, upload_id)?;
        if !(1..=10_000).contains(&part.number) {
            return Err(StoreError::Backend(
                format!("part number {} is outside 1 to 10000", part.number).into(),
            )
            .into());
        }
        self.room_for(part.inline.as_ref().map_or(0, |b| b.len() as u64))?;
        let mut part = part.clone();
        let (weight, at) = if self.logged() {
            let start = self.next_offset();
            let (weight, at) = log::put_part(&mut self.p.records, upload_id, &part);
            if at.is_some() {
                part.inline = None;
            }
            (weight, at.map(|at| start + at))
        } else {
            (0, None)
        };
        let dropped = self.apply_part(
            upload_id,
            StoredPart {
                p: part,
                at,
                weight,
            },
        )?;
        Ok(self.released(dropped))
    }

    fn apply_part(&mut self, upload_id: &str, part: StoredPart) -> Result<Vec<BlobId>, WriteError> {
        let upload = self
            .upload(upload_id)
            .cloned()
            .ok_or(WriteError::NotFound(Entity::MultipartUpload))?;
        let mut upload = Upload::clone(&upload);
        let mut dropped = Vec::new();
        if let Some(blob) = part.blob() {
            self.add_ref(blob, 1);
        }
        if let Some(old) = upload.parts.insert(part.p.number, Arc::new(part))
            && let Some(blob) = old.blob()
        {
            self.add_ref(blob, -1);
            dropped.push(blob.clone());
        }
        self.set_upload(upload_id, Some(Arc::new(upload)));
        Ok(dropped)
    }

    /// Removes an upload; returns the blobs of its parts.
    fn remove_upload(&mut self, upload_id: &str) -> Result<Vec<BlobId>, WriteError> {
        let upload = self
            .upload(upload_id)
            .cloned()
            .ok_or(WriteError::NotFound(Entity::MultipartUpload))?;
        let mut dropped = Vec::new();
        for p in upload.parts.values() {
            if let Some(blob) = p.blob() {
                self.add_ref(blob, -1);
                dropped.push(blob.clone());
            }
        }
        self.set_upload(upload_id, None);
        Ok(dropped)
    }

    /// Ends an upload: the parts numbered `numbers` become the body of `object`. Returns
    /// the blobs released. `NotFound(MultipartUpload)`, `NotFound(Part)`; nothing changes
    /// on error.
    pub(crate) fn complete_upload(
        &mut self,
        bucket: &str,
        upload_id: &str,
        numbers: &[u32],
        object: &ObjectVersion,
    ) -> Result<Vec<BlobId>, WriteError> {
        let upload = self.upload_in(bucket, upload_id)?;
        let mut body = Vec::with_capacity(numbers.len());
        for n in numbers {
            let part = upload
                .parts
                .get(n)
                .ok_or(WriteError::NotFound(Entity::Part))?;
            let inline = match part.at {
                Some(at) => Some(self.body(at, part.p.size)?),
                None => part.p.inline.clone(),
            };
            body.push(Segment {
                blob: part.p.blob.clone(),
                size: part.p.size,
                inline,
            });
        }
        let mut version = object.clone();
        version.bucket = bucket.to_owned();
        version.key = upload.u.key.clone();
        version.size = body.iter().map(|s| s.size).sum();
        version.parts_count = Some(u32::try_from(body.len()).unwrap_or(u32::MAX));
        version.body = body;
        version.delete_marker = false;
        let mut dropped = self.remove_upload(upload_id)?;
        if self.logged() {
            log::delete_upload(&mut self.p.records, upload_id);
        }
        dropped.extend(self.put_logged(version));
        Ok(self.released(dropped))
    }

    /// Removes an upload and its parts; returns their blobs. `NotFound(MultipartUpload)`.
    pub(crate) fn abort_upload(
        &mut self,
        bucket: &str,
        upload_id: &str,
    ) -> Result<Vec<BlobId>, WriteError> {
        self.upload_in(bucket, upload_id)?;
        let dropped = self.remove_upload(upload_id)?;
        if self.logged() {
            log::delete_upload(&mut self.p.records, upload_id);
        }
        Ok(self.released(dropped))
    }

    /// Applies a record read back from the log; `len` is its frame's length.
    fn replay(&mut self, record: Record, len: u64) -> Result<(), StoreError> {
        let bad = |what: &str| StoreError::Corrupt(format!("object log: {what}"));
        match record {
            Record::PutVersion(mut v, logged) => {
                let (bucket, key) = (std::mem::take(&mut v.bucket), std::mem::take(&mut v.key));
                self.put_stored(&bucket, &key, Stored::new(v, &logged, len));
            }
            Record::UpdateVersion(u) => self
                .apply_update(u, len)
                .map_err(|_| bad("an update of a missing version"))?,
            Record::DeleteVersion(bucket, key, version_id) => {
                self.remove_version(&bucket, &key, &version_id)
                    .map_err(|_| bad("a deletion of a missing version"))?;
            }
            Record::CreateUpload(u, seq) => {
                self.p.next_seq = Some(self.p.next_seq.unwrap_or(0).max(seq + 1));
                self.insert_upload(u, seq, len);
            }
            Record::PutPart(upload_id, p, at) => {
                self.apply_part(&upload_id, StoredPart { p, at, weight: len })
                    .map_err(|_| bad("a part of a missing upload"))?;
            }
            Record::DeleteUpload(upload_id) => {
                self.remove_upload(&upload_id)
                    .map_err(|_| bad("the end of a missing upload"))?;
            }
        }
        // Nothing read back is undone.
        self.p.undo.clear();
        Ok(())
    }
}

// ---- reads ----

/// A version, or the latest when `version_id` is `None`.
pub(crate) fn get_object(
    view: &dyn View,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Option<ObjectVersion>, StoreError> {
    pick(view.versions(bucket, key), version_id)
        .map(|(latest, s)| s.version(bucket, key, latest, Some(&|at, len| view.body(at, len))))
        .transpose()
}

/// The version `version_id` of a key, or its latest; and whether it is the latest.
fn pick<'a>(
    versions: Option<&'a Versions>,
    version_id: Option<&str>,
) -> Option<(bool, &'a Arc<Stored>)> {
    let versions = versions?;
    match version_id {
        None => versions.first().map(|s| (true, s)),
        Some(id) => versions
            .iter()
            .enumerate()
            .find(|(_, s)| *s.version_id == *id)
            .map(|(i, s)| (i == 0, s)),
    }
}

/// Where a listing goes on from.
enum Position {
    /// At this key (inclusive).
    From(String),
    /// After this key and all its versions.
    After(String),
    /// Among the versions of this key, after the first `n`.
    Within(String, usize),
    /// Nothing is left.
    End,
}

/// For a listing with a delimiter: the common prefix `key` falls under, if any.
fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    let delimiter = delimiter.filter(|d| !d.is_empty())?;
    let rest = key.strip_prefix(prefix)?;
    let at = rest.find(delimiter)?;
    key.get(..prefix.len() + at + delimiter.len())
}

/// The position past every key under the common prefix `cp`.
fn past(cp: &str) -> Position {
    prefix_end(cp).map_or(Position::End, Position::From)
}

/// Where a listing that starts after `marker` begins.
fn start(prefix: &str, delimiter: Option<&str>, marker: Option<&str>) -> Position {
    match marker {
        Some(m) if m >= prefix => match common_prefix(m, prefix, delimiter) {
            Some(cp) => past(cp),
            None => Position::After(m.to_owned()),
        },
        _ => Position::From(prefix.to_owned()),
    }
}

/// The walk both object listings share: keys in order from `pos`, each key's versions
/// newest first (only a latest that is no delete marker when `latest`), a common prefix
/// standing for every key under it. Returns the entries and whether more follow.
fn walk(
    view: &dyn View,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    mut pos: Position,
    latest: bool,
    max: usize,
) -> Result<(Vec<ListEntry<ObjectVersion>>, bool), StoreError> {
    let mut entries = Vec::new();
    if max == 0 {
        return Ok((entries, false));
    }
    loop {
        let (found, skip) = match &pos {
            Position::End => return Ok((entries, false)),
            Position::From(k) => (view.next_key(bucket, Bound::Included(k)), 0),
            Position::After(k) => (view.next_key(bucket, Bound::Excluded(k)), 0),
            Position::Within(k, n) => (
                view.versions(bucket, k)
                    .filter(|v| !v.is_empty())
                    .map(|v| (k.as_str(), v)),
                *n,
            ),
        };
        let Some((key, versions)) = found else {
            match pos {
                Position::Within(k, _) => {
                    pos = Position::After(k);
                    continue;
                }
                _ => return Ok((entries, false)),
            }
        };
        if !key.starts_with(prefix) {
            return Ok((entries, false));
        }
        let key = key.to_owned();
        if latest && versions.first().is_none_or(|s| s.delete_marker) {
            pos = Position::After(key);
            continue;
        }
        if let Some(cp) = common_prefix(&key, prefix, delimiter) {
            if entries.len() == max {
                return Ok((entries, true));
            }
            entries.push(ListEntry::CommonPrefix(cp.to_owned()));
            pos = past(cp);
            continue;
        }
        let take = if latest { 1 } else { versions.len() };
        for (i, s) in versions.iter().enumerate().take(take).skip(skip) {
            if entries.len() == max {
                return Ok((entries, true));
            }
            entries.push(ListEntry::Item(s.version(bucket, &key, i == 0, None)?));
        }
        pos = Position::After(key);
    }
}

/// A page of latest versions.
pub(crate) fn list_objects(
    view: &dyn View,
    bucket: &str,
    q: &ObjectQuery,
) -> Result<ObjectListing, StoreError> {
    let delimiter = q.delimiter.as_deref();
    let pos = start(&q.prefix, delimiter, q.start_after.as_deref());
    let (entries, is_truncated) = walk(view, bucket, &q.prefix, delimiter, pos, true, q.max_keys)?;
    let next_start_after = match entries.last() {
        Some(ListEntry::Item(v)) if is_truncated => Some(v.key.clone()),
        Some(ListEntry::CommonPrefix(cp)) if is_truncated => Some(cp.clone()),
        _ => None,
    };
    Ok(ObjectListing {
        entries,
        is_truncated,
        next_start_after,
    })
}

/// A page of all versions.
pub(crate) fn list_object_versions(
    view: &dyn View,
    bucket: &str,
    q: &VersionQuery,
) -> Result<VersionListing, StoreError> {
    let delimiter = q.delimiter.as_deref();
    let mut pos = start(&q.prefix, delimiter, q.key_marker.as_deref());
    if let (Some(key), Some(version), Position::After(_)) =
        (&q.key_marker, &q.version_id_marker, &pos)
        && let Some(i) = view
            .versions(bucket, key)
            .and_then(|vs| vs.iter().position(|s| *s.version_id == **version))
    {
        pos = Position::Within(key.clone(), i + 1);
    }
    let (entries, is_truncated) = walk(view, bucket, &q.prefix, delimiter, pos, false, q.max_keys)?;
    let (next_key_marker, next_version_id_marker) = match entries.last() {
        Some(ListEntry::Item(v)) if is_truncated => {
            (Some(v.key.clone()), Some(v.version_id.clone()))
        }
        Some(ListEntry::CommonPrefix(cp)) if is_truncated => (Some(cp.clone()), None),
        _ => (None, None),
    };
    Ok(VersionListing {
        entries,
        is_truncated,
        next_key_marker,
        next_version_id_marker,
    })
}

/// An upload of `bucket`.
pub(crate) fn get_upload(
    view: &dyn View,
    bucket: &str,
    upload_id: &str,
) -> Option<MultipartUpload> {
    view.upload(upload_id)
        .filter(|u| u.u.bucket == bucket)
        .map(|u| u.u.clone())
}

/// A page of a bucket's uploads.
pub(crate) fn list_uploads(view: &dyn View, bucket: &str, q: &UploadQuery) -> UploadListing {
    let order = view.uploads_in(bucket);
    let marker = match (&q.key_marker, &q.upload_id_marker) {
        (Some(key), Some(id)) => view
            .upload(id)
            .filter(|u| u.u.bucket == bucket && &u.u.key == key)
            .map(|u| u.order()),
        _ => None,
    };
    // After one upload of the marker key, after all of it, or from the prefix.
    let from = match (marker, &q.key_marker) {
        (Some(m), _) => Bound::Excluded(m),
        (None, Some(key)) if key.as_str() >= q.prefix.as_str() => {
            Bound::Excluded((key.clone(), i128::MAX, u64::MAX))
        }
        _ => Bound::Included((q.prefix.clone(), i128::MIN, 0)),
    };
    let mut uploads = Vec::new();
    let mut is_truncated = false;
    for ((key, _, _), id) in order.range((from, Bound::Unbounded)) {
        if !key.starts_with(&q.prefix) {
            break;
        }
        if uploads.len() >= q.max_uploads {
            is_truncated = true;
            break;
        }
        if let Some(u) = view.upload(id) {
            uploads.push(u.u.clone());
        }
    }
    let (next_key_marker, next_upload_id_marker) = match uploads.last() {
        Some(u) if is_truncated => (Some(u.key.clone()), Some(u.upload_id.clone())),
        _ => (None, None),
    };
    UploadListing {
        uploads,
        is_truncated,
        next_key_marker,
        next_upload_id_marker,
    }
}

/// A page of an upload's parts after number `after`; empty for an unknown upload. Parts
/// carry no bodies.
pub(crate) fn list_parts(
    view: &dyn View,
    bucket: &str,
    upload_id: &str,
    after: u32,
    max_parts: usize,
) -> PartListing {
    let mut parts: Vec<Part> = view
        .upload(upload_id)
        .filter(|u| u.u.bucket == bucket)
        .map(|u| {
            u.parts
                .range((Bound::Excluded(after), Bound::Unbounded))
                .take(max_parts.saturating_add(1))
                .map(|(_, p)| {
                    let mut p = p.p.clone();
                    p.inline = None;
                    p
                })
                .collect()
        })
        .unwrap_or_default();
    let is_truncated = parts.len() > max_parts;
    parts.truncate(max_parts);
    let next_part_number_marker = if is_truncated {
        parts.last().map(|p| p.number)
    } else {
        None
    };
    PartListing {
        parts,
        is_truncated,
        next_part_number_marker,
    }
}

/// Whether anything refers to a blob in the blob store.
pub(crate) fn blob_in_use(view: &dyn View, blob: &BlobId) -> bool {
    view.refs(blob) > 0
}

/// Whether a bucket holds a version, a delete marker or an upload.
pub(crate) fn holds_anything(view: &dyn View, bucket: &str) -> bool {
    view.next_key(bucket, Bound::Unbounded).is_some() || !view.uploads_in(bucket).is_empty()
}

/// A log written whole from the objects of a database older than the log (the schema's
/// migration moves them out of SQLite). Versions come oldest first per key.
pub(crate) struct Export {
    fresh: log::Fresh,
    seq: u64,
}

impl Export {
    /// Starts a log beside the one in `dir`, replaced at [`Export::finish`].
    pub(crate) fn create(dir: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            fresh: log::Fresh::create(dir)?,
            seq: 0,
        })
    }

    /// Adds a version as the latest of its key.
    pub(crate) fn version(&mut self, v: &ObjectVersion) -> Result<(), StoreError> {
        self.fresh.put_version(v).map(drop)
    }

    /// Adds an upload and its parts; uploads come in creation order.
    pub(crate) fn upload(&mut self, u: &MultipartUpload, parts: &[Part]) -> Result<(), StoreError> {
        self.fresh.create_upload(u, self.seq)?;
        self.seq += 1;
        for p in parts {
            self.fresh.put_part(&u.upload_id, p)?;
        }
        Ok(())
    }

    /// Syncs the log and puts it in place.
    pub(crate) fn finish(self) -> Result<(), StoreError> {
        self.fresh.finish().map(drop)
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        reason = "tests fail loudly"
    )]

    use super::*;
    use crate::s3::ContentHeaders;
    use std::io::Write;

    fn version(bucket: &str, key: &str, id: &str, body: &'static str) -> ObjectVersion {
        ObjectVersion {
            bucket: bucket.into(),
            key: key.into(),
            version_id: id.into(),
            is_latest: false,
            delete_marker: false,
            size: body.len() as u64,
            etag: format!("\"{body}\""),
            last_modified: time::OffsetDateTime::from_unix_timestamp_nanos(
                1_700_000_000_123_456_789,
            )
            .unwrap(),
            headers: ContentHeaders {
                content_type: Some("text/plain".into()),
                ..ContentHeaders::default()
            },
            metadata: BTreeMap::from([("m".into(), body.into())]),
            checksums: BTreeMap::new(),
            tags: Vec::new(),
            owner: "123456789012".parse().unwrap(),
            storage_class: "STANDARD".into(),
            acl: None,
            parts_count: None,
            body: vec![Segment {
                blob: format!("{:032x}", body.len()).parse().unwrap(),
                size: body.len() as u64,
                inline: Some(Bytes::from_static(body.as_bytes())),
            }],
        }
    }

    fn in_blob(bucket: &str, key: &str, n: u64) -> ObjectVersion {
        let mut v = version(bucket, key, "null", "");
        v.size = 10;
        v.body = vec![Segment {
            blob: format!("{n:032x}").parse().unwrap(),
            size: 10,
            inline: None,
        }];
        v
    }

    fn buckets(names: &[&str]) -> HashSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn write<T>(o: &Objects, f: impl FnOnce(&mut Writing<'_>) -> T) -> T {
        let mut p = Pending::default();
        let out = o.writing(&mut p, f);
        o.commit(&mut p).unwrap();
        out
    }

    fn body(o: &Objects, bucket: &str, key: &str, id: Option<&str>) -> Option<Bytes> {
        o.read(|view| get_object(view, bucket, key, id))
            .unwrap()
            .map(|v| v.body[0].inline.clone().unwrap())
    }

    fn log_len(dir: &Path) -> u64 {
        std::fs::metadata(dir.join(LOG_FILE)).unwrap().len()
    }

    #[test]
    fn changes_read_back_after_reopening_and_a_torn_tail_is_cut() {
        let tails: [&[u8]; 2] = [
            // A frame a crash cut short: a length that runs past the end.
            &[200, 0, 0, 0, 1, 2, 3, 4, 9, 9],
            // After a power cut a file system can keep a file's new length but not the
            // bytes written into it, which then read back as zeros: a zero frame header,
            // whose CRC matches its empty payload.
            &[0; 4096],
        ];
        for tail in tails {
            let dir = tempfile::tempdir().unwrap();
            let names = buckets(&["b"]);
            {
                let o = Objects::open(dir.path(), &names).unwrap();
                write(&o, |w| {
                    w.put_version(&version("b", "k", "v1", "one")).unwrap();
                    w.put_version(&version("b", "k", "v2", "two")).unwrap();
                    w.put_version(&version("b", "gone", "null", "x")).unwrap();
                });
                write(&o, |w| {
                    let mut changed = version("b", "k", "v1", "one");
                    changed.metadata = BTreeMap::from([("m".into(), "changed".into())]);
                    w.update_version(&changed).unwrap();
                    w.delete_version("b", "gone", "null").unwrap();
                    w.put_version(&in_blob("b", "blob", 7)).unwrap();
                });
            }
            let whole = log_len(dir.path());
            std::fs::OpenOptions::new()
                .append(true)
                .open(dir.path().join(LOG_FILE))
                .unwrap()
                .write_all(tail)
                .unwrap();
            let o = Objects::open(dir.path(), &names).unwrap();
            assert_eq!(log_len(dir.path()), whole);
            assert_eq!(body(&o, "b", "k", None).unwrap(), "two");
            assert_eq!(body(&o, "b", "k", Some("v1")).unwrap(), "one");
            let v1 = o
                .read(|view| get_object(view, "b", "k", Some("v1")))
                .unwrap()
                .unwrap();
            assert_eq!(v1.metadata["m"], "changed");
            assert_eq!(
                v1.last_modified.unix_timestamp_nanos(),
                1_700_000_000_123_456_789
            );
            assert!(!v1.is_latest);
            assert!(body(&o, "b", "gone", None).is_none());
            let blob: BlobId = format!("{:032x}", 7).parse().unwrap();
            assert!(o.read(|view| blob_in_use(view, &blob)));
            // Appends go on after the cut.
            write(&o, |w| {
                w.put_version(&version("b", "after", "null", "later"))
                    .unwrap()
            });
            drop(o);
            let o = Objects::open(dir.path(), &names).unwrap();
            assert_eq!(body(&o, "b", "after", None).unwrap(), "later");
        }
    }

    #[test]
    fn a_failed_job_leaves_no_trace() {
        let o = Objects::in_memory(u64::MAX);
        let mut p = Pending::default();
        o.writing(&mut p, |w| {
            w.put_version(&version("b", "kept", "null", "a")).unwrap()
        });
        p.settle();
        let mark = p.mark();
        o.writing(&mut p, |w| {
            w.put_version(&version("b", "kept", "null", "overwritten"))
                .unwrap();
            w.put_version(&version("b", "undone", "null", "b")).unwrap();
            w.put_version(&in_blob("b", "blob", 3)).unwrap();
        });
        p.rollback(mark);
        o.commit(&mut p).unwrap();
        assert_eq!(body(&o, "b", "kept", None).unwrap(), "a");
        assert!(body(&o, "b", "undone", None).is_none());
        let blob: BlobId = format!("{:032x}", 3).parse().unwrap();
        assert!(!o.read(|view| blob_in_use(view, &blob)));
    }

    #[test]
    fn compaction_keeps_what_is_live_and_drops_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let names = buckets(&["b"]);
        let o = Objects::open(dir.path(), &names).unwrap();
        for _ in 0..200 {
            write(&o, |w| {
                w.put_version(&version("b", "hot", "null", "overwritten again"))
                    .unwrap()
            });
        }
        write(&o, |w| {
            w.put_version(&version("b", "v", "1", "first")).unwrap();
            w.put_version(&version("b", "v", "2", "second")).unwrap();
            let mut u = version("b", "v", "1", "first");
            u.tags = vec![crate::model::Tag {
                key: "t".into(),
                value: "1".into(),
            }];
            w.update_version(&u).unwrap();
            w.create_upload(&upload("b", "big", "up", 0)).unwrap();
            w.put_part(
                "b",
                "up",
                &Part {
                    number: 1,
                    size: 4,
                    etag: "\"p\"".into(),
                    checksum: None,
                    blob: format!("{:032x}", 9).parse().unwrap(),
                    inline: Some(Bytes::from_static(b"part")),
                    last_modified: time::OffsetDateTime::UNIX_EPOCH,
                },
            )
            .unwrap();
        });
        let before = log_len(dir.path());
        o.compact().unwrap();
        let after = log_len(dir.path());
        assert!(after * 20 < before, "{after} of {before}");
        // The index points into the new file, and so does a reopening.
        let check = |o: &Objects| {
            assert_eq!(body(o, "b", "hot", None).unwrap(), "overwritten again");
            assert_eq!(body(o, "b", "v", None).unwrap(), "second");
            let first = o
                .read(|view| get_object(view, "b", "v", Some("1")))
                .unwrap()
                .unwrap();
            assert_eq!(first.tags.len(), 1);
            assert_eq!(first.body[0].inline.as_deref(), Some(&b"first"[..]));
            assert!(o.read(|view| get_upload(view, "b", "up")).is_some());
        };
        check(&o);
        drop(o);
        let o = Objects::open(dir.path(), &names).unwrap();
        check(&o);
        // The logged part becomes the body of the completed object.
        let released = write(&o, |w| {
            w.complete_upload("b", "up", &[1], &version("b", "ignored", "null", ""))
        });
        assert!(released.unwrap().is_empty());
        assert_eq!(body(&o, "b", "big", None).unwrap(), "part");
        drop(o);
        let o = Objects::open(dir.path(), &names).unwrap();
        assert!(o.read(|view| get_upload(view, "b", "up")).is_none());
        assert_eq!(body(&o, "b", "big", None).unwrap(), "part");
    }

    fn upload(bucket: &str, key: &str, id: &str, seconds: i64) -> MultipartUpload {
        MultipartUpload {
            upload_id: id.into(),
            bucket: bucket.into(),
            key: key.into(),
            initiated: time::OffsetDateTime::from_unix_timestamp(seconds).unwrap(),
            initiator: "me".into(),
            owner: "123456789012".parse().unwrap(),
            headers: ContentHeaders::default(),
            metadata: BTreeMap::new(),
            checksum_algorithm: None,
            tags: Vec::new(),
            storage_class: "STANDARD".into(),
            acl: None,
        }
    }

    /// Inside a batch, listings see the committed state through the batch's changes: keys
    /// added, replaced and emptied, a latest version turned into a delete marker, uploads
    /// started and ended; the committed state alone shows none of it until the commit.
    #[test]
    fn listings_in_a_batch_see_its_changes() {
        let o = Objects::in_memory(u64::MAX);
        write(&o, |w| {
            for key in ["b", "d", "f"] {
                w.put_version(&version("x", key, "null", "committed"))
                    .unwrap();
            }
            w.create_upload(&upload("x", "b", "u1", 1)).unwrap();
            w.create_upload(&upload("x", "d", "u2", 2)).unwrap();
        });
        let mut p = Pending::default();
        o.writing(&mut p, |w| {
            w.put_version(&version("x", "a", "null", "new")).unwrap();
            w.put_version(&version("x", "c", "null", "new")).unwrap();
            w.delete_version("x", "b", "null").unwrap();
            let mut marker = version("x", "d", "m1", "");
            marker.delete_marker = true;
            marker.body.clear();
            w.put_version(&marker).unwrap();
            w.put_version(&version("x", "g", "null", "new")).unwrap();
            w.abort_upload("x", "u1").unwrap();
            w.create_upload(&upload("x", "a", "u3", 3)).unwrap();
        });
        let keys = |view: &dyn View| -> Vec<String> {
            list_objects(
                view,
                "x",
                &ObjectQuery {
                    max_keys: 100,
                    ..ObjectQuery::default()
                },
            )
            .unwrap()
            .entries
            .into_iter()
            .map(|e| match e {
                ListEntry::Item(v) => v.key,
                ListEntry::CommonPrefix(p) => p,
            })
            .collect()
        };
        let versions = |view: &dyn View| -> Vec<(String, String, bool)> {
            list_object_versions(
                view,
                "x",
                &VersionQuery {
                    max_keys: 100,
                    ..VersionQuery::default()
                },
            )
            .unwrap()
            .entries
            .into_iter()
            .filter_map(|e| match e {
                ListEntry::Item(v) => Some((v.key, v.version_id, v.is_latest)),
                ListEntry::CommonPrefix(_) => None,
            })
            .collect()
        };
        let uploads = |view: &dyn View| -> Vec<String> {
            list_uploads(
                view,
                "x",
                &UploadQuery {
                    max_uploads: 100,
                    ..UploadQuery::default()
                },
            )
            .uploads
            .into_iter()
            .map(|u| u.upload_id)
            .collect()
        };
        o.pending(&p, |view| {
            assert_eq!(keys(view), ["a", "c", "f", "g"]);
            let d: Vec<_> = versions(view).into_iter().filter(|v| v.0 == "d").collect();
            assert_eq!(
                d,
                [
                    ("d".into(), "m1".into(), true),
                    ("d".into(), "null".into(), false)
                ]
            );
            assert_eq!(uploads(view), ["u3", "u2"]);
            // A page that ends inside the batch's keys goes on from there.
            let page = list_objects(
                view,
                "x",
                &ObjectQuery {
                    max_keys: 2,
                    ..ObjectQuery::default()
                },
            )
            .unwrap();
            assert!(page.is_truncated);
            assert_eq!(page.next_start_after.as_deref(), Some("c"));
            assert!(holds_anything(view, "x"));
        });
        o.read(|view| {
            assert_eq!(keys(view), ["b", "d", "f"]);
            assert_eq!(uploads(view), ["u1", "u2"]);
        });
        o.commit(&mut p).unwrap();
        o.read(|view| {
            assert_eq!(keys(view), ["a", "c", "f", "g"]);
            assert_eq!(uploads(view), ["u3", "u2"]);
        });
    }

    /// In memory, bodies past the limit are refused with an error (the process is not left
    /// to run out of memory); what is deleted or replaced makes room again.
    #[test]
    fn a_store_in_memory_refuses_bodies_past_its_limit() {
        let o = Objects::in_memory(8);
        write(&o, |w| w.put_version(&version("b", "k", "null", "12345"))).unwrap();
        let full = write(&o, |w| w.put_version(&version("b", "k2", "null", "6789")));
        let Err(WriteError::Store(e)) = full else {
            panic!("not refused: {full:?}")
        };
        assert!(
            format!("{:?}", e).contains("in-memory store is full"),
            "{e:?}"
        );
        assert!(body(&o, "b", "k2", None).is_none());
        // Replacing the first frees its bytes.
        write(&o, |w| w.delete_version("b", "k", "null")).unwrap();
        write(&o, |w| w.put_version(&version("b", "k2", "null", "6789"))).unwrap();
        assert_eq!(body(&o, "b", "k2", None).unwrap(), "6789");
    }

    #[test]
    fn objects_of_a_bucket_the_database_lacks_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        {
            let o = Objects::open(dir.path(), &buckets(&["a", "b"])).unwrap();
            write(&o, |w| {
                w.put_version(&version("a", "k", "null", "kept")).unwrap();
                w.put_version(&in_blob("b", "k", 5)).unwrap();
            });
        }
        let o = Objects::open(dir.path(), &buckets(&["a"])).unwrap();
        assert_eq!(body(&o, "a", "k", None).unwrap(), "kept");
        assert!(body(&o, "b", "k", None).is_none());
        let blob: BlobId = format!("{:032x}", 5).parse().unwrap();
        assert!(!o.read(|view| blob_in_use(view, &blob)));
        drop(o);
        // Gone from the log too, whatever the database says next.
        let o = Objects::open(dir.path(), &buckets(&["a", "b"])).unwrap();
        assert!(body(&o, "b", "k", None).is_none());
    }
}
