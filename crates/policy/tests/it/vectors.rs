//! Runs every decision vector file under `tests/vectors/` and reports all mismatches at once.

use roleplay_policy::{
    Caller, Context, Decision, Effect, Policy, PolicyKind, PolicySet, Principal, Request, decide,
    explain,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn vector_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut files = Vec::new();
    for dir in [root.clone(), root.join("regressions")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn text<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// Builds the caller a vector describes.
pub(crate) fn caller(p: &Value) -> Result<Caller, String> {
    let s = |k: &str| {
        text(p, k)
            .map(str::to_owned)
            .ok_or_else(|| format!("principal lacks `{k}`"))
    };
    let principal = match text(p, "type").unwrap_or("") {
        "root" => Principal::Root {
            account: s("account")?,
        },
        "user" => Principal::User {
            arn: s("arn")?,
            id: s("id").unwrap_or_else(|_| "AIDAUNSPECIFIED00000".into()),
        },
        "role-session" => Principal::RoleSession {
            arn: s("arn")?,
            role_arn: s("role_arn")?,
            role_id: s("id").unwrap_or_else(|_| "AROAUNSPECIFIED00000".into()),
        },
        "federated-user" => Principal::FederatedUser {
            arn: s("arn")?,
            user_arn: s("user_arn")?,
        },
        "service" => Principal::Service {
            name: s("service")?,
        },
        "web-identity" => Principal::WebIdentity {
            provider: s("provider")?,
        },
        "anonymous" => Principal::Anonymous,
        other => return Err(format!("unknown principal type `{other}`")),
    };
    let tags = p
        .get("tags")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Caller {
        principal,
        tags,
        canonical_id: text(p, "canonical_id").map(str::to_owned),
    })
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn context(caller: &Caller, keys: Option<&Value>) -> Context {
    let mut ctx = caller.context();
    if let Some(Value::Object(m)) = keys {
        for (k, v) in m {
            match v {
                Value::Array(items) => ctx.insert_multi(k, items.iter().map(scalar).collect()),
                v => ctx.insert(k, scalar(v)),
            }
        }
    }
    ctx
}

fn policy(v: &Value, kind: PolicyKind) -> Result<Policy, String> {
    let id = text(v, "id").ok_or("policy lacks `id`")?;
    let doc = v.get("document").ok_or("policy lacks `document`")?;
    let text = match doc {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Policy::parse(&text, kind)
        .map(|p| p.with_id(id))
        .map_err(|e| format!("policy `{id}` does not parse: {e}"))
}

fn policy_list(v: Option<&Value>, kind: PolicyKind) -> Result<Vec<Policy>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(|p| policy(p, kind)).collect(),
        Some(_) => Err("expected a list of policies".into()),
    }
}

fn kind_name(k: PolicyKind) -> &'static str {
    match k {
        PolicyKind::Identity => "identity",
        PolicyKind::Resource => "resource",
        PolicyKind::Trust => "trust",
        PolicyKind::PermissionsBoundary => "boundary",
        PolicyKind::Session => "session",
    }
}

struct Totals {
    requests: usize,
    failures: Vec<String>,
}

fn run_case(file: &str, case: &Value, totals: &mut Totals) -> Result<(), String> {
    let caller = caller(case.get("principal").ok_or("case lacks `principal`")?)?;
    let pols = case.get("policies").cloned().unwrap_or(Value::Null);
    let identity = policy_list(pols.get("identity"), PolicyKind::Identity)?;
    let resource = match (pols.get("resource"), pols.get("trust")) {
        (Some(_), Some(_)) => return Err("both `resource` and `trust`".into()),
        (Some(r), None) => Some(policy(r, PolicyKind::Resource)?),
        (None, Some(t)) => Some(policy(t, PolicyKind::Trust)?),
        (None, None) => None,
    };
    let boundary = match pols.get("boundary") {
        Some(b) => Some(policy(b, PolicyKind::PermissionsBoundary)?),
        None => None,
    };
    let session = match pols.get("session") {
        Some(s) => Some(policy_list(Some(s), PolicyKind::Session)?),
        None => None,
    };
    let identity_refs: Vec<&Policy> = identity.iter().collect();
    let session_refs: Option<Vec<&Policy>> = session.as_ref().map(|s| s.iter().collect());
    let set = PolicySet {
        identity: &identity_refs,
        resource: resource.as_ref(),
        boundary: boundary.as_ref(),
        session: session_refs.as_deref(),
    };
    let case_name = text(case, "description").unwrap_or("?");
    for req in case
        .get("requests")
        .and_then(Value::as_array)
        .ok_or("case lacks `requests`")?
    {
        totals.requests += 1;
        let ctx = context(&caller, req.get("context"));
        let request = Request {
            caller: &caller,
            action: text(req, "action").ok_or("request lacks `action`")?,
            resource: text(req, "resource").unwrap_or("*"),
            resource_account: text(req, "resource_account"),
            context: &ctx,
        };
        let out = decide(&request, &set);
        let expect = req.get("expect").ok_or("request lacks `expect`")?;
        let mut problems = Vec::new();
        let want = text(expect, "decision").unwrap_or("?");
        let got = match out.decision {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        };
        if want != got {
            problems.push(format!("decision {got}, expected {want}"));
        }
        if let Some(Value::Array(m)) = expect.get("matched") {
            let want: BTreeSet<String> = m.iter().map(scalar).collect();
            let got: BTreeSet<String> = out.matched.iter().map(|s| s.label()).collect();
            if want != got {
                problems.push(format!("matched {got:?}, expected {want:?}"));
            }
        }
        if let Some(want) = text(expect, "denied_by") {
            let got = out.denied_by.map(kind_name).unwrap_or("none");
            if want != got {
                problems.push(format!("denied_by {got}, expected {want}"));
            }
        }
        explain_checks(&request, &set, &out, expect, &mut problems);
        if !problems.is_empty() {
            totals.failures.push(format!(
                "{file} / {case_name} / {}: {}",
                text(req, "description").unwrap_or("?"),
                problems.join("; ")
            ));
        }
    }
    Ok(())
}

/// The trace agrees with the decision (the statements it calls matching, with the deciding
/// effect, are the decision's matched statements) and says what the vector expects of it:
/// `explain` maps a statement label to its verdict in words, `missing_keys` lists keys.
fn explain_checks(
    request: &Request<'_>,
    set: &PolicySet<'_, '_>,
    out: &roleplay_policy::Outcome<'_>,
    expect: &Value,
    problems: &mut Vec<String>,
) {
    let trace = explain(request, set);
    if trace.outcome.decision != out.decision {
        problems.push("explain decided differently".into());
    }
    let deciding = match out.decision {
        Decision::Allow => Some(Effect::Allow),
        Decision::ExplicitDeny => Some(Effect::Deny),
        Decision::ImplicitDeny => None,
    };
    let label = |p: &Policy, s: &roleplay_policy::StatementTrace| match &s.sid {
        Some(sid) if !sid.is_empty() => format!("{}/{sid}", p.id()),
        _ => format!("{}/#{}", p.id(), s.index),
    };
    let traced: BTreeSet<String> = trace
        .policies
        .iter()
        .flat_map(|p| {
            p.statements
                .iter()
                .filter(|s| s.verdict.is_match() && Some(s.effect) == deciding)
                .map(|s| label(p.policy, s))
        })
        .collect();
    let decided: BTreeSet<String> = out.matched.iter().map(|s| s.label()).collect();
    if traced != decided {
        problems.push(format!(
            "trace matched {traced:?}, decision matched {decided:?}"
        ));
    }
    if let Some(Value::Object(want)) = expect.get("explain") {
        for (stmt, words) in want {
            let got = trace.policies.iter().find_map(|p| {
                p.statements
                    .iter()
                    .find(|s| &label(p.policy, s) == stmt)
                    .map(|s| s.verdict.describe(request.action, request.resource))
            });
            if got.as_deref() != words.as_str() {
                problems.push(format!("explain {stmt}: {got:?}, expected {words}"));
            }
        }
    }
    if let Some(Value::Array(want)) = expect.get("missing_keys") {
        let want: Vec<String> = want.iter().map(scalar).collect();
        if trace.missing_keys != want {
            problems.push(format!(
                "missing_keys {:?}, expected {want:?}",
                trace.missing_keys
            ));
        }
    }
}

#[test]
fn decision_vectors() {
    let mut totals = Totals {
        requests: 0,
        failures: Vec::new(),
    };
    let files = vector_files();
    assert!(!files.is_empty(), "no vector files found");
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let data: Value = match serde_json::from_str(&std::fs::read_to_string(path).unwrap()) {
            Ok(v) => v,
            Err(e) => {
                totals.failures.push(format!("{name}: not JSON: {e}"));
                continue;
            }
        };
        for case in data
            .get("cases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Err(e) = run_case(&name, case, &mut totals) {
                totals.failures.push(format!(
                    "{name} / {}: {e}",
                    text(case, "description").unwrap_or("?")
                ));
            }
        }
    }
    assert!(
        totals.failures.is_empty(),
        "{} of {} vector requests failed:\n{}",
        totals.failures.len(),
        totals.requests,
        totals.failures.join("\n")
    );
    assert!(
        totals.requests >= 200,
        "only {} vector requests",
        totals.requests
    );
}
