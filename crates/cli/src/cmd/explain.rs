//! `roleplay explain`: why a past request was decided as it was, or whether the identity a
//! profile resolves to would be allowed an action — both answered by a roleplay server.
//!
//! ```text
//! roleplay explain REQUEST_ID [--endpoint-url URL | --profile P] [--output json]
//! roleplay explain --profile P ACTION [RESOURCE] [--output json]
//! ```
//!
//! A past request prints its evaluation trace from the server's decision log. A what-if is
//! signed with the profile's credentials (its role chain executed first), so the answer is
//! about that identity: its policies, boundary and session policies, and the role's trust
//! policy for `sts:AssumeRole`. Exit status: 0 allowed, 1 denied or not found, 255 on errors.

use super::{Globals, fail, session, usage_error};
use crate::aws::http::Response;
use crate::aws::{CallError, OsIo};
use roleplay_wire::decisions::explain_text;
use serde_json::Value;

/// Exit status of a denial (and of a request id the log does not hold).
pub const EXIT_DENIED: i32 = 1;

const USAGE: &str = "roleplay explain REQUEST_ID | ACTION [RESOURCE]";

/// Runs `roleplay explain ARGS...`.
pub fn run(globals: &Globals, argv: &[String], io: &OsIo) -> i32 {
    let json = match globals.output.as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => return usage_error(&format!("explain prints text or json, not {other}")),
    };
    let args: Vec<&str> = argv.iter().map(String::as_str).collect();
    let answer = match args.as_slice() {
        [id] if !id.contains(':') => past_request(globals, io, id, json),
        [action] => what_if(globals, io, action, "*", json),
        [action, resource] => what_if(globals, io, action, resource, json),
        _ => return usage_error(&format!("expected {USAGE}")),
    };
    match answer {
        Ok((text, allowed)) => {
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
            if allowed { 0 } else { EXIT_DENIED }
        }
        Err(e) => fail(&e),
    }
}

/// The roleplay server the profile (or `--endpoint-url`) points at.
fn server(session: &crate::aws::Session<'_>) -> Result<String, CallError> {
    match session.configured_endpoint("iam")? {
        Some(url) => Ok(url.trim_end_matches('/').to_owned()),
        None => Err(CallError::Validation(
            "roleplay explain asks a roleplay server: give --endpoint-url, or endpoint_url in the profile"
                .to_owned(),
        )),
    }
}

/// The body of a 200 answer; anything else is the server's complaint.
fn answer(response: Response) -> Result<String, CallError> {
    let body = String::from_utf8_lossy(&response.body).into_owned();
    if response.status == 200 {
        return Ok(body);
    }
    Err(CallError::Response(format!(
        "the server answered {}: {}",
        response.status,
        body.trim()
    )))
}

fn past_request(
    globals: &Globals,
    io: &OsIo,
    request_id: &str,
    json: bool,
) -> Result<(String, bool), CallError> {
    let session = session(globals, io)?;
    let base = server(&session)?;
    let url = format!(
        "{base}/_roleplay/decisions?request_id={}",
        url_encode(request_id)
    );
    let body = answer(session.get(&url)?)?;
    let records: Vec<Value> = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("decisions").and_then(Value::as_array).cloned())
        .ok_or_else(|| {
            CallError::Response("the server's answer is not a decision list".to_owned())
        })?;
    if records.is_empty() {
        return Ok((
            format!("No authorization decision is recorded for request {request_id}.\n"),
            false,
        ));
    }
    // A request is allowed when every check it needed was.
    let allowed = records
        .iter()
        .all(|r| r.get("decision").and_then(Value::as_str) == Some("Allow"));
    if json {
        let pretty = serde_json::to_string_pretty(&Value::Array(records)).unwrap_or_default();
        return Ok((pretty, allowed));
    }
    let text: Vec<String> = records.iter().map(explain_text).collect();
    Ok((text.join("\n"), allowed))
}

fn what_if(
    globals: &Globals,
    io: &OsIo,
    action: &str,
    resource: &str,
    json: bool,
) -> Result<(String, bool), CallError> {
    let session = session(globals, io)?;
    let base = server(&session)?;
    let form = [
        ("ActionName".to_owned(), action.to_owned()),
        ("ResourceArn".to_owned(), resource.to_owned()),
        ("Format".to_owned(), "json".to_owned()),
    ];
    let body = answer(session.post_signed("iam", &format!("{base}/_roleplay/explain"), &form)?)?;
    let record: Value = serde_json::from_str(&body)
        .map_err(|e| CallError::Response(format!("the server's answer is not JSON: {e}")))?;
    let allowed = record.get("decision").and_then(Value::as_str) == Some("Allow");
    if json {
        let pretty = serde_json::to_string_pretty(&record).unwrap_or(body);
        return Ok((pretty, allowed));
    }
    Ok((explain_text(&record), allowed))
}

fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
