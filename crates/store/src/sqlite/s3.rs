//! Buckets, object versions and multipart uploads on SQLite.
//!
//! The trait impls in `read.rs` and `write.rs` delegate here. Listings walk the
//! `(bucket, key, id)` index in small steps: each step reads at most what the page still
//! needs plus one row, and a common prefix is skipped with one seek to [`prefix_end`].

use super::SqliteTx;
use super::codec::{account_at, constraint, millis, tags_at, tags_json, time_at};
use crate::error::{Entity, StoreError, WriteError};
use crate::s3::{
    BlobId, Bucket, ContentHeaders, ListEntry, MultipartUpload, ObjectListing, ObjectOwnership,
    ObjectQuery, ObjectVersion, Part, PartListing, PublicAccessBlock, Segment, UploadListing,
    UploadQuery, VersionListing, VersionQuery, Versioning, prefix_end,
};
use roleplay_types::AccountId;
use rusqlite::types::Type;
use rusqlite::{OptionalExtension, Row, params};
use std::collections::{BTreeMap, BTreeSet};

/// A version row without its body, with its row id.
type VersionRow = (i64, ObjectVersion);

/// Rows fetched per step of a listing at most, to keep memory bounded whatever `max_keys`.
const STEP: usize = 1000;

fn conversion(column: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, Type::Text, Box::new(e))
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

fn json_at<T: serde::de::DeserializeOwned>(r: &Row<'_>, column: usize) -> rusqlite::Result<T> {
    serde_json::from_str(r.get_ref(column)?.as_str()?).map_err(|e| conversion(column, e))
}

fn opt_json_at<T: serde::de::DeserializeOwned>(
    r: &Row<'_>,
    column: usize,
) -> rusqlite::Result<Option<T>> {
    match r.get_ref(column)?.as_str_or_null()? {
        None => Ok(None),
        Some(s) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| conversion(column, e)),
    }
}

fn u64_at(r: &Row<'_>, column: usize) -> rusqlite::Result<u64> {
    let n: i64 = r.get(column)?;
    u64::try_from(n).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(column, n))
}

fn size_value(size: u64) -> Result<i64, WriteError> {
    i64::try_from(size).map_err(|_| StoreError::Corrupt(format!("size {size} is too large")).into())
}

fn blob_at(r: &Row<'_>, column: usize) -> rusqlite::Result<BlobId> {
    r.get_ref(column)?
        .as_str()?
        .parse()
        .map_err(|e| conversion(column, e))
}

/// A segment's or part's inline body; NULL for one in the blob store.
fn inline_at(r: &Row<'_>, column: usize) -> rusqlite::Result<Option<bytes::Bytes>> {
    Ok(r.get_ref(column)?
        .as_blob_or_null()?
        .map(bytes::Bytes::copy_from_slice))
}

fn invalid(column: usize, what: String) -> rusqlite::Error {
    conversion(column, StoreError::Corrupt(what))
}

fn headers_json(h: &ContentHeaders) -> Result<String, StoreError> {
    serde_json::to_string(&[
        &h.content_type,
        &h.content_encoding,
        &h.content_disposition,
        &h.content_language,
        &h.cache_control,
        &h.expires,
    ])
    .map_err(json_err)
}

fn headers_at(r: &Row<'_>, column: usize) -> rusqlite::Result<ContentHeaders> {
    let values: Vec<Option<String>> = json_at(r, column)?;
    let mut it = values.into_iter();
    let mut next = || it.next().flatten();
    Ok(ContentHeaders {
        content_type: next(),
        content_encoding: next(),
        content_disposition: next(),
        content_language: next(),
        cache_control: next(),
        expires: next(),
    })
}

fn map_json(map: &BTreeMap<String, String>) -> Result<String, StoreError> {
    serde_json::to_string(map).map_err(json_err)
}

fn pab_json(pab: Option<&PublicAccessBlock>) -> Result<Option<String>, StoreError> {
    pab.map(|p| {
        serde_json::to_string(&[
            p.block_public_acls,
            p.ignore_public_acls,
            p.block_public_policy,
            p.restrict_public_buckets,
        ])
        .map_err(json_err)
    })
    .transpose()
}

const BUCKET_COLS: &str = "name, owner, region, create_date, policy, tags, versioning, \
     ownership, acl, public_access_block";

fn bucket_row(r: &Row<'_>) -> rusqlite::Result<Bucket> {
    let versioning = r.get_ref(6)?.as_str()?;
    let versioning = Versioning::parse(versioning)
        .ok_or_else(|| invalid(6, format!("versioning `{versioning}`")))?;
    let ownership = r.get_ref(7)?.as_str()?;
    let ownership = ObjectOwnership::parse(ownership)
        .ok_or_else(|| invalid(7, format!("ownership `{ownership}`")))?;
    let pab: Option<[bool; 4]> = opt_json_at(r, 9)?;
    Ok(Bucket {
        name: r.get(0)?,
        owner: account_at(r, 1)?,
        region: r.get(2)?,
        create_date: time_at(r, 3)?,
        policy: r.get(4)?,
        tags: tags_at(r, 5)?,
        versioning,
        ownership,
        acl: r.get(8)?,
        public_access_block: pab.map(|[a, b, c, d]| PublicAccessBlock {
            block_public_acls: a,
            ignore_public_acls: b,
            block_public_policy: c,
            restrict_public_buckets: d,
        }),
    })
}

const OBJECT_COLS: &str = "id, bucket, key, version_id, is_latest, delete_marker, size, etag, \
     last_modified, headers, metadata, checksums, tags, owner, storage_class, acl, parts_count";

/// A version without its body, and its row id.
fn object_row(r: &Row<'_>) -> rusqlite::Result<(i64, ObjectVersion)> {
    let parts_count: Option<i64> = r.get(16)?;
    let parts_count = parts_count
        .map(|n| u32::try_from(n).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(16, n)))
        .transpose()?;
    Ok((
        r.get(0)?,
        ObjectVersion {
            bucket: r.get(1)?,
            key: r.get(2)?,
            version_id: r.get(3)?,
            is_latest: r.get(4)?,
            delete_marker: r.get(5)?,
            size: u64_at(r, 6)?,
            etag: r.get(7)?,
            last_modified: time_at(r, 8)?,
            headers: headers_at(r, 9)?,
            metadata: json_at(r, 10)?,
            checksums: json_at(r, 11)?,
            tags: tags_at(r, 12)?,
            owner: account_at(r, 13)?,
            storage_class: r.get(14)?,
            acl: r.get(15)?,
            parts_count,
            body: Vec::new(),
        },
    ))
}

const UPLOAD_COLS: &str = "id, upload_id, bucket, key, initiated, initiator, owner, headers, \
     metadata, checksum_algorithm, tags, storage_class, acl";

fn upload_row(r: &Row<'_>) -> rusqlite::Result<(i64, MultipartUpload)> {
    Ok((
        r.get(0)?,
        MultipartUpload {
            upload_id: r.get(1)?,
            bucket: r.get(2)?,
            key: r.get(3)?,
            initiated: time_at(r, 4)?,
            initiator: r.get(5)?,
            owner: account_at(r, 6)?,
            headers: headers_at(r, 7)?,
            metadata: json_at(r, 8)?,
            checksum_algorithm: r.get(9)?,
            tags: tags_at(r, 10)?,
            storage_class: r.get(11)?,
            acl: r.get(12)?,
        },
    ))
}

fn part_row(r: &Row<'_>) -> rusqlite::Result<Part> {
    let number: i64 = r.get(0)?;
    Ok(Part {
        number: u32::try_from(number)
            .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, number))?,
        size: u64_at(r, 1)?,
        etag: r.get(2)?,
        checksum: r.get(3)?,
        blob: blob_at(r, 4)?,
        inline: None,
        last_modified: time_at(r, 5)?,
    })
}

/// Where a listing of versions goes on from.
enum Position {
    /// At this key (inclusive).
    From(String),
    /// After this key and all its versions.
    After(String),
    /// Among the versions of this key, older than the one with this row id.
    Within(String, i64),
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

impl SqliteTx<'_> {
    fn segments(&self, object: i64) -> rusqlite::Result<Vec<Segment>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT blob, size, data FROM object_segments WHERE object = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([object], |r| {
            Ok(Segment {
                blob: blob_at(r, 0)?,
                size: u64_at(r, 1)?,
                inline: inline_at(r, 2)?,
            })
        })?;
        rows.collect()
    }

    /// The blobs of a version's body that are in the blob store (not inline).
    fn stored_blobs(&self, object: i64) -> rusqlite::Result<Vec<BlobId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT blob FROM object_segments WHERE object = ?1 AND data IS NULL",
        )?;
        let rows = stmt.query_map([object], |r| blob_at(r, 0))?;
        rows.collect()
    }

    fn with_body(
        &self,
        (id, mut version): (i64, ObjectVersion),
    ) -> rusqlite::Result<ObjectVersion> {
        version.body = self.segments(id)?;
        Ok(version)
    }

    /// `condition` is the `FROM` clause's rest: `object_versions [INDEXED BY ...] WHERE ...`.
    fn objects_where(
        &self,
        condition: &str,
        order: &str,
        params: impl rusqlite::Params,
    ) -> rusqlite::Result<Vec<(i64, ObjectVersion)>> {
        let sql = format!("SELECT {OBJECT_COLS} FROM {condition} {order}");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params, object_row)?;
        rows.collect()
    }

    /// Up to `limit` rows from `pos` on, by key then newest first; only latest
    /// non-delete-markers when `latest`.
    fn version_rows(
        &self,
        bucket: &str,
        pos: &Position,
        latest: bool,
        limit: usize,
    ) -> rusqlite::Result<Vec<(i64, ObjectVersion)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Latest versions walk the partial index of latest rows, one per key; all versions
        // walk (bucket, key, id DESC). Neither sorts: rows stream in index order.
        let (table, only, order) = if latest {
            (
                "object_versions INDEXED BY object_versions_latest",
                " AND is_latest AND NOT delete_marker",
                "ORDER BY key",
            )
        } else {
            ("object_versions", "", "ORDER BY key, id DESC")
        };
        match pos {
            Position::End => Ok(Vec::new()),
            Position::From(key) => self.objects_where(
                &format!("{table} WHERE bucket = ?1 AND key >= ?2{only}"),
                &format!("{order} LIMIT ?3"),
                params![bucket, key, limit],
            ),
            Position::After(key) => self.objects_where(
                &format!("{table} WHERE bucket = ?1 AND key > ?2{only}"),
                &format!("{order} LIMIT ?3"),
                params![bucket, key, limit],
            ),
            Position::Within(key, id) => self.objects_where(
                &format!("{table} WHERE bucket = ?1 AND key = ?2 AND id < ?3{only}"),
                "ORDER BY id DESC LIMIT ?4",
                params![bucket, key, id, limit],
            ),
        }
    }

    /// The walk shared by both object listings. Returns the entries (with the row id of
    /// items) and whether more follow.
    /// A page of versions from `pos` on. Listings carry no bodies: nothing reads a listed
    /// version's bytes, and a small body is stored inline with its segment.
    fn walk(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        pos: Position,
        latest: bool,
        max: usize,
    ) -> Result<(Vec<ListEntry<ObjectVersion>>, bool), StoreError> {
        let (rows, truncated) = self.walk_rows(bucket, prefix, delimiter, pos, latest, max)?;
        let entries = rows
            .into_iter()
            .map(|e| match e {
                ListEntry::Item((_, version)) => ListEntry::Item(version),
                ListEntry::CommonPrefix(p) => ListEntry::CommonPrefix(p),
            })
            .collect();
        Ok((entries, truncated))
    }

    fn walk_rows(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        mut pos: Position,
        latest: bool,
        max: usize,
    ) -> Result<(Vec<ListEntry<VersionRow>>, bool), StoreError> {
        let mut entries = Vec::new();
        if max == 0 {
            return Ok((entries, false));
        }
        loop {
            let want = max
                .saturating_sub(entries.len())
                .saturating_add(1)
                .min(STEP);
            let rows = self.version_rows(bucket, &pos, latest, want)?;
            let fetched = rows.len();
            let mut next = None;
            for (id, version) in rows {
                if !version.key.starts_with(prefix) {
                    return Ok((entries, false));
                }
                if entries.len() == max {
                    return Ok((entries, true));
                }
                if let Some(cp) = common_prefix(&version.key, prefix, delimiter) {
                    entries.push(ListEntry::CommonPrefix(cp.to_owned()));
                    next = Some(past(cp));
                    break;
                }
                let key = version.key.clone();
                entries.push(ListEntry::Item((id, version)));
                pos = Position::Within(key, id);
            }
            pos = match (next, pos) {
                (Some(seek), _) => seek,
                // Fewer rows than asked: this kind of position is exhausted.
                (None, Position::Within(key, _)) if fetched < want => Position::After(key),
                (None, _) if fetched < want => return Ok((entries, false)),
                // Only one latest row per key: go on after the key.
                (None, Position::Within(key, _)) if latest => Position::After(key),
                (None, other) => other,
            };
            if matches!(pos, Position::End) {
                return Ok((entries, false));
            }
        }
    }

    pub(super) fn s3_get_bucket(&self, name: &str) -> Result<Option<Bucket>, StoreError> {
        let sql = format!("SELECT {BUCKET_COLS} FROM buckets WHERE name = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([name], bucket_row)
            .optional()?)
    }

    pub(super) fn s3_list_buckets(&self, owner: &AccountId) -> Result<Vec<Bucket>, StoreError> {
        let sql = format!("SELECT {BUCKET_COLS} FROM buckets WHERE owner = ?1 ORDER BY name");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([owner.as_str()], bucket_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn s3_get_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<ObjectVersion>, StoreError> {
        let rows = match version_id {
            Some(v) => self.objects_where(
                "object_versions WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
                "",
                params![bucket, key, v],
            )?,
            None => self.objects_where(
                "object_versions WHERE bucket = ?1 AND key = ?2 AND is_latest",
                "",
                [bucket, key],
            )?,
        };
        Ok(rows
            .into_iter()
            .next()
            .map(|row| self.with_body(row))
            .transpose()?)
    }

    pub(super) fn s3_list_objects(
        &self,
        bucket: &str,
        q: &ObjectQuery,
    ) -> Result<ObjectListing, StoreError> {
        let delimiter = q.delimiter.as_deref();
        let pos = start(&q.prefix, delimiter, q.start_after.as_deref());
        let (entries, is_truncated) =
            self.walk(bucket, &q.prefix, delimiter, pos, true, q.max_keys)?;
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

    pub(super) fn s3_list_object_versions(
        &self,
        bucket: &str,
        q: &VersionQuery,
    ) -> Result<VersionListing, StoreError> {
        let delimiter = q.delimiter.as_deref();
        let mut pos = start(&q.prefix, delimiter, q.key_marker.as_deref());
        if let (Some(key), Some(version), Position::After(_)) =
            (&q.key_marker, &q.version_id_marker, &pos)
        {
            let id: Option<i64> = self
                .conn
                .prepare_cached(
                    "SELECT id FROM object_versions WHERE bucket = ?1 AND key = ?2 \
                     AND version_id = ?3",
                )?
                .query_row([bucket, key, version], |r| r.get(0))
                .optional()?;
            if let Some(id) = id {
                pos = Position::Within(key.clone(), id);
            }
        }
        let (entries, is_truncated) =
            self.walk(bucket, &q.prefix, delimiter, pos, false, q.max_keys)?;
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

    fn upload_row_of(
        &self,
        bucket: &str,
        upload_id: &str,
    ) -> rusqlite::Result<Option<(i64, MultipartUpload)>> {
        let sql = format!("SELECT {UPLOAD_COLS} FROM uploads WHERE bucket = ?1 AND upload_id = ?2");
        self.conn
            .prepare_cached(&sql)?
            .query_row([bucket, upload_id], upload_row)
            .optional()
    }

    pub(super) fn s3_get_upload(
        &self,
        bucket: &str,
        upload_id: &str,
    ) -> Result<Option<MultipartUpload>, StoreError> {
        Ok(self.upload_row_of(bucket, upload_id)?.map(|(_, u)| u))
    }

    pub(super) fn s3_list_uploads(
        &self,
        bucket: &str,
        q: &UploadQuery,
    ) -> Result<UploadListing, StoreError> {
        let limit = i64::try_from(q.max_uploads.saturating_add(1).min(STEP + 1)).unwrap_or(1);
        let marker_row = match (&q.key_marker, &q.upload_id_marker) {
            (Some(key), Some(id)) => self
                .upload_row_of(bucket, id)?
                .filter(|(_, u)| &u.key == key)
                .map(|(row, u)| (u.key, millis(u.initiated), row)),
            _ => None,
        };
        // Start at the prefix, after the key marker, or after one upload of it.
        let (key, initiated, row) = match (marker_row, &q.key_marker) {
            (Some(m), _) => m,
            (None, Some(key)) if key.as_str() >= q.prefix.as_str() => {
                (key.clone(), i64::MAX, i64::MAX)
            }
            _ => (q.prefix.clone(), i64::MIN, i64::MIN),
        };
        let sql = format!(
            "SELECT {UPLOAD_COLS} FROM uploads WHERE bucket = ?1 \
             AND (key, initiated, id) > (?2, ?3, ?4) ORDER BY key, initiated, id LIMIT ?5"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![bucket, key, initiated, row, limit], upload_row)?;
        let mut uploads = Vec::new();
        let mut is_truncated = false;
        for item in rows {
            let (_, upload) = item?;
            if !upload.key.starts_with(&q.prefix) {
                break;
            }
            if uploads.len() >= q.max_uploads {
                is_truncated = true;
                break;
            }
            uploads.push(upload);
        }
        let (next_key_marker, next_upload_id_marker) = match uploads.last() {
            Some(u) if is_truncated => (Some(u.key.clone()), Some(u.upload_id.clone())),
            _ => (None, None),
        };
        Ok(UploadListing {
            uploads,
            is_truncated,
            next_key_marker,
            next_upload_id_marker,
        })
    }

    pub(super) fn s3_list_parts(
        &self,
        bucket: &str,
        upload_id: &str,
        after: u32,
        max_parts: usize,
    ) -> Result<PartListing, StoreError> {
        let limit = i64::try_from(max_parts.saturating_add(1).min(10_001)).unwrap_or(1);
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.number, p.size, p.etag, p.checksum, p.blob, p.last_modified \
             FROM parts p JOIN uploads u ON u.id = p.upload \
             WHERE u.bucket = ?1 AND u.upload_id = ?2 AND p.number > ?3 \
             ORDER BY p.number LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![bucket, upload_id, after, limit], part_row)?;
        let mut parts = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        let is_truncated = parts.len() > max_parts;
        parts.truncate(max_parts);
        let next_part_number_marker = if is_truncated {
            parts.last().map(|p| p.number)
        } else {
            None
        };
        Ok(PartListing {
            parts,
            is_truncated,
            next_part_number_marker,
        })
    }

    pub(super) fn s3_blob_in_use(&self, blob: &BlobId) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                // Only bodies in the blob store are looked up by id (the partial indexes).
                "SELECT EXISTS (SELECT 1 FROM object_segments WHERE blob = ?1 AND data IS NULL) \
                 OR EXISTS (SELECT 1 FROM parts WHERE blob = ?1 AND data IS NULL)",
            )?
            .query_row([blob.as_str()], |r| r.get(0))?)
    }

    /// The blobs among `blobs` that nothing refers to any more, each once.
    fn released(&self, blobs: Vec<BlobId>) -> Result<Vec<BlobId>, StoreError> {
        let mut out = Vec::new();
        let unique: BTreeSet<BlobId> = blobs.into_iter().collect();
        for blob in unique {
            if !self.s3_blob_in_use(&blob)? {
                out.push(blob);
            }
        }
        Ok(out)
    }

    // ---- writes ----

    pub(super) fn s3_create_bucket(&self, b: &Bucket) -> Result<(), WriteError> {
        self.conn
            .prepare_cached(
                "INSERT INTO buckets (name, owner, region, create_date, policy, tags, versioning, \
                 ownership, acl, public_access_block) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                b.name,
                b.owner.as_str(),
                b.region,
                millis(b.create_date),
                b.policy,
                tags_json(&b.tags)?,
                b.versioning.as_str(),
                b.ownership.as_str(),
                b.acl,
                pab_json(b.public_access_block.as_ref())?,
            ])
            .map(drop)
            .map_err(|e| {
                constraint(
                    e,
                    || WriteError::AlreadyExists(Entity::Bucket),
                    || WriteError::NotFound(Entity::Account),
                )
            })
    }

    pub(super) fn s3_update_bucket(&self, b: &Bucket) -> Result<(), WriteError> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE buckets SET policy = ?2, tags = ?3, versioning = ?4, ownership = ?5, \
                 acl = ?6, public_access_block = ?7 WHERE name = ?1",
            )?
            .execute(params![
                b.name,
                b.policy,
                tags_json(&b.tags)?,
                b.versioning.as_str(),
                b.ownership.as_str(),
                b.acl,
                pab_json(b.public_access_block.as_ref())?,
            ])?;
        match n {
            0 => Err(WriteError::NotFound(Entity::Bucket)),
            _ => Ok(()),
        }
    }

    pub(super) fn s3_delete_bucket(&self, name: &str) -> Result<(), WriteError> {
        let holds: bool = self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM object_versions WHERE bucket = ?1) \
                 OR EXISTS (SELECT 1 FROM uploads WHERE bucket = ?1)",
            )?
            .query_row([name], |r| r.get(0))?;
        if holds {
            return Err(WriteError::Conflict(Entity::Bucket));
        }
        match self
            .conn
            .prepare_cached("DELETE FROM buckets WHERE name = ?1")?
            .execute([name])?
        {
            0 => Err(WriteError::NotFound(Entity::Bucket)),
            _ => Ok(()),
        }
    }

    /// Writes a version as the latest, replacing one with the same id; returns the blobs of
    /// the replaced version (not yet filtered by [`Self::released`]).
    fn insert_object_version(&self, v: &ObjectVersion) -> Result<Vec<BlobId>, WriteError> {
        if !self
            .conn
            .prepare_cached("SELECT 1 FROM buckets WHERE name = ?1")?
            .exists([&v.bucket])?
        {
            return Err(WriteError::NotFound(Entity::Bucket));
        }
        let mut dropped = Vec::new();
        let old: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT id FROM object_versions WHERE bucket = ?1 AND key = ?2 \
                 AND version_id = ?3",
            )?
            .query_row([&v.bucket, &v.key, &v.version_id], |r| r.get(0))
            .optional()?;
        if let Some(id) = old {
            dropped.extend(self.stored_blobs(id)?);
            self.conn
                .prepare_cached("DELETE FROM object_versions WHERE id = ?1")?
                .execute([id])?;
        }
        self.conn
            .prepare_cached(
                "UPDATE object_versions SET is_latest = 0 WHERE bucket = ?1 AND key = ?2 \
                 AND is_latest",
            )?
            .execute([&v.bucket, &v.key])?;
        let id: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO object_versions (bucket, key, version_id, is_latest, delete_marker, \
                 size, etag, last_modified, headers, metadata, checksums, tags, owner, \
                 storage_class, acl, parts_count) \
                 VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) \
                 RETURNING id",
            )?
            .query_row(
                params![
                    v.bucket,
                    v.key,
                    v.version_id,
                    v.delete_marker,
                    size_value(v.size)?,
                    v.etag,
                    millis(v.last_modified),
                    headers_json(&v.headers)?,
                    map_json(&v.metadata)?,
                    map_json(&v.checksums)?,
                    tags_json(&v.tags)?,
                    v.owner.as_str(),
                    v.storage_class,
                    v.acl,
                    v.parts_count,
                ],
                |r| r.get(0),
            )?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO object_segments (object, seq, blob, size, data) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (seq, segment) in (0i64..).zip(&v.body) {
            insert.execute(params![
                id,
                seq,
                segment.blob.as_str(),
                size_value(segment.size)?,
                segment.inline.as_deref(),
            ])?;
        }
        Ok(dropped)
    }

    pub(super) fn s3_put_object_version(
        &self,
        v: &ObjectVersion,
    ) -> Result<Vec<BlobId>, WriteError> {
        self.atomic(|tx| {
            let dropped = tx.insert_object_version(v)?;
            Ok(tx.released(dropped)?)
        })
    }

    pub(super) fn s3_update_object_version(&self, v: &ObjectVersion) -> Result<(), WriteError> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE object_versions SET headers = ?4, metadata = ?5, tags = ?6, acl = ?7, \
                 storage_class = ?8 WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
            )?
            .execute(params![
                v.bucket,
                v.key,
                v.version_id,
                headers_json(&v.headers)?,
                map_json(&v.metadata)?,
                tags_json(&v.tags)?,
                v.acl,
                v.storage_class,
            ])?;
        match n {
            0 => Err(WriteError::NotFound(Entity::Object)),
            _ => Ok(()),
        }
    }

    pub(super) fn s3_delete_object_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Vec<BlobId>, WriteError> {
        self.atomic(|tx| {
            let found: Option<(i64, bool)> = tx
                .conn
                .prepare_cached(
                    "SELECT id, is_latest FROM object_versions WHERE bucket = ?1 AND key = ?2 \
                     AND version_id = ?3",
                )?
                .query_row([bucket, key, version_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (id, was_latest) = found.ok_or(WriteError::NotFound(Entity::Object))?;
            let dropped = tx.stored_blobs(id)?;
            tx.conn
                .prepare_cached("DELETE FROM object_versions WHERE id = ?1")?
                .execute([id])?;
            if was_latest {
                tx.conn
                    .prepare_cached(
                        "UPDATE object_versions SET is_latest = 1 WHERE id = \
                         (SELECT max(id) FROM object_versions WHERE bucket = ?1 AND key = ?2)",
                    )?
                    .execute([bucket, key])?;
            }
            Ok(tx.released(dropped)?)
        })
    }

    pub(super) fn s3_create_upload(&self, u: &MultipartUpload) -> Result<(), WriteError> {
        self.conn
            .prepare_cached(
                "INSERT INTO uploads (upload_id, bucket, key, initiated, initiator, owner, \
                 headers, metadata, checksum_algorithm, tags, storage_class, acl) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                u.upload_id,
                u.bucket,
                u.key,
                millis(u.initiated),
                u.initiator,
                u.owner.as_str(),
                headers_json(&u.headers)?,
                map_json(&u.metadata)?,
                u.checksum_algorithm,
                tags_json(&u.tags)?,
                u.storage_class,
                u.acl,
            ])
            .map(drop)
            .map_err(|e| {
                constraint(
                    e,
                    || WriteError::AlreadyExists(Entity::MultipartUpload),
                    || WriteError::NotFound(Entity::Bucket),
                )
            })
    }

    fn upload_id_row(&self, bucket: &str, upload_id: &str) -> Result<i64, WriteError> {
        self.conn
            .prepare_cached("SELECT id FROM uploads WHERE bucket = ?1 AND upload_id = ?2")?
            .query_row([bucket, upload_id], |r| r.get(0))
            .optional()?
            .ok_or(WriteError::NotFound(Entity::MultipartUpload))
    }

    /// An upload's parts as the segments they would be in a body, by number.
    fn part_segments(&self, upload: i64) -> rusqlite::Result<BTreeMap<u32, Segment>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT number, blob, size, data FROM parts WHERE upload = ?1")?;
        let rows = stmt.query_map([upload], |r| {
            Ok((
                r.get(0)?,
                Segment {
                    blob: blob_at(r, 1)?,
                    size: u64_at(r, 2)?,
                    inline: inline_at(r, 3)?,
                },
            ))
        })?;
        rows.collect()
    }

    /// The blobs of an upload's parts that are in the blob store (not inline).
    fn part_blobs(&self, upload: i64) -> rusqlite::Result<Vec<BlobId>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT blob FROM parts WHERE upload = ?1 AND data IS NULL")?;
        let rows = stmt.query_map([upload], |r| blob_at(r, 0))?;
        rows.collect()
    }

    pub(super) fn s3_put_part(
        &self,
        bucket: &str,
        upload_id: &str,
        p: &Part,
    ) -> Result<Vec<BlobId>, WriteError> {
        self.atomic(|tx| {
            let upload = tx.upload_id_row(bucket, upload_id)?;
            let old: Option<BlobId> = tx
                .conn
                .prepare_cached(
                    "SELECT blob FROM parts WHERE upload = ?1 AND number = ?2 AND data IS NULL",
                )?
                .query_row(params![upload, p.number], |r| blob_at(r, 0))
                .optional()?;
            tx.conn
                .prepare_cached(
                    "INSERT INTO parts \
                     (upload, number, size, etag, checksum, blob, last_modified, data) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (upload, number) \
                     DO UPDATE SET size = excluded.size, etag = excluded.etag, \
                     checksum = excluded.checksum, blob = excluded.blob, \
                     last_modified = excluded.last_modified, data = excluded.data",
                )?
                .execute(params![
                    upload,
                    p.number,
                    size_value(p.size)?,
                    p.etag,
                    p.checksum,
                    p.blob.as_str(),
                    millis(p.last_modified),
                    p.inline.as_deref(),
                ])?;
            Ok(tx.released(old.into_iter().collect())?)
        })
    }

    pub(super) fn s3_complete_upload(
        &self,
        bucket: &str,
        upload_id: &str,
        numbers: &[u32],
        object: &ObjectVersion,
    ) -> Result<Vec<BlobId>, WriteError> {
        self.atomic(|tx| {
            let upload = tx.upload_id_row(bucket, upload_id)?;
            let key: String = tx
                .conn
                .prepare_cached("SELECT key FROM uploads WHERE id = ?1")?
                .query_row([upload], |r| r.get(0))?;
            let parts = tx.part_segments(upload)?;
            let mut body = Vec::with_capacity(numbers.len());
            for n in numbers {
                body.push(
                    parts
                        .get(n)
                        .cloned()
                        .ok_or(WriteError::NotFound(Entity::Part))?,
                );
            }
            let mut version = object.clone();
            version.bucket = bucket.to_owned();
            version.key = key;
            version.size = body.iter().map(|s| s.size).sum();
            version.parts_count = Some(u32::try_from(body.len()).unwrap_or(u32::MAX));
            version.body = body;
            version.delete_marker = false;
            tx.conn
                .prepare_cached("DELETE FROM uploads WHERE id = ?1")?
                .execute([upload])?;
            let mut dropped = tx.insert_object_version(&version)?;
            // Parts not in the body; an inline one goes with its row.
            dropped.extend(
                parts
                    .into_values()
                    .filter(|s| s.inline.is_none())
                    .map(|s| s.blob),
            );
            Ok(tx.released(dropped)?)
        })
    }

    pub(super) fn s3_abort_upload(
        &self,
        bucket: &str,
        upload_id: &str,
    ) -> Result<Vec<BlobId>, WriteError> {
        self.atomic(|tx| {
            let upload = tx.upload_id_row(bucket, upload_id)?;
            let blobs = tx.part_blobs(upload)?;
            tx.conn
                .prepare_cached("DELETE FROM uploads WHERE id = ?1")?
                .execute([upload])?;
            Ok(tx.released(blobs)?)
        })
    }
}
