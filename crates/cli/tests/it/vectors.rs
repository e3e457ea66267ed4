//! Runs every case of `tests/profiles/*.json` (format in that folder's README) through the
//! resolver and reports all mismatches at once.

use roleplay_cli::config::{Args, resolve, source};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The home folder of every case (the oracle maps it to a temporary folder).
pub const HOME: &str = "/home/user";

pub struct Case {
    pub id: String,
    pub env: BTreeMap<String, String>,
    pub files: BTreeMap<String, String>,
    pub args: Args,
    pub expect: Map<String, Value>,
    pub botocore: bool,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/profiles")
}

fn text_or_none(case: &Map<String, Value>, file: &Map<String, Value>, key: &str) -> Option<String> {
    match case.get(key).or_else(|| file.get(key)) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(lines)) => Some(
            lines
                .iter()
                .map(|l| format!("{}\n", l.as_str().unwrap()))
                .collect(),
        ),
        _ => None,
    }
}

pub fn load_all() -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let file = doc.as_object().unwrap();
        for case in file["cases"].as_array().unwrap() {
            let case = case.as_object().unwrap();
            let name = case["name"].as_str().unwrap();
            let mut env: BTreeMap<String, String> = BTreeMap::new();
            env.insert("HOME".into(), HOME.into());
            for scope in [file.get("env"), case.get("env")].into_iter().flatten() {
                for (k, v) in scope.as_object().unwrap() {
                    env.insert(k.clone(), v.as_str().unwrap().to_owned());
                }
            }
            let mut files = BTreeMap::new();
            if let Some(text) = text_or_none(case, file, "config") {
                files.insert(source::path(&env, "AWS_CONFIG_FILE", "~/.aws/config"), text);
            }
            if let Some(text) = text_or_none(case, file, "credentials") {
                files.insert(
                    source::path(&env, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
                    text,
                );
            }
            if let Some(extra) = case.get("files") {
                for (k, v) in extra.as_object().unwrap() {
                    files.insert(k.clone(), v.as_str().unwrap().to_owned());
                }
            }
            let args = case
                .get("args")
                .map(|a| a.as_object().unwrap().clone())
                .unwrap_or_default();
            let arg = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_owned);
            out.push(Case {
                id: format!("{stem}: {name}"),
                env,
                files,
                args: Args {
                    profile: arg("profile"),
                    region: arg("region"),
                    endpoint_url: arg("endpoint_url"),
                },
                expect: case["expect"].as_object().unwrap().clone(),
                botocore: case
                    .get("botocore")
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
            });
        }
    }
    out
}

/// Removes null members, so vectors leave out what is not set.
pub fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// What our resolver says, for the keys the case expects.
pub fn actual(case: &Case) -> Map<String, Value> {
    let config = roleplay_cli::config::load(&case.env, &case.files);
    let mut out = Map::new();
    match resolve::credentials(&config, &case.env, &case.args) {
        Ok(chain) => {
            out.insert(
                "chain".into(),
                strip_nulls(serde_json::to_value(&chain).unwrap()),
            );
        }
        Err(e) => {
            out.insert("error".into(), e.to_string().into());
        }
    }
    if case.expect.contains_key("region") {
        let region = match resolve::region(&config, &case.env, &case.args) {
            Ok(r) => json!(r),
            Err(e) => json!({ "error": e.to_string() }),
        };
        out.insert("region".into(), region);
    }
    if let Some(Value::Object(services)) = case.expect.get("endpoints") {
        let mut endpoints = Map::new();
        for service in services.keys() {
            let v = match resolve::endpoint(&config, &case.env, &case.args, service) {
                Ok(u) => json!(u),
                Err(e) => json!({ "error": e.to_string() }),
            };
            endpoints.insert(service.clone(), v);
        }
        out.insert("endpoints".into(), Value::Object(endpoints));
    }
    out
}

/// The differences between what a case expects and what a resolver said, one line each.
pub fn compare(case: &Case, got: &Map<String, Value>, who: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (key, want) in &case.expect {
        let have = got.get(key).cloned().unwrap_or(Value::Null);
        if key == "chain" || key == "error" {
            if have != *want {
                let other = if key == "chain" { "error" } else { "chain" };
                let instead = got.get(other).cloned().unwrap_or(Value::Null);
                problems.push(format!(
                    "{}: {who}: expected {key} {want}\n    got {key} {have}; {other} {instead}",
                    case.id
                ));
            }
        } else if have != *want {
            problems.push(format!(
                "{}: {who}: {key}: expected {want}, got {have}",
                case.id
            ));
        }
    }
    problems
}

#[test]
fn profile_vectors() {
    let cases = load_all();
    let mut problems = Vec::new();
    for case in &cases {
        let got = actual(case);
        problems.extend(compare(case, &got, "roleplay"));
    }
    assert!(cases.len() >= 60, "only {} vectors", cases.len());
    assert!(
        problems.is_empty(),
        "{} of {} vectors failed:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}
