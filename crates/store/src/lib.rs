//! The state of roleplay: accounts, their IAM entities and their S3 buckets and objects,
//! behind one transactional API, and the blob store that holds object bodies.
//!
//! The engine reaches the store only through [`Store`]: a closure runs in a read or write
//! transaction and uses the typed operations of [`ReadTx`] and [`WriteTx`]; there is no
//! key-value access. Every record is keyed by its account, IAM names are unique per account
//! regardless of case (see [`name_key`]), and access key ids form a global index to their
//! owners. Policy documents are kept as text, exactly as submitted. Times and ids come from
//! the caller.
//!
//! S3 state lives in the same transactions: [`Bucket`]s (one global namespace of names),
//! [`ObjectVersion`]s (the `null` version of unversioned buckets included, delete markers,
//! listings in binary UTF-8 key order that skip a common prefix with one seek), and
//! [`MultipartUpload`]s with their [`Part`]s. A version or a part names the blobs of a
//! [`BlobStore`] that hold its bytes; small bodies travel with their record. Writes that drop a body
//! return the blobs nothing refers to any more, for the caller to delete after the commit.
//! The durability rule: commit the blob, then the metadata; delete released blobs last;
//! at startup, [`BlobStore::on_disk`] removes temp files and [`BlobStore::sweep_orphans`]
//! the blobs a crash left without metadata.
//!
//! [`SqliteStore`] is the embedded backend: SQLite for accounts, IAM and buckets, and an
//! in-memory index over an append-only log ([`LOG_FILE`]) for objects, uploads and parts.
//! The `testsuite` feature exposes the conformance suite every backend must pass.
//!
//! ```
//! use roleplay_store::{Account, SqliteStore, StoreError, StoreExt, WriteError};
//!
//! let store = SqliteStore::open_in_memory()?;
//! let id: roleplay_types::AccountId = "123123123123".parse().unwrap();
//! store.write(|tx| {
//!     tx.create_account(&Account {
//!         id: id.clone(),
//!         alias: Some("main".into()),
//!         email: None,
//!         create_date: time::OffsetDateTime::UNIX_EPOCH,
//!     })
//! })?;
//! let alias = store.read(|tx| Ok::<_, StoreError>(tx.get_account(&id)?.and_then(|a| a.alias)))?;
//! assert_eq!(alias.as_deref(), Some("main"));
//! # Ok::<(), WriteError>(())
//! ```
#![warn(missing_docs)]

mod blob;
mod error;
mod md5x4;
mod model;
mod objects;
mod s3;
mod sqlite;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod transaction;

pub use blob::{
    BLOB_DIR, BlobReader, BlobStore, BlobWriter, BodyReader, Checksums, CommittedBlob, SweepReport,
    TMP_DIR, etag_of,
};
pub use error::{Entity, StoreError, WriteError};
pub use md5x4::md5_many;
pub use model::{
    AccessKey, Account, AttachedPolicy, Group, InlinePolicy, KeyLastUsed, KeyOwner, KeyStatus,
    ManagedPolicy, OidcProvider, PolicyScope, PolicyVersion, PrincipalKind, PrincipalRef, Role,
    Tag, User, name_key,
};
pub use objects::LOG_FILE;
pub use s3::{
    BlobId, Bucket, ContentHeaders, InvalidBlobId, ListEntry, MultipartUpload, NULL_VERSION,
    ObjectListing, ObjectOwnership, ObjectQuery, ObjectVersion, Part, PartListing,
    PublicAccessBlock, Segment, UploadListing, UploadQuery, VersionListing, VersionQuery,
    Versioning, prefix_end,
};
pub use sqlite::{DB_FILE, LOCK_FILE, SqliteStore};
pub use transaction::{
    ListQuery, Md5Job, Page, PolicyFilter, PolicyListScope, ReadTx, Store, StoreExt, WriteDone,
    WriteJob, WriteTx,
};
