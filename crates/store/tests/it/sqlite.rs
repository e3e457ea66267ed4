//! The SQLite backend on disk and in memory.

use roleplay_store::testsuite;
use roleplay_store::{DB_FILE, SqliteStore, Store, StoreError, StoreExt, User, WriteError};
use std::sync::Arc;

#[test]
fn conformance_in_memory() {
    let store = SqliteStore::open_in_memory().unwrap();
    testsuite::conformance(&store);
}

#[test]
fn conformance_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    testsuite::conformance(&store);
    store.integrity_check().unwrap();
}

#[test]
fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    {
        let store = SqliteStore::open(&data).unwrap();
        testsuite::populate(&store);
        testsuite::conformance(&store);
    }
    assert!(data.join(DB_FILE).is_file());
    let store = SqliteStore::open(&data).unwrap();
    store.integrity_check().unwrap();
    testsuite::check_populated(&store);
    assert_eq!(store.schema_version().unwrap(), 5);
}

/// A second store (as a second server would) cannot open a data directory in use, and can
/// once the first is gone.
#[test]
fn a_data_directory_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = SqliteStore::open(dir.path()).unwrap();
    let refused = SqliteStore::open(dir.path()).unwrap_err();
    let text = format!("{refused} {:?}", std::error::Error::source(&refused));
    assert!(
        text.contains("in use by another roleplay process"),
        "{text}"
    );
    drop(first);
    SqliteStore::open(dir.path()).unwrap();
}

#[test]
fn the_file_uses_wal() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute(
        "UPDATE meta SET value = 99 WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    drop(conn);
    match SqliteStore::open(dir.path()) {
        Err(StoreError::UnsupportedSchema { found, supported }) => {
            assert_eq!((found, supported), (99, 5));
        }
        other => panic!("expected UnsupportedSchema, got {other:?}"),
    }
}

#[test]
fn readers_run_beside_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let account = testsuite::account_id(200_000_000_001);
    store
        .write(|tx| tx.create_account(&testsuite::account(&account)))
        .unwrap();
    let writer = {
        let store = Arc::clone(&store);
        let account = account.clone();
        std::thread::spawn(move || {
            for i in 0..50 {
                let user = testsuite::user(&account, &format!("u{i:03}"), "/");
                store.write(|tx| tx.create_user(&user)).unwrap();
            }
        })
    };
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let store = Arc::clone(&store);
            let account = account.clone();
            std::thread::spawn(move || {
                let mut last = 0;
                while last < 50 {
                    let users: Vec<User> = store
                        .read(|tx| {
                            Ok::<_, StoreError>(
                                tx.list_users(&account, &roleplay_store::ListQuery::all())?
                                    .items,
                            )
                        })
                        .unwrap();
                    assert!(users.len() >= last, "a reader never goes back in time");
                    last = users.len();
                }
            })
        })
        .collect();
    writer.join().unwrap();
    for reader in readers {
        reader.join().unwrap();
    }
}

#[test]
fn a_panicking_writer_leaves_the_store_usable() {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let account = testsuite::account_id(200_000_000_002);
    let panicked = {
        let store = Arc::clone(&store);
        let account = account.clone();
        std::thread::spawn(move || {
            let _ = store.write(|tx| -> Result<(), WriteError> {
                tx.create_account(&testsuite::account(&account))?;
                panic!("the closure fails midway");
            });
        })
        .join()
    };
    assert!(panicked.is_err());
    let dyn_store: &dyn Store = store.as_ref();
    assert_eq!(
        dyn_store.read(|tx| tx.get_account(&account)).unwrap(),
        None,
        "the panicking transaction was rolled back"
    );
    dyn_store
        .write(|tx| tx.create_account(&testsuite::account(&account)))
        .unwrap();
}

#[test]
fn a_version_1_database_gains_the_s3_tables() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        testsuite::populate(&store);
    }
    // Take the database back to version 1: the S3 part of `populate` goes with its
    // tables (and its objects with the log the migration writes anew).
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute_batch(
        "DROP TABLE buckets;
         UPDATE meta SET value = 1 WHERE key = 'schema_version';",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), 5);
    store.integrity_check().unwrap();
    let account = testsuite::account_id(100_000_000_100);
    assert!(
        store
            .read(|tx| tx.get_user(&account, "persisted"))
            .unwrap()
            .is_some(),
        "version 1 data is kept"
    );
    testsuite::s3::populate(&store, &account);
    testsuite::check_populated(&store);
}

/// Resident memory of this process in KiB (Linux), if known.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn large_bodies_stream_in_bounded_memory() {
    use roleplay_store::{BlobStore, Checksums};
    use std::io::{Read, Write};
    const MIB: usize = 1024 * 1024;
    const TOTAL: usize = 48 * MIB;
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::on_disk(dir.path()).unwrap();
    let mut chunk = vec![0u8; MIB];
    let before = rss_kib();
    let mut writer = blobs.begin(Checksums::ALL).unwrap();
    for i in 0..TOTAL / MIB {
        chunk.fill(u8::try_from(i % 251).unwrap());
        writer.write_all(&chunk).unwrap();
    }
    let blob = writer.commit().unwrap();
    assert_eq!(blob.size, u64::try_from(TOTAL).unwrap());
    let mut body = blobs.open_body(&[blob.segment()]).unwrap();
    let mut read = 0usize;
    loop {
        let n = body.read(&mut chunk).unwrap();
        if n == 0 {
            break;
        }
        assert!(
            chunk[..n]
                .iter()
                .all(|&b| usize::from(b) == (read / MIB) % 251)
        );
        read += n;
    }
    assert_eq!(read, TOTAL);
    if let (Some(before), Some(after)) = (before, rss_kib()) {
        let growth = after.saturating_sub(before);
        assert!(
            growth < 32 * 1024,
            "writing and reading {TOTAL} bytes grew resident memory by {growth} KiB"
        );
    }
}

/// Concurrent writers share commits; every acknowledged write is there after a reopen, and a
/// failing write in a shared commit takes only its own changes back.
#[test]
fn concurrent_writes_are_each_acknowledged_durable() {
    let dir = tempfile::tempdir().unwrap();
    let account = testsuite::account_id(200_000_000_003);
    {
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        store
            .write(|tx| tx.create_account(&testsuite::account(&account)))
            .unwrap();
        let writers: Vec<_> = (0..8)
            .map(|t| {
                let store = Arc::clone(&store);
                let account = account.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let user = testsuite::user(&account, &format!("t{t}u{i:02}"), "/");
                        store.write(|tx| tx.create_user(&user)).unwrap();
                        // A duplicate fails alone, whatever shares its commit.
                        let again = store.write(|tx| tx.create_user(&user));
                        assert!(matches!(again, Err(WriteError::AlreadyExists(_))));
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    let users = store
        .read(|tx| tx.list_users(&account, &roleplay_store::ListQuery::all()))
        .unwrap();
    assert_eq!(users.items.len(), 200);
    store.integrity_check().unwrap();
}

/// The IAM generation moves with IAM and bucket writes: object writes leave the caches valid.
#[test]
fn the_iam_generation_follows_iam_writes() {
    for store in [
        SqliteStore::open_in_memory().unwrap(),
        SqliteStore::open(tempfile::tempdir().unwrap().path()).unwrap(),
    ] {
        let account = testsuite::account_id(200_000_000_004);
        let g0 = store.iam_generation();
        store
            .write(|tx| tx.create_account(&testsuite::account(&account)))
            .unwrap();
        let g1 = store.iam_generation();
        assert_ne!(g0, g1, "creating an account is an IAM change");
        let bucket = roleplay_store::testsuite::s3::bucket("gen-bucket", &account);
        store.write(|tx| tx.create_bucket(&bucket)).unwrap();
        let g1 = store.iam_generation();
        assert_ne!(
            g0, g1,
            "a bucket's configuration is cached under the generation"
        );
        let object = roleplay_store::testsuite::s3::object("gen-bucket", "k", "null", 1, 4);
        store.write(|tx| tx.put_object_version(&object)).unwrap();
        assert_eq!(store.iam_generation(), g1, "object writes leave it alone");
        let user = testsuite::user(&account, "someone", "/");
        let failed = store.write(|tx| -> Result<(), WriteError> {
            tx.create_user(&user)?;
            Err(WriteError::NotFound(roleplay_store::Entity::User))
        });
        assert!(failed.is_err());
        assert_eq!(
            store.iam_generation(),
            g1,
            "a rolled-back write changes nothing"
        );
        store.write(|tx| tx.create_user(&user)).unwrap();
        assert_ne!(store.iam_generation(), g1);
    }
}

/// The object generation moves with object writes only; a write transaction has none.
#[test]
fn the_object_generation_follows_object_writes() {
    for store in [
        SqliteStore::open_in_memory().unwrap(),
        SqliteStore::open(tempfile::tempdir().unwrap().path()).unwrap(),
    ] {
        let generation = || {
            store
                .read(|tx| Ok::<_, WriteError>(tx.object_generation()))
                .unwrap()
        };
        let account = testsuite::account_id(200_000_000_005);
        let g0 = generation();
        assert!(g0.is_some(), "a read transaction has one");
        store
            .write(|tx| tx.create_account(&testsuite::account(&account)))
            .unwrap();
        let bucket = roleplay_store::testsuite::s3::bucket("objgen-bucket", &account);
        store.write(|tx| tx.create_bucket(&bucket)).unwrap();
        assert_eq!(generation(), g0, "IAM and bucket writes leave it alone");
        let object = roleplay_store::testsuite::s3::object("objgen-bucket", "k", "null", 1, 4);
        store.write(|tx| tx.put_object_version(&object)).unwrap();
        let g1 = generation();
        assert_ne!(g1, g0, "an object write moves it");
        let failed = store.write(|tx| -> Result<(), WriteError> {
            tx.put_object_version(&object)?;
            Err(WriteError::NotFound(roleplay_store::Entity::User))
        });
        assert!(failed.is_err());
        assert_eq!(generation(), g1, "a rolled-back write changes nothing");
        let in_write = store
            .write(|tx| Ok::<_, WriteError>(tx.object_generation()))
            .unwrap();
        assert_eq!(in_write, None, "nothing read in a write may be cached");
    }
}

/// A read that runs no statement begins nothing; reads before and after it, on the same
/// pooled connections, each see the last commit.
#[test]
fn reads_without_statements_leave_nothing_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    for n in 0..4u64 {
        store.read(|_| Ok::<_, WriteError>(())).unwrap();
        let account = testsuite::account_id(200_000_000_010 + n);
        store
            .write(|tx| tx.create_account(&testsuite::account(&account)))
            .unwrap();
        store.read(|_| Ok::<_, WriteError>(())).unwrap();
        let found = store
            .read(|tx| Ok::<_, WriteError>(tx.get_account(&account)?))
            .unwrap();
        assert!(found.is_some(), "read {n} sees the commit before it");
    }
}

/// A database from before the object log (schema 4, written by that build: see
/// `tests/vectors/README.md`) opens with every object version, delete marker, upload and
/// part moved into the log, bodies inline or in blobs as they were, and its object tables
/// gone; a second opening reads them back from the log alone.
#[test]
fn a_schema_4_database_moves_its_objects_into_the_log() {
    use roleplay_store::testsuite::s3::{blob, segment};
    use roleplay_store::{LOG_FILE, ListEntry, NULL_VERSION, ObjectQuery, VersionQuery};
    let dir = tempfile::tempdir().unwrap();
    let vector = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/schema4-objects.db"
    );
    std::fs::copy(vector, dir.path().join(DB_FILE)).unwrap();
    let inline = |n: u64, text: &'static str| roleplay_store::Segment {
        inline: Some(bytes::Bytes::from_static(text.as_bytes())),
        ..segment(n, text.len() as u64)
    };
    for round in 0..2 {
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), 5);
        store.integrity_check().unwrap();
        assert!(dir.path().join(LOG_FILE).is_file());
        let get = |bucket: &str, key: &str, v: Option<&str>| {
            store.read(|tx| tx.get_object(bucket, key, v)).unwrap()
        };
        let old = get("mig-bkt", "old", None).unwrap();
        assert_eq!(old.body, [segment(901, 9)], "round {round}");
        assert!(old.is_latest);
        let small = get("mig-bkt", "small", None).unwrap();
        assert_eq!(small.body, [inline(902, "hello")]);
        assert_eq!(small.headers.content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            small.metadata.get("colour").map(String::as_str),
            Some("blue")
        );
        let latest = get("mig-bkt", "versioned", None).unwrap();
        assert!(latest.delete_marker && latest.version_id == "v3");
        assert_eq!(
            get("mig-bkt", "versioned", Some("v1")).unwrap().body,
            [inline(903, "one")]
        );
        let multi = get("mig-bkt", "multi", Some(NULL_VERSION)).unwrap();
        assert_eq!(multi.body, [segment(905, 4), segment(906, 6)]);
        assert_eq!(multi.parts_count, Some(2));
        assert_eq!(
            get("mig-other", "a/b", None).unwrap().body,
            [inline(907, "ab")]
        );

        let keys: Vec<String> = store
            .read(|tx| {
                tx.list_objects(
                    "mig-bkt",
                    &ObjectQuery {
                        max_keys: 100,
                        ..ObjectQuery::default()
                    },
                )
            })
            .unwrap()
            .entries
            .into_iter()
            .map(|e| match e {
                ListEntry::Item(v) => v.key,
                ListEntry::CommonPrefix(p) => p,
            })
            .collect();
        assert_eq!(keys, ["multi", "old", "small"]);
        let versions: Vec<(String, bool)> = store
            .read(|tx| {
                tx.list_object_versions(
                    "mig-bkt",
                    &VersionQuery {
                        prefix: "versioned".into(),
                        max_keys: 100,
                        ..VersionQuery::default()
                    },
                )
            })
            .unwrap()
            .entries
            .into_iter()
            .filter_map(|e| match e {
                ListEntry::Item(v) => Some((v.version_id, v.is_latest)),
                ListEntry::CommonPrefix(_) => None,
            })
            .collect();
        assert_eq!(
            versions,
            [
                ("v3".into(), true),
                ("v2".into(), false),
                ("v1".into(), false)
            ]
        );

        let upload = store
            .read(|tx| tx.get_upload("mig-bkt", "mpu-1"))
            .unwrap()
            .unwrap();
        assert_eq!(upload.key, "big.bin");
        assert_eq!(upload.checksum_algorithm.as_deref(), Some("CRC32"));
        let parts = store
            .read(|tx| tx.list_parts("mig-bkt", "mpu-1", 0, 100))
            .unwrap()
            .parts;
        let numbers: Vec<u32> = parts.iter().map(|p| p.number).collect();
        assert_eq!(numbers, [1, 2]);
        for n in [901, 905, 906, 911] {
            assert!(
                store.read(|tx| tx.blob_in_use(&blob(n))).unwrap(),
                "blob {n}"
            );
        }
    }
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name IN \
             ('object_versions', 'object_segments', 'uploads', 'parts')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0);
    drop(conn);
    // The moved upload completes: its inline part comes back from the log.
    let store = SqliteStore::open(dir.path()).unwrap();
    let target = roleplay_store::testsuite::s3::object("mig-bkt", "big.bin", NULL_VERSION, 0, 0);
    store
        .write(|tx| tx.complete_upload("mig-bkt", "mpu-1", &[1, 2], &target))
        .unwrap();
    let done = store
        .read(|tx| tx.get_object("mig-bkt", "big.bin", None))
        .unwrap()
        .unwrap();
    assert_eq!(
        done.body,
        [
            roleplay_store::Segment {
                size: 7,
                ..segment(911, 7)
            },
            inline(912, "tail")
        ]
    );
}

/// Queued writes beside blocking ones: each completion comes once, after its write is
/// visible; a failing or panicking job is undone alone; dropping the store finishes the
/// queue; everything acknowledged is there after a reopen.
#[test]
fn queued_writes_are_acknowledged_after_their_commit() {
    use std::sync::mpsc;
    let dir = tempfile::tempdir().unwrap();
    let account = testsuite::account_id(200_000_000_004);
    let (acks, acked) = mpsc::channel::<(String, Result<(), WriteError>)>();
    {
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        store
            .write(|tx| tx.create_account(&testsuite::account(&account)))
            .unwrap();
        let blocking = {
            let (store, account) = (Arc::clone(&store), account.clone());
            std::thread::spawn(move || {
                for i in 0..50 {
                    let user = testsuite::user(&account, &format!("b{i:02}"), "/");
                    store.write(|tx| tx.create_user(&user)).unwrap();
                }
            })
        };
        for i in 0..300 {
            let name = format!("q{i:03}");
            let user = testsuite::user(&account, &name, "/");
            let (acks, check, account) = (acks.clone(), Arc::clone(&store), account.clone());
            store.write_then(
                move |tx| {
                    if i % 50 == 7 {
                        panic!("a job that panics");
                    }
                    tx.create_user(&user)?;
                    if i % 50 == 9 {
                        // Fails after writing: its user must not stay.
                        tx.create_user(&user)?;
                    }
                    Ok::<_, WriteError>(())
                },
                move |outcome| {
                    if outcome.is_ok() {
                        let seen = check.read(|tx| tx.get_user(&account, &name)).unwrap();
                        assert!(seen.is_some(), "{name} acknowledged before it is visible");
                    }
                    acks.send((name, outcome)).unwrap();
                },
            );
        }
        blocking.join().unwrap();
    }
    drop(acks);
    let outcomes: Vec<_> = acked.iter().collect();
    assert_eq!(outcomes.len(), 300, "every queued write is told once");
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|(_, o)| o.is_err())
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(failed.len(), 12, "{failed:?}");
    let store = SqliteStore::open(dir.path()).unwrap();
    let users = store
        .read(|tx| tx.list_users(&account, &roleplay_store::ListQuery::all()))
        .unwrap();
    assert_eq!(users.items.len(), 50 + 300 - 12);
    for name in failed {
        assert!(users.items.iter().all(|u| u.name != name), "{name} stayed");
    }
    store.integrity_check().unwrap();
}

/// A completion that panics is contained: the writes queued after it still run.
#[test]
fn a_panicking_completion_does_not_stop_the_queue() {
    let store = SqliteStore::open(tempfile::tempdir().unwrap().path()).unwrap();
    let account = testsuite::account_id(200_000_000_005);
    store.write_then(
        {
            let account = account.clone();
            move |tx| tx.create_account(&testsuite::account(&account))
        },
        |_: Result<(), WriteError>| panic!("a completion that panics"),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let user = testsuite::user(&account, "after", "/");
    store.write_then(
        move |w| w.create_user(&user),
        move |outcome: Result<(), WriteError>| tx.send(outcome.is_ok()).unwrap(),
    );
    assert_eq!(
        rx.recv_timeout(std::time::Duration::from_secs(10)),
        Ok(true),
        "the next queued write ran and succeeded"
    );
}

/// Pages committed to the WAL are copied into the database file beside the writer, and
/// the log starts over instead of growing: under a stream of writes several times the
/// rewinding length, the log stays within twice that length, and every write is there
/// after a reopen.
#[test]
fn the_log_is_copied_and_rewound_under_a_stream_of_writes() {
    use roleplay_store::{InlinePolicy, PrincipalRef};
    const FRAME: u64 = 4096 + 24;
    const REWIND_FRAMES: u64 = 4000;
    let dir = tempfile::tempdir().unwrap();
    let wal = dir.path().join(format!("{DB_FILE}-wal"));
    let account = testsuite::account_id(200_000_000_006);
    let owner = PrincipalRef::user(&account, "writer");
    // Each write replaces a 16 KiB document: five pages or so of log, some 20,000 in all.
    let document = |i: usize| format!("{i:016}").repeat(1024);
    let mut longest = 0;
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store
            .write(|tx| tx.create_account(&testsuite::account(&account)))
            .unwrap();
        let user = testsuite::user(&account, "writer", "/");
        store.write(|tx| tx.create_user(&user)).unwrap();
        for i in 0..4000 {
            let policy = InlinePolicy {
                name: format!("p{:02}", i % 50),
                document: document(i),
            };
            store
                .write(|tx| tx.put_inline_policy(&owner, &policy))
                .unwrap();
            longest = longest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
    }
    assert!(
        longest <= 2 * REWIND_FRAMES * FRAME,
        "the log grew to {longest} bytes"
    );
    let store = SqliteStore::open(dir.path()).unwrap();
    store.integrity_check().unwrap();
    for i in 4000 - 50..4000 {
        let name = format!("p{:02}", i % 50);
        let got = store
            .read(|tx| tx.get_inline_policy(&owner, &name))
            .unwrap()
            .unwrap();
        assert_eq!(got.document, document(i), "{name}");
    }
}

/// Queued object writes, many to a batch: each reads every write queued before it (bodies
/// too, in its own batch or committed), and each is visible once it is acknowledged and
/// after a reopen.
#[test]
fn queued_object_writes_see_the_writes_before_them() {
    use roleplay_store::testsuite::s3::{bucket, object};
    use std::sync::mpsc;
    let dir = tempfile::tempdir().unwrap();
    let owner = testsuite::account_id(200_000_000_005);
    let (acks, acked) = mpsc::channel::<Result<(), WriteError>>();
    let n = 600u64;
    {
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        store
            .write(|tx| {
                tx.create_account(&testsuite::account(&owner))?;
                tx.create_bucket(&bucket("flights", &owner))
            })
            .unwrap();
        for i in 0..n {
            let (acks, check) = (acks.clone(), Arc::clone(&store));
            store.write_then(
                move |tx| {
                    let before = tx.get_object("flights", "counter", None)?;
                    let seen = before.as_ref().map(|v| {
                        let body = v.body.first().and_then(|s| s.inline.clone());
                        (v.etag.clone(), body.map(|b| b.to_vec()))
                    });
                    let expected = (i > 0).then(|| {
                        (
                            format!("\"etag-{i}\""),
                            Some((i - 1).to_le_bytes().to_vec()),
                        )
                    });
                    if seen != expected {
                        return Err(WriteError::from(StoreError::Backend(
                            format!("write {i} read {seen:?}").into(),
                        )));
                    }
                    let mut counter = object("flights", "counter", "null", i + 1, 8);
                    if let Some(s) = counter.body.first_mut() {
                        s.inline = Some(i.to_le_bytes().to_vec().into());
                    }
                    tx.put_object_version(&counter)?;
                    tx.put_object_version(&object("flights", &format!("k{i:04}"), "null", 0, 0))?;
                    Ok(())
                },
                move |outcome: Result<(), WriteError>| {
                    if outcome.is_ok() {
                        let key = format!("k{i:04}");
                        let seen = check.read(|tx| tx.get_object("flights", &key, None));
                        assert!(
                            seen.unwrap().is_some(),
                            "{key} acknowledged before it is visible"
                        );
                    }
                    acks.send(outcome).unwrap();
                },
            );
        }
    }
    drop(acks);
    let outcomes: Vec<_> = acked.iter().collect();
    assert_eq!(
        outcomes.len(),
        n as usize,
        "every queued write is told once"
    );
    for o in &outcomes {
        assert!(o.is_ok(), "{o:?}");
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    let counter = store
        .read(|tx| tx.get_object("flights", "counter", None))
        .unwrap()
        .unwrap();
    assert_eq!(counter.etag, format!("\"etag-{n}\""));
    let keys = store
        .read(|tx| {
            tx.list_objects(
                "flights",
                &roleplay_store::ObjectQuery {
                    max_keys: 1000,
                    ..roleplay_store::ObjectQuery::default()
                },
            )
        })
        .unwrap();
    assert_eq!(keys.entries.len(), n as usize + 1);
}

/// Writes queued with a body to hash, from several threads and between plain writes: each
/// is handed its own body's MD5 (the writer hashes the bodies of a run of writes side by
/// side, lengths mixed), and what it stored is there after a reopen. A store that runs
/// queued writes where they are queued (the trait's default) hands the same digests.
#[test]
fn queued_writes_get_the_md5_of_their_own_body() {
    use md5::Digest as _;
    use roleplay_store::testsuite::s3::{bucket, object};
    use std::sync::mpsc;

    /// Only what a store must have: queued writes take the trait's defaults.
    struct Plain(SqliteStore);
    impl Store for Plain {
        fn read_tx(
            &self,
            f: &mut dyn FnMut(&dyn roleplay_store::ReadTx) -> Result<(), StoreError>,
        ) -> Result<(), StoreError> {
            self.0.read_tx(f)
        }
        fn write_tx(
            &self,
            f: &mut dyn FnMut(&mut dyn roleplay_store::WriteTx) -> Result<(), StoreError>,
        ) -> Result<(), StoreError> {
            self.0.write_tx(f)
        }
        fn iam_generation(&self) -> u64 {
            self.0.iam_generation()
        }
    }

    fn body(i: usize) -> Vec<u8> {
        // 0 to 9,000 bytes: one or two padding blocks, lanes of different lengths.
        let len = (i * 7919) % 9001;
        (0..len).map(|j| (j ^ (i * 31)) as u8).collect()
    }

    fn run(store: Arc<dyn Store + Send + Sync>, n: usize) {
        let owner = testsuite::account_id(200_000_000_006);
        store
            .write(|tx| {
                tx.create_account(&testsuite::account(&owner))?;
                tx.create_bucket(&bucket("hashed", &owner))
            })
            .unwrap();
        let (acks, acked) = mpsc::channel::<(usize, Result<String, WriteError>)>();
        std::thread::scope(|s| {
            for t in 0..4 {
                let (store, acks) = (Arc::clone(&store), acks.clone());
                s.spawn(move || {
                    for i in (t..n).step_by(4) {
                        let acks = acks.clone();
                        if i % 5 == 0 {
                            // A plain write among them.
                            store.write_then(
                                move |tx| {
                                    tx.put_object_version(&object(
                                        "hashed",
                                        &format!("k{i:04}"),
                                        "null",
                                        0,
                                        0,
                                    ))?;
                                    Ok(String::new())
                                },
                                move |out| acks.send((i, out)).unwrap(),
                            );
                            continue;
                        }
                        store.write_then_md5(
                            body(i).into(),
                            move |tx, md5| {
                                let mut v = object("hashed", &format!("k{i:04}"), "null", 0, 0);
                                v.etag = hex::encode(md5);
                                tx.put_object_version(&v)?;
                                Ok(v.etag)
                            },
                            move |out| acks.send((i, out)).unwrap(),
                        );
                    }
                });
            }
        });
        drop(acks);
        let mut told: Vec<_> = acked.iter().collect();
        told.sort_by_key(|(i, _)| *i);
        assert_eq!(told.len(), n, "every queued write is told once");
        for (i, out) in told {
            let want = if i % 5 == 0 {
                String::new()
            } else {
                hex::encode(md5::Md5::digest(body(i)))
            };
            assert_eq!(out.unwrap(), want, "write {i}");
        }
    }

    let dir = tempfile::tempdir().unwrap();
    run(Arc::new(SqliteStore::open(dir.path()).unwrap()), 700);
    let store = SqliteStore::open(dir.path()).unwrap();
    for i in (1..700).filter(|i| i % 5 != 0) {
        let v = store
            .read(|tx| tx.get_object("hashed", &format!("k{i:04}"), None))
            .unwrap()
            .unwrap();
        assert_eq!(v.etag, hex::encode(md5::Md5::digest(body(i))), "k{i:04}");
    }
    run(Arc::new(Plain(SqliteStore::open_in_memory().unwrap())), 60);
}

/// The writer remembers the buckets it reads (every PutObject reads its own): queued
/// writes, sharing batches or each in its own, still see each change to a bucket made
/// before them, its creation after it was found missing, its deletion, and not a change
/// that failed.
#[test]
fn queued_writes_see_each_change_to_a_bucket_before_them() {
    use roleplay_store::testsuite::s3::{bucket, object};
    use roleplay_store::{Versioning, WriteTx};
    use std::sync::mpsc;
    let dir = tempfile::tempdir().unwrap();
    let owner = testsuite::account_id(200_000_000_006);
    let (acks, acked) = mpsc::channel::<(u64, Result<(), WriteError>)>();
    let rounds = 120u64;
    type Job = Box<dyn FnOnce(&mut dyn WriteTx) -> Result<(), WriteError> + Send>;
    {
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        store
            .write(|tx| {
                tx.create_account(&testsuite::account(&owner))?;
                tx.create_bucket(&bucket("steady", &owner))
            })
            .unwrap();
        // Even rounds queue their writes at once, so they share batches; odd rounds wait for
        // each, so every write is a batch and the memo lives across commits.
        let queue = |step: u64, job: Job| {
            let (acks, (landed, wait)) = (acks.clone(), mpsc::channel());
            store.write_then(job, move |outcome| {
                acks.send((step, outcome)).unwrap();
                landed.send(()).unwrap();
            });
            if (step / 10) % 2 == 1 {
                wait.recv().unwrap();
            }
        };
        let fail = |what: String| WriteError::from(StoreError::Backend(what.into()));
        for i in 0..rounds {
            let (name, steady_owner) = (format!("b{i:03}"), owner.clone());
            let mine = owner.clone();
            // Found missing (and so remembered as missing), then made.
            let n = name.clone();
            queue(
                i * 10,
                Box::new(move |tx| match tx.get_bucket(&n)? {
                    None => Ok(()),
                    Some(_) => Err(fail(format!("{n} before its creation"))),
                }),
            );
            let n = name.clone();
            queue(
                i * 10 + 1,
                Box::new(move |tx| tx.create_bucket(&bucket(&n, &mine))),
            );
            let n = name.clone();
            queue(
                i * 10 + 2,
                Box::new(move |tx| {
                    tx.put_object_version(&object(&n, "k", "null", 0, 0))?;
                    Ok(())
                }),
            );
            // A change to a bucket read just before it, and a write that reads it after.
            queue(
                i * 10 + 3,
                Box::new(move |tx| {
                    let _ = tx.get_bucket("steady")?;
                    let mut b = bucket("steady", &steady_owner);
                    b.versioning = if i % 2 == 0 {
                        Versioning::Enabled
                    } else {
                        Versioning::Suspended
                    };
                    b.tags = vec![roleplay_store::Tag {
                        key: "round".into(),
                        value: i.to_string(),
                    }];
                    tx.update_bucket(&b)
                }),
            );
            queue(
                i * 10 + 4,
                Box::new(move |tx| {
                    let b = tx
                        .get_bucket("steady")?
                        .ok_or_else(|| fail("steady gone".into()))?;
                    let want = if i % 2 == 0 {
                        Versioning::Enabled
                    } else {
                        Versioning::Suspended
                    };
                    match b.tags.first() {
                        Some(t) if t.value == i.to_string() && b.versioning == want => Ok(()),
                        _ => Err(fail(format!(
                            "round {i} read {:?} {:?}",
                            b.tags, b.versioning
                        ))),
                    }
                }),
            );
            // A change that fails and is undone leaves the bucket as it was.
            let n = name.clone();
            queue(
                i * 10 + 5,
                Box::new(move |tx| {
                    let mut b = tx
                        .get_bucket("steady")?
                        .ok_or_else(|| fail("steady gone".into()))?;
                    b.tags.clear();
                    tx.update_bucket(&b)?;
                    Err(fail(format!("{n}: undone on purpose")))
                }),
            );
            queue(
                i * 10 + 6,
                Box::new(move |tx| {
                    let b = tx
                        .get_bucket("steady")?
                        .ok_or_else(|| fail("steady gone".into()))?;
                    if b.tags.len() == 1 {
                        Ok(())
                    } else {
                        Err(fail("the undone change was seen".into()))
                    }
                }),
            );
            // Emptied and deleted: the next write to it finds no bucket.
            let n = name.clone();
            queue(
                i * 10 + 7,
                Box::new(move |tx| {
                    tx.delete_object_version(&n, "k", "null")?;
                    tx.delete_bucket(&n)
                }),
            );
            let n = name.clone();
            queue(
                i * 10 + 8,
                Box::new(move |tx| {
                    match tx.put_object_version(&object(&n, "late", "null", 0, 0)) {
                        Err(WriteError::NotFound(_)) => Ok(()),
                        other => Err(fail(format!("{n} after its deletion: {other:?}"))),
                    }
                }),
            );
        }
    }
    drop(acks);
    let mut outcomes: Vec<_> = acked.iter().collect();
    outcomes.sort_by_key(|(step, _)| *step);
    assert_eq!(outcomes.len(), rounds as usize * 9);
    for (step, outcome) in &outcomes {
        if step % 10 == 5 {
            assert!(outcome.is_err(), "step {step}");
        } else {
            assert!(outcome.is_ok(), "step {step}: {outcome:?}");
        }
    }
}

/// A write that runs no SQL (a PutObject whose bucket the writer remembers) shares its
/// batch with writes that do: one that fails undoes only its own changes, with or without
/// statements, and the writes around it land.
#[test]
fn a_failed_write_in_a_shared_batch_undoes_only_its_own_changes() {
    use roleplay_store::WriteTx;
    use roleplay_store::testsuite::s3::{bucket, object};
    use std::sync::mpsc;
    type Job = Box<dyn FnOnce(&mut dyn WriteTx) -> Result<(), WriteError> + Send>;
    let fail = || WriteError::from(StoreError::Backend("refused on purpose".into()));
    let dir = tempfile::tempdir().unwrap();
    for store in [
        SqliteStore::open(dir.path()).unwrap(),
        SqliteStore::open_in_memory().unwrap(),
    ] {
        let owner = testsuite::account_id(200_000_000_007);
        store
            .write(|tx| {
                tx.create_account(&testsuite::account(&owner))?;
                tx.create_bucket(&bucket("steady", &owner))
            })
            .unwrap();
        // A committed PutObject: the writer now remembers the bucket.
        let (warm, warmed) = mpsc::channel();
        store.write_then(
            |tx| tx.put_object_version(&object("steady", "warm", "null", 1, 4)),
            move |r| warm.send(r.map(|_| ())).unwrap(),
        );
        warmed.recv().unwrap().unwrap();

        // The first job holds the writer until the rest are queued: one batch for all.
        let (open, gate) = mpsc::channel::<()>();
        let (acks, acked) = mpsc::channel::<(usize, Result<(), WriteError>)>();
        let put = |key: &'static str| object("steady", key, "null", 2, 4);
        let jobs: Vec<Job> = vec![
            Box::new(move |tx| {
                gate.recv().unwrap();
                tx.put_object_version(&put("kept")).map(|_| ())
            }),
            Box::new(move |tx| {
                tx.put_object_version(&put("undone"))?;
                Err(fail())
            }),
            Box::new(move |_| Err(fail())),
            {
                let owner = owner.clone();
                Box::new(move |tx| tx.create_bucket(&bucket("made", &owner)))
            },
            {
                let owner = owner.clone();
                Box::new(move |tx| {
                    tx.create_bucket(&bucket("refused", &owner))?;
                    tx.put_object_version(&object("refused", "k", "null", 3, 4))?;
                    Err(fail())
                })
            },
            Box::new(move |tx| tx.put_object_version(&put("after")).map(|_| ())),
        ];
        let n = jobs.len();
        for (i, job) in jobs.into_iter().enumerate() {
            let acks = acks.clone();
            store.write_then(job, move |r| acks.send((i, r)).unwrap());
        }
        open.send(()).unwrap();
        let mut outcomes: Vec<_> = acked.iter().take(n).collect();
        outcomes.sort_by_key(|(i, _)| *i);
        let ok: Vec<bool> = outcomes.iter().map(|(_, r)| r.is_ok()).collect();
        assert_eq!(ok, [true, false, false, true, false, true]);

        let object_in = |b: &str, k: &str| {
            store
                .read(|tx| tx.get_object(b, k, None))
                .unwrap()
                .is_some()
        };
        assert!(object_in("steady", "kept"));
        assert!(object_in("steady", "after"));
        assert!(
            !object_in("steady", "undone"),
            "the failed put left its object"
        );
        let bucket_exists = |b: &str| store.read(|tx| tx.get_bucket(b)).unwrap().is_some();
        assert!(bucket_exists("made"));
        assert!(
            !bucket_exists("refused"),
            "the failed write left its bucket"
        );
        assert!(!object_in("refused", "k"));
    }
}
