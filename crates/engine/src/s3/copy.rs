//! `CopyObject` and the source side of `UploadPartCopy`.
//!
//! The source is authorized as `s3:GetObject` (`s3:GetObjectVersion` with a version id) with
//! the source bucket's policy and owner, the destination as `s3:PutObject` with its own:
//! across accounts both sides must allow. The copy shares the source's blobs.

use super::object_arn;
use super::{ObjectMeta, S3Error};
use crate::identity::Identity;
use crate::{Engine, RequestInfo};
use roleplay_store::{
    BlobId, NULL_VERSION, ObjectOwnership, ObjectVersion, ReadTx, StoreExt, Tag, Versioning,
    WriteError,
};

/// Where a copy reads from (`x-amz-copy-source`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    /// The source bucket.
    pub bucket: String,
    /// The source key.
    pub key: String,
    /// `?versionId=`, if given.
    pub version_id: Option<String>,
}

/// A check of the source version before anything is written (the
/// `x-amz-copy-source-if-*` conditions).
pub type SourceCheck<'a> = &'a (dyn Fn(&ObjectVersion) -> Result<(), S3Error> + Sync);

/// The plain MD5 ETag of a multipart source's bytes, computed by the caller: a copy made
/// by `CopyObject` is one piece, and S3 gives it the MD5 of its content. Used only while the
/// source still has `source_etag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholeEtag {
    /// The source version's ETag when the MD5 was computed.
    pub source_etag: String,
    /// The MD5 of its bytes, quoted.
    pub etag: String,
}

/// What the copy's metadata is (`x-amz-metadata-directive`).
#[derive(Debug, Clone)]
pub enum MetadataDirective {
    /// The source's headers, metadata and tags.
    Copy,
    /// These instead.
    Replace(Box<ObjectMeta>),
}

impl Engine {
    /// The source version of a copy, authorized for reading.
    pub(crate) fn copy_source_version(
        &self,
        tx: &dyn ReadTx,
        id: Option<&Identity>,
        info: &RequestInfo,
        src: &CopySource,
    ) -> Result<ObjectVersion, S3Error> {
        let bucket = self.bucket(tx, &src.bucket)?;
        let ctx = self.s3_context(id, info);
        let action = if src.version_id.is_some() {
            "s3:GetObjectVersion"
        } else {
            "s3:GetObject"
        };
        self.s3_check(
            tx,
            id,
            action,
            &object_arn(&src.bucket, &src.key),
            Some(&bucket),
            &ctx,
        )?;
        match tx.get_object(&src.bucket, &src.key, src.version_id.as_deref())? {
            Some(v) if !v.delete_marker => Ok(v),
            Some(_) if src.version_id.is_some() => Err(S3Error::new(
                "InvalidRequest",
                400,
                "The source of a copy request may not specifically refer to a delete marker by version id.",
            )),
            _ if src.version_id.is_some() => Err(S3Error::new(
                "NoSuchVersion",
                404,
                "The specified version does not exist.",
            )
            .with("Key", &src.key)
            .with("VersionId", src.version_id.as_deref().unwrap_or(""))),
            _ => Err(S3Error::no_such_key(&src.key)),
        }
    }

    /// Reads the source of an `UploadPartCopy`, authorized as for `CopyObject`.
    pub fn authorize_copy_source(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        src: &CopySource,
        check: SourceCheck<'_>,
    ) -> Result<ObjectVersion, S3Error> {
        self.store.read(|tx| {
            let v = self.copy_source_version(tx, id, info, src)?;
            check(&v)?;
            Ok(v)
        })
    }

    /// `CopyObject`. `tags` replaces the source's tags (`x-amz-tagging-directive: REPLACE`).
    /// Returns the new version, the source version and the blobs released.
    #[allow(clippy::too_many_arguments, reason = "the pieces of a copy request")]
    pub fn copy_object(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        src: &CopySource,
        (name, key): (&str, &str),
        directive: &MetadataDirective,
        tags: Option<&[Tag]>,
        check: SourceCheck<'_>,
        whole: Option<&WholeEtag>,
    ) -> Result<(ObjectVersion, ObjectVersion, Vec<BlobId>), S3Error> {
        let mut ids = [0u8; 16];
        self.ids.fill(&mut ids);
        self.store.write(|tx| {
            let source = self.copy_source_version(tx, id, info, src)?;
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
            check(&source)?;
            if src.bucket == name
                && src.key == key
                && src.version_id.is_none()
                && matches!(directive, MetadataDirective::Copy)
                && tags.is_none()
            {
                return Err(S3Error::new(
                    "InvalidRequest",
                    400,
                    "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
                ));
            }
            let (headers, metadata) = match directive {
                MetadataDirective::Copy => (source.headers.clone(), source.metadata.clone()),
                MetadataDirective::Replace(m) => (m.headers.clone(), m.metadata.clone()),
            };
            let tags = tags.map_or_else(|| source.tags.clone(), <[Tag]>::to_vec);
            let version = ObjectVersion {
                bucket: name.to_owned(),
                key: key.to_owned(),
                version_id: match bucket.versioning {
                    Versioning::Enabled => hex::encode(ids),
                    _ => NULL_VERSION.to_owned(),
                },
                is_latest: true,
                delete_marker: false,
                size: source.size,
                etag: whole
                    .filter(|w| w.source_etag == source.etag)
                    .map_or_else(|| source.etag.clone(), |w| w.etag.clone()),
                last_modified: info.now,
                headers,
                metadata,
                checksums: source.checksums.clone(),
                tags,
                owner: match (bucket.ownership, id) {
                    (ObjectOwnership::ObjectWriter, Some(id)) => id.account.clone(),
                    _ => bucket.owner.clone(),
                },
                storage_class: "STANDARD".to_owned(),
                acl: None,
                parts_count: None,
                body: source.body.clone(),
            };
            let released = tx.put_object_version(&version).map_err(|e| match e {
                WriteError::NotFound(_) => S3Error::no_such_bucket(name),
                _ => S3Error::internal(),
            })?;
            Ok((version, source, released))
        })
    }
}
