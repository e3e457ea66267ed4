//! Bucket and object configuration: versioning and versioned reads and deletes, tagging,
//! Object Ownership and ACLs, the public access block and the policy status.

use super::S3Error;
use super::access::{Grant, Grantee, canned, grants, is_public_acl, is_public_bucket};
use super::{bucket_arn, object_arn};
use crate::identity::Identity;
use crate::{Engine, RequestInfo};
use roleplay_policy::Context;
use roleplay_store::{
    BlobId, Bucket, ObjectOwnership, ObjectVersion, PublicAccessBlock, ReadTx, StoreExt, Tag,
    VersionListing, VersionQuery, Versioning, WriteError,
};
use roleplay_types::AccountId;

/// An ACL as a request sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclRequest {
    /// `x-amz-acl`.
    Canned(String),
    /// `x-amz-grant-*` headers or an `AccessControlPolicy` body: (permission, grantee).
    Grants(Vec<(String, GranteeSpec)>),
}

/// A grantee as a request names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GranteeSpec {
    /// `id=` / `CanonicalUser`.
    Id(String),
    /// `emailAddress=` / `AmazonCustomerByEmail`.
    Email(String),
    /// `uri=` / `Group`.
    Uri(String),
}

/// An ACL as `Get*Acl` shows it: the owner and each grant with the account it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclView {
    /// The owner.
    pub owner: AccountId,
    /// The grants.
    pub grants: Vec<Grant>,
}

/// What `GetBucketAcl` and `GetObjectAcl` show of a stored ACL (none: the owner's full
/// control).
fn acl_view(acl: Option<&str>, owner: &AccountId) -> AclView {
    AclView {
        owner: owner.clone(),
        grants: grants(acl, owner),
    }
}

/// What a `PutObject` sets besides its body that authorization looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutExtras {
    /// `x-amz-tagging`.
    pub tags: Vec<Tag>,
    /// `x-amz-acl` or `x-amz-grant-*`.
    pub acl: Option<AclRequest>,
}

/// What a `DeleteObject` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// The version removed or the delete marker written (absent on unversioned buckets).
    pub version_id: Option<String>,
    /// Whether that version is a delete marker.
    pub delete_marker: bool,
    /// Blobs to delete after the commit.
    pub released: Vec<BlobId>,
}

fn acls_disabled() -> S3Error {
    S3Error::new(
        "AccessControlListNotSupported",
        400,
        "The bucket does not allow ACLs",
    )
}

fn malformed_xml() -> S3Error {
    S3Error::new(
        "MalformedXML",
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

fn invalid_tag(message: &str) -> S3Error {
    S3Error::new("InvalidTag", 400, message)
}

/// S3's rules for a tag set.
pub fn validate_tags(tags: &[Tag], max: usize) -> Result<(), S3Error> {
    if tags.len() > max {
        return Err(invalid_tag(if max == 10 {
            "Object tags cannot be greater than 10"
        } else {
            "Bucket tag count cannot be greater than 50"
        }));
    }
    for (i, t) in tags.iter().enumerate() {
        if t.key.is_empty() || t.key.chars().count() > 128 {
            return Err(invalid_tag("The TagKey you have provided is invalid"));
        }
        if t.value.chars().count() > 256 {
            return Err(invalid_tag("The TagValue you have provided is invalid"));
        }
        if tags.iter().take(i).any(|u| u.key == t.key) {
            return Err(invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    Ok(())
}

/// `s3:ExistingObjectTag/<key>` for each tag of an object.
pub(crate) fn existing_tags(ctx: &mut Context, tags: &[Tag]) {
    for t in tags {
        ctx.insert(&format!("s3:ExistingObjectTag/{}", t.key), t.value.clone());
    }
}

/// `s3:RequestObjectTag/<key>` and `s3:RequestObjectTagKeys` for tags a request sets.
pub(crate) fn request_tags(ctx: &mut Context, tags: &[Tag]) {
    for t in tags {
        ctx.insert(&format!("s3:RequestObjectTag/{}", t.key), t.value.clone());
    }
    ctx.insert_multi(
        "s3:RequestObjectTagKeys",
        tags.iter().map(|t| t.key.clone()).collect(),
    );
}

fn no_such_version(key: &str, version: &str) -> S3Error {
    S3Error::new(
        "NoSuchVersion",
        404,
        "The specified version does not exist.",
    )
    .with("Key", key)
    .with("VersionId", version)
}

impl Engine {
    /// Authorizes and applies a change to a bucket's configuration.
    fn bucket_update(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
        action: &str,
        change: impl Fn(&mut Bucket) -> Result<(), S3Error>,
    ) -> Result<(), S3Error> {
        self.store.write(|tx| {
            let mut bucket = self.bucket(tx, name)?;
            let ctx = self.context(id, info);
            self.s3_check(tx, Some(id), action, &bucket_arn(name), Some(&bucket), &ctx)?;
            change(&mut bucket)?;
            tx.update_bucket(&bucket).map_err(|_| S3Error::internal())
        })
    }

    /// `PutBucketVersioning`: `Enabled` or `Suspended`; a bucket never returns to unversioned.
    pub fn put_bucket_versioning(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
        state: Versioning,
    ) -> Result<(), S3Error> {
        if state == Versioning::Unversioned {
            return Err(malformed_xml());
        }
        self.bucket_update(id, info, name, "s3:PutBucketVersioning", |b| {
            b.versioning = state;
            Ok(())
        })
    }

    /// `ListObjectVersions`, authorized as `s3:ListBucketVersions`.
    pub fn list_object_versions(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        query: &VersionQuery,
    ) -> Result<VersionListing, S3Error> {
        self.store.read(|tx| {
            let ctx = self.listing_context(
                id,
                info,
                &query.prefix,
                query.delimiter.as_deref(),
                query.max_keys,
            );
            self.authorized_bucket(
                tx,
                id,
                name,
                "s3:ListBucketVersions",
                &bucket_arn(name),
                &ctx,
            )?;
            Ok(tx.list_object_versions(name, query)?)
        })
    }

    /// `DeleteObject`, with or without a version id. Without one, an unversioned bucket
    /// loses the object, a versioned one gains a delete marker (`null` while suspended,
    /// replacing the `null` version). With one, exactly that version or marker goes.
    pub fn delete_object_version(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<DeleteOutcome, S3Error> {
        let Some(version) = version else {
            let versioning = self
                .store
                .read(|tx| Ok::<_, S3Error>(self.bucket(tx, name)?.versioning))?;
            let released = self.delete_object(id, info, name, key)?;
            return Ok(match versioning {
                Versioning::Unversioned => DeleteOutcome {
                    version_id: None,
                    delete_marker: false,
                    released,
                },
                _ => {
                    let latest = self.store.read(|tx| {
                        Ok::<_, S3Error>(tx.get_object(name, key, None)?.map(|v| v.version_id))
                    })?;
                    DeleteOutcome {
                        version_id: latest,
                        delete_marker: true,
                        released,
                    }
                }
            });
        };
        self.store.write(|tx| {
            let bucket = self.bucket(tx, name)?;
            let existing = tx.get_object(name, key, Some(version))?;
            let mut ctx = self.s3_context(id, info);
            if let Some(o) = &existing {
                existing_tags(&mut ctx, &o.tags);
            }
            self.s3_decide(
                tx,
                id,
                "s3:DeleteObjectVersion",
                &object_arn(name, key),
                Some(&bucket),
                existing.as_ref(),
                &ctx,
            )?;
            // A version that does not exist is deleted successfully.
            let Some(existing) = existing else {
                return Ok(DeleteOutcome {
                    version_id: Some(version.to_owned()),
                    delete_marker: false,
                    released: Vec::new(),
                });
            };
            let released = match tx.delete_object_version(name, key, version) {
                Ok(b) => b,
                Err(WriteError::NotFound(_)) => Vec::new(),
                Err(_) => return Err(S3Error::internal()),
            };
            Ok(DeleteOutcome {
                version_id: Some(version.to_owned()),
                delete_marker: existing.delete_marker,
                released,
            })
        })
    }

    /// `PutBucketTagging`.
    pub fn put_bucket_tagging(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
        tags: Vec<Tag>,
    ) -> Result<(), S3Error> {
        validate_tags(&tags, 50)?;
        self.bucket_update(id, info, name, "s3:PutBucketTagging", |b| {
            b.tags = tags.clone();
            Ok(())
        })
    }

    /// `DeleteBucketTagging`, authorized as `s3:PutBucketTagging` as at S3.
    pub fn delete_bucket_tagging(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
    ) -> Result<(), S3Error> {
        self.bucket_update(id, info, name, "s3:PutBucketTagging", |b| {
            b.tags.clear();
            Ok(())
        })
    }

    /// `GetBucketTagging`: `NoSuchTagSet` when there are none.
    pub fn get_bucket_tagging(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
    ) -> Result<Vec<Tag>, S3Error> {
        let b = self.bucket_action(Some(id), info, name, "s3:GetBucketTagging")?;
        if b.tags.is_empty() {
            return Err(
                S3Error::new("NoSuchTagSet", 404, "The TagSet does not exist")
                    .with("BucketName", name),
            );
        }
        Ok(b.tags)
    }

    /// Looks up an object version and authorizes an action on it with its tags and ACL.
    /// `versioned_action` is used when a version id is given.
    #[allow(
        clippy::too_many_arguments,
        reason = "one value per part of the request"
    )]
    pub(crate) fn object_action(
        &self,
        tx: &dyn ReadTx,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
        version: Option<&str>,
        actions: (&str, &str),
        extra: &dyn Fn(&mut Context),
    ) -> Result<(Bucket, ObjectVersion), S3Error> {
        let bucket = self.bucket(tx, name)?;
        let found = tx.get_object(name, key, version)?;
        let mut ctx = self.s3_context(id, info);
        if let Some(o) = &found {
            existing_tags(&mut ctx, &o.tags);
        }
        extra(&mut ctx);
        let action = if version.is_some() {
            actions.1
        } else {
            actions.0
        };
        self.s3_decide(
            tx,
            id,
            action,
            &object_arn(name, key),
            Some(&bucket),
            found.as_ref(),
            &ctx,
        )?;
        match (found, version) {
            (Some(o), Some(_)) if o.delete_marker => Err(S3Error::new(
                "MethodNotAllowed",
                405,
                "The specified method is not allowed against this resource.",
            )
            .with("Method", "PUT")
            .with("ResourceType", "DeleteMarker")),
            (Some(o), _) if !o.delete_marker => Ok((bucket, o)),
            (_, Some(v)) => Err(no_such_version(key, v)),
            _ => Err(super::S3Error::no_such_key(key)),
        }
    }

    /// `GetObjectTagging`: the version id and tags.
    pub fn get_object_tagging(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<ObjectVersion, S3Error> {
        self.store.read(|tx| {
            let (_, o) = self.object_action(
                tx,
                id,
                info,
                name,
                key,
                version,
                ("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
                &|_| {},
            )?;
            Ok(o)
        })
    }

    /// `PutObjectTagging` (`tags`) and `DeleteObjectTagging` (`None`); returns the version.
    pub fn put_object_tagging(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
        version: Option<&str>,
        tags: Option<Vec<Tag>>,
    ) -> Result<ObjectVersion, S3Error> {
        if let Some(t) = &tags {
            validate_tags(t, 10)?;
        }
        let actions = if tags.is_some() {
            ("s3:PutObjectTagging", "s3:PutObjectVersionTagging")
        } else {
            ("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging")
        };
        self.store.write(|tx| {
            let (_, mut o) =
                self.object_action(tx, id, info, name, key, version, actions, &|ctx| {
                    if let Some(t) = &tags {
                        request_tags(ctx, t);
                    }
                })?;
            o.tags = tags.clone().unwrap_or_default();
            tx.update_object_version(&o)
                .map_err(|_| S3Error::internal())?;
            Ok(o)
        })
    }

    /// Authorizes a `PutObject` before its body is read: `s3:PutObject` with the request's
    /// tags, plus `s3:PutObjectTagging` when it sets tags and `s3:PutObjectAcl` when it sets
    /// an ACL on a bucket with ACLs enabled. Returns the grants to store, if any.
    pub fn authorize_put(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
        extras: &PutExtras,
    ) -> Result<Option<Vec<Grant>>, S3Error> {
        validate_tags(&extras.tags, 10)?;
        self.store.read(|tx| {
            let bucket = self.bucket(tx, name)?;
            let mut ctx = self.s3_context(id, info);
            if !extras.tags.is_empty() {
                request_tags(&mut ctx, &extras.tags);
            }
            let resource = object_arn(name, key);
            self.s3_check(tx, id, "s3:PutObject", &resource, Some(&bucket), &ctx)?;
            if !extras.tags.is_empty() {
                self.s3_check(
                    tx,
                    id,
                    "s3:PutObjectTagging",
                    &resource,
                    Some(&bucket),
                    &ctx,
                )?;
            }
            let Some(acl) = &extras.acl else {
                return Ok(None);
            };
            let writer = match (bucket.ownership, id) {
                (ObjectOwnership::ObjectWriter, Some(i)) => i.account.clone(),
                _ => bucket.owner.clone(),
            };
            let grants = self.resolve_acl(tx, acl, &writer, &bucket.owner, true)?;
            if bucket.ownership == ObjectOwnership::BucketOwnerEnforced {
                return match acl {
                    AclRequest::Canned(c) if c == "bucket-owner-full-control" => Ok(None),
                    _ => Err(acls_disabled()),
                };
            }
            self.s3_check(tx, id, "s3:PutObjectAcl", &resource, Some(&bucket), &ctx)?;
            self.refuse_public_acl(&bucket, &grants)?;
            Ok(Some(grants))
        })
    }

    /// Stores the ACL a `PutObject` set, once the object is committed.
    pub fn set_object_acl(
        &self,
        name: &str,
        key: &str,
        version_id: &str,
        grants: &[Grant],
    ) -> Result<(), S3Error> {
        let text = serde_json::to_string(grants).map_err(|_| S3Error::internal())?;
        self.store.write(|tx| {
            let Some(mut o) = tx.get_object(name, key, Some(version_id))? else {
                return Ok(());
            };
            o.acl = Some(text.clone());
            tx.update_object_version(&o)
                .map_err(|_| S3Error::internal())
        })
    }

    fn refuse_public_acl(&self, bucket: &Bucket, grants: &[Grant]) -> Result<(), S3Error> {
        if bucket
            .public_access_block
            .is_some_and(|p| p.block_public_acls)
            && is_public_acl(grants)
        {
            return Err(S3Error::access_denied());
        }
        Ok(())
    }

    /// The grants an ACL request stands for; e-mail grantees become canonical users.
    fn resolve_acl(
        &self,
        tx: &dyn ReadTx,
        acl: &AclRequest,
        owner: &AccountId,
        bucket_owner: &AccountId,
        object: bool,
    ) -> Result<Vec<Grant>, S3Error> {
        match acl {
            AclRequest::Canned(name) => {
                canned(name, owner, bucket_owner, object).ok_or_else(|| {
                    S3Error::new("InvalidArgument", 400, "")
                        .with("ArgumentName", "x-amz-acl")
                        .with("ArgumentValue", name)
                })
            }
            AclRequest::Grants(list) => {
                let mut out = Vec::new();
                for (permission, spec) in list {
                    if !super::access::PERMISSIONS.contains(&permission.as_str()) {
                        return Err(malformed_xml());
                    }
                    let grantee = match spec {
                        GranteeSpec::Id(c) => {
                            if self.account_of_canonical(tx, c)?.is_none() {
                                return Err(S3Error::new("InvalidArgument", 400, "Invalid id")
                                    .with("ArgumentName", "CanonicalUser/ID")
                                    .with("ArgumentValue", c));
                            }
                            Grantee::CanonicalUser(c.clone())
                        }
                        GranteeSpec::Email(e) => {
                            let account = tx.list_accounts()?.into_iter().find(|a| {
                                a.email
                                    .as_deref()
                                    .is_some_and(|m| m.eq_ignore_ascii_case(e))
                            });
                            match account {
                                Some(a) => Grantee::CanonicalUser(super::canonical_id(&a.id)),
                                None => return Err(S3Error::new(
                                    "UnresolvableGrantByEmailAddress",
                                    400,
                                    "The e-mail address you provided does not match any account on record.",
                                )
                                .with("EmailAddress", e)),
                            }
                        }
                        GranteeSpec::Uri(u) => {
                            if ![
                                super::access::ALL_USERS,
                                super::access::AUTHENTICATED_USERS,
                                super::access::LOG_DELIVERY,
                            ]
                            .contains(&u.as_str())
                            {
                                return Err(S3Error::new(
                                    "InvalidArgument",
                                    400,
                                    "Invalid group uri",
                                )
                                .with("ArgumentName", "Group/URI")
                                .with("ArgumentValue", u));
                            }
                            Grantee::Group(u.clone())
                        }
                    };
                    out.push(Grant {
                        grantee,
                        permission: permission.clone(),
                    });
                }
                Ok(out)
            }
        }
    }

    /// `GetBucketAcl` (readable whether or not ACLs are enabled).
    pub fn get_bucket_acl(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
    ) -> Result<AclView, S3Error> {
        self.store.read(|tx| {
            let ctx = self.s3_context(id, info);
            let bucket =
                self.authorized_bucket(tx, id, name, "s3:GetBucketAcl", &bucket_arn(name), &ctx)?;
            Ok(acl_view(bucket.acl.as_deref(), &bucket.owner))
        })
    }

    /// `PutBucketAcl`.
    pub fn put_bucket_acl(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        acl: &AclRequest,
    ) -> Result<(), S3Error> {
        self.store.write(|tx| {
            let mut bucket = self.bucket(tx, name)?;
            let ctx = self.s3_context(id, info);
            self.s3_check(
                tx,
                id,
                "s3:PutBucketAcl",
                &bucket_arn(name),
                Some(&bucket),
                &ctx,
            )?;
            let grants = self.resolve_acl(tx, acl, &bucket.owner, &bucket.owner, false)?;
            if bucket.ownership == ObjectOwnership::BucketOwnerEnforced {
                let owner_only = super::access::owner_full_control(&bucket.owner);
                return match acl {
                    AclRequest::Grants(_) if grants == owner_only => Ok(()),
                    _ => Err(acls_disabled()),
                };
            }
            self.refuse_public_acl(&bucket, &grants)?;
            bucket.acl = Some(serde_json::to_string(&grants).map_err(|_| S3Error::internal())?);
            tx.update_bucket(&bucket).map_err(|_| S3Error::internal())
        })
    }

    /// `GetObjectAcl`.
    pub fn get_object_acl(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<(ObjectVersion, AclView), S3Error> {
        self.store.read(|tx| {
            let (_, o) = self.object_action(
                tx,
                id,
                info,
                name,
                key,
                version,
                ("s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
                &|_| {},
            )?;
            let view = acl_view(o.acl.as_deref(), &o.owner);
            Ok((o, view))
        })
    }

    /// `PutObjectAcl`; returns the version changed.
    pub fn put_object_acl(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
        version: Option<&str>,
        acl: &AclRequest,
    ) -> Result<ObjectVersion, S3Error> {
        self.store.write(|tx| {
            let (bucket, mut o) = self.object_action(
                tx,
                id,
                info,
                name,
                key,
                version,
                ("s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
                &|_| {},
            )?;
            let grants = self.resolve_acl(tx, acl, &o.owner, &bucket.owner, true)?;
            if bucket.ownership == ObjectOwnership::BucketOwnerEnforced {
                return match acl {
                    AclRequest::Canned(c) if c == "bucket-owner-full-control" => Ok(o),
                    _ => Err(acls_disabled()),
                };
            }
            self.refuse_public_acl(&bucket, &grants)?;
            o.acl = Some(serde_json::to_string(&grants).map_err(|_| S3Error::internal())?);
            tx.update_object_version(&o)
                .map_err(|_| S3Error::internal())?;
            Ok(o)
        })
    }

    /// `PutBucketOwnershipControls`. `BucketOwnerEnforced` is refused while the bucket's
    /// ACL grants anything beyond the owner's full control.
    pub fn put_ownership_controls(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
        ownership: ObjectOwnership,
    ) -> Result<(), S3Error> {
        self.bucket_update(id, info, name, "s3:PutBucketOwnershipControls", |b| {
            if ownership == ObjectOwnership::BucketOwnerEnforced
                && grants(b.acl.as_deref(), &b.owner)
                    != super::access::owner_full_control(&b.owner)
            {
                return Err(S3Error::new(
                    "InvalidBucketAclWithObjectOwnership",
                    400,
                    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
                ));
            }
            b.ownership = ownership;
            Ok(())
        })
    }

    /// `PutPublicAccessBlock` (`Some`) and `DeletePublicAccessBlock` (`None`), both
    /// authorized as `s3:PutBucketPublicAccessBlock`.
    pub fn put_public_access_block(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
        block: Option<PublicAccessBlock>,
    ) -> Result<(), S3Error> {
        self.bucket_update(id, info, name, "s3:PutBucketPublicAccessBlock", |b| {
            b.public_access_block = block;
            Ok(())
        })
    }

    /// `GetPublicAccessBlock`.
    pub fn get_public_access_block(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
    ) -> Result<PublicAccessBlock, S3Error> {
        let b = self.bucket_action(Some(id), info, name, "s3:GetBucketPublicAccessBlock")?;
        b.public_access_block.ok_or_else(|| {
            S3Error::new(
                "NoSuchPublicAccessBlockConfiguration",
                404,
                "The public access block configuration was not found",
            )
            .with("BucketName", name)
        })
    }

    /// `GetBucketEncryption`: authorized as `s3:GetEncryptionConfiguration`. Every bucket
    /// encrypts new objects with SSE-S3 (S3's default since January 2023, and the only
    /// encryption roleplay has), so there is nothing to read but the bucket.
    pub fn get_bucket_encryption(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
    ) -> Result<(), S3Error> {
        self.bucket_action(Some(id), info, name, "s3:GetEncryptionConfiguration")
            .map(|_| ())
    }

    /// `GetBucketPolicyStatus`: whether the bucket is public.
    pub fn get_bucket_policy_status(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
    ) -> Result<bool, S3Error> {
        let b = self.bucket_action(Some(id), info, name, "s3:GetBucketPolicyStatus")?;
        if b.policy.is_none() {
            return Err(S3Error::new(
                "NoSuchBucketPolicy",
                404,
                "The bucket policy does not exist",
            )
            .with("BucketName", name));
        }
        Ok(is_public_bucket(&b))
    }

    /// Refuses a public policy on a bucket whose public access block says so.
    pub(crate) fn refuse_public_policy(
        &self,
        id: &Identity,
        bucket: &Bucket,
        text: &str,
    ) -> Result<(), S3Error> {
        if bucket
            .public_access_block
            .is_some_and(|p| p.block_public_policy)
            && super::access::is_public_policy(text)
        {
            return Err(S3Error::new(
                "AccessDenied",
                403,
                format!(
                    "User: {} is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::{}\" because public policies are blocked by the BlockPublicPolicy block public access setting.",
                    id.arn(),
                    bucket.name
                ),
            ));
        }
        Ok(())
    }
}
