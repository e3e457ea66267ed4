//! `kill -9` while objects are written loses no acknowledged object, shows no half-written
//! one, and leaves no stray blob once the startup sweeps have run.
//!
//! The writer ([`object_writer_child`], run again from this binary) commits a body as a blob,
//! then the object version that refers to it, prints `ack KEY SEQ`, and deletes the blobs the
//! write released. Keys are reused, so bodies are replaced and released all the time; every
//! tenth write is a three-part multipart upload. The parent kills the writer at a random
//! moment, reopens everything, sweeps temp files and orphans, and checks every key against
//! its last acknowledged write byte for byte.

use roleplay_store::testsuite::{self, account_id};
use roleplay_store::{
    BlobStore, Checksums, ContentHeaders, ListEntry, MultipartUpload, NULL_VERSION, ObjectQuery,
    ObjectVersion, Part, SqliteStore, StoreError, StoreExt, WriteError,
};
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DIR_VAR: &str = "ROLEPLAY_STORE_OBJECT_CRASH_DIR";
const ROUND_VAR: &str = "ROLEPLAY_STORE_OBJECT_CRASH_ROUND";
const ROUNDS: u32 = 10;
const BUCKET: &str = "crash-bucket";
const KEYS: u32 = 40;

/// The write number `(round, index)` that produced a body.
type Seq = (u32, u32);

fn seq_text((round, i): Seq) -> String {
    format!("{round}-{i}")
}

fn parse_seq(text: &str) -> Seq {
    let (round, i) = text.split_once('-').unwrap();
    (round.parse().unwrap(), i.parse().unwrap())
}

/// The body of write `seq`: up to 192 KiB of bytes that only this write has.
fn body_for(seq: Seq) -> Vec<u8> {
    let mut state = u64::from(seq.0) << 32 | u64::from(seq.1);
    state = state.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let len = usize::try_from(state % (192 * 1024)).unwrap();
    let len = if seq.1 % 13 == 5 { 0 } else { len };
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

fn key_for(seq: Seq) -> String {
    format!("dir/../k {:02} é", (seq.0 * 7 + seq.1) % KEYS)
}

fn version(key: &str, seq: Seq) -> ObjectVersion {
    let mut v = ObjectVersion::delete_marker(
        BUCKET,
        key,
        NULL_VERSION,
        &account_id(300_000_000_002),
        testsuite::at(1),
    );
    v.delete_marker = false;
    v.metadata.insert("seq".to_owned(), seq_text(seq));
    v
}

/// The writer: a no-op unless started by [`kill_9_loses_no_acknowledged_object`].
#[test]
fn object_writer_child() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return;
    };
    let round: u32 = std::env::var(ROUND_VAR).unwrap().parse().unwrap();
    let store = SqliteStore::open(&dir).unwrap();
    let blobs = BlobStore::on_disk(&dir).unwrap();
    let account = account_id(300_000_000_002);
    store
        .write(|tx| {
            match tx.create_account(&testsuite::account(&account)) {
                Err(WriteError::AlreadyExists(_)) | Ok(()) => {}
                Err(e) => return Err(e),
            }
            match tx.create_bucket(&testsuite::s3::bucket(BUCKET, &account)) {
                Err(WriteError::AlreadyExists(_)) => Ok(()),
                other => other,
            }
        })
        .unwrap();
    let mut stdout = std::io::stdout().lock();
    let started = Instant::now();
    for i in 0..1_000_000u32 {
        if started.elapsed() > Duration::from_secs(20) {
            break;
        }
        let seq = (round, i);
        let key = key_for(seq);
        let body = body_for(seq);
        let released = if i % 10 == 9 {
            write_multipart(&store, &blobs, &key, seq, &body)
        } else {
            let mut writer = blobs.begin(Checksums::ALL).unwrap();
            for chunk in body.chunks(8 * 1024) {
                writer.write_all(chunk).unwrap();
            }
            let blob = writer.commit().unwrap();
            let mut v = version(&key, seq);
            v.size = blob.size;
            v.etag = blob.etag().unwrap();
            v.body = vec![blob.segment()];
            store.write(|tx| tx.put_object_version(&v)).unwrap()
        };
        writeln!(stdout, "ack {}", seq_text(seq)).unwrap();
        stdout.flush().unwrap();
        blobs.delete_all(&released).unwrap();
    }
}

/// A three-part upload of `body`: each part's blob is committed before the part is.
fn write_multipart(
    store: &SqliteStore,
    blobs: &BlobStore,
    key: &str,
    seq: Seq,
    body: &[u8],
) -> Vec<roleplay_store::BlobId> {
    let upload_id = format!("upload-{}", seq_text(seq));
    let account = account_id(300_000_000_002);
    let upload = MultipartUpload {
        upload_id: upload_id.clone(),
        bucket: BUCKET.to_owned(),
        key: key.to_owned(),
        initiated: testsuite::at(2),
        initiator: "arn:aws:iam::300000000002:root".to_owned(),
        owner: account,
        headers: ContentHeaders::default(),
        metadata: BTreeMap::new(),
        checksum_algorithm: None,
        tags: Vec::new(),
        storage_class: "STANDARD".to_owned(),
        acl: None,
    };
    store.write(|tx| tx.create_upload(&upload)).unwrap();
    let third = body.len() / 3 + 1;
    let mut numbers = Vec::new();
    for (number, chunk) in
        (1u32..).zip(body.chunks(third).chain(body.is_empty().then_some(&[][..])))
    {
        let blob = blobs.put(chunk, Checksums::NONE).unwrap();
        let part = Part {
            number,
            size: blob.size,
            etag: blob.etag().unwrap(),
            checksum: None,
            blob: blob.id,
            inline: blob.inline,
            last_modified: testsuite::at(3),
        };
        let released = store
            .write(|tx| tx.put_part(BUCKET, &upload_id, &part))
            .unwrap();
        assert!(released.is_empty());
        numbers.push(number);
    }
    let mut v = version(key, seq);
    v.etag = format!("\"multipart-{}\"", numbers.len());
    store
        .write(|tx| tx.complete_upload(BUCKET, &upload_id, &numbers, &v))
        .unwrap()
}

fn random_below(n: u64) -> u64 {
    RandomState::new().build_hasher().finish() % n
}

#[test]
fn kill_9_loses_no_acknowledged_object() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    // The last acknowledged write of every key.
    let mut acknowledged: HashMap<String, Seq> = HashMap::new();
    let mut acks = 0usize;
    let mut swept = 0usize;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                "crash_objects::object_writer_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DIR_VAR, dir.path())
            .env(ROUND_VAR, round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines_rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some((_, seq)) = line.split_once("ack ")
                    && lines_tx.send(parse_seq(seq)).is_err()
                {
                    break;
                }
            }
        });
        let first = lines_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the writer acknowledges a first object");
        std::thread::sleep(Duration::from_millis(random_below(800)));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        for seq in std::iter::once(first).chain(lines_rx.try_iter()) {
            acknowledged.insert(key_for(seq), seq);
            acks += 1;
        }

        // Restart: the store, the blob directory (temp files go), the orphan sweep.
        let store = SqliteStore::open(dir.path()).unwrap();
        store.integrity_check().unwrap();
        let blobs = BlobStore::on_disk(dir.path()).unwrap();
        assert_eq!(blobs.temp_files().unwrap(), 0, "temp files are swept");
        let report = blobs.sweep_orphans(&store).unwrap();
        swept += report.removed;

        let objects: Vec<ObjectVersion> = store
            .read(|tx| {
                let q = ObjectQuery {
                    max_keys: 1000,
                    ..ObjectQuery::default()
                };
                let listing = tx.list_objects(BUCKET, &q)?;
                Ok::<_, StoreError>(
                    listing
                        .entries
                        .into_iter()
                        .filter_map(|e| match e {
                            ListEntry::Item(v) => Some(v),
                            ListEntry::CommonPrefix(_) => None,
                        })
                        .collect(),
                )
            })
            .unwrap();
        let present: HashMap<&str, &ObjectVersion> =
            objects.iter().map(|v| (v.key.as_str(), v)).collect();
        for (key, &acked) in &acknowledged {
            let v = present
                .get(key.as_str())
                .unwrap_or_else(|| panic!("round {round}: {key:?} acknowledged but lost"));
            let seq = parse_seq(&v.metadata["seq"]);
            assert!(
                seq >= acked,
                "round {round}: {key:?} went back from {acked:?} to {seq:?}"
            );
        }
        // Every visible object, acknowledged or in flight at the kill, is whole: small
        // bodies inline in the store, larger ones in blobs.
        for v in &objects {
            let key = &v.key;
            let seq = parse_seq(&v.metadata["seq"]);
            let body = store
                .read(|tx| tx.get_object(BUCKET, key, None))
                .unwrap()
                .unwrap_or_else(|| panic!("round {round}: {key:?} listed but not found"))
                .body;
            let mut bytes = Vec::new();
            blobs
                .open_body(&body)
                .and_then(|mut body| body.read_to_end(&mut bytes))
                .unwrap_or_else(|e| panic!("round {round}: {key:?} unreadable: {e}"));
            assert_eq!(u64::try_from(bytes.len()).unwrap(), v.size);
            assert!(
                bytes == body_for(seq),
                "round {round}: {key:?} does not hold the body of {seq:?}"
            );
        }
        // Every blob left is referred to, and only blob files are left.
        store
            .read(|tx| {
                for id in blobs.list().unwrap() {
                    assert!(tx.blob_in_use(&id)?, "round {round}: stray blob {id}");
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let names: BTreeSet<String> = std::fs::read_dir(dir.path().join("blobs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != "tmp")
            .collect();
        assert_eq!(
            names.len(),
            blobs.list().unwrap().len(),
            "round {round}: only blob files in the blob directory: {names:?}"
        );
    }
    eprintln!(
        "object crash test: {ROUNDS} rounds, {acks} acknowledged objects, {} keys, {swept} \
         orphans swept, {:?}",
        acknowledged.len(),
        started.elapsed()
    );
}
