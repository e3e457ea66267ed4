//! Crash safety over HTTP: writers drive IAM changes, object puts and multipart uploads while
//! `roleplay serve` (on disk) is killed with SIGKILL at random moments. After each restart
//! everything acknowledged is there and whole (content hashes), nothing unacknowledged is
//! half-visible, and the store opens cleanly.

use crate::harness::*;
use crate::ops::*;
use crate::raw::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ROUNDS: usize = 20;
const WRITERS: usize = 4;
const BUCKET: &str = "crash";

/// What the writers did, by outcome.
#[derive(Default)]
struct Ledger {
    /// Object key → content hash, acknowledged.
    objects: BTreeMap<String, String>,
    /// Object key → content hash, sent but not answered when the server died.
    maybe_objects: BTreeMap<String, String>,
    /// User name → inline policy document, acknowledged.
    users: BTreeMap<String, String>,
    /// Users sent (with their policy) but not acknowledged.
    maybe_users: BTreeMap<String, String>,
    /// Users whose deletion was acknowledged.
    deleted: Vec<String>,
    maybe_deleted: Vec<String>,
    requests: u64,
    /// Multipart uploads completed and acknowledged.
    multipart: u64,
}

fn policy_for(name: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/{name}/*"}}]}}"#
    )
}

/// One writer until the server dies: each step is recorded as intended before it is sent
/// and as acknowledged only after a whole 2xx answer.
fn writer(c: Client, round: usize, w: usize, seed: u64, ledger: Arc<Mutex<Ledger>>) {
    let mut rng = Rng::new(seed);
    let mut mine: Vec<String> = Vec::new();
    for i in 0.. {
        match rng.below(10) {
            0..=4 => {
                let key = format!("r{round}/w{w}/obj{i}");
                let size = rng.below(256 * 1024) as usize;
                let body = rng.bytes(size);
                let h = hash(&body);
                ledger.lock().unwrap().maybe_objects.insert(key.clone(), h);
                let r = c.put(BUCKET, &key, &body);
                let mut l = ledger.lock().unwrap();
                l.requests += 1;
                if ok(&r) {
                    let h = l.maybe_objects.remove(&key).unwrap();
                    l.objects.insert(key, h);
                } else if r.is_ok() {
                    panic!("PutObject {key} refused: {:?}", r.map(|r| r.text()));
                } else {
                    return;
                }
            }
            5 => {
                // Writer 0: a part of 5 MiB (S3's minimum for all but the last) and a small
                // last one; the others: one small part, so that uploads complete between
                // kills too.
                let key = format!("r{round}/w{w}/mp{i}");
                let a = if w == 0 {
                    rng.bytes(5 * 1024 * 1024)
                } else {
                    Vec::new()
                };
                let tail = rng.below(128 * 1024) as usize + 1;
                let b = rng.bytes(tail);
                let whole: Vec<u8> = a.iter().chain(&b).copied().collect();
                let h = hash(&whole);
                ledger.lock().unwrap().maybe_objects.insert(key.clone(), h);
                let parts: Vec<&[u8]> = if a.is_empty() { vec![&b] } else { vec![&a, &b] };
                let r = c.multipart(BUCKET, &key, &parts);
                let mut l = ledger.lock().unwrap();
                l.requests += parts.len() as u64 + 2;
                match r {
                    Ok(Some(resp)) if ok(&Ok(resp.clone())) => {
                        l.multipart += 1;
                        let h = l.maybe_objects.remove(&key).unwrap();
                        l.objects.insert(key, h);
                    }
                    Ok(other) => panic!("multipart {key} refused: {other:?}"),
                    Err(_) => return,
                }
            }
            6..=7 => {
                let name = format!("u-r{round}-w{w}-{i}");
                let doc = policy_for(&name);
                ledger
                    .lock()
                    .unwrap()
                    .maybe_users
                    .insert(name.clone(), doc.clone());
                let created = c.action("iam", "CreateUser", &[("UserName", &name)]);
                let put = if ok(&created) {
                    c.action(
                        "iam",
                        "PutUserPolicy",
                        &[
                            ("UserName", &name),
                            ("PolicyName", "p"),
                            ("PolicyDocument", &doc),
                        ],
                    )
                } else {
                    created.clone()
                };
                let mut l = ledger.lock().unwrap();
                l.requests += 2;
                if ok(&created) && ok(&put) {
                    l.maybe_users.remove(&name);
                    l.users.insert(name.clone(), doc);
                    mine.push(name);
                } else if created.is_ok() && put.is_ok() {
                    panic!("CreateUser/PutUserPolicy {name}: {created:?} {put:?}");
                } else {
                    return;
                }
            }
            _ => {
                // Delete one of this writer's users: its policy first, as IAM requires.
                let Some(name) = mine.pop() else { continue };
                ledger.lock().unwrap().maybe_deleted.push(name.clone());
                let dp = c.action(
                    "iam",
                    "DeleteUserPolicy",
                    &[("UserName", &name), ("PolicyName", "p")],
                );
                let du = if ok(&dp) {
                    c.action("iam", "DeleteUser", &[("UserName", &name)])
                } else {
                    dp.clone()
                };
                let mut l = ledger.lock().unwrap();
                l.requests += 2;
                if ok(&dp) && ok(&du) {
                    l.maybe_deleted.retain(|n| n != &name);
                    l.users.remove(&name);
                    l.deleted.push(name);
                } else if dp.is_ok() && du.is_ok() {
                    panic!("deleting {name}: {dp:?} {du:?}");
                } else {
                    return;
                }
            }
        }
    }
}

/// Everything acknowledged is present and whole; what was in flight is absent or whole.
fn verify(c: &Client, l: &mut Ledger) {
    let listed: std::collections::BTreeSet<String> =
        c.list(BUCKET, "").unwrap().into_iter().collect();
    for (key, h) in &l.objects {
        assert!(listed.contains(key), "acknowledged {key} is not listed");
        let r = c.get(BUCKET, key).unwrap();
        assert_eq!(r.status, 200, "acknowledged {key}: {}", r.text());
        assert_eq!(&hash(&r.body), h, "acknowledged {key} is corrupt");
    }
    for (key, h) in std::mem::take(&mut l.maybe_objects) {
        let r = c.get(BUCKET, &key).unwrap();
        match r.status {
            404 => assert!(!listed.contains(&key), "{key} listed but not readable"),
            200 => {
                assert_eq!(hash(&r.body), h, "unacknowledged {key} is half-visible");
                l.objects.insert(key, h);
            }
            s => panic!("unacknowledged {key}: {s} {}", r.text()),
        }
    }
    for key in &listed {
        assert!(
            l.objects.contains_key(key),
            "{key} listed but never written"
        );
    }
    // Deletions in flight first: those users may be gone, or have lost their policy.
    for name in std::mem::take(&mut l.maybe_deleted) {
        let user = c.action("iam", "GetUser", &[("UserName", &name)]).unwrap();
        let policy = c
            .action(
                "iam",
                "GetUserPolicy",
                &[("UserName", &name), ("PolicyName", "p")],
            )
            .unwrap();
        if user.status == 200 && policy.status == 200 {
            continue;
        }
        if user.status == 200 {
            // Its policy went but the user stayed: finish the deletion.
            let d = c.action("iam", "DeleteUser", &[("UserName", &name)]);
            assert!(ok(&d), "{d:?}");
        }
        l.users.remove(&name);
        l.deleted.push(name);
    }
    for (name, doc) in &l.users {
        let r = c
            .action(
                "iam",
                "GetUserPolicy",
                &[("UserName", name), ("PolicyName", "p")],
            )
            .unwrap();
        assert_eq!(r.status, 200, "acknowledged user {name}: {}", r.text());
        assert_eq!(
            decode_document(&r.text()),
            *doc,
            "{name}'s policy is not what was acknowledged"
        );
    }
    for name in std::mem::take(&mut l.maybe_users) {
        let (name, doc) = name;
        let u = c.action("iam", "GetUser", &[("UserName", &name)]).unwrap();
        if u.status == 200 {
            let p = c
                .action(
                    "iam",
                    "GetUserPolicy",
                    &[("UserName", &name), ("PolicyName", "p")],
                )
                .unwrap();
            if p.status == 200 {
                assert_eq!(decode_document(&p.text()), doc);
                l.users.insert(name, doc);
            } else {
                // Created, its policy not yet put: finish what the writer would have done.
                assert_eq!(p.code().as_deref(), Some("NoSuchEntity"), "{}", p.text());
                let d = c.action("iam", "DeleteUser", &[("UserName", &name)]);
                assert!(ok(&d), "{d:?}");
            }
        } else {
            assert_eq!(u.code().as_deref(), Some("NoSuchEntity"), "{}", u.text());
        }
    }
    for name in &l.deleted {
        let r = c.action("iam", "GetUser", &[("UserName", name)]).unwrap();
        assert_eq!(r.status, 404, "deleted user {name} is back: {}", r.text());
    }
}

/// The `PolicyDocument` of a GetUserPolicy answer, URL-decoded as IAM returns it.
fn decode_document(xml: &str) -> String {
    let raw = element(xml, "PolicyDocument").unwrap_or_default();
    let raw = raw.replace("&quot;", "\"").replace("&amp;", "&");
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = raw
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn acknowledged_writes_survive_sigkill_and_nothing_is_half_visible() {
    let seed = Rng::seed();
    println!("crash test seed {seed} (ROLEPLAY_TEST_SEED={seed} replays it)");
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scenario.toml"), three_accounts()).unwrap();
    let mut server = Server::start_on_disk(dir);
    let root = Key::new(A_ROOT.0, A_ROOT.1);
    assert!(ok(&Client::new(server.port, &root).create_bucket(BUCKET)));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut kills = 0;
    let mut in_flight_at_kill = 0;
    for round in 0..ROUNDS {
        let c = Client::new(server.port, &root);
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (c, l, s) = (c.clone(), ledger.clone(), rng.next());
                std::thread::spawn(move || writer(c, round, w, s, l))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(100 + rng.below(900)));
        let dir = server.kill9();
        kills += 1;
        for h in handles {
            h.join().unwrap();
        }
        {
            let l = ledger.lock().unwrap();
            in_flight_at_kill +=
                l.maybe_objects.len() + l.maybe_users.len() + l.maybe_deleted.len();
        }
        server = Server::start_on_disk(dir);
        let c = Client::new(server.port, &root);
        // The store opened cleanly: the server answers and the bucket is there.
        assert!(ok(&c.action("sts", "GetCallerIdentity", &[])));
        verify(&c, &mut ledger.lock().unwrap());
    }
    let l = ledger.lock().unwrap();
    // Every request the servers answered, from their logs (one line per request).
    let served = server
        .log()
        .lines()
        .filter(|l| l.contains(r#""message":"request""#))
        .count();
    println!(
        "crash: {ROUNDS} rounds survived, {kills} SIGKILLs, {} write requests ({} multipart uploads completed), {in_flight_at_kill} writes in flight at the kills, {served} requests served in all; after each restart {} objects and {} users verified, {} deletions held; nothing lost",
        l.requests,
        l.multipart,
        l.objects.len(),
        l.users.len(),
        l.deleted.len()
    );
    assert!(l.objects.len() > ROUNDS, "the writers barely wrote");
}
