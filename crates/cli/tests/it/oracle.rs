//! The same vectors through real botocore (`oracle.py`): every case not marked
//! `"botocore": false` must get the expected chain or error text from botocore too, and each
//! hop's cache key must equal botocore's. `python3` with botocore is required: a missing one
//! fails this test, it does not skip it.

use crate::vectors::{self, Case};
use serde_json::{Map, Value, json};
use std::io::Write as _;
use std::process::{Command, Stdio};

fn ask_botocore(cases: &[&Case]) -> Vec<Map<String, Value>> {
    let input: Vec<Value> = cases
        .iter()
        .map(|c| {
            let services: Vec<&String> = c
                .expect
                .get("endpoints")
                .and_then(Value::as_object)
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            json!({
                "id": c.id,
                "env": c.env,
                "files": c.files,
                "args": {
                    "profile": c.args.profile,
                    "region": c.args.region,
                    "endpoint_url": c.args.endpoint_url,
                },
                "services": services,
                "region": c.expect.contains_key("region"),
            })
        })
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/oracle.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (botocore is the oracle of these vectors)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the botocore oracle failed (is botocore installed? `pip install -r .ci/requirements.txt`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout)
        .unwrap()
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect()
}

#[test]
fn botocore_agrees_with_the_vectors() {
    let all = vectors::load_all();
    let checked: Vec<&Case> = all.iter().filter(|c| c.botocore).collect();
    let results = ask_botocore(&checked);
    assert_eq!(results.len(), checked.len());
    let mut problems = Vec::new();
    for (case, got) in checked.iter().zip(&results) {
        problems.extend(vectors::compare(case, got, "botocore"));
        // Cache keys: botocore's for each hop equals ours for the same hop.
        if let (Some(keys), Ok(chain)) = (got.get("cache_keys"), {
            let config = roleplay_cli::config::load(&case.env, &case.files);
            roleplay_cli::config::resolve::credentials(&config, &case.env, &case.args)
        }) {
            let ours: Vec<String> = chain.hops.iter().map(roleplay_cli::cache::key).collect();
            if *keys != json!(ours) {
                problems.push(format!(
                    "{}: cache keys: botocore {keys}, ours {ours:?}",
                    case.id
                ));
            }
        }
    }
    assert!(
        checked.len() >= 50,
        "only {} vectors checked against botocore",
        checked.len()
    );
    assert!(
        problems.is_empty(),
        "{} of {} vectors disagree with botocore:\n{}",
        problems.len(),
        checked.len(),
        problems.join("\n")
    );
}
