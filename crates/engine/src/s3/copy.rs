//! `CopyObject` and the source side of `UploadPartCopy`.
//!
//! The source is authorized as `s3:GetObject` (`s3:GetObjectVersion` with a version id) with
//! the source bucket's policy and owner, the destination as `s3:PutObject` with its own:
//! across accounts both sides must allow. The copy shares the source's blobs.

use super::{ObjectMeta, S3Error, hex_of};
use crate::identity::Identity;
use crate::{Engine, RequestInfo};
use roleplay_store::{
    BlobId, NULL_VERSION, ObjectOwnership, ObjectVersion, ReadTx, StoreExt, Versioning, WriteError,
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
            &format!("arn:aws:s3:::{}/{}", src.bucket, src.key),
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
    ) -> Result<ObjectVersion, S3Error> {
        self.store
            .read(|tx| self.copy_source_version(tx, id, info, src))
    }

    /// `CopyObject`. Returns the new version, the source version and the blobs released.
    pub fn copy_object(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        src: &CopySource,
        (name, key): (&str, &str),
        directive: &MetadataDirective,
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
                &format!("arn:aws:s3:::{name}/{key}"),
                Some(&bucket),
                &ctx,
            )?;
            if src.bucket == name
                && src.key == key
                && src.version_id.is_none()
                && matches!(directive, MetadataDirective::Copy)
            {
                return Err(S3Error::new(
                    "InvalidRequest",
                    400,
                    "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
                ));
            }
            let (headers, metadata, tags) = match directive {
                MetadataDirective::Copy => (
                    source.headers.clone(),
                    source.metadata.clone(),
                    source.tags.clone(),
                ),
                MetadataDirective::Replace(m) => {
                    (m.headers.clone(), m.metadata.clone(), m.tags.clone())
                }
            };
            let version = ObjectVersion {
                bucket: name.to_owned(),
                key: key.to_owned(),
                version_id: match bucket.versioning {
                    Versioning::Enabled => hex_of(&ids),
                    _ => NULL_VERSION.to_owned(),
                },
                is_latest: true,
                delete_marker: false,
                size: source.size,
                etag: source.etag.clone(),
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
                parts_count: source.parts_count,
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
