//! `DeleteObjects`: each key authorized and deleted on its own (`s3:DeleteObject`, or
//! `s3:DeleteObjectVersion` for a version), failures reported per key, all in one
//! transaction.

use super::S3Error;
use super::object_arn;
use crate::identity::Identity;
use crate::{Engine, RequestInfo};
use roleplay_store::{BlobId, NULL_VERSION, StoreExt, Versioning, WriteError, WriteTx};

/// A key of a `Delete` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectToDelete {
    /// `Key`.
    pub key: String,
    /// `VersionId`, if given.
    pub version_id: Option<String>,
}

/// What happened to one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Deleted (or already absent).
    Deleted {
        /// The version id deleted, when one was named.
        version_id: Option<String>,
        /// The version id of the delete marker written or deleted, if any.
        delete_marker_version_id: Option<String>,
    },
    /// Refused, with S3's error.
    Failed(S3Error),
}

impl Engine {
    /// `DeleteObjects`. `NoSuchBucket` fails the whole request; anything else is per key.
    /// Returns the outcomes in request order and the blobs released.
    pub fn delete_objects(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        objects: &[ObjectToDelete],
    ) -> Result<(Vec<DeleteOutcome>, Vec<BlobId>), S3Error> {
        let mut random = vec![0u8; 16 * objects.len()];
        self.ids.fill(&mut random);
        self.store.write(|tx| {
            let bucket = self.bucket(tx, name)?;
            let ctx = self.s3_context(id, info);
            let mut outcomes = Vec::with_capacity(objects.len());
            let mut released = Vec::new();
            for (i, o) in objects.iter().enumerate() {
                let action = if o.version_id.is_some() {
                    "s3:DeleteObjectVersion"
                } else {
                    "s3:DeleteObject"
                };
                let resource = object_arn(name, &o.key);
                if let Err(e) = self.s3_check(tx, id, action, &resource, Some(&bucket), &ctx) {
                    outcomes.push(DeleteOutcome::Failed(e));
                    continue;
                }
                let fresh = random
                    .get(16 * i..16 * i + 16)
                    .map(hex::encode)
                    .unwrap_or_default();
                match delete_one(tx, &bucket, o, &fresh, &bucket.owner, info) {
                    Ok((outcome, blobs)) => {
                        released.extend(blobs);
                        outcomes.push(outcome);
                    }
                    Err(e) => outcomes.push(DeleteOutcome::Failed(e)),
                }
            }
            Ok((outcomes, released))
        })
    }
}

fn delete_one(
    tx: &mut dyn WriteTx,
    bucket: &roleplay_store::Bucket,
    o: &ObjectToDelete,
    fresh_version: &str,
    owner: &roleplay_types::AccountId,
    info: &RequestInfo,
) -> Result<(DeleteOutcome, Vec<BlobId>), S3Error> {
    let name = bucket.name.as_str();
    if let Some(v) = &o.version_id {
        let was_marker = tx
            .get_object(name, &o.key, Some(v))?
            .map(|x| x.delete_marker);
        let blobs = match tx.delete_object_version(name, &o.key, v) {
            Ok(b) => b,
            Err(WriteError::NotFound(_)) => Vec::new(),
            Err(_) => return Err(S3Error::internal()),
        };
        return Ok((
            DeleteOutcome::Deleted {
                version_id: Some(v.clone()),
                delete_marker_version_id: (was_marker == Some(true)).then(|| v.clone()),
            },
            blobs,
        ));
    }
    match bucket.versioning {
        Versioning::Unversioned => {
            let blobs = match tx.delete_object_version(name, &o.key, NULL_VERSION) {
                Ok(b) => b,
                Err(WriteError::NotFound(_)) => Vec::new(),
                Err(_) => return Err(S3Error::internal()),
            };
            Ok((
                DeleteOutcome::Deleted {
                    version_id: None,
                    delete_marker_version_id: None,
                },
                blobs,
            ))
        }
        Versioning::Enabled | Versioning::Suspended => {
            let marker = if bucket.versioning == Versioning::Enabled {
                fresh_version.to_owned()
            } else {
                NULL_VERSION.to_owned()
            };
            let blobs = tx
                .put_delete_marker(name, &o.key, &marker, owner, info.now)
                .map_err(|_| S3Error::internal())?;
            Ok((
                DeleteOutcome::Deleted {
                    version_id: None,
                    delete_marker_version_id: Some(marker),
                },
                blobs,
            ))
        }
    }
}
