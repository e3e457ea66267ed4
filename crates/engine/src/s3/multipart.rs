//! Multipart uploads: create, parts, complete, abort, list parts and uploads.
//!
//! Creating, uploading parts and completing are `s3:PutObject` on the object; aborting is
//! `s3:AbortMultipartUpload`, listing parts `s3:ListMultipartUploadParts` (both on the
//! object), listing uploads `s3:ListBucketMultipartUploads` on the bucket. Part bodies are
//! written to blobs by the caller before [`Engine::commit_part`].

use super::{Grant, ObjectMeta, S3Error};
use super::{bucket_arn, object_arn};
use crate::identity::Identity;
use crate::{Engine, RequestInfo};
use base64::Engine as _;
use md5::{Digest, Md5};
use roleplay_store::{
    BlobId, Bucket, Entity, MultipartUpload, NULL_VERSION, ObjectOwnership, ObjectVersion, Part,
    PartListing, ReadTx, StoreExt, UploadListing, UploadQuery, Versioning, WriteError,
};

/// Every part but the last must be at least this large.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Part numbers run from 1 to this.
pub const MAX_PART_NUMBER: u32 = 10_000;

/// A part named in a `CompleteMultipartUpload` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    /// `PartNumber`.
    pub number: u32,
    /// `ETag`, with or without quotes.
    pub etag: String,
    /// A `Checksum*` value given for the part, if any.
    pub checksum: Option<String>,
}

/// The ETag of a multipart object: the MD5 of the parts' binary MD5s, then `-N`.
pub fn multipart_etag<'a>(part_etags: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut md5 = Md5::new();
    let mut n = 0usize;
    for etag in part_etags {
        let hex = etag.trim_matches('"');
        if hex.len() != 32 {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        md5.update(bytes);
        n += 1;
    }
    Some(format!("\"{}-{n}\"", hex::encode(md5.finalize())))
}

fn no_such_upload(upload_id: &str) -> S3Error {
    S3Error::new(
        "NoSuchUpload",
        404,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
    .with("UploadId", upload_id)
}

fn invalid_part() -> S3Error {
    S3Error::new(
        "InvalidPart",
        400,
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    )
}

impl Engine {
    /// Authorizes `action` on the object and returns the bucket and the upload, which must
    /// belong to that key.
    fn upload_check(
        &self,
        tx: &dyn ReadTx,
        id: Option<&Identity>,
        info: &RequestInfo,
        (name, key, upload_id): (&str, &str, &str),
        action: &str,
    ) -> Result<(Bucket, MultipartUpload), S3Error> {
        let bucket = self.bucket(tx, name)?;
        let ctx = self.s3_context(id, info);
        self.s3_check(tx, id, action, &object_arn(name, key), Some(&bucket), &ctx)?;
        match tx.get_upload(name, upload_id)? {
            Some(u) if u.key == key => Ok((bucket, u)),
            _ => Err(no_such_upload(upload_id)),
        }
    }

    /// `CreateMultipartUpload`: a new upload with a random, URL-safe id. `grants` is the
    /// object ACL the completed object gets (from `authorize_put`).
    #[allow(
        clippy::too_many_arguments,
        reason = "one value per attribute of the upload"
    )]
    pub fn create_multipart_upload(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
        meta: ObjectMeta,
        checksum_algorithm: Option<String>,
        grants: Option<&[Grant]>,
    ) -> Result<MultipartUpload, S3Error> {
        let acl = grants
            .map(serde_json::to_string)
            .transpose()
            .map_err(|_| S3Error::internal())?;
        let mut raw = [0u8; 48];
        self.ids.fill(&mut raw);
        // Base64url, but never starting with '-': the aws CLI would read such an id as an
        // option. The first character comes from the first random byte, alphanumeric.
        const FIRST: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let (head, rest) = raw.split_at(1);
        let first = head
            .first()
            .and_then(|b| FIRST.get(usize::from(*b) % FIRST.len()))
            .map_or('A', |b| char::from(*b));
        let upload_id = format!(
            "{first}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rest)
        );
        self.store.write(|tx| {
            let bucket = self.bucket(tx, name)?;
            let ctx = self.s3_context(id, info);
            self.s3_check(
                tx,
                id,
                "s3:PutObject",
                &object_arn(name, key),
                Some(&bucket),
                &ctx,
            )?;
            let owner = match (bucket.ownership, id) {
                (ObjectOwnership::ObjectWriter, Some(id)) => id.account.clone(),
                _ => bucket.owner.clone(),
            };
            let upload = MultipartUpload {
                upload_id: upload_id.clone(),
                bucket: name.to_owned(),
                key: key.to_owned(),
                initiated: info.now,
                initiator: id.map_or_else(|| "anonymous".to_owned(), Identity::arn),
                owner,
                headers: meta.headers.clone(),
                metadata: meta.metadata.clone(),
                checksum_algorithm: checksum_algorithm.clone(),
                tags: meta.tags.clone(),
                storage_class: "STANDARD".to_owned(),
                acl: acl.clone(),
            };
            tx.create_upload(&upload).map_err(|e| match e {
                WriteError::NotFound(_) => S3Error::no_such_bucket(name),
                _ => S3Error::internal(),
            })?;
            Ok(upload)
        })
    }

    /// Authorizes `UploadPart` (or `UploadPartCopy`) before its body is read.
    pub fn authorize_upload_part(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<MultipartUpload, S3Error> {
        self.store.read(|tx| {
            self.upload_check(tx, id, info, (name, key, upload_id), "s3:PutObject")
                .map(|(_, u)| u)
        })
    }

    /// Records a part whose body is durable. Returns the blobs released (a replaced part).
    pub fn commit_part(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        (name, key, upload_id): (&str, &str, &str),
        part: &Part,
    ) -> Result<Vec<BlobId>, S3Error> {
        self.store.write(|tx| {
            self.upload_check(tx, id, info, (name, key, upload_id), "s3:PutObject")?;
            tx.put_part(name, upload_id, part).map_err(|e| match e {
                WriteError::NotFound(_) => no_such_upload(upload_id),
                _ => S3Error::internal(),
            })
        })
    }

    /// `CompleteMultipartUpload`: S3's checks in S3's order (part order, then each part
    /// present with its ETag, then sizes), then the parts become the object's body.
    /// Returns the new version and the blobs released.
    pub fn complete_multipart_upload(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        (name, key, upload_id): (&str, &str, &str),
        requested: &[CompletedPart],
    ) -> Result<(ObjectVersion, Vec<BlobId>), S3Error> {
        if requested.windows(2).any(|w| match w {
            [a, b] => a.number >= b.number,
            _ => false,
        }) {
            return Err(S3Error::new(
                "InvalidPartOrder",
                400,
                "The list of parts was not in ascending order. Parts must be ordered by part number.",
            ).with("UploadId", upload_id));
        }
        let mut ids = [0u8; 16];
        self.ids.fill(&mut ids);
        self.store.write(|tx| {
            let (bucket, upload) =
                self.upload_check(tx, id, info, (name, key, upload_id), "s3:PutObject")?;
            let stored = tx
                .list_parts(name, upload_id, 0, MAX_PART_NUMBER as usize)?
                .parts;
            let mut chosen: Vec<&Part> = Vec::with_capacity(requested.len());
            for r in requested {
                let part = stored
                    .iter()
                    .find(|p| p.number == r.number)
                    .filter(|p| p.etag.trim_matches('"') == r.etag.trim().trim_matches('"'))
                    .filter(|p| match (&r.checksum, &p.checksum) {
                        (Some(given), Some(have)) => given == have,
                        _ => true,
                    })
                    .ok_or_else(|| {
                        invalid_part()
                            .with("UploadId", upload_id)
                            .with("PartNumber", &r.number.to_string())
                            .with("ETag", &r.etag)
                    })?;
                chosen.push(part);
            }
            if let Some((_, init)) = chosen.split_last() {
                for p in init {
                    if p.size < MIN_PART_SIZE {
                        return Err(S3Error::new(
                            "EntityTooSmall",
                            400,
                            "Your proposed upload is smaller than the minimum allowed size",
                        )
                        .with("ProposedSize", &p.size.to_string())
                        .with("MinSizeAllowed", &MIN_PART_SIZE.to_string())
                        .with("PartNumber", &p.number.to_string())
                        .with("ETag", p.etag.trim_matches('"')));
                    }
                }
            }
            let etag = multipart_etag(chosen.iter().map(|p| p.etag.as_str()))
                .ok_or_else(S3Error::internal)?;
            let version = ObjectVersion {
                bucket: name.to_owned(),
                key: key.to_owned(),
                version_id: match bucket.versioning {
                    Versioning::Enabled => hex::encode(ids),
                    _ => NULL_VERSION.to_owned(),
                },
                is_latest: true,
                delete_marker: false,
                size: 0,
                etag,
                last_modified: info.now,
                headers: upload.headers.clone(),
                metadata: upload.metadata.clone(),
                checksums: Default::default(),
                tags: upload.tags.clone(),
                owner: upload.owner.clone(),
                storage_class: upload.storage_class.clone(),
                acl: upload.acl.clone(),
                parts_count: None,
                body: Vec::new(),
            };
            let numbers: Vec<u32> = chosen.iter().map(|p| p.number).collect();
            let released = tx
                .complete_upload(name, upload_id, &numbers, &version)
                .map_err(|e| match e {
                    WriteError::NotFound(Entity::Part) => invalid_part(),
                    WriteError::NotFound(_) => no_such_upload(upload_id),
                    _ => S3Error::internal(),
                })?;
            let done = tx
                .get_object(name, key, Some(&version.version_id))?
                .ok_or_else(S3Error::internal)?;
            Ok((done, released))
        })
    }

    /// `AbortMultipartUpload`: the upload and its parts go. Returns the blobs released.
    pub fn abort_multipart_upload(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        (name, key, upload_id): (&str, &str, &str),
    ) -> Result<Vec<BlobId>, S3Error> {
        self.store.write(|tx| {
            self.upload_check(
                tx,
                id,
                info,
                (name, key, upload_id),
                "s3:AbortMultipartUpload",
            )?;
            tx.abort_upload(name, upload_id).map_err(|e| match e {
                WriteError::NotFound(_) => no_such_upload(upload_id),
                _ => S3Error::internal(),
            })
        })
    }

    /// `ListParts`: a page of parts after `marker`.
    pub fn list_parts(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        (name, key, upload_id): (&str, &str, &str),
        marker: u32,
        max_parts: usize,
    ) -> Result<(MultipartUpload, PartListing), S3Error> {
        self.store.read(|tx| {
            let (_, upload) = self.upload_check(
                tx,
                id,
                info,
                (name, key, upload_id),
                "s3:ListMultipartUploadParts",
            )?;
            let parts = tx.list_parts(name, upload_id, marker, max_parts)?;
            Ok((upload, parts))
        })
    }

    /// `ListMultipartUploads`.
    pub fn list_multipart_uploads(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        query: &UploadQuery,
    ) -> Result<UploadListing, S3Error> {
        self.store.read(|tx| {
            let ctx = self.s3_context(id, info);
            self.authorized_bucket(
                tx,
                id,
                name,
                "s3:ListBucketMultipartUploads",
                &bucket_arn(name),
                &ctx,
            )?;
            Ok(tx.list_uploads(name, query)?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_etag_is_the_md5_of_the_part_md5s() {
        // Parts "a" and "b": md5(md5("a") ‖ md5("b")), computed independently.
        let a = "\"0cc175b9c0f1b6a831c399e269772661\"";
        let b = "92eb5ffee6ae2fec3ad71c777531578f";
        assert_eq!(
            multipart_etag([a, b]).as_deref(),
            Some("\"96e024ba2074fe77e8e965ba43a704be-2\"")
        );
        assert_eq!(multipart_etag(["\"xyz\""]), None);
    }
}
