//! The S3 part of the conformance suite: buckets, object versions, listings, multipart.
//!
//! Blob ids here are made up: the metadata store never looks at the blobs themselves.

use super::{assert_err, at, new_account, read, tag, write};
use crate::{
    BlobId, Bucket, ContentHeaders, ListEntry, MultipartUpload, NULL_VERSION, ObjectOwnership,
    ObjectQuery, ObjectVersion, Part, PublicAccessBlock, Segment, Store, UploadQuery, VersionQuery,
    Versioning, WriteError,
};
use roleplay_types::AccountId;
use std::collections::BTreeMap;

/// Runs the S3 checks.
pub fn conformance(store: &dyn Store) {
    buckets(store);
    objects(store);
    versions(store);
    multipart(store);
    inline_bodies(store);
    upload_listings(store);
    object_listings(store);
    version_listings(store);
}

// ---- fixtures ----

/// A made-up blob id.
pub fn blob(n: u64) -> BlobId {
    format!("{n:032x}").parse().unwrap()
}

pub fn segment(n: u64, size: u64) -> Segment {
    Segment {
        blob: blob(n),
        size,
        inline: None,
    }
}

pub fn bucket(name: &str, owner: &AccountId) -> Bucket {
    Bucket {
        name: name.to_owned(),
        owner: owner.clone(),
        region: "eu-west-1".to_owned(),
        create_date: at(10),
        policy: None,
        tags: Vec::new(),
        versioning: Versioning::Unversioned,
        ownership: ObjectOwnership::BucketOwnerEnforced,
        acl: None,
        public_access_block: None,
    }
}

/// A version of `key` whose body is the one blob `n` of `size` bytes (none when `n` is 0).
pub fn object(bucket: &str, key: &str, version_id: &str, n: u64, size: u64) -> ObjectVersion {
    let body = if n == 0 {
        Vec::new()
    } else {
        vec![segment(n, size)]
    };
    ObjectVersion {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        version_id: version_id.to_owned(),
        is_latest: false,
        delete_marker: false,
        size,
        etag: format!("\"etag-{n}\""),
        last_modified: at(20),
        headers: ContentHeaders {
            content_type: Some("text/plain".to_owned()),
            cache_control: Some("no-cache".to_owned()),
            expires: Some("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
            ..ContentHeaders::default()
        },
        metadata: BTreeMap::from([("color".to_owned(), "blue".to_owned())]),
        checksums: BTreeMap::from([("CRC32".to_owned(), "DUoRhQ==".to_owned())]),
        tags: vec![tag("k", "v")],
        owner: owner_of(bucket),
        storage_class: "STANDARD".to_owned(),
        acl: None,
        parts_count: None,
        body,
    }
}

/// Objects in the suite are owned by one fixed account (the store does not check it).
fn owner_of(_bucket: &str) -> AccountId {
    super::account_id(100_000_000_299)
}

fn latest(mut v: ObjectVersion) -> ObjectVersion {
    v.is_latest = true;
    v
}

fn upload(bucket: &str, key: &str, id: &str, seconds: i64) -> MultipartUpload {
    MultipartUpload {
        upload_id: id.to_owned(),
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        initiated: at(seconds),
        initiator: "arn:aws:iam::100000000299:user/uploader".to_owned(),
        owner: owner_of(bucket),
        headers: ContentHeaders {
            content_type: Some("application/octet-stream".to_owned()),
            ..ContentHeaders::default()
        },
        metadata: BTreeMap::from([("m".to_owned(), "1".to_owned())]),
        checksum_algorithm: Some("CRC32C".to_owned()),
        tags: vec![tag("t", "1")],
        storage_class: "STANDARD".to_owned(),
        acl: None,
    }
}

fn part(number: u32, n: u64, size: u64) -> Part {
    Part {
        number,
        size,
        etag: format!("\"part-{n}\""),
        checksum: Some(format!("c{n}")),
        blob: blob(n),
        inline: None,
        last_modified: at(30),
    }
}

fn get(store: &dyn Store, bucket: &str, key: &str, v: Option<&str>) -> Option<ObjectVersion> {
    read(store, |tx| tx.get_object(bucket, key, v))
}

fn put(store: &dyn Store, v: &ObjectVersion) -> Vec<BlobId> {
    write(store, |tx| tx.put_object_version(v)).unwrap()
}

fn new_bucket(store: &dyn Store, name: &str, owner: &AccountId, versioning: Versioning) {
    let mut b = bucket(name, owner);
    b.versioning = versioning;
    write(store, |tx| tx.create_bucket(&b)).unwrap();
}

// ---- checks ----

/// Bucket names are global; buckets list per owner by name; deletion waits for emptiness.
pub fn buckets(store: &dyn Store) {
    let a = new_account(store, 100_000_000_201);
    let b = new_account(store, 100_000_000_202);
    let first = bucket("conf-bkt-one", &a);
    write(store, |tx| tx.create_bucket(&first)).unwrap();
    assert_eq!(
        read(store, |tx| tx.get_bucket("conf-bkt-one")),
        Some(first.clone())
    );
    assert_err(
        write(store, |tx| tx.create_bucket(&bucket("conf-bkt-one", &b))),
        "AlreadyExists(Bucket)",
    );
    assert_err(
        write(store, |tx| tx.create_bucket(&bucket("conf-bkt-one", &a))),
        "AlreadyExists(Bucket)",
    );
    assert_eq!(
        read(store, |tx| tx.get_bucket("conf-bkt-one"))
            .unwrap()
            .owner,
        a,
        "the name stays with its first owner"
    );
    assert_err(
        write(store, |tx| {
            tx.create_bucket(&bucket(
                "conf-bkt-orphan",
                &super::account_id(100_000_000_996),
            ))
        }),
        "NotFound(Account)",
    );
    write(store, |tx| {
        tx.create_bucket(&bucket("conf-bkt-a", &a))?;
        tx.create_bucket(&bucket("conf-bkt-z", &a))?;
        tx.create_bucket(&bucket("conf-bkt-b", &b))
    })
    .unwrap();
    let names = |owner: &AccountId| -> Vec<String> {
        read(store, |tx| tx.list_buckets(owner))
            .into_iter()
            .map(|b| b.name)
            .collect()
    };
    assert_eq!(names(&a), ["conf-bkt-a", "conf-bkt-one", "conf-bkt-z"]);
    assert_eq!(names(&b), ["conf-bkt-b"]);
    assert_eq!(read(store, |tx| tx.get_bucket("conf-bkt-none")), None);

    // Updates replace the mutable fields only.
    let mut changed = first.clone();
    changed.policy = Some(r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned());
    changed.tags = vec![tag("env", "test"), tag("empty", "")];
    changed.versioning = Versioning::Enabled;
    changed.ownership = ObjectOwnership::ObjectWriter;
    changed.acl = Some(r#"[{"grantee":"x","permission":"READ"}]"#.to_owned());
    changed.public_access_block = Some(PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: false,
        block_public_policy: true,
        restrict_public_buckets: false,
    });
    let mut attempt = changed.clone();
    attempt.owner = b.clone();
    attempt.region = "us-east-1".to_owned();
    attempt.create_date = at(99);
    write(store, |tx| tx.update_bucket(&attempt)).unwrap();
    assert_eq!(
        read(store, |tx| tx.get_bucket("conf-bkt-one")),
        Some(changed.clone())
    );
    changed.policy = None;
    changed.public_access_block = None;
    changed.versioning = Versioning::Suspended;
    changed.ownership = ObjectOwnership::BucketOwnerPreferred;
    write(store, |tx| tx.update_bucket(&changed)).unwrap();
    assert_eq!(
        read(store, |tx| tx.get_bucket("conf-bkt-one")),
        Some(changed)
    );
    assert_err(
        write(store, |tx| tx.update_bucket(&bucket("conf-bkt-none", &a))),
        "NotFound(Bucket)",
    );

    // Objects, delete markers and uploads each keep a bucket from being deleted.
    assert_err(
        write(store, |tx| tx.delete_account(&b)),
        "Conflict(Account)",
    );
    put(store, &object("conf-bkt-a", "k", NULL_VERSION, 1, 1));
    assert_err(
        write(store, |tx| tx.delete_bucket("conf-bkt-a")),
        "Conflict(Bucket)",
    );
    write(store, |tx| {
        tx.put_delete_marker("conf-bkt-a", "k", NULL_VERSION, &a, at(21))
    })
    .unwrap();
    assert_err(
        write(store, |tx| tx.delete_bucket("conf-bkt-a")),
        "Conflict(Bucket)",
    );
    write(store, |tx| {
        tx.delete_object_version("conf-bkt-a", "k", NULL_VERSION)
    })
    .unwrap();
    write(store, |tx| {
        tx.create_upload(&upload("conf-bkt-a", "k", "conf-bkt-upload", 1))
    })
    .unwrap();
    assert_err(
        write(store, |tx| tx.delete_bucket("conf-bkt-a")),
        "Conflict(Bucket)",
    );
    write(store, |tx| tx.abort_upload("conf-bkt-a", "conf-bkt-upload")).unwrap();
    write(store, |tx| tx.delete_bucket("conf-bkt-a")).unwrap();
    assert_eq!(read(store, |tx| tx.get_bucket("conf-bkt-a")), None);
    assert_err(
        write(store, |tx| tx.delete_bucket("conf-bkt-a")),
        "NotFound(Bucket)",
    );
    // The name is free again, for any account.
    write(store, |tx| tx.create_bucket(&bucket("conf-bkt-a", &b))).unwrap();
    assert_eq!(names(&b), ["conf-bkt-a", "conf-bkt-b"]);
}

/// Unversioned buckets: the `null` version is replaced, its blob released; delete markers;
/// updates; shared blobs are released only by their last user; odd keys are just keys.
pub fn objects(store: &dyn Store) {
    let a = new_account(store, 100_000_000_203);
    let bkt = "conf-obj";
    new_bucket(store, bkt, &a, Versioning::Unversioned);
    let v1 = object(bkt, "doc.txt", NULL_VERSION, 101, 10);
    assert_eq!(put(store, &v1), Vec::<BlobId>::new());
    assert_eq!(get(store, bkt, "doc.txt", None), Some(latest(v1.clone())));
    let v2 = object(bkt, "doc.txt", NULL_VERSION, 102, 20);
    assert_eq!(
        put(store, &v2),
        [blob(101)],
        "the replaced body is released"
    );
    assert_eq!(get(store, bkt, "doc.txt", None), Some(latest(v2.clone())));
    assert_eq!(
        get(store, bkt, "doc.txt", Some(NULL_VERSION)),
        Some(latest(v2.clone()))
    );
    assert_eq!(get(store, bkt, "doc.txt", Some("v-none")), None);
    assert_eq!(
        get(store, bkt, "DOC.txt", None),
        None,
        "keys are case-sensitive"
    );
    assert!(read(store, |tx| tx.blob_in_use(&blob(102))));
    assert!(!read(store, |tx| tx.blob_in_use(&blob(101))));

    // Updates change headers, metadata, tags, ACL and storage class, not the body.
    let mut updated = v2.clone();
    updated.tags = vec![tag("a", "1"), tag("b", "2")];
    updated.metadata = BTreeMap::from([("x".to_owned(), "y".to_owned())]);
    updated.headers.content_type = Some("application/json".to_owned());
    updated.acl = Some("[]".to_owned());
    updated.storage_class = "STANDARD_IA".to_owned();
    let mut attempt = updated.clone();
    attempt.etag = "\"other\"".to_owned();
    attempt.size = 1;
    attempt.body = vec![segment(999, 1)];
    write(store, |tx| tx.update_object_version(&attempt)).unwrap();
    assert_eq!(
        get(store, bkt, "doc.txt", None),
        Some(latest(updated.clone()))
    );
    assert_err(
        write(store, |tx| {
            tx.update_object_version(&object(bkt, "none", NULL_VERSION, 0, 0))
        }),
        "NotFound(Object)",
    );

    // A delete marker replaces the null version: absent for plain reads.
    let released = write(store, |tx| {
        tx.put_delete_marker(bkt, "doc.txt", NULL_VERSION, &a, at(40))
    })
    .unwrap();
    assert_eq!(released, [blob(102)]);
    let marker = get(store, bkt, "doc.txt", None).unwrap();
    assert!(marker.delete_marker && marker.is_latest && marker.body.is_empty());
    let listed = read(store, |tx| {
        tx.list_objects(bkt, &query("", None, None, 100))
    });
    assert!(listed.entries.is_empty(), "delete markers are not listed");
    let released = write(store, |tx| {
        tx.delete_object_version(bkt, "doc.txt", NULL_VERSION)
    })
    .unwrap();
    assert!(released.is_empty());
    assert_eq!(get(store, bkt, "doc.txt", None), None);
    assert_err(
        write(store, |tx| {
            tx.delete_object_version(bkt, "doc.txt", NULL_VERSION)
        }),
        "NotFound(Object)",
    );
    assert_err(
        write(store, |tx| {
            tx.put_object_version(&object("conf-obj-none", "k", NULL_VERSION, 1, 1))
        }),
        "NotFound(Bucket)",
    );

    // Two versions sharing a blob (a copy): the blob is released with its last user.
    put(store, &object(bkt, "orig", NULL_VERSION, 107, 5));
    put(store, &object(bkt, "copy", NULL_VERSION, 107, 5));
    let released = write(store, |tx| {
        tx.delete_object_version(bkt, "orig", NULL_VERSION)
    })
    .unwrap();
    assert!(released.is_empty(), "still used by the copy");
    let released = write(store, |tx| {
        tx.delete_object_version(bkt, "copy", NULL_VERSION)
    })
    .unwrap();
    assert_eq!(released, [blob(107)]);

    // Keys are never paths: dots, slashes, percent signs, spaces and any script.
    let keys = [
        "../../etc/passwd",
        "./a/../b",
        "100%",
        "%2F%00",
        "with space ",
        " leading",
        "日本語/ファイル.txt",
        "emoji 🦀",
        "a//b",
        "/",
        "tab\there",
        "\u{10FFFF}",
    ];
    let long = "k".repeat(1024);
    for (n, key) in (200..).zip(keys.iter().copied().chain([long.as_str()])) {
        let v = object(bkt, key, NULL_VERSION, n, n);
        put(store, &v);
        assert_eq!(get(store, bkt, key, None), Some(latest(v)), "{key:?}");
    }
    assert_eq!(get(store, bkt, "etc/passwd", None), None);
    // Nothing was normalised: the listing holds exactly the keys written.
    let mut expected: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    expected.push(long.clone());
    expected.sort();
    assert_eq!(list_keys(store, bkt, "", None, 1), expected);
}

/// Enabled and suspended versioning: versions newest first, delete markers, deleting the
/// latest promotes the next, the `null` version among others.
pub fn versions(store: &dyn Store) {
    let a = new_account(store, 100_000_000_204);
    let bkt = "conf-ver";
    new_bucket(store, bkt, &a, Versioning::Enabled);
    let v1 = object(bkt, "k", "v1", 301, 1);
    let v2 = object(bkt, "k", "v2", 302, 2);
    let v4 = object(bkt, "k", "v4", 304, 4);
    put(store, &v1);
    put(store, &v2);
    let released = write(store, |tx| {
        tx.put_delete_marker(bkt, "k", "dm3", &a, at(50))
    })
    .unwrap();
    assert!(released.is_empty(), "versions keep their bodies");
    put(store, &v4);
    assert_eq!(get(store, bkt, "k", None), Some(latest(v4.clone())));
    assert_eq!(get(store, bkt, "k", Some("v2")), Some(v2.clone()));
    let all = version_ids(
        store,
        bkt,
        &VersionQuery {
            max_keys: 100,
            ..VersionQuery::default()
        },
    );
    assert_eq!(all, ["k@v4*", "k@dm3", "k@v2", "k@v1"]);

    // Deleting the latest makes the next newest (here a delete marker) the latest.
    assert_eq!(
        write(store, |tx| tx.delete_object_version(bkt, "k", "v4")).unwrap(),
        [blob(304)]
    );
    let now = get(store, bkt, "k", None).unwrap();
    assert!(now.delete_marker && now.is_latest && now.version_id == "dm3");
    let marker = get(store, bkt, "k", Some("dm3")).unwrap();
    assert!(
        marker.delete_marker,
        "a version id may name a delete marker"
    );
    assert!(
        read(store, |tx| tx.list_objects(bkt, &query("", None, None, 10)))
            .entries
            .is_empty()
    );
    write(store, |tx| tx.delete_object_version(bkt, "k", "dm3")).unwrap();
    assert_eq!(get(store, bkt, "k", None), Some(latest(v2.clone())));
    // Deleting an older version leaves the latest alone.
    write(store, |tx| tx.delete_object_version(bkt, "k", "v1")).unwrap();
    assert_eq!(get(store, bkt, "k", None), Some(latest(v2.clone())));
    put(store, &v1);
    assert_eq!(
        get(store, bkt, "k", None),
        Some(latest(v1.clone())),
        "a rewritten version is the newest"
    );

    // Suspended: new writes replace the null version; other versions stay.
    let mut b = read(store, |tx| tx.get_bucket(bkt)).unwrap();
    b.versioning = Versioning::Suspended;
    write(store, |tx| tx.update_bucket(&b)).unwrap();
    put(store, &object(bkt, "k", NULL_VERSION, 305, 5));
    assert_eq!(
        put(store, &object(bkt, "k", NULL_VERSION, 306, 6)),
        [blob(305)]
    );
    let all = version_ids(
        store,
        bkt,
        &VersionQuery {
            max_keys: 100,
            ..VersionQuery::default()
        },
    );
    assert_eq!(all, ["k@null*", "k@v1", "k@v2"]);
    let released = write(store, |tx| {
        tx.put_delete_marker(bkt, "k", NULL_VERSION, &a, at(60))
    })
    .unwrap();
    assert_eq!(released, [blob(306)]);
    let all = version_ids(
        store,
        bkt,
        &VersionQuery {
            max_keys: 100,
            ..VersionQuery::default()
        },
    );
    assert_eq!(all, ["k@null*", "k@v1", "k@v2"]);
    assert!(get(store, bkt, "k", None).unwrap().delete_marker);
}

/// Parts in any order and replaced; completion with a selection of parts; abort.
pub fn multipart(store: &dyn Store) {
    let a = new_account(store, 100_000_000_205);
    let bkt = "conf-mpu";
    new_bucket(store, bkt, &a, Versioning::Unversioned);
    let up = upload(bkt, "big.bin", "mpu-1", 1);
    write(store, |tx| tx.create_upload(&up)).unwrap();
    assert_eq!(
        read(store, |tx| tx.get_upload(bkt, "mpu-1")),
        Some(up.clone())
    );
    assert_eq!(
        read(store, |tx| tx.get_upload("conf-mpu-other", "mpu-1")),
        None
    );
    assert_err(
        write(store, |tx| tx.create_upload(&up)),
        "AlreadyExists(MultipartUpload)",
    );
    assert_err(
        write(store, |tx| {
            tx.create_upload(&upload("conf-mpu-none", "k", "mpu-x", 1))
        }),
        "NotFound(Bucket)",
    );
    assert_err(
        write(store, |tx| tx.put_part(bkt, "mpu-none", &part(1, 400, 1))),
        "NotFound(MultipartUpload)",
    );
    for (number, n) in [(3, 403), (1, 401), (2, 402), (5, 405)] {
        let released = write(store, |tx| tx.put_part(bkt, "mpu-1", &part(number, n, n))).unwrap();
        assert!(released.is_empty());
    }
    // Replacing a part releases the old body.
    let released = write(store, |tx| tx.put_part(bkt, "mpu-1", &part(2, 412, 412))).unwrap();
    assert_eq!(released, [blob(402)]);
    let parts = read(store, |tx| tx.list_parts(bkt, "mpu-1", 0, 100));
    assert!(!parts.is_truncated);
    assert_eq!(
        parts.parts,
        [
            part(1, 401, 401),
            part(2, 412, 412),
            part(3, 403, 403),
            part(5, 405, 405)
        ]
    );
    // Paging down to one part per page.
    let mut after = 0;
    let mut numbers = Vec::new();
    loop {
        let page = read(store, |tx| tx.list_parts(bkt, "mpu-1", after, 1));
        numbers.extend(page.parts.iter().map(|p| p.number));
        if !page.is_truncated {
            assert_eq!(page.next_part_number_marker, None);
            break;
        }
        after = page.next_part_number_marker.unwrap();
    }
    assert_eq!(numbers, [1, 2, 3, 5]);

    // The object the upload replaces, and a completion naming a missing part.
    put(store, &object(bkt, "big.bin", NULL_VERSION, 420, 7));
    let mut target = object(bkt, "big.bin", NULL_VERSION, 0, 0);
    target.etag = "\"abc-3\"".to_owned();
    target.metadata = up.metadata.clone();
    assert_err(
        write(store, |tx| {
            tx.complete_upload(bkt, "mpu-1", &[1, 4], &target)
        }),
        "NotFound(Part)",
    );
    assert_eq!(
        read(store, |tx| tx.list_parts(bkt, "mpu-1", 0, 100))
            .parts
            .len(),
        4,
        "a failed completion changes nothing"
    );
    let mut released = write(store, |tx| {
        tx.complete_upload(bkt, "mpu-1", &[1, 2, 3], &target)
    })
    .unwrap();
    released.sort();
    assert_eq!(released, [blob(405), blob(420)], "part 5 and the old body");
    let done = get(store, bkt, "big.bin", None).unwrap();
    assert_eq!(
        done.body,
        [segment(401, 401), segment(412, 412), segment(403, 403)]
    );
    assert_eq!(done.size, 401 + 412 + 403);
    assert_eq!(done.parts_count, Some(3));
    assert_eq!(done.etag, "\"abc-3\"");
    assert!(done.is_latest && !done.delete_marker);
    assert_eq!(read(store, |tx| tx.get_upload(bkt, "mpu-1")), None);
    assert!(
        read(store, |tx| tx.list_parts(bkt, "mpu-1", 0, 100))
            .parts
            .is_empty()
    );
    assert_err(
        write(store, |tx| tx.complete_upload(bkt, "mpu-1", &[1], &target)),
        "NotFound(MultipartUpload)",
    );
    // Deleting the object releases every part's body.
    let mut released = write(store, |tx| {
        tx.delete_object_version(bkt, "big.bin", NULL_VERSION)
    })
    .unwrap();
    released.sort();
    assert_eq!(released, [blob(401), blob(403), blob(412)]);

    // Abort returns every part's body.
    write(store, |tx| {
        tx.create_upload(&upload(bkt, "gone", "mpu-2", 2))?;
        tx.put_part(bkt, "mpu-2", &part(1, 431, 1))?;
        tx.put_part(bkt, "mpu-2", &part(10_000, 432, 1))
    })
    .unwrap();
    assert!(
        matches!(
            write(store, |tx| tx.put_part(bkt, "mpu-2", &part(10_001, 433, 1))),
            Err(WriteError::Store(_))
        ),
        "part numbers end at 10000"
    );
    let mut released = write(store, |tx| tx.abort_upload(bkt, "mpu-2")).unwrap();
    released.sort();
    assert_eq!(released, [blob(431), blob(432)]);
    assert_err(
        write(store, |tx| tx.abort_upload(bkt, "mpu-2")),
        "NotFound(MultipartUpload)",
    );
}

/// Small bodies kept in the store: read back whole, carried from parts into a completed
/// body, and never reported as released blobs (their bytes go with their rows).
pub fn inline_bodies(store: &dyn Store) {
    let a = new_account(store, 100_000_000_209);
    let bkt = "conf-inline";
    new_bucket(store, bkt, &a, Versioning::Unversioned);
    let inline = |n: u64, bytes: &'static [u8]| Segment {
        inline: Some(bytes::Bytes::from_static(bytes)),
        ..segment(n, bytes.len() as u64)
    };
    let mut small = object(bkt, "small", NULL_VERSION, 0, 5);
    small.body = vec![inline(801, b"hello")];
    assert_eq!(put(store, &small), Vec::<BlobId>::new());
    let got = get(store, bkt, "small", None).unwrap();
    assert_eq!(got.body, small.body, "the bytes come back with the segment");
    let mut empty = object(bkt, "empty", NULL_VERSION, 0, 0);
    empty.body = vec![inline(802, b"")];
    put(store, &empty);
    assert_eq!(get(store, bkt, "empty", None).unwrap().body, empty.body);
    // Listings carry no bodies.
    let q = ObjectQuery {
        max_keys: 10,
        ..ObjectQuery::default()
    };
    let listing = read(store, |tx| tx.list_objects(bkt, &q));
    assert_eq!(listing.entries.len(), 2);
    assert!(listing.entries.iter().all(|e| match e {
        ListEntry::Item(v) => v.body.is_empty(),
        ListEntry::CommonPrefix(_) => false,
    }));
    // Replacing an inline body with a stored one and back: only stored blobs are released.
    let stored = object(bkt, "small", NULL_VERSION, 803, 7);
    assert_eq!(put(store, &stored), Vec::<BlobId>::new());
    assert_eq!(put(store, &small), [blob(803)]);
    assert!(!read(store, |tx| tx.blob_in_use(&blob(803))));
    assert_eq!(
        write(store, |tx| tx.delete_object_version(
            bkt,
            "small",
            NULL_VERSION
        ))
        .unwrap(),
        Vec::<BlobId>::new()
    );

    // A multipart body of a stored part and an inline last part; a replaced inline part and
    // the parts left out release nothing inline.
    write(store, |tx| {
        tx.create_upload(&upload(bkt, "mixed", "mpu-i", 1))
    })
    .unwrap();
    let inline_part = |number: u32, n: u64, bytes: &'static [u8]| Part {
        inline: Some(bytes::Bytes::from_static(bytes)),
        size: bytes.len() as u64,
        ..part(number, n, 0)
    };
    write(store, |tx| {
        tx.put_part(bkt, "mpu-i", &part(1, 811, 100))?;
        tx.put_part(bkt, "mpu-i", &inline_part(2, 812, b"first"))?;
        tx.put_part(bkt, "mpu-i", &inline_part(3, 813, b"unused"))
    })
    .unwrap();
    assert_eq!(
        write(store, |tx| tx.put_part(
            bkt,
            "mpu-i",
            &inline_part(2, 814, b"tail")
        ))
        .unwrap(),
        Vec::<BlobId>::new(),
        "a replaced inline part releases no blob"
    );
    let listed = read(store, |tx| tx.list_parts(bkt, "mpu-i", 0, 100));
    assert!(
        listed.parts.iter().all(|p| p.inline.is_none()),
        "listings carry no bytes"
    );
    let target = object(bkt, "mixed", NULL_VERSION, 0, 0);
    let released = write(store, |tx| {
        tx.complete_upload(bkt, "mpu-i", &[1, 2], &target)
    })
    .unwrap();
    assert_eq!(released, Vec::<BlobId>::new(), "part 3 was inline");
    let done = get(store, bkt, "mixed", None).unwrap();
    assert_eq!(done.body, [segment(811, 100), inline(814, b"tail")]);
    assert_eq!(done.size, 104);
    assert_eq!(
        write(store, |tx| tx.delete_object_version(
            bkt,
            "mixed",
            NULL_VERSION
        ))
        .unwrap(),
        [blob(811)]
    );
    // Abort releases the stored parts only.
    write(store, |tx| {
        tx.create_upload(&upload(bkt, "gone", "mpu-j", 2))?;
        tx.put_part(bkt, "mpu-j", &part(1, 821, 1))?;
        tx.put_part(bkt, "mpu-j", &inline_part(2, 822, b"x"))
    })
    .unwrap();
    assert_eq!(
        write(store, |tx| tx.abort_upload(bkt, "mpu-j")).unwrap(),
        [blob(821)]
    );
}

/// `ListMultipartUploads`: by key then initiation, prefix, paging with both markers.
pub fn upload_listings(store: &dyn Store) {
    let a = new_account(store, 100_000_000_206);
    let bkt = "conf-mpu-list";
    new_bucket(store, bkt, &a, Versioning::Unversioned);
    write(store, |tx| {
        tx.create_upload(&upload(bkt, "b", "u-b2", 2))?;
        tx.create_upload(&upload(bkt, "c/x", "u-c", 1))?;
        tx.create_upload(&upload(bkt, "b", "u-b1", 1))?;
        tx.create_upload(&upload(bkt, "a", "u-a", 9))?;
        tx.create_upload(&upload(bkt, "b", "u-b3", 3))
    })
    .unwrap();
    let all = ["u-a", "u-b1", "u-b2", "u-b3", "u-c"];
    for max in [1, 2, 100] {
        let mut q = UploadQuery {
            max_uploads: max,
            ..UploadQuery::default()
        };
        let mut ids = Vec::new();
        for _ in 0..20 {
            let page = read(store, |tx| tx.list_uploads(bkt, &q));
            assert!(page.uploads.len() <= max);
            ids.extend(page.uploads.iter().map(|u| u.upload_id.clone()));
            if !page.is_truncated {
                break;
            }
            q.key_marker = page.next_key_marker;
            q.upload_id_marker = page.next_upload_id_marker;
        }
        assert_eq!(ids, all, "pages of {max}");
    }
    let ids = |q: UploadQuery| -> Vec<String> {
        read(store, |tx| tx.list_uploads(bkt, &q))
            .uploads
            .into_iter()
            .map(|u| u.upload_id)
            .collect()
    };
    assert_eq!(
        ids(UploadQuery {
            prefix: "c/".to_owned(),
            max_uploads: 10,
            ..UploadQuery::default()
        }),
        ["u-c"]
    );
    assert_eq!(
        ids(UploadQuery {
            key_marker: Some("b".to_owned()),
            max_uploads: 10,
            ..UploadQuery::default()
        }),
        ["u-c"],
        "a key marker alone skips the key"
    );
}

fn query(
    prefix: &str,
    delimiter: Option<&str>,
    start_after: Option<&str>,
    max: usize,
) -> ObjectQuery {
    ObjectQuery {
        prefix: prefix.to_owned(),
        delimiter: delimiter.map(str::to_owned),
        start_after: start_after.map(str::to_owned),
        max_keys: max,
    }
}

/// One entry of a listing as text: the key, or the common prefix followed by `…`.
fn entry_text(e: &ListEntry<ObjectVersion>) -> String {
    match e {
        ListEntry::Item(v) => v.key.clone(),
        ListEntry::CommonPrefix(p) => format!("{p}…"),
    }
}

/// Walks every page of `list_objects` and returns the entries as text.
fn list_all(
    store: &dyn Store,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    start_after: Option<&str>,
    max: usize,
) -> Vec<String> {
    let mut q = query(prefix, delimiter, start_after, max);
    let mut out = Vec::new();
    for _ in 0..1000 {
        let page = read(store, |tx| tx.list_objects(bucket, &q));
        assert!(page.entries.len() <= max, "a page holds at most max_keys");
        out.extend(page.entries.iter().map(entry_text));
        if !page.is_truncated {
            assert_eq!(page.next_start_after, None);
            return out;
        }
        assert!(!page.entries.is_empty(), "a truncated page is not empty");
        q.start_after = Some(page.next_start_after.expect("a truncated page goes on"));
    }
    panic!("paging did not end");
}

fn list_keys(
    store: &dyn Store,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    max: usize,
) -> Vec<String> {
    list_all(store, bucket, prefix, delimiter, None, max)
}

/// What S3 lists for `keys` (sorted): the reference the store is compared with.
fn reference(
    keys: &[String],
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for key in keys {
        let Some(rest) = key.strip_prefix(prefix) else {
            continue;
        };
        let entry = match delimiter.and_then(|d| rest.find(d).map(|i| (i, d))) {
            Some((i, d)) => format!("{}…", key.get(..prefix.len() + i + d.len()).unwrap()),
            None => key.clone(),
        };
        let position = entry.trim_end_matches('…');
        if after.is_some_and(|a| position <= a) {
            continue;
        }
        if out.last() != Some(&entry) {
            out.push(entry);
        }
    }
    out
}

/// `ListObjectsV2`: binary UTF-8 order, prefixes, start-after, delimiters and common
/// prefixes, paging down to one entry per page, delete markers and old versions hidden.
pub fn object_listings(store: &dyn Store) {
    let a = new_account(store, 100_000_000_207);
    let bkt = "conf-list";
    new_bucket(store, bkt, &a, Versioning::Enabled);
    let mut keys: Vec<String> = [
        "a",
        "a/b",
        "a/c/d",
        "a/c/e",
        "a b",
        "a%2Fb",
        "a-",
        "b",
        "B",
        "Z",
        "z",
        "é",
        "e\u{301}",
        "../etc/passwd",
        "./x",
        "100%",
        "日本語/ファイル",
        "日本語/二",
        "🦀/crab",
        "x/y/z/",
        "x/",
        "x//",
        "\u{7F}",
        "~",
    ]
    .iter()
    .map(|k| (*k).to_owned())
    .collect();
    for i in 0..120 {
        keys.push(format!("deep/{i:04}"));
    }
    for (n, key) in (1000..).zip(&keys) {
        put(store, &object(bkt, key, &format!("v{n}"), n, 1));
    }
    // An older version, a deleted key and a key deleted then written again.
    put(store, &object(bkt, "a", "v-new", 2000, 2));
    put(store, &object(bkt, "hidden", "v-h", 2001, 1));
    write(store, |tx| {
        tx.put_delete_marker(bkt, "hidden", "dm-h", &a, at(70))
    })
    .unwrap();
    write(store, |tx| {
        tx.put_delete_marker(bkt, "b", "dm-b", &a, at(70))
    })
    .unwrap();
    put(store, &object(bkt, "b", "v-b2", 2002, 1));
    keys.sort();

    let listed = read(store, |tx| {
        tx.list_objects(bkt, &query("", None, None, 1000))
    });
    let versions: Vec<(&str, &str)> = listed
        .entries
        .iter()
        .map(|e| match e {
            ListEntry::Item(v) => (v.key.as_str(), v.version_id.as_str()),
            ListEntry::CommonPrefix(_) => panic!("no delimiter, no common prefix"),
        })
        .filter(|(k, _)| *k == "a" || *k == "b")
        .collect();
    assert_eq!(
        versions,
        [("a", "v-new"), ("b", "v-b2")],
        "latest versions only"
    );
    assert!(
        listed
            .entries
            .iter()
            .all(|e| matches!(e, ListEntry::Item(v) if v.is_latest))
    );
    assert_eq!(
        list_keys(store, bkt, "", None, 1000),
        keys,
        "binary UTF-8 order"
    );

    let cases: &[(&str, Option<&str>, Option<&str>)] = &[
        ("", None, None),
        ("a", None, None),
        ("a/", None, None),
        ("deep/", None, Some("deep/0100")),
        ("", None, Some("b")),
        ("", None, Some("a/c")),
        ("z", None, Some("a")),
        ("", Some("/"), None),
        ("a/", Some("/"), None),
        ("", Some("/"), Some("a/")),
        ("", Some("/"), Some("a/c/d")),
        ("", Some("/"), Some("deep/0005")),
        ("x/", Some("/"), None),
        ("", Some("c/"), None),
        ("日本語", Some("/"), None),
        ("", Some("é"), None),
        ("none/", Some("/"), None),
        ("", Some(""), None),
    ];
    for &(prefix, delimiter, after) in cases {
        let expected = reference(&keys, prefix, delimiter.filter(|d| !d.is_empty()), after);
        for max in [1, 2, 3, 1000] {
            assert_eq!(
                list_all(store, bkt, prefix, delimiter, after, max),
                expected,
                "prefix {prefix:?}, delimiter {delimiter:?}, start after {after:?}, pages of {max}"
            );
        }
    }
    // Every key under one common prefix is one entry, whatever their number.
    let page = read(store, |tx| {
        tx.list_objects(bkt, &query("", Some("/"), Some("b"), 2))
    });
    let expected = reference(&keys, "", Some("/"), Some("b"));
    assert_eq!(expected[0], "deep/…");
    assert_eq!(
        page.entries.iter().map(entry_text).collect::<Vec<_>>(),
        expected[..2]
    );
    assert!(page.is_truncated);
    assert_eq!(
        page.next_start_after.as_deref(),
        Some(expected[1].trim_end_matches('…'))
    );
    let empty = read(store, |tx| tx.list_objects(bkt, &query("", None, None, 0)));
    assert!(empty.entries.is_empty() && !empty.is_truncated);
    assert!(
        read(store, |tx| tx
            .list_objects("conf-list-none", &query("", None, None, 10)))
        .entries
        .is_empty()
    );
}

/// `key@version`, with `*` for the latest, for every version listed.
fn version_ids(store: &dyn Store, bucket: &str, q: &VersionQuery) -> Vec<String> {
    let mut q = q.clone();
    let mut out = Vec::new();
    for _ in 0..1000 {
        let page = read(store, |tx| tx.list_object_versions(bucket, &q));
        assert!(page.entries.len() <= q.max_keys);
        out.extend(page.entries.iter().map(|e| match e {
            ListEntry::Item(v) => format!(
                "{}@{}{}",
                v.key,
                v.version_id,
                if v.is_latest { "*" } else { "" }
            ),
            ListEntry::CommonPrefix(p) => format!("{p}…"),
        }));
        if !page.is_truncated {
            return out;
        }
        q.key_marker = page.next_key_marker;
        q.version_id_marker = page.next_version_id_marker;
    }
    panic!("paging did not end");
}

/// `ListObjectVersions`: by key, newest first, delete markers included, paging with key and
/// version markers down to one version per page.
pub fn version_listings(store: &dyn Store) {
    let a = new_account(store, 100_000_000_208);
    let bkt = "conf-ver-list";
    new_bucket(store, bkt, &a, Versioning::Unversioned);
    put(store, &object(bkt, "b", NULL_VERSION, 501, 1));
    let mut b = read(store, |tx| tx.get_bucket(bkt)).unwrap();
    b.versioning = Versioning::Enabled;
    write(store, |tx| tx.update_bucket(&b)).unwrap();
    for (key, version, n) in [
        ("a", "a1", 502),
        ("b", "b2", 503),
        ("a", "a2", 504),
        ("c/1", "c1", 505),
        ("c/2", "c2", 506),
        ("b", "b3", 507),
    ] {
        put(store, &object(bkt, key, version, n, 1));
    }
    write(store, |tx| tx.put_delete_marker(bkt, "a", "a3", &a, at(80))).unwrap();
    let expected = [
        "a@a3*", "a@a2", "a@a1", "b@b3*", "b@b2", "b@null", "c/1@c1*", "c/2@c2*",
    ];
    for max in [1, 2, 3, 100] {
        let q = VersionQuery {
            max_keys: max,
            ..VersionQuery::default()
        };
        assert_eq!(version_ids(store, bkt, &q), expected, "pages of {max}");
    }
    let from = |key: &str, version: Option<&str>| VersionQuery {
        key_marker: Some(key.to_owned()),
        version_id_marker: version.map(str::to_owned),
        max_keys: 100,
        ..VersionQuery::default()
    };
    assert_eq!(
        version_ids(store, bkt, &from("a", None)),
        ["b@b3*", "b@b2", "b@null", "c/1@c1*", "c/2@c2*"]
    );
    assert_eq!(
        version_ids(store, bkt, &from("b", Some("b2"))),
        ["b@null", "c/1@c1*", "c/2@c2*"]
    );
    assert_eq!(
        version_ids(store, bkt, &from("b", Some("unknown"))),
        ["c/1@c1*", "c/2@c2*"]
    );
    let grouped = VersionQuery {
        delimiter: Some("/".to_owned()),
        max_keys: 1,
        ..VersionQuery::default()
    };
    assert_eq!(
        version_ids(store, bkt, &grouped),
        ["a@a3*", "a@a2", "a@a1", "b@b3*", "b@b2", "b@null", "c/…"]
    );
    let prefixed = VersionQuery {
        prefix: "c/".to_owned(),
        max_keys: 1,
        ..VersionQuery::default()
    };
    assert_eq!(version_ids(store, bkt, &prefixed), ["c/1@c1*", "c/2@c2*"]);
}

/// Writes a bucket with an object for [`check_populated`].
pub fn populate(store: &dyn Store, owner: &AccountId) {
    write(store, |tx| {
        tx.create_bucket(&bucket("conf-populated", owner))?;
        tx.put_object_version(&object("conf-populated", "kept", NULL_VERSION, 900, 9))?;
        tx.create_upload(&upload("conf-populated", "up", "mpu-kept", 1))?;
        tx.put_part("conf-populated", "mpu-kept", &part(1, 901, 9))
    })
    .unwrap();
}

/// Checks the state [`populate`] wrote.
pub fn check_populated(store: &dyn Store, owner: &AccountId) {
    assert_eq!(
        read(store, |tx| tx.get_bucket("conf-populated")),
        Some(bucket("conf-populated", owner))
    );
    assert_eq!(
        get(store, "conf-populated", "kept", None),
        Some(latest(object(
            "conf-populated",
            "kept",
            NULL_VERSION,
            900,
            9
        )))
    );
    assert_eq!(
        read(store, |tx| tx.list_parts(
            "conf-populated",
            "mpu-kept",
            0,
            10
        ))
        .parts,
        [part(1, 901, 9)]
    );
}
