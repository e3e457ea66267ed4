//! S3 operations with real authorization: buckets, bucket policies, objects.
//!
//! Every operation authorizes its IAM action on `arn:aws:s3:::bucket` or
//! `arn:aws:s3:::bucket/key` with the bucket policy as the resource-based policy and the
//! bucket's owner as the resource account, so identity and bucket policies are a union inside
//! one account and both must allow across accounts. Bodies are written by the caller into
//! the blob store first; metadata is committed after (see `put_object`).

mod access;
mod config;

pub use access::{
    ALL_USERS, AUTHENTICATED_USERS, Grant, Grantee, LOG_DELIVERY, is_public_acl, is_public_policy,
};
pub use config::{AclRequest, AclView, DeleteOutcome, GranteeSpec, PutExtras, validate_tags};

use crate::authz::RequestContext;
use crate::error::{ApiError, ErrorCode};
use crate::identity::Identity;
use crate::{Engine, RequestInfo, write_error};
use roleplay_policy::{Policy, PolicyKind};
use roleplay_store::{
    BlobId, Bucket, ContentHeaders, NULL_VERSION, ObjectListing, ObjectOwnership, ObjectQuery,
    ObjectVersion, ReadTx, Segment, StoreExt, Tag, Versioning, WriteError,
};
use roleplay_types::AccountId;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

pub mod copy;
pub mod delete_objects;
pub mod multipart;

/// The largest bucket policy S3 accepts, in bytes.
const BUCKET_POLICY_SIZE: usize = 20 * 1024;

/// An S3 error: code, HTTP status, message, and the resource it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Error {
    /// The S3 error code (`NoSuchBucket`, `AccessDenied`, ...).
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The message S3 writes.
    pub message: String,
    /// Extra elements of the error body (`BucketName`, `Key`); lowercase names are response
    /// headers instead (`x-amz-delete-marker`, `allow`).
    pub extra: Vec<(&'static str, String)>,
}

impl S3Error {
    /// An error without extra elements.
    pub fn new(code: &'static str, status: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            status,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        debug_assert!(name.starts_with(|c: char| c.is_ascii_lowercase()));
        self.extra.push((name, value.to_owned()));
        self
    }

    fn with(mut self, name: &'static str, value: &str) -> Self {
        self.extra.push((name, value.to_owned()));
        self
    }

    /// `PreconditionFailed`, naming the header whose condition did not hold.
    pub fn precondition_failed(condition: &str) -> Self {
        S3Error::new(
            "PreconditionFailed",
            412,
            "At least one of the pre-conditions you specified did not hold",
        )
        .with("Condition", condition)
    }

    /// `AccessDenied` as S3 writes it.
    pub fn access_denied() -> Self {
        S3Error::new("AccessDenied", 403, "Access Denied")
    }

    fn no_such_bucket(name: &str) -> Self {
        S3Error::new("NoSuchBucket", 404, "The specified bucket does not exist")
            .with("BucketName", name)
    }

    fn no_such_key(key: &str) -> Self {
        S3Error::new("NoSuchKey", 404, "The specified key does not exist.").with("Key", key)
    }

    fn internal() -> Self {
        S3Error::new(
            "InternalError",
            500,
            "We encountered an internal error. Please try again.",
        )
    }
}

impl From<ApiError> for S3Error {
    fn from(e: ApiError) -> Self {
        match e.code {
            ErrorCode::AccessDenied => S3Error::access_denied(),
            ErrorCode::MalformedPolicyDocument => S3Error::new("MalformedPolicy", 400, e.message),
            _ if e.code.status() >= 500 => S3Error::internal(),
            _ => S3Error::new("InvalidRequest", 400, e.message),
        }
    }
}

impl From<roleplay_store::StoreError> for S3Error {
    fn from(_: roleplay_store::StoreError) -> Self {
        S3Error::internal()
    }
}

/// The 64-hex canonical user id of an account, stable across restarts.
pub fn canonical_id(account: &AccountId) -> String {
    hex::encode(Sha256::digest(
        format!("roleplay canonical user {account}").as_bytes(),
    ))
}

/// `arn:aws:s3:::BUCKET`, the resource of bucket-level actions.
pub(crate) fn bucket_arn(name: &str) -> String {
    roleplay_types::Arn::s3_bucket(name).to_string()
}

/// `arn:aws:s3:::BUCKET/KEY`, the resource of object-level actions.
pub(crate) fn object_arn(bucket: &str, key: &str) -> String {
    roleplay_types::Arn::s3_object_text(bucket, key)
}

/// S3's rules for bucket names.
pub fn valid_bucket_name(name: &str) -> bool {
    crate::scenario::valid_bucket_name(name)
}

/// A listing request (`ListObjects` / `ListObjectsV2`).
#[derive(Debug, Clone, Default)]
pub struct ListInput {
    /// `prefix`.
    pub prefix: String,
    /// `delimiter`.
    pub delimiter: Option<String>,
    /// Exclusive start (`start-after`, `marker`, or a decoded continuation token).
    pub start_after: Option<String>,
    /// `max-keys` (default 1000).
    pub max_keys: usize,
}

/// What a new object carries besides its body.
#[derive(Debug, Clone, Default)]
pub struct ObjectMeta {
    /// Standard headers.
    pub headers: ContentHeaders,
    /// `x-amz-meta-*`.
    pub metadata: BTreeMap<String, String>,
    /// Checksums by algorithm (`CRC32` → base64).
    pub checksums: BTreeMap<String, String>,
    /// Tags from `x-amz-tagging`.
    pub tags: Vec<Tag>,
}

impl Engine {
    fn s3_context(&self, id: Option<&Identity>, info: &RequestInfo) -> RequestContext {
        let mut ctx = self.caller_context(id, info);
        for (key, value) in &info.s3_keys {
            ctx.insert_static(key, value.as_str());
        }
        ctx
    }

    fn caller_context(&self, id: Option<&Identity>, info: &RequestInfo) -> RequestContext {
        match id {
            Some(id) => self.context(id, info),
            None => {
                let mut ctx =
                    roleplay_policy::Caller::new(roleplay_policy::Principal::Anonymous).context();
                ctx.insert_static("aws:currenttime", crate::iso8601(info.now));
                ctx.insert_static("aws:epochtime", info.now.unix_timestamp().to_string());
                ctx.insert_static(
                    "aws:securetransport",
                    if info.secure { "true" } else { "false" },
                );
                if let Some(ip) = info.source_ip {
                    ctx.insert_static("aws:sourceip", ip.to_string());
                }
                RequestContext::new(ctx, info)
            }
        }
    }

    /// The context of a listing: `s3:prefix`, `s3:delimiter` and `s3:max-keys`.
    pub(crate) fn listing_context(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        prefix: &str,
        delimiter: Option<&str>,
        max_keys: usize,
    ) -> RequestContext {
        let mut ctx = self.s3_context(id, info);
        ctx.insert_static("s3:prefix", prefix);
        if let Some(d) = delimiter {
            ctx.insert_static("s3:delimiter", d);
        }
        ctx.insert_static("s3:max-keys", max_keys.to_string());
        ctx
    }

    /// Decides an S3 action; anonymous callers (`id` = `None`) need a bucket policy grant.
    fn s3_check(
        &self,
        tx: &dyn ReadTx,
        id: Option<&Identity>,
        action: &str,
        resource: &str,
        bucket: Option<&Bucket>,
        ctx: &RequestContext,
    ) -> Result<(), S3Error> {
        self.s3_decide(tx, id, action, resource, bucket, None, ctx)
    }

    /// The bucket `name`, once `action` on `resource` is allowed: a missing bucket is
    /// NoSuchBucket before any authorization.
    pub(crate) fn authorized_bucket(
        &self,
        tx: &dyn ReadTx,
        id: Option<&Identity>,
        name: &str,
        action: &str,
        resource: &str,
        ctx: &RequestContext,
    ) -> Result<Bucket, S3Error> {
        let bucket = self.bucket(tx, name)?;
        self.s3_check(tx, id, action, resource, Some(&bucket), ctx)?;
        Ok(bucket)
    }

    /// The bucket, from the cache when this is a read at a generation it holds.
    fn bucket(&self, tx: &dyn ReadTx, name: &str) -> Result<Bucket, S3Error> {
        self.cache
            .buckets
            .get_or_fill(tx.iam_generation(), name.to_owned(), || tx.get_bucket(name))?
            .ok_or_else(|| S3Error::no_such_bucket(name))
    }

    /// The latest version of `key`, from the cache when this is a read at an object
    /// generation it holds. Delete markers and missing keys are read each time.
    fn latest_object(
        &self,
        tx: &dyn ReadTx,
        bucket: &str,
        key: &str,
    ) -> Result<Option<Arc<ObjectVersion>>, S3Error> {
        let generation = tx.object_generation();
        if let Some(hit) = generation.and_then(|g| self.cache.objects.get(g, bucket, key)) {
            return Ok(Some(hit));
        }
        let found = tx.get_object(bucket, key, None)?.map(Arc::new);
        if let (Some(g), Some(v)) = (generation, &found)
            && !v.delete_marker
        {
            self.cache.objects.insert(g, bucket, key, Arc::clone(v));
        }
        Ok(found)
    }

    /// `ListBuckets`: the caller's own account's buckets.
    pub fn list_buckets(&self, id: &Identity, info: &RequestInfo) -> Result<Vec<Bucket>, S3Error> {
        self.store.read(|tx| {
            let ctx = self.context(id, info);
            self.s3_check(tx, Some(id), "s3:ListAllMyBuckets", "*", None, &ctx)?;
            Ok(tx.list_buckets(&id.account)?)
        })
    }

    /// `CreateBucket`.
    pub fn create_bucket(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
        region: &str,
    ) -> Result<Bucket, S3Error> {
        if !valid_bucket_name(name) {
            return Err(S3Error::new(
                "InvalidBucketName",
                400,
                "The specified bucket is not valid.",
            )
            .with("BucketName", name));
        }
        self.store.write(|tx| {
            let ctx = self.context(id, info);
            self.s3_check(tx, Some(id), "s3:CreateBucket", &bucket_arn(name), None, &ctx)?;
            if let Some(existing) = tx.get_bucket(name)? {
                // us-east-1 answers 200 to its owner re-creating a bucket.
                if existing.owner == id.account && existing.region == "us-east-1" && region == "us-east-1" {
                    return Ok(existing);
                }
                return Err(if existing.owner == id.account {
                    S3Error::new("BucketAlreadyOwnedByYou", 409, "Your previous request to create the named bucket succeeded and you already own it.")
                } else {
                    S3Error::new("BucketAlreadyExists", 409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
                }
                .with("BucketName", name));
            }
            let mut bucket = new_bucket(name, &id.account, region, info.now);
            // Buckets created since April 2023 block public access until told otherwise.
            bucket.public_access_block = Some(roleplay_store::PublicAccessBlock {
                block_public_acls: true,
                ignore_public_acls: true,
                block_public_policy: true,
                restrict_public_buckets: true,
            });
            tx.create_bucket(&bucket).map_err(|_| S3Error::internal())?;
            Ok(bucket)
        })
    }

    /// Authorizes a bucket-level action and returns the bucket.
    pub fn bucket_action(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        action: &str,
    ) -> Result<Bucket, S3Error> {
        self.store.read(|tx| {
            let ctx = self.s3_context(id, info);
            self.authorized_bucket(tx, id, name, action, &bucket_arn(name), &ctx)
        })
    }

    /// `DeleteBucket`: refused while it holds objects.
    pub fn delete_bucket(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
    ) -> Result<(), S3Error> {
        self.store.write(|tx| {
            let ctx = self.context(id, info);
            self.authorized_bucket(
                tx,
                Some(id),
                name,
                "s3:DeleteBucket",
                &bucket_arn(name),
                &ctx,
            )?;
            tx.delete_bucket(name).map_err(|e| match e {
                WriteError::Conflict(_) => S3Error::new(
                    "BucketNotEmpty",
                    409,
                    "The bucket you tried to delete is not empty",
                )
                .with("BucketName", name),
                WriteError::NotFound(_) => S3Error::no_such_bucket(name),
                _ => S3Error::internal(),
            })
        })
    }

    /// `PutBucketPolicy`: validated like S3 (grammar, size, principals that exist).
    pub fn put_bucket_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
        text: &str,
    ) -> Result<(), S3Error> {
        let policy = Policy::parse(text, PolicyKind::Resource)
            .map_err(|e| S3Error::new("MalformedPolicy", 400, e.aws_message()))?;
        if text.len() > BUCKET_POLICY_SIZE {
            return Err(S3Error::new(
                "PolicyTooLarge",
                400,
                "Policy exceeds the maximum allowed document size.",
            ));
        }
        let _ = &policy;
        self.store.write(|tx| {
            let mut bucket = self.bucket(tx, name)?;
            let ctx = self.context(id, info);
            self.s3_check(
                tx,
                Some(id),
                "s3:PutBucketPolicy",
                &bucket_arn(name),
                Some(&bucket),
                &ctx,
            )?;
            // Only the owner's account may change a bucket policy.
            if bucket.owner != id.account {
                return Err(S3Error::new(
                    "MethodNotAllowed",
                    405,
                    "The specified method is not allowed against this resource.",
                ));
            }
            self.refuse_public_policy(id, &bucket, text)?;
            self.principals_exist(tx, &policy)
                .map_err(|_| S3Error::new("MalformedPolicy", 400, "Invalid principal in policy"))?;
            bucket.policy = Some(text.to_owned());
            tx.update_bucket(&bucket).map_err(|_| S3Error::internal())
        })
    }

    /// `GetBucketPolicy`.
    pub fn get_bucket_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
    ) -> Result<String, S3Error> {
        let bucket = self.bucket_action(Some(id), info, name, "s3:GetBucketPolicy")?;
        bucket.policy.ok_or_else(|| {
            S3Error::new(
                "NoSuchBucketPolicy",
                404,
                "The bucket policy does not exist",
            )
            .with("BucketName", name)
        })
    }

    /// `DeleteBucketPolicy`.
    pub fn delete_bucket_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        name: &str,
    ) -> Result<(), S3Error> {
        self.store.write(|tx| {
            let mut bucket = self.bucket(tx, name)?;
            let ctx = self.context(id, info);
            self.s3_check(
                tx,
                Some(id),
                "s3:DeleteBucketPolicy",
                &bucket_arn(name),
                Some(&bucket),
                &ctx,
            )?;
            bucket.policy = None;
            tx.update_bucket(&bucket).map_err(|_| S3Error::internal())
        })
    }

    /// `ListObjects` / `ListObjectsV2`, authorized as `s3:ListBucket` with `s3:prefix`,
    /// `s3:delimiter` and `s3:max-keys`.
    pub fn list_objects(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        input: &ListInput,
    ) -> Result<ObjectListing, S3Error> {
        self.store.read(|tx| {
            let ctx = self.listing_context(
                id,
                info,
                &input.prefix,
                input.delimiter.as_deref(),
                input.max_keys,
            );
            self.authorized_bucket(tx, id, name, "s3:ListBucket", &bucket_arn(name), &ctx)?;
            Ok(tx.list_objects(
                name,
                &ObjectQuery {
                    prefix: input.prefix.clone(),
                    delimiter: input.delimiter.clone(),
                    start_after: input.start_after.clone(),
                    max_keys: input.max_keys,
                },
            )?)
        })
    }

    /// Authorizes `s3:PutObject` before the body is read.
    pub fn authorize_put_object(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
    ) -> Result<Bucket, S3Error> {
        self.store.read(|tx| {
            let ctx = self.s3_context(id, info);
            let bucket =
                self.authorized_bucket(tx, id, name, "s3:PutObject", &object_arn(name, key), &ctx)?;
            Ok(bucket)
        })
    }

    /// An object version to commit: its body already durable in the blob store (or
    /// inline in `body`), what the bucket decides left to the commit. `etag` is `None` for
    /// an inline body whose MD5 is left to the commit ([`roleplay_store::Checksums::defer_md5`]).
    #[allow(
        clippy::too_many_arguments,
        reason = "one value per S3 object attribute"
    )]
    pub fn new_object(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
        body: Segment,
        etag: Option<String>,
        meta: ObjectMeta,
    ) -> NewObject {
        let mut ids = [0u8; 16];
        self.ids.fill(&mut ids);
        NewObject {
            writer: id.map(|id| id.account.clone()),
            version_id: hex::encode(ids),
            now: info.now,
            name: name.to_owned(),
            key: key.to_owned(),
            body,
            etag,
            meta,
            condition: None,
        }
    }

    /// Commits an object, queued on the store's writer: `done` gets the version and the
    /// blobs it replaced (to delete after) once the version is durable. Nothing waits
    /// meanwhile, so many commits share one sync. An ETag still to compute is the MD5 of the
    /// inline body, which the writer hashes beside those of the writes committed with it.
    pub fn commit_object_then(
        &self,
        mut new: NewObject,
        done: impl FnOnce(Result<(ObjectVersion, Vec<BlobId>), S3Error>) + Send + 'static,
    ) {
        if new.etag.is_some() {
            return self
                .store
                .write_then(move |tx| put_new_object(tx, &new), done);
        }
        let Some(body) = new.body.inline.clone() else {
            // Only an inline body's MD5 is ever deferred.
            return done(Err(S3Error::internal()));
        };
        self.store.write_then_md5(
            body,
            move |tx, md5| {
                new.etag = Some(roleplay_store::etag_of(&md5));
                put_new_object(tx, &new)
            },
            done,
        );
    }

    /// `GetObject` / `HeadObject`: the version to serve. A missing key is `NoSuchKey` only
    /// for callers allowed to list the bucket; others get `AccessDenied`, as at S3.
    pub fn get_object(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<Arc<ObjectVersion>, S3Error> {
        self.store.read(|tx| {
            let bucket = self.bucket(tx, name)?;
            let found = match version {
                Some(_) => tx.get_object(name, key, version)?.map(Arc::new),
                None => self.latest_object(tx, name, key)?,
            };
            let mut ctx = self.s3_context(id, info);
            if let Some(o) = &found {
                config::existing_tags(&mut ctx, &o.tags);
            }
            let action = if version.is_some() {
                "s3:GetObjectVersion"
            } else {
                "s3:GetObject"
            };
            self.s3_decide(
                tx,
                id,
                action,
                &object_arn(name, key),
                Some(&bucket),
                found.as_deref(),
                &ctx,
            )?;
            match found {
                Some(v) if !v.delete_marker => Ok(v),
                Some(v) if version.is_some() => Err(S3Error::new(
                    "MethodNotAllowed",
                    405,
                    "The specified method is not allowed against this resource.",
                )
                .with("Method", "GET")
                .with("ResourceType", "DeleteMarker")
                .header("x-amz-delete-marker", "true")
                .header("x-amz-version-id", &v.version_id)
                .header("allow", "DELETE")),
                None if version.is_some() => Err(S3Error::new(
                    "NoSuchVersion",
                    404,
                    "The specified version does not exist.",
                )
                .with("Key", key)
                .with("VersionId", version.unwrap_or_default())),
                marker => {
                    let mut list_ctx = ctx.clone();
                    list_ctx.insert_static("s3:prefix", key);
                    let may_list = self
                        .s3_check(
                            tx,
                            id,
                            "s3:ListBucket",
                            &bucket_arn(name),
                            Some(&bucket),
                            &list_ctx,
                        )
                        .is_ok();
                    let e = if may_list {
                        S3Error::no_such_key(key)
                    } else {
                        S3Error::access_denied()
                    };
                    Err(match marker {
                        Some(m) => e
                            .header("x-amz-delete-marker", "true")
                            .header("x-amz-version-id", &m.version_id),
                        None => e,
                    })
                }
            }
        })
    }

    /// `DeleteObject`: on unversioned buckets the object goes; with versioning a delete
    /// marker is written. Deleting a missing key succeeds, as at S3. Returns blobs to delete.
    pub fn delete_object(
        &self,
        id: Option<&Identity>,
        info: &RequestInfo,
        name: &str,
        key: &str,
    ) -> Result<Vec<BlobId>, S3Error> {
        let mut ids = [0u8; 16];
        self.ids.fill(&mut ids);
        self.store.write(|tx| {
            let ctx = self.s3_context(id, info);
            let bucket = self.authorized_bucket(
                tx,
                id,
                name,
                "s3:DeleteObject",
                &object_arn(name, key),
                &ctx,
            )?;
            match bucket.versioning {
                Versioning::Unversioned => {
                    match tx.delete_object_version(name, key, NULL_VERSION) {
                        Ok(blobs) => Ok(blobs),
                        Err(WriteError::NotFound(_)) => Ok(Vec::new()),
                        Err(_) => Err(S3Error::internal()),
                    }
                }
                Versioning::Enabled | Versioning::Suspended => {
                    let version_id = if bucket.versioning == Versioning::Enabled {
                        hex::encode(ids)
                    } else {
                        NULL_VERSION.to_owned()
                    };
                    tx.put_delete_marker(name, key, &version_id, &bucket.owner, info.now)
                        .map_err(|_| S3Error::internal())
                }
            }
        })
    }
}

/// A bucket as `CreateBucket` makes it: no policy, ACLs disabled.
pub(crate) fn new_bucket(
    name: &str,
    owner: &AccountId,
    region: &str,
    now: time::OffsetDateTime,
) -> Bucket {
    Bucket {
        name: name.to_owned(),
        owner: owner.clone(),
        region: region.to_owned(),
        create_date: now,
        policy: None,
        tags: Vec::new(),
        versioning: Versioning::Unversioned,
        ownership: ObjectOwnership::BucketOwnerEnforced,
        acl: None,
        public_access_block: None,
    }
}

/// An object version to write, with what its bucket decides left open
/// ([`Engine::new_object`]).
#[derive(Debug)]
pub struct NewObject {
    /// The writer's account (`None`: anonymous).
    writer: Option<AccountId>,
    /// The version id if the bucket is versioned.
    version_id: String,
    now: time::OffsetDateTime,
    name: String,
    key: String,
    body: Segment,
    /// `None` until the commit computes it.
    etag: Option<String>,
    meta: ObjectMeta,
    /// A conditional write's condition, checked against the key's latest version in the
    /// commit itself, so that no other write slips in between.
    condition: Option<WriteCondition>,
}

/// The condition of a conditional `PutObject`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteCondition {
    /// `If-None-Match: *`: only if the key has no object.
    IfNoneMatch,
    /// `If-Match: <etags>`: only if the key's object has one of these ETags.
    IfMatch(String),
}

impl NewObject {
    /// The same write, made only if `condition` holds when it commits.
    #[must_use]
    pub fn only_if(mut self, condition: Option<WriteCondition>) -> Self {
        self.condition = condition;
        self
    }
}

/// Whether `etag` is among the comma-separated, optionally quoted `list` of an `If-Match` or
/// `If-None-Match` header (`*` matches any).
pub fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',').any(|e| {
        let e = e.trim();
        e == "*" || e.trim_matches('"') == etag.trim_matches('"')
    })
}

/// Writes `new` as its bucket's versioning and ownership say.
fn put_new_object(
    tx: &mut dyn roleplay_store::WriteTx,
    new: &NewObject,
) -> Result<(ObjectVersion, Vec<BlobId>), S3Error> {
    let name = new.name.as_str();
    let bucket = tx
        .get_bucket(name)?
        .ok_or_else(|| S3Error::no_such_bucket(name))?;
    if let Some(condition) = &new.condition {
        let current = tx
            .get_object(name, &new.key, None)?
            .filter(|v| !v.delete_marker);
        match (condition, current) {
            (WriteCondition::IfNoneMatch, Some(_)) => {
                return Err(S3Error::precondition_failed("If-None-Match"));
            }
            (WriteCondition::IfMatch(_), None) => return Err(S3Error::no_such_key(&new.key)),
            (WriteCondition::IfMatch(list), Some(v)) if !etag_matches(list, &v.etag) => {
                return Err(S3Error::precondition_failed("If-Match"));
            }
            _ => {}
        }
    }
    let version_id = match bucket.versioning {
        Versioning::Enabled => new.version_id.clone(),
        _ => NULL_VERSION.to_owned(),
    };
    let owner = match (bucket.ownership, &new.writer) {
        (ObjectOwnership::ObjectWriter, Some(account)) => account.clone(),
        _ => bucket.owner.clone(),
    };
    let meta = &new.meta;
    let version = ObjectVersion {
        bucket: name.to_owned(),
        key: new.key.clone(),
        version_id,
        is_latest: true,
        delete_marker: false,
        size: new.body.size,
        etag: new.etag.clone().ok_or_else(S3Error::internal)?,
        last_modified: new.now,
        headers: meta.headers.clone(),
        metadata: meta.metadata.clone(),
        checksums: meta.checksums.clone(),
        tags: meta.tags.clone(),
        owner,
        storage_class: "STANDARD".to_owned(),
        acl: None,
        parts_count: None,
        body: vec![new.body.clone()],
    };
    let released = tx.put_object_version(&version).map_err(|e| match e {
        WriteError::NotFound(_) => S3Error::no_such_bucket(name),
        other => {
            let _ = write_error(other);
            S3Error::internal()
        }
    })?;
    Ok((version, released))
}
