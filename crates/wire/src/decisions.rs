//! Decision records of roleplay's decision log in plain words: the one rendering shared by the
//! server (`GET /_roleplay/decisions?format=text`) and the client (`roleplay explain`).

use serde_json::Value;

/// A policy as a reader knows it, from its id and kind: "inline policy `x` of user alice",
/// "trust policy of role arn:...", "bucket policy of b", "managed policy arn:...".
pub fn policy_label(id: &str, kind: &str) -> String {
    if let Some(rest) = id.strip_prefix("inline:") {
        let mut parts = rest.splitn(3, '/');
        if let (Some(owner_kind), Some(owner), Some(name)) =
            (parts.next(), parts.next(), parts.next())
        {
            return format!("inline policy `{name}` of {owner_kind} {owner}");
        }
    }
    if let Some(role) = id.strip_suffix("#trust") {
        return format!("trust policy of {role}");
    }
    if let Some(bucket) = id.strip_suffix("#policy") {
        return format!("bucket policy of {bucket}");
    }
    match kind {
        "boundary" => format!("permissions boundary {id}"),
        "session" if id.starts_with("arn:") => format!("session policy {id}"),
        "session" => "inline session policy".to_owned(),
        _ if id.starts_with("arn:aws:iam::aws:policy/") => format!("AWS managed policy {id}"),
        _ if id.starts_with("arn:") => format!("managed policy {id}"),
        _ => format!("policy {id}"),
    }
}

fn kind_phrase(kind: &str) -> &'static str {
    match kind {
        "identity" => "the identity-based policies",
        "resource" => "the resource-based policy",
        "trust" => "the role trust policy",
        "boundary" => "the permissions boundary",
        "session" => "the session policies",
        _ => "no policy",
    }
}

/// A decision record in plain words: who asked for what, the decision and why, then every
/// policy considered with each statement's verdict.
pub fn explain_text(r: &Value) -> String {
    use std::fmt::Write as _;
    let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("-");
    let mut out = String::new();
    let _ = writeln!(out, "Request {} at {}", s("request_id"), s("time"));
    let _ = writeln!(out, "  caller:   {}", s("principal"));
    if let Some(session) = r.get("session").filter(|v| !v.is_null()) {
        let f = |k: &str| session.get(k).and_then(Value::as_str).unwrap_or("-");
        let _ = writeln!(
            out,
            "  session:  of {}, issued {}, expires {}",
            f("principal"),
            f("issued_at"),
            f("expires_at")
        );
    }
    let _ = writeln!(out, "  action:   {}", s("action"));
    let _ = writeln!(
        out,
        "  resource: {} (account {})",
        s("resource"),
        s("resource_account")
    );
    let decision = s("decision");
    match decision {
        "Allow" => {
            let _ = writeln!(out, "Decision: Allow");
        }
        _ => {
            let _ = writeln!(
                out,
                "Decision: {decision}, decided by {}",
                kind_phrase(s("denied_by"))
            );
            let _ = writeln!(out, "  {}", s("reason"));
        }
    }
    let strings = |k: &str| -> Vec<String> {
        r.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let no_allow = strings("no_allow_in");
    if !no_allow.is_empty() {
        let phrases: Vec<&str> = no_allow.iter().map(|k| kind_phrase(k)).collect();
        let _ = writeln!(
            out,
            "  no Allow statement matched in {}",
            phrases.join(", ")
        );
    }
    let policies = r.get("policies").and_then(Value::as_array);
    match policies {
        Some(list) if !list.is_empty() => {
            let _ = writeln!(out, "Policies considered:");
            for p in list {
                let id = p.get("policy").and_then(Value::as_str).unwrap_or("-");
                let kind = p.get("policy_type").and_then(Value::as_str).unwrap_or("-");
                let _ = writeln!(out, "  {}", policy_label(id, kind));
                for st in p
                    .get("statements")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let g = |k: &str| st.get(k).and_then(Value::as_str);
                    let index = st.get("index").and_then(Value::as_u64).unwrap_or(0);
                    let name = match g("sid") {
                        Some(sid) if !sid.is_empty() => format!("#{index} {sid}"),
                        _ => format!("#{index}"),
                    };
                    let mark = if st.get("matched").and_then(Value::as_bool) == Some(true) {
                        "+"
                    } else {
                        "-"
                    };
                    let _ = writeln!(
                        out,
                        "    {mark} {name} ({}): {}",
                        g("effect").unwrap_or("-"),
                        g("why").unwrap_or("-")
                    );
                }
            }
        }
        _ => {
            let _ = writeln!(out, "Policies considered: none apply to this caller");
        }
    }
    let has_identity = policies
        .into_iter()
        .flatten()
        .any(|p| p.get("policy_type").and_then(Value::as_str) == Some("identity"));
    if no_allow.iter().any(|k| k == "identity") && !has_identity {
        let _ = writeln!(out, "  (the caller has no identity-based policies)");
    }
    let missing = strings("missing_keys");
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "Condition keys the request lacked: {}",
            missing.join(", ")
        );
    }
    out
}
