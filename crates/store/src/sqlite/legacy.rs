//! The object tables of databases before the object log (schema 4 and older), read once
//! to move their objects into the log.

use super::codec::{account_at, conversion, tags_at, time_at};
use crate::error::StoreError;
use crate::objects::Export;
use crate::s3::{BlobId, ContentHeaders, MultipartUpload, ObjectVersion, Part, Segment};
use rusqlite::{Row, Transaction};
use std::collections::HashMap;
use std::path::Path;

fn json_at<T: serde::de::DeserializeOwned>(r: &Row<'_>, column: usize) -> rusqlite::Result<T> {
    serde_json::from_str(r.get_ref(column)?.as_str()?).map_err(|e| conversion(column, e))
}

fn u64_at(r: &Row<'_>, column: usize) -> rusqlite::Result<u64> {
    let n: i64 = r.get(column)?;
    u64::try_from(n).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(column, n))
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

fn object_row(r: &Row<'_>) -> rusqlite::Result<(i64, ObjectVersion)> {
    let parts_count: Option<i64> = r.get(15)?;
    let parts_count = parts_count
        .map(|n| u32::try_from(n).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(15, n)))
        .transpose()?;
    Ok((
        r.get(0)?,
        ObjectVersion {
            bucket: r.get(1)?,
            key: r.get(2)?,
            version_id: r.get(3)?,
            is_latest: false,
            delete_marker: r.get(4)?,
            size: u64_at(r, 5)?,
            etag: r.get(6)?,
            last_modified: time_at(r, 7)?,
            headers: headers_at(r, 8)?,
            metadata: json_at(r, 9)?,
            checksums: json_at(r, 10)?,
            tags: tags_at(r, 11)?,
            owner: account_at(r, 12)?,
            storage_class: r.get(13)?,
            acl: r.get(14)?,
            parts_count,
            body: Vec::new(),
        },
    ))
}

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

fn part_row(r: &Row<'_>) -> rusqlite::Result<(i64, Part)> {
    let number: i64 = r.get(1)?;
    Ok((
        r.get(0)?,
        Part {
            number: u32::try_from(number)
                .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(1, number))?,
            size: u64_at(r, 2)?,
            etag: r.get(3)?,
            checksum: r.get(4)?,
            blob: blob_at(r, 5)?,
            inline: inline_at(r, 7)?,
            last_modified: time_at(r, 6)?,
        },
    ))
}

/// Writes every object version, upload and part of the old tables into a new log in
/// `dir` (replacing any there), then drops the tables. In memory (`dir` is `None`) the
/// tables are new and empty.
pub(super) fn move_objects(tx: &Transaction<'_>, dir: Option<&Path>) -> Result<(), StoreError> {
    if let Some(dir) = dir {
        let mut export = Export::create(dir)?;
        let mut segments: HashMap<i64, Vec<Segment>> = HashMap::new();
        {
            let mut stmt = tx.prepare(
                "SELECT object, blob, size, data FROM object_segments ORDER BY object, seq",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Segment {
                        blob: blob_at(r, 1)?,
                        size: u64_at(r, 2)?,
                        inline: inline_at(r, 3)?,
                    },
                ))
            })?;
            for row in rows {
                let (object, segment) = row?;
                segments.entry(object).or_default().push(segment);
            }
        }
        {
            // Oldest first: each version written becomes its key's latest.
            let mut stmt = tx.prepare(
                "SELECT id, bucket, key, version_id, delete_marker, size, etag, last_modified, \
                 headers, metadata, checksums, tags, owner, storage_class, acl, parts_count \
                 FROM object_versions ORDER BY id",
            )?;
            let rows = stmt.query_map([], object_row)?;
            for row in rows {
                let (id, mut version) = row?;
                version.body = segments.remove(&id).unwrap_or_default();
                export.version(&version)?;
            }
        }
        let mut parts: HashMap<i64, Vec<Part>> = HashMap::new();
        {
            let mut stmt = tx.prepare(
                "SELECT upload, number, size, etag, checksum, blob, last_modified, data \
                 FROM parts ORDER BY upload, number",
            )?;
            let rows = stmt.query_map([], part_row)?;
            for row in rows {
                let (upload, part) = row?;
                parts.entry(upload).or_default().push(part);
            }
        }
        {
            let mut stmt = tx.prepare(
                "SELECT id, upload_id, bucket, key, initiated, initiator, owner, headers, \
                 metadata, checksum_algorithm, tags, storage_class, acl FROM uploads ORDER BY id",
            )?;
            let rows = stmt.query_map([], upload_row)?;
            for row in rows {
                let (id, upload) = row?;
                export.upload(&upload, &parts.remove(&id).unwrap_or_default())?;
            }
        }
        export.finish()?;
    }
    tx.execute_batch(
        "DROP TABLE parts;
         DROP TABLE uploads;
         DROP TABLE object_segments;
         DROP TABLE object_versions;",
    )?;
    Ok(())
}
