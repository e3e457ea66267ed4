//! `roleplay doctor` on the how-to's own mistake, and on a repaired configuration. Offline:
//! no server, no aws CLI.

use std::process::Command;

const CREDENTIALS: &str = "[account-a]
aws_access_key_id = AKIARZKVVYOZRFFXKTQN
aws_secret_access_key = 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
";

const BROKEN_CONFIG: &str = "[profile account-a]
region = us-east-1
endpoint_url = http://127.0.0.1:4566

[profile accountb]
role_arn = arn:aws:iam::345345345345:role/accounta
source_profile = accounta
region = us-east-1
endpoint_url = http://127.0.0.1:4566
";

struct Doctor {
    code: i32,
    lines: Vec<String>,
}

fn doctor(config: &str, credentials: &str, args: &[&str]) -> Doctor {
    doctor_with_cache(config, credentials, args, &[])
}

/// `cache`: (file name, content) pairs for `~/.aws/cli/cache`.
fn doctor_with_cache(
    config: &str,
    credentials: &str,
    args: &[&str],
    cache: &[(&str, String)],
) -> Doctor {
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(aws.join("cli/cache")).unwrap();
    for (name, text) in cache {
        std::fs::write(aws.join("cli/cache").join(name), text).unwrap();
    }
    std::fs::write(aws.join("config"), config).unwrap();
    std::fs::write(aws.join("credentials"), credentials).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roleplay"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .arg("doctor")
        .args(args)
        .env("HOME", home.path())
        .output()
        .unwrap();
    Doctor {
        code: out.status.code().unwrap_or(-1),
        lines: String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect(),
    }
}

#[test]
fn the_how_tos_mistake_is_found_with_a_suggestion() {
    let d = doctor(BROKEN_CONFIG, CREDENTIALS, &[]);
    assert_eq!(d.code, 1, "{:#?}", d.lines);
    let line = d
        .lines
        .iter()
        .find(|l| l.contains("profile accountb"))
        .unwrap_or_else(|| panic!("no line for accountb: {:#?}", d.lines));
    assert_eq!(
        line,
        "error: profile accountb: The source_profile \"accounta\" referenced in the profile \"accountb\" does not exist. Did you mean \"account-a\"?"
    );
    // The other profile still works, and says where its keys come from.
    assert!(
        d.lines.iter().any(|l| l.starts_with(
            "ok: profile account-a: key AKIARZKVVYOZRFFXKTQN from the credentials file [account-a]"
        )),
        "{:#?}",
        d.lines
    );
}

#[test]
fn one_profile_at_a_time() {
    let ok = doctor(BROKEN_CONFIG, CREDENTIALS, &["--profile", "account-a"]);
    assert_eq!(ok.code, 0, "{:#?}", ok.lines);
    assert!(
        !ok.lines.iter().any(|l| l.contains("accountb")),
        "{:#?}",
        ok.lines
    );

    let broken = doctor(BROKEN_CONFIG, CREDENTIALS, &["--profile", "accountb"]);
    assert_eq!(broken.code, 1);
    assert!(
        broken
            .lines
            .iter()
            .any(|l| l.contains("Did you mean \"account-a\"?"))
    );

    let missing = doctor(BROKEN_CONFIG, CREDENTIALS, &["--profile", "acount-a"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.lines.iter().any(|l| l
            == "error: profile acount-a: The config profile (acount-a) could not be found. Did you mean \"account-a\"?"),
        "{:#?}",
        missing.lines
    );
}

#[test]
fn the_repaired_how_to_is_clean() {
    let fixed = BROKEN_CONFIG.replace("source_profile = accounta", "source_profile = account-a");
    let d = doctor(&fixed, CREDENTIALS, &[]);
    assert_eq!(d.code, 0, "{:#?}", d.lines);
    assert!(
        d.lines.iter().any(|l| l == "ok: profile accountb: key AKIARZKVVYOZRFFXKTQN from the credentials file [account-a], then assume arn:aws:iam::345345345345:role/accounta (accountb)"),
        "{:#?}",
        d.lines
    );
    assert!(
        !d.lines.iter().any(|l| l.starts_with("error")),
        "{:#?}",
        d.lines
    );
}

#[test]
fn loops_partial_keys_and_non_profile_sections_are_reported() {
    let config = "[accounta]
region = us-east-1

[profile loopa]
role_arn = arn:aws:iam::345345345345:role/a
source_profile = loopb

[profile loopb]
role_arn = arn:aws:iam::345345345345:role/b
source_profile = loopa
";
    let credentials = "[half]
aws_access_key_id = AKIARZKVVYOZRFFXKTQN
";
    let d = doctor(config, credentials, &[]);
    assert_eq!(d.code, 1);
    let has = |needle: &str| d.lines.iter().any(|l| l.contains(needle));
    assert!(
        has(
            "error: profile loopa: Infinite loop in credential configuration detected. Attempting to load from profile loopa which has already been visited. Visited profiles: ['loopa', 'loopb']"
        ),
        "{:#?}",
        d.lines
    );
    assert!(
        has(
            "error: profile half: Partial credentials found in shared-credentials-file, missing: aws_secret_access_key"
        ),
        "{:#?}",
        d.lines
    );
    assert!(
        has(
            "[accounta] is not a profile in the config file; a profile there is written [profile accounta]"
        ),
        "{:#?}",
        d.lines
    );
}

#[test]
fn an_unparsable_file_names_its_line() {
    let d = doctor("[profile a]\nregion = x\n[profile a]\n", CREDENTIALS, &[]);
    assert_eq!(d.code, 1);
    assert!(
        d.lines
            .iter()
            .any(|l| l.contains("/.aws/config:3: section 'profile a' already exists")),
        "{:#?}",
        d.lines
    );
}

/// A session the aws CLI cached for the how-to's role (its file name is the sha1 of
/// `{"RoleArn": "arn:aws:iam::345345345345:role/accounta"}`, computed by Python).
fn cached_session(expiration: &str) -> (&'static str, String) {
    (
        "db7ccf74ddac68bc7f3ad6b5cdd5e2595ce4b8ca.json",
        format!(
            r#"{{"Credentials": {{"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "{expiration}", "AccountId": "345345345345"}}, "AssumedRoleUser": {{"AssumedRoleId": "AROAEXAMPLE:botocore-session-1", "Arn": "arn:aws:sts::345345345345:assumed-role/accounta/botocore-session-1"}}, "ResponseMetadata": {{"RequestId": "r", "HTTPStatusCode": 200, "HTTPHeaders": {{}}, "RetryAttempts": 0}}}}"#
        ),
    )
}

#[test]
fn cached_sessions_are_reported_fresh_or_expired() {
    let fixed = BROKEN_CONFIG.replace("source_profile = accounta", "source_profile = account-a");
    let format = &time::format_description::well_known::Rfc3339;
    let now = time::OffsetDateTime::now_utc();
    let later = (now + time::Duration::hours(1)).format(format).unwrap();
    let d = doctor_with_cache(
        &fixed,
        CREDENTIALS,
        &["--profile", "accountb"],
        &[cached_session(&later)],
    );
    assert_eq!(d.code, 0, "{:#?}", d.lines);
    assert!(
        d.lines.iter().any(|l| l.starts_with(&format!("ok: profile accountb: cached session for arn:aws:iam::345345345345:role/accounta until {later}"))),
        "{:#?}",
        d.lines
    );

    let d = doctor_with_cache(
        &fixed,
        CREDENTIALS,
        &["--profile", "accountb"],
        &[cached_session("2020-01-01T00:00:00Z")],
    );
    assert_eq!(d.code, 0, "an expired cache breaks nothing: {:#?}", d.lines);
    assert!(
        d.lines.iter().any(|l| l == "warning: profile accountb: the cached session for arn:aws:iam::345345345345:role/accounta expired at 2020-01-01T00:00:00Z; the next command assumes the role again"),
        "{:#?}",
        d.lines
    );
}
