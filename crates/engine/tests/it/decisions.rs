//! The decision log: one record per authorization decision, with why, searchable.

use crate::common::{B, Env, NOW, allow, env, info_at, paging};
use roleplay_engine::decisions::{DecisionLog, DecisionQuery, LogLocation};
use roleplay_wire::decisions::explain_text;
use serde_json::Value;

fn logged_env(location: LogLocation) -> (Env, DecisionLog) {
    let mut e = env();
    let log = DecisionLog::open(location).unwrap();
    e.engine = e.engine.with_decision_log(log.clone());
    (e, log)
}

/// The records' request ids, in order.
fn request_ids(records: &[Value]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r["request_id"].as_str().unwrap())
        .collect()
}

fn by_request(log: &DecisionLog, rid: &str) -> Vec<Value> {
    log.search(&DecisionQuery {
        request_id: Some(rid.into()),
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn one_record_per_decision_with_the_deciding_statements() {
    let (e, log) = logged_env(LogLocation::memory());
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"List","Effect":"Allow","Action":"iam:ListUsers","Resource":"*"},
        {"Sid":"NoDelete","Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"},
        {"Effect":"Allow","Action":"iam:DeleteUser","Resource":"*"}]}"#;
    let bob = e.user("bob", Some(policy));

    let mut info = info_at(NOW);
    info.request_id = "req-allow".into();
    e.engine
        .list_users(&bob, &info, &paging(100, None))
        .unwrap();
    let records = by_request(&log, "req-allow");
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(r["decision"], "Allow");
    assert_eq!(r["principal"], format!("arn:aws:iam::{B}:user/bob"));
    assert_eq!(r["account"], B);
    assert_eq!(r["action"], "iam:ListUsers");
    assert_eq!(r["resource"], format!("arn:aws:iam::{B}:user/"));
    assert_eq!(r["statements"][0]["policy"], "inline:user/bob/p");
    assert_eq!(r["statements"][0]["sid"], "List");
    assert_eq!(r["statements"][0]["policy_type"], "identity");
    assert_eq!(r["context"]["aws:username"], "bob");
    assert!(r.get("reason").is_none());

    info.request_id = "req-deny".into();
    let err = e.engine.delete_user(&bob, &info, "bob").unwrap_err();
    let records = by_request(&log, "req-deny");
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r["decision"], "ExplicitDeny");
    assert_eq!(r["denied_by"], "identity");
    assert_eq!(r["statements"][0]["sid"], "NoDelete");
    // The log gives the same reason the caller was given.
    assert_eq!(r["reason"], err.message.as_str());
    assert!(
        err.message
            .ends_with("with an explicit deny in an identity-based policy"),
        "{}",
        err.message
    );
    // Every statement of the policy is traced, matched or not.
    let traced = r["policies"][0]["statements"].as_array().unwrap();
    assert_eq!(traced.len(), 3);
    assert_eq!(traced[0]["why"], "Action does not include iam:DeleteUser");
    assert_eq!(traced[1]["matched"], true);

    info.request_id = "req-implicit".into();
    let err = e
        .engine
        .create_user(&bob, &info, "carol", None, None, Vec::new())
        .unwrap_err();
    let r = &by_request(&log, "req-implicit")[0];
    assert_eq!(r["decision"], "ImplicitDeny");
    assert_eq!(r["no_allow_in"], serde_json::json!(["identity"]));
    assert_eq!(r["reason"], err.message.as_str());

    // Filters: denials only, any case of the action, newest first trimmed by limit.
    let denials = log
        .search(&DecisionQuery {
            decision: Some("Deny".into()),
            principal: Some(format!("arn:aws:iam::{B}:user/bob")),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(request_ids(&denials), ["req-deny", "req-implicit"]);
    let one = log
        .search(&DecisionQuery {
            action: Some("IAM:deleteuser".into()),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["request_id"], "req-deny");

    let text = explain_text(&by_request(&log, "req-deny")[0]);
    assert!(
        text.contains("Decision: ExplicitDeny, decided by the identity-based policies"),
        "{text}"
    );
    assert!(text.contains("inline policy `p` of user bob"), "{text}");
    assert!(
        text.contains("+ #1 NoDelete (Deny): matches the request"),
        "{text}"
    );
}

#[test]
fn files_rotate_by_size_and_stay_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let (e, log) = logged_env(LogLocation::Files {
        dir: dir.path().to_path_buf(),
        max_bytes: 8 * 1024,
        keep: 2,
    });
    let bob = e.user("bob", Some(&allow("iam:ListUsers")));
    let mut info = info_at(NOW);
    for i in 0..60 {
        info.request_id = format!("req-{i}");
        e.engine.list_users(&bob, &info, &paging(1, None)).unwrap();
    }
    log.flush();
    let current = dir.path().join("decisions.jsonl");
    assert!(current.exists());
    assert!(dir.path().join("decisions.1.jsonl").exists());
    assert!(dir.path().join("decisions.2.jsonl").exists());
    assert!(
        !dir.path().join("decisions.3.jsonl").exists(),
        "only two rotated files are kept"
    );
    for f in ["decisions.jsonl", "decisions.1.jsonl"] {
        let size = std::fs::metadata(dir.path().join(f)).unwrap().len();
        assert!(size <= 8 * 1024, "{f} is {size} bytes");
    }
    // The newest record is found; the oldest rotated away.
    assert_eq!(by_request(&log, "req-59").len(), 1);
    assert!(by_request(&log, "req-0").is_empty());
    // Every line is a whole JSON record.
    for line in std::fs::read_to_string(&current).unwrap().lines() {
        serde_json::from_str::<Value>(line).unwrap();
    }
}

/// Runs the same allowed and denied requests against a fresh environment logging to
/// `location`; the two records, by request id.
fn allow_and_deny(location: LogLocation) -> (DecisionLog, Value, Value) {
    let (e, log) = logged_env(location);
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"},
        {"Sid":"NoDelete","Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]}"#;
    let bob = e.user("bob", Some(policy));
    let mut info = info_at(NOW);
    info.request_id = "req-allow".into();
    e.engine.list_users(&bob, &info, &paging(1, None)).unwrap();
    info.request_id = "req-deny".into();
    e.engine.delete_user(&bob, &info, "bob").unwrap_err();
    let allowed = by_request(&log, "req-allow").remove(0);
    let denied = by_request(&log, "req-deny").remove(0);
    (log, allowed, denied)
}

#[test]
fn records_kept_in_memory_read_as_the_files_hold_them() {
    let dir = tempfile::tempdir().unwrap();
    let (_, file_allow, mut file_deny) = allow_and_deny(LogLocation::files(dir.path()));
    let (memory, mem_allow, mut mem_deny) = allow_and_deny(LogLocation::memory());
    assert_eq!(mem_allow, file_allow);
    // A denial's encoded message is sealed with a fresh nonce each time; the rest is equal.
    for r in [&mut file_deny, &mut mem_deny] {
        let message = r.as_object_mut().unwrap().remove("encoded_message");
        assert!(message.is_some_and(|m| m.as_str().is_some_and(|m| m.len() > 100)));
    }
    assert_eq!(mem_deny, file_deny);
    // Read again, a record kept in memory is the same.
    assert_eq!(by_request(&memory, "req-allow").remove(0), mem_allow);
}

#[test]
fn memory_keeps_the_newest_records_within_its_size() {
    let (e, log) = logged_env(LogLocation::Memory {
        max_bytes: 16 * 1024,
    });
    let bob = e.user("bob", Some(&allow("iam:ListUsers")));
    let mut info = info_at(NOW);
    for i in 0..200 {
        info.request_id = format!("req-{i}");
        e.engine.list_users(&bob, &info, &paging(1, None)).unwrap();
        if i == 100 {
            // Half of them read while the rest arrive.
            assert_eq!(by_request(&log, "req-100").len(), 1);
        }
    }
    let all = log
        .search(&DecisionQuery {
            limit: usize::MAX,
            ..Default::default()
        })
        .unwrap();
    let ids = request_ids(&all);
    assert!(ids.len() >= 4 && ids.len() < 100, "{} kept", ids.len());
    let want: Vec<String> = (200 - ids.len()..200).map(|i| format!("req-{i}")).collect();
    assert_eq!(ids, want, "the newest, in order");
    let bytes: usize = all.iter().map(|r| r.to_string().len()).sum();
    assert!(bytes <= 16 * 1024, "{bytes} bytes kept");
}
