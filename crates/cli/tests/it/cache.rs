//! The credential cache on disk, in the aws CLI's names and format.

use roleplay_cli::Hop;
use roleplay_cli::cache::{self, AssumedRoleUser, Credentials, Entry, disk};

#[test]
fn documented_file_name() {
    let hop = Hop {
        profile: "x".into(),
        role_arn: "arn:aws:iam::123456789012:role/CrossAccountRole".into(),
        role_session_name: None,
        external_id: None,
        mfa_serial: None,
        duration_seconds: None,
    };
    assert_eq!(
        cache::file_name(&hop),
        "a906fd5df25d8daa2357fbaceaf8d610ffc69925.json"
    );
}

#[test]
fn written_entries_read_back_with_mode_0600() {
    let home = tempfile::tempdir().unwrap();
    let dir = disk::dir(home.path());
    let entry = Entry::new(
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: "token".into(),
            expiration: "2026-11-27T23:00:00Z".into(),
            account_id: None,
        },
        AssumedRoleUser {
            assumed_role_id: "AROAEXAMPLE:s".into(),
            arn: "arn:aws:sts::345345345345:assumed-role/accounta/s".into(),
        },
        "req-1",
    );
    assert_eq!(
        entry.credentials.account_id.as_deref(),
        Some("345345345345")
    );
    disk::write(&dir, "abc", &entry).unwrap();
    assert_eq!(disk::read(&dir, "abc"), Some(entry.clone()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("abc.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(dir.join("abc.json")).unwrap();
    assert!(
        text.starts_with(
            r#"{"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret""#
        ),
        "{text}"
    );
    assert_eq!(disk::read(&dir, "missing"), None);
    // No temporary files are left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

/// An entry the aws CLI wrote (its exact text) is read and judged fresh the same way.
#[test]
fn reads_the_aws_cli_format() {
    let text = r#"{"Credentials": {"AccessKeyId": "ASIAX", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2026-11-27T23:00:00Z", "AccountId": "345345345345"}, "AssumedRoleUser": {"AssumedRoleId": "AROAX:botocore-session-1", "Arn": "arn:aws:sts::345345345345:assumed-role/accounta/botocore-session-1"}, "ResponseMetadata": {"RequestId": "r", "HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}}"#;
    let entry = Entry::from_json(text).unwrap();
    let now = time::macros::datetime!(2026-11-27 22:44:59 UTC);
    assert!(entry.is_fresh(now));
    assert!(!entry.is_fresh(now + time::Duration::seconds(2)));
}
