//! The object log's format: a header, then frames of `[length u32][CRC-32C u32][record]`,
//! little-endian. A record is one change (a version written, updated or deleted; an upload
//! created or removed; a part written); small bodies are inside their record, and the index
//! in memory points at their bytes by offset. A frame that is cut short, fails its
//! checksum or has length zero (no record is empty; zeros are what a file system may show
//! of bytes that never reached the disk) ends the log: it is the write a crash
//! interrupted, never acknowledged.

use crate::error::StoreError;
use crate::model::Tag;
use crate::s3::{BlobId, ContentHeaders, MultipartUpload, ObjectVersion, Part, Segment};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The log's file name inside the data directory.
pub const LOG_FILE: &str = "objects.log";

/// The first bytes of every log; the last one is the format's version.
const MAGIC: &[u8; 16] = b"roleplay-objlog\x01";

/// Bytes before a record: its length and checksum.
pub(super) const FRAME_HEAD: u64 = 8;

/// No record is longer: a length above it is a torn or foreign frame, not an allocation.
const MAX_RECORD: u32 = 256 << 20;

const PUT_VERSION: u8 = 1;
const UPDATE_VERSION: u8 = 2;
const DELETE_VERSION: u8 = 3;
const CREATE_UPLOAD: u8 = 4;
const PUT_PART: u8 = 5;
const DELETE_UPLOAD: u8 = 6;

/// One decoded record. Offsets of bodies are absolute positions in the file.
pub(super) enum Record {
    /// A version (or delete marker) written as the latest of its key; its logged bodies
    /// (segment index, offset) have `inline: None` in the version.
    PutVersion(ObjectVersion, Vec<(usize, u64)>),
    /// New headers, metadata, tags, ACL and storage class for a version.
    UpdateVersion(Update),
    /// A version removed: bucket, key, version id.
    DeleteVersion(String, String, String),
    /// An upload created, with its order among uploads.
    CreateUpload(MultipartUpload, u64),
    /// A part written to an upload; the offset of its body when logged.
    PutPart(String, Part, Option<u64>),
    /// An upload completed or aborted.
    DeleteUpload(String),
}

/// Appends one frame to `buf`; `payload` writes the record and returns what it wants back.
fn frame<T>(buf: &mut Vec<u8>, payload: impl FnOnce(&mut Enc<'_>) -> T) -> T {
    let head = buf.len();
    buf.extend_from_slice(&[0; 8]);
    let start = buf.len();
    let out = payload(&mut Enc { buf, start: head });
    let body = buf.get(start..).unwrap_or_default();
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX).to_le_bytes();
    let crc = crc32c::crc32c(body).to_le_bytes();
    if let Some(h) = buf.get_mut(head..start) {
        h.copy_from_slice(&[len, crc].concat());
    }
    out
}

/// Writes a record's fields. Positions it reports are relative to the frame's start.
struct Enc<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
}

impl Enc<'_> {
    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    fn time(&mut self, t: OffsetDateTime) {
        self.buf
            .extend_from_slice(&t.unix_timestamp_nanos().to_le_bytes());
    }
    /// Writes bytes with their length; returns where they start, from the frame's start.
    fn bytes(&mut self, b: &[u8]) -> u64 {
        self.len(b.len());
        let at = self.buf.len() - self.start;
        self.buf.extend_from_slice(b);
        at as u64
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn opt(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
    fn map(&mut self, m: &BTreeMap<String, String>) {
        self.len(m.len());
        for (k, v) in m {
            self.str(k);
            self.str(v);
        }
    }
    fn tags(&mut self, tags: &[Tag]) {
        self.len(tags.len());
        for t in tags {
            self.str(&t.key);
            self.str(&t.value);
        }
    }
    fn headers(&mut self, h: &ContentHeaders) {
        for v in [
            &h.content_type,
            &h.content_encoding,
            &h.content_disposition,
            &h.content_language,
            &h.cache_control,
            &h.expires,
        ] {
            self.opt(v.as_deref());
        }
    }
    /// The fields an update replaces, after the version's identity.
    fn version_head(&mut self, v: &ObjectVersion) {
        self.str(&v.bucket);
        self.str(&v.key);
        self.str(&v.version_id);
    }
    fn version_attrs(&mut self, v: &ObjectVersion) {
        self.headers(&v.headers);
        self.map(&v.metadata);
        self.tags(&v.tags);
        self.opt(v.acl.as_deref());
        self.str(&v.storage_class);
    }
}

/// Appends a `PutVersion` record for `v`, bodies included. Returns the frame's length and,
/// for each inline segment, its index and where its bytes start from the frame's start.
pub(super) fn put_version(buf: &mut Vec<u8>, v: &ObjectVersion) -> (u64, Vec<(usize, u64)>) {
    let before = buf.len();
    let spans = frame(buf, |e| {
        e.u8(PUT_VERSION);
        e.version_head(v);
        e.version_attrs(v);
        e.u8(u8::from(v.delete_marker));
        e.u64(v.size);
        e.str(&v.etag);
        e.time(v.last_modified);
        e.map(&v.checksums);
        e.str(v.owner.as_str());
        match v.parts_count {
            None => e.u8(0),
            Some(n) => {
                e.u8(1);
                e.u32(n);
            }
        }
        e.len(v.body.len());
        let mut spans = Vec::new();
        for (i, s) in v.body.iter().enumerate() {
            e.str(s.blob.as_str());
            e.u64(s.size);
            match &s.inline {
                None => e.u8(0),
                Some(b) => {
                    e.u8(1);
                    spans.push((i, e.bytes(b)));
                }
            }
        }
        spans
    });
    ((buf.len() - before) as u64, spans)
}

/// Appends an `UpdateVersion` record; returns the frame's length.
pub(super) fn update_version(buf: &mut Vec<u8>, v: &ObjectVersion) -> u64 {
    // The same fields, in the same order, as `Dec::update` reads.
    let before = buf.len();
    frame(buf, |e| {
        e.u8(UPDATE_VERSION);
        e.version_head(v);
        e.version_attrs(v);
    });
    (buf.len() - before) as u64
}

/// Appends a `DeleteVersion` record.
pub(super) fn delete_version(buf: &mut Vec<u8>, bucket: &str, key: &str, version_id: &str) {
    frame(buf, |e| {
        e.u8(DELETE_VERSION);
        e.str(bucket);
        e.str(key);
        e.str(version_id);
    });
}

/// Appends a `CreateUpload` record; returns the frame's length.
pub(super) fn create_upload(buf: &mut Vec<u8>, u: &MultipartUpload, seq: u64) -> u64 {
    let before = buf.len();
    frame(buf, |e| {
        e.u8(CREATE_UPLOAD);
        e.u64(seq);
        e.str(&u.upload_id);
        e.str(&u.bucket);
        e.str(&u.key);
        e.time(u.initiated);
        e.str(&u.initiator);
        e.str(u.owner.as_str());
        e.headers(&u.headers);
        e.map(&u.metadata);
        e.opt(u.checksum_algorithm.as_deref());
        e.tags(&u.tags);
        e.str(&u.storage_class);
        e.opt(u.acl.as_deref());
    });
    (buf.len() - before) as u64
}

/// Appends a `PutPart` record; returns the frame's length and where an inline body starts
/// from the frame's start.
pub(super) fn put_part(buf: &mut Vec<u8>, upload_id: &str, p: &Part) -> (u64, Option<u64>) {
    let before = buf.len();
    let at = frame(buf, |e| {
        e.u8(PUT_PART);
        e.str(upload_id);
        e.u32(p.number);
        e.u64(p.size);
        e.str(&p.etag);
        e.opt(p.checksum.as_deref());
        e.str(p.blob.as_str());
        e.time(p.last_modified);
        match &p.inline {
            None => {
                e.u8(0);
                None
            }
            Some(b) => {
                e.u8(1);
                Some(e.bytes(b))
            }
        }
    });
    ((buf.len() - before) as u64, at)
}

/// Appends a `DeleteUpload` record.
pub(super) fn delete_upload(buf: &mut Vec<u8>, upload_id: &str) {
    frame(buf, |e| {
        e.u8(DELETE_UPLOAD);
        e.str(upload_id);
    });
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("object log: {what}"))
}

/// Reads a record's fields; `base` is the record's offset in the file.
struct Dec<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        let end = self.pos.checked_add(n).ok_or_else(|| corrupt("length"))?;
        let out = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| corrupt("record cut short"))?;
        self.pos = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        self.take(N)?
            .try_into()
            .map_err(|_| corrupt("record cut short"))
    }
    fn u8(&mut self) -> Result<u8, StoreError> {
        Ok(self.array::<1>()?[0])
    }
    fn flag(&mut self) -> Result<bool, StoreError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(corrupt("flag")),
        }
    }
    fn u32(&mut self) -> Result<u32, StoreError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, StoreError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn len(&mut self) -> Result<usize, StoreError> {
        usize::try_from(self.u32()?).map_err(|_| corrupt("length"))
    }
    fn time(&mut self) -> Result<OffsetDateTime, StoreError> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from_le_bytes(self.array()?))
            .map_err(|_| corrupt("time"))
    }
    /// Bytes and their absolute offset in the file.
    fn bytes(&mut self) -> Result<(&'a [u8], u64), StoreError> {
        let n = self.len()?;
        let at = self.base + self.pos as u64;
        Ok((self.take(n)?, at))
    }
    fn str(&mut self) -> Result<String, StoreError> {
        let (b, _) = self.bytes()?;
        String::from_utf8(b.to_vec()).map_err(|_| corrupt("text"))
    }
    fn opt(&mut self) -> Result<Option<String>, StoreError> {
        Ok(if self.flag()? {
            Some(self.str()?)
        } else {
            None
        })
    }
    fn map(&mut self) -> Result<BTreeMap<String, String>, StoreError> {
        let n = self.len()?;
        let mut m = BTreeMap::new();
        for _ in 0..n {
            m.insert(self.str()?, self.str()?);
        }
        Ok(m)
    }
    fn tags(&mut self) -> Result<Vec<Tag>, StoreError> {
        let n = self.len()?;
        let mut tags = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            tags.push(Tag {
                key: self.str()?,
                value: self.str()?,
            });
        }
        Ok(tags)
    }
    fn headers(&mut self) -> Result<ContentHeaders, StoreError> {
        Ok(ContentHeaders {
            content_type: self.opt()?,
            content_encoding: self.opt()?,
            content_disposition: self.opt()?,
            content_language: self.opt()?,
            cache_control: self.opt()?,
            expires: self.opt()?,
        })
    }
    fn account(&mut self) -> Result<roleplay_types::AccountId, StoreError> {
        self.str()?.parse().map_err(|_| corrupt("account id"))
    }
    fn blob(&mut self) -> Result<BlobId, StoreError> {
        self.str()?.parse().map_err(|_| corrupt("blob id"))
    }
    /// A version's identity and the fields an update replaces.
    fn update(&mut self) -> Result<Update, StoreError> {
        Ok(Update {
            bucket: self.str()?,
            key: self.str()?,
            version_id: self.str()?,
            headers: self.headers()?,
            metadata: self.map()?,
            tags: self.tags()?,
            acl: self.opt()?,
            storage_class: self.str()?,
        })
    }
}

/// What an `UpdateVersion` record holds: which version, and its new attributes.
pub(super) struct Update {
    pub(super) bucket: String,
    pub(super) key: String,
    pub(super) version_id: String,
    pub(super) headers: ContentHeaders,
    pub(super) metadata: BTreeMap<String, String>,
    pub(super) tags: Vec<Tag>,
    pub(super) acl: Option<String>,
    pub(super) storage_class: String,
}

impl Update {
    /// The attributes of `v` an update replaces.
    pub(super) fn of(v: &ObjectVersion) -> Self {
        Self {
            bucket: v.bucket.clone(),
            key: v.key.clone(),
            version_id: v.version_id.clone(),
            headers: v.headers.clone(),
            metadata: v.metadata.clone(),
            tags: v.tags.clone(),
            acl: v.acl.clone(),
            storage_class: v.storage_class.clone(),
        }
    }
}

/// Decodes the record at absolute offset `base`.
fn decode(buf: &[u8], base: u64) -> Result<Record, StoreError> {
    let mut d = Dec { buf, pos: 0, base };
    let record = match d.u8()? {
        PUT_VERSION => {
            let u = d.update()?;
            let mut v = ObjectVersion {
                bucket: u.bucket,
                key: u.key,
                version_id: u.version_id,
                is_latest: false,
                delete_marker: d.flag()?,
                size: d.u64()?,
                etag: d.str()?,
                last_modified: d.time()?,
                headers: u.headers,
                metadata: u.metadata,
                checksums: d.map()?,
                tags: u.tags,
                owner: d.account()?,
                storage_class: u.storage_class,
                acl: u.acl,
                parts_count: if d.flag()? { Some(d.u32()?) } else { None },
                body: Vec::new(),
            };
            let n = d.len()?;
            let mut logged = Vec::new();
            for i in 0..n {
                let blob = d.blob()?;
                let size = d.u64()?;
                if d.flag()? {
                    let (b, at) = d.bytes()?;
                    if b.len() as u64 != size {
                        return Err(corrupt("body length"));
                    }
                    logged.push((i, at));
                }
                v.body.push(Segment {
                    blob,
                    size,
                    inline: None,
                });
            }
            Record::PutVersion(v, logged)
        }
        UPDATE_VERSION => Record::UpdateVersion(d.update()?),
        DELETE_VERSION => Record::DeleteVersion(d.str()?, d.str()?, d.str()?),
        CREATE_UPLOAD => {
            let seq = d.u64()?;
            Record::CreateUpload(
                MultipartUpload {
                    upload_id: d.str()?,
                    bucket: d.str()?,
                    key: d.str()?,
                    initiated: d.time()?,
                    initiator: d.str()?,
                    owner: d.account()?,
                    headers: d.headers()?,
                    metadata: d.map()?,
                    checksum_algorithm: d.opt()?,
                    tags: d.tags()?,
                    storage_class: d.str()?,
                    acl: d.opt()?,
                },
                seq,
            )
        }
        PUT_PART => {
            let upload = d.str()?;
            let number = d.u32()?;
            let size = d.u64()?;
            let etag = d.str()?;
            let checksum = d.opt()?;
            let blob = d.blob()?;
            let last_modified = d.time()?;
            let at = if d.flag()? {
                let (b, at) = d.bytes()?;
                if b.len() as u64 != size {
                    return Err(corrupt("part length"));
                }
                Some(at)
            } else {
                None
            };
            Record::PutPart(
                upload,
                Part {
                    number,
                    size,
                    etag,
                    checksum,
                    blob,
                    inline: None,
                    last_modified,
                },
                at,
            )
        }
        DELETE_UPLOAD => Record::DeleteUpload(d.str()?),
        _ => return Err(corrupt("unknown record")),
    };
    if d.pos != buf.len() {
        return Err(corrupt("trailing bytes in a record"));
    }
    Ok(record)
}

/// The log file, opened for appending after its last whole frame.
#[derive(Debug)]
pub(super) struct LogFile {
    pub(super) file: std::sync::Arc<File>,
    /// Where the next frame goes: the end of the last committed one.
    pub(super) end: u64,
    dir: PathBuf,
}

fn io_err(e: io::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

impl LogFile {
    /// Opens (creating if needed) the log in `dir`, calling `each` for every whole record
    /// with its frame's length, and cuts off a torn tail.
    pub(super) fn open(
        dir: &Path,
        mut each: impl FnMut(Record, u64) -> Result<(), StoreError>,
    ) -> Result<Self, StoreError> {
        let path = dir.join(LOG_FILE);
        if !path.exists() {
            Fresh::create(dir)?.finish()?;
        }
        let file = File::options()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_err)?;
        let size = file.metadata().map_err(io_err)?.len();
        let mut reader = BufReader::with_capacity(1 << 20, &file);
        let mut magic = [0u8; 16];
        reader.read_exact(&mut magic).map_err(io_err)?;
        if &magic != MAGIC {
            return Err(corrupt("not an object log (or a newer format)"));
        }
        let mut end = MAGIC.len() as u64;
        let mut payload = Vec::new();
        loop {
            let mut head = [0u8; 8];
            if reader.read_exact(&mut head).is_err() {
                break;
            }
            let [l0, l1, l2, l3, c0, c1, c2, c3] = head;
            let len = u32::from_le_bytes([l0, l1, l2, l3]);
            let crc = u32::from_le_bytes([c0, c1, c2, c3]);
            // No record is empty: a zero header is a tail whose length reached the disk
            // and whose bytes did not (they read back as zeros, and the CRC of nothing
            // is zero).
            if len == 0 || len > MAX_RECORD || end + FRAME_HEAD + u64::from(len) > size {
                break;
            }
            payload.resize(len as usize, 0);
            if reader.read_exact(&mut payload).is_err() || crc32c::crc32c(&payload) != crc {
                break;
            }
            each(
                decode(&payload, end + FRAME_HEAD)?,
                FRAME_HEAD + u64::from(len),
            )?;
            end += FRAME_HEAD + u64::from(len);
        }
        drop(reader);
        if end < size {
            // The frame a crash cut short: never acknowledged.
            file.set_len(end).map_err(io_err)?;
            file.sync_all().map_err(io_err)?;
        }
        Ok(Self {
            file: std::sync::Arc::new(file),
            end,
            dir: dir.to_owned(),
        })
    }

    /// Appends from now on to a rewritten log, already in place (see [`Fresh::finish`]).
    pub(super) fn replace(&mut self, file: File, end: u64) {
        self.file = std::sync::Arc::new(file);
        self.end = end;
    }

    /// A new log to write beside this one.
    pub(super) fn fresh(&self) -> Result<Fresh, StoreError> {
        Fresh::create(&self.dir)
    }
}

/// Writes the frames in `buf` at `end` of the log and syncs them. On error, whatever part
/// reached the file is cut off again, so the next append follows the last acknowledged
/// frame.
pub(super) fn append(file: &File, end: u64, buf: &[u8]) -> Result<(), StoreError> {
    let written = crate::blob::write_at(file, buf, end).and_then(|()| file.sync_data());
    if let Err(e) = written {
        let _ = file.set_len(end);
        return Err(io_err(e));
    }
    Ok(())
}

/// Reads `len` bytes at `offset` of the log.
pub(super) fn read_at(file: &File, offset: u64, len: u64) -> Result<Bytes, StoreError> {
    let len = usize::try_from(len).map_err(|_| corrupt("body length"))?;
    let mut out = vec![0u8; len];
    crate::blob::read_exact_at(file, &mut out, offset).map_err(io_err)?;
    Ok(Bytes::from(out))
}

/// A log written whole beside the live one and renamed over it: compaction and the move
/// of objects out of an older database. Records are buffered and written in large pieces.
pub(super) struct Fresh {
    file: File,
    tmp: PathBuf,
    dir: PathBuf,
    buf: Vec<u8>,
    /// Bytes already written to the file.
    flushed: u64,
}

impl Fresh {
    pub(super) fn create(dir: &Path) -> Result<Self, StoreError> {
        let tmp = dir.join(format!("{LOG_FILE}.tmp"));
        let file = File::create(&tmp).map_err(io_err)?;
        Ok(Self {
            file,
            tmp,
            dir: dir.to_owned(),
            buf: MAGIC.to_vec(),
            flushed: 0,
        })
    }

    /// The absolute offset the next frame starts at.
    pub(super) fn end(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    fn flush_some(&mut self) -> Result<(), StoreError> {
        if self.buf.len() >= 1 << 20 {
            self.file.write_all(&self.buf).map_err(io_err)?;
            self.flushed += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes a version, bodies included; returns the frame's length and the absolute
    /// offsets of its inline bodies.
    pub(super) fn put_version(
        &mut self,
        v: &ObjectVersion,
    ) -> Result<(u64, Vec<(usize, u64)>), StoreError> {
        let start = self.end();
        let (len, spans) = put_version(&mut self.buf, v);
        self.flush_some()?;
        Ok((
            len,
            spans.into_iter().map(|(i, at)| (i, start + at)).collect(),
        ))
    }

    /// Writes an upload; returns the frame's length.
    pub(super) fn create_upload(
        &mut self,
        u: &MultipartUpload,
        seq: u64,
    ) -> Result<u64, StoreError> {
        let len = create_upload(&mut self.buf, u, seq);
        self.flush_some()?;
        Ok(len)
    }

    /// Writes a part; returns the frame's length and the absolute offset of an inline body.
    pub(super) fn put_part(
        &mut self,
        upload_id: &str,
        p: &Part,
    ) -> Result<(u64, Option<u64>), StoreError> {
        let start = self.end();
        let (len, at) = put_part(&mut self.buf, upload_id, p);
        self.flush_some()?;
        Ok((len, at.map(|at| start + at)))
    }

    /// Syncs the file, renames it over the log and syncs the directory; returns the file
    /// and its length.
    pub(super) fn finish(mut self) -> Result<(File, u64), StoreError> {
        self.file.write_all(&self.buf).map_err(io_err)?;
        self.flushed += self.buf.len() as u64;
        self.file.sync_all().map_err(io_err)?;
        std::fs::rename(&self.tmp, self.dir.join(LOG_FILE)).map_err(io_err)?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err)?;
        let file = File::options()
            .read(true)
            .write(true)
            .open(self.dir.join(LOG_FILE))
            .map_err(io_err)?;
        Ok((file, self.flushed))
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

    fn at(nanos: i128) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap()
    }

    fn blob(n: u8) -> BlobId {
        BlobId::from_bytes([n; 16])
    }

    fn tags() -> Vec<Tag> {
        vec![
            Tag {
                key: "k é".into(),
                value: String::new(),
            },
            Tag {
                key: "k2".into(),
                value: "v\u{1F600}".into(),
            },
        ]
    }

    /// Every field set, bodies in a blob, inline and empty inline.
    fn full_version() -> ObjectVersion {
        ObjectVersion {
            bucket: "bkt".into(),
            key: "dir/ключ\u{0}".into(),
            version_id: "v-1".into(),
            is_latest: false,
            delete_marker: false,
            size: 14,
            etag: "\"abc-3\"".into(),
            last_modified: at(-1_234_567_890_123),
            headers: ContentHeaders {
                content_type: Some("text/plain".into()),
                content_encoding: Some("gzip".into()),
                content_disposition: Some("attachment".into()),
                content_language: Some("fr".into()),
                cache_control: Some("no-cache".into()),
                expires: Some("soon".into()),
            },
            metadata: BTreeMap::from([("a".into(), "1".into()), ("b".into(), String::new())]),
            checksums: BTreeMap::from([("CRC32".into(), "AAAAAA==".into())]),
            tags: tags(),
            owner: "123456789012".parse().unwrap(),
            storage_class: "GLACIER".into(),
            acl: Some("[]".into()),
            parts_count: Some(3),
            body: vec![
                Segment {
                    blob: blob(1),
                    size: 10,
                    inline: None,
                },
                Segment {
                    blob: blob(2),
                    size: 4,
                    inline: Some(Bytes::from_static(b"four")),
                },
                Segment {
                    blob: blob(3),
                    size: 0,
                    inline: Some(Bytes::new()),
                },
            ],
        }
    }

    fn upload() -> MultipartUpload {
        MultipartUpload {
            upload_id: "up-1".into(),
            bucket: "bkt".into(),
            key: "big".into(),
            initiated: at(1_700_000_000_000_000_001),
            initiator: "arn:aws:iam::123456789012:user/u".into(),
            owner: "123456789012".parse().unwrap(),
            headers: ContentHeaders {
                content_type: Some("x/y".into()),
                ..ContentHeaders::default()
            },
            metadata: BTreeMap::from([("m".into(), "n".into())]),
            checksum_algorithm: Some("SHA256".into()),
            tags: tags(),
            storage_class: "STANDARD".into(),
            acl: None,
        }
    }

    fn part(inline: bool) -> Part {
        Part {
            number: 10_000,
            size: 3,
            etag: "\"p\"".into(),
            checksum: Some("c2hh".into()),
            blob: blob(9),
            inline: inline.then(|| Bytes::from_static(b"abc")),
            last_modified: at(5),
        }
    }

    /// The frames of `buf`: payload start and payload.
    fn frames(buf: &[u8]) -> Vec<(usize, &[u8])> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < buf.len() {
            let len = u32::from_le_bytes(buf[pos..pos + 4].try_into().unwrap()) as usize;
            let crc = u32::from_le_bytes(buf[pos + 4..pos + 8].try_into().unwrap());
            let payload = &buf[pos + 8..pos + 8 + len];
            assert_eq!(crc32c::crc32c(payload), crc);
            out.push((pos + 8, payload));
            pos += 8 + len;
        }
        out
    }

    #[test]
    fn every_record_reads_back_as_written() {
        let v = full_version();
        let mut marker = ObjectVersion {
            delete_marker: true,
            body: Vec::new(),
            parts_count: None,
            ..full_version()
        };
        marker.size = 0;
        let mut buf = Vec::new();
        let (len, spans) = put_version(&mut buf, &v);
        assert_eq!(len as usize, buf.len());
        put_version(&mut buf, &marker);
        update_version(&mut buf, &v);
        delete_version(&mut buf, "bkt", "k", "v-1");
        create_upload(&mut buf, &upload(), 42);
        let (_, part_at) = put_part(&mut buf, "up-1", &part(true));
        put_part(&mut buf, "up-1", &part(false));
        delete_upload(&mut buf, "up-1");
        let base = 1000u64;
        let records: Vec<Record> = frames(&buf)
            .into_iter()
            .map(|(start, payload)| decode(payload, base + start as u64).unwrap())
            .collect();
        assert_eq!(records.len(), 8);
        match &records[0] {
            Record::PutVersion(got, logged) => {
                let mut want = v.clone();
                for s in &mut want.body {
                    s.inline = None;
                }
                assert_eq!(got, &want);
                let want_logged: Vec<(usize, u64)> =
                    spans.iter().map(|(i, at)| (*i, base + at)).collect();
                assert_eq!(logged, &want_logged);
                // The offsets point at the bodies' bytes.
                assert_eq!(&buf[(logged[0].1 - base) as usize..][..4], b"four");
            }
            _ => panic!("not a version"),
        }
        assert!(matches!(&records[1], Record::PutVersion(m, l) if m == &marker && l.is_empty()));
        match &records[2] {
            Record::UpdateVersion(u) => {
                assert_eq!(
                    (&*u.bucket, &*u.key, &*u.version_id),
                    ("bkt", &*v.key, "v-1")
                );
                assert_eq!(u.headers, v.headers);
                assert_eq!(
                    (&u.metadata, &u.tags, &u.acl),
                    (&v.metadata, &v.tags, &v.acl)
                );
                assert_eq!(u.storage_class, "GLACIER");
            }
            _ => panic!("not an update"),
        }
        assert!(
            matches!(&records[3], Record::DeleteVersion(b, k, id) if (&**b, &**k, &**id) == ("bkt", "k", "v-1"))
        );
        assert!(matches!(&records[4], Record::CreateUpload(u, 42) if u == &upload()));
        match &records[5] {
            Record::PutPart(id, p, Some(at)) => {
                assert_eq!(id, "up-1");
                assert_eq!(
                    p,
                    &Part {
                        inline: None,
                        ..part(true)
                    }
                );
                assert_eq!(*at, base + part_at.unwrap() + frames(&buf)[5].0 as u64 - 8);
            }
            _ => panic!("not a part with its body"),
        }
        assert!(matches!(&records[6], Record::PutPart(_, p, None) if p == &part(false)));
        assert!(matches!(&records[7], Record::DeleteUpload(id) if id == "up-1"));
    }

    /// A record cut anywhere is refused, and one with any byte changed is refused or read
    /// as some record: never a panic, never an allocation sized by a corrupt length.
    #[test]
    fn cut_or_damaged_records_are_refused_without_panicking() {
        let mut buf = Vec::new();
        put_version(&mut buf, &full_version());
        create_upload(&mut buf, &upload(), 1);
        put_part(&mut buf, "up-1", &part(true));
        for (_, payload) in frames(&buf) {
            for cut in 0..payload.len() {
                assert!(decode(&payload[..cut], 0).is_err(), "cut at {cut}");
            }
            for i in 0..payload.len() {
                for flip in [0x01, 0x80, 0xFF] {
                    let mut damaged = payload.to_vec();
                    damaged[i] ^= flip;
                    let _ = decode(&damaged, 0);
                }
            }
        }
    }
}
