//! Runs the validation vectors under `tests/validation/`: documents IAM accepts or rejects,
//! with the exact MalformedPolicyDocument text.

use roleplay_policy::{ParseOptions, Policy, PolicyKind};
use serde_json::Value;
use std::path::Path;

#[test]
fn validation_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validation");
    let mut failures = Vec::new();
    let mut count = 0;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let entries: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for e in entries {
            count += 1;
            let desc = e["description"].as_str().unwrap_or("?").to_owned();
            let (kind, options) = match e["kind"].as_str().unwrap_or("") {
                "identity" => (PolicyKind::Identity, ParseOptions::default()),
                "managed" => (
                    PolicyKind::Identity,
                    ParseOptions {
                        require_current_version: true,
                    },
                ),
                "resource" => (PolicyKind::Resource, ParseOptions::default()),
                "trust" => (PolicyKind::Trust, ParseOptions::default()),
                "boundary" => (PolicyKind::PermissionsBoundary, ParseOptions::default()),
                "session" => (PolicyKind::Session, ParseOptions::default()),
                other => {
                    failures.push(format!("{name} / {desc}: unknown kind `{other}`"));
                    continue;
                }
            };
            let text = match (&e.get("text"), &e.get("document")) {
                (Some(Value::String(t)), _) => t.clone(),
                (_, Some(doc)) => doc.to_string(),
                _ => {
                    failures.push(format!("{name} / {desc}: no document"));
                    continue;
                }
            };
            let result = Policy::parse_with(&text, kind, options);
            let valid = e["valid"].as_bool().unwrap_or(false);
            match (valid, result) {
                (true, Ok(_)) => {}
                (true, Err(err)) => failures.push(format!("{name} / {desc}: rejected: {err}")),
                (false, Ok(_)) => failures.push(format!("{name} / {desc}: accepted")),
                (false, Err(err)) => {
                    if let Some(want) = e["aws_message"].as_str() {
                        let got = err.aws_message();
                        // The vector names the element; the parser may point inside it.
                        if !got.starts_with(want) {
                            failures.push(format!(
                                "{name} / {desc}: message `{got}`, expected `{want}` ({err})"
                            ));
                        }
                    }
                    if let Some(want) = e["location"].as_str() {
                        let got = err.first().map(|f| f.location.as_str()).unwrap_or("");
                        // The vector names the element; the parser may point inside it.
                        if !got.starts_with(want) {
                            failures.push(format!(
                                "{name} / {desc}: location `{got}`, expected `{want}`"
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} validation vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count >= 40, "only {count} validation vectors");
}
