//! The storage API: a [`Store`] runs closures inside read or write transactions, and the
//! closures use the typed operations of [`ReadTx`] and [`WriteTx`].
//!
//! The traits are object-safe and assume no particular engine: a backend only has to run a
//! closure atomically and in isolation, and may run it again after a serialization conflict.

use crate::error::{StoreError, WriteError};
use crate::model::{
    AccessKey, Account, AttachedPolicy, Group, InlinePolicy, KeyOwner, ManagedPolicy, OidcProvider,
    PolicyVersion, PrincipalRef, Role, User,
};
use crate::s3::{
    BlobId, Bucket, MultipartUpload, ObjectListing, ObjectQuery, ObjectVersion, Part, PartListing,
    UploadListing, UploadQuery, VersionListing, VersionQuery,
};
use roleplay_types::{AccountId, Arn};
use time::OffsetDateTime;

/// A transactional store of IAM state for many accounts.
///
/// Use the generic [`StoreExt::read`] and [`StoreExt::write`]; these two methods are their
/// object-safe core. The closure may run more than once, so it must not act outside the
/// transaction. An `Err` from the closure rolls everything back. Transactions don't nest:
/// don't start one inside another's closure (a backend may serialize them on one lock).
pub trait Store: Send + Sync {
    /// Runs `f` in a read-only transaction that sees one consistent state.
    fn read_tx(
        &self,
        f: &mut dyn FnMut(&dyn ReadTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Runs `f` in a write transaction, serialized with every other write, and makes its
    /// changes durable before returning `Ok`.
    fn write_tx(
        &self,
        f: &mut dyn FnMut(&mut dyn WriteTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// A number that changes after every committed write that changed IAM state or a
    /// bucket (anything but objects and multipart uploads). Caches of what that state
    /// implies (who a key belongs to, which policies apply, a bucket's configuration) are
    /// valid while it stays the same: read it before reading the state a cache entry is
    /// built from.
    fn iam_generation(&self) -> u64;

    /// Queues `job` as a write transaction of its own, like [`Store::write_tx`] but without
    /// blocking the caller: `done` is called with the outcome once the changes are durable
    /// (or have failed). A store with a writer of its own runs queued jobs back to back and
    /// commits them together; by default the job runs here and now.
    fn write_queued(&self, job: WriteJob, done: WriteDone) {
        let mut job = Some(job);
        let result = self.write_tx(&mut |tx| match job.take() {
            Some(job) => job(tx),
            None => Err(StoreError::Aborted),
        });
        done(result);
    }

    /// Queues `job` like [`Store::write_queued`], handing it the MD5 of `body`. A store with
    /// a writer of its own hashes the bodies of the writes it runs back to back side by side
    /// ([`crate::md5_many`]), for about a third of the CPU of hashing each on its own; by
    /// default `body` is hashed here and now.
    fn write_queued_md5(&self, body: bytes::Bytes, job: Md5Job, done: WriteDone) {
        let md5 = <md5::Md5 as md5::Digest>::digest(&body).into();
        self.write_queued(Box::new(move |tx| job(tx, md5)), done);
    }
}

/// A write transaction's body for [`Store::write_queued`].
pub type WriteJob = Box<dyn FnOnce(&mut dyn WriteTx) -> Result<(), StoreError> + Send>;
/// A write transaction's body for [`Store::write_queued_md5`], given the body's MD5.
pub type Md5Job = Box<dyn FnOnce(&mut dyn WriteTx, [u8; 16]) -> Result<(), StoreError> + Send>;
/// Told the outcome of a queued write: `Ok` once it is durable.
pub type WriteDone = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// Transactions that return a value and the caller's own error type.
pub trait StoreExt: Store {
    /// Runs `f` in a read transaction and returns what it returns.
    fn read<T, E: From<StoreError>>(
        &self,
        mut f: impl FnMut(&dyn ReadTx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut out = None;
        let run = self.read_tx(&mut |tx| capture(f(tx), &mut out));
        finish(run, out)
    }

    /// Runs `f` in a write transaction; commits if it returns `Ok`, rolls back otherwise.
    fn write<T, E: From<StoreError>>(
        &self,
        mut f: impl FnMut(&mut dyn WriteTx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut out = None;
        let run = self.write_tx(&mut |tx| capture(f(tx), &mut out));
        finish(run, out)
    }

    /// Queues `f` as a write transaction ([`Store::write_queued`]); `done` gets what it
    /// returned once that is durable, or the error.
    fn write_then<T: Send + 'static, E: From<StoreError> + Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn WriteTx) -> Result<T, E> + Send + 'static,
        done: impl FnOnce(Result<T, E>) + Send + 'static,
    ) {
        let (job, done) = with_slot(move |tx, ()| f(tx), done);
        self.write_queued(Box::new(move |tx| job(tx, ())), done);
    }

    /// Queues `f` with the MD5 of `body` ([`Store::write_queued_md5`]); `done` gets what it
    /// returned once that is durable, or the error.
    fn write_then_md5<T: Send + 'static, E: From<StoreError> + Send + 'static>(
        &self,
        body: bytes::Bytes,
        f: impl FnOnce(&mut dyn WriteTx, [u8; 16]) -> Result<T, E> + Send + 'static,
        done: impl FnOnce(Result<T, E>) + Send + 'static,
    ) {
        let (job, done) = with_slot(f, done);
        self.write_queued_md5(body, Box::new(job), done);
    }
}

/// A queued job and its completion that pass `f`'s result from one to the other.
fn with_slot<A, T: Send + 'static, E: From<StoreError> + Send + 'static>(
    f: impl FnOnce(&mut dyn WriteTx, A) -> Result<T, E> + Send + 'static,
    done: impl FnOnce(Result<T, E>) + Send + 'static,
) -> (
    impl FnOnce(&mut dyn WriteTx, A) -> Result<(), StoreError> + Send + 'static,
    WriteDone,
) {
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let filled = std::sync::Arc::clone(&slot);
    let job = move |tx: &mut dyn WriteTx, arg: A| {
        let mut out = None;
        let run = capture(f(tx, arg), &mut out);
        *filled
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = out;
        run
    };
    let done: WriteDone = Box::new(move |run| {
        let out = slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        done(finish(run, out));
    });
    (job, done)
}

impl<S: Store + ?Sized> StoreExt for S {}

fn capture<T, E>(result: Result<T, E>, out: &mut Option<Result<T, E>>) -> Result<(), StoreError> {
    let failed = result.is_err();
    *out = Some(result);
    if failed {
        Err(StoreError::Aborted)
    } else {
        Ok(())
    }
}

fn finish<T, E: From<StoreError>>(
    run: Result<(), StoreError>,
    out: Option<Result<T, E>>,
) -> Result<T, E> {
    match (run, out) {
        (_, Some(Err(e))) => Err(e),
        (Ok(()), Some(Ok(value))) => Ok(value),
        (Err(e), _) => Err(e.into()),
        (Ok(()), None) => Err(StoreError::Aborted.into()),
    }
}

/// Which names a listing returns, from where, and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Only entities whose path starts with this text (case-sensitive).
    pub path_prefix: Option<String>,
    /// Start after this position: the [`Page::marker`] of the previous page.
    pub marker: Option<String>,
    /// At most this many items; IAM's `MaxItems` is at least 1 (0 gives an empty page).
    pub max_items: usize,
}

impl ListQuery {
    /// Everything, in one page.
    pub fn all() -> Self {
        Self {
            path_prefix: None,
            marker: None,
            max_items: usize::MAX,
        }
    }
}

impl Default for ListQuery {
    /// The first page of 100 items (IAM's default `MaxItems`), any path.
    fn default() -> Self {
        Self {
            path_prefix: None,
            marker: None,
            max_items: 100,
        }
    }
}

/// One page of a listing, sorted by name regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Whether more items follow.
    pub is_truncated: bool,
    /// The marker for the next page when truncated: an opaque position (the case-folded
    /// name of the last item, plus two characters for policies), valid as IAM's `Marker`.
    pub marker: Option<String>,
}

/// Which managed policies `ListPolicies` shows to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyListScope {
    /// AWS-managed and the account's own.
    All,
    /// AWS-managed only.
    Aws,
    /// The account's own only.
    Local,
}

/// The selection of `ListPolicies`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFilter {
    /// The account listing.
    pub account: AccountId,
    /// AWS-managed, the account's own, or both.
    pub scope: PolicyListScope,
    /// Only policies attached to a user, group or role of `account`.
    pub only_attached: bool,
}

/// The reads every transaction offers. Names are matched regardless of case; ARNs and ids
/// exactly.
pub trait ReadTx {
    /// The [`Store::iam_generation`] of a state no newer than the one this transaction
    /// reads; `None` in a write transaction, whose state may not be committed (nothing read
    /// there may be cached).
    fn iam_generation(&self) -> Option<u64>;

    /// Like [`ReadTx::iam_generation`] for objects: a number that changes after every
    /// committed write that changed an object version, a multipart upload or a part, read
    /// before this transaction's snapshot; `None` in a write transaction.
    fn object_generation(&self) -> Option<u64>;

    /// The account with this id.
    fn get_account(&self, id: &AccountId) -> Result<Option<Account>, StoreError>;
    /// All accounts, by id.
    fn list_accounts(&self) -> Result<Vec<Account>, StoreError>;

    /// The user with this name.
    fn get_user(&self, account: &AccountId, name: &str) -> Result<Option<User>, StoreError>;
    /// A page of the account's users.
    fn list_users(&self, account: &AccountId, query: &ListQuery) -> Result<Page<User>, StoreError>;

    /// The access key with this id, in any account: the global index from key id to owner.
    fn get_access_key(&self, id: &str) -> Result<Option<AccessKey>, StoreError>;
    /// The keys of a user or of the root, oldest first.
    fn list_access_keys(
        &self,
        account: &AccountId,
        owner: &KeyOwner,
    ) -> Result<Vec<AccessKey>, StoreError>;

    /// The group with this name.
    fn get_group(&self, account: &AccountId, name: &str) -> Result<Option<Group>, StoreError>;
    /// A page of the account's groups.
    fn list_groups(
        &self,
        account: &AccountId,
        query: &ListQuery,
    ) -> Result<Page<Group>, StoreError>;
    /// The members of a group, by name.
    fn list_group_members(&self, account: &AccountId, group: &str)
    -> Result<Vec<User>, StoreError>;
    /// The groups a user belongs to, by name.
    fn list_groups_for_user(
        &self,
        account: &AccountId,
        user: &str,
    ) -> Result<Vec<Group>, StoreError>;

    /// The role with this name.
    fn get_role(&self, account: &AccountId, name: &str) -> Result<Option<Role>, StoreError>;
    /// A page of the account's roles.
    fn list_roles(&self, account: &AccountId, query: &ListQuery) -> Result<Page<Role>, StoreError>;

    /// The managed policy with this ARN, AWS-managed or not.
    fn get_policy(&self, arn: &Arn) -> Result<Option<ManagedPolicy>, StoreError>;
    /// A page of the policies an account sees, by name; AWS-managed before local on a tie.
    fn list_policies(
        &self,
        filter: &PolicyFilter,
        query: &ListQuery,
    ) -> Result<Page<ManagedPolicy>, StoreError>;

    /// An inline policy of a user, group or role.
    fn get_inline_policy(
        &self,
        owner: &PrincipalRef,
        name: &str,
    ) -> Result<Option<InlinePolicy>, StoreError>;
    /// The inline policies of a user, group or role, by name.
    fn list_inline_policies(&self, owner: &PrincipalRef) -> Result<Vec<InlinePolicy>, StoreError>;

    /// The managed policies attached to a user, group or role, by name.
    fn list_attached_policies(
        &self,
        owner: &PrincipalRef,
    ) -> Result<Vec<AttachedPolicy>, StoreError>;
    /// The users, groups and roles of `account` that have the policy attached (in that order,
    /// each by name).
    fn list_policy_attachments(
        &self,
        account: &AccountId,
        arn: &Arn,
    ) -> Result<Vec<PrincipalRef>, StoreError>;

    /// The OpenID Connect provider with this ARN.
    fn get_oidc_provider(&self, arn: &Arn) -> Result<Option<OidcProvider>, StoreError>;
    /// The account's OpenID Connect providers, by ARN.
    fn list_oidc_providers(&self, account: &AccountId) -> Result<Vec<OidcProvider>, StoreError>;

    /// The bucket with this name, in any account (names are global).
    fn get_bucket(&self, name: &str) -> Result<Option<Bucket>, StoreError>;
    /// The buckets `owner` owns, by name.
    fn list_buckets(&self, owner: &AccountId) -> Result<Vec<Bucket>, StoreError>;

    /// A version of an object: the one with `version_id`, or the latest when `None`. The
    /// latest may be a delete marker (`ObjectVersion::delete_marker`): a plain GET answers
    /// `NoSuchKey` for it, a GET naming a delete marker's version `MethodNotAllowed`.
    fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<ObjectVersion>, StoreError>;
    /// A page of the latest versions that are not delete markers, by key in binary UTF-8
    /// order, optionally rolled up into common prefixes. Reads only as many rows as the page
    /// holds plus one per common prefix: a common prefix is skipped by seeking past it.
    fn list_objects(&self, bucket: &str, query: &ObjectQuery) -> Result<ObjectListing, StoreError>;
    /// A page of all versions and delete markers: by key, each key's versions newest first.
    fn list_object_versions(
        &self,
        bucket: &str,
        query: &VersionQuery,
    ) -> Result<VersionListing, StoreError>;

    /// The multipart upload with this id in `bucket`.
    fn get_upload(
        &self,
        bucket: &str,
        upload_id: &str,
    ) -> Result<Option<MultipartUpload>, StoreError>;
    /// A page of the uploads in progress in `bucket`, by key then oldest first.
    fn list_uploads(&self, bucket: &str, query: &UploadQuery) -> Result<UploadListing, StoreError>;
    /// A page of an upload's parts after part number `after` (0: from the first), by
    /// number. Empty for an unknown upload.
    fn list_parts(
        &self,
        bucket: &str,
        upload_id: &str,
        after: u32,
        max_parts: usize,
    ) -> Result<PartListing, StoreError>;

    /// Whether an object version or a part refers to the blob (for the orphan sweep).
    fn blob_in_use(&self, blob: &BlobId) -> Result<bool, StoreError>;
}

/// The writes of a write transaction. The store checks keys and references only; AWS's rules
/// (quotas, the order of deletions, validation) are the engine's, checked in the same
/// transaction with the reads.
pub trait WriteTx: ReadTx {
    /// Adds an account. `AlreadyExists` if the id is taken.
    fn create_account(&mut self, account: &Account) -> Result<(), WriteError>;
    /// Replaces the account's alias and e-mail. `NotFound` if absent.
    fn update_account(&mut self, account: &Account) -> Result<(), WriteError>;
    /// Removes an account. `Conflict` while anything belongs to it.
    fn delete_account(&mut self, id: &AccountId) -> Result<(), WriteError>;

    /// Adds a user. `AlreadyExists` if the name is taken regardless of case; `NotFound` if the
    /// account is absent.
    fn create_user(&mut self, user: &User) -> Result<(), WriteError>;
    /// Replaces the user now called `name` with `user`, which may rename it; keys,
    /// memberships and policies follow. `NotFound` or `AlreadyExists` (new name taken).
    fn update_user(&mut self, name: &str, user: &User) -> Result<(), WriteError>;
    /// Removes a user. `NotFound`; `Conflict` while it has access keys, group memberships,
    /// inline or attached policies.
    fn delete_user(&mut self, account: &AccountId, name: &str) -> Result<(), WriteError>;

    /// Adds an access key. `AlreadyExists` if the id is taken; `NotFound` if the owner is
    /// absent.
    fn create_access_key(&mut self, key: &AccessKey) -> Result<(), WriteError>;
    /// Replaces the status and last use of the key with `key.id`. `NotFound` if absent.
    fn update_access_key(&mut self, key: &AccessKey) -> Result<(), WriteError>;
    /// Removes an access key. `NotFound` if absent.
    fn delete_access_key(&mut self, id: &str) -> Result<(), WriteError>;

    /// Adds a group. `AlreadyExists`, or `NotFound` for the account.
    fn create_group(&mut self, group: &Group) -> Result<(), WriteError>;
    /// Replaces the group now called `name`, which may rename it. `NotFound`,
    /// `AlreadyExists`.
    fn update_group(&mut self, name: &str, group: &Group) -> Result<(), WriteError>;
    /// Removes a group. `NotFound`; `Conflict` while it has members or policies.
    fn delete_group(&mut self, account: &AccountId, name: &str) -> Result<(), WriteError>;
    /// Makes a user a member. `NotFound` (user or group), `AlreadyExists` if already one.
    fn add_user_to_group(
        &mut self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> Result<(), WriteError>;
    /// Ends a membership. `NotFound` if there was none.
    fn remove_user_from_group(
        &mut self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> Result<(), WriteError>;

    /// Adds a role. `AlreadyExists`, or `NotFound` for the account.
    fn create_role(&mut self, role: &Role) -> Result<(), WriteError>;
    /// Replaces the role with the name of `role` (roles are never renamed). `NotFound`.
    fn update_role(&mut self, role: &Role) -> Result<(), WriteError>;
    /// Removes a role. `NotFound`; `Conflict` while it has inline or attached policies.
    fn delete_role(&mut self, account: &AccountId, name: &str) -> Result<(), WriteError>;

    /// Adds a managed policy with its versions. `AlreadyExists` if its ARN or its name in
    /// the scope is taken; `NotFound` if the account is absent.
    fn create_policy(&mut self, policy: &ManagedPolicy) -> Result<(), WriteError>;
    /// Replaces the default version, description, tags and update date of the policy with
    /// `policy.arn`. `NotFound` for the policy or the default version.
    fn update_policy(&mut self, policy: &ManagedPolicy) -> Result<(), WriteError>;
    /// Removes a policy and all its versions. `NotFound`; `Conflict` while attached.
    fn delete_policy(&mut self, arn: &Arn) -> Result<(), WriteError>;
    /// Adds a version (not made default). `NotFound` for the policy, `AlreadyExists` for the
    /// version id.
    fn create_policy_version(
        &mut self,
        arn: &Arn,
        version: &PolicyVersion,
    ) -> Result<(), WriteError>;
    /// Removes a version. `NotFound`; `Conflict` for the default version.
    fn delete_policy_version(&mut self, arn: &Arn, version_id: &str) -> Result<(), WriteError>;

    /// Adds or replaces (by name regardless of case) an inline policy. `NotFound` for the
    /// owner.
    fn put_inline_policy(
        &mut self,
        owner: &PrincipalRef,
        policy: &InlinePolicy,
    ) -> Result<(), WriteError>;
    /// Removes an inline policy. `NotFound` if absent.
    fn delete_inline_policy(&mut self, owner: &PrincipalRef, name: &str) -> Result<(), WriteError>;

    /// Attaches a managed policy. `NotFound` (owner or policy), `AlreadyExists` if attached.
    fn attach_policy(&mut self, owner: &PrincipalRef, arn: &Arn) -> Result<(), WriteError>;
    /// Detaches a managed policy. `NotFound` if it was not attached.
    fn detach_policy(&mut self, owner: &PrincipalRef, arn: &Arn) -> Result<(), WriteError>;

    /// Adds an OpenID Connect provider. `AlreadyExists` (ARN), `NotFound` (account).
    fn create_oidc_provider(&mut self, provider: &OidcProvider) -> Result<(), WriteError>;
    /// Replaces the client ids, thumbprints and tags of the provider with `provider.arn`.
    /// `NotFound` if absent.
    fn update_oidc_provider(&mut self, provider: &OidcProvider) -> Result<(), WriteError>;
    /// Removes a provider. `NotFound` if absent.
    fn delete_oidc_provider(&mut self, arn: &Arn) -> Result<(), WriteError>;

    /// Adds a bucket. `AlreadyExists(Bucket)` if the name is taken in any account;
    /// `NotFound(Account)` if the owner is absent.
    fn create_bucket(&mut self, bucket: &Bucket) -> Result<(), WriteError>;
    /// Replaces the policy, tags, versioning, ownership, ACL and public access block of the
    /// bucket with `bucket.name`. `NotFound(Bucket)`.
    fn update_bucket(&mut self, bucket: &Bucket) -> Result<(), WriteError>;
    /// Removes a bucket. `NotFound`; `Conflict(Bucket)` while it holds object versions,
    /// delete markers or multipart uploads.
    fn delete_bucket(&mut self, name: &str) -> Result<(), WriteError>;

    /// Writes a version (or a delete marker) as the latest of its key. A version with the
    /// same id is replaced: that is how the `null` version is overwritten on unversioned and
    /// suspended buckets. Returns the blobs no longer referenced by anything, to delete after
    /// the commit. `NotFound(Bucket)`.
    fn put_object_version(&mut self, version: &ObjectVersion) -> Result<Vec<BlobId>, WriteError>;
    /// Writes a delete marker with `version_id` ([`crate::NULL_VERSION`] unless versioning
    /// is enabled) as the latest version. Returns the blobs released, as
    /// [`WriteTx::put_object_version`].
    fn put_delete_marker(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: &str,
        owner: &AccountId,
        date: OffsetDateTime,
    ) -> Result<Vec<BlobId>, WriteError> {
        self.put_object_version(&ObjectVersion::delete_marker(
            bucket, key, version_id, owner, date,
        ))
    }
    /// Replaces the headers, metadata, tags, ACL and storage class of the version with the
    /// bucket, key and version id of `version`; body, size, ETag and dates stay.
    /// `NotFound(Object)`.
    fn update_object_version(&mut self, version: &ObjectVersion) -> Result<(), WriteError>;
    /// Removes one version or delete marker; the next newest becomes the latest. Returns the
    /// blobs released. `NotFound(Object)`.
    fn delete_object_version(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Vec<BlobId>, WriteError>;

    /// Starts a multipart upload. `AlreadyExists(MultipartUpload)` for a used id,
    /// `NotFound(Bucket)`.
    fn create_upload(&mut self, upload: &MultipartUpload) -> Result<(), WriteError>;
    /// Adds or replaces a part. Returns the blob of the part replaced if nothing else uses
    /// it. `NotFound(MultipartUpload)`.
    fn put_part(
        &mut self,
        bucket: &str,
        upload_id: &str,
        part: &Part,
    ) -> Result<Vec<BlobId>, WriteError>;
    /// Ends an upload: the parts numbered `parts`, in that order, become the body of
    /// `object` (whose bucket, key, `body`, `size` and `parts_count` the store sets from the
    /// upload and the parts), written as
    /// by [`WriteTx::put_object_version`]; the other parts are dropped. Returns the blobs
    /// released (parts not used, the version replaced). `NotFound(MultipartUpload)`,
    /// `NotFound(Part)` for a number not uploaded; the upload is unchanged on error.
    fn complete_upload(
        &mut self,
        bucket: &str,
        upload_id: &str,
        parts: &[u32],
        object: &ObjectVersion,
    ) -> Result<Vec<BlobId>, WriteError>;
    /// Removes an upload and its parts; returns their blobs. `NotFound(MultipartUpload)`.
    fn abort_upload(&mut self, bucket: &str, upload_id: &str) -> Result<Vec<BlobId>, WriteError>;
}
