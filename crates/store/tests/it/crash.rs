//! `kill -9` during writes loses no acknowledged write and leaves a database that opens
//! cleanly.
//!
//! The parent runs this test binary again as a writer ([`writer_child`] with `CRASH_DIR_VAR`
//! set), which commits transactions in a loop and prints `ack NAME` after each commit. The
//! parent kills it with SIGKILL at a random moment, reopens the database, and checks every
//! acknowledged write, and that no transaction is half-applied.

use roleplay_store::testsuite::{self, account_id, key, user};
use roleplay_store::{
    InlinePolicy, KeyOwner, ListQuery, PrincipalRef, SqliteStore, StoreError, StoreExt, WriteError,
};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CRASH_DIR_VAR: &str = "ROLEPLAY_STORE_CRASH_DIR";
const ROUND_VAR: &str = "ROLEPLAY_STORE_CRASH_ROUND";
const ROUNDS: u32 = 6;

/// The writer: a no-op unless started by [`kill_9_loses_no_acknowledged_write`].
#[test]
fn writer_child() {
    let Ok(dir) = std::env::var(CRASH_DIR_VAR) else {
        return;
    };
    let round: u32 = std::env::var(ROUND_VAR).unwrap().parse().unwrap();
    let store = SqliteStore::open(&dir).unwrap();
    let account = account_id(300_000_000_001);
    store
        .write(
            |tx| match tx.create_account(&testsuite::account(&account)) {
                Err(WriteError::AlreadyExists(_)) => Ok(()),
                other => other,
            },
        )
        .unwrap();
    let mut stdout = std::io::stdout().lock();
    let started = Instant::now();
    // Bounded so that an orphaned writer stops by itself.
    for i in 0..1_000_000u32 {
        if started.elapsed() > Duration::from_secs(20) {
            break;
        }
        let name = format!("r{round}-{i:07}");
        store
            .write(|tx| {
                // Three records per transaction: all of them or none must survive.
                tx.create_user(&user(&account, &name, "/crash/"))?;
                tx.create_access_key(&key(
                    &account,
                    &format!("AKIA{name}"),
                    KeyOwner::User(name.clone()),
                ))?;
                tx.put_inline_policy(
                    &PrincipalRef::user(&account, &name),
                    &InlinePolicy {
                        name: "p".to_owned(),
                        document: name.clone(),
                    },
                )
            })
            .unwrap();
        writeln!(stdout, "ack {name}").unwrap();
        stdout.flush().unwrap();
    }
}

fn random_below(n: u64) -> u64 {
    RandomState::new().build_hasher().finish() % n
}

#[test]
fn kill_9_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let account = account_id(300_000_000_001);
    let started = Instant::now();
    let mut acknowledged = Vec::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                "crash::writer_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CRASH_DIR_VAR, dir.path())
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
                // The harness may print its own text before the first line's `ack`.
                if let Some((_, name)) = line.split_once("ack ")
                    && lines_tx.send(name.to_owned()).is_err()
                {
                    break;
                }
            }
        });
        // Kill only once the writer is committing, after a random further delay.
        let first = lines_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the writer acknowledges a first write");
        std::thread::sleep(Duration::from_millis(random_below(250)));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        let mut this_round = vec![first];
        this_round.extend(lines_rx.try_iter());
        let store = SqliteStore::open(dir.path()).unwrap();
        store.integrity_check().unwrap();
        let present: Vec<String> = store
            .read(|tx| {
                let users = tx.list_users(&account, &ListQuery::all())?.items;
                let mut names = Vec::new();
                for u in users {
                    let owner = PrincipalRef::user(&account, &u.name);
                    let keys = tx.list_access_keys(&account, &KeyOwner::User(u.name.clone()))?;
                    let policy = tx.get_inline_policy(&owner, "p")?;
                    assert_eq!(keys.len(), 1, "{} lost its key", u.name);
                    assert_eq!(
                        policy.map(|p| p.document).as_deref(),
                        Some(u.name.as_str()),
                        "{} lost its policy",
                        u.name
                    );
                    names.push(u.name);
                }
                Ok::<_, StoreError>(names)
            })
            .unwrap();
        acknowledged.extend(this_round);
        let missing: Vec<_> = acknowledged
            .iter()
            .filter(|name| present.binary_search(name).is_err())
            .collect();
        assert!(
            missing.is_empty(),
            "round {round}: acknowledged but lost: {missing:?}"
        );
        // At most the write in flight may exist without an acknowledgement.
        assert!(
            present.len() <= acknowledged.len() + usize::try_from(round + 1).unwrap(),
            "round {round}: {} present, {} acknowledged, unacknowledged: {:?}",
            present.len(),
            acknowledged.len(),
            present
                .iter()
                .filter(|p| !acknowledged.contains(p))
                .collect::<Vec<_>>()
        );
    }
    eprintln!(
        "crash test: {ROUNDS} rounds, {} acknowledged writes, {:?}",
        acknowledged.len(),
        started.elapsed()
    );
}
