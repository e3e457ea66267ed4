//! `credential_process` output judged by our parser and by botocore's `ProcessProvider` (with
//! a stand-in for the process): the same credentials or the same error text.

use roleplay_cli::process::parse_output;
use serde_json::{Value, json};
use std::io::Write as _;
use std::process::{Command, Stdio};

const BOTOCORE: &str = r#"
import json, sys
from botocore.credentials import ProcessProvider

class Finished:
    def __init__(self, out, err, rc):
        self.out, self.err, self.returncode = out, err, rc
    def communicate(self):
        return self.out, self.err

results = []
for c in json.load(sys.stdin):
    profile = {"credential_process": "stand-in"}
    if c["account"] is not None:
        profile["aws_account_id"] = c["account"]
    provider = ProcessProvider(
        "p", lambda: {"profiles": {"p": profile}},
        popen=lambda *a, **k: Finished(c["stdout"].encode(), c["stderr"].encode(), c["rc"]))
    try:
        creds = provider.load()
        f = creds.get_frozen_credentials()
        results.append({"ok": [f.access_key, f.secret_key, f.token, creds.account_id]})
    except Exception as e:
        results.append({"error": str(e)})
json.dump(results, sys.stdout)
"#;

fn cases() -> Vec<(i32, &'static str, &'static str, Option<&'static str>)> {
    vec![
        (
            0,
            r#"{"Version": 1, "AccessKeyId": "AKIAX", "SecretAccessKey": "s"}"#,
            "",
            None,
        ),
        (
            0,
            r#"{"Version": 1, "AccessKeyId": "ASIAX", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2099-01-01T00:00:00Z", "AccountId": "111111111111"}"#,
            "",
            Some("222222222222"),
        ),
        (
            0,
            r#"{"Version": 1, "AccessKeyId": "AKIAX", "SecretAccessKey": "s"}"#,
            "",
            Some("222222222222"),
        ),
        (
            0,
            r#"{"Version": 1.0, "AccessKeyId": "AKIAX", "SecretAccessKey": "s"}"#,
            "",
            None,
        ),
        (
            0,
            r#"{"Version": 2, "AccessKeyId": "AKIAX", "SecretAccessKey": "s"}"#,
            "",
            None,
        ),
        (
            0,
            r#"{"Version": "1", "AccessKeyId": "AKIAX", "SecretAccessKey": "s"}"#,
            "",
            None,
        ),
        (
            0,
            r#"{"AccessKeyId": "AKIAX", "SecretAccessKey": "s"}"#,
            "",
            None,
        ),
        (0, r#"{"Version": 1, "SecretAccessKey": "s"}"#, "", None),
        (0, r#"{"Version": 1, "AccessKeyId": "AKIAX"}"#, "", None),
        (1, "", "token expired, run login\n", None),
        (2, "{}", "", None),
    ]
}

#[test]
fn botocore_judges_process_output_the_same() {
    let input: Vec<Value> = cases()
        .iter()
        .map(|(rc, out, err, account)| json!({"rc": rc, "stdout": out, "stderr": err, "account": account}))
        .collect();
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(BOTOCORE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (botocore is the oracle)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut problems = Vec::new();
    for ((rc, stdout, stderr, account), want) in cases().into_iter().zip(theirs) {
        let ours = match parse_output(rc == 0, stdout.as_bytes(), stderr.as_bytes(), account) {
            Ok(c) => {
                json!({"ok": [c.access_key_id, c.secret_access_key, c.session_token, c.account_id]})
            }
            Err(e) => json!({ "error": e }),
        };
        if ours != want {
            problems.push(format!(
                "{stdout:?} / {stderr:?}: botocore {want}, ours {ours}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
