//! Store failures. Reads can only fail in the backend ([`StoreError`]); writes can also meet
//! the state of the data ([`WriteError`]), which the engine turns into AWS error codes.

use std::fmt;

/// A kind of record, named in [`WriteError`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// An account.
    Account,
    /// An IAM user.
    User,
    /// An access key.
    AccessKey,
    /// An IAM group.
    Group,
    /// A user's membership in a group.
    GroupMembership,
    /// An IAM role.
    Role,
    /// A managed policy.
    Policy,
    /// A version of a managed policy.
    PolicyVersion,
    /// An inline policy.
    InlinePolicy,
    /// A managed policy attached to a principal.
    Attachment,
    /// An OpenID Connect provider.
    OidcProvider,
    /// An S3 bucket.
    Bucket,
    /// A version of an S3 object (or a delete marker).
    Object,
    /// A multipart upload.
    MultipartUpload,
    /// A part of a multipart upload.
    Part,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Account => "account",
            Self::User => "user",
            Self::AccessKey => "access key",
            Self::Group => "group",
            Self::GroupMembership => "group membership",
            Self::Role => "role",
            Self::Policy => "managed policy",
            Self::PolicyVersion => "policy version",
            Self::InlinePolicy => "inline policy",
            Self::Attachment => "policy attachment",
            Self::OidcProvider => "OpenID Connect provider",
            Self::Bucket => "bucket",
            Self::Object => "object version",
            Self::MultipartUpload => "multipart upload",
            Self::Part => "part",
        })
    }
}

/// A failure of the storage itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database engine failed (I/O, locking, SQL).
    #[error("storage backend failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored value cannot be read back as a record.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The database was written by a newer build.
    #[error("database schema version {found} is newer than the supported {supported}")]
    UnsupportedSchema {
        /// The version found in the database.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The transaction's closure returned an error and the transaction was rolled back.
    #[error("transaction aborted by its caller")]
    Aborted,
}

/// Why a write was refused, or a failure of the storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A record with that key (case-insensitive name, id or ARN) exists already.
    #[error("{0} already exists")]
    AlreadyExists(Entity),
    /// The record, or one it refers to, does not exist.
    #[error("{0} not found")]
    NotFound(Entity),
    /// The record cannot be deleted while others refer to it (keys, policies, members,
    /// attachments, versions); the engine checks which in the same transaction.
    #[error("{0} is still referred to")]
    Conflict(Entity),
    /// The storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
