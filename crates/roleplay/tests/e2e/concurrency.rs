//! 64 clients at once for a bounded time, mixing IAM writes, AssumeRole, S3 puts, gets,
//! lists, deletes and multipart uploads. Each client owns a key prefix and a set of users, so
//! it knows exactly what it should read back: no error but the expected ones, no lost or
//! corrupted object, every listing equal to the writes that preceded it.

use crate::harness::*;
use crate::ops::*;
use crate::raw::*;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const CLIENTS: usize = 64;
const DURATION: Duration = Duration::from_secs(8);
const BUCKET: &str = "load";

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    expected_errors: AtomicU64,
    assumed: AtomicU64,
}

/// What one client wrote and still expects to find.
#[derive(Default)]
struct Own {
    objects: BTreeMap<String, String>,
    users: Vec<String>,
}

fn status(r: &Reply, what: &str) -> u16 {
    match r {
        Ok(resp) => resp.status,
        Err(e) => panic!("{what}: the server dropped the connection: {e}"),
    }
}

fn must(r: Reply, what: &str) -> Response {
    let s = status(&r, what);
    let resp = r.unwrap();
    assert!(
        (200..300).contains(&s) && !resp.text().contains("<Error>"),
        "{what}: {s} {}",
        resp.text()
    );
    resp
}

fn client(id: usize, seed: u64, root: Client, worker: Client, counts: Arc<Counts>) -> Own {
    let mut rng = Rng::new(seed);
    let mut own = Own::default();
    let prefix = format!("c{id}/");
    let count = |n: u64| {
        counts.requests.fetch_add(n, Ordering::Relaxed);
    };
    let started = Instant::now();
    let mut n = 0;
    while started.elapsed() < DURATION {
        n += 1;
        match rng.below(12) {
            0..=2 => {
                let key = format!("{prefix}k{}", rng.below(20));
                let size = rng.below(64 * 1024) as usize;
                let body = rng.bytes(size);
                must(root.put(BUCKET, &key, &body), "PutObject");
                count(1);
                own.objects.insert(key, hash(&body));
            }
            3..=4 => {
                let Some(key) = own.objects.keys().nth(rng.below(20) as usize).cloned() else {
                    continue;
                };
                let r = must(root.get(BUCKET, &key), "GetObject");
                count(1);
                assert_eq!(&hash(&r.body), &own.objects[&key], "{key} is corrupt");
            }
            5 => {
                let key = format!("{prefix}k{}", rng.below(20));
                let r = root.delete(BUCKET, &key);
                count(1);
                assert_eq!(status(&r, "DeleteObject"), 204, "{:?}", r);
                own.objects.remove(&key);
                // Reading it back is the expected NoSuchKey.
                let r = root.get(BUCKET, &key);
                count(1);
                assert_eq!(status(&r, "GetObject"), 404);
                assert_eq!(r.unwrap().code().as_deref(), Some("NoSuchKey"));
                counts.expected_errors.fetch_add(1, Ordering::Relaxed);
            }
            6 => {
                let listed = root.list(BUCKET, &prefix).unwrap();
                count(1);
                let want: Vec<&String> = own.objects.keys().collect();
                let got: Vec<&String> = listed.iter().collect();
                assert_eq!(got, want, "client {id}'s listing");
            }
            7 => {
                let key = format!("{prefix}mp{}", rng.below(5));
                let len = rng.below(32 * 1024) as usize + 1;
                let a = rng.bytes(len);
                let r = root.multipart(BUCKET, &key, &[&a]).unwrap();
                count(3);
                let r = r.unwrap_or_else(|| panic!("multipart {key} refused"));
                assert!(ok(&Ok(r.clone())), "{}", r.text());
                own.objects.insert(key, hash(&a));
            }
            8..=9 => {
                let name = format!("c{id}-u{n}");
                must(
                    root.action("iam", "CreateUser", &[("UserName", &name)]),
                    "CreateUser",
                );
                // A second create of the same name is the expected EntityAlreadyExists.
                let again = root.action("iam", "CreateUser", &[("UserName", &name)]);
                count(2);
                assert_eq!(status(&again, "CreateUser"), 409);
                assert_eq!(
                    again.unwrap().code().as_deref(),
                    Some("EntityAlreadyExists")
                );
                counts.expected_errors.fetch_add(1, Ordering::Relaxed);
                own.users.push(name);
                if own.users.len() > 3 {
                    let gone = own.users.remove(0);
                    must(
                        root.action("iam", "DeleteUser", &[("UserName", &gone)]),
                        "DeleteUser",
                    );
                    count(1);
                }
            }
            _ => {
                let session = format!("c{id}-{n}");
                let r = must(
                    worker.action(
                        "sts",
                        "AssumeRole",
                        &[
                            ("RoleArn", "arn:aws:iam::123123123123:role/loader"),
                            ("RoleSessionName", &session),
                        ],
                    ),
                    "AssumeRole",
                );
                counts.assumed.fetch_add(1, Ordering::Relaxed);
                let as_role = Client::new(root.port, &Key::from_credentials_xml(&r.text()));
                let key = format!("{prefix}role{}", rng.below(3));
                let len = rng.below(4096) as usize;
                let body = rng.bytes(len);
                must(as_role.put(BUCKET, &key, &body), "PutObject as the role");
                let me = must(
                    as_role.action("sts", "GetCallerIdentity", &[]),
                    "GetCallerIdentity",
                );
                count(3);
                assert!(
                    me.text()
                        .contains(&format!("assumed-role/loader/{session}</Arn>")),
                    "{}",
                    me.text()
                );
                own.objects.insert(key, hash(&body));
            }
        }
    }
    own
}

#[test]
fn sixty_four_clients_lose_nothing() {
    let seed = Rng::seed();
    println!("concurrency test seed {seed} (ROLEPLAY_TEST_SEED={seed} replays it)");
    // On disk, as it is used: the store's single writer and its fsyncs are under load too.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scenario.toml"), three_accounts()).unwrap();
    let server = Server::start_on_disk(dir);
    let root = Client::new(server.port, &Key::new(A_ROOT.0, A_ROOT.1));
    must(root.create_bucket(BUCKET), "CreateBucket");
    // A user who may assume the role `loader`, which may write the bucket.
    must(
        root.action("iam", "CreateUser", &[("UserName", "worker")]),
        "CreateUser",
    );
    let key = must(
        root.action("iam", "CreateAccessKey", &[("UserName", "worker")]),
        "CreateAccessKey",
    )
    .text();
    let worker_key = Key::new(
        &element(&key, "AccessKeyId").unwrap(),
        &element(&key, "SecretAccessKey").unwrap(),
    );
    must(
        root.action(
            "iam",
            "PutUserPolicy",
            &[
                ("UserName", "worker"),
                ("PolicyName", "assume"),
                (
                    "PolicyDocument",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
                ),
            ],
        ),
        "PutUserPolicy",
    );
    must(
        root.action(
            "iam",
            "CreateRole",
            &[
                ("RoleName", "loader"),
                (
                    "AssumeRolePolicyDocument",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123123123123:user/worker"},"Action":"sts:AssumeRole"}]}"#,
                ),
            ],
        ),
        "CreateRole",
    );
    must(
        root.action(
            "iam",
            "PutRolePolicy",
            &[
                ("RoleName", "loader"),
                ("PolicyName", "write"),
                (
                    "PolicyDocument",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::load/*"}]}"#,
                ),
            ],
        ),
        "PutRolePolicy",
    );
    let worker = Client::new(server.port, &worker_key);

    let counts = Arc::new(Counts::default());
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let mut rng = Rng::new(seed);
    let handles: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let (root, worker, counts, barrier) = (
                root.clone(),
                worker.clone(),
                counts.clone(),
                barrier.clone(),
            );
            let s = rng.next();
            std::thread::spawn(move || {
                barrier.wait();
                client(id, s, root, worker, counts)
            })
        })
        .collect();
    let owns: Vec<Own> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    // Afterwards, as a whole: the bucket holds exactly the union, each object whole, and the
    // account exactly the users not deleted.
    let mut all = BTreeMap::new();
    for own in &owns {
        all.extend(own.objects.clone());
    }
    let listed = root.list(BUCKET, "").unwrap();
    assert_eq!(
        listed,
        all.keys().cloned().collect::<Vec<_>>(),
        "the bucket's listing"
    );
    for (key, h) in &all {
        let r = must(root.get(BUCKET, key), "GetObject");
        assert_eq!(&hash(&r.body), h, "{key} is corrupt");
    }
    let mut users = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut params = vec![("MaxItems", "1000".to_owned())];
        if let Some(m) = &marker {
            params.push(("Marker", m.clone()));
        }
        let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = must(root.action("iam", "ListUsers", &p), "ListUsers").text();
        users.extend(elements(&r, "UserName"));
        marker = element(&r, "Marker");
        if marker.is_none() {
            break;
        }
    }
    let mut want: Vec<String> = owns.iter().flat_map(|o| o.users.clone()).collect();
    want.push("worker".into());
    want.sort();
    users.sort();
    assert_eq!(users, want, "the account's users");
    println!(
        "concurrency: {CLIENTS} clients for {DURATION:?}: {} requests, {} sessions assumed, {} expected errors, none other; {} objects and {} users verified",
        counts.requests.load(Ordering::Relaxed),
        counts.assumed.load(Ordering::Relaxed),
        counts.expected_errors.load(Ordering::Relaxed),
        all.len(),
        users.len()
    );
}

/// Reads of an object are served from a cache between writes: every acknowledged write,
/// overwrite, tagging or delete is seen by the next read of the writer and of everyone else,
/// however many reads of the old state came before it.
#[test]
fn reads_after_a_write_see_it() {
    use std::sync::atomic::AtomicBool;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scenario.toml"), three_accounts()).unwrap();
    let server = Server::start_on_disk(dir);
    let key = Key::new(A_ROOT.0, A_ROOT.1);
    let root = Client::new(server.port, &key);
    must(root.create_bucket("cached"), "CreateBucket");
    must(root.put("cached", "k", b"0"), "PutObject");
    let stop = Arc::new(AtomicBool::new(false));
    // The highest value whose write was acknowledged.
    let acknowledged = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (c, stop, acknowledged) = (root.clone(), stop.clone(), acknowledged.clone());
            std::thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let before = acknowledged.load(Ordering::SeqCst);
                    let got: u64 = must(c.get("cached", "k"), "GetObject")
                        .text()
                        .parse()
                        .unwrap();
                    assert!(got >= before, "read {got} after {before} was acknowledged");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for i in 1..=300u64 {
        must(
            root.put("cached", "k", i.to_string().as_bytes()),
            "PutObject",
        );
        acknowledged.store(i, Ordering::SeqCst);
        assert_eq!(
            must(root.get("cached", "k"), "GetObject").text(),
            i.to_string()
        );
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0, "every reader read");
    }

    let get = || must(root.get("cached", "k"), "GetObject");
    for _ in 0..3 {
        assert_eq!(get().header("x-amz-tagging-count"), None);
    }
    let tagging = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>";
    let tag = Raw::new("PUT", "/cached/k")
        .query("tagging")
        .body(tagging.as_bytes())
        .key(&key);
    must(call(server.port, &tag), "PutObjectTagging");
    assert_eq!(get().header("x-amz-tagging-count"), Some("1"));
    must(root.delete("cached", "k"), "DeleteObject");
    let gone = root.get("cached", "k").unwrap();
    assert_eq!(
        (gone.status, gone.code().as_deref()),
        (404, Some("NoSuchKey"))
    );
    must(root.put("cached", "k", b"again"), "PutObject");
    assert_eq!(get().text(), "again");
}
