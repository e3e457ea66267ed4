//! `roleplay explain` on the how-to's denials: a past request explained from the decision log,
//! and the same question asked before the request is made. Outputs are compared with the
//! files in `golden/explain/` (request ids, times and session names normalized);
//! `BLESS=1` rewrites them.

use crate::harness::*;
use serde_json::Value;
use std::path::PathBuf;

const ROLE: &str = "arn:aws:iam::345345345345:role/accounta";
/// alice's keys in the built-in scenario.
const ALICE: (&str, &str) = (
    "AKIARZKVVYOZRFFXKTQN",
    "StVXxl2FXw4dQKGX4cS+09IfLqwY23yRVuaJel3Q",
);

/// Request ids, times and generated session names vary between runs.
fn normalize(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = if line.starts_with("Request ") {
            "Request <id> at <time>".to_owned()
        } else if line.starts_with("  session:") {
            "  session:  <session>".to_owned()
        } else {
            match line.find("botocore-session-") {
                Some(at) => {
                    let (head, tail) = line.split_at(at);
                    let digits = tail
                        .trim_start_matches("botocore-session-")
                        .trim_start_matches(|c: char| c.is_ascii_digit());
                    format!("{head}botocore-session-<n>{digits}")
                }
                None => line.to_owned(),
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn golden(name: &str, actual: &str) {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "e2e",
        "golden",
        "explain",
        &format!("{name}.txt"),
    ]
    .iter()
    .collect();
    let actual = normalize(actual);
    if std::env::var_os("BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (BLESS=1 writes it)", path.display()));
    assert_eq!(
        actual,
        expected,
        "{} differs (BLESS=1 rewrites it)",
        path.display()
    );
}

/// The request id of the newest denial of `principal`, from the decision log.
fn last_denial(server: &Server, principal: &str) -> String {
    let url = format!(
        "{}/_roleplay/decisions?decision=Deny&limit=1&principal={principal}",
        server.endpoint()
    );
    let v: Value = serde_json::from_str(&http_get(&url)).unwrap();
    v["decisions"][0]["request_id"].as_str().unwrap().to_owned()
}

/// A GET over a plain TCP connection (no client library needed for loopback).
fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    body.to_owned()
}

fn how_to_profiles(server: &Server) -> Sandbox {
    let mut sb = Sandbox::new(server);
    sb.keys("account-a", ALICE.0, ALICE.1)
        .keys("a-root", A_ROOT.0, A_ROOT.1)
        .keys("c-root", C_ROOT.0, C_ROOT.1)
        .role("accountb", ROLE, "account-a", "");
    sb
}

#[test]
fn missing_identity_policy_in_a() {
    let server = Server::start(roleplay_engine::scenario::BUILT_IN);
    let sb = how_to_profiles(&server);
    // The how-to's hop works, and explain agrees before it is made.
    let before = sb.roleplay(&["explain", "--profile", "account-a", "sts:AssumeRole", ROLE]);
    assert_eq!(before.code, 0, "{}{}", before.stdout, before.stderr);
    golden("assume-allowed", &before.stdout);

    // Step 3 forgotten: alice has no identity policy allowing sts:AssumeRole.
    let removed = sb.roleplay(&[
        "iam",
        "delete-user-policy",
        "--user-name",
        "alice",
        "--policy-name",
        "assume-accounta",
        "--profile",
        "a-root",
    ]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    let denied = sb.roleplay(&["sts", "get-caller-identity", "--profile", "accountb"]);
    assert_eq!(denied.code, 255);
    assert!(denied.stderr.contains(&format!(
        "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::{A}:user/alice is not authorized to perform: sts:AssumeRole on resource: {ROLE}"
    )), "{}", denied.stderr);

    let rid = last_denial(&server, &format!("arn:aws:iam::{A}:user/alice"));
    let explained = sb.roleplay(&["explain", &rid, "--profile", "account-a"]);
    assert_eq!(explained.code, 1, "a denial exits 1: {}", explained.stderr);
    golden("missing-identity-policy", &explained.stdout);

    let what_if = sb.roleplay(&["explain", "--profile", "account-a", "sts:AssumeRole", ROLE]);
    assert_eq!(what_if.code, 1);
    // Asked before or after, the answer is the same.
    assert_eq!(normalize(&what_if.stdout), normalize(&explained.stdout));

    let unknown = sb.roleplay(&["explain", "no-such-request", "--profile", "account-a"]);
    assert_eq!(unknown.code, 1);
    assert_eq!(
        unknown.stdout,
        "No authorization decision is recorded for request no-such-request.\n"
    );
}

#[test]
fn untrusted_account() {
    let scenario = format!(
        "{}\n[[accounts]]\nid = \"{C}\"\nroot_access_key_id = \"{}\"\nroot_secret_access_key = \"{}\"\n",
        roleplay_engine::scenario::BUILT_IN,
        C_ROOT.0,
        C_ROOT.1
    );
    let server = Server::start(&scenario);
    let mut sb = how_to_profiles(&server);
    // A user of a third account, allowed by its own account to assume any role.
    let policy = sb.file(
        "assume.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    );
    for args in [
        vec!["iam", "create-user", "--user-name", "carol"],
        vec![
            "iam",
            "put-user-policy",
            "--user-name",
            "carol",
            "--policy-name",
            "assume-any",
            "--policy-document",
            &policy,
        ],
    ] {
        let mut all = args.clone();
        all.extend(["--profile", "c-root"]);
        let r = sb.roleplay(&all);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let key = sb.roleplay(&[
        "iam",
        "create-access-key",
        "--user-name",
        "carol",
        "--profile",
        "c-root",
    ]);
    let key: Value = serde_json::from_str(&key.stdout).unwrap();
    let (id, secret) = (
        key["AccessKey"]["AccessKeyId"].as_str().unwrap(),
        key["AccessKey"]["SecretAccessKey"].as_str().unwrap(),
    );
    sb.keys("account-c", id, secret)
        .role("c-to-b", ROLE, "account-c", "");

    let denied = sb.roleplay(&["sts", "get-caller-identity", "--profile", "c-to-b"]);
    assert_eq!(denied.code, 255, "{}", denied.stderr);
    let rid = last_denial(&server, &format!("arn:aws:iam::{C}:user/carol"));
    let explained = sb.roleplay(&["explain", &rid, "--profile", "account-c"]);
    assert_eq!(explained.code, 1, "{}", explained.stderr);
    golden("untrusted-account", &explained.stdout);

    // JSON for tools: the deciding kind and the trust statement's verdict.
    let json = sb.roleplay(&[
        "explain",
        &rid,
        "--profile",
        "account-c",
        "--output",
        "json",
    ]);
    let records: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(records[0]["denied_by"], "trust");
    assert_eq!(
        records[0]["policies"][0]["statements"][0]["why"],
        "Principal does not name the caller"
    );
}
