//! The S3 records: buckets, object versions, multipart uploads and their parts.
//!
//! Bodies are not here: a version or a part names the blobs (see [`crate::BlobStore`]) that
//! hold its bytes. The store interprets none of the S3 semantics beyond keys, versions and
//! references; policies, ACL grants and checksums are kept as the engine gives them.

use crate::model::Tag;
use roleplay_types::AccountId;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use time::OffsetDateTime;

/// The version id S3 shows for the version written while versioning was off or suspended.
pub const NULL_VERSION: &str = "null";

/// The id of a stored body: 32 lowercase hex digits, never derived from a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(String);

impl BlobId {
    /// A new id: a count, then a half drawn at random once per process, so ids never repeat
    /// across restarts and a write costs no system call for them.
    pub fn fresh() -> std::io::Result<Self> {
        static PROCESS: std::sync::OnceLock<[u8; 8]> = std::sync::OnceLock::new();
        static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let process = match PROCESS.get() {
            Some(p) => p,
            None => {
                let mut drawn = [0u8; 8];
                getrandom::fill(&mut drawn).map_err(std::io::Error::other)?;
                PROCESS.get_or_init(|| drawn)
            }
        };
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut bytes = [0u8; 16];
        let (count, rest) = bytes.split_at_mut(8);
        count.copy_from_slice(&n.to_be_bytes());
        rest.copy_from_slice(process);
        Ok(Self(hex::encode(bytes)))
    }

    /// The id as text (also its file name).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id's 16 bytes (the text is their hex, checked when the id was made).
    pub(crate) fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        // Valid hex of this length by construction; the zero id would never be used.
        let _ = hex::decode_to_slice(&self.0, &mut out);
        out
    }

    /// The id of these 16 bytes.
    pub(crate) fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(hex::encode(bytes))
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text that is not a blob id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a blob id")]
pub struct InvalidBlobId(pub String);

impl FromStr for BlobId {
    type Err = InvalidBlobId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidBlobId(s.to_owned()))
        }
    }
}

/// One piece of a body: a blob and its length. A single `PutObject` has one segment, an
/// empty body or a delete marker none, a completed multipart upload one per part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The blob holding the bytes.
    pub blob: BlobId,
    /// Its length in bytes.
    pub size: u64,
    /// The bytes themselves for a small blob, kept in the store's own records rather than a
    /// file of its own (bodies up to 64 KiB, see [`crate::BlobStore`]); `None` for a blob in
    /// the blob store.
    pub inline: Option<bytes::Bytes>,
}

/// A bucket's versioning state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Versioning {
    /// Never enabled: every write replaces the `null` version.
    #[default]
    Unversioned,
    /// Every write adds a version.
    Enabled,
    /// Was enabled: old versions stay, new writes replace the `null` version.
    Suspended,
}

impl Versioning {
    /// `Unversioned`, `Enabled` or `Suspended`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unversioned => "Unversioned",
            Self::Enabled => "Enabled",
            Self::Suspended => "Suspended",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Unversioned" => Self::Unversioned,
            "Enabled" => Self::Enabled,
            "Suspended" => Self::Suspended,
            _ => return None,
        })
    }
}

/// A bucket's Object Ownership setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ObjectOwnership {
    /// ACLs disabled; the bucket owner owns every object (the default for new buckets).
    #[default]
    BucketOwnerEnforced,
    /// ACLs enabled; the bucket owner owns objects written with `bucket-owner-full-control`.
    BucketOwnerPreferred,
    /// ACLs enabled; the writer owns what it writes.
    ObjectWriter,
}

impl ObjectOwnership {
    /// The name as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BucketOwnerEnforced => "BucketOwnerEnforced",
            Self::BucketOwnerPreferred => "BucketOwnerPreferred",
            Self::ObjectWriter => "ObjectWriter",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "BucketOwnerEnforced" => Self::BucketOwnerEnforced,
            "BucketOwnerPreferred" => Self::BucketOwnerPreferred,
            "ObjectWriter" => Self::ObjectWriter,
            _ => return None,
        })
    }
}

/// A bucket's public access block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PublicAccessBlock {
    /// `BlockPublicAcls`.
    pub block_public_acls: bool,
    /// `IgnorePublicAcls`.
    pub ignore_public_acls: bool,
    /// `BlockPublicPolicy`.
    pub block_public_policy: bool,
    /// `RestrictPublicBuckets`.
    pub restrict_public_buckets: bool,
}

/// A bucket. Names are one global namespace, whatever the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The bucket name; the key.
    pub name: String,
    /// The owning account.
    pub owner: AccountId,
    /// The region (location constraint), e.g. `us-east-1`.
    pub region: String,
    /// When the bucket was created.
    pub create_date: OffsetDateTime,
    /// The bucket policy, exactly as submitted.
    pub policy: Option<String>,
    /// Tags in the order given.
    pub tags: Vec<Tag>,
    /// The versioning state.
    pub versioning: Versioning,
    /// Object Ownership.
    pub ownership: ObjectOwnership,
    /// The ACL grants as JSON text, interpreted by the engine.
    pub acl: Option<String>,
    /// The public access block, if one is set.
    pub public_access_block: Option<PublicAccessBlock>,
}

/// The standard headers stored with an object and returned on reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContentHeaders {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Expires`, as the text received.
    pub expires: Option<String>,
}

/// One version of an object, or a delete marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    /// The bucket.
    pub bucket: String,
    /// The key: any UTF-8 text up to 1024 bytes; never a file name.
    pub key: String,
    /// The version id, [`NULL_VERSION`] for the version written while unversioned or
    /// suspended. Unique per key; chosen by the caller.
    pub version_id: String,
    /// Whether this is the newest version of its key. Computed by the store; the value
    /// written is ignored.
    pub is_latest: bool,
    /// Whether this version is a delete marker (no body, no headers).
    pub delete_marker: bool,
    /// The body's length in bytes.
    pub size: u64,
    /// The ETag with its quotes, e.g. `"9e10…"` or `"…-3"` for multipart.
    pub etag: String,
    /// When the version was written.
    pub last_modified: OffsetDateTime,
    /// Content-Type and the other standard headers.
    pub headers: ContentHeaders,
    /// User metadata (`x-amz-meta-*`), by lowercase name.
    pub metadata: BTreeMap<String, String>,
    /// Checksums by algorithm (`CRC32`, `CRC32C`, `SHA1`, `SHA256`, ...), base64 values.
    pub checksums: BTreeMap<String, String>,
    /// Object tags in the order given.
    pub tags: Vec<Tag>,
    /// The owning account.
    pub owner: AccountId,
    /// `STANDARD` unless set otherwise.
    pub storage_class: String,
    /// The object ACL grants as JSON text, interpreted by the engine.
    pub acl: Option<String>,
    /// The number of parts of a multipart object, `None` for a single `PutObject`.
    pub parts_count: Option<u32>,
    /// The blobs holding the body, in order; their sizes add up to `size`.
    pub body: Vec<Segment>,
}

impl ObjectVersion {
    /// A delete marker written by `owner` at `date`.
    pub fn delete_marker(
        bucket: &str,
        key: &str,
        version_id: &str,
        owner: &AccountId,
        date: OffsetDateTime,
    ) -> Self {
        Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id: version_id.to_owned(),
            is_latest: false,
            delete_marker: true,
            size: 0,
            etag: String::new(),
            last_modified: date,
            headers: ContentHeaders::default(),
            metadata: BTreeMap::new(),
            checksums: BTreeMap::new(),
            tags: Vec::new(),
            owner: owner.clone(),
            storage_class: "STANDARD".to_owned(),
            acl: None,
            parts_count: None,
            body: Vec::new(),
        }
    }
}

/// Which latest objects `list_objects` returns (`ListObjectsV2`, `ListObjects`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectQuery {
    /// Only keys starting with this text (empty: all).
    pub prefix: String,
    /// Roll keys up to the first occurrence of this text after the prefix into common
    /// prefixes; `None` or empty: no grouping.
    pub delimiter: Option<String>,
    /// Only entries after this key in binary UTF-8 order (`StartAfter`, `Marker`, or the
    /// position of a continuation token). A common prefix at or before it is skipped whole.
    pub start_after: Option<String>,
    /// At most this many entries, keys and common prefixes together.
    pub max_keys: usize,
}

/// An entry of an object listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListEntry<T> {
    /// A key (or a version of one).
    Item(T),
    /// A common prefix, ending with the delimiter, standing for every key under it.
    CommonPrefix(String),
}

/// A page of `list_objects`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectListing {
    /// Latest, non-delete-marker versions and common prefixes, in key order.
    pub entries: Vec<ListEntry<ObjectVersion>>,
    /// Whether more entries follow.
    pub is_truncated: bool,
    /// When truncated: the key or common prefix of the last entry, to pass back as
    /// `start_after` (`NextMarker`, or the content of a continuation token).
    pub next_start_after: Option<String>,
}

/// Which versions `list_object_versions` returns (`ListObjectVersions`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionQuery {
    /// Only keys starting with this text.
    pub prefix: String,
    /// As in [`ObjectQuery::delimiter`].
    pub delimiter: Option<String>,
    /// Start after this key (every version of it), or with `version_id_marker` after that
    /// version of it.
    pub key_marker: Option<String>,
    /// Start after this version of `key_marker`, newest first. An unknown version id skips
    /// the whole key.
    pub version_id_marker: Option<String>,
    /// At most this many entries, versions and common prefixes together.
    pub max_keys: usize,
}

/// A page of `list_object_versions`: keys in binary order, each key's versions newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionListing {
    /// Versions, delete markers and common prefixes.
    pub entries: Vec<ListEntry<ObjectVersion>>,
    /// Whether more entries follow.
    pub is_truncated: bool,
    /// When truncated: `NextKeyMarker`.
    pub next_key_marker: Option<String>,
    /// When truncated after a version: `NextVersionIdMarker`.
    pub next_version_id_marker: Option<String>,
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartUpload {
    /// The upload id, chosen by the caller; unique across the store.
    pub upload_id: String,
    /// The bucket.
    pub bucket: String,
    /// The key the object will have.
    pub key: String,
    /// When the upload was created.
    pub initiated: OffsetDateTime,
    /// The ARN of the principal that created it.
    pub initiator: String,
    /// The account that will own the object.
    pub owner: AccountId,
    /// Content-Type and the other standard headers for the object.
    pub headers: ContentHeaders,
    /// User metadata for the object.
    pub metadata: BTreeMap<String, String>,
    /// The checksum algorithm the parts use, if any.
    pub checksum_algorithm: Option<String>,
    /// Tags for the object.
    pub tags: Vec<Tag>,
    /// The storage class for the object.
    pub storage_class: String,
    /// The ACL grants for the object (JSON text).
    pub acl: Option<String>,
}

/// An uploaded part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The part number, 1 to 10000.
    pub number: u32,
    /// Its length in bytes.
    pub size: u64,
    /// Its ETag with quotes.
    pub etag: String,
    /// Its checksum (base64) in the upload's algorithm, if any.
    pub checksum: Option<String>,
    /// The blob holding it.
    pub blob: BlobId,
    /// The bytes themselves for a small part, as [`Segment::inline`].
    pub inline: Option<bytes::Bytes>,
    /// When it was uploaded.
    pub last_modified: OffsetDateTime,
}

/// Which uploads `list_uploads` returns (`ListMultipartUploads`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UploadQuery {
    /// Only keys starting with this text.
    pub prefix: String,
    /// Start after this key (all of its uploads), or with `upload_id_marker` after that
    /// upload of it.
    pub key_marker: Option<String>,
    /// Start after this upload of `key_marker`; an unknown id skips the whole key.
    pub upload_id_marker: Option<String>,
    /// At most this many uploads.
    pub max_uploads: usize,
}

/// A page of `list_uploads`: by key, then by initiation, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadListing {
    /// The uploads.
    pub uploads: Vec<MultipartUpload>,
    /// Whether more follow.
    pub is_truncated: bool,
    /// When truncated: `NextKeyMarker`.
    pub next_key_marker: Option<String>,
    /// When truncated: `NextUploadIdMarker`.
    pub next_upload_id_marker: Option<String>,
}

/// A page of `list_parts`, by part number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartListing {
    /// The parts.
    pub parts: Vec<Part>,
    /// Whether more follow.
    pub is_truncated: bool,
    /// When truncated: `NextPartNumberMarker`.
    pub next_part_number_marker: Option<u32>,
}

/// The smallest text greater than every text starting with `prefix`, in binary UTF-8 order
/// (the same as code point order); `None` if there is none (empty prefix, or only
/// `char::MAX`). A listing that has reported a common prefix seeks to it to skip every key
/// under that prefix without reading them.
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_bounds_the_prefix() {
        assert_eq!(prefix_end("a/").as_deref(), Some("a0"));
        assert_eq!(prefix_end(""), None);
        assert_eq!(prefix_end("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_end("x\u{10FFFF}").as_deref(), Some("y"));
        for key in ["a/", "a/\u{10FFFF}\u{10FFFF}", "a/zzz", "a/é"] {
            assert!(key.as_bytes() < prefix_end("a/").unwrap().as_bytes());
        }
        assert!("a0".as_bytes() >= prefix_end("a/").unwrap().as_bytes());
    }

    #[test]
    fn blob_ids_are_hex() {
        let id = BlobId::fresh().unwrap();
        assert_eq!(id.as_str().parse::<BlobId>().unwrap(), id);
        assert_ne!(BlobId::fresh().unwrap(), id);
        assert!("../etc/passwd".parse::<BlobId>().is_err());
        assert!(
            "ABCDEF0123456789ABCDEF0123456789"
                .parse::<BlobId>()
                .is_err()
        );
    }
}
