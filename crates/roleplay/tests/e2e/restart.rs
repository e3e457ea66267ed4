//! State survives `kill -9`: what the server acknowledged is there after a restart, and so
//! are the sessions it handed out.

use crate::harness::*;

#[test]
fn acknowledged_state_and_sessions_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scenario.toml"), three_accounts()).unwrap();
    let server = Server::start_on_disk(dir);
    let mut sb = Sandbox::new(&server);
    sb.keys("b-root", B_ROOT.0, B_ROOT.1);
    sb.aws(&[
        "iam",
        "create-user",
        "--user-name",
        "durable",
        "--profile",
        "b-root",
    ])
    .json();
    let trust = sb.file(
        "trust.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::345345345345:user/durable"},"Action":"sts:AssumeRole"}]}"#,
    );
    sb.aws(&[
        "iam",
        "create-role",
        "--role-name",
        "kept",
        "--assume-role-policy-document",
        &trust,
        "--profile",
        "b-root",
    ])
    .json();
    let key = sb
        .aws(&[
            "iam",
            "create-access-key",
            "--user-name",
            "durable",
            "--profile",
            "b-root",
        ])
        .json();
    sb.keys(
        "durable",
        key["AccessKey"]["AccessKeyId"].as_str().unwrap(),
        key["AccessKey"]["SecretAccessKey"].as_str().unwrap(),
    );
    let creds = sb
        .aws(&[
            "sts",
            "assume-role",
            "--role-arn",
            "arn:aws:iam::345345345345:role/kept",
            "--role-session-name",
            "before",
            "--profile",
            "durable",
        ])
        .json();

    let dir = server.kill9();
    let server = Server::start_on_disk(dir);
    // The sandbox's profiles point at the old port; a new sandbox for the new one.
    let mut sb2 = Sandbox::new(&server);
    sb2.keys("b-root", B_ROOT.0, B_ROOT.1);
    let user = sb2
        .aws(&[
            "iam",
            "get-user",
            "--user-name",
            "durable",
            "--profile",
            "b-root",
        ])
        .json();
    assert_eq!(
        user["User"]["Arn"],
        "arn:aws:iam::345345345345:user/durable"
    );
    let role = sb2
        .aws(&[
            "iam",
            "get-role",
            "--role-name",
            "kept",
            "--profile",
            "b-root",
        ])
        .json();
    assert_eq!(role["Role"]["RoleName"], "kept");
    // The access key created before the crash still signs requests.
    sb2.keys(
        "durable",
        key["AccessKey"]["AccessKeyId"].as_str().unwrap(),
        key["AccessKey"]["SecretAccessKey"].as_str().unwrap(),
    );
    let me = sb2
        .aws(&["sts", "get-caller-identity", "--profile", "durable"])
        .json();
    assert_eq!(me["Arn"], "arn:aws:iam::345345345345:user/durable");
    // And so does the session handed out before it.
    let me = sb2
        .aws_env(&["sts", "get-caller-identity"], &session_env(&creds))
        .json();
    assert_eq!(
        me["Arn"],
        "arn:aws:sts::345345345345:assumed-role/kept/before"
    );
}
